//! Plans (docs/reference.md, "The graph"): which revisions `up`, `down` and `stamp` touch, in the
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
pub(crate) enum Direction {
    Up,
    Down,
}

/// The revisions to apply (or revert, or record), in the order to do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub direction: Direction,
    pub steps: Vec<RevisionId>,
}

impl Plan {
    pub(crate) fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Why `down` cannot go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PlanError {
    #[error(
        "revision `{revision}` is not applied, so there is nothing to revert down to; `migrate current` shows what is applied"
    )]
    NotApplied { revision: RevisionId },

    /// Sorted by id.
    #[error(
        "cannot revert: {} {} {} no `-- migrate:down` section ({}); nothing was reverted; add a down section, or choose a target above {}",
        if .revisions.len() == 1 { "revision" } else { "revisions" },
        and_ticked(.revisions.iter().map(|(id, _)| id)),
        if .revisions.len() == 1 { "has" } else { "have" },
        and_ticked(.revisions.iter().map(|(_, path)| path.display())),
        if .revisions.len() == 1 { "it" } else { "them" }
    )]
    Irreversible {
        revisions: Vec<(RevisionId, PathBuf)>,
    },
}

/// `up --to T`: exactly T* minus `applied`, in apply order. `Base` applies
/// nothing.
pub(crate) fn up(graph: &Graph, applied: &BTreeSet<RevisionId>, target: &Resolved) -> Plan {
    let wanted = match target {
        Resolved::Base => BTreeSet::new(),
        Resolved::Revisions(ids) => graph.closure(ids),
    };
    pending(graph, applied, &wanted)
}

/// `stamp T...`: the union of the T* minus `applied`, in apply order (the
/// rows to add; nothing runs).
pub(crate) fn stamp(graph: &Graph, applied: &BTreeSet<RevisionId>, targets: &[RevisionId]) -> Plan {
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
pub(crate) fn down(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::target::Target;
    use crate::graph::test_support::{graph, ids};

    fn set(list: &[&str]) -> BTreeSet<RevisionId> {
        ids(list).into_iter().collect()
    }

    fn resolved(g: &Graph, target: &str, applied: &BTreeSet<RevisionId>) -> Resolved {
        target
            .parse::<Target>()
            .unwrap()
            .resolve(g, applied)
            .unwrap()
    }

    fn down_steps(
        spec: &str,
        applied: &[&str],
        target: &str,
    ) -> Result<Vec<RevisionId>, PlanError> {
        let g = graph(spec);
        let applied = set(applied);
        down(&g, &applied, &resolved(&g, target, &applied)).map(|p| p.steps)
    }

    #[test]
    fn up_applies_the_target_closure_minus_applied_in_order() {
        let g = graph("a; b<a created=2; c<a created=1; m<b,c; x");
        let applied = set(&["a"]);
        let plan = up(&g, &applied, &resolved(&g, "m", &applied));
        assert_eq!(plan.direction, Direction::Up);
        assert_eq!(plan.steps, ids(&["c", "b", "m"]));
    }

    #[test]
    fn up_to_base_applies_nothing() {
        let g = graph("a; b<a");
        assert!(up(&g, &set(&[]), &Resolved::Base).is_empty());
    }

    #[test]
    fn up_follows_depends_on_into_another_branch() {
        let g = graph("a; b<a; x; y<x dep=b");
        let plan = up(&g, &set(&["x"]), &resolved(&g, "y", &set(&["x"])));
        assert_eq!(plan.steps, ids(&["a", "b", "y"]));
    }

    #[test]
    fn down_minus_one_from_the_first_revision_reverts_it() {
        assert_eq!(down_steps("a; b<a", &["a"], "-1"), Ok(ids(&["a"])));
    }

    #[test]
    fn down_to_r_keeps_r_and_branches_not_descending_from_it() {
        let spec = "a; b<a; c<b; d<a; e<d";
        assert_eq!(
            down_steps(spec, &["a", "b", "c", "d", "e"], "b"),
            Ok(ids(&["c"]))
        );
        assert_eq!(
            down_steps(spec, &["a", "b", "c", "d", "e"], "a"),
            Ok(ids(&["e", "d", "c", "b"]))
        );
    }

    #[test]
    fn down_to_r_leaves_revisions_naming_r_only_in_depends_on() {
        let spec = "a; b<a; c<b; x; y<x dep=b";
        assert_eq!(
            down_steps(spec, &["a", "b", "c", "x", "y"], "b"),
            Ok(ids(&["c"]))
        );
        // Reverting b itself takes its dependent y along, dependents first.
        assert_eq!(
            down_steps(spec, &["a", "b", "c", "x", "y"], "a"),
            Ok(ids(&["y", "c", "b"]))
        );
    }

    #[test]
    fn down_to_several_revisions_keeps_each_of_them() {
        let g = graph("a; b<a; c<b; x<a");
        let applied = set(&["a", "b", "c", "x"]);
        let plan = down(&g, &applied, &Resolved::Revisions(ids(&["a", "b"]))).unwrap();
        assert_eq!(plan.steps, ids(&["x", "c"]));
    }

    #[test]
    fn down_with_nothing_descending_is_an_empty_plan() {
        assert_eq!(down_steps("a; b<a", &["a", "b"], "b"), Ok(vec![]));
    }

    #[test]
    fn down_to_a_revision_not_applied_is_an_error() {
        let err = down_steps("a; b<a; c<b", &["a"], "b").unwrap_err();
        assert_eq!(
            err,
            PlanError::NotApplied {
                revision: ids(&["b"])[0].clone()
            }
        );
        assert!(err.to_string().contains("`b` is not applied"), "{err}");
    }

    #[test]
    fn down_to_base_reverts_everything_children_first() {
        assert_eq!(
            down_steps("a; b<a; x created=5", &["a", "b", "x"], "base"),
            Ok(ids(&["x", "b", "a"]))
        );
    }

    #[test]
    fn irreversible_revisions_stop_down_before_anything() {
        let err =
            down_steps("a; b<a irrev; c<b; d<c irrev", &["a", "b", "c", "d"], "a").unwrap_err();
        assert_eq!(
            err,
            PlanError::Irreversible {
                revisions: vec![
                    (ids(&["b"])[0].clone(), "b.sql".into()),
                    (ids(&["d"])[0].clone(), "d.sql".into())
                ],
            }
        );
        assert!(
            err.to_string()
                .contains("`b` and `d` have no `-- migrate:down` section (`b.sql` and `d.sql`)"),
            "{err}"
        );
        // An irreversible revision that is not reverted does not matter.
        assert_eq!(
            down_steps("a; b<a irrev; c<b", &["a", "b", "c"], "b"),
            Ok(ids(&["c"]))
        );
    }

    #[test]
    fn stamp_records_the_union_of_closures_minus_applied() {
        let g = graph("a; b<a; c<a; x");
        let plan = stamp(&g, &set(&["a"]), &ids(&["b", "c", "x"]));
        assert_eq!(plan.steps, ids(&["b", "c", "x"]));
        assert_eq!(plan.direction, Direction::Up);
    }
}
