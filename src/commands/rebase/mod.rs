//! `migrate rebase DB REV [--onto TARGET] [--dry-run]`: moves a branch on
//! top of another revision. The plan is `graph::rebase`; this loads, plans,
//! rewrites the files in memory (refusing before any is written), prints
//! each file, then writes them (each atomically) unless `--dry-run`.

use std::collections::BTreeSet;

use anyhow::Result;

use crate::cli::RebaseArgs;
use crate::commands::show::resolve_one;
use crate::context::{Context, Project};
use crate::exit::{Category, Fail};
use crate::graph::rebase::{self, Obstacle, RebaseError, RebasePlan};
use crate::graph::{Graph, and_ticked};
use crate::revision::RevisionId;
use crate::revision::rewrite::{holds_sql, rewrite_file};

mod files;
mod report;
mod seen;

use files::{Edits, read_again};

pub(crate) async fn run(ctx: &Context, project: &Project, args: &RebaseArgs) -> Result<Category> {
    let db = args.db.as_str();
    let graph = project.graph(db)?;
    let none = BTreeSet::new();
    let rev = resolve_one(&graph, &args.rev, &none, db)?;
    let onto = (args.onto.as_deref())
        .map(|t| resolve_one(&graph, t, &none, db))
        .transpose()?;
    let plan = rebase::plan(&graph, &rev, onto.as_ref()).map_err(|e| refusal(db, &e))?;
    if plan.is_empty() {
        ctx.printer.text(&format!(
            "{db}: nothing to change: the branch of `{rev}` already sits on `{}`",
            plan.onto
        ));
        return Ok(Category::Success);
    }
    let edits = edits(project, &graph, &plan, db)?;
    let seen = seen::applied_elsewhere(ctx, project, db, &plan).await;
    report::print_result(ctx, project, db, &plan, &edits, args.dry_run);
    report::warn_databases(ctx, db, &plan, &seen);
    if args.dry_run {
        ctx.printer.note("dry run: no file was changed");
        return Ok(Category::Success);
    }
    edits.write()?;
    let heads = project.graph(db)?.heads();
    if heads.len() > 1 {
        ctx.printer.note(&format!(
            "database `{db}` still has {} heads: {}; `migrate merge {db} -m \"merge heads\"` joins them",
            heads.len(),
            and_ticked(&heads)
        ));
    }
    Ok(Category::Success)
}

/// The error for a refused move, with its exit code and what to do next.
fn refusal(db: &str, e: &RebaseError) -> anyhow::Error {
    let (category, hint) = match e {
        RebaseError::Unknown { .. } => (Category::BadInput, None),
        RebaseError::SeveralHeads { rev, heads } => (
            Category::BadInput,
            heads
                .first()
                .map(|h| format!("say where it goes, e.g. `migrate rebase {db} {rev} --onto {h}`")),
        ),
        RebaseError::NoOtherHead { .. } => (
            Category::Failed,
            Some("pass `--onto TARGET` to say where the branch goes".to_owned()),
        ),
        // Asking to move a revision onto one that already has it is a
        // request that cannot mean anything: bad input, like an unknown id.
        RebaseError::SameRevision { .. } | RebaseError::AlreadyContained { .. } => (
            Category::BadInput,
            Some(format!(
                "`migrate heads {db}` lists the heads; REV is the tip of the branch to move"
            )),
        ),
        RebaseError::Blocked { .. } | RebaseError::WouldBreak { .. } => (
            Category::Failed,
            Some(
                "no file was changed; fix what is named above, or change those parents by hand"
                    .to_owned(),
            ),
        ),
    };
    let fail = Fail::new(category, format!("database `{db}`: {e}"));
    match hint {
        Some(hint) => fail.hint(hint).into(),
        None => fail.into(),
    }
}

/// Every file of the plan, read again and rewritten in memory, so that a
/// problem with any of them stops the run before one is written.
///
/// # Errors
/// A file changed since it was loaded or cannot be read, or a merge to
/// delete holds SQL.
fn edits(project: &Project, graph: &Graph, plan: &RebasePlan, db: &str) -> Result<Edits> {
    let revision = |id: &RevisionId| {
        graph
            .get(id.as_str())
            .ok_or_else(|| anyhow::anyhow!("revision `{id}` vanished from the graph"))
    };
    let mut edits = Edits::default();
    for change in &plan.reparented {
        let (real, bytes, _) = read_again(project, revision(&change.id)?)?;
        let bytes = rewrite_file(&change.path, &bytes, &change.new)?;
        edits.rewritten.push((real, bytes));
    }
    let mut obstacles = Vec::new();
    for merge in &plan.deleted {
        let (real, _, up) = read_again(project, revision(&merge.id)?)?;
        if holds_sql(&up) {
            obstacles.push(Obstacle::HoldsSql {
                merge: merge.id.clone(),
                path: merge.path.clone(),
            });
        }
        edits.deleted.push(real);
    }
    if !obstacles.is_empty() {
        let (rev, onto) = (plan.rev.clone(), plan.onto.clone());
        let blocked = RebaseError::Blocked {
            rev,
            onto,
            obstacles,
        };
        return Err(refusal(db, &blocked));
    }
    Ok(edits)
}
