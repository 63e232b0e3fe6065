//! The MySQL and MariaDB driver: one dedicated connection, the version
//! table's SQL, and a `GET_LOCK` held for the whole of a writing run.
//!
//! I/O, through sqlx. MySQL commits each DDL statement by itself, so no
//! transaction can hold a revision: every revision runs statement by
//! statement (`driver/apply.rs`), recorded dirty before its first
//! statement and clean after its last, its body cut as the `mysql` client
//! cuts a file (`split_mysql`, read with the session's `sql_mode`). Values
//! are bound (prepared statements); bodies and the driver's own fixed
//! batches travel as plain queries, several statements in one exchange.
//!
//! The lock is `GET_LOCK('migrate:' + database + '.' + version table)`,
//! taken at the start of a writing run before the version table is read,
//! and released at its end (it also ends with the session). There is no
//! transaction pooler to defeat here: a server-side pooler that
//! multiplexes sessions (ProxySQL) keeps a session that took a lock.

mod lock;
mod options;
mod queries;
mod session;

use std::collections::HashSet;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use sqlx::mysql::{MySqlDatabaseError, MySqlRow};
use sqlx::{AssertSqlSafe, Connection, Either, FromRow as _, MySqlConnection, Row};

use super::error::{DriverError, ServerError};
use super::split_mysql::SqlMode;
use super::{
    Applied, AppliedTuple, ApplyOptions, Dialect, Driver, NewRow, Read, Server, StepError,
    VersionTable, apply, connect, shape,
};
use crate::revision::{Revision, Sql};
use crate::state::AppliedRow;
use queries::{ER_NO_SUCH_TABLE, ER_PARSE_ERROR, Queries};

/// Rows per statement when stamping: six values each, well under the
/// 65,535 placeholders a statement may have.
const STAMP_CHUNK: usize = 1000;

/// A connection to one MySQL or MariaDB database and its version table.
#[derive(Debug)]
pub struct Mysql {
    conn: MySqlConnection,
    table: VersionTable,
    /// The connection's database, as `SELECT DATABASE()` gave it.
    database: String,
    sql: Queries,
    /// How the session reads quotes, for cutting bodies.
    mode: SqlMode,
    mariadb: bool,
    /// `host:port`, for messages.
    host: String,
    /// The run lock is held.
    locked: bool,
}

/// Connects to `url` (a `mysql://` URL as `crate::url` normalised it),
/// retrying an unreachable server until `wait` has passed.
///
/// # Errors
/// [`DriverError::Unreachable`] after `wait`; [`DriverError::Rejected`] at
/// once for a bad URL, failed authentication, a missing database, TLS
/// refused, or a URL without a database.
pub async fn connect_mysql(
    url: &str,
    table: VersionTable,
    wait: Duration,
) -> Result<Mysql, DriverError> {
    let opts = options::parse(url).map_err(|message| DriverError::Rejected { message })?;
    let settings = &opts.sqlx;
    let tls = opts.ssl_mode;
    let mut conn = connect::retry(wait, || async move {
        MySqlConnection::connect_with(settings)
            .await
            .map_err(|e| match tls_failure(&e) {
                Some(why) => DriverError::Rejected {
                    message: format!("TLS failed (ssl-mode {}): {why}", tls.name()),
                },
                None => connect_error(&e),
            })
    })
    .await?;
    let rows = sqlx::raw_sql(queries::SETUP)
        .fetch_all(&mut conn)
        .await
        .map_err(|e| connect_error(&e))?;
    let setup = rows.last().map(|row| {
        (
            row.try_get::<Option<String>, _>(0),
            row.try_get::<Option<String>, _>(1),
            row.try_get::<Option<String>, _>(2),
        )
    });
    let Some((Ok(version), Ok(database), Ok(sql_mode))) = setup else {
        return Err(DriverError::Sql {
            message: "the server did not say which database this connection uses".to_owned(),
        });
    };
    let Some(database) = database.filter(|d| !d.is_empty()) else {
        return Err(DriverError::Rejected {
            message: format!(
                "the URL names no database on {}: add it to the path, as in \
                 mysql://user@host:3306/app",
                opts.host
            ),
        });
    };
    Ok(Mysql {
        conn,
        sql: Queries::new(&database, &table),
        table,
        database,
        mode: SqlMode::from_sql_mode(sql_mode.as_deref().unwrap_or_default()),
        mariadb: version.is_some_and(|v| v.contains("MariaDB")),
        host: opts.host,
        locked: false,
    })
}

/// Why TLS failed, when it did: sqlx's own refusal (no TLS on the server),
/// or rustls's (a certificate that does not verify), which reaches us as an
/// I/O error. Neither changes by trying again.
fn tls_failure(err: &sqlx::Error) -> Option<String> {
    match err {
        sqlx::Error::Tls(e) => Some(e.to_string()),
        sqlx::Error::Io(e) => e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(|e| format!("the server's certificate was refused: {e}")),
        _ => None,
    }
}

/// A failed connection attempt, sorted into retryable or not.
fn connect_error(err: &sqlx::Error) -> DriverError {
    let message = server_error(err, None).message;
    let retryable = match err {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => {
            // Too many connections (for everyone, or for this user); the
            // server shutting down.
            let number = db
                .try_downcast_ref::<MySqlDatabaseError>()
                .map(MySqlDatabaseError::number);
            matches!(number, Some(1040 | 1203 | 1053))
                || db.code().is_some_and(|c| c.starts_with("08"))
        }
        _ => false,
    };
    if retryable {
        DriverError::Unreachable { message }
    } else {
        DriverError::Rejected { message }
    }
}

/// The server's words, with its error number and SQLSTATE; for a syntax
/// error in `sent`, where in it the server stopped reading.
pub(super) fn server_error(err: &sqlx::Error, sent: Option<&str>) -> ServerError {
    let Some(db) = err.as_database_error() else {
        return ServerError::new(match err {
            sqlx::Error::Io(e) => format!("the connection to the server was lost: {e}"),
            other => other.to_string(),
        });
    };
    let number = db
        .try_downcast_ref::<MySqlDatabaseError>()
        .map(MySqlDatabaseError::number);
    let mut message = db.message().to_owned();
    match (number, db.code()) {
        (Some(n), Some(code)) => message.push_str(&format!(" (error {n}, SQLSTATE {code})")),
        (Some(n), None) => message.push_str(&format!(" (error {n})")),
        (None, Some(code)) => message.push_str(&format!(" (SQLSTATE {code})")),
        (None, None) => {}
    }
    let position = match (number, sent) {
        (Some(ER_PARSE_ERROR), Some(sent)) => queries::syntax_error_position(db.message(), sent),
        _ => None,
    };
    ServerError { message, position }
}

fn sql_error(err: &sqlx::Error) -> DriverError {
    server_error(err, None).into()
}

fn error_number(err: &sqlx::Error) -> Option<u16> {
    err.as_database_error()?
        .try_downcast_ref::<MySqlDatabaseError>()
        .map(MySqlDatabaseError::number)
}

/// The first statement's row of a batch, and what became of the rows read
/// after it.
struct Batch {
    first: Option<MySqlRow>,
    rows: Result<Vec<AppliedRow>, sqlx::Error>,
}

impl Mysql {
    /// Runs a fixed batch, a one-row `SELECT` (when `leading`) and then
    /// the applied-rows select: one exchange.
    async fn batch(&mut self, sql: String, leading: bool) -> Result<Batch, DriverError> {
        let mut stream = sqlx::raw_sql(AssertSqlSafe(sql)).fetch_many(&mut self.conn);
        let mut first = None;
        let mut ended = usize::from(!leading);
        let mut rows = Vec::new();
        loop {
            match stream.try_next().await {
                Ok(Some(Either::Left(_))) => ended += 1,
                Ok(Some(Either::Right(row))) if ended == 0 => first = Some(row),
                Ok(Some(Either::Right(row))) => match applied_row(&row) {
                    Ok(r) => rows.push(r),
                    Err(e) => {
                        return Ok(Batch {
                            first,
                            rows: Err(e),
                        });
                    }
                },
                Ok(None) => break,
                Err(e) if ended == 0 => return Err(sql_error(&e)),
                Err(e) => {
                    return Ok(Batch {
                        first,
                        rows: Err(e),
                    });
                }
            }
        }
        Ok(Batch {
            first,
            rows: Ok(super::trimmed(rows)),
        })
    }

    /// The rows as a batch read them: `None` when there is no version
    /// table; a table of another shape is refused naming its column.
    async fn settle_rows(
        &mut self,
        rows: Result<Vec<AppliedRow>, sqlx::Error>,
    ) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        match rows {
            Ok(rows) => Ok(Some(rows)),
            // Not there when read (another runner may create it meanwhile).
            Err(e) if error_number(&e) == Some(ER_NO_SUCH_TABLE) => Ok(None),
            Err(e) if self.checked_columns().await? => Err(sql_error(&e)),
            Err(_) => Ok(None),
        }
    }

    /// The rows alone (once the lock is held).
    async fn read_rows(&mut self) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        let batch = self.batch(self.sql.select_applied(), false).await?;
        self.settle_rows(batch.rows).await
    }

    /// Checks the version table's shape; false when it does not exist.
    async fn checked_columns(&mut self) -> Result<bool, DriverError> {
        let columns: Vec<(String, String)> = sqlx::query_as(queries::COLUMNS)
            .bind(&self.database)
            .bind(&self.table.name)
            .fetch_all(&mut self.conn)
            .await
            .map_err(|e| sql_error(&e))?;
        if columns.is_empty() {
            return Ok(false);
        }
        shape::check(Dialect::Mysql, &self.table.name, &columns)?;
        Ok(true)
    }

    async fn stamp(&mut self, rows: &[NewRow], purge: bool) -> Result<u64, sqlx::Error> {
        let mut tx = self.conn.begin().await?;
        if purge {
            sqlx::raw_sql(AssertSqlSafe(self.sql.purge.clone()))
                .execute(&mut *tx)
                .await?;
        }
        let present: HashSet<String> = sqlx::query_scalar(AssertSqlSafe(self.sql.ids.clone()))
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let mut seen = HashSet::new();
        let fresh: Vec<&NewRow> = rows
            .iter()
            .filter(|r| !present.contains(&r.revision) && seen.insert(r.revision.as_str()))
            .collect();
        for chunk in fresh.chunks(STAMP_CHUNK) {
            let mut insert = sqlx::query(AssertSqlSafe(self.sql.stamp(chunk.len())));
            for row in chunk {
                insert = insert
                    .bind(&row.revision)
                    .bind(row.parents_text())
                    .bind(&row.message)
                    .bind(&row.checksum)
                    .bind(&row.applied_by)
                    .bind(&row.method);
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(u64::try_from(fresh.len()).unwrap_or(u64::MAX))
    }

    async fn execute_id(&mut self, sql: &str, id: &str) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(AssertSqlSafe(sql.to_owned()))
            .bind(id)
            .execute(&mut self.conn)
            .await?;
        Ok(done.rows_affected())
    }
}

/// What the server allows, from the first two columns of a batch's first
/// row (`read_only`, `innodb_read_only`).
fn server_of(row: Option<&MySqlRow>) -> Server {
    let flag = |i: usize| {
        row.and_then(|r| r.try_get::<Option<String>, _>(i).ok())
            .flatten()
    };
    if queries::is_on(flag(0).as_deref()) || queries::is_on(flag(1).as_deref()) {
        Server::ReadOnly
    } else {
        Server::Writable
    }
}

fn applied_row(row: &MySqlRow) -> Result<AppliedRow, sqlx::Error> {
    let tuple = AppliedTuple::<bool>::from_row(row)?;
    Ok(super::applied_row(tuple, |d| d))
}

impl Driver for Mysql {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn version_table(&self) -> &VersionTable {
        &self.table
    }

    async fn read(&mut self) -> Result<Read, DriverError> {
        let batch = self.batch(self.sql.read(), true).await?;
        let server = server_of(batch.first.as_ref());
        Ok(Read {
            rows: self.settle_rows(batch.rows).await?,
            server,
            locked: self.locked,
        })
    }

    async fn begin_run(&mut self, timeout: Duration) -> Result<Read, DriverError> {
        // The settings, the lock (if free and the server writable) and the
        // rows in one exchange.
        let batch = self.batch(self.sql.begin_run(), true).await?;
        let server = server_of(batch.first.as_ref());
        if server != Server::Writable {
            return Err(DriverError::NotWritable {
                host: self.host.clone(),
                standby: false,
            });
        }
        let took = batch
            .first
            .as_ref()
            .and_then(|r| r.try_get::<Option<i64>, _>(2).ok())
            .flatten();
        let rows = if took == Some(1) {
            self.locked = true;
            self.settle_rows(batch.rows).await?
        } else {
            // Read before the lock was ours: read again once it is.
            self.wait_for_lock(timeout).await?;
            self.read_rows().await?
        };
        Ok(Read {
            rows,
            server,
            locked: true,
        })
    }

    async fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        if self.locked {
            return Ok(());
        }
        self.wait_for_lock(timeout).await
    }

    async fn unlock(&mut self) -> Result<(), DriverError> {
        self.release_lock().await
    }

    async fn alembic_heads(&mut self, table: &str) -> Result<Option<Vec<String>>, DriverError> {
        let sql = format!(
            "SELECT CAST(version_num AS CHAR) FROM {}",
            queries::qualified(&self.database, table)
        );
        match sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
            .fetch_all(&mut self.conn)
            .await
        {
            Ok(rows) => Ok(Some(rows)),
            Err(e) if error_number(&e) == Some(ER_NO_SUCH_TABLE) => Ok(None),
            Err(e) => Err(sql_error(&e)),
        }
    }

    async fn ensure_version_table(&mut self) -> Result<(), DriverError> {
        // An existing table is checked whole before anything is written to
        // it; creating one is safe under the run lock.
        if self.checked_columns().await? {
            return Ok(());
        }
        sqlx::raw_sql(AssertSqlSafe(self.sql.create.clone()))
            .execute(&mut self.conn)
            .await
            .map(|_| ())
            .map_err(|e| sql_error(&e))
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
        self.stamp(rows, purge).await.map_err(|e| sql_error(&e))
    }

    async fn delete_row(&mut self, id: &str) -> Result<bool, DriverError> {
        let sql = self.sql.delete.clone();
        Ok(self.execute_id(&sql, id).await.map_err(|e| sql_error(&e))? > 0)
    }

    async fn mark_applied(&mut self, id: &str, checksum: &str) -> Result<bool, DriverError> {
        // The connection counts matched rows (sqlx asks for
        // `CLIENT_FOUND_ROWS`), so a row already clean counts too.
        let done = sqlx::query(AssertSqlSafe(self.sql.mark_applied.clone()))
            .bind(checksum)
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map_err(|e| sql_error(&e))?;
        Ok(done.rows_affected() > 0)
    }

    async fn close(mut self) -> Result<(), DriverError> {
        // Closing ends the session, which releases the lock anyway; it is
        // released first all the same, so that it is never left behind.
        let unlocked = self.unlock().await;
        self.conn.close().await.map_err(|e| sql_error(&e))?;
        unlocked
    }
}
