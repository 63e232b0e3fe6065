//! A fresh MySQL/MariaDB database per test, as `pg.rs` makes PostgreSQL
//! ones.
//!
//! The server comes from `MIGRATE_TEST_MYSQL_URL`, a user who may create
//! and drop databases (`mysql://USER:PASSWORD@127.0.0.1:PORT/`), which
//! `scripts/with-services.sh` starts (a throw-away MariaDB). Missing, the
//! test fails naming `bash scripts/test.sh`, unless
//! `MIGRATE_TEST_SKIP_SERVERS=1` (see `topology.rs`).
//! `MIGRATE_TEST_KEEP_DB=1` keeps the databases for inspection.

#![allow(dead_code)] // not every test file uses every helper

use std::future::Future;

use sqlx::{AssertSqlSafe, Connection, MySqlConnection, Row};
use tokio::sync::Semaphore;

use super::pg::database_name;
use super::topology::{MYSQL, run_then, server_url};

/// Caps concurrent admin connections, as for PostgreSQL.
static ADMIN: Semaphore = Semaphore::const_new(8);

/// A database made for one test; dropped by [`MysqlTestDb::drop_database`]
/// (or after [`MysqlTestDb::run`]).
#[derive(Clone, Debug)]
pub struct MysqlTestDb {
    /// `mt_` + a hash of the test's path + the process id (at most 64
    /// characters, MySQL's limit).
    pub name: String,
    /// The URL of this database, as the admin user.
    pub url: String,
    admin_url: String,
}

/// The server's admin URL, or `None` (after a note) when skipping.
pub fn admin_url() -> Option<String> {
    server_url(MYSQL, "a MySQL or MariaDB server")
}

/// Creates a fresh database for `test_path`; `None` when skipping.
pub async fn create(test_path: &str) -> Option<MysqlTestDb> {
    let admin_url = admin_url()?;
    let name = database_name(test_path);
    let db = MysqlTestDb {
        url: super::topology::with_database(&admin_url, &name),
        name,
        admin_url,
    };
    db.admin(&format!("DROP DATABASE IF EXISTS `{}`", db.name))
        .await;
    db.admin(&format!("CREATE DATABASE `{}`", db.name)).await;
    Some(db)
}

impl MysqlTestDb {
    /// Runs `body`, then drops the database, even when `body` panics.
    pub async fn run<F, Fut>(self, body: F)
    where
        F: FnOnce(MysqlTestDb) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let db = self.clone();
        run_then(body(self), async move { db.drop_database().await }).await;
    }

    /// Drops the database unless `MIGRATE_TEST_KEEP_DB=1`. MySQL has no
    /// `WITH (FORCE)`: a session still using it holds up the drop.
    pub async fn drop_database(&self) {
        if std::env::var("MIGRATE_TEST_KEEP_DB").is_ok_and(|v| v == "1") {
            eprintln!("note: kept test database {}", self.name);
            return;
        }
        self.admin(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .await;
    }

    /// A new connection to the database.
    pub async fn connect(&self) -> MySqlConnection {
        MySqlConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {}: {e}", self.name))
    }

    /// Runs `sql` (several statements allowed) on a connection of its own.
    pub async fn exec(&self, sql: &str) {
        let mut conn = self.connect().await;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    }

    /// The first column of every row of `sql`, which must be text (`CAST(x
    /// AS CHAR)` for numbers).
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        let mut conn = self.connect().await;
        let rows = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    }

    /// True when a table (or view) called `name` exists in the database.
    pub async fn has_table(&self, name: &str) -> bool {
        let sql = format!(
            "SELECT CAST(count(*) AS CHAR) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = '{name}'"
        );
        self.strings(&sql).await == ["1"]
    }

    async fn admin(&self, sql: &str) {
        let _permit = ADMIN.acquire().await.expect("admin semaphore closed");
        let mut conn = MySqlConnection::connect(&self.admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {MYSQL}: {e}"));
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    }
}
