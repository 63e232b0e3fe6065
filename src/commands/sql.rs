//! `migrate sql`: the SQL `up` would run, version-table statements included,
//! for review or for running by hand.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Result;

use crate::cli::SqlArgs;
use crate::commands::online;
use crate::commands::show::resolve_one;
use crate::commands::status::look;
use crate::context::{Context, Project};
use crate::driver::{self, Dialect, NewRow};
use crate::exit::{Category, Fail};
use crate::graph::target::Target;
use crate::plan;
use crate::revision::read_sql;
use crate::url::DriverKind;

pub(crate) async fn run(ctx: &Context, project: &Project, args: &SqlArgs) -> Result<Category> {
    let prepared = online::prepare(ctx, project, std::slice::from_ref(&args.db))?;
    let Some(db) = prepared.first() else {
        return Ok(Category::Success);
    };
    let applied = match &args.from {
        Some(from) => {
            let id = resolve_one(&db.graph, from, &BTreeSet::new(), &db.name)?;
            db.graph.closure([&id])
        }
        None => {
            let pending = vec![online::spawn_connect(
                &db.name,
                &db.url,
                &db.table,
                project.config.settings.wait,
                false,
                online::Early::Read,
            )];
            let mut looked = look(&prepared, pending).await;
            match looked.pop().map(|l| l.result) {
                Some(Ok(insp)) => insp.state.applied,
                Some(Err(e)) => {
                    ctx.printer
                        .hint("pass `--from ID` to print the SQL without connecting");
                    return Err(e);
                }
                None => BTreeSet::new(),
            }
        }
    };
    let target: Target = args.to.parse()?;
    let resolved = target.resolve(&db.graph, &applied)?;
    let plan = plan::up(&db.graph, &applied, &resolved);
    let dialect = match db.url.url.kind() {
        DriverKind::Postgres => Dialect::Postgres,
        DriverKind::Sqlite => Dialect::Sqlite,
        DriverKind::Mysql => {
            return Err(Fail::bad_input(format!(
                "database `{}`: MySQL is not supported by this version",
                db.name
            ))
            .into());
        }
    };
    let settings = online::run_settings(ctx, project);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- migrate sql: database `{}`, {} revision{}",
        db.name,
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" }
    );
    if plan.steps.is_empty() {
        ctx.printer.raw(&out);
        return Ok(Category::Success);
    }
    let _ = writeln!(
        out,
        "{}",
        driver::render_create_table_sql(dialect, &db.table)
    );
    for id in &plan.steps {
        let Some(rev) = db.graph.get(id.as_str()) else {
            continue;
        };
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
