//! Running a plan's steps one by one: each revision's SQL read from its
//! file, applied or reverted, timed and reported.

use super::{Done, Failure, Job, Report};
use crate::driver::{Driver, NewRow};
use crate::exit::Fail;
use crate::graph::Graph;
use crate::interrupt;
use crate::plan::{self, Plan};
use crate::revision::read_sql;
use crate::state::AppliedState;

/// Runs each step of `plan`, stopping at the first failure.
pub(super) async fn run_plan<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    plan: &Plan,
    before: &AppliedState,
    mut report: Report,
) -> Result<Report, Failure> {
    let up = plan.direction == plan::Direction::Up;
    job.progress.begin(job.db, plan.steps.len());
    for id in &plan.steps {
        let rev = match job.revision(id) {
            Ok(rev) => rev,
            Err(error) => return Err(stopped(job, before, report, up, error)),
        };
        job.progress.start(job.db, rev, up);
        let verb = if up { "apply" } else { "revert" };
        let sql = match read_sql(rev, &job.settings.files) {
            Ok(sql) => sql,
            Err(e) => {
                let what = format!("database `{}`: could not {verb} revision `{id}`", job.db);
                let error = anyhow::Error::new(e).context(Fail::bad_input(what).hint(
                    "nothing of it ran; restore the file, or run the command again after the edit",
                ));
                return Err(stopped(job, before, report, up, error));
            }
        };
        let flight = interrupt::InFlight {
            revision: id.to_string(),
            transactional: rev.transactional,
            verb,
        };
        interrupt::begin(job.db, flight);
        let result = if up {
            d.apply(
                rev,
                &sql,
                &NewRow::recording(rev, "up", &job.settings.applied_by),
                &job.settings.apply,
            )
            .await
        } else {
            d.revert(rev, &sql, &job.settings.apply).await
        };
        interrupt::end(job.db);
        match result {
            Ok(duration) => {
                job.progress.finish(job.db, rev, duration, up);
                report.done.push(Done {
                    revision: id.clone(),
                    duration,
                });
            }
            Err(e) => {
                let hint = if e.dirty {
                    format!(
                        "it ran outside a transaction and is recorded dirty: check what ran, then \
                         `migrate repair {} {id} --applied` or `--forget`",
                        job.db
                    )
                } else {
                    format!(
                        "it was rolled back{}; fix the cause above, then run the command again",
                        if report.done.is_empty() {
                            ""
                        } else {
                            " and the revisions before it stay applied"
                        }
                    )
                };
                let what = format!(
                    "database `{}`: could not {verb} revision `{id}` ({})",
                    job.db,
                    rev.path.display()
                );
                let error = anyhow::Error::new(e).context(Fail::failed(what).hint(hint));
                return Err(stopped(job, before, report, up, error));
            }
        }
    }
    job.progress.end(job.db);
    report.current = current_after(job.graph, before, &report.done, up);
    Ok(report)
}

/// Ends a run at a revision that did not run or failed: what committed
/// before it stays in the report.
fn stopped(
    job: &Job<'_>,
    before: &AppliedState,
    mut report: Report,
    up: bool,
    error: anyhow::Error,
) -> Failure {
    job.progress.abandon(job.db);
    report.current = current_after(job.graph, before, &report.done, up);
    Failure { report, error }
}

/// The applied heads once `done` has been applied (or reverted).
fn current_after(graph: &Graph, before: &AppliedState, done: &[Done], up: bool) -> Vec<String> {
    let mut applied = before.applied.clone();
    for step in done {
        if up {
            applied.insert(step.revision.clone());
        } else {
            applied.remove(&step.revision);
        }
    }
    let mut current: Vec<String> = graph
        .applied_heads(&applied)
        .iter()
        .map(ToString::to_string)
        .collect();
    // Applied revisions without a file stay where they were.
    current.extend(
        before
            .current
            .iter()
            .filter(|c| !graph.contains(c))
            .cloned(),
    );
    current.sort();
    current
}
