//! The engine: for one database, lock → read the version table → check the
//! applied state → plan → run → unlock. Generic over [`Driver`]; it knows the
//! order of things, the drivers know the SQL. Connections come from
//! `crate::session`.

mod alembic;
mod records;
mod run;
mod snapshot;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::driver::{ApplyOptions, Dialect, Driver, DriverError};
use crate::exit::{Fail, Internal};
use crate::graph::target::{Resolved, Target};
use crate::graph::{Graph, and_ticked};
use crate::plan::{self, Plan};
use crate::render::progress::Progress;
use crate::revision::{RevisionId, read_sql};
use crate::state::{self, AppliedState, StateIssue};
pub(crate) use alembic::stamp_from_alembic;
use records::{repair_planned, stamp_planned};
use run::{run_plan, session_if_needed};
pub(crate) use snapshot::{Inspection, Snapshot, inspect, snapshot};

/// Settings that hold for every database of a run.
#[derive(Debug, Clone)]
pub(crate) struct RunSettings {
    pub lock_timeout: Duration,
    pub apply: ApplyOptions,
    pub strict: bool,
    /// `migrate <version> user@host`, recorded in `applied_by`.
    pub applied_by: String,
    /// What revision paths are shown relative to: their SQL is read again
    /// from there when they run (see [`read_sql`]).
    pub files: PathBuf,
}

/// One database's part of a run.
pub(crate) struct Job<'a> {
    pub db: &'a str,
    pub graph: &'a Graph,
    pub settings: &'a RunSettings,
    pub progress: &'a Progress,
}

impl Job<'_> {
    /// The revision a plan names: plans are made from this graph, so a
    /// missing one is a bug.
    pub(crate) fn revision(&self, id: &RevisionId) -> anyhow::Result<&crate::revision::Revision> {
        self.graph.get(id.as_str()).ok_or_else(|| {
            Internal::new(format!(
                "database `{}`: the plan names revision `{id}`, which its graph lacks",
                self.db
            ))
            .into()
        })
    }
}

/// A revision that ran, and how long it took.
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub revision: RevisionId,
    pub duration: Duration,
}

/// What happened on one database.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// The plan, in order (for `--dry-run`, what would run).
    pub planned: Vec<RevisionId>,
    /// What committed, in order.
    pub done: Vec<Done>,
    /// What another runner applied (or reverted) while this one waited.
    pub by_others: Vec<RevisionId>,
    /// Warnings to show (unknown applied revisions, re-parented revisions).
    pub warnings: Vec<String>,
    /// A sentence for the user when nothing needed doing.
    pub note: Option<String>,
    /// The applied heads after the run.
    pub current: Vec<String>,
}

/// A failed run on one database, with what had committed before it failed.
#[derive(Debug)]
pub(crate) struct Failure {
    pub report: Report,
    pub error: anyhow::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self {
            report: Report::default(),
            error: e.into(),
        }
    }
}

/// What happened to one database of a multi-database run.
pub(crate) enum Outcome {
    Ran(Result<Report, Failure>),
    /// Not run because a database it comes `after` did not succeed.
    Skipped(String),
}

/// `up`: applies what is pending up to `target` (default `head`). A dry
/// run takes no lock.
pub(crate) async fn up<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    target: &Target,
    dry_run: bool,
) -> Result<Report, Failure> {
    locked(d, job, dry_run, async |d, insp| {
        up_planned(d, job, target, dry_run, insp).await
    })
    .await
}

/// `up` from a [`Snapshot`] taken earlier on this connection (with the lock,
/// unless `dry_run`); releases the lock when done.
pub(crate) async fn up_from<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    target: &Target,
    dry_run: bool,
    snap: Snapshot,
) -> Result<Report, Failure> {
    from_snapshot(d, job, snap, async |d, insp| {
        up_planned(d, job, target, dry_run, insp).await
    })
    .await
}

/// `down`: reverts the applied descendants of `target`, children first.
pub(crate) async fn down<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    target: &Target,
    dry_run: bool,
) -> Result<Report, Failure> {
    locked(d, job, dry_run, async |d, insp| {
        down_planned(d, job, target, dry_run, insp).await
    })
    .await
}

/// `stamp`: records the targets and their ancestors without running SQL.
pub(crate) async fn stamp<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    targets: &[Target],
    purge: bool,
) -> Result<Report, Failure> {
    locked(d, job, false, async |d, insp| {
        alembic::guard(job, &insp)?;
        stamp_planned(d, job, targets, purge, insp).await
    })
    .await
}

/// `repair --applied` (`forget == false`) or `repair --forget`.
pub(crate) async fn repair<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    revision: &str,
    forget: bool,
) -> Result<Report, Failure> {
    locked(d, job, false, async |d, insp| {
        repair_planned(d, job, revision, forget, insp).await
    })
    .await
}

/// Takes the lock (not for a dry run), reads the state, runs `body` on it
/// and releases the lock on every path.
async fn locked<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    dry_run: bool,
    body: impl AsyncFnOnce(&mut D, Inspection) -> Result<Report, Failure>,
) -> Result<Report, Failure> {
    let lock = (!dry_run).then_some(job.settings.lock_timeout);
    let snap = snapshot(d, job.db, lock).await?;
    from_snapshot(d, job, snap, body).await
}

/// Runs `body` on the state `snap` read, then releases the run lock of a
/// writing run on every path.
async fn from_snapshot<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    snap: Snapshot,
    body: impl AsyncFnOnce(&mut D, Inspection) -> Result<Report, Failure>,
) -> Result<Report, Failure> {
    let writing = snap.writing;
    let result = match settled(d, job, snap).await {
        Ok(insp) => body(d, insp).await,
        Err(e) => Err(e.into()),
    };
    if writing {
        release(d, job.db).await;
    }
    result
}

/// The state to plan from. A dirty row read without the run lock may be a
/// `transaction off` revision another runner is running right now: with
/// the lock (once that runner is done) the table is read again. Behind a
/// transaction pooler no such run can be under way, so the row stands.
async fn settled<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    snap: Snapshot,
) -> anyhow::Result<Inspection> {
    let (writing, locked) = (snap.writing, snap.locked);
    let insp = snap.inspect(job.graph);
    let dirty = insp
        .state
        .issues
        .iter()
        .any(|i| matches!(i, StateIssue::Dirty { .. }));
    if !writing || locked || !dirty {
        return Ok(insp);
    }
    match d.lock(job.settings.lock_timeout).await {
        Ok(()) => {
            let again = snapshot(d, job.db, Some(job.settings.lock_timeout)).await?;
            Ok(again.inspect(job.graph))
        }
        Err(DriverError::Pooled { .. }) => Ok(insp),
        Err(e) => Err(at_db(e, job)),
    }
}

/// Releases the lock; a failure only matters for logging, since a session
/// lock also ends with the connection, which the caller closes next.
async fn release<D: Driver>(d: &mut D, db: &str) {
    if let Err(e) = d.unlock().await {
        tracing::debug!(db, "unlock failed: {e}");
    }
}

async fn up_planned<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    target: &Target,
    dry_run: bool,
    insp: Inspection,
) -> Result<Report, Failure> {
    let (report, plan) = plan_up(job, target, &insp, d.dialect())?;
    if dry_run {
        readable(d, job, &plan)?;
    }
    if plan.is_empty() || dry_run {
        return Ok(report);
    }
    session_if_needed(d, job, &plan).await?;
    d.ensure_version_table().await.map_err(|e| ctx(e, job))?;
    run_plan(d, job, &plan, &insp.state, report).await
}

/// What `up` would do on a database in state `insp`, decided without
/// touching it: the state gated (what `up` refuses, this refuses with the
/// same words), the target resolved, the plan made, and every row it would
/// write checked against what `dialect` can store. `up`, `up --dry-run`
/// and `migrate sql` all start here.
///
/// # Errors
/// As `up`, before anything runs.
pub(crate) fn plan_up(
    job: &Job<'_>,
    target: &Target,
    insp: &Inspection,
    dialect: Dialect,
) -> anyhow::Result<(Report, Plan)> {
    let (mut report, resolved) = begin(job, target, insp)?;
    let plan = plan::up(job.graph, &insp.state.applied, &resolved);
    recordable(job, &plan.steps, dialect)?;
    report.planned.clone_from(&plan.steps);
    if plan.is_empty() {
        report.note = Some("nothing to apply".to_owned());
    }
    Ok((report, plan))
}

/// Refuses, before anything runs, a revision whose version row the
/// database could not store as written (a NUL in its message, on
/// PostgreSQL): bad input, like a malformed file.
fn recordable(job: &Job<'_>, steps: &[RevisionId], dialect: Dialect) -> anyhow::Result<()> {
    for id in steps {
        let rev = job.revision(id)?;
        if let Some(why) = dialect.refuses_text(&rev.message) {
            return Err(Fail::bad_input(format!(
                "database `{}`: revision `{id}` (`{}`) cannot be recorded: its message {why}",
                job.db,
                rev.path.display()
            ))
            .hint("remove that character from its `-- migrate:message` line; nothing was run")
            .into());
        }
    }
    Ok(())
}

async fn down_planned<D: Driver>(
    d: &mut D,
    job: &Job<'_>,
    target: &Target,
    dry_run: bool,
    insp: Inspection,
) -> Result<Report, Failure> {
    let (mut report, resolved) = begin(job, target, &insp)?;
    let plan = plan::down(job.graph, &insp.state.applied, &resolved).map_err(|e| ctx(e, job))?;
    report.planned.clone_from(&plan.steps);
    if plan.is_empty() {
        report.note = Some(match &resolved {
            Resolved::Base => "nothing is applied; nothing to revert".to_owned(),
            Resolved::Revisions(ids) => format!(
                "nothing applied descends from {}; nothing to revert",
                and_ticked(ids)
            ),
        });
        return Ok(report);
    }
    if dry_run {
        readable(d, job, &plan)?;
        return Ok(report);
    }
    session_if_needed(d, job, &plan).await?;
    run_plan(d, job, &plan, &insp.state, report).await
}

/// Refuses, for `--dry-run`, a plan that the run would refuse at one of its
/// revisions before running it: a file that cannot be read, or a body the
/// database's client could not cut into statements (MySQL). What the dry
/// run prints, the run can start.
fn readable<D: Driver>(d: &D, job: &Job<'_>, plan: &Plan) -> anyhow::Result<()> {
    let up = plan.direction == plan::Direction::Up;
    let verb = if up { "apply" } else { "revert" };
    for id in &plan.steps {
        let rev = job.revision(id)?;
        let what = || format!("database `{}`: could not {verb} revision `{id}`", job.db);
        let sql = read_sql(rev, &job.settings.files)
            .map_err(|e| anyhow::Error::new(e).context(Fail::bad_input(what())))?;
        d.check_body(rev, &sql, up)
            .map_err(|e| anyhow::Error::new(e).context(what()))?;
    }
    Ok(())
}

/// What `up` and `down` start with: the state gated, the applied heads
/// reported, the target resolved against what is applied.
fn begin(job: &Job<'_>, target: &Target, insp: &Inspection) -> anyhow::Result<(Report, Resolved)> {
    let mut report = Report::default();
    alembic::guard(job, insp)?;
    gate(&insp.state, job, &mut report)?;
    report.current.clone_from(&insp.state.current);
    let resolved = target
        .resolve(job.graph, &insp.state.applied)
        .map_err(|e| at_db(e, job))?;
    Ok((report, resolved))
}

/// Stops the run on state that must be resolved first; turns the rest into warnings.
fn gate(state: &AppliedState, job: &Job<'_>, report: &mut Report) -> anyhow::Result<()> {
    let blocks = |i: &StateIssue| {
        i.blocks_up() || (job.settings.strict && matches!(i, StateIssue::Unknown { .. }))
    };
    let (blocking, warnings): (Vec<&StateIssue>, Vec<&StateIssue>) =
        state.issues.iter().partition(|i| blocks(i));
    report.warnings.extend(
        state::sentences(warnings, job.db)
            .into_iter()
            .map(|w| format!("database `{}`: {w}", job.db)),
    );
    if blocking.is_empty() {
        return Ok(());
    }
    let lines = state::sentences(blocking, job.db);
    let what = if lines.len() == 1 {
        "its applied state must be resolved first"
    } else {
        "its applied state has problems to resolve first"
    };
    Err(Fail::failed(format!(
        "database `{}`: nothing was run; {what}:\n  {}",
        job.db,
        lines.join("\n  ")
    ))
    .into())
}

fn ctx<E: Into<anyhow::Error>>(e: E, job: &Job<'_>) -> Failure {
    Failure::from(at_db(e, job))
}

/// `e`, naming the database it happened on.
fn at_db<E: Into<anyhow::Error>>(e: E, job: &Job<'_>) -> anyhow::Error {
    e.into().context(format!("database `{}`", job.db))
}
