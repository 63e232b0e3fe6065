//! The read-only commands that connect: `status`, `current`, `verify`.
//! They never take the lock and never create the version table.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::cli::{SelectArgs, VerifyArgs};
use crate::context::{Context, Project};
use crate::driver::Server;
use crate::engine::Inspection;
use crate::exit::{self, Category};
use crate::render::table;
use crate::session::{self, Looked, look, prepare_read};
use crate::state::{self, StateIssue};

#[derive(Serialize)]
struct StatusDoc {
    url: String,
    /// `writable`, `standby` or `read-only`; `null` when not reached.
    server: Option<&'static str>,
    current: Vec<String>,
    /// `null` when the database could not be read.
    pending: Option<usize>,
    pending_revisions: Vec<String>,
    heads: Vec<String>,
    state: String,
    issues: Vec<String>,
}

pub(crate) async fn run_status(
    ctx: &Context,
    project: &Project,
    args: &SelectArgs,
) -> Result<Category> {
    let names = project.select(&args.select)?;
    let (prepared, pending) =
        prepare_read(ctx, project, &names, session::wait(project, args.wait))?;
    let looked = look(&prepared, pending).await;
    let mut worst = Category::Success;
    let mut docs = BTreeMap::new();
    let mut rows = Vec::new();
    for l in &looked {
        let pending = l.pending();
        let (state, issues) = state_of(l, pending.is_empty());
        if let Err(e) = &l.result {
            worst = worst.worst(exit::category(e));
        }
        let current = l
            .result
            .as_ref()
            .map(|i| i.state.current.clone())
            .unwrap_or_default();
        let heads: Vec<String> = l.db.graph.heads().iter().map(ToString::to_string).collect();
        rows.push(vec![
            l.db.name.clone(),
            l.db.url.url.redacted().to_string(),
            list_or(&current, "-"),
            if l.result.is_ok() {
                pending.len().to_string()
            } else {
                "?".to_owned()
            },
            list_or(&heads, "-"),
            state.clone(),
        ]);
        docs.insert(
            l.db.name.clone(),
            StatusDoc {
                url: l.db.url.url.redacted().to_string(),
                server: l.result.as_ref().ok().map(|i| server_word(i.server)),
                current,
                pending: l.result.is_ok().then_some(pending.len()),
                pending_revisions: pending.iter().map(ToString::to_string).collect(),
                heads,
                state,
                issues,
            },
        );
    }
    ctx.printer.json(&docs);
    ctx.printer.text(&table::render(
        &["database", "url", "applied", "pending", "heads", "state"],
        &rows,
        ctx.printer.stdout_tty,
    ));
    report_errors(ctx, &looked);
    Ok(worst)
}

pub(crate) async fn run_current(
    ctx: &Context,
    project: &Project,
    args: &SelectArgs,
) -> Result<Category> {
    let names = project.select(&args.select)?;
    let (prepared, pending) =
        prepare_read(ctx, project, &names, session::wait(project, args.wait))?;
    let looked = look(&prepared, pending).await;
    let mut worst = Category::Success;
    let mut docs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut text = String::new();
    for l in &looked {
        match &l.result {
            Ok(insp) => {
                text.push_str(&format!(
                    "{}: {}\n",
                    l.db.name,
                    list_or(&insp.state.current, "(nothing applied)")
                ));
                docs.insert(l.db.name.clone(), insp.state.current.clone());
            }
            Err(e) => worst = worst.worst(exit::category(e)),
        }
    }
    ctx.printer.json(&docs);
    ctx.printer.text(&text);
    report_errors(ctx, &looked);
    Ok(worst)
}

#[derive(Serialize, Default)]
struct VerifyDoc {
    ok: bool,
    changed: Vec<String>,
    missing: Vec<String>,
    unknown: Vec<String>,
    dirty: Vec<String>,
    pending: Vec<String>,
    warnings: Vec<String>,
}

pub(crate) async fn run_verify(
    ctx: &Context,
    project: &Project,
    args: &VerifyArgs,
) -> Result<Category> {
    if args.schema {
        return super::drift::run(ctx, project, args).await;
    }
    let args = &args.select;
    let names = project.select(&args.select)?;
    let (prepared, pending) =
        prepare_read(ctx, project, &names, session::wait(project, args.wait))?;
    let looked = look(&prepared, pending).await;
    let mut worst = Category::Success;
    let mut docs = BTreeMap::new();
    let mut text = String::new();
    for l in &looked {
        let Ok(insp) = &l.result else {
            if let Err(e) = &l.result {
                worst = worst.worst(exit::category(e));
            }
            continue;
        };
        let mut doc = VerifyDoc {
            pending: l.pending().iter().map(ToString::to_string).collect(),
            ..VerifyDoc::default()
        };
        for issue in &insp.state.issues {
            match issue {
                StateIssue::ChecksumChanged { revision, .. } => doc.changed.push(revision.clone()),
                StateIssue::NotClosed { missing, .. } => {
                    doc.missing.extend(missing.iter().cloned())
                }
                StateIssue::Unknown { revision } => doc.unknown.push(revision.clone()),
                StateIssue::Dirty { revision } => doc.dirty.push(revision.clone()),
                StateIssue::ParentsChanged { .. } => doc.warnings.push(issue.render(&l.db.name)),
            }
        }
        doc.missing.sort();
        doc.missing.dedup();
        doc.ok = doc.changed.is_empty()
            && doc.missing.is_empty()
            && doc.unknown.is_empty()
            && doc.dirty.is_empty();
        if !doc.ok {
            worst = worst.worst(Category::Failed);
        }
        text.push_str(&verify_text(&l.db.name, &doc, insp));
        docs.insert(l.db.name.clone(), doc);
    }
    ctx.printer.json(&docs);
    ctx.printer.text(&text);
    report_errors(ctx, &looked);
    Ok(worst)
}

fn verify_text(name: &str, doc: &VerifyDoc, insp: &Inspection) -> String {
    let mut s = String::new();
    if doc.ok {
        s.push_str(&format!(
            "{name}: ok, {} applied revision{} match their files",
            insp.rows.len(),
            if insp.rows.len() == 1 { "" } else { "s" }
        ));
        if !doc.pending.is_empty() {
            s.push_str(&format!(" ({} pending)", doc.pending.len()));
        }
        s.push('\n');
    } else {
        s.push_str(&format!("{name}: FAILED\n"));
    }
    for (label, ids) in [
        ("changed", &doc.changed),
        ("missing", &doc.missing),
        ("unknown", &doc.unknown),
        ("dirty", &doc.dirty),
    ] {
        for id in ids {
            s.push_str(&format!("  {label:8} {id}\n"));
        }
    }
    for w in &doc.warnings {
        s.push_str(&format!("  warning  {w}\n"));
    }
    s
}

fn server_word(server: Server) -> &'static str {
    match server {
        Server::Writable => "writable",
        Server::Standby => "standby",
        Server::ReadOnly => "read-only",
    }
}

/// The `state` column of `status`, and every issue as a sentence; a server
/// that takes no writes says so after the state.
fn state_of(l: &Looked<'_>, nothing_pending: bool) -> (String, Vec<String>) {
    let (state, issues) = applied_state_of(l, nothing_pending);
    match l.result.as_ref().map(|i| i.server) {
        Ok(server @ (Server::Standby | Server::ReadOnly)) => {
            (format!("{state} ({})", server_word(server)), issues)
        }
        _ => (state, issues),
    }
}

fn applied_state_of(l: &Looked<'_>, nothing_pending: bool) -> (String, Vec<String>) {
    let insp = match &l.result {
        Ok(i) => i,
        Err(e) => {
            let state = if exit::category(e) == Category::Unavailable {
                "unreachable"
            } else {
                "error"
            };
            return (state.to_owned(), vec![format!("{e:#}")]);
        }
    };
    let issues: Vec<String> = insp
        .state
        .issues
        .iter()
        .map(|i| i.render(&l.db.name))
        .collect();
    let has = |f: fn(&StateIssue) -> bool| insp.state.issues.iter().any(f);
    if insp.managed_by_alembic() {
        let name = &l.db.name;
        let adopt = format!(
            "Alembic manages this database (`alembic_version` holds {}); adopt it with \
             `migrate stamp {name} --from-alembic`",
            insp.alembic.as_deref().unwrap_or_default().join(" ")
        );
        return ("managed by Alembic".to_owned(), vec![adopt]);
    }
    let state = if has(|i| matches!(i, StateIssue::Dirty { .. })) {
        "dirty".to_owned()
    } else if has(|i| matches!(i, StateIssue::ChecksumChanged { .. })) {
        "checksum changed".to_owned()
    } else if has(|i| matches!(i, StateIssue::NotClosed { .. })) {
        "inconsistent".to_owned()
    } else if has(|i| matches!(i, StateIssue::Unknown { .. })) {
        "ahead of files".to_owned()
    } else if !insp.table_exists {
        "new".to_owned()
    } else if nothing_pending {
        "up to date".to_owned()
    } else {
        "pending".to_owned()
    };
    (state, issues)
}

/// Errors and issues go to stderr after the results.
fn report_errors(ctx: &Context, looked: &[Looked<'_>]) {
    for l in looked {
        match &l.result {
            Err(e) => ctx.printer.failure(e),
            Ok(insp) => {
                for line in state::sentences(&insp.state.issues, &l.db.name) {
                    ctx.printer
                        .warn(&format!("database `{}`: {line}", l.db.name));
                }
            }
        }
    }
}

fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(" ")
    }
}
