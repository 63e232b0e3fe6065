//! `migrate show DB TARGET`: one revision in full.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Result;

use crate::cli::ShowArgs;
use crate::context::{Context, Project};
use crate::exit::{Category, Fail, Internal};
use crate::graph::Graph;
use crate::graph::and_ticked;
use crate::graph::target::{Resolved, Target};
use crate::render::marks::{Mark, marks};
use crate::revision::{Revision, RevisionId, Sql, read_sql};

pub(crate) fn run(ctx: &Context, project: &Project, args: &ShowArgs) -> Result<Category> {
    let graph = project.graph(&args.db)?;
    let id = resolve_one(&graph, &args.target, &BTreeSet::new(), &args.db)?;
    let rev = graph.get(id.as_str()).ok_or_else(|| {
        Internal::new(format!("revision `{id}` resolved but is not in the graph"))
    })?;
    let sql = read_sql(rev, &project.config.dir).map_err(|e| {
        anyhow::Error::new(e).context(Fail::bad_input(format!("database `{}`", args.db)))
    })?;
    ctx.printer.raw(&describe(&graph, rev, &sql));
    Ok(Category::Success)
}

/// Resolves a target that must name exactly one revision.
pub(crate) fn resolve_one(
    graph: &Graph,
    input: &str,
    applied: &BTreeSet<RevisionId>,
    db: &str,
) -> Result<RevisionId> {
    let target: Target = input
        .parse()
        .map_err(|e| anyhow::Error::new(e).context(format!("database `{db}`")))?;
    match target
        .resolve(graph, applied)
        .map_err(|e| anyhow::Error::new(e).context(format!("database `{db}`")))?
    {
        Resolved::Revisions(mut ids) if ids.len() == 1 => ids
            .pop()
            .ok_or_else(|| Internal::new(format!("`{input}` resolved to nothing")).into()),
        Resolved::Revisions(ids) => Err(Fail::bad_input(format!(
            "database `{db}`: `{input}` names {} revisions ({}); name one",
            ids.len(),
            and_ticked(&ids)
        ))
        .into()),
        Resolved::Base => Err(Fail::bad_input(format!(
            "database `{db}`: `{input}` is `base`, not a revision"
        ))
        .into()),
    }
}

fn describe(graph: &Graph, rev: &Revision, sql: &Sql) -> String {
    let mut s = String::new();
    let marks: Vec<&str> = marks(graph, rev, None)
        .into_iter()
        .map(Mark::word)
        .collect();
    let marks = if marks.is_empty() {
        String::new()
    } else {
        format!(" ({})", marks.join(", "))
    };
    let _ = writeln!(s, "Revision:    {}{marks}", rev.id);
    let _ = writeln!(s, "Parents:     {}", join_or(&rev.parents, "<base>"));
    let _ = writeln!(
        s,
        "Children:    {}",
        join_or(&graph.children(rev.id.as_str()), "<none>")
    );
    if !rev.depends_on.is_empty() {
        let _ = writeln!(s, "Depends on:  {}", join_or(&rev.depends_on, ""));
    }
    if !rev.labels.is_empty() {
        let _ = writeln!(s, "Labels:      {}", rev.labels.join(" "));
    }
    let _ = writeln!(s, "Message:     {}", rev.message);
    if let Some(c) = &rev.created {
        let _ = writeln!(s, "Created:     {}", c.text);
    }
    let _ = writeln!(s, "File:        {}", rev.path.display());
    let _ = writeln!(s, "Checksum:    {}", rev.checksum);
    let _ = writeln!(
        s,
        "Transaction: {}",
        if rev.transactional { "on" } else { "off" }
    );
    let _ = writeln!(
        s,
        "Reversible:  {}",
        if rev.is_reversible() {
            "yes"
        } else {
            "no (no down section)"
        }
    );
    let _ = writeln!(s, "\n-- up\n{}", sql.up.trim_end());
    if let Some(down) = &sql.down {
        let _ = writeln!(s, "\n-- down\n{}", down.trim_end());
    }
    s
}

fn join_or(ids: &[RevisionId], empty: &str) -> String {
    if ids.is_empty() {
        empty.to_owned()
    } else {
        ids.iter()
            .map(RevisionId::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
