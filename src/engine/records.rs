//! `stamp` and `repair`: what writes the version table without running SQL.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{Done, Failure, Inspection, Job, Report, ctx, recordable};
use crate::driver::{Driver, NewRow};
use crate::exit::Fail;
use crate::graph::and_ticked;
use crate::graph::target::{Resolved, Target};
use crate::plan;
use crate::state::AppliedRow;

pub(super) async fn stamp_planned<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    targets: &[Target],
    purge: bool,
    insp: Inspection,
) -> Result<Report, Failure> {
    let mut report = Report::default();
    let applied = if purge {
        BTreeSet::new()
    } else {
        insp.state.applied.clone()
    };
    let mut ids = Vec::new();
    for t in targets {
        if let Resolved::Revisions(found) =
            t.resolve(job.graph, &applied).map_err(|e| ctx(e, job))?
        {
            ids.extend(found);
        }
    }
    let plan = plan::stamp(job.graph, &applied, &ids);
    report.planned.clone_from(&plan.steps);
    if plan.is_empty() && !purge {
        report.note = Some("already recorded; nothing to stamp".to_owned());
        return Ok(report);
    }
    recordable(job, &plan.steps, d.dialect())?;
    let rows = plan
        .steps
        .iter()
        .map(|id| {
            let rev = job.revision(id)?;
            Ok(NewRow::recording(rev, "stamp", &job.settings.applied_by))
        })
        .collect::<anyhow::Result<Vec<NewRow>>>()?;
    d.ensure_version_table().await.map_err(|e| ctx(e, job))?;
    d.insert_rows(&rows, purge).await.map_err(|e| ctx(e, job))?;
    report.done = plan
        .steps
        .iter()
        .map(|id| Done {
            revision: id.clone(),
            duration: Duration::ZERO,
        })
        .collect();
    Ok(report)
}

pub(super) async fn repair_planned<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    revision: &str,
    forget: bool,
    insp: Inspection,
) -> Result<Report, Failure> {
    let mut report = Report::default();
    let row = find_row(&insp.rows, revision, job)?;
    let id = row.revision.clone();
    // The table exists (it has the row); this checks its whole shape
    // before writing to it.
    d.ensure_version_table().await.map_err(|e| ctx(e, job))?;
    if forget {
        d.delete_row(&id).await.map_err(|e| ctx(e, job))?;
        report.note = Some(format!(
            "forgot `{id}`: its row is deleted; the next `up` runs it again"
        ));
    } else {
        let Some(rev) = job.graph.get(&id) else {
            return Err(Fail::failed(format!(
                "database `{}`: revision `{id}` has no file, so there is no checksum to accept",
                job.db
            ))
            .hint(format!(
                "run `migrate repair {} {id} --forget` to delete its row instead",
                job.db
            ))
            .into());
        };
        d.mark_applied(&id, &rev.checksum.to_string())
            .await
            .map_err(|e| ctx(e, job))?;
        report.note = Some(format!(
            "marked `{id}` applied with the checksum of `{}`",
            rev.path.display()
        ));
    }
    Ok(report)
}

/// Finds the version row a `repair` argument names: a full id or a unique prefix.
fn find_row<'r>(
    rows: &'r [AppliedRow],
    input: &str,
    job: &Job<'_>,
) -> anyhow::Result<&'r AppliedRow> {
    if let Some(r) = rows.iter().find(|r| &*r.revision == input) {
        return Ok(r);
    }
    let matches: Vec<&AppliedRow> = if input.len() >= 4 {
        rows.iter()
            .filter(|r| r.revision.starts_with(input))
            .collect()
    } else {
        Vec::new()
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Fail::failed(format!(
            "database `{}`: revision `{input}` is not recorded in the version table",
            job.db
        ))
        .hint(format!(
            "`migrate current {}` lists what is recorded; `migrate stamp` records a revision",
            job.db
        ))
        .into()),
        many => Err(Fail::bad_input(format!(
            "database `{}`: `{input}` matches {}; type more characters",
            job.db,
            and_ticked(many.iter().map(|r| &r.revision))
        ))
        .into()),
    }
}
