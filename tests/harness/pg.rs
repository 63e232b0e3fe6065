//! A fresh PostgreSQL database per test, after sqlx's testing module.
//!
//! The admin URL comes from `MIGRATE_TEST_POSTGRES_URL`, which `bash
//! scripts/test.sh` sets (it starts a throw-away server). Without it a
//! PostgreSQL test fails, saying how to run it, so that nothing passes by
//! skipping; `MIGRATE_TEST_SKIP_SERVERS=1` is the explicit way to run only
//! the tests that need no server (the others then return with a note).
//! `MIGRATE_TEST_KEEP_DB=1` keeps the databases for inspection.

use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tokio::sync::Semaphore;

/// Caps concurrent admin connections (sqlx caps at 20).
static ADMIN: Semaphore = Semaphore::const_new(8);

/// A database made for one test; dropped by [`PgTestDb::drop_database`].
#[derive(Clone, Debug)]
pub struct PgTestDb {
    pub name: String,
    pub url: String,
    admin_url: String,
}

/// The admin URL; `None` (after a note) only when the run asked to skip
/// server tests with `MIGRATE_TEST_SKIP_SERVERS=1`.
pub fn admin_url() -> Option<String> {
    super::topology::server_url("MIGRATE_TEST_POSTGRES_URL", "a PostgreSQL server")
}

/// `mt_` + a hash of the test's path + the process id: unique per test and
/// run, at most 63 bytes (PostgreSQL's identifier limit).
pub fn database_name(test_path: &str) -> String {
    let hash = Sha256::digest(test_path.as_bytes());
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("mt_{hex}_{}", std::process::id())
}

/// Creates a fresh database for `test_path`; `None` when skipping.
pub async fn create(test_path: &str) -> Option<PgTestDb> {
    let admin_url = admin_url()?;
    let name = database_name(test_path);
    let mut url = url::Url::parse(&admin_url).expect("MIGRATE_TEST_POSTGRES_URL is not a URL");
    url.set_path(&format!("/{name}"));
    let db = PgTestDb {
        name,
        url: url.to_string(),
        admin_url,
    };
    db.admin(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.name))
        .await;
    db.admin(&format!("CREATE DATABASE {}", db.name)).await;
    Some(db)
}

impl PgTestDb {
    /// Drops the database, ending its sessions, unless `MIGRATE_TEST_KEEP_DB=1`.
    pub async fn drop_database(&self) {
        if std::env::var("MIGRATE_TEST_KEEP_DB").is_ok_and(|v| v == "1") {
            eprintln!("note: kept test database {} ({})", self.name, self.url);
            return;
        }
        self.admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await;
    }

    async fn admin(&self, sql: &str) {
        let _permit = ADMIN.acquire().await.expect("admin semaphore closed");
        let mut conn = PgConnection::connect(&self.admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to MIGRATE_TEST_POSTGRES_URL: {e}"));
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    }
}

#[test]
fn database_names_fit_postgres_identifiers() {
    let a = database_name("integration::driver::apply::round_trip::postgres");
    assert!(a.len() <= 63, "{a}");
    assert!(a.starts_with("mt_"));
    assert_ne!(
        a,
        database_name("integration::driver::apply::other::postgres")
    );
}

/// A session of its own holding `pg_advisory_lock(key)`, as an operator (or
/// a stuck runner) would; the lock lasts as long as the connection.
pub async fn hold_advisory_lock(url: &str, key: i64) -> PgConnection {
    let mut operator = PgConnection::connect(url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut operator)
        .await
        .unwrap();
    operator
}
