//! `migrate sql`: the SQL `up` would run, version-table statements included,
//! for review or for running by hand. It starts as `up` does (the same
//! state checks and the same plan, through `engine::plan_up`), so it never
//! prints a script that `up` would refuse to run.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Result;

use crate::cli::SqlArgs;
use crate::commands::show::resolve_one;
use crate::context::{Context, Project};
use crate::driver::{self, NewRow};
use crate::engine::{self, Inspection, Job};
use crate::exit::{Category, Fail};
use crate::graph::target::Target;
use crate::render::progress::Progress;
use crate::revision::read_sql;
use crate::session::{self, Early, Prepared};

pub(crate) async fn run(ctx: &Context, project: &Project, args: &SqlArgs) -> Result<Category> {
    let target: Target = args.to.parse()?;
    let prepared = session::prepare(ctx, project, std::slice::from_ref(&args.db))?;
    let Some(db) = prepared.first() else {
        return Ok(Category::Success);
    };
    let insp = match &args.from {
        // Offline: the database is taken to have exactly `--from` and what it needs.
        Some(from) => {
            let id = resolve_one(&db.graph, from, &BTreeSet::new(), &db.name)?;
            Inspection::assumed(&db.graph, db.graph.closure([&id]))
        }
        None => read_state(ctx, project, db).await?,
    };
    let settings = session::run_settings(ctx, project);
    let progress = Progress::silent();
    let job = Job {
        db: &db.name,
        graph: &db.graph,
        settings: &settings,
        progress: &progress,
    };
    let dialect = db.url.url.kind();
    let (report, plan) = engine::plan_up(&job, &target, &insp, dialect)?;
    report.warnings.iter().for_each(|w| ctx.printer.warn(w));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- migrate sql: database `{}`, {} revision{}",
        db.name,
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" }
    );
    if !plan.steps.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            driver::render_create_table_sql(dialect, &db.table)
        );
    }
    for id in &plan.steps {
        let rev = job.revision(id)?;
        let row = NewRow::recording(rev, "up", &settings.applied_by);
        let sql = read_sql(rev, &project.config.dir).map_err(|e| {
            anyhow::Error::new(e).context(Fail::bad_input(format!("database `{}`", db.name)))
        })?;
        let _ = writeln!(
            out,
            "{}",
            driver::render_apply_sql(dialect, &db.table, rev, &sql, &row)
        );
    }
    ctx.printer.raw(&out);
    Ok(Category::Success)
}

/// The database's state, read as `up --dry-run` reads it (no lock, nothing
/// created).
async fn read_state(ctx: &Context, project: &Project, db: &Prepared) -> Result<Inspection> {
    let connecting = db.connecting(project.config.settings.wait, false, Early::Read);
    let mut looked = session::look(std::slice::from_ref(db), vec![connecting]).await;
    match looked.pop().map(|l| l.result) {
        Some(Ok(insp)) => Ok(insp),
        Some(Err(e)) => {
            ctx.printer
                .hint("pass `--from ID` to print the SQL without connecting");
            Err(e)
        }
        None => Err(crate::exit::Internal::new("`migrate sql` looked at no database").into()),
    }
}
