//! Shared test helpers: a database per test (PostgreSQL via [`pg`], SQLite
//! in a temp folder), raw queries to check what a driver left behind, small
//! revision builders, and `driver_test!`, which runs one body against both.

#[macro_use]
pub mod alembic;
pub mod env;
pub mod pg;

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use migrate::driver::{AnyDriver, Dialect, NewRow, VersionTable, connect};
use migrate::revision::{Revision, RevisionId, Sql};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row, SqliteConnection};
use tempfile::TempDir;

/// Runs an async body twice, as `NAME::postgres` and `NAME::sqlite`, each
/// with its own fresh database (`db: TestDb`).
///
/// ```ignore
/// driver_test!(applies_a_revision, |db| {
///     let mut d = db.connect().await;
///     ...
/// });
/// ```
#[macro_export]
macro_rules! driver_test {
    ($name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::harness::TestDb::postgres(module_path!()).await {
                    db.run(|$db| async move { $body }).await;
                }
            }

            #[tokio::test]
            async fn sqlite() {
                let db = $crate::harness::TestDb::sqlite();
                db.run(|$db| async move { $body }).await;
            }
        }
    };
}

/// One test's database.
#[derive(Debug)]
pub struct TestDb {
    pub dialect: Dialect,
    /// A sqlx URL for it.
    pub url: String,
    /// The version table tests use.
    pub table: VersionTable,
    pg: Option<pg::PgTestDb>,
    dir: Option<TempDir>,
}

impl TestDb {
    /// A fresh PostgreSQL database, or `None` when PostgreSQL tests are skipped.
    pub async fn postgres(test_path: &str) -> Option<Self> {
        let pg = pg::create(test_path).await?;
        Some(Self {
            dialect: Dialect::Postgres,
            url: pg.url.clone(),
            table: VersionTable::new(None, "_migrate_core"),
            pg: Some(pg),
            dir: None,
        })
    }

    /// A SQLite database file in a fresh temp folder (not created yet).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        Self {
            dialect: Dialect::Sqlite,
            url: format!("sqlite://{}", path.display()),
            table: VersionTable::new(None, "_migrate_core"),
            pg: None,
            dir: Some(dir),
        }
    }

    /// Runs `body` in its own task so that a panic is caught, drops the
    /// PostgreSQL database, then re-raises the panic.
    pub async fn run<F, Fut>(self, body: F)
    where
        F: FnOnce(TestDb) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let pg = self.pg.clone();
        let outcome = tokio::spawn(body(self)).await;
        if let Some(pg) = pg {
            pg.drop_database().await;
        }
        if let Err(err) = outcome {
            match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("test task failed: {err}"),
            }
        }
    }

    /// The SQLite database file (`None` on PostgreSQL).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("app.db"))
    }

    /// A new driver on the test table (SQLite file created if missing).
    pub async fn connect(&self) -> AnyDriver {
        self.connect_table(self.table.clone()).await
    }

    pub async fn connect_table(&self, table: VersionTable) -> AnyDriver {
        connect(&self.url, table, Duration::ZERO, true)
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", self.url))
    }

    /// Runs `sql` (many statements allowed) on a connection of its own.
    pub async fn exec(&self, sql: &str) {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.dialect {
            Dialect::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
            Dialect::Sqlite => {
                let mut c = self.sqlite_conn().await;
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
        }
    }

    /// The first column of every row of `sql`, which must select text.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.dialect {
            Dialect::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(|r| r.get::<String, _>(0)).collect()
            }
            Dialect::Sqlite => {
                let mut c = self.sqlite_conn().await;
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(|r| r.get::<String, _>(0)).collect()
            }
        }
    }

    async fn sqlite_conn(&self) -> SqliteConnection {
        let options = SqliteConnectOptions::from_str(&self.url)
            .unwrap()
            .create_if_missing(true);
        SqliteConnection::connect_with(&options).await.unwrap()
    }

    /// True when a table (or view) called `name` exists.
    pub async fn has_table(&self, name: &str) -> bool {
        let sql = match self.dialect {
            Dialect::Postgres => format!(
                "SELECT count(*)::text FROM pg_class WHERE relname = '{name}' AND relkind IN ('r', 'v')"
            ),
            Dialect::Sqlite => format!(
                "SELECT CAST(count(*) AS TEXT) FROM sqlite_master WHERE name = '{name}' AND type IN ('table', 'view')"
            ),
        };
        self.strings(&sql).await == ["1"]
    }

    /// Version-table rows as `revision:dirty` (`dirty` 0 or 1), by revision.
    pub async fn version_rows(&self) -> Vec<String> {
        let sql = match self.dialect {
            Dialect::Postgres => {
                "SELECT revision || ':' || dirty::int FROM _migrate_core ORDER BY revision"
            }
            Dialect::Sqlite => {
                "SELECT revision || ':' || dirty FROM _migrate_core ORDER BY revision"
            }
        };
        self.strings(sql).await
    }
}

/// A revision as a test builds it: the record (through `Deref`) and the
/// SQL that drivers run.
pub struct TestRev {
    pub rev: Revision,
    pub sql: Sql,
}

impl Deref for TestRev {
    type Target = Revision;

    fn deref(&self) -> &Revision {
        &self.rev
    }
}

impl DerefMut for TestRev {
    fn deref_mut(&mut self) -> &mut Revision {
        &mut self.rev
    }
}

/// A transactional revision with `up` (file line 6 onwards) and `down`.
pub fn rev(id: &str, up: &str, down: Option<&str>) -> TestRev {
    let up_line = 6u32;
    let sql = Sql {
        up: up.into(),
        down: down.map(Box::from),
    };
    let rev = Revision {
        id: RevisionId::new(id).unwrap(),
        parents: Box::default(),
        depends_on: Box::default(),
        labels: Box::default(),
        message: format!("revision {id}"),
        created: None,
        transactional: true,
        reversible: down.is_some(),
        checksum: migrate::revision::checksum(up),
        path: PathBuf::from(format!("{id}.sql")),
        up_line,
        down_line: down.map(|_| up_line + u32::try_from(up.lines().count()).unwrap() + 1),
    };
    TestRev { rev, sql }
}

/// The same, run outside a transaction.
pub fn rev_no_tx(id: &str, up: &str, down: Option<&str>) -> TestRev {
    let mut r = rev(id, up, down);
    r.transactional = false;
    r
}

/// The version row `migrate up` would write for `rev`.
pub fn row(rev: &Revision) -> NewRow {
    NewRow::recording(rev, "up", "migrate test user@host")
}
