//! What the commands that connect share: opening the right driver for a URL,
//! preparing every selected database before anything runs, and the settings
//! of a run.

use std::time::Duration;

use anyhow::Result;

use crate::config::{ResolvedUrl, UrlSource};
use crate::context::{Context, Project};
use crate::driver::{self, AnyDriver, ApplyOptions, Driver as _, VersionTable};
use crate::engine::{self, RunSettings, Snapshot};
use crate::exit::Fail;
use crate::graph::Graph;
use crate::url::DriverKind;

/// A database ready to connect: its graph is valid and its URL resolved.
pub(crate) struct Prepared {
    pub name: String,
    pub graph: Graph,
    pub url: ResolvedUrl,
    pub table: VersionTable,
}

impl Prepared {
    /// Opens a connection to this database (see [`connect`]).
    pub(crate) async fn connect(&self, wait: Duration, create: bool) -> Result<AnyDriver> {
        connect(&self.name, &self.url, &self.table, wait, create).await
    }
}

/// Resolves the URL of every named database and loads their graphs, so
/// that bad input anywhere stops the run before any database is touched.
pub(crate) fn prepare(ctx: &Context, project: &Project, names: &[String]) -> Result<Vec<Prepared>> {
    let endpoints = endpoints(ctx, project, names)?;
    Ok(with_graphs(endpoints, project.graphs(names)?))
}

/// What to do on a connection as soon as it is open, while the revision
/// files are still being read: the work that needs no graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Early {
    /// Only connect.
    Connect,
    /// Read the version table, without the lock (read-only commands).
    Read,
    /// Take the lock, waiting at most this long, then read the version table.
    LockAndRead(Duration),
}

/// An open connection, and what [`Early`] read on it.
pub(crate) struct Opened {
    pub conn: AnyDriver,
    pub snapshot: Option<Snapshot>,
}

/// A connection being opened in the background.
pub(crate) type Pending = tokio::task::JoinHandle<Result<Opened>>;

/// As [`prepare`], but every connection is opened, and its [`Early`] work
/// done, while the files are read: start-up then costs about the slower
/// of the two, not their sum. The handles come in the order of `names`.
/// Nothing here changes a database, so bad input found meanwhile still
/// stops the run untouched (a lock taken is released as the connection
/// closes).
pub(crate) fn prepare_connecting(
    ctx: &Context,
    project: &Project,
    names: &[String],
    wait: Duration,
    create: bool,
    early: impl Fn(&str) -> Early,
) -> Result<(Vec<Prepared>, Vec<Pending>)> {
    let endpoints = endpoints(ctx, project, names)?;
    let pending: Vec<Pending> = endpoints
        .iter()
        .map(|e| spawn_connect(&e.name, &e.url, &e.table, wait, create, early(&e.name)))
        .collect();
    match project.graphs(names) {
        Ok(graphs) => Ok((with_graphs(endpoints, graphs), pending)),
        Err(e) => {
            pending.iter().for_each(tokio::task::JoinHandle::abort);
            Err(e)
        }
    }
}

/// Starts opening a connection in the background (see [`connect`]), then
/// does the `early` work on it.
pub(crate) fn spawn_connect(
    name: &str,
    url: &ResolvedUrl,
    table: &VersionTable,
    wait: Duration,
    create: bool,
    early: Early,
) -> Pending {
    let (name, url, table) = (name.to_owned(), url.clone(), table.clone());
    tokio::spawn(async move {
        let mut conn = connect(&name, &url, &table, wait, create).await?;
        let lock = match early {
            Early::Connect => {
                return Ok(Opened {
                    conn,
                    snapshot: None,
                });
            }
            Early::Read => None,
            Early::LockAndRead(timeout) => Some(timeout),
        };
        match engine::snapshot(&mut conn, &name, lock).await {
            Ok(snapshot) => Ok(Opened {
                conn,
                snapshot: Some(snapshot),
            }),
            Err(e) => {
                let _ = conn.close().await;
                Err(e)
            }
        }
    })
}

/// Waits for a connection opened by [`prepare_connecting`].
pub(crate) async fn opened(pending: Pending) -> Result<Opened> {
    pending
        .await
        .map_err(|e| anyhow::anyhow!("the connection task stopped: {e}"))?
}

/// Where a database is: what [`Prepared`] holds besides the graph.
struct Endpoint {
    name: String,
    url: ResolvedUrl,
    table: VersionTable,
}

/// Each database's URL (with `--strict` applied) and version table; two
/// databases on the same URL and version table are an error.
fn endpoints(ctx: &Context, project: &Project, names: &[String]) -> Result<Vec<Endpoint>> {
    let mut out = Vec::new();
    let mut configs = Vec::new();
    for name in names {
        let db = project.database(name)?;
        let url = project.url(name, ctx.strict, &ctx.printer)?;
        ctx.printer.add_secret(&url.url);
        configs.push(db);
        out.push(Endpoint {
            name: name.clone(),
            table: VersionTable::new(db.schema.as_deref(), &db.version_table),
            url,
        });
    }
    let pairs: Vec<_> = out
        .iter()
        .zip(configs)
        .map(|(e, db)| (e.name.as_str(), &e.url, db))
        .collect();
    crate::config::check_distinct(&pairs)?;
    Ok(out)
}

/// The endpoints with their graphs, in the same order.
fn with_graphs(endpoints: Vec<Endpoint>, graphs: Vec<Graph>) -> Vec<Prepared> {
    endpoints
        .into_iter()
        .zip(graphs)
        .map(|(e, graph)| Prepared {
            name: e.name,
            graph,
            url: e.url,
            table: e.table,
        })
        .collect()
}

/// Connects, retrying an unreachable server until `wait` has passed.
/// `create == false` never creates a SQLite file (read-only commands).
/// Passwords in driver messages are scrubbed by the printer, which knows
/// every URL of the run.
pub(crate) async fn connect(
    name: &str,
    resolved: &ResolvedUrl,
    table: &VersionTable,
    wait: Duration,
    create: bool,
) -> Result<AnyDriver> {
    let url = &resolved.url;
    if url.kind() == DriverKind::Mysql {
        return Err(Fail::bad_input(format!(
            "database `{name}`: MySQL/MariaDB URLs are recognised but not supported by this version of migrate"
        ))
        .hint("use a PostgreSQL or SQLite database for now; see \"Databases\" in the README")
        .into());
    }
    if url.kind() == DriverKind::Sqlite {
        sqlite_folder(name, resolved, create)?;
    }
    driver::connect(url.connect_url(), table.clone(), wait, create)
        .await
        .map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "database `{name}`: cannot connect to {}",
                url.redacted()
            ))
        })
}

/// Runs `body` on an open connection, then closes it (which also ends any
/// session lock the body left behind).
pub(crate) async fn session<T>(
    mut conn: AnyDriver,
    body: impl AsyncFnOnce(&mut AnyDriver) -> T,
) -> T {
    let out = body(&mut conn).await;
    close_all(vec![conn]).await;
    out
}

/// Closes connections that are done, all at once (which also ends any
/// session lock left behind).
pub(crate) async fn close_all(conns: Vec<AnyDriver>) {
    for closed in futures_util::future::join_all(conns.into_iter().map(AnyDriver::close)).await {
        if let Err(e) = closed {
            tracing::debug!("closing a connection failed: {e}");
        }
    }
}

/// Makes sure a SQLite file can be created: the `.migrate/` folder of a
/// `default_url` is local state and is made on demand (a fresh clone lacks
/// it); for a URL from the environment a missing folder is an error, since
/// the application would not find the file either.
fn sqlite_folder(name: &str, resolved: &ResolvedUrl, create: bool) -> Result<()> {
    let url = &resolved.url;
    let folder = url.sqlite_path().and_then(std::path::Path::parent);
    match (&resolved.source, folder) {
        (UrlSource::Default { .. }, Some(folder)) if create => std::fs::create_dir_all(folder)
            .map_err(|e| {
                anyhow::anyhow!(
                    "database `{name}`: cannot create `{}`: {e}",
                    folder.display()
                )
            }),
        // Read-only commands treat a default database not made yet as empty.
        (UrlSource::Default { .. }, _) => Ok(()),
        (UrlSource::Primary { var } | UrlSource::Fallback { used: var, .. }, _) => {
            url.check_sqlite_folder().map_err(|e| {
                anyhow::Error::new(e).context(format!(
                    "database `{name}`: the URL in `{var}` is not usable"
                ))
            })
        }
    }
}

/// The settings every database of this run shares.
pub(crate) fn run_settings(ctx: &Context, project: &Project) -> RunSettings {
    let s = &project.config.settings;
    RunSettings {
        lock_timeout: s.lock_timeout,
        apply: ApplyOptions {
            lock_timeout: s.ddl_lock_timeout,
            statement_timeout: s.statement_timeout,
        },
        strict: ctx.strict,
        applied_by: applied_by(),
        files: project.config.dir.clone(),
    }
}

/// `migrate 0.1.0 deploy@web-1`
fn applied_by() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    format!("migrate {} {user}@{host}", env!("CARGO_PKG_VERSION"))
}

/// `--wait` when given, else `settings.wait`.
pub(crate) fn wait(project: &Project, flag: Option<Duration>) -> Duration {
    flag.unwrap_or(project.config.settings.wait)
}
