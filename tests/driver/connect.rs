//! Connecting: `--wait` retries an unreachable server, never a refusal.

use std::time::{Duration, Instant};

use migrate::driver::{DriverError, VersionTable, connect_postgres, connect_sqlite};

fn table() -> VersionTable {
    VersionTable::new(None, "_migrate_core")
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_closed_port_is_retried_for_the_wait_then_unreachable() {
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", closed_port());
    let start = Instant::now();
    let err = connect_postgres(&url, table(), Duration::from_secs(1))
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(matches!(err, DriverError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("kept trying"), "{err}");
}

#[tokio::test]
async fn without_wait_a_closed_port_fails_at_once() {
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", closed_port());
    let start = Instant::now();
    let err = connect_postgres(&url, table(), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_missing_database_is_rejected_without_waiting() {
    let Some(admin) = crate::harness::pg::admin_url() else {
        return;
    };
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path("/mt_no_such_database");
    let start = Instant::now();
    let err = connect_postgres(url.as_str(), table(), Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "retried a refusal"
    );
    match err {
        DriverError::Rejected { message } => {
            assert!(
                message.contains("mt_no_such_database") && message.contains("3D000"),
                "{message}"
            );
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_url_is_rejected() {
    let err = connect_postgres(
        "postgres://host:notaport/db",
        table(),
        Duration::from_secs(5),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DriverError::Rejected { .. }), "{err:?}");
}

#[tokio::test]
async fn a_sqlite_path_that_is_a_folder_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().display());
    let err = connect_sqlite(&url, table(), Duration::from_secs(5), true)
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::Rejected { .. }), "{err:?}");
}
