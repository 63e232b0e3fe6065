//! `migrate up` and `migrate down`.

use std::collections::BTreeMap;

use anyhow::Result;
use futures_util::future::join_all;

use crate::cli::{DownArgs, UpArgs};
use crate::context::{Context, Project};
use crate::dialect::Dialect;
use crate::driver::AnyDriver;
use crate::engine::{self, Failure, Job, Outcome, Report};
use crate::exit::{self, Category, Internal};
use crate::graph::target::Target;
use crate::render::progress::Progress;
use crate::render::run_report;
use crate::session::{self, Connecting, Early, Opened, Prepared};

pub(crate) async fn run_up(ctx: &Context, project: &Project, args: UpArgs) -> Result<Category> {
    let target: Target = args.to.as_deref().unwrap_or("head").parse()?;
    let names = project.select(&args.select)?;
    let wait = session::wait(project, args.wait);
    let settings = session::run_settings(ctx, project);
    // The first wave takes its locks and reads its version tables while the
    // files are read; a database that comes `after` another waits its turn.
    let waves = project.waves(&names);
    let first_wave = waves.first().cloned().unwrap_or_default();
    let early = |name: &str| match (args.dry_run, first_wave.iter().any(|n| n == name)) {
        (true, _) => Early::Read,
        (false, true) => Early::LockAndRead(settings.lock_timeout),
        (false, false) => Early::Connect,
    };
    let (prepared, connecting) =
        session::prepare_connecting(ctx, project, &names, wait, !args.dry_run, early)?;
    let mut connecting: BTreeMap<String, Connecting> =
        names.iter().cloned().zip(connecting).collect();
    let progress = progress(ctx);
    let mut results: BTreeMap<String, Outcome> = BTreeMap::new();
    // Closed once everything is reported: a server process ending takes
    // CPU time, which must not delay the next database or the output.
    let mut open = Vec::new();
    for wave in waves {
        let runs = wave
            .iter()
            .filter_map(|name| prepared.iter().find(|p| &p.name == name))
            .map(|db| {
                let blocked = blocked_by(project, &db.name, &results);
                let job = Job {
                    db: &db.name,
                    graph: &db.graph,
                    settings: &settings,
                    progress: &progress,
                };
                let target = &target;
                let conn = connecting.remove(&db.name);
                async move {
                    if let Some(dep) = blocked {
                        return (db.name.clone(), Outcome::Skipped(dep), None);
                    }
                    let (outcome, conn) = up_one(conn, &job, target, args.dry_run).await;
                    (db.name.clone(), Outcome::Ran(outcome), conn)
                }
            });
        for (name, outcome, conn) in join_all(runs).await {
            results.insert(name, outcome);
            open.extend(conn);
        }
    }
    let category = report(ctx, &prepared, &results, args.dry_run);
    session::close_all(open).await;
    if category == Category::Success && !args.exec.is_empty() && !args.dry_run {
        return exec(&args.exec);
    }
    Ok(category)
}

pub(crate) async fn run_down(
    ctx: &Context,
    project: &Project,
    args: &DownArgs,
) -> Result<Category> {
    let target: Target = args.to.parse()?;
    let prepared = session::prepare(ctx, project, std::slice::from_ref(&args.db))?;
    let settings = session::run_settings(ctx, project);
    let progress = progress(ctx);
    let mut results = BTreeMap::new();
    for db in &prepared {
        let job = Job {
            db: &db.name,
            graph: &db.graph,
            settings: &settings,
            progress: &progress,
        };
        let wait = session::wait(project, args.wait);
        let outcome = match db.connect(wait, true).await {
            Ok(conn) => {
                session::with_connection(conn, async |d| {
                    engine::down(d, &job, &target, args.dry_run).await
                })
                .await
            }
            Err(error) => Err(Failure {
                report: Report::default(),
                error,
            }),
        };
        results.insert(db.name.clone(), Outcome::Ran(outcome));
    }
    Ok(report(ctx, &prepared, &results, args.dry_run))
}

/// Runs `up` on one database; gives back its connection, still open.
async fn up_one(
    conn: Option<Connecting>,
    job: &Job<'_>,
    target: &Target,
    dry_run: bool,
) -> (Result<Report, Failure>, Option<AnyDriver>) {
    let Some(conn) = conn else {
        let error = Internal::new(format!("database `{}`: no connection was opened", job.db));
        return (Err(error.into()), None);
    };
    let Opened { mut conn, snapshot } = match conn.opened().await {
        Ok(opened) => opened,
        Err(error) => return (Err(error.into()), None),
    };
    let outcome = match snapshot {
        Some(snapshot) => engine::up_from(&mut conn, job, target, dry_run, snapshot).await,
        None => engine::up(&mut conn, job, target, dry_run).await,
    };
    (outcome, Some(conn))
}

/// The first database that `name` must come after and that did not succeed.
fn blocked_by(
    project: &Project,
    name: &str,
    results: &BTreeMap<String, Outcome>,
) -> Option<String> {
    let db = project.database(name).ok()?;
    db.after
        .iter()
        .find(|dep| {
            matches!(
                results.get(dep.as_str()),
                Some(Outcome::Skipped(_) | Outcome::Ran(Err(_)))
            )
        })
        .cloned()
}

fn progress(ctx: &Context) -> Progress {
    // Progress goes to stderr, so it is shown with `--format json` too.
    Progress::new(!ctx.printer.quiet, ctx.printer.stderr_tty)
}

/// Prints every database's result and returns the worst exit category.
fn report(
    ctx: &Context,
    prepared: &[Prepared],
    results: &BTreeMap<String, Outcome>,
    dry_run: bool,
) -> Category {
    let mut worst = Category::Success;
    for (name, outcome) in results {
        match outcome {
            Outcome::Ran(Ok(r)) => r.warnings.iter().for_each(|w| ctx.printer.warn(w)),
            Outcome::Ran(Err(f)) => {
                worst = worst.worst(exit::category(&f.error));
                f.report.warnings.iter().for_each(|w| ctx.printer.warn(w));
                ctx.printer.failure(&f.error);
                if !f.report.done.is_empty() {
                    let ids: Vec<String> = f
                        .report
                        .done
                        .iter()
                        .map(|d| d.revision.to_string())
                        .collect();
                    ctx.printer.note(&format!(
                        "database `{name}`: committed before the failure: {}",
                        ids.join(", ")
                    ));
                }
            }
            Outcome::Skipped(dep) => {
                worst = worst.worst(Category::Failed);
                ctx.printer.error(&format!("database `{name}`: skipped, because `{dep}`, which it comes after, did not succeed"), &[], None);
            }
        }
    }
    let graphs: BTreeMap<&str, (&crate::graph::Graph, Dialect)> = prepared
        .iter()
        .map(|p| (p.name.as_str(), (&p.graph, p.url.url.kind())))
        .collect();
    if dry_run {
        ctx.printer.json(&run_report::plan_json(results, &graphs));
        ctx.printer.text(&run_report::plan_text(results, &graphs));
    } else {
        ctx.printer.json(&run_report::result_json(results));
        ctx.printer
            .text(&run_report::result_text(results, ctx.printer.stdout_tty));
    }
    worst
}

/// Replaces this process with the command after `--`, so that it receives
/// the platform's signals directly.
fn exec(cmd: &[std::ffi::OsString]) -> Result<Category> {
    let Some((program, args)) = cmd.split_first() else {
        return Ok(Category::Success);
    };
    let mut command = std::process::Command::new(program);
    command.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let err = command.exec();
        Err(exit::Fail::failed(format!("cannot run `{}`: {err}", program.to_string_lossy())).into())
    }
    #[cfg(not(unix))]
    {
        let status = command.status()?;
        Ok(if status.success() {
            Category::Success
        } else {
            Category::Failed
        })
    }
}
