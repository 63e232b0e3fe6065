//! Shared test helpers: a database per test (PostgreSQL via [`pg`], MariaDB
//! via [`mysql`], SQLite in a temp folder), raw queries to check what a
//! driver left behind, small revision builders, and `driver_test!`, which
//! runs one body against each.

#[macro_use]
pub mod alembic;
pub mod delay_proxy;
pub mod env;
pub mod mysql;
pub mod own_mariadb;
pub mod pg;
pub mod topology;

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use migrate::driver::{AnyDriver, Dialect, NewRow, VersionTable, connect};
use migrate::revision::{Revision, RevisionId, Sql};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, MySqlConnection, PgConnection, Row, SqliteConnection};
use tempfile::TempDir;

/// Runs an async body three times, as `NAME::postgres`, `NAME::sqlite` and
/// `NAME::mysql` (MariaDB), each with its own fresh database (`db: TestDb`).
/// A body marks where MySQL differs on purpose by matching `db.dialect`.
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

            #[tokio::test]
            async fn mysql() {
                if let Some(db) = $crate::harness::TestDb::mysql(module_path!()).await {
                    db.run(|$db| async move { $body }).await;
                }
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
    my: Option<mysql::MysqlTestDb>,
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
            my: None,
            dir: None,
        })
    }

    /// A handle on a PostgreSQL database made elsewhere (its owner drops
    /// it): for [`TestDb`]'s readers.
    pub fn from_pg(pg: &pg::PgTestDb) -> Self {
        Self {
            dialect: Dialect::Postgres,
            url: pg.url.clone(),
            table: VersionTable::new(None, "_migrate_core"),
            pg: None,
            my: None,
            dir: None,
        }
    }

    /// A fresh MariaDB database, or `None` when server tests are skipped.
    pub async fn mysql(test_path: &str) -> Option<Self> {
        let my = mysql::create(test_path).await?;
        Some(Self {
            dialect: Dialect::Mysql,
            url: my.url.clone(),
            table: VersionTable::new(None, "_migrate_core"),
            pg: None,
            my: Some(my),
            dir: None,
        })
    }

    /// The database's name on its server (MySQL's `DATABASE()`), `None`
    /// for SQLite.
    pub fn server_database(&self) -> Option<&str> {
        match (&self.pg, &self.my) {
            (Some(pg), _) => Some(&pg.name),
            (_, Some(my)) => Some(&my.name),
            _ => None,
        }
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
            my: None,
            dir: Some(dir),
        }
    }

    /// Runs `body` in its own task so that a panic is caught, drops the
    /// server's database, then re-raises the panic.
    pub async fn run<F, Fut>(self, body: F)
    where
        F: FnOnce(TestDb) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let pg = self.pg.clone();
        let my = self.my.clone();
        let outcome = tokio::spawn(body(self)).await;
        if let Some(pg) = pg {
            pg.drop_database().await;
        }
        if let Some(my) = my {
            my.drop_database().await;
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
        connect(&db_url(&self.url), table, Duration::ZERO, true)
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", self.url))
    }

    /// Runs `sql` (many statements allowed) on a connection of its own.
    pub async fn exec(&self, sql: &str) {
        if self.dialect == Dialect::Mysql {
            return self.mysql_db().exec(sql).await;
        }
        let sql = AssertSqlSafe(sql.to_owned());
        match self.dialect {
            Dialect::Mysql => unreachable!(),
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
        if self.dialect == Dialect::Mysql {
            return self.mysql_db().strings(sql).await;
        }
        let sql = AssertSqlSafe(sql.to_owned());
        match self.dialect {
            Dialect::Mysql => unreachable!(),
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

    /// The MariaDB database (panics on another dialect).
    pub fn mysql_db(&self) -> &mysql::MysqlTestDb {
        self.my.as_ref().expect("not a MySQL test database")
    }

    /// True when a table (or view) called `name` exists.
    pub async fn has_table(&self, name: &str) -> bool {
        let sql = match self.dialect {
            Dialect::Mysql => return self.mysql_db().has_table(name).await,
            Dialect::Postgres => format!(
                "SELECT count(*)::text FROM pg_class WHERE relname = '{name}' AND relkind IN ('r', 'v')"
            ),
            Dialect::Sqlite => format!(
                "SELECT CAST(count(*) AS TEXT) FROM sqlite_master WHERE name = '{name}' AND type IN ('table', 'view')"
            ),
        };
        self.strings(&sql).await == ["1"]
    }

    /// Every row of the test version table, every column, by revision.
    pub async fn rows(&self) -> Vec<RecordedRow> {
        self.rows_of("_migrate_core").await
    }

    /// Every row of version table `table`, every column, by revision;
    /// empty when the table does not exist. Read on a connection of its own.
    pub async fn rows_of(&self, table: &str) -> Vec<RecordedRow> {
        if !self.has_table(table).await {
            return Vec::new();
        }
        let sql = match self.dialect {
            Dialect::Mysql => format!(
                "SELECT revision, parents, message, checksum, \
                 DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%s.%fZ'), \
                 duration_ms, applied_by, method, CAST(dirty AS SIGNED) FROM {table} ORDER BY revision"
            ),
            Dialect::Postgres => format!(
                "SELECT revision, parents, message, checksum, \
                 to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
                 duration_ms, applied_by, method, dirty::int::int8 FROM {table} ORDER BY revision"
            ),
            Dialect::Sqlite => format!(
                "SELECT revision, parents, message, checksum, applied_at, duration_ms, \
                 applied_by, method, CAST(dirty AS INTEGER) FROM {table} ORDER BY revision"
            ),
        };
        let sql = AssertSqlSafe(sql);
        fn decode<R: Row>(row: &R) -> RecordedRow
        where
            for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
        {
            RecordedRow {
                revision: row.get(0),
                parents: row.get(1),
                message: row.get(2),
                checksum: row.get(3),
                applied_at: row.get(4),
                duration_ms: row.get(5),
                applied_by: row.get(6),
                method: row.get(7),
                dirty: row.get::<i64, _>(8) != 0,
            }
        }
        match self.dialect {
            Dialect::Mysql => {
                let mut c = MySqlConnection::connect(&self.url).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                let _ = c.close().await;
                rows.iter().map(decode).collect()
            }
            Dialect::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(decode).collect()
            }
            Dialect::Sqlite => {
                let mut c = self.sqlite_conn().await;
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(decode).collect()
            }
        }
    }

    /// Version-table rows as `revision:dirty` (`dirty` 0 or 1), by revision.
    pub async fn version_rows(&self) -> Vec<String> {
        let sql = match self.dialect {
            Dialect::Mysql => {
                "SELECT CAST(CONCAT(revision, ':', CAST(dirty AS SIGNED)) AS CHAR) \
                 FROM _migrate_core ORDER BY revision"
            }
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

/// The start of the line the binary's panic hook prints.
pub const PANIC_LINE: &str = "error: migrate hit an internal error";

/// True when a run of the binary hit a bug: exit 101 (a panic anywhere, or
/// an internal error) or the panic hook's line. Every "it never panics"
/// check in the suite asks this.
pub fn hit_a_bug(code: Option<i32>, output: &str) -> bool {
    code == Some(101) || output.contains(PANIC_LINE)
}

/// True when the run asked, with `MIGRATE_TEST_SKIP_SERVERS=1`, to run
/// only the tests that need no server; a test that needs one then returns
/// with a note instead of failing.
pub fn skipping_servers() -> bool {
    std::env::var("MIGRATE_TEST_SKIP_SERVERS").is_ok_and(|v| v == "1")
}

/// A URL as `migrate` parses it (relative SQLite paths against the
/// current folder).
pub fn db_url(url: &str) -> migrate::url::DbUrl {
    let cwd = std::env::current_dir().unwrap();
    migrate::url::DbUrl::parse(url, &cwd).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// One version-table row as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRow {
    pub revision: String,
    /// Space separated, as stored.
    pub parents: String,
    pub message: String,
    pub checksum: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.fffZ` (PostgreSQL gives microseconds).
    pub applied_at: String,
    pub duration_ms: i64,
    pub applied_by: String,
    pub method: String,
    pub dirty: bool,
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
