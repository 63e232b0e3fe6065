//! `migrate stamp` and `migrate repair`: change the version table only.

use anyhow::Result;

use crate::cli::{RepairArgs, StampArgs};
use crate::context::{Context, Project};
use crate::engine::{self, Job};
use crate::exit::{Category, Fail};
use crate::graph::target::Target;
use crate::render::progress::Progress;
use crate::session;

pub(crate) async fn run_stamp(
    ctx: &Context,
    project: &Project,
    args: &StampArgs,
) -> Result<Category> {
    if args.alembic_table.is_some() && !args.from_alembic {
        return Err(
            Fail::bad_input("`--alembic-table` goes with `--from-alembic`")
                .hint("run `migrate stamp DB --from-alembic --alembic-table NAME`")
                .into(),
        );
    }
    let targets = args
        .targets
        .iter()
        .map(|t| t.parse::<Target>())
        .collect::<Result<Vec<_>, _>>()?;
    let prepared = session::prepare(ctx, project, std::slice::from_ref(&args.db))?;
    let settings = session::run_settings(ctx, project);
    let progress = Progress::silent();
    for db in &prepared {
        let job = Job {
            db: &db.name,
            graph: &db.graph,
            settings: &settings,
            progress: &progress,
        };
        let conn = db.connect(session::wait(project, args.wait), true).await?;
        let report = session::with_connection(conn, async |d| {
            if args.from_alembic {
                let table = args.alembic_table.as_deref().unwrap_or("alembic_version");
                engine::stamp_from_alembic(d, &job, table).await
            } else {
                engine::stamp(d, &job, &targets, args.purge).await
            }
        })
        .await
        .map_err(|f| f.error)?;
        if let Some(note) = &report.note {
            ctx.printer.text(&format!("{}: {note}", db.name));
        } else {
            let ids: Vec<String> = report.done.iter().map(|d| d.revision.to_string()).collect();
            let purged = if args.purge {
                " (version table emptied first)"
            } else if args.from_alembic {
                " (what Alembic applied, and what it needs)"
            } else {
                ""
            };
            ctx.printer.text(&format!(
                "{}: stamped {} revision{}{purged}: {}",
                db.name,
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                listed(&ids)
            ));
        }
    }
    Ok(Category::Success)
}

/// Up to ten ids, then a count: a stamp of a long history is thousands.
fn listed(ids: &[String]) -> String {
    match ids {
        [] => String::new(),
        few if few.len() <= 10 => few.join(" "),
        many => format!(
            "{} … {} ({} in all)",
            many[..5].join(" "),
            many[many.len() - 1],
            many.len()
        ),
    }
}

pub(crate) async fn run_repair(
    ctx: &Context,
    project: &Project,
    args: &RepairArgs,
) -> Result<Category> {
    let prepared = session::prepare(ctx, project, std::slice::from_ref(&args.db))?;
    let settings = session::run_settings(ctx, project);
    let progress = Progress::silent();
    for db in &prepared {
        let job = Job {
            db: &db.name,
            graph: &db.graph,
            settings: &settings,
            progress: &progress,
        };
        let conn = db.connect(project.config.settings.wait, true).await?;
        let report = session::with_connection(conn, async |d| {
            engine::repair(d, &job, &args.revision, args.forget).await
        })
        .await
        .map_err(|f| f.error)?;
        if let Some(note) = &report.note {
            ctx.printer.text(&format!("{}: {note}", db.name));
        }
    }
    Ok(Category::Success)
}
