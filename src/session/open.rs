//! Opening connections: the driver for a URL, the work done on a
//! connection as soon as it is open, and closing.

use std::time::Duration;

use anyhow::Result;

use super::{Endpoint, Prepared, endpoints, with_graphs};
use crate::config::{ResolvedUrl, UrlSource};
use crate::context::{Context, Project};
use crate::driver::{self, AnyDriver, Driver as _, VersionTable};
use crate::engine::{self, Snapshot};
use crate::exit::Internal;

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

/// A connection being opened in the background, with its [`Early`] work.
pub(crate) struct Connecting(tokio::task::JoinHandle<Result<Opened>>);

impl Connecting {
    pub(super) fn start(at: Endpoint, wait: Duration, create: bool, early: Early) -> Self {
        Self(tokio::spawn(async move {
            crate::panics::planted("task");
            let mut conn = connect(&at.name, &at.url, &at.table, wait, create).await?;
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
            match engine::snapshot(&mut conn, &at.name, lock).await {
                Ok(snapshot) => Ok(Opened {
                    conn,
                    snapshot: Some(snapshot),
                }),
                Err(e) => {
                    let _ = conn.close().await;
                    Err(e)
                }
            }
        }))
    }

    /// Waits for the connection. A panic in its task goes on in this
    /// thread: it is a bug, and ends the run with the panic's exit code.
    pub(crate) async fn opened(self) -> Result<Opened> {
        match self.0.await {
            Ok(opened) => opened,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Internal::new(format!("a connection task was cancelled: {e}")).into()),
        }
    }

    fn abort(&self) {
        self.0.abort();
    }
}

/// As [`super::prepare`], but every connection is opened, and its [`Early`]
/// work done, while the files are read: start-up then costs about the
/// slower of the two, not their sum. The connections come in the order of
/// `names`. Nothing here changes a database, so bad input found meanwhile
/// still stops the run untouched (a lock taken is released as the
/// connection closes).
pub(crate) fn prepare_connecting(
    ctx: &Context,
    project: &Project,
    names: &[String],
    wait: Duration,
    create: bool,
    early: impl Fn(&str) -> Early,
) -> Result<(Vec<Prepared>, Vec<Connecting>)> {
    let endpoints = endpoints(ctx, project, names)?;
    let connecting: Vec<Connecting> = endpoints
        .iter()
        .map(|e| Connecting::start(e.clone(), wait, create, early(&e.name)))
        .collect();
    match project.graphs(names) {
        Ok(graphs) => Ok((with_graphs(endpoints, graphs), connecting)),
        Err(e) => {
            connecting.iter().for_each(Connecting::abort);
            Err(e)
        }
    }
}

/// Connects, retrying an unreachable server until `wait` has passed.
/// `create == false` never creates a SQLite file (read-only commands).
/// Passwords in driver messages are scrubbed by the printer, which knows
/// every URL of the run.
pub(super) async fn connect(
    name: &str,
    resolved: &ResolvedUrl,
    table: &VersionTable,
    wait: Duration,
    create: bool,
) -> Result<AnyDriver> {
    let url = &resolved.url;
    if url.sqlite_path().is_some() {
        sqlite_folder(name, resolved, create)?;
    }
    driver::connect(url, table.clone(), wait, create)
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
pub(crate) async fn with_connection<T>(
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
        (
            UrlSource::Primary { var }
            | UrlSource::Direct { var }
            | UrlSource::Fallback { used: var, .. },
            _,
        ) => url.check_sqlite_folder().map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "database `{name}`: the URL in `{var}` is not usable"
            ))
        }),
    }
}
