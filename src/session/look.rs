//! Read-only looks at databases: the version table read without the lock,
//! checked against the graph (`status`, `current`, `verify`, `check
//! --online`, `history --applied`, `sql`).

use std::time::Duration;

use anyhow::Result;
use futures_util::future::join_all;

use super::Prepared;
use super::open::{Connecting, Early, prepare_connecting, with_connection};
use crate::context::{Context, Project};
use crate::engine::{self, Inspection};
use crate::graph::target::Resolved;
use crate::plan;
use crate::revision::RevisionId;

/// One database, inspected (or the error that prevented it).
pub(crate) struct Looked<'p> {
    pub(crate) db: &'p Prepared,
    pub(crate) result: Result<Inspection>,
}

impl Looked<'_> {
    /// Revisions in the files that are not applied, in apply order.
    pub(crate) fn pending(&self) -> Vec<RevisionId> {
        let Ok(insp) = &self.result else {
            return Vec::new();
        };
        let heads = Resolved::Revisions(self.db.graph.heads());
        plan::up(&self.db.graph, &insp.state.applied, &heads).steps
    }
}

/// Prepares the named databases and reads their state, read-only, while
/// their files are read.
pub(crate) fn prepare_read(
    ctx: &Context,
    project: &Project,
    names: &[String],
    wait: Duration,
) -> Result<(Vec<Prepared>, Vec<Connecting>)> {
    prepare_connecting(ctx, project, names, wait, false, |_| Early::Read)
}

/// Reads every database's state over connections opened by
/// [`prepare_read`] (in the same order), then closes them; sorted by
/// database name, so output is stable.
pub(crate) async fn look(prepared: &[Prepared], connecting: Vec<Connecting>) -> Vec<Looked<'_>> {
    let mut looked = join_all(
        prepared
            .iter()
            .zip(connecting)
            .map(|(db, conn)| async move {
                let result = match conn.opened().await {
                    Ok(opened) => {
                        with_connection(opened.conn, async |d| match opened.snapshot {
                            Some(snapshot) => Ok(snapshot.inspect(&db.graph)),
                            None => engine::inspect(d, &db.name, &db.graph).await,
                        })
                        .await
                    }
                    Err(e) => Err(e),
                };
                Looked { db, result }
            }),
    )
    .await;
    looked.sort_by(|a, b| a.db.name.cmp(&b.db.name));
    looked
}
