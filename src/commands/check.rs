//! `migrate check`: files, graph and config, for CI; `--online` also reads
//! each database (without the lock) and fails on anything `up` would not
//! leave clean.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::context::{Context, Project};
use crate::exit::Category;
use crate::graph::Graph;
use crate::graph::and_ticked;
use crate::session::{self, look, prepare_read};
use crate::state::{self, StateIssue};

#[derive(Serialize, Default)]
struct CheckDoc {
    ok: bool,
    revisions: usize,
    heads: Vec<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<Vec<String>>,
}

pub(crate) async fn run(ctx: &Context, project: &Project, args: &CheckArgs) -> Result<Category> {
    let names = project.select(&args.select)?;
    let mut worst = Category::Success;
    let mut docs: BTreeMap<String, CheckDoc> = BTreeMap::new();
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    for name in &names {
        let (doc, graph, category) = check_static(project, name)?;
        worst = worst.worst(category);
        if let Some(g) = graph {
            graphs.insert(name.clone(), g);
        }
        docs.insert(name.clone(), doc);
    }
    if args.online {
        let online_names: Vec<String> = graphs.keys().cloned().collect();
        worst = worst.worst(check_online(ctx, project, &online_names, args, &mut docs).await?);
    }
    for doc in docs.values_mut() {
        doc.ok = doc.errors.is_empty();
    }
    ctx.printer.json(&docs);
    ctx.printer.text(&summary(&docs));
    for (name, doc) in &docs {
        for e in crate::human::capped(doc.errors.clone(), name) {
            ctx.printer
                .error(&format!("database `{name}`: {e}"), &[], None);
        }
        for w in crate::human::capped(doc.warnings.clone(), name) {
            ctx.printer.warn(&format!("database `{name}`: {w}"));
        }
        if doc.heads.len() > 1 {
            ctx.printer.hint(&format!("run `migrate merge {name} -m \"merge heads\"` to join the heads, then commit the new file"));
        }
    }
    Ok(worst)
}

/// Files and graph of one database, without connecting.
fn check_static(project: &Project, name: &str) -> Result<(CheckDoc, Option<Graph>, Category)> {
    let files = project.files(name)?;
    let mut doc = CheckDoc {
        revisions: files.revisions.len(),
        ..CheckDoc::default()
    };
    if !files.errors.is_empty() {
        doc.errors = files.errors.iter().map(ToString::to_string).collect();
        return Ok((doc, None, Category::BadInput));
    }
    let graph = match Graph::build(files.revisions) {
        Ok(g) => g,
        Err(errs) => {
            doc.errors = errs.iter().map(ToString::to_string).collect();
            return Ok((doc, None, Category::BadInput));
        }
    };
    let heads = graph.heads();
    doc.heads = heads.iter().map(ToString::to_string).collect();
    let mut category = Category::Success;
    if heads.len() > 1 {
        let diverged = graph
            .divergence(&heads)
            .map(|d| format!(", which diverged at `{d}`"))
            .unwrap_or_default();
        let files: Vec<String> = heads
            .iter()
            .filter_map(|h| graph.get(h.as_str()))
            .map(|r| r.path.display().to_string())
            .collect();
        doc.errors.push(format!(
            "{} heads: {}{diverged} (files {}); a fresh database cannot be built to a single head",
            heads.len(),
            and_ticked(&heads),
            and_ticked(&files)
        ));
        category = Category::Failed;
    }
    Ok((doc, Some(graph), category))
}

async fn check_online(
    ctx: &Context,
    project: &Project,
    names: &[String],
    args: &CheckArgs,
    docs: &mut BTreeMap<String, CheckDoc>,
) -> Result<Category> {
    let (prepared, pending) = prepare_read(ctx, project, names, session::wait(project, args.wait))?;
    let looked = look(&prepared, pending).await;
    let mut worst = Category::Success;
    for l in &looked {
        let Some(doc) = docs.get_mut(&l.db.name) else {
            continue;
        };
        let insp = match &l.result {
            Ok(i) => i,
            Err(e) => {
                worst = worst.worst(crate::exit::category(e));
                doc.errors.push(format!("{e:#}"));
                continue;
            }
        };
        let pending: Vec<String> = l.pending().iter().map(ToString::to_string).collect();
        if !pending.is_empty() {
            doc.errors.push(format!(
                "{} pending revision{}: {}; run `migrate up {}`",
                pending.len(),
                if pending.len() == 1 { "" } else { "s" },
                and_ticked(&pending),
                l.db.name
            ));
        }
        let (warnings, errors): (Vec<&StateIssue>, Vec<&StateIssue>) = insp
            .state
            .issues
            .iter()
            .partition(|i| matches!(i, StateIssue::ParentsChanged { .. }));
        doc.warnings.extend(state::sentences(warnings, &l.db.name));
        doc.errors.extend(state::sentences(errors, &l.db.name));
        if !doc.errors.is_empty() {
            worst = worst.worst(Category::Failed);
        }
        doc.pending = Some(pending);
    }
    Ok(worst)
}

fn summary(docs: &BTreeMap<String, CheckDoc>) -> String {
    let mut s = String::new();
    for (name, doc) in docs {
        if doc.errors.is_empty() {
            let head = if doc.heads.is_empty() {
                "no revisions".to_owned()
            } else {
                format!("head {}", doc.heads.join(" "))
            };
            s.push_str(&format!(
                "{name}: ok ({} revision{}, {head})\n",
                doc.revisions,
                if doc.revisions == 1 { "" } else { "s" }
            ));
        } else {
            s.push_str(&format!(
                "{name}: FAILED ({} problem{})\n",
                doc.errors.len(),
                if doc.errors.len() == 1 { "" } else { "s" }
            ));
        }
    }
    s
}
