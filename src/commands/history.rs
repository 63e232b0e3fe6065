//! `migrate history`: revisions newest first, marking heads, branch points,
//! merge points and (with `--applied`) what the database has applied.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::cli::HistoryArgs;
use crate::context::{Context, Project};
use crate::exit::{Category, Fail, Internal};
use crate::graph::Graph;
use crate::graph::target::{Resolved, Target};
use crate::render::marks::{Applied, Mark, marks};
use crate::revision::{Revision, RevisionId};
use crate::session::{look, prepare_read};
use crate::state::AppliedState;

#[derive(Serialize)]
struct EntryDoc {
    revision: String,
    parents: Vec<String>,
    depends_on: Vec<String>,
    message: String,
    created: Option<String>,
    file: String,
    head: bool,
    branch_point: bool,
    merge_point: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dirty: Option<bool>,
}

pub(crate) async fn run(ctx: &Context, project: &Project, args: &HistoryArgs) -> Result<Category> {
    let graph = project.graph(&args.db)?;
    let shown = match &args.range {
        Some(range) => range_set(&graph, range, &args.db)?,
        None => graph.revisions().iter().map(|r| r.id.clone()).collect(),
    };
    let state = if args.applied {
        Some(applied_state(ctx, project, &args.db).await?)
    } else {
        None
    };
    let applied = state.as_ref().map(Applied::new);
    let mut text = String::new();
    let mut docs = Vec::new();
    for id in graph
        .history_order()
        .iter()
        .filter(|id| shown.contains(*id))
    {
        let rev = graph.get(id.as_str()).ok_or_else(|| {
            Internal::new(format!(
                "revision `{id}` is in the history order but not the graph"
            ))
        })?;
        let marks = marks(&graph, rev, applied.as_ref());
        let is = |m: Mark| marks.contains(&m);
        // The line starts `<base> ->` already, as Alembic's does.
        let words: Vec<&str> = marks
            .iter()
            .filter(|m| **m != Mark::Base)
            .map(|m| m.word())
            .collect();
        if args.verbose {
            verbose_entry(&mut text, rev, &words);
        } else {
            let parents = if rev.parents.is_empty() {
                "<base>".to_owned()
            } else {
                join(&rev.parents)
            };
            // Alembic's layout: each mark in its own parentheses, so `(head)` greps.
            let marks: String = words.iter().map(|m| format!(" ({m})")).collect();
            let _ = writeln!(text, "{parents} -> {}{marks}, {}", rev.id, rev.message);
        }
        docs.push(EntryDoc {
            revision: rev.id.to_string(),
            parents: rev.parents.iter().map(ToString::to_string).collect(),
            depends_on: rev.depends_on.iter().map(ToString::to_string).collect(),
            message: rev.message.clone(),
            created: rev.created.as_ref().map(|c| c.text.to_string()),
            file: rev.path.display().to_string(),
            head: is(Mark::Head),
            branch_point: is(Mark::BranchPoint),
            merge_point: is(Mark::MergePoint),
            applied: applied.is_some().then(|| is(Mark::Applied)),
            dirty: applied.is_some().then(|| is(Mark::Dirty)),
        });
    }
    ctx.printer.json(&BTreeMap::from([(args.db.clone(), docs)]));
    ctx.printer.text(&text);
    Ok(Category::Success)
}

fn verbose_entry(text: &mut String, rev: &Revision, marks: &[&str]) {
    let marks: String = marks.iter().map(|m| format!(" ({m})")).collect();
    let _ = writeln!(text, "Rev: {}{marks}", rev.id);
    let _ = writeln!(
        text,
        "Parent: {}",
        if rev.parents.is_empty() {
            "<base>".to_owned()
        } else {
            join(&rev.parents)
        }
    );
    if !rev.depends_on.is_empty() {
        let _ = writeln!(text, "Depends on: {}", join(&rev.depends_on));
    }
    if let Some(c) = &rev.created {
        let _ = writeln!(text, "Created: {}", c.text);
    }
    let _ = writeln!(text, "Path: {}", rev.path.display());
    let _ = writeln!(text, "\n    {}\n", rev.message);
}

/// `A:B`: the revisions that are ancestors of B (or B) and descendants of A
/// (or A). Either side may be left out; `base` and `heads` work as anywhere.
fn range_set(graph: &Graph, range: &str, db: &str) -> Result<BTreeSet<RevisionId>> {
    let Some((from, to)) = range.split_once(':') else {
        return Err(Fail::bad_input(format!(
            "--range `{range}` must look like `A:B` (either side may be empty)"
        ))
        .into());
    };
    let everything: BTreeSet<RevisionId> = graph.revisions().iter().map(|r| r.id.clone()).collect();
    let upper = match resolve(graph, to, db)? {
        None => everything,
        Some(Resolved::Base) => BTreeSet::new(),
        Some(Resolved::Revisions(ids)) => graph.closure(&ids),
    };
    let lower = match resolve(graph, from, db)? {
        None | Some(Resolved::Base) => return Ok(upper),
        Some(Resolved::Revisions(ids)) => {
            let mut below = graph.descendants(&ids);
            below.extend(ids);
            below
        }
    };
    Ok(upper.intersection(&lower).cloned().collect())
}

/// One side of a range; `None` when it is empty.
fn resolve(graph: &Graph, side: &str, db: &str) -> Result<Option<Resolved>> {
    if side.is_empty() {
        return Ok(None);
    }
    let target: Target = side
        .parse()
        .map_err(|e| anyhow::Error::new(e).context(format!("database `{db}`: --range")))?;
    let resolved = target
        .resolve(graph, &BTreeSet::new())
        .map_err(|e| anyhow::Error::new(e).context(format!("database `{db}`: --range")))?;
    Ok(Some(resolved))
}

async fn applied_state(ctx: &Context, project: &Project, db: &str) -> Result<AppliedState> {
    let (prepared, connecting) =
        prepare_read(ctx, project, &[db.to_owned()], project.config.settings.wait)?;
    let mut looked = look(&prepared, connecting).await;
    match looked.pop().map(|l| l.result) {
        Some(Ok(insp)) => Ok(insp.state),
        Some(Err(e)) => Err(e),
        None => Err(Internal::new("`history --applied` looked at no database").into()),
    }
}

fn join(ids: &[RevisionId]) -> String {
    ids.iter()
        .map(RevisionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
