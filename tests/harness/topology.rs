//! Where production runs, on this machine: the test PostgreSQL primary
//! reached through PgBouncer in transaction mode and on a hot standby
//! streaming from it, and any server behind a delay proxy (a far-away host).
//! `scripts/with-services.sh` (which `bash scripts/test.sh` runs) starts
//! them and sets:
//!
//! - `MIGRATE_TEST_POSTGRES_URL`: the primary (admin URL);
//! - `MIGRATE_TEST_PGBOUNCER_URL`: PgBouncer in front of it, every database
//!   name passed through;
//! - `MIGRATE_TEST_STANDBY_URL`: the hot standby (databases made on the
//!   primary appear there once replayed: [`wait_for_replay`]);
//! - `MIGRATE_TEST_MYSQL_URL`: MariaDB (see `mysql.rs`).
//!
//! A helper whose variable is missing panics with a message naming
//! `bash scripts/test.sh`, unless `MIGRATE_TEST_SKIP_SERVERS=1`: then it
//! prints a note and returns `None`, and the test returns.

#![allow(dead_code)] // not every test file uses every helper

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::delay_proxy::DelayProxy;
use super::pg::{self, PgTestDb};

pub const POSTGRES: &str = "MIGRATE_TEST_POSTGRES_URL";
pub const PGBOUNCER: &str = "MIGRATE_TEST_PGBOUNCER_URL";
pub const STANDBY: &str = "MIGRATE_TEST_STANDBY_URL";
pub const MYSQL: &str = "MIGRATE_TEST_MYSQL_URL";

/// How long [`wait_for_replay`] waits: past the standby's 30 s
/// `max_standby_streaming_delay`, for which replay may pause behind a
/// conflicting query.
pub const REPLAY_DEADLINE: Duration = Duration::from_secs(60);

/// The URL in `var` (the server `what`); `None` after a note when
/// `MIGRATE_TEST_SKIP_SERVERS=1`; a panic naming `bash scripts/test.sh`
/// otherwise.
pub fn server_url(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if super::skipping_servers() => {
            println!("note: skipping a test that needs {what}: {var} is not set");
            None
        }
        _ => panic!(
            "{var} is not set: this test needs {what}. Run the tests with `bash scripts/test.sh` \
             (or wrap the command in `bash scripts/with-services.sh`), which starts it; \
             MIGRATE_TEST_SKIP_SERVERS=1 skips the tests that need servers"
        ),
    }
}

/// `url` with its database (path) replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let mut url = url::Url::parse(url).unwrap_or_else(|e| panic!("not a URL ({e}): {url}"));
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// The URL of database `database` of the primary through PgBouncer.
pub fn pgbouncer_url(database: &str) -> Option<String> {
    let admin = server_url(PGBOUNCER, "PgBouncer in transaction mode")?;
    Some(with_database(&admin, database))
}

/// The URL of database `database` on the hot standby (it is there once
/// [`wait_for_replay`] has returned after its creation).
pub fn standby_url(database: &str) -> Option<String> {
    let admin = server_url(STANDBY, "a PostgreSQL hot standby")?;
    Some(with_database(&admin, database))
}

/// Waits until the standby has replayed everything the primary wrote
/// before this call (databases, tables, rows), polling its replay position
/// until `REPLAY_DEADLINE`. Returns at once when skipping.
///
/// The target is the primary's WAL insert position read inside a
/// transaction that commits synchronously: the test server commits
/// asynchronously (`synchronous_commit=off`), so `pg_current_wal_lsn()`, the
/// position written so far, can lag behind commits a test has already seen;
/// the synchronous commit flushes everything up to it and so sends it to
/// the standby at once, and its commit record lies past the target, so
/// replay reaches the target without waiting for other writes.
pub async fn wait_for_replay() {
    let Some(primary) = server_url(POSTGRES, "a PostgreSQL server") else {
        return;
    };
    let Some(standby) = server_url(STANDBY, "a PostgreSQL hot standby") else {
        return;
    };
    let target = primary_wal_position(&primary).await;
    let mut conn = PgConnection::connect(&standby)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {STANDBY}: {e}"));
    let deadline = tokio::time::Instant::now() + REPLAY_DEADLINE;
    loop {
        let (replayed, done): (Option<String>, Option<bool>) = sqlx::query_as(
            "SELECT pg_last_wal_replay_lsn()::text, pg_last_wal_replay_lsn() >= $1::pg_lsn",
        )
        .bind(&target)
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("reading the standby's replay position: {e}"));
        match done {
            Some(true) => break,
            None => panic!("{STANDBY} is not a standby: pg_last_wal_replay_lsn() is null"),
            Some(false) if tokio::time::Instant::now() >= deadline => panic!(
                "the standby has not replayed the primary's WAL up to {target} within {:?} \
                 (it is at {})",
                REPLAY_DEADLINE,
                replayed.unwrap_or_default()
            ),
            Some(false) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    let _ = conn.close().await;
}

async fn primary_wal_position(primary: &str) -> String {
    let mut conn = PgConnection::connect(primary)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES}: {e}"));
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql("SET LOCAL synchronous_commit = on; SELECT pg_current_xact_id()")
        .execute(&mut *tx)
        .await
        .unwrap();
    let target: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let _ = conn.close().await;
    target
}

/// One test's database on the primary with its URLs through PgBouncer and
/// on the standby. Made by [`PgTopologyDb::create`]; dropped after
/// [`PgTopologyDb::run`].
#[derive(Clone, Debug)]
pub struct PgTopologyDb {
    /// On the primary: `name`, `url`, `drop_database`.
    pub primary: PgTestDb,
    /// Through PgBouncer in transaction mode.
    pub pooled_url: String,
    /// On the hot standby (after [`wait_for_replay`]).
    pub standby_url: String,
}

impl PgTopologyDb {
    /// A fresh database for `test_path`; `None` when skipping. Every
    /// variable is checked before the database is made.
    pub async fn create(test_path: &str) -> Option<Self> {
        server_url(POSTGRES, "a PostgreSQL server")?;
        let name = pg::database_name(test_path);
        let pooled_url = pgbouncer_url(&name)?;
        let standby_url = standby_url(&name)?;
        let primary = pg::create(test_path).await?;
        Some(Self {
            primary,
            pooled_url,
            standby_url,
        })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.primary.name
    }

    /// Runs `body`, then drops the database, even when `body` panics.
    pub async fn run<F, Fut>(self, body: F)
    where
        F: FnOnce(PgTopologyDb) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let primary = self.primary.clone();
        run_then(body(self), async move { primary.drop_database().await }).await;
    }
}

/// Runs `body` in a task of its own, then `cleanup`, then re-raises the
/// body's panic if it had one.
pub async fn run_then<B, C>(body: B, cleanup: C)
where
    B: Future<Output = ()> + Send + 'static,
    C: Future<Output = ()>,
{
    let outcome = tokio::spawn(body).await;
    cleanup.await;
    if let Err(err) = outcome {
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("test task failed: {err}"),
        }
    }
}

/// A [`DelayProxy`] with `delay` each way in front of the server of `url`
/// (host and port, which must be an IP address), and `url` through it. The
/// proxy (and every connection through it) ends when it is dropped.
pub fn delayed(url: &str, delay: Duration) -> (DelayProxy, String) {
    let mut parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("not a URL ({e}): {url}"));
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let port = parsed.port().unwrap_or_else(|| panic!("no port in {url}"));
    let upstream: SocketAddr = format!("{host}:{port}")
        .parse()
        .unwrap_or_else(|e| panic!("the host of {url} is not an IP address: {e}"));
    let proxy = DelayProxy::start(upstream, delay)
        .unwrap_or_else(|e| panic!("cannot start a delay proxy: {e}"));
    parsed.set_port(Some(proxy.addr().port())).unwrap();
    (proxy, parsed.to_string())
}
