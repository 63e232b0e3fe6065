//! Coming from Alembic: the guard that stops `up`, `down` and `stamp` from
//! building a database Alembic manages as if it were empty, and the stamp
//! that adopts it from `alembic_version`.
//!
//! `alembic_version` is only ever read: going back to Alembic stays
//! possible.

use super::records::stamp_planned;
use super::{Failure, Inspection, Job, Report, locked};
use crate::driver::Driver;
use crate::exit::Fail;
use crate::graph::and_ticked;
use crate::graph::target::Target;

/// The table Alembic keeps its applied heads in, unless `env.py` says
/// otherwise (`version_table=`).
pub(crate) const DEFAULT_TABLE: &str = "alembic_version";

/// Refuses to run on a database that Alembic manages and `migrate` does
/// not: without this, the first `up` after switching would try to build
/// production from nothing.
pub(super) fn guard(job: &Job<'_>, insp: &Inspection) -> anyhow::Result<()> {
    if !insp.managed_by_alembic() {
        return Ok(());
    }
    let heads = insp.alembic.as_deref().unwrap_or_default();
    Err(Fail::failed(format!(
        "database `{}` is managed by Alembic: `{DEFAULT_TABLE}` holds {} and there is no \
         migrate version table yet, so this would treat the database as empty; nothing was run",
        job.db,
        and_ticked(heads)
    ))
    .hint(format!(
        "adopt it first: `migrate stamp {} --from-alembic` records what Alembic applied \
         (and leaves `{DEFAULT_TABLE}` as it is), then run the command again",
        job.db
    ))
    .into())
}

/// `stamp --from-alembic`: records the revisions named in `table` (Alembic's
/// applied heads) and everything they need, as `stamp` would.
pub(crate) async fn stamp_from_alembic<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    table: &str,
) -> Result<Report, Failure> {
    locked(d, job, false, async |d, insp| {
        let heads = d
            .alembic_heads(table)
            .await
            .map_err(|e| super::ctx(e, job))?;
        let targets = targets(job, table, heads)?;
        stamp_planned(d, job, &targets, false, insp).await
    })
    .await
}

/// Alembic's rows as targets, each a revision the files define.
fn targets(job: &Job<'_>, table: &str, heads: Option<Vec<String>>) -> anyhow::Result<Vec<Target>> {
    let db = job.db;
    let Some(heads) = heads else {
        return Err(Fail::failed(format!(
            "database `{db}` has no `{table}` table: there is nothing Alembic applied to adopt; \
             nothing was recorded"
        ))
        .hint(format!(
            "if `env.py` keeps Alembic's versions in another table, pass `--alembic-table NAME`; \
             to record revisions by hand, run `migrate stamp {db} REV`"
        ))
        .into());
    };
    if heads.is_empty() {
        return Err(Fail::failed(format!(
            "database `{db}`: `{table}` is empty, so Alembic has applied nothing here; nothing \
             was recorded"
        ))
        .hint(format!("run `migrate up {db}` to apply every revision"))
        .into());
    }
    let unknown: Vec<&String> = heads.iter().filter(|h| !job.graph.contains(h)).collect();
    if !unknown.is_empty() {
        return Err(Fail::failed(format!(
            "database `{db}`: `{table}` names {}, which no revision file defines; nothing was \
             recorded",
            and_ticked(&unknown)
        ))
        .hint(format!(
            "import the Alembic history first (`migrate import alembic {db}`), or check that \
             this is the right database"
        ))
        .into());
    }
    heads
        .iter()
        .map(|h| h.parse::<Target>().map_err(anyhow::Error::from))
        .collect()
}
