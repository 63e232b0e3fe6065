//! Running a plan's steps one by one: each revision's SQL read from its
//! file, applied or reverted, timed and reported.

use super::{Done, Failure, Job, Report};
use crate::driver::{Applied, Driver, DriverError, NewRow, StepError};
use crate::exit::Fail;
use crate::graph::Graph;
use crate::interrupt;
use crate::plan::{self, Plan};
use crate::revision::read_sql;
use crate::state::{self, AppliedState};

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
            transactional: d.dialect().wraps_in_transaction(rev.transactional),
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
            Ok(Applied::Ran(duration)) => {
                job.progress.finish(job.db, rev, Some(duration), up);
                report.done.push(Done {
                    revision: id.clone(),
                    duration,
                });
            }
            Ok(Applied::ByAnother) => {
                job.progress.finish(job.db, rev, None, up);
                report.by_others.push(id.clone());
            }
            Err(StepError::Driver(e)) => {
                let what = format!(
                    "database `{}`: could not {verb} revision `{id}`: nothing of it ran",
                    job.db
                );
                let error = anyhow::Error::new(e).context(what);
                return Err(stopped(job, before, report, up, error));
            }
            Err(StepError::Apply(e)) => {
                // An object already there: made by hand, most likely.
                let exists = (up && !e.dirty)
                    .then(|| crate::drift::already_exists_hint(job.db, id.as_str(), &e))
                    .flatten();
                let hint = if let Some(hint) = exists {
                    hint
                } else if e.dirty {
                    format!(
                        "it ran outside a transaction and is recorded dirty: {}",
                        state::repair_advice(job.db, id.as_str())
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
    report.current = current_after(job.graph, before, &report, up);
    Ok(report)
}

/// A `transaction off` revision has no transaction to lock: the run takes
/// the run lock for its session first, which needs a session of its own.
/// Called before anything is written, the version table included.
pub(super) async fn session_if_needed<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    plan: &Plan,
) -> anyhow::Result<()> {
    let untransacted = plan
        .steps
        .iter()
        .find(|id| job.graph.get(id.as_str()).is_some_and(|r| !r.transactional));
    let Some(first) = untransacted else {
        return Ok(());
    };
    match d.lock(job.settings.lock_timeout).await {
        Ok(()) => Ok(()),
        Err(DriverError::Pooled { evidence }) => Err(Fail::bad_input(format!(
            "database `{}`: revision `{first}` runs outside a transaction (`transaction off`) \
             and needs a database session of its own, but this connection goes through a \
             transaction pooler ({evidence}); nothing was run",
            job.db
        ))
        .hint(format!(
            "give migrate a direct URL: set `direct_url_env` under [databases.{}] in migrate.toml \
             to a variable holding the unpooled URL (for example DATABASE_UNPOOLED_URL), and keep \
             the pooled one for the application",
            job.db
        ))
        .into()),
        Err(e) => {
            Err(anyhow::Error::new(e).context(format!("database `{}`: nothing was run", job.db)))
        }
    }
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
    report.current = current_after(job.graph, before, &report, up);
    Failure { report, error }
}

/// The applied heads once the report's revisions have been applied (or
/// reverted), by this run or another.
fn current_after(graph: &Graph, before: &AppliedState, report: &Report, up: bool) -> Vec<String> {
    let mut applied = before.applied.clone();
    let changed = report
        .done
        .iter()
        .map(|d| &d.revision)
        .chain(&report.by_others);
    for id in changed {
        if up {
            applied.insert(id.clone());
        } else {
            applied.remove(id);
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
