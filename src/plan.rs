//! Plans (SPEC §3): which revisions `up`, `down` and `stamp` touch, in the
//! order they run. `up`, `up --dry-run`, `sql`, `status` and `check --online`
//! all use these same functions.
//!
//! Pure: no file, env, clock or database access.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::graph::target::Resolved;
use crate::graph::{Graph, and_ticked};
use crate::revision::RevisionId;

/// Which way a plan moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// The revisions to apply (or revert, or record), in the order to do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub direction: Direction,
    pub steps: Vec<RevisionId>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Why `down` cannot go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "revision `{revision}` is not applied, so there is nothing to revert down to; `migrate current` shows what is applied"
    )]
    NotApplied { revision: RevisionId },

    /// Sorted by id.
    #[error(
        "cannot revert: {} {} no `-- migrate:down` section ({}); nothing was reverted; add a down section, or choose a target above {}",
        if .revisions.len() == 1 { "revision" } else { "revisions" },
        and_ticked(.revisions.iter().map(|(id, _)| id)),
        and_ticked(.revisions.iter().map(|(_, path)| path.display())),
        if .revisions.len() == 1 { "it" } else { "them" }
    )]
    Irreversible {
        revisions: Vec<(RevisionId, PathBuf)>,
    },
}

/// `up --to T`: exactly T* minus `applied`, in apply order. `Base` applies
/// nothing.
pub fn up(graph: &Graph, applied: &BTreeSet<RevisionId>, target: &Resolved) -> Plan {
    let wanted = match target {
        Resolved::Base => BTreeSet::new(),
        Resolved::Revisions(ids) => graph.closure(ids),
    };
    pending(graph, applied, &wanted)
}

/// `stamp T...`: the union of the T* minus `applied`, in apply order (the
/// rows to add; nothing runs).
pub fn stamp(graph: &Graph, applied: &BTreeSet<RevisionId>, targets: &[RevisionId]) -> Plan {
    pending(graph, applied, &graph.closure(targets))
}

fn pending(graph: &Graph, applied: &BTreeSet<RevisionId>, wanted: &BTreeSet<RevisionId>) -> Plan {
    let missing: BTreeSet<RevisionId> = wanted.difference(applied).cloned().collect();
    Plan {
        direction: Direction::Up,
        steps: graph.apply_order(&missing),
    }
}

/// `down --to T`, children and dependents first.
///
/// For `Revisions(rs)` it reverts the applied revisions reachable from the
/// children of the `rs` through child and dependent edges, less the closure
/// of the `rs`: each R stays, and so does a revision naming R only in
/// `depends-on`. `Base` reverts every applied revision. An empty plan means
/// nothing applied descends from the target.
///
/// # Errors
/// `NotApplied` when a target revision is not applied; `Irreversible`,
/// naming every revision without a `down` section among the steps, before
/// anything is reverted.
pub fn down(
    graph: &Graph,
    applied: &BTreeSet<RevisionId>,
    target: &Resolved,
) -> Result<Plan, PlanError> {
    let reverted: BTreeSet<RevisionId> = match target {
        Resolved::Base => applied
            .iter()
            .filter(|id| graph.contains(id.as_str()))
            .cloned()
            .collect(),
        Resolved::Revisions(rs) => {
            if let Some(revision) = rs.iter().find(|r| !applied.contains(*r)) {
                return Err(PlanError::NotApplied {
                    revision: revision.clone(),
                });
            }
            let kept = graph.closure(rs);
            graph
                .descendants(rs)
                .into_iter()
                .filter(|id| applied.contains(id) && !kept.contains(id))
                .collect()
        }
    };
    let irreversible: Vec<(RevisionId, PathBuf)> = reverted
        .iter()
        .filter_map(|id| graph.get(id.as_str()))
        .filter(|r| !r.is_reversible())
        .map(|r| (r.id.clone(), r.path.clone()))
        .collect();
    if !irreversible.is_empty() {
        return Err(PlanError::Irreversible {
            revisions: irreversible,
        });
    }
    Ok(Plan {
        direction: Direction::Down,
        steps: graph.revert_order(&reverted),
    })
}
