//! The run lock: exclusive between connections, released with its holder.

use std::time::{Duration, Instant};

use migrate::driver::{Dialect, Driver, DriverError};
use sqlx::Connection;

use super::apply_one;
use crate::harness::TestDb;

driver_test!(a_second_connection_times_out_then_gets_it, |db| {
    let mut first = db.connect().await;
    let mut second = db.connect().await;
    first.lock(Duration::from_secs(1)).await.unwrap();

    let start = Instant::now();
    let err = second.lock(Duration::from_millis(400)).await.unwrap_err();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(390) && took < Duration::from_secs(2),
        "{took:?}"
    );
    match &err {
        DriverError::LockTimeout {
            waited,
            holder_hint,
        } => {
            assert!(*waited >= Duration::from_millis(390));
            let expected = match db.dialect {
                Dialect::Mysql => panic!("not run on MySQL"),
                Dialect::Postgres => "pg_terminate_backend(".to_owned(),
                Dialect::Sqlite => {
                    db.sqlite_path().unwrap().display().to_string() + ".migrate-lock"
                }
            };
            assert!(holder_hint.contains(&expected), "{holder_hint}");
        }
        other => panic!("expected LockTimeout, got {other:?}"),
    }

    first.unlock().await.unwrap();
    second.lock(Duration::from_secs(1)).await.unwrap();
    second.close().await.unwrap();
    first.close().await.unwrap();
});

driver_test!(a_dropped_holder_releases_the_lock, |db| {
    let mut first = db.connect().await;
    first.lock(Duration::ZERO).await.unwrap();
    drop(first); // no close, no unlock: a crashed runner
    let mut second = db.connect().await;
    second.lock(Duration::from_secs(5)).await.unwrap();
    // And `close` releases it for a third.
    second.close().await.unwrap();
    let mut third = db.connect().await;
    third.lock(Duration::ZERO).await.unwrap();
    third.close().await.unwrap();
});

driver_test!(the_lock_is_per_version_table, |db| {
    let mut core = db.connect().await;
    let other = migrate::driver::VersionTable::new(None, "_migrate_ai");
    let mut ai = db.connect_table(other).await;
    core.lock(Duration::ZERO).await.unwrap();
    if db.dialect == Dialect::Postgres {
        ai.lock(Duration::ZERO).await.unwrap();
    } else {
        // SQLite: one lock file per database file, whatever the table.
        assert!(ai.lock(Duration::ZERO).await.is_err());
    }
    ai.close().await.unwrap();
    core.close().await.unwrap();
});

driver_test!(lock_and_read_takes_the_lock_and_reads_the_table, |db| {
    let mut d = db.connect().await;
    // No table yet: nothing to read, and the lock is ours.
    assert_eq!(d.lock_and_read_applied(Duration::ZERO).await.unwrap(), None);
    let mut other = db.connect().await;
    assert!(matches!(
        other.lock(Duration::ZERO).await,
        Err(DriverError::LockTimeout { .. })
    ));
    apply_one(&mut d).await;
    d.unlock().await.unwrap();

    let rows = d
        .lock_and_read_applied(Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| &*r.revision).collect();
    assert_eq!(ids, ["a1"]);
    assert!(other.lock(Duration::ZERO).await.is_err());
    // Taken this way, it is released as any other.
    d.unlock().await.unwrap();
    other.lock(Duration::ZERO).await.unwrap();
    d.close().await.unwrap();
    other.close().await.unwrap();
});

driver_test!(lock_and_read_waits_for_a_held_lock_then_reads, |db| {
    let mut holder = db.connect().await;
    apply_one(&mut holder).await;
    holder.lock(Duration::ZERO).await.unwrap();

    let mut d = db.connect().await;
    let err = d
        .lock_and_read_applied(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::LockTimeout { .. }), "{err:?}");
    // The connection is still fit for use after the read it threw away.
    holder.unlock().await.unwrap();
    let rows = d
        .lock_and_read_applied(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(holder.lock(Duration::ZERO).await.is_err());
    d.close().await.unwrap();
    holder.close().await.unwrap();
});

driver_test!(lock_and_read_without_a_table_waits_for_a_held_lock, |db| {
    let mut holder = db.connect().await;
    holder.lock(Duration::ZERO).await.unwrap();
    let mut d = db.connect().await;
    let err = d
        .lock_and_read_applied(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::LockTimeout { .. }), "{err:?}");
    holder.unlock().await.unwrap();
    assert_eq!(d.lock_and_read_applied(Duration::ZERO).await.unwrap(), None);
    d.close().await.unwrap();
    holder.close().await.unwrap();
});

#[tokio::test]
async fn an_operator_session_holding_pg_advisory_lock_blocks_us() {
    let Some(db) = TestDb::postgres(module_path!()).await else {
        return;
    };
    db.run(|db| async move {
        let key = db.table.lock_key().value();
        let mut operator = crate::harness::pg::hold_advisory_lock(&db.url, key).await;
        let mut d = db.connect().await;
        let err = d.lock(Duration::from_millis(200)).await.unwrap_err();
        let DriverError::LockTimeout { holder_hint, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            holder_hint.contains(&format!("pg_advisory_lock({key})")),
            "{holder_hint}"
        );
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut operator)
            .await
            .unwrap();
        d.lock(Duration::from_secs(1)).await.unwrap();
        // And the other way round: while we hold it, the operator cannot.
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut operator)
            .await
            .unwrap();
        assert!(!got);
        d.close().await.unwrap();
        operator.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn sqlite_in_memory_has_no_lock() {
    let table = migrate::driver::VersionTable::new(None, "_migrate_core");
    let mut a = migrate::driver::connect(
        &crate::harness::db_url("sqlite::memory:"),
        table.clone(),
        Duration::ZERO,
        true,
    )
    .await
    .unwrap();
    let mut b = migrate::driver::connect(
        &crate::harness::db_url("sqlite::memory:"),
        table,
        Duration::ZERO,
        true,
    )
    .await
    .unwrap();
    a.lock(Duration::ZERO).await.unwrap();
    b.lock(Duration::ZERO).await.unwrap();
    a.ensure_version_table().await.unwrap();
    assert_eq!(a.read_applied().await.unwrap(), Some(vec![]));
    a.close().await.unwrap();
    b.close().await.unwrap();
}
