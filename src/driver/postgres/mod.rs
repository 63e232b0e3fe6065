//! The PostgreSQL driver: one dedicated connection, the version table's
//! SQL, and a lock that cannot be stranded on a pooled server connection.
//!
//! I/O, through tokio-postgres. Every value is bound (extended protocol,
//! unnamed statements, so nothing outlives its transaction on a pooled
//! server connection); revision bodies travel as simple queries, run exactly
//! as written. tokio-postgres pipelines requests made together, which is how
//! a revision costs one round trip (`session.rs`).
//!
//! Locking works the same through a transaction pooler (PgBouncer,
//! Supavisor, a platform's pooled URL) as on a direct connection: every
//! write runs in a transaction that first takes `pg_advisory_xact_lock` of
//! the run lock's key (released at its end, whatever happens to the
//! connection) and then claims its revision by writing its version row, so
//! a revision another runner committed meanwhile is found, not run again.
//! Only a run with a `transaction off` revision needs the key as a session
//! lock, and takes it once `probe.rs` has found the connection to be a
//! session of its own.

pub(crate) mod catalog;
mod options;
mod probe;
mod queries;
mod session;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{TryStreamExt as _, future};
use tokio::task::JoinHandle;
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::{DriverError, ServerError, is_transient_sqlstate};
use super::render::{create_schema_sql, create_table_sql, table_name};
use super::{
    Applied, ApplyOptions, Dialect, Driver, LockKey, NewRow, Read, Server, StepError, VersionTable,
    apply, connect, shape,
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
    /// How to open another connection to the same place (the pooler probe).
    endpoint: Arc<Endpoint>,
    table: VersionTable,
    key: LockKey,
    sql: Box<Queries>,
    /// The session lock is held (see [`Driver::lock`]).
    locked: bool,
    /// How long a write waits for the lock (set by [`Driver::begin_run`]).
    lock_wait: Duration,
}

/// Where a connection goes: the settings, the TLS connector, and the host
/// as messages show it.
struct Endpoint {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    host: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("host", &self.host)
            .finish()
    }
}

impl Endpoint {
    async fn connect(&self) -> Result<(Client, JoinHandle<()>), DriverError> {
        let (client, connection) = self
            .config
            .connect(self.tls.clone())
            .await
            .map_err(|e| connect_error(&e))?;
        let connection = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("PostgreSQL connection ended: {e}");
            }
        });
        Ok((client, connection))
    }
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
    let endpoint = Arc::new(Endpoint {
        host: options::shown_host(&opts.config),
        config: opts.config,
        tls,
    });
    let at = &endpoint;
    let (client, connection) = connect::retry(wait, || async move { at.connect().await }).await?;
    let key = table.lock_key();
    Ok(Postgres {
        client,
        connection,
        endpoint,
        sql: Box::new(Queries::new(&table, &key)),
        key,
        table,
        locked: false,
        lock_wait: Duration::ZERO,
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

const NO_PARAMS: [(&(dyn ToSql + Sync), Type); 0] = [];

impl Postgres {
    /// Checks the version table's shape; false when it does not exist.
    async fn checked_columns(&mut self) -> Result<bool, DriverError> {
        let rows = self
            .client
            .query_typed(queries::COLUMNS, &[text(&self.sql.name)])
            .await
            .map_err(|e| sql_error(&e))?;
        self.shape_checked(&rows)
    }

    /// The shape check on the catalog's rows; false when there are none.
    fn shape_checked(&self, rows: &[Row]) -> Result<bool, DriverError> {
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
        let (high, low) = queries::key_halves(key);
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

    /// The error of a write that waited `waited` for the lock in vain.
    async fn lock_timeout(&mut self, waited: Duration) -> DriverError {
        DriverError::LockTimeout {
            waited,
            holder_hint: self.holder_hint().await,
        }
    }

    /// Runs `write` (bound statements) in a transaction that holds the run
    /// lock: one exchange.
    async fn locked_write(
        &mut self,
        before: &str,
        write: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, DriverError> {
        let start = std::time::Instant::now();
        let begin = format!("{}{before}", self.sql.begin_locked(self.lock_wait, None));
        let c = &self.client;
        let (opened, wrote, committed) = future::join3(
            c.batch_execute(&begin),
            c.execute_typed(write, params),
            c.batch_execute("COMMIT"),
        )
        .await;
        if let Err(e) = opened {
            return Err(if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                self.lock_timeout(start.elapsed()).await
            } else {
                sql_error(&e)
            });
        }
        let wrote = wrote.map_err(|e| sql_error(&e))?;
        committed.map_err(|e| sql_error(&e))?;
        Ok(wrote)
    }

    /// The rows, and what the server allows, in one round trip.
    async fn read_rows(&mut self) -> Result<Read, DriverError> {
        let (server, rows) = future::join(
            self.client.query_typed_one(queries::SERVER, &NO_PARAMS),
            select_applied(&self.client, &self.sql),
        )
        .await;
        let server = server.map_err(|e| sql_error(&e))?;
        let server = match (server.get::<_, bool>(0), server.get::<_, bool>(1)) {
            (true, _) => Server::Standby,
            (false, true) => Server::ReadOnly,
            (false, false) => Server::Writable,
        };
        // The usual case needs no catalog: a missing table, or one of
        // another shape, makes the select (or decoding it) fail, and only
        // then is the catalog read to say which. The whole shape is checked
        // before anything is written (`ensure_version_table`).
        let rows = match rows {
            Ok(rows) => Some(rows),
            // Not there when read (another runner may create it meanwhile).
            Err(failed) if failed.code() == Some(&SqlState::UNDEFINED_TABLE) => None,
            Err(failed) if self.checked_columns().await? => return Err(sql_error(&failed)),
            Err(_) => None,
        };
        Ok(Read {
            rows,
            server,
            locked: self.locked,
        })
    }
}

impl Driver for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn version_table(&self) -> &VersionTable {
        &self.table
    }

    async fn read(&mut self) -> Result<Read, DriverError> {
        self.read_rows().await
    }

    async fn begin_run(&mut self, timeout: Duration) -> Result<Read, DriverError> {
        self.lock_wait = timeout;
        let read = self.read_rows().await?;
        if read.server != Server::Writable {
            // Before any lock: a standby is asked nothing more.
            return Err(DriverError::NotWritable {
                host: self.endpoint.host.clone(),
                standby: read.server == Server::Standby,
            });
        }
        Ok(read)
    }

    async fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        self.lock_session(timeout).await
    }

    async fn unlock(&mut self) -> Result<(), DriverError> {
        self.unlock_session().await
    }

    async fn alembic_heads(&mut self, table: &str) -> Result<Option<Vec<String>>, DriverError> {
        let name = table_name(
            Dialect::Postgres,
            &VersionTable::new(self.table.schema.as_deref(), table),
        );
        let sql = format!("SELECT version_num::text FROM {name}");
        match self.client.query_typed(&sql, &NO_PARAMS).await {
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
        // reject the name, which changes nothing else. Sent with the shape
        // check: one round trip.
        let (_, columns) = future::join(
            self.client
                .batch_execute("SET client_connection_check_interval = 1000"),
            self.client
                .query_typed(queries::COLUMNS, &[text(&self.sql.name)]),
        )
        .await;
        // An existing table is checked whole here, before anything is written
        // (a read only needs the columns it selects).
        let columns = columns.map_err(|e| sql_error(&e))?;
        if self.shape_checked(&columns)? {
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
                // `CREATE SCHEMA IF NOT EXISTS` needs the right to create
                // schemas even when the schema exists.
                ddl.push_str(&create_schema_sql(&schema));
            }
        }
        ddl.push_str(&create_table_sql(Dialect::Postgres, &self.table));
        // Under the lock: two runners creating the table at once would
        // collide in the catalog.
        let c = &self.client;
        let begin = self.sql.begin_locked(self.lock_wait, None);
        let (opened, created, committed) = future::join3(
            c.batch_execute(&begin),
            c.batch_execute(&ddl),
            c.batch_execute("COMMIT"),
        )
        .await;
        if let Err(e) = opened {
            return Err(if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                self.lock_timeout(self.lock_wait).await
            } else {
                sql_error(&e)
            });
        }
        created.map_err(|e| sql_error(&e))?;
        committed.map_err(|e| sql_error(&e))
    }

    async fn apply(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        row: &NewRow,
        opts: &ApplyOptions,
    ) -> Result<Applied, StepError> {
        let opts = ApplyOptions {
            lock_wait: self.lock_wait,
            ..*opts
        };
        apply::apply(self, rev, sql, row, &opts).await
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
        let opts = ApplyOptions {
            lock_wait: self.lock_wait,
            ..*opts
        };
        apply::revert(self, rev, sql, &opts).await
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
        let before = if purge {
            format!(" {};", self.sql.purge)
        } else {
            String::new()
        };
        let stamp = self.sql.stamp.clone();
        self.locked_write(&before, &stamp, &arrays).await
    }

    async fn delete_row(&mut self, id: &str) -> Result<bool, DriverError> {
        let sql = self.sql.delete.clone();
        Ok(self.locked_write("", &sql, &[text(&id)]).await? > 0)
    }

    async fn mark_applied(&mut self, id: &str, checksum: &str) -> Result<bool, DriverError> {
        let sql = self.sql.mark_applied.clone();
        Ok(self
            .locked_write("", &sql, &[text(&id), text(&checksum)])
            .await?
            > 0)
    }

    async fn close(mut self) -> Result<(), DriverError> {
        // Closing ends the session, which releases a session lock anyway;
        // unlocking first is what a pooler's server connection would need.
        let unlocked = self.unlock_session().await;
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
    let stream = client
        .query_typed_raw(&sql.select_applied, NO_PARAMS)
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
