//! Planning `migrate rebase`: which revisions of a branch move on top of
//! another revision, which of its merges go, and each changed file's new
//! parent list. The command only carries the plan out.
//!
//! Pure: no file, env, clock or database access.
//!
//! The branch of REV is REV and its ancestors through parent edges that
//! TARGET does not already need (TARGET and what it needs through parents
//! and `depends-on`). `depends-on` never pulls a revision into the branch:
//! a dependency is not a parent, and moving the chain it sits on would
//! re-parent revisions that have nothing to do with the branch. Because
//! nothing TARGET needs is in the branch, putting the branch on top of
//! TARGET cannot close a cycle.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use super::{Graph, GraphError, and_ticked};
use crate::revision::{Revision, RevisionId};

/// What `rebase` changes, worked out before any file is touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RebasePlan {
    /// The tip of the branch.
    pub rev: RevisionId,
    /// What the branch moves onto.
    pub onto: RevisionId,
    /// The branch's revisions that stay (every one but deleted merges), in
    /// apply order.
    pub moved: Vec<RevisionId>,
    /// Moved revisions whose parents change, sorted by id.
    pub reparented: Vec<Reparent>,
    /// Merges of the branch that TARGET already made, sorted by id.
    pub deleted: Vec<DeletedMerge>,
    /// Revisions outside the branch that name a moved revision as a
    /// parent: their files keep their parents, and they now descend from
    /// TARGET too. Sorted by id.
    pub carried: Vec<RevisionId>,
    /// Labels whose `LABEL@head` resolves differently afterwards, sorted.
    pub labels: Vec<LabelMove>,
}

/// One file whose `-- migrate:parents` line changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reparent {
    pub id: RevisionId,
    pub path: PathBuf,
    /// As the file lists them now.
    pub old: Vec<RevisionId>,
    /// As it will list them.
    pub new: Vec<RevisionId>,
}

/// A merge revision whose file is deleted: everything it joins is already
/// below TARGET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeletedMerge {
    pub id: RevisionId,
    pub path: PathBuf,
    pub parents: Vec<RevisionId>,
}

/// A label whose heads change: `before` and `after` sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelMove {
    pub label: String,
    pub before: Vec<RevisionId>,
    pub after: Vec<RevisionId>,
}

impl RebasePlan {
    /// True when no file would change: the branch already sits on TARGET.
    pub(crate) fn is_empty(&self) -> bool {
        self.reparented.is_empty() && self.deleted.is_empty()
    }

    /// `revisions` as they read once the plan is carried out: deleted
    /// merges gone, re-parented revisions with their new parents, every
    /// other field (checksums included) as it was.
    pub(crate) fn apply(&self, revisions: Vec<Revision>) -> Vec<Revision> {
        let deleted: BTreeSet<&RevisionId> = self.deleted.iter().map(|d| &d.id).collect();
        revisions
            .into_iter()
            .filter(|r| !deleted.contains(&r.id))
            .map(|mut r| {
                if let Ok(at) = self.reparented.binary_search_by(|p| p.id.cmp(&r.id)) {
                    r.parents = self.reparented[at].new.clone().into();
                }
                r
            })
            .collect()
    }
}

/// Why the branch cannot be moved; nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RebaseError {
    #[error("revision `{id}` is not in the graph")]
    Unknown { id: RevisionId },
    #[error("`{rev}` is the revision to move onto; there is nothing to move")]
    SameRevision { rev: RevisionId },
    #[error("`{onto}` already descends from `{rev}` (or depends on it); there is nothing to move")]
    AlreadyContained { rev: RevisionId, onto: RevisionId },
    #[error(
        "every head of the graph descends from `{rev}`; there is no other head to move its branch onto"
    )]
    NoOtherHead { rev: RevisionId },
    #[error(
        "with the branch of `{rev}` set aside the graph has {} heads: {}; say which one to move onto",
        .heads.len(),
        and_ticked(.heads)
    )]
    SeveralHeads {
        rev: RevisionId,
        heads: Vec<RevisionId>,
    },
    /// Merges that would be deleted but something still needs.
    #[error(
        "cannot move the branch of `{rev}` onto `{onto}`:\n  {}",
        .obstacles.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Blocked {
        rev: RevisionId,
        onto: RevisionId,
        obstacles: Vec<Obstacle>,
    },
    /// Revisions outside the branch that the move would leave invalid.
    #[error(
        "moving the branch of `{rev}` onto `{onto}` would leave the graph broken, and files outside the branch are not changed:\n  {}",
        .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    WouldBreak {
        rev: RevisionId,
        onto: RevisionId,
        errors: Vec<GraphError>,
    },
}

/// Something that keeps a merge the move would delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Obstacle {
    /// `child`, which is not part of the branch, names the merge as a parent.
    ChildOutside {
        merge: RevisionId,
        child: RevisionId,
        path: PathBuf,
    },
    /// `dependent` names the merge in `depends-on`.
    DependedOn {
        merge: RevisionId,
        dependent: RevisionId,
        path: PathBuf,
    },
    /// The merge carries labels, which would be lost with its file.
    Labelled {
        merge: RevisionId,
        labels: Vec<String>,
        path: PathBuf,
    },
    /// The merge's `up` section holds SQL, which would be lost with its
    /// file (the command finds this: the graph keeps no SQL).
    HoldsSql { merge: RevisionId, path: PathBuf },
}

impl fmt::Display for Obstacle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let deleted = |merge: &RevisionId| {
            format!(
                "merge `{merge}` would be deleted, since the target already has everything it joins"
            )
        };
        match self {
            Self::ChildOutside { merge, child, path } => write!(
                f,
                "{}, but `{child}` (`{}`), which is not part of the branch, names it as a parent; point `{child}`'s `-- migrate:parents` at the target first, as this rebase would",
                deleted(merge),
                path.display()
            ),
            Self::DependedOn {
                merge,
                dependent,
                path,
            } => write!(
                f,
                "{}, but `{dependent}` (`{}`) names it in `-- migrate:depends-on`; point that at a revision that stays first",
                deleted(merge),
                path.display()
            ),
            Self::Labelled {
                merge,
                labels,
                path,
            } => write!(
                f,
                "{}, but it carries {} {}, which would be lost with `{}`; move the label to another revision first",
                deleted(merge),
                if labels.len() == 1 { "label" } else { "labels" },
                and_ticked(labels),
                path.display()
            ),
            Self::HoldsSql { merge, path } => write!(
                f,
                "{}, but the `up` section of `{}` holds SQL, which would be lost; move that SQL into a revision of the branch, leaving only comments in the merge, first",
                deleted(merge),
                path.display()
            ),
        }
    }
}

/// Plans moving the branch whose tip is `rev` onto `onto`, or, when `onto`
/// is `None`, onto the single head that does not descend from `rev`.
///
/// # Errors
/// See [`RebaseError`]: nothing to move, no single head to move onto, a
/// merge to delete that something still needs, or a revision outside the
/// branch that the move would break.
pub(crate) fn plan(
    graph: &Graph,
    rev: &RevisionId,
    onto: Option<&RevisionId>,
) -> Result<RebasePlan, RebaseError> {
    let index = |id: &RevisionId| {
        graph
            .index_of(id.as_str())
            .ok_or_else(|| RebaseError::Unknown { id: id.clone() })
    };
    let tip = index(rev)?;
    let target = match onto {
        Some(id) => index(id)?,
        None => default_onto(graph, tip)?,
    };
    let onto = graph.id_at(target).clone();
    if tip == target {
        return Err(RebaseError::SameRevision { rev: rev.clone() });
    }
    let below_target = graph.reach(&[target], |i| graph.need_indices(i));
    if below_target[tip] {
        return Err(RebaseError::AlreadyContained {
            rev: rev.clone(),
            onto,
        });
    }
    let lineage = graph.reach(&[tip], |i| graph.parent_indices(i));
    let in_branch: Vec<bool> = (0..graph.len())
        .map(|i| lineage[i] && !below_target[i])
        .collect();
    let mut branch: Vec<usize> = (0..graph.len()).filter(|&i| in_branch[i]).collect();
    branch.sort_by_key(|&i| graph.apply_position[i]);

    let deleted = merges_already_made(graph, &branch, &in_branch);
    let obstacles = obstacles(graph, &deleted, &in_branch);
    if !obstacles.is_empty() {
        return Err(RebaseError::Blocked {
            rev: rev.clone(),
            onto,
            obstacles,
        });
    }
    let kept = |i: usize| in_branch[i] && !deleted.contains(&i);
    let mut plan = RebasePlan {
        rev: rev.clone(),
        moved: branch
            .iter()
            .filter(|&&i| kept(i))
            .map(|&i| graph.id_at(i).clone())
            .collect(),
        reparented: reparented(graph, &branch, &kept, &onto),
        deleted: deleted
            .iter()
            .map(|&i| {
                let r = &graph.revisions[i];
                DeletedMerge {
                    id: r.id.clone(),
                    path: r.path.clone(),
                    parents: r.parents.to_vec(),
                }
            })
            .collect(),
        carried: carried(graph, &branch, &kept, &in_branch),
        labels: Vec::new(),
        onto,
    };
    plan.reparented.sort_by(|a, b| a.id.cmp(&b.id));
    plan.deleted.sort_by(|a, b| a.id.cmp(&b.id));
    let after = Graph::build(plan.apply(graph.revisions.clone())).map_err(|errors| {
        RebaseError::WouldBreak {
            rev: plan.rev.clone(),
            onto: plan.onto.clone(),
            errors,
        }
    })?;
    plan.labels = label_moves(graph, &after);
    Ok(plan)
}

/// The single head that does not descend from (or depend on) `tip`.
fn default_onto(graph: &Graph, tip: usize) -> Result<usize, RebaseError> {
    let above_tip = graph.reach(&[tip], |i| &graph.needed_by[i]);
    let heads: Vec<usize> = (0..graph.len())
        .filter(|&i| graph.needed_by[i].is_empty() && !above_tip[i])
        .collect();
    match heads.as_slice() {
        [only] => Ok(*only),
        [] => Err(RebaseError::NoOtherHead {
            rev: graph.id_at(tip).clone(),
        }),
        several => Err(RebaseError::SeveralHeads {
            rev: graph.id_at(tip).clone(),
            heads: several.iter().map(|&i| graph.id_at(i).clone()).collect(),
        }),
    }
}

/// The branch's merges whose every parent is below the target or such a
/// merge itself: joins the target already made. `branch` is in apply
/// order, so a merge's parents are decided before it.
fn merges_already_made(graph: &Graph, branch: &[usize], in_branch: &[bool]) -> BTreeSet<usize> {
    let mut made = BTreeSet::new();
    for &i in branch {
        let parents = graph.parent_indices(i);
        if parents.len() > 1 && parents.iter().all(|&p| !in_branch[p] || made.contains(&p)) {
            made.insert(i);
        }
    }
    made
}

/// What keeps the merges to delete, in id order.
fn obstacles(graph: &Graph, deleted: &BTreeSet<usize>, in_branch: &[bool]) -> Vec<Obstacle> {
    let mut found = Vec::new();
    for &m in deleted {
        let merge = &graph.revisions[m];
        for &c in graph.child_indices(m).iter().filter(|&&c| !in_branch[c]) {
            found.push(Obstacle::ChildOutside {
                merge: merge.id.clone(),
                child: graph.id_at(c).clone(),
                path: graph.revisions[c].path.clone(),
            });
        }
        for &d in &graph.dependents[m] {
            found.push(Obstacle::DependedOn {
                merge: merge.id.clone(),
                dependent: graph.id_at(d).clone(),
                path: graph.revisions[d].path.clone(),
            });
        }
        if !merge.labels.is_empty() {
            found.push(Obstacle::Labelled {
                merge: merge.id.clone(),
                labels: merge.labels.to_vec(),
                path: merge.path.clone(),
            });
        }
    }
    found
}

/// Each moved revision whose parents change: one that names a moved
/// revision keeps only those (the rest are below the target, which the
/// moved ones now descend from, so keeping them would be redundant);
/// one that names none gets the target, in place of every outside parent.
fn reparented(
    graph: &Graph,
    branch: &[usize],
    kept: &impl Fn(usize) -> bool,
    onto: &RevisionId,
) -> Vec<Reparent> {
    let mut out = Vec::new();
    for &i in branch.iter().filter(|&&i| kept(i)) {
        let r = &graph.revisions[i];
        let mut new: Vec<RevisionId> = r
            .parents
            .iter()
            .filter(|p| graph.index_of(p.as_str()).is_some_and(kept))
            .cloned()
            .collect();
        if new.is_empty() {
            new.push(onto.clone());
        }
        if new[..] != r.parents[..] {
            out.push(Reparent {
                id: r.id.clone(),
                path: r.path.clone(),
                old: r.parents.to_vec(),
                new,
            });
        }
    }
    out
}

/// Revisions outside the branch with a moved parent, sorted by id.
fn carried(
    graph: &Graph,
    branch: &[usize],
    kept: &impl Fn(usize) -> bool,
    in_branch: &[bool],
) -> Vec<RevisionId> {
    let found: BTreeSet<usize> = branch
        .iter()
        .filter(|&&i| kept(i))
        .flat_map(|&i| graph.child_indices(i).iter().copied())
        .filter(|&c| !in_branch[c])
        .collect();
    found.into_iter().map(|i| graph.id_at(i).clone()).collect()
}

/// Labels whose heads differ between `before` and `after`.
fn label_moves(before: &Graph, after: &Graph) -> Vec<LabelMove> {
    let labels: BTreeSet<&String> = before
        .revisions
        .iter()
        .flat_map(|r| r.labels.iter())
        .collect();
    labels
        .into_iter()
        .filter_map(|label| {
            let (was, is) = (before.label_heads(label), after.label_heads(label));
            (was != is).then(|| LabelMove {
                label: label.clone(),
                before: was,
                after: is,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "rebase_tests.rs"]
mod tests;
