//! Replaying revisions into the scratch database, exactly as `up` runs
//! them: each body read again from its file (its checksum checked) and
//! applied through the driver with its version row, in plan order.
//!
//! The engine has no entry point that applies a given list of revisions
//! (`engine::up` applies a target's closure, plans it again and reports
//! progress as for the real database), so this goes straight to
//! `Driver::apply`, the same path `engine::run` takes.

use anyhow::Result;

use crate::driver::{AnyDriver, Driver as _, NewRow};
use crate::engine::RunSettings;
use crate::exit::{Fail, Internal};
use crate::graph::Graph;
use crate::revision::{RevisionId, read_sql};

/// Applies revision `id` of `graph` to the scratch database `d`.
///
/// # Errors
/// The revision's file cannot be read or has changed (exit 2); its SQL
/// failed (exit 1).
pub(super) async fn apply(
    d: &mut AnyDriver,
    graph: &Graph,
    id: &RevisionId,
    settings: &RunSettings,
) -> Result<()> {
    let rev = graph
        .get(id.as_str())
        .ok_or_else(|| Internal::new(format!("revision `{id}` is not in the graph")))?;
    let sql = read_sql(rev, &settings.files).map_err(|e| {
        anyhow::Error::new(e).context(Fail::bad_input(format!(
            "revision `{id}` could not be read again"
        )))
    })?;
    let row = NewRow::recording(rev, "up", &settings.applied_by);
    d.apply(rev, &sql, &row, &settings.apply)
        .await
        .map_err(|e| {
            let what = format!("revision `{id}` ({}) failed", rev.path.display());
            anyhow::Error::new(e).context(Fail::failed(what))
        })?;
    Ok(())
}
