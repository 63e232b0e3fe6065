//! What `migrate rebase` prints: the moved revisions and each file changed
//! or deleted on stdout (or one JSON document), then on stderr what
//! databases that applied them will see.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Edits;
use super::seen::{Applied, Sighting};
use crate::context::{Context, Project};
use crate::graph::and_ticked;
use crate::graph::rebase::RebasePlan;
use crate::revision::RevisionId;

#[derive(Serialize)]
struct RebaseDoc {
    onto: String,
    moved: Vec<String>,
    changed: Vec<ChangedDoc>,
    deleted: Vec<String>,
    dry_run: bool,
}

#[derive(Serialize)]
struct ChangedDoc {
    path: String,
    revision: String,
    parents_before: Vec<String>,
    parents_after: Vec<String>,
}

/// The moved revisions and every file changed or deleted, on stdout.
pub(super) fn print_result(
    ctx: &Context,
    project: &Project,
    db: &str,
    plan: &RebasePlan,
    edits: &Edits,
    dry_run: bool,
) {
    let strings = |ids: &[RevisionId]| ids.iter().map(ToString::to_string).collect::<Vec<_>>();
    let doc = RebaseDoc {
        onto: plan.onto.to_string(),
        moved: strings(&plan.moved),
        changed: (plan.reparented.iter().zip(&edits.rewritten))
            .map(|(r, (real, _))| ChangedDoc {
                path: project.display_path(real),
                revision: r.id.to_string(),
                parents_before: strings(&r.old),
                parents_after: strings(&r.new),
            })
            .collect(),
        deleted: edits
            .deleted
            .iter()
            .map(|p| project.display_path(p))
            .collect(),
        dry_run,
    };
    ctx.printer.json(&BTreeMap::from([(db, &doc)]));
    let mut text = format!(
        "{db}: moving {} onto `{}`: {}\n",
        count(plan.moved.len(), "revision"),
        plan.onto,
        listed(&plan.moved)
    );
    for (r, c) in plan.reparented.iter().zip(&doc.changed) {
        text += &format!(
            "changed {} (parents {} -> {})\n",
            c.path,
            parents(&r.old),
            parents(&r.new)
        );
    }
    for (d, path) in plan.deleted.iter().zip(&doc.deleted) {
        text += &format!(
            "deleted {path} (merge of {}, which `{}` already contains)\n",
            and_ticked(&d.parents),
            plan.onto
        );
    }
    ctx.printer.text(&text);
}

fn parents(ids: &[RevisionId]) -> String {
    if ids.is_empty() {
        "(none)".to_owned()
    } else {
        and_ticked(ids)
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Up to ten ids, then how many more: a long branch is hundreds.
fn listed(ids: &[RevisionId]) -> String {
    if ids.len() <= 10 {
        return and_ticked(ids);
    }
    format!(
        "{} and {} more",
        and_ticked(&ids[..9]).replace(" and ", ", "),
        ids.len() - 9
    )
}

/// What databases that applied what moved will see, on stderr.
pub(super) fn warn_databases(ctx: &Context, db: &str, plan: &RebasePlan, seen: &[Sighting]) {
    let ids: Vec<&RevisionId> = plan.reparented.iter().map(|r| &r.id).collect();
    if !ids.is_empty() {
        let (it, has) = if ids.len() == 1 {
            ("it", "has")
        } else {
            ("them", "have")
        };
        ctx.printer.warn(&format!(
            "database `{db}`: {} now {has} other parents; a database that already applied {it} will report {it} as re-parented (`migrate verify`, `status` and `check --online` name both parent lists)",
            and_ticked(&ids)
        ));
    }
    for merge in &plan.deleted {
        ctx.printer.warn(&format!(
            "database `{db}`: merge `{}` is deleted; a database that already applied it will report it as applied without a file (`up --strict` and `check --online` fail there) until `migrate repair {db} {} --forget` drops its row",
            merge.id, merge.id
        ));
    }
    for c in &plan.carried {
        ctx.printer.note(&format!(
            "note: `{c}` keeps its parents, so it now comes after `{}` too",
            plan.onto
        ));
    }
    for l in &plan.labels {
        ctx.printer.note(&format!(
            "note: `{}@head` now means {} (was {})",
            l.label,
            parents(&l.after),
            parents(&l.before)
        ));
    }
    for s in seen {
        match &s.applied {
            Ok(applied) => ctx.printer.warn(&sighted(s, applied, &plan.onto)),
            Err(e) => ctx.printer.note(&format!(
                "note: database `{}` ({}) was not looked at: {e}",
                s.db, s.url
            )),
        }
    }
}

/// What a database that applied moved revisions holds once files change.
fn sighted(s: &Sighting, applied: &Applied, onto: &RevisionId) -> String {
    let all: Vec<&RevisionId> = applied.reparented.iter().chain(&applied.deleted).collect();
    let mut line = format!(
        "database `{}` ({}) has applied {}",
        s.db,
        s.url,
        and_ticked(&all)
    );
    if !applied.reparented.is_empty() && !applied.onto {
        let (them, its) = if applied.reparented.len() == 1 {
            ("it", "its")
        } else {
            ("them", "their")
        };
        line += &format!(
            "; it lacks `{onto}`, so once the files change it holds {} applied before {its} new parent and `up` stops there: revert {them} there before the rebase (`migrate down`), then apply {them} again after it",
            and_ticked(&applied.reparented)
        );
    }
    line
}
