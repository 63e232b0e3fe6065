//! The PostgreSQL driver: one dedicated connection, a session advisory lock,
//! the version table's SQL.
//!
//! I/O, through tokio-postgres. Every value is bound (extended protocol,
//! unnamed statements, so nothing outlives its transaction on a pooled
//! server connection); revision bodies travel as simple queries, run exactly
//! as written. tokio-postgres pipelines requests made together, which is how
//! a revision costs one round trip: `BEGIN`, its body, its version row and
//! `COMMIT` are written at once and answered in order.

pub(crate) mod catalog;
mod options;
mod queries;
mod tls;

use std::time::{Duration, Instant};

use futures_util::{TryStreamExt as _, future};
use tokio::task::JoinHandle;
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};

use super::apply::{self, Bookkeeping, Session, Stage};
use super::error::{DriverError, ServerError, is_transient_sqlstate};
use super::render::{create_schema_sql, create_table_sql, table_name};
use super::{
    ApplyError, ApplyOptions, Backoff, Dialect, Driver, LockKey, NewRow, VersionTable, connect,
    shape,
};
use crate::revision::{Revision, Sql};
use crate::state::AppliedRow;
use queries::Queries;

/// A connection to one PostgreSQL database and its version table.
#[derive(Debug)]
pub struct Postgres {
    client: Client,
    /// The task that drives the socket; it ends when `client` is dropped.
    connection: JoinHandle<()>,
    table: VersionTable,
    key: LockKey,
    sql: Queries,
    locked: bool,
}

/// Connects to `url` (a `postgres://` URL), retrying unreachable servers
/// until `wait` has passed.
///
/// # Errors
/// [`DriverError::Unreachable`] after `wait`; [`DriverError::Rejected`] at
/// once for a bad URL, failed authentication, a missing database, TLS refusal.
pub async fn connect_postgres(
    url: &str,
    table: VersionTable,
    wait: Duration,
) -> Result<Postgres, DriverError> {
    let rejected = |message| DriverError::Rejected { message };
    let opts = options::parse(url).map_err(rejected)?;
    let tls = tls::connector(&opts.tls).map_err(rejected)?;
    let (config, tls) = (&opts.config, &tls);
    let (client, connection) = connect::retry(wait, || async move {
        config
            .connect(tls.clone())
            .await
            .map_err(|e| connect_error(&e))
    })
    .await?;
    let connection = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("PostgreSQL connection ended: {e}");
        }
    });
    let key = table.lock_key();
    Ok(Postgres {
        client,
        connection,
        sql: Queries::new(&table),
        key,
        table,
        locked: false,
    })
}

/// A failed connection attempt, sorted into retryable or not.
fn connect_error(err: &tokio_postgres::Error) -> DriverError {
    let message = server_error(err).message;
    let retryable = match err.as_db_error() {
        Some(db) => is_transient_sqlstate(db.code().code()),
        // Refused, reset, unresolvable (a container still starting).
        None => source_is_io(err),
    };
    if retryable {
        DriverError::Unreachable { message }
    } else {
        DriverError::Rejected { message }
    }
}

fn source_is_io(err: &tokio_postgres::Error) -> bool {
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// The server's words: message, detail, hint and SQLSTATE, and where in
/// the query it stopped.
fn server_error(err: &tokio_postgres::Error) -> ServerError {
    let Some(db) = err.as_db_error() else {
        return ServerError::new(err.to_string());
    };
    let mut message = db.message().to_owned();
    if let Some(detail) = db.detail() {
        message.push_str("\nDETAIL: ");
        message.push_str(detail);
    }
    if let Some(hint) = db.hint() {
        message.push_str("\nHINT: ");
        message.push_str(hint);
    }
    message.push_str(&format!(" (SQLSTATE {})", db.code().code()));
    let position = match db.position() {
        Some(ErrorPosition::Original(p)) => usize::try_from(*p).ok().and_then(|p| p.checked_sub(1)),
        _ => None,
    };
    ServerError { message, position }
}

fn sql_error(err: &tokio_postgres::Error) -> DriverError {
    server_error(err).into()
}

/// A bound text value (a `String` or a `&str`).
fn text<T: ToSql + Sync>(value: &T) -> (&(dyn ToSql + Sync), Type) {
    (value as &(dyn ToSql + Sync), Type::TEXT)
}

impl Postgres {
    /// After the select of the applied rows failed: `None` when the table
    /// does not exist, else the error, naming a missing or mistyped column
    /// when that is why.
    async fn failed_read(
        &mut self,
        failed: &tokio_postgres::Error,
    ) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        if self.checked_columns().await? {
            Err(sql_error(failed))
        } else {
            Ok(None)
        }
    }

    /// Checks the version table's shape; false when it does not exist.
    async fn checked_columns(&mut self) -> Result<bool, DriverError> {
        let rows = self
            .client
            .query_typed(queries::COLUMNS, &[text(&self.sql.name)])
            .await
            .map_err(|e| sql_error(&e))?;
        if rows.is_empty() {
            return Ok(false);
        }
        let columns: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
            .collect();
        shape::check(Dialect::Postgres, &self.sql.name, &columns)?;
        Ok(true)
    }

    /// Says who holds the lock, for a [`DriverError::LockTimeout`].
    async fn holder_hint(&mut self) -> String {
        let key = self.key.value();
        // pg_locks shows the key's high and low 32 bits as unsigned oids.
        let (high, low) = (i64::from((key >> 32) as u32), i64::from(key as u32));
        let holder = self
            .client
            .query_typed_opt(queries::HOLDER, &[(&high, Type::INT8), (&low, Type::INT8)])
            .await
            .ok()
            .flatten()
            .map(|r| {
                (
                    r.get::<_, i32>(0),
                    r.get::<_, String>(1),
                    r.get::<_, String>(2),
                    r.get::<_, String>(3),
                )
            });
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

    /// One try of the session lock.
    async fn try_lock(&mut self) -> Result<bool, DriverError> {
        let key = self.key.value();
        let row = self
            .client
            .query_typed_one(queries::TRY_LOCK, &[(&key, Type::INT8)])
            .await
            .map_err(|e| sql_error(&e))?;
        Ok(row.get(0))
    }

    async fn execute(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, ServerError> {
        self.client
            .execute_typed(sql, params)
            .await
            .map_err(|e| server_error(&e))
    }
}

impl Session for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn transaction(
        &mut self,
        body: &str,
        opts: &ApplyOptions,
        record: Bookkeeping<'_>,
    ) -> Result<(), Stage> {
        let mut begin = String::from("BEGIN;");
        for (name, limit) in limits(opts) {
            begin.push_str(&format!(" SET LOCAL {name} = {};", apply::millis(limit)));
        }
        let c = &self.client;
        let sql = &self.sql;
        // Polled in this order for the first time, so written in this order,
        // at once: one round trip. After a failure the server skips to the
        // end of each later message in the aborted transaction, and
        // `COMMIT` then rolls it back.
        let recorded = async move {
            match record {
                Bookkeeping::Insert(row) => {
                    let parents = row.parents_text();
                    c.execute_typed(
                        &sql.insert_timed,
                        &[
                            text(&row.revision),
                            text(&parents),
                            text(&row.message),
                            text(&row.checksum),
                            text(&row.applied_by),
                            text(&row.method),
                        ],
                    )
                    .await
                }
                Bookkeeping::Delete(id) => c.execute_typed(&sql.delete, &[text(&id)]).await,
            }
        };
        let (opened, ran, recorded, committed) = future::join4(
            c.batch_execute(&begin),
            c.batch_execute(body),
            recorded,
            c.batch_execute("COMMIT"),
        )
        .await;
        opened.map_err(|e| Stage::Open(server_error(&e)))?;
        ran.map_err(|e| Stage::Body(server_error(&e)))?;
        recorded.map_err(|e| Stage::Record(server_error(&e)))?;
        committed.map_err(|e| Stage::Commit(server_error(&e)))
    }

    async fn exec(&mut self, sql: &str) -> Result<(), ServerError> {
        self.client
            .batch_execute(sql)
            .await
            .map_err(|e| server_error(&e))
    }

    fn session_limits(&self, opts: &ApplyOptions) -> Option<(String, String)> {
        let (mut set, mut reset) = (String::new(), String::new());
        for (name, limit) in limits(opts) {
            set.push_str(&format!("SET {name} = {};\n", apply::millis(limit)));
            reset.push_str(&format!("RESET {name};\n"));
        }
        (!set.is_empty()).then_some((set, reset))
    }

    async fn insert_dirty(&mut self, row: &NewRow) -> Result<(), ServerError> {
        let parents = row.parents_text();
        let sql = self.sql.insert_dirty.clone();
        self.execute(
            &sql,
            &[
                text(&row.revision),
                text(&parents),
                text(&row.message),
                text(&row.checksum),
                text(&row.applied_by),
                text(&row.method),
            ],
        )
        .await
        .map(|_| ())
    }

    async fn finish_row(&mut self, id: &str, duration_ms: i64) -> Result<(), ServerError> {
        let sql = self.sql.finish.clone();
        self.execute(&sql, &[text(&id), (&duration_ms, Type::INT8)])
            .await
            .map(|_| ())
    }

    async fn delete_row(&mut self, id: &str) -> Result<u64, ServerError> {
        let sql = self.sql.delete.clone();
        self.execute(&sql, &[text(&id)]).await
    }

    async fn set_dirty(&mut self, id: &str) -> Result<(), ServerError> {
        let sql = self.sql.set_dirty.clone();
        self.execute(&sql, &[text(&id)]).await.map(|_| ())
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
            if self.try_lock().await? {
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
        let key = self.key.value();
        self.client
            .query_typed(queries::UNLOCK, &[(&key, Type::INT8)])
            .await
            .map_err(|e| sql_error(&e))?;
        self.locked = false;
        Ok(())
    }

    async fn read_applied(&mut self) -> Result<Option<Vec<AppliedRow>>, DriverError> {
        // The usual case in one round trip, without reading the catalog
        // first: a missing table, or one of another shape, makes this select
        // (or decoding its rows) fail, and only then is the catalog read to
        // say which. (The whole shape is checked before anything is
        // written; see `ensure_version_table`.)
        let read = select_applied(&self.client, &self.sql).await;
        match read {
            Ok(rows) => Ok(Some(rows)),
            Err(failed) => self.failed_read(&failed).await,
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
        // do). The read is thrown away when the lock is held elsewhere. A
        // session lock outlives the failure of the select after it.
        let key = self.key.value();
        let (got, read) = future::join(
            self.client
                .query_typed_one(queries::TRY_LOCK, &[(&key, Type::INT8)]),
            select_applied(&self.client, &self.sql),
        )
        .await;
        let got: bool = got.map_err(|e| sql_error(&e))?.get(0);
        if !got {
            self.lock(timeout).await?;
            return self.read_applied().await;
        }
        self.locked = true;
        match read {
            Ok(rows) => Ok(Some(rows)),
            Err(failed) => self.failed_read(&failed).await,
        }
    }

    async fn alembic_heads(&mut self, table: &str) -> Result<Option<Vec<String>>, DriverError> {
        let name = table_name(
            Dialect::Postgres,
            &VersionTable::new(self.table.schema.as_deref(), table),
        );
        let no_params: [(&(dyn ToSql + Sync), Type); 0] = [];
        let sql = format!("SELECT version_num::text FROM {name}");
        match self.client.query_typed(&sql, &no_params).await {
            Ok(rows) => Ok(Some(rows.iter().map(|r| r.get::<_, String>(0)).collect())),
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Ok(None),
            Err(e) => Err(sql_error(&e)),
        }
    }

    async fn ensure_version_table(&mut self) -> Result<(), DriverError> {
        // Called once before revisions run. If this process dies or is
        // interrupted mid-revision, the server should notice the closed
        // socket within a second, roll back and free the lock, instead of
        // finishing a long statement first. PostgreSQL 14+; older servers
        // reject the name, which changes nothing else.
        let _ = self
            .client
            .batch_execute("SET client_connection_check_interval = 1000")
            .await;
        // An existing table is checked whole here, before anything is written
        // (a read only needs the columns it selects).
        if self.checked_columns().await? {
            return Ok(());
        }
        let mut ddl = String::new();
        if let Some(schema) = self.table.schema.clone() {
            let quoted = super::quote_ident(&schema);
            let exists: bool = self
                .client
                .query_typed_one(queries::SCHEMA_EXISTS, &[text(&quoted)])
                .await
                .map_err(|e| sql_error(&e))?
                .get(0);
            if !exists {
                ddl.push_str(&create_schema_sql(&schema));
            }
        }
        ddl.push_str(&create_table_sql(Dialect::Postgres, &self.table));
        self.client
            .batch_execute(&ddl)
            .await
            .map_err(|e| sql_error(&e))
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
        let ids = column(|r| r.revision.clone());
        let parents = column(NewRow::parents_text);
        let messages = column(|r| r.message.clone());
        let checksums = column(|r| r.checksum.clone());
        let by = column(|r| r.applied_by.clone());
        let methods = column(|r| r.method.clone());
        let arrays: [(&(dyn ToSql + Sync), Type); 6] = [
            (&ids, Type::TEXT_ARRAY),
            (&parents, Type::TEXT_ARRAY),
            (&messages, Type::TEXT_ARRAY),
            (&checksums, Type::TEXT_ARRAY),
            (&by, Type::TEXT_ARRAY),
            (&methods, Type::TEXT_ARRAY),
        ];
        let c = &self.client;
        let begin = if purge {
            format!("BEGIN; {}", self.sql.purge)
        } else {
            "BEGIN".to_owned()
        };
        // One exchange, as for a revision.
        let (opened, inserted, committed) = future::join3(
            c.batch_execute(&begin),
            c.execute_typed(&self.sql.stamp, &arrays),
            c.batch_execute("COMMIT"),
        )
        .await;
        opened.map_err(|e| sql_error(&e))?;
        let inserted = inserted.map_err(|e| sql_error(&e))?;
        committed.map_err(|e| sql_error(&e))?;
        Ok(inserted)
    }

    async fn delete_row(&mut self, id: &str) -> Result<bool, DriverError> {
        let sql = self.sql.delete.clone();
        Ok(self.execute(&sql, &[text(&id)]).await? > 0)
    }

    async fn mark_applied(&mut self, id: &str, checksum: &str) -> Result<bool, DriverError> {
        let sql = self.sql.mark_applied.clone();
        Ok(self.execute(&sql, &[text(&id), text(&checksum)]).await? > 0)
    }

    async fn close(mut self) -> Result<(), DriverError> {
        // Closing ends the session, which releases the lock anyway; unlock
        // first so a pooler that keeps the server session cannot keep it.
        let unlocked = self.unlock().await;
        drop(self.client);
        // The connection task sends Terminate and closes the socket once
        // the client is gone.
        let _ = self.connection.await;
        unlocked
    }
}

/// The applied rows, decoded as they arrive.
async fn select_applied(
    client: &Client,
    sql: &Queries,
) -> Result<Vec<AppliedRow>, tokio_postgres::Error> {
    let no_params: [(&(dyn ToSql + Sync), Type); 0] = [];
    let stream = client
        .query_typed_raw(&sql.select_applied, no_params)
        .await?;
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(row) = stream.try_next().await? {
        out.push(applied_row(&row)?);
    }
    Ok(super::trimmed(out))
}

/// No casts in the select: a column of another type fails to decode here,
/// and the catalog then says which.
fn applied_row(row: &Row) -> Result<AppliedRow, tokio_postgres::Error> {
    let tuple = (
        row.try_get::<_, &str>(0)?,
        row.try_get::<_, &str>(1)?,
        row.try_get::<_, &str>(2)?,
        row.try_get::<_, &str>(3)?,
        row.try_get::<_, bool>(4)?,
    );
    Ok(super::applied_row(tuple, |d| d))
}
