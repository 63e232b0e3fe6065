//! `migrate new` and `migrate merge`: write a revision file, never
//! overwriting one, and print its path.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};

use crate::cli::{MergeArgs, NewArgs};
use crate::commands::show::resolve_one;
use crate::context::{Context, Project};
use crate::exit::{Category, Fail};
use crate::graph::Graph;
use crate::graph::and_ticked;
use crate::revision::RevisionId;
use crate::revision::format::{NewRevision, created_text, file_name, format_new};

pub(crate) fn run_new(ctx: &Context, project: &Project, args: &NewArgs) -> Result<Category> {
    let graph = project.graph(&args.db)?;
    let parents = if args.parents.is_empty() {
        single_head(&graph, &args.db)?
    } else {
        resolve_all(&graph, &args.parents, &args.db)?
    };
    let id = new_id(&graph, args.rev_id.as_deref(), &args.message, &args.db)?;
    let mut rev = NewRevision::template(
        id,
        parents,
        &args.message,
        created_text(time::OffsetDateTime::now_utc()),
    );
    if let Some(label) = &args.label {
        if !crate::revision::is_valid_label(label) {
            return Err(Fail::bad_input(format!(
                "--label `{label}` is not a valid label: use 1 to 64 letters, digits, `_`, `.` or `-`"
            ))
            .into());
        }
        rev.labels.push(label.clone());
    }
    rev.transactional = !args.no_transaction;
    let migrations = &project.database(&args.db)?.migrations;
    let folder = match &args.dir {
        Some(sub) => migrations.join(checked_subfolder(sub)?),
        None => migrations.clone(),
    };
    let path = write_revision(&folder, &rev, &args.message)?;
    check_parses(&path, &rev)?;
    ctx.printer.text(&project.display_path(&path));
    Ok(Category::Success)
}

pub(crate) fn run_merge(ctx: &Context, project: &Project, args: &MergeArgs) -> Result<Category> {
    let graph = project.graph(&args.db)?;
    let parents: Vec<RevisionId> = if args.revisions.is_empty() {
        graph.heads()
    } else {
        resolve_all(&graph, &args.revisions, &args.db)?
    };
    if parents.len() < 2 {
        let what = match (args.revisions.is_empty(), parents.as_slice()) {
            (true, []) => format!(
                "database `{}` has no revisions; there is nothing to merge",
                args.db
            ),
            (true, _) => format!(
                "database `{}` has a single head ({}); there is nothing to merge",
                args.db,
                and_ticked(&parents)
            ),
            (false, _) => format!(
                "a merge needs at least two different revisions; got {}",
                and_ticked(&parents)
            ),
        };
        return Err(Fail::failed(what)
            .hint(format!("`migrate heads {}` lists the heads", args.db))
            .into());
    }
    for p in &parents {
        let others: Vec<RevisionId> = parents.iter().filter(|o| *o != p).cloned().collect();
        if graph.closure(others.iter()).contains(p) {
            return Err(Fail::bad_input(format!(
                "`{p}` is an ancestor of another revision being merged; a merge joins heads of separate branches"
            ))
            .hint(format!("run `migrate heads {}` to see the heads", args.db))
            .into());
        }
    }
    let id = new_id(&graph, args.rev_id.as_deref(), &args.message, &args.db)?;
    let mut rev = NewRevision::template(
        id,
        parents,
        &args.message,
        created_text(time::OffsetDateTime::now_utc()),
    );
    rev.up = "-- merge revision: joins the branches above; add SQL only if the merge needs it\n"
        .to_owned();
    rev.down = Some(String::new());
    let folder = project.database(&args.db)?.migrations.clone();
    let path = write_revision(&folder, &rev, &args.message)?;
    check_parses(&path, &rev)?;
    ctx.printer.text(&project.display_path(&path));
    Ok(Category::Success)
}

/// `--dir` must name a visible folder inside the migrations folder, or the
/// revision would be written where loading never looks.
fn checked_subfolder(sub: &Path) -> Result<&Path> {
    let inside = sub.components().all(|c| match c {
        std::path::Component::Normal(name) => !name.to_string_lossy().starts_with('.'),
        std::path::Component::CurDir => true,
        _ => false,
    });
    if inside {
        Ok(sub)
    } else {
        Err(Fail::bad_input(format!(
            "--dir `{}` must be a relative sub-folder of the migrations folder, without `..` or hidden folders",
            sub.display()
        ))
        .hint("hidden folders and folders outside the migrations folder are never read")
        .into())
    }
}

/// Each input as one revision, without repeats, in the order given.
fn resolve_all(graph: &Graph, inputs: &[String], db: &str) -> Result<Vec<RevisionId>> {
    let mut ids = Vec::new();
    for input in inputs {
        let id = resolve_one(graph, input, &BTreeSet::new(), db)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The parent of a new revision: the single head, nothing for an empty
/// history, an error naming the heads when there are several.
fn single_head(graph: &Graph, db: &str) -> Result<Vec<RevisionId>> {
    let heads = graph.heads();
    if heads.len() > 1 {
        return Err(Fail::bad_input(format!(
            "database `{db}` has {} heads: {}; a new revision needs one parent",
            heads.len(),
            and_ticked(&heads)
        ))
        .hint(format!(
            "run `migrate merge {db} -m \"merge heads\"` first, or pass `--parent ID`"
        ))
        .into());
    }
    Ok(heads)
}

/// The id of a new revision: `--rev-id` when given (and free), else 12 hex
/// characters derived from the time, the process and the message.
fn new_id(graph: &Graph, requested: Option<&str>, message: &str, db: &str) -> Result<RevisionId> {
    if let Some(raw) = requested {
        let id = RevisionId::new(raw).map_err(|e| Fail::bad_input(format!("--rev-id: {e}")))?;
        if let Some(existing) = graph.get(id.as_str()) {
            return Err(Fail::bad_input(format!(
                "database `{db}` already has revision `{id}` in `{}`",
                existing.path.display()
            ))
            .hint("choose another --rev-id, or leave it out for a random one")
            .into());
        }
        return Ok(id);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    for attempt in 0u32..1000 {
        let digest = Sha256::new()
            .chain_update(nanos.to_le_bytes())
            .chain_update(std::process::id().to_le_bytes())
            .chain_update(attempt.to_le_bytes())
            .chain_update(message.as_bytes())
            .finalize();
        let hex = format!("{digest:x}");
        if let Ok(id) = RevisionId::new(&hex[..12])
            && graph.get(id.as_str()).is_none()
        {
            return Ok(id);
        }
    }
    Err(Fail::failed("could not find a free revision id; pass --rev-id").into())
}

fn write_revision(folder: &Path, rev: &NewRevision, message: &str) -> Result<PathBuf> {
    crate::revision::write_new(
        folder,
        Path::new(&file_name(&rev.id, message)),
        &format_new(rev),
    )
}

/// A written file must parse back; a failure here is a bug, reported plainly.
fn check_parses(path: &Path, rev: &NewRevision) -> Result<()> {
    let bytes = fs::read(path).with_context(|| format!("cannot read back `{}`", path.display()))?;
    let (parsed, _) = crate::revision::parse(path, &bytes)?;
    anyhow::ensure!(
        parsed.id == rev.id,
        "the written file `{}` does not parse back to `{}`",
        path.display(),
        rev.id
    );
    Ok(())
}
