//! The PostgreSQL driver: one dedicated connection, a session advisory lock,
//! the version table's SQL.
//!
//! I/O. Statements naming the version table are built once per connection
//! (the name is quoted by [`quote_ident`](super::quote_ident)); every value
//! is bound, so they are prepared once and reused from sqlx's statement cache.

use std::str::FromStr;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use sqlx::postgres::{PgConnectOptions, PgDatabaseError, PgErrorPosition};
use sqlx::{AssertSqlSafe, Connection, FromRow as _, PgConnection, Row as _, SqlSafeStr, SqlStr};

use super::apply::{self, Bookkeeping, Session, millis};
use super::error::{self, DriverError};
use super::render::{
    INSERT_COLUMNS, create_schema_sql, create_table_sql, delete_row_sql, insert_row_sql, table_name,
};
use super::{
    AppliedTuple, ApplyError, ApplyOptions, Backoff, Dialect, Driver, LockKey, NewRow, RowTuple,
    VersionRow, VersionTable, applied_row, connect, shape, version_row,
};
use crate::revision::{Revision, Sql};
use crate::state::AppliedRow;

/// The version table's columns and their catalog type names.
const COLUMNS_SQL: &str = "SELECT a.attname::text, t.typname::text \
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
    WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped";

/// Who holds an advisory lock: `pg_locks` splits the 64-bit key in two.
const HOLDER_SQL: &str = "SELECT l.pid, coalesce(a.application_name, ''), \
    coalesce(a.usename::text, ''), coalesce(a.client_addr::text, 'local socket') \
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
    AND l.classid::bigint = $1 AND l.objid::bigint = $2 LIMIT 1";

/// A connection to one PostgreSQL database and its version table.
#[derive(Debug)]
pub struct Postgres {
    conn: PgConnection,
    table: VersionTable,
    key: LockKey,
    sql: Queries,
    locked: bool,
}

/// Statements naming the version table, built once.
#[derive(Debug)]
struct Queries {
    name: String,
    insert: SqlStr,
    finish: SqlStr,
    delete: SqlStr,
    set_dirty: SqlStr,
    mark_applied: SqlStr,
    purge: SqlStr,
    stamp: SqlStr,
    select_applied: SqlStr,
    try_lock: SqlStr,
    /// `try_lock` and `select_applied` in one message: one round trip.
    lock_and_select: SqlStr,
    unlock: SqlStr,
}

impl Queries {
    fn new(table: &VersionTable, key: &LockKey) -> Self {
        let t = table_name(Dialect::Postgres, table);
        let key = key.value();
        let sql = |s: String| AssertSqlSafe(s).into_sql_str();
        let select_applied = format!(
            "SELECT revision, coalesce(parents, ''), coalesce(checksum, ''), \
             coalesce(method, ''), coalesce(dirty, false) FROM {t}"
        );
        let try_lock = format!("SELECT pg_try_advisory_lock({key})");
        Self {
            insert: sql(format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            )),
            finish: sql(format!(
                "UPDATE {t} SET dirty = false, duration_ms = $2 WHERE revision = $1"
            )),
            delete: sql(format!("DELETE FROM {t} WHERE revision = $1")),
            set_dirty: sql(format!("UPDATE {t} SET dirty = true WHERE revision = $1")),
            mark_applied: sql(format!(
                "UPDATE {t} SET dirty = false, checksum = $2 WHERE revision = $1"
            )),
            purge: sql(format!("DELETE FROM {t}")),
            // One statement for any number of rows: arrays, unnested.
            stamp: sql(format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) SELECT r, p, m, c, 0, b, k, false \
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
                 AS u(r, p, m, c, b, k) ON CONFLICT (revision) DO NOTHING"
            )),
            // No ORDER BY: the engine keys rows by id, and sorting by
            // `revision` under the database's collation costs more than the
            // rest of the read.
            // No casts either: a column of another type must fail to decode.
            select_applied: sql(select_applied.clone()),
            try_lock: sql(try_lock.clone()),
            lock_and_select: sql(format!("{try_lock}; {select_applied}")),
            unlock: sql(format!("SELECT pg_advisory_unlock({key})")),
            name: t,
        }
    }

    /// The rows, with `applied_at` as UTC text whatever the session time zone.
    fn select(&self, applied_at_type: &str) -> SqlStr {
        let applied = if applied_at_type == "timestamptz" {
            "applied_at AT TIME ZONE 'UTC'"
        } else {
            "applied_at"
        };
        AssertSqlSafe(format!(
            "SELECT revision::text, coalesce(parents::text, ''), coalesce(message::text, ''), \
             coalesce(checksum::text, ''), \
             coalesce(to_char({applied}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), ''), \
             coalesce(duration_ms, 0)::int8, coalesce(applied_by::text, ''), \
             coalesce(method::text, ''), coalesce(dirty, false) \
             FROM {} ORDER BY applied_at, revision",
            self.name
        ))
        .into_sql_str()
    }
}

/// Connects to `url` (a sqlx `postgres://` URL), retrying unreachable
/// servers until `wait` has passed.
///
/// # Errors
/// [`DriverError::Unreachable`] after `wait`; [`DriverError::Rejected`] at
/// once for a bad URL, failed authentication, a missing database, TLS refusal.
pub async fn connect_postgres(
    url: &str,
    table: VersionTable,
    wait: Duration,
) -> Result<Postgres, DriverError> {
    let mut options = PgConnectOptions::from_str(url).map_err(|e| DriverError::Rejected {
        message: error::message(&e),
    })?;
    if options.get_application_name().is_none() {
        // So that an operator looking at `pg_stat_activity` sees who holds the lock.
        options = options.application_name("migrate");
    }
    let options = &options;
    let conn = connect::retry(wait, || async move {
        PgConnection::connect_with(options)
            .await
            .map_err(|e| error::connect(&e))
    })
    .await?;
    let key = table.lock_key();
    Ok(Postgres {
        conn,
        sql: Queries::new(&table, &key),
        key,
        table,
        locked: false,
    })
}

impl Postgres {
    /// The version table's (column, type) pairs; empty when it does not exist.
    /// After the select of the applied rows failed: `None` when the table
    /// does not exist, else the error, naming a missing or mistyped column
    /// when that is why.
    async fn failed_read(
        &mut self,
        failed: sqlx::Error,
    ) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        match self.checked_columns().await? {
            None => Ok(None),
            Some(_) => Err(error::sql(&failed)),
        }
    }

    /// Checks the version table's shape; `None` when it does not exist,
    /// else the type of `applied_at`.
    async fn checked_columns(&mut self) -> Result<Option<String>, DriverError> {
        let columns = self.columns().await?;
        if columns.is_empty() {
            return Ok(None);
        }
        shape::check(Dialect::Postgres, &self.sql.name, &columns)?;
        Ok(Some(
            columns
                .into_iter()
                .find(|(c, _)| c == "applied_at")
                .map_or_else(String::new, |(_, t)| t),
        ))
    }

    async fn columns(&mut self) -> Result<Vec<(String, String)>, DriverError> {
        sqlx::query_as(COLUMNS_SQL)
            .bind(&self.sql.name)
            .fetch_all(&mut self.conn)
            .await
            .map_err(|e| error::sql(&e))
    }

    /// Says who holds the lock, for a [`DriverError::LockTimeout`].
    async fn holder_hint(&mut self) -> String {
        let key = self.key.value();
        // pg_locks shows the key's high and low 32 bits as unsigned oids.
        let (high, low) = (i64::from((key >> 32) as u32), i64::from(key as u32));
        let holder: Option<(i32, String, String, String)> = sqlx::query_as(HOLDER_SQL)
            .bind(high)
            .bind(low)
            .fetch_optional(&mut self.conn)
            .await
            .ok()
            .flatten();
        match holder {
            Some((pid, app, user, from)) => format!(
                "the lock `pg_advisory_lock({key})` is held by server process {pid} \
                 (application `{app}`, user `{user}`, from {from}); it is released when that \
                 session ends; if that run is stuck, end it with `SELECT pg_terminate_backend({pid})`"
            ),
            None => format!(
                "the lock `pg_advisory_lock({key})` was held by another session; find it with \
                 `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = {high} AND objid = {low}`"
            ),
        }
    }

    async fn execute(&mut self, sql: SqlStr, id: &str) -> Result<u64, DriverError> {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| error::sql(&e))
    }
}

impl Session for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn exec(&mut self, sql: String) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    async fn exec_counted(&mut self, sql: String) -> Result<(), (usize, sqlx::Error)> {
        apply::exec_counted(sqlx::raw_sql(AssertSqlSafe(sql)).execute_many(&mut self.conn)).await
    }

    fn bookkeeping_sql(&self, bookkeeping: &Bookkeeping<'_>, duration_ms: i64) -> Option<String> {
        Some(match bookkeeping {
            Bookkeeping::Insert(row) => {
                insert_row_sql(Dialect::Postgres, &self.table, row, duration_ms)
            }
            Bookkeeping::Delete(id) => delete_row_sql(Dialect::Postgres, &self.table, id),
        })
    }

    fn begin_sql(&self, opts: &ApplyOptions) -> String {
        let mut sql = String::from("BEGIN;\n");
        for (name, limit) in limits(opts) {
            sql.push_str(&format!("SET LOCAL {name} = {};\n", millis(limit)));
        }
        sql
    }

    fn session_limits(&self, opts: &ApplyOptions) -> Option<(String, String)> {
        let (mut set, mut reset) = (String::new(), String::new());
        for (name, limit) in limits(opts) {
            set.push_str(&format!("SET {name} = {};\n", millis(limit)));
            reset.push_str(&format!("RESET {name};\n"));
        }
        (!set.is_empty()).then_some((set, reset))
    }

    async fn insert_row(
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
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    async fn finish_row(&mut self, id: &str, duration_ms: i64) -> Result<(), sqlx::Error> {
        sqlx::query(self.sql.finish.clone())
            .bind(id)
            .bind(duration_ms)
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    async fn delete_row(&mut self, id: &str) -> Result<u64, sqlx::Error> {
        let r = sqlx::query(self.sql.delete.clone())
            .bind(id)
            .execute(&mut self.conn)
            .await?;
        Ok(r.rows_affected())
    }

    async fn set_dirty(&mut self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query(self.sql.set_dirty.clone())
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    fn error_position(&self, err: &sqlx::Error) -> Option<usize> {
        let pg = err
            .as_database_error()?
            .try_downcast_ref::<PgDatabaseError>()?;
        match pg.position()? {
            PgErrorPosition::Original(p) => p.checked_sub(1),
            PgErrorPosition::Internal { .. } => None,
        }
    }
}

/// The limits set, by PostgreSQL setting name.
fn limits(opts: &ApplyOptions) -> impl Iterator<Item = (&'static str, Duration)> {
    [
        ("lock_timeout", opts.lock_timeout),
        ("statement_timeout", opts.statement_timeout),
    ]
    .into_iter()
    .filter_map(|(name, limit)| limit.map(|l| (name, l)))
}

impl Driver for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn version_table(&self) -> &VersionTable {
        &self.table
    }

    async fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        if self.locked {
            return Ok(());
        }
        let start = Instant::now();
        let mut backoff = Backoff::lock_polling();
        loop {
            // The simple protocol: one round trip, where a bound query takes two.
            let got: bool = sqlx::raw_sql(self.sql.try_lock.clone())
                .fetch_one(&mut self.conn)
                .await
                .and_then(|row| row.try_get(0))
                .map_err(|e| error::sql(&e))?;
            if got {
                self.locked = true;
                return Ok(());
            }
            match backoff.delay(start + timeout) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => {
                    return Err(DriverError::LockTimeout {
                        waited: start.elapsed(),
                        holder_hint: self.holder_hint().await,
                    });
                }
            }
        }
    }

    async fn unlock(&mut self) -> Result<(), DriverError> {
        if !self.locked {
            return Ok(());
        }
        sqlx::raw_sql(self.sql.unlock.clone())
            .execute(&mut self.conn)
            .await
            .map_err(|e| error::sql(&e))?;
        self.locked = false;
        Ok(())
    }

    async fn read_versions(&mut self) -> Result<Option<Vec<VersionRow>>, DriverError> {
        let Some(applied_at_type) = self.checked_columns().await? else {
            return Ok(None);
        };
        let rows: Vec<RowTuple<bool>> = sqlx::query_as(self.sql.select(&applied_at_type))
            .fetch_all(&mut self.conn)
            .await
            .map_err(|e| error::sql(&e))?;
        Ok(Some(
            rows.into_iter().map(|r| version_row(r, |d| d)).collect(),
        ))
    }

    async fn read_applied(&mut self) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        // The usual case in one round trip, without reading the catalog
        // first: a missing table, or one of another shape, makes this select
        // (or decoding its rows) fail, and only then is the catalog read to
        // say which. (The whole shape is checked before anything is
        // written; see `ensure_version_table`.)
        let stream = sqlx::raw_sql(self.sql.select_applied.clone()).fetch(&mut self.conn);
        match decode_applied(stream).await {
            Ok(rows) => Ok(Some(rows)),
            Err(failed) => self.failed_read(failed).await,
        }
    }

    async fn lock_and_read_applied(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        if self.locked {
            return self.read_applied().await;
        }
        // The lock is usually free: try it and read in one round trip (on a
        // distant server, a round trip is most of a start-up with nothing to
        // do). The read runs even when the lock is held elsewhere, and is
        // then thrown away. A session lock outlives the failure of the
        // select after it.
        let read = {
            let mut stream = sqlx::raw_sql(self.sql.lock_and_select.clone()).fetch(&mut self.conn);
            let got: bool = match stream.try_next().await {
                Ok(Some(row)) => row.try_get(0).map_err(|e| error::sql(&e))?,
                Ok(None) => return Err(error::sql(&sqlx::Error::RowNotFound)),
                Err(e) => return Err(error::sql(&e)),
            };
            if got {
                Some(decode_applied(stream).await)
            } else {
                // Read to its end, or to the select's error (no table yet),
                // which would otherwise surface on the next query.
                while let Ok(Some(_)) = stream.try_next().await {}
                None
            }
        };
        match read {
            Some(read) => {
                self.locked = true;
                match read {
                    Ok(rows) => Ok(Some(rows)),
                    Err(failed) => self.failed_read(failed).await,
                }
            }
            None => {
                self.lock(timeout).await?;
                self.read_applied().await
            }
        }
    }

    async fn ensure_version_table(&mut self) -> Result<(), DriverError> {
        // Called once before revisions run. If this process dies or is
        // interrupted mid-revision, the server should notice the closed
        // socket within a second, roll back and free the lock, instead of
        // finishing a long statement first. PostgreSQL 14+; older servers
        // reject the name, which changes nothing else.
        let _ = sqlx::raw_sql("SET client_connection_check_interval = 1000")
            .execute(&mut self.conn)
            .await;
        // An existing table is checked whole here, before anything is written
        // (a read only needs the columns it selects).
        if self.checked_columns().await?.is_some() {
            return Ok(());
        }
        let mut ddl = String::new();
        if let Some(schema) = self.table.schema.clone() {
            let exists: bool = sqlx::query_scalar("SELECT to_regnamespace($1) IS NOT NULL")
                .bind(super::quote_ident(&schema))
                .fetch_one(&mut self.conn)
                .await
                .map_err(|e| error::sql(&e))?;
            if !exists {
                ddl.push_str(&create_schema_sql(&schema));
            }
        }
        ddl.push_str(&create_table_sql(Dialect::Postgres, &self.table));
        sqlx::raw_sql(AssertSqlSafe(ddl))
            .execute(&mut self.conn)
            .await
            .map(|_| ())
            .map_err(|e| error::sql(&e))
    }

    async fn apply(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        row: &NewRow,
        opts: &ApplyOptions,
    ) -> Result<Duration, ApplyError> {
        apply::apply(self, rev, sql, row, opts).await
    }

    async fn revert(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        opts: &ApplyOptions,
    ) -> Result<Duration, ApplyError> {
        apply::revert(self, rev, sql, opts).await
    }

    async fn insert_rows(&mut self, rows: &[NewRow], purge: bool) -> Result<u64, DriverError> {
        let column = |f: fn(&NewRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
        let mut tx = self.conn.begin().await.map_err(|e| error::sql(&e))?;
        if purge {
            sqlx::query(self.sql.purge.clone())
                .execute(&mut *tx)
                .await
                .map_err(|e| error::sql(&e))?;
        }
        let inserted = sqlx::query(self.sql.stamp.clone())
            .bind(column(|r| r.revision.clone()))
            .bind(column(NewRow::parents_text))
            .bind(column(|r| r.message.clone()))
            .bind(column(|r| r.checksum.clone()))
            .bind(column(|r| r.applied_by.clone()))
            .bind(column(|r| r.method.clone()))
            .execute(&mut *tx)
            .await
            .map_err(|e| error::sql(&e))?
            .rows_affected();
        tx.commit().await.map_err(|e| error::sql(&e))?;
        Ok(inserted)
    }

    async fn delete_row(&mut self, id: &str) -> Result<bool, DriverError> {
        let sql = self.sql.delete.clone();
        Ok(self.execute(sql, id).await? > 0)
    }

    async fn mark_applied(&mut self, id: &str, checksum: &str) -> Result<bool, DriverError> {
        let changed = sqlx::query(self.sql.mark_applied.clone())
            .bind(id)
            .bind(checksum)
            .execute(&mut self.conn)
            .await
            .map_err(|e| error::sql(&e))?;
        Ok(changed.rows_affected() > 0)
    }

    async fn close(mut self) -> Result<(), DriverError> {
        // Closing ends the session, which releases the lock anyway; unlock
        // first so a pooler that keeps the server session cannot keep it.
        let unlocked = self.unlock().await;
        self.conn.close().await.map_err(|e| error::sql(&e))?;
        unlocked
    }
}

/// The rows of the applied-rows select, decoded as they arrive.
async fn decode_applied(
    mut rows: impl futures_util::Stream<Item = Result<sqlx::postgres::PgRow, sqlx::Error>> + Unpin,
) -> Result<Vec<AppliedRow>, sqlx::Error> {
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(applied_row(AppliedTuple::<bool>::from_row(&row)?, |d| d));
    }
    Ok(super::trimmed(out))
}
