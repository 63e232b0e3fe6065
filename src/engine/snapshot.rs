//! What a command reads first, and that reading checked against the graph.

use std::collections::BTreeSet;
use std::time::Duration;

use super::alembic::DEFAULT_TABLE;
use super::release;
use crate::driver::{Driver, Server};
use crate::graph::Graph;
use crate::revision::RevisionId;
use crate::state::{self, AppliedRow, AppliedState};

/// The version table as read, checked against the graph. Read-only.
pub(crate) struct Inspection {
    /// False when the version table does not exist yet.
    pub table_exists: bool,
    pub rows: Vec<AppliedRow>,
    pub state: AppliedState,
    /// Alembic's applied heads, read only when the version table does not
    /// exist: a database Alembic manages must be adopted, never rebuilt.
    pub alembic: Option<Vec<String>>,
    pub server: Server,
}

impl Inspection {
    /// The state of a database assumed to have exactly `applied` (and
    /// nothing wrong with it), for planning without connecting (`migrate
    /// sql --from`).
    pub(crate) fn assumed(graph: &Graph, applied: BTreeSet<RevisionId>) -> Self {
        let current = graph
            .applied_heads(&applied)
            .iter()
            .map(ToString::to_string)
            .collect();
        Self {
            table_exists: true,
            rows: Vec::new(),
            state: AppliedState {
                applied,
                current,
                issues: Vec::new(),
            },
            alembic: None,
            server: Server::Writable,
        }
    }

    /// True when Alembic manages this database and `migrate` does not yet:
    /// an `alembic_version` table with rows, and no version table.
    pub(crate) fn managed_by_alembic(&self) -> bool {
        !self.table_exists && self.alembic.as_ref().is_some_and(|rows| !rows.is_empty())
    }
}

/// The version table as read before the revision files were: what needs no
/// graph, so it can run while the files are still being read.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// Read for a writing run (the server was found writable).
    pub writing: bool,
    /// Whether the run lock is held (and must be released).
    pub locked: bool,
    /// `None` when the version table does not exist yet.
    pub rows: Option<Vec<AppliedRow>>,
    /// When it does not: the rows of `alembic_version`, if that table exists.
    pub alembic: Option<Vec<String>>,
    pub server: Server,
}

impl Snapshot {
    /// The rows checked against the graph.
    pub(crate) fn inspect(self, graph: &Graph) -> Inspection {
        let table_exists = self.rows.is_some();
        let rows = self.rows.unwrap_or_default();
        let state = state::analyse(graph, &rows);
        Inspection {
            table_exists,
            rows,
            state,
            alembic: self.alembic,
            server: self.server,
        }
    }
}

/// Reads the version table: for a writing run (`lock_timeout` given), as
/// its driver starts one (see `Driver::begin_run`: a lock first, where the
/// driver holds one per run; the server must be writable). On failure a
/// lock taken is released again.
pub(crate) async fn snapshot<D: Driver>(
    d: &mut D,
    db: &str,
    lock_timeout: Option<Duration>,
) -> anyhow::Result<Snapshot> {
    let read = match lock_timeout {
        Some(timeout) => d.begin_run(timeout).await,
        None => d.read().await,
    };
    // Only a database without a version table (a first run, or one that
    // Alembic manages) pays for the second read.
    let read = match read {
        Ok(read) if read.rows.is_none() => match d.alembic_heads(DEFAULT_TABLE).await {
            Ok(alembic) => Ok((read, alembic)),
            Err(e) => Err(e),
        },
        Ok(read) => Ok((read, None)),
        Err(e) => Err(e),
    };
    match read {
        Ok((read, alembic)) => Ok(Snapshot {
            writing: lock_timeout.is_some(),
            locked: read.locked,
            rows: read.rows,
            alembic,
            server: read.server,
        }),
        Err(e) => {
            if lock_timeout.is_some() {
                release(d, db).await;
            }
            Err(anyhow::Error::new(e).context(format!("database `{db}`")))
        }
    }
}

/// Reads the applied state of database `db` without taking the lock or
/// creating anything.
pub(crate) async fn inspect<D: Driver>(
    driver: &mut D,
    db: &str,
    graph: &Graph,
) -> anyhow::Result<Inspection> {
    Ok(snapshot(driver, db, None).await?.inspect(graph))
}
