//! The SQLite driver: one connection, an OS file lock beside the database.
//!
//! I/O. SQLite has no session lock, and each revision needs its own
//! transaction, so the run lock is an exclusive lock on
//! `<database file>.migrate-lock` (docs/reference.md, "The version table"); `sqlite::memory:` has none.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, FromRow as _, SqlSafeStr, SqlStr, SqliteConnection};

use super::apply::{self, Bookkeeping, Session, Stage};
use super::error::{self, DriverError, ServerError};
use super::render::{INSERT_COLUMNS, create_table_sql, table_name};
use super::{
    Applied, AppliedTuple, ApplyOptions, Backoff, Dialect, Driver, NewRow, Read, Server, StepError,
    VersionTable, connect, shape,
};
use crate::revision::{Revision, Sql};
use crate::state::AppliedRow;

/// A connection to one SQLite database file (or none, when the file does
/// not exist and was not to be created).
#[derive(Debug)]
pub struct Sqlite {
    conn: Option<SqliteConnection>,
    /// The database file; `None` in memory.
    path: Option<PathBuf>,
    table: VersionTable,
    sql: Queries,
    lock: Option<File>,
}

#[derive(Debug)]
struct Queries {
    insert: SqlStr,
    finish: SqlStr,
    delete: SqlStr,
    set_dirty: SqlStr,
    mark_applied: SqlStr,
    purge: SqlStr,
    stamp: SqlStr,
    select_applied: SqlStr,
}

impl Queries {
    fn new(table: &VersionTable) -> Self {
        let t = table_name(Dialect::Sqlite, table);
        let sql = |s: String| AssertSqlSafe(s).into_sql_str();
        Self {
            insert: sql(format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            )),
            finish: sql(format!(
                "UPDATE {t} SET dirty = 0, duration_ms = ?2 WHERE revision = ?1"
            )),
            delete: sql(format!("DELETE FROM {t} WHERE revision = ?1")),
            set_dirty: sql(format!("UPDATE {t} SET dirty = 1 WHERE revision = ?1")),
            mark_applied: sql(format!(
                "UPDATE {t} SET dirty = 0, checksum = ?2 WHERE revision = ?1"
            )),
            purge: sql(format!("DELETE FROM {t}")),
            stamp: sql(format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, 0) \
                 ON CONFLICT (revision) DO NOTHING"
            )),
            select_applied: sql(format!(
                "SELECT CAST(revision AS TEXT), coalesce(CAST(parents AS TEXT), ''), \
                 coalesce(CAST(checksum AS TEXT), ''), coalesce(CAST(method AS TEXT), ''), \
                 coalesce(CAST(dirty AS INTEGER), 0) FROM {t} ORDER BY applied_at, revision"
            )),
        }
    }
}

/// Opens the SQLite database at `url` (`sqlite:///abs/path.db` or
/// `sqlite::memory:`). With `create`, a missing file (and its folder) is
/// created; without, a missing file gives a driver that reports no version
/// table and refuses to write. `wait` is accepted for symmetry: opening a
/// file is never retried.
///
/// # Errors
/// [`DriverError::Rejected`] for a bad URL or a file SQLite cannot open.
pub async fn connect_sqlite(
    url: &str,
    table: VersionTable,
    wait: Duration,
    create: bool,
) -> Result<Sqlite, DriverError> {
    let rejected = |e: sqlx::Error| DriverError::Rejected {
        message: error::from_sqlx(&e).message,
    };
    let options = SqliteConnectOptions::from_str(url).map_err(rejected)?;
    let path = (!is_in_memory(url)).then(|| options.get_filename().to_path_buf());
    let mut driver = Sqlite {
        conn: None,
        path,
        sql: Queries::new(&table),
        table,
        lock: None,
    };
    if let Some(path) = &driver.path
        && !path.exists()
    {
        if !create {
            return Ok(driver);
        }
        create_parent(path)?;
    }
    // SQLite's own default: a table rebuild (how SQLite alters tables) must
    // not cascade deletes, and `PRAGMA foreign_keys` cannot change inside
    // the revision's transaction.
    let options = &options.create_if_missing(create).foreign_keys(false);
    let conn = connect::retry(wait, || async move {
        SqliteConnection::connect_with(options)
            .await
            .map_err(rejected)
    })
    .await?;
    driver.conn = Some(conn);
    Ok(driver)
}

/// `sqlite::memory:`, `sqlite://:memory:` or `mode=memory`.
fn is_in_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (db, params) = rest.split_once('?').unwrap_or((rest, ""));
    db == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

fn create_parent(path: &Path) -> Result<(), DriverError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| DriverError::Io {
                message: format!("cannot create folder `{}`: {e}", dir.display()),
            })
        }
        _ => Ok(()),
    }
}

impl Sqlite {
    /// The lock file's path: `<database file>.migrate-lock`.
    pub fn lock_path(&self) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        let mut name = path.as_os_str().to_owned();
        name.push(".migrate-lock");
        Some(PathBuf::from(name))
    }

    /// Checks the version table's shape; false when there is no table yet
    /// (or no database file).
    async fn checked_columns(&mut self) -> Result<bool, DriverError> {
        if self.conn.is_none() {
            return Ok(false);
        }
        let name = self.table.name.clone();
        let conn = self.conn().map_err(|e| error::sql(&e))?;
        let columns: Vec<(String, String)> =
            sqlx::query_as("SELECT name, type FROM pragma_table_info(?1)")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| error::sql(&e))?;
        if columns.is_empty() {
            return Ok(false);
        }
        shape::check(Dialect::Sqlite, &name, &columns)?;
        Ok(true)
    }

    fn conn(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        let missing = || {
            let path = self.path.as_deref().unwrap_or(Path::new(":memory:"));
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("database file `{}` does not exist", path.display()),
            )
        };
        let err = missing();
        self.conn.as_mut().ok_or(sqlx::Error::Io(err))
    }

    async fn execute(&mut self, sql: SqlStr, id: &str) -> Result<u64, sqlx::Error> {
        let r = sqlx::query(sql).bind(id).execute(self.conn()?).await?;
        Ok(r.rows_affected())
    }

    async fn stamp(&mut self, rows: &[NewRow], purge: bool) -> Result<u64, sqlx::Error> {
        let (purge_sql, stamp_sql) = (self.sql.purge.clone(), self.sql.stamp.clone());
        let mut tx = self.conn()?.begin_with("BEGIN IMMEDIATE").await?;
        if purge {
            sqlx::query(purge_sql).execute(&mut *tx).await?;
        }
        let mut inserted = 0;
        for row in rows {
            inserted += sqlx::query(stamp_sql.clone())
                .bind(&row.revision)
                .bind(row.parents_text())
                .bind(&row.message)
                .bind(&row.checksum)
                .bind(&row.applied_by)
                .bind(&row.method)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }

    fn try_lock(&mut self, path: &Path) -> Result<bool, DriverError> {
        let io = |e: std::io::Error| DriverError::Io {
            message: format!("cannot lock `{}`: {e}", path.display()),
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {
                self.lock = Some(file);
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

impl Sqlite {
    async fn insert(
        &mut self,
        row: &NewRow,
        duration_ms: i64,
        dirty: bool,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(self.sql.insert.clone())
            .bind(&row.revision)
            .bind(row.parents_text())
            .bind(&row.message)
            .bind(&row.checksum)
            .bind(duration_ms)
            .bind(&row.applied_by)
            .bind(&row.method)
            .bind(dirty)
            .execute(self.conn()?)
            .await
            .map(|_| ())
    }

    async fn run(&mut self, sql: &str) -> Result<(), ServerError> {
        let conn = self.conn().map_err(|e| error::from_sqlx(&e))?;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(conn)
            .await
            .map(|_| ())
            .map_err(|e| error::from_sqlx(&e))
    }

    /// The steps of [`Session::transaction`] after `BEGIN`: the claim, the
    /// body, the duration, `COMMIT`; the caller rolls back on failure.
    async fn in_transaction(&mut self, body: &str, record: Bookkeeping<'_>) -> Result<(), Stage> {
        let start = Instant::now();
        let id = match record {
            Bookkeeping::Insert(row) => match self.insert(row, 0, false).await {
                Err(e) if is_unique_violation(&e) => return Err(Stage::Taken),
                Err(e) => return Err(Stage::Record(error::from_sqlx(&e))),
                Ok(()) => Some(row.revision.as_str()),
            },
            Bookkeeping::Delete(id) => {
                let sql = self.sql.delete.clone();
                match self.execute(sql, id).await {
                    Ok(0) => return Err(Stage::Taken),
                    Ok(_) => None,
                    Err(e) => return Err(Stage::Record(error::from_sqlx(&e))),
                }
            }
        };
        self.run(body).await.map_err(Stage::Body)?;
        if let Some(id) = id {
            let took = apply::millis(start.elapsed());
            let sql = self.sql.finish.clone();
            let conn = self
                .conn()
                .map_err(|e| Stage::Record(error::from_sqlx(&e)))?;
            sqlx::query(sql)
                .bind(id)
                .bind(took)
                .execute(conn)
                .await
                .map_err(|e| Stage::Record(error::from_sqlx(&e)))?;
        }
        self.run("COMMIT").await.map_err(Stage::Commit)
    }

    /// The rows, read without the lock.
    async fn read_rows(&mut self) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        if !self.checked_columns().await? {
            return Ok(None);
        }
        let select = self.sql.select_applied.clone();
        let conn = self.conn().map_err(|e| error::sql(&e))?;
        let mut rows = Vec::new();
        let mut stream = sqlx::query(select).fetch(conn);
        while let Some(row) = stream.try_next().await.map_err(|e| error::sql(&e))? {
            let tuple = AppliedTuple::<i64>::from_row(&row).map_err(|e| error::sql(&e))?;
            rows.push(super::applied_row(tuple, |d| d != 0));
        }
        Ok(Some(super::trimmed(rows)))
    }
}

/// A row whose key is there already.
fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(sqlx::error::DatabaseError::is_unique_violation)
}

impl Session for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn transaction(
        &mut self,
        body: &str,
        _opts: &ApplyOptions,
        record: Bookkeeping<'_>,
    ) -> Result<(), Stage> {
        // A local file: a round trip costs nothing, so the steps go one by
        // one. IMMEDIATE takes the write lock now rather than failing on
        // upgrade.
        self.run("BEGIN IMMEDIATE").await.map_err(Stage::Open)?;
        let outcome = self.in_transaction(body, record).await;
        if outcome.is_err() {
            let _ = self.run("ROLLBACK").await;
        }
        outcome
    }

    async fn exec(&mut self, sql: &str) -> Result<(), ServerError> {
        self.run(sql).await
    }

    fn session_limits(&self, _opts: &ApplyOptions) -> Option<(String, String)> {
        None
    }

    async fn insert_dirty(&mut self, row: &NewRow) -> Result<bool, ServerError> {
        match self.insert(row, 0, true).await {
            Ok(()) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(error::from_sqlx(&e)),
        }
    }

    async fn finish_row(&mut self, id: &str, duration_ms: i64) -> Result<(), ServerError> {
        let sql = self.sql.finish.clone();
        let conn = self.conn().map_err(|e| error::from_sqlx(&e))?;
        sqlx::query(sql)
            .bind(id)
            .bind(duration_ms)
            .execute(conn)
            .await
            .map(|_| ())
            .map_err(|e| error::from_sqlx(&e))
    }

    async fn delete_row(&mut self, id: &str) -> Result<u64, ServerError> {
        let sql = self.sql.delete.clone();
        self.execute(sql, id)
            .await
            .map_err(|e| error::from_sqlx(&e))
    }

    async fn set_dirty(&mut self, id: &str) -> Result<(), ServerError> {
        let sql = self.sql.set_dirty.clone();
        self.execute(sql, id)
            .await
            .map(|_| ())
            .map_err(|e| error::from_sqlx(&e))
    }
}

impl Driver for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn version_table(&self) -> &VersionTable {
        &self.table
    }

    async fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        let Some(path) = self.lock_path() else {
            return Ok(());
        };
        if self.lock.is_some() || self.conn.is_none() {
            return Ok(());
        }
        let start = Instant::now();
        let mut backoff = Backoff::lock_polling();
        while !self.try_lock(&path)? {
            match backoff.delay(start + timeout) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => {
                    return Err(DriverError::LockTimeout {
                        waited: start.elapsed(),
                        holder_hint: format!(
                            "another process holds an exclusive lock on `{}` (see `lsof {}`); \
                             it is released when that process exits",
                            path.display(),
                            path.display()
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    async fn unlock(&mut self) -> Result<(), DriverError> {
        if let Some(file) = self.lock.take() {
            file.unlock().map_err(|e| DriverError::Io {
                message: format!("cannot unlock the lock file: {e}"),
            })?;
        }
        Ok(())
    }

    async fn read(&mut self) -> Result<Read, DriverError> {
        Ok(Read {
            rows: self.read_rows().await?,
            server: Server::Writable,
            locked: self.lock.is_some(),
        })
    }

    async fn begin_run(&mut self, timeout: Duration) -> Result<Read, DriverError> {
        // Held for the whole run: SQLite has no session lock, and each
        // revision needs its own transaction.
        self.lock(timeout).await?;
        self.read().await
    }

    async fn alembic_heads(&mut self, table: &str) -> Result<Option<Vec<String>>, DriverError> {
        if self.conn.is_none() {
            return Ok(None);
        }
        let conn = self.conn().map_err(|e| error::sql(&e))?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")
                .bind(table)
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| error::sql(&e))?;
        if exists.is_none() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT CAST(version_num AS TEXT) FROM {}",
            super::quote_ident(table)
        );
        let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_all(conn)
            .await
            .map_err(|e| error::sql(&e))?;
        Ok(Some(rows))
    }

    async fn ensure_version_table(&mut self) -> Result<(), DriverError> {
        // An existing table is checked before anything is written to it.
        if self.checked_columns().await? {
            return Ok(());
        }
        let ddl = create_table_sql(Dialect::Sqlite, &self.table);
        self.run(&ddl).await.map_err(DriverError::from)
    }

    async fn apply(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        row: &NewRow,
        opts: &ApplyOptions,
    ) -> Result<Applied, StepError> {
        apply::apply(self, rev, sql, row, opts).await
    }

    fn check_body(&self, rev: &Revision, sql: &Sql, up: bool) -> Result<(), DriverError> {
        apply::check(self, rev, sql, up)
    }

    async fn revert(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        opts: &ApplyOptions,
    ) -> Result<Applied, StepError> {
        apply::revert(self, rev, sql, opts).await
    }

    async fn insert_rows(&mut self, rows: &[NewRow], purge: bool) -> Result<u64, DriverError> {
        self.stamp(rows, purge).await.map_err(|e| error::sql(&e))
    }

    async fn delete_row(&mut self, id: &str) -> Result<bool, DriverError> {
        let sql = self.sql.delete.clone();
        Ok(self.execute(sql, id).await.map_err(|e| error::sql(&e))? > 0)
    }

    async fn mark_applied(&mut self, id: &str, checksum: &str) -> Result<bool, DriverError> {
        let sql = self.sql.mark_applied.clone();
        let conn = self.conn().map_err(|e| error::sql(&e))?;
        let r = sqlx::query(sql)
            .bind(id)
            .bind(checksum)
            .execute(conn)
            .await
            .map_err(|e| error::sql(&e))?;
        Ok(r.rows_affected() > 0)
    }

    async fn close(mut self) -> Result<(), DriverError> {
        let unlocked = self.unlock().await;
        if let Some(conn) = self.conn.take() {
            conn.close().await.map_err(|e| error::sql(&e))?;
        }
        unlocked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_urls_are_recognised() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite://:memory:"));
        assert!(is_in_memory("sqlite:///x.db?mode=memory"));
        assert!(!is_in_memory("sqlite:///tmp/app.db"));
    }
}
