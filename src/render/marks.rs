//! A revision's marks: the one definition of what `history`, `show` and
//! the graph drawings say a revision is.
//!
//! Pure.

use std::collections::BTreeSet;

use crate::graph::Graph;
use crate::revision::Revision;
use crate::state::{AppliedState, StateIssue};

/// One thing a revision is, in the order marks are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mark {
    /// No other revision names it as a parent or in `depends-on`.
    Head,
    /// It has no parents.
    Base,
    /// Several revisions name it as a parent.
    BranchPoint,
    /// It has several parents.
    MergePoint,
    /// The database recorded it, cleanly, and it has a file: what `up`
    /// counts as applied.
    Applied,
    /// The database recorded it as part-way through (a failed `transaction
    /// off` revision): not applied.
    Dirty,
}

impl Mark {
    /// The word shown for the mark (Alembic's words where it has them).
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::Base => "base",
            Self::BranchPoint => "branchpoint",
            Self::MergePoint => "mergepoint",
            Self::Applied => "applied",
            Self::Dirty => "dirty",
        }
    }
}

/// What is known of a database when marking: its applied state, if read.
pub(crate) struct Applied<'a> {
    state: &'a AppliedState,
    dirty: BTreeSet<&'a str>,
}

impl<'a> Applied<'a> {
    pub(crate) fn new(state: &'a AppliedState) -> Self {
        let dirty = state
            .issues
            .iter()
            .filter_map(|i| match i {
                StateIssue::Dirty { revision } => Some(revision.as_str()),
                _ => None,
            })
            .collect();
        Self { state, dirty }
    }
}

/// The marks of `rev` in `graph`, in [`Mark`] order; `applied` adds what
/// the database says of it.
pub(crate) fn marks(graph: &Graph, rev: &Revision, applied: Option<&Applied<'_>>) -> Vec<Mark> {
    let id = rev.id.as_str();
    let mut marks = Vec::new();
    if graph.is_head(id) {
        marks.push(Mark::Head);
    }
    if rev.parents.is_empty() {
        marks.push(Mark::Base);
    }
    if graph.is_branch_point(id) {
        marks.push(Mark::BranchPoint);
    }
    if graph.is_merge_point(id) {
        marks.push(Mark::MergePoint);
    }
    if let Some(a) = applied {
        if a.dirty.contains(id) {
            marks.push(Mark::Dirty);
        } else if a.state.applied.contains(&rev.id) {
            marks.push(Mark::Applied);
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::graph;
    use crate::state::{AppliedRow, analyse};

    fn row(id: &str, parents: &str, dirty: bool) -> AppliedRow {
        AppliedRow {
            revision: id.into(),
            parents: parents.into(),
            checksum: crate::revision::RecordedChecksum::parse(""),
            dirty,
        }
    }

    #[test]
    fn a_dirty_row_is_marked_dirty_and_never_applied() {
        let g = graph("a; b<a; c<a; m<b,c");
        let state = analyse(&g, &[row("a", "", false), row("b", "a", true)]);
        let applied = Applied::new(&state);
        let of = |id: &str| marks(&g, g.get(id).unwrap(), Some(&applied));
        assert_eq!(of("a"), [Mark::Base, Mark::BranchPoint, Mark::Applied]);
        assert_eq!(of("b"), [Mark::Dirty]);
        assert_eq!(of("m"), [Mark::Head, Mark::MergePoint]);
        assert_eq!(
            marks(&g, g.get("a").unwrap(), None),
            [Mark::Base, Mark::BranchPoint]
        );
    }
}
