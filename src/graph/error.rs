//! Why a database's revisions do not form a valid graph (docs/reference.md, "The graph"), and the
//! small list-formatting helpers the core's messages share.
//!
//! Pure: no file, env, clock or database access.

use std::fmt::Display;
use std::path::PathBuf;

use crate::revision::RevisionId;

/// One violation of the graph rules of docs/reference.md, "The graph". Each message names the
/// file(s) and says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GraphError {
    /// Several files declare the same id; `files` is sorted.
    #[error(
        "revision id `{id}` is used by {} files: {}; give each file its own `-- migrate:revision` id",
        .files.len(),
        and_ticked(.files.iter().map(|f| f.display()))
    )]
    DuplicateId { id: RevisionId, files: Vec<PathBuf> },

    #[error(
        "`{}`: revision `{child}` names parent `{parent}`, but no file defines it; fix its `-- migrate:parents` line or restore the missing file",
        .file.display()
    )]
    MissingParent {
        child: RevisionId,
        parent: RevisionId,
        file: PathBuf,
    },

    #[error(
        "`{}`: revision `{child}` depends on `{dependency}`, but no file defines it; fix its `-- migrate:depends-on` line or restore the missing file",
        .file.display()
    )]
    MissingDependency {
        child: RevisionId,
        dependency: RevisionId,
        file: PathBuf,
    },

    /// `path` starts and ends with the same id, its smallest member, and
    /// each revision in it names the next one as a parent or in
    /// `depends-on`; `files` are the members' files in path order.
    #[error(
        "revisions form a cycle: {} (each names the next as a parent or in `depends-on`); remove one of these links in {}",
        .path.iter().map(RevisionId::as_str).collect::<Vec<_>>().join(" -> "),
        and_ticked(.files.iter().map(|f| f.display()))
    )]
    Cycle {
        path: Vec<RevisionId>,
        files: Vec<PathBuf>,
    },

    /// `parent` is already an ancestor (through parent edges) of
    /// `ancestor_of`, another parent of `child`.
    #[error(
        "`{}`: revision `{child}` lists parent `{parent}`, which is already an ancestor of its other parent `{ancestor_of}`; remove `{parent}` from its `-- migrate:parents` line",
        .file.display()
    )]
    RedundantParent {
        child: RevisionId,
        parent: RevisionId,
        ancestor_of: RevisionId,
        file: PathBuf,
    },
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
pub(crate) fn and_ticked<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    joined_ticked(items, "and")
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
pub(crate) fn or_ticked<T: Display>(items: impl IntoIterator<Item = T>) -> String {
    joined_ticked(items, "or")
}

fn joined_ticked<T: Display>(items: impl IntoIterator<Item = T>, last_word: &str) -> String {
    let ticked: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    match ticked.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {last_word} {last}", rest.join(", ")),
    }
}
