//! Read-only questions about a built [`Graph`]: lookups, heads and bases,
//! branch and merge points, closures, labels and applied heads.
//!
//! Pure: no file, env, clock or database access. Every list comes back
//! sorted by id, so output built from it is stable.

use std::collections::{BTreeSet, VecDeque};

use super::Graph;
use crate::revision::{Revision, RevisionId};

impl Graph {
    /// The revision with exactly this id.
    pub(crate) fn get(&self, id: &str) -> Option<&Revision> {
        self.index_of(id).map(|i| &self.revisions[i])
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.index_of(id).is_some()
    }

    /// How many revisions the graph holds.
    pub(crate) fn len(&self) -> usize {
        self.revisions.len()
    }

    /// Every revision, sorted by id.
    pub(crate) fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// Revisions that no other revision names as a parent or in
    /// `depends-on` (a revision only depended upon is not a head).
    pub(crate) fn heads(&self) -> Vec<RevisionId> {
        self.ids_where(|i| self.needed_by[i].is_empty())
    }

    /// Revisions without parents.
    pub(crate) fn bases(&self) -> Vec<RevisionId> {
        self.ids_where(|i| self.parents[i].is_empty())
    }

    /// Revisions naming `id` as a parent; empty for an unknown id.
    pub(crate) fn children(&self, id: &str) -> Vec<RevisionId> {
        self.ids_of(self.index_of(id).map_or(&[][..], |i| &self.children[i]))
    }

    /// True when no revision names `id` as a parent or in `depends-on`.
    pub(crate) fn is_head(&self, id: &str) -> bool {
        self.index_of(id)
            .is_some_and(|i| self.needed_by[i].is_empty())
    }

    /// True when several revisions name `id` as a parent.
    pub(crate) fn is_branch_point(&self, id: &str) -> bool {
        self.index_of(id)
            .is_some_and(|i| self.children[i].len() > 1)
    }

    /// True when `id` has several (distinct) parents.
    pub(crate) fn is_merge_point(&self, id: &str) -> bool {
        self.index_of(id).is_some_and(|i| self.parents[i].len() > 1)
    }

    /// X*: the given revisions with every revision they need, through
    /// parents and `depends-on`. Unknown ids are ignored.
    pub(crate) fn closure<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a RevisionId>,
    ) -> BTreeSet<RevisionId> {
        let starts: Vec<usize> = ids
            .into_iter()
            .filter_map(|id| self.index_of(id.as_str()))
            .collect();
        let marked = self.reach(&starts, |i| &self.needs[i]);
        self.ids_marked(&marked)
    }

    /// The descendants of `ids` that `down --to` reverts (docs/reference.md, "The graph"): what is
    /// reachable from their children through child and dependent edges.
    /// A revision naming one of `ids` only in `depends-on` is not included
    /// unless it is reachable that way. Unknown ids are ignored.
    pub(crate) fn descendants<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a RevisionId>,
    ) -> BTreeSet<RevisionId> {
        let starts: Vec<usize> = ids
            .into_iter()
            .filter_map(|id| self.index_of(id.as_str()))
            .flat_map(|i| self.children[i].iter().copied())
            .collect();
        let marked = self.reach(&starts, |i| &self.needed_by[i]);
        self.ids_marked(&marked)
    }

    /// The heads of the branch labelled `label`: the revisions reachable
    /// from a revision carrying the label through child edges that have no
    /// children themselves. Empty when no revision carries the label.
    pub(crate) fn label_heads(&self, label: &str) -> Vec<RevisionId> {
        let starts: Vec<usize> = (0..self.len())
            .filter(|&i| self.revisions[i].labels.iter().any(|l| l == label))
            .collect();
        let marked = self.reach(&starts, |i| &self.children[i]);
        self.ids_where(|i| marked[i] && self.children[i].is_empty())
    }

    /// The applied heads (docs/reference.md, "The version table"): revisions of `applied` that no revision
    /// of `applied` names as a parent or in `depends-on`. Ids not in the
    /// graph are ignored.
    pub(crate) fn applied_heads(&self, applied: &BTreeSet<RevisionId>) -> Vec<RevisionId> {
        let member = self.membership(applied);
        self.ids_where(|i| member[i] && !self.needed_by[i].iter().any(|&c| member[c]))
    }

    /// The nearest common ancestor (through parent edges, each revision
    /// counting as its own ancestor) of `heads`: where they diverged. Of
    /// several nearest ones, the latest in apply order. `None` when they
    /// share no ancestor, `heads` is empty or holds an unknown id.
    pub(crate) fn divergence(&self, heads: &[RevisionId]) -> Option<RevisionId> {
        let mut common: Option<Vec<bool>> = None;
        for head in heads {
            let start = self.index_of(head.as_str())?;
            let ancestors = self.reach(&[start], |i| &self.parents[i]);
            common = Some(match common {
                None => ancestors,
                Some(c) => c.iter().zip(&ancestors).map(|(a, b)| *a && *b).collect(),
            });
        }
        // The latest common ancestor in apply order has no common
        // descendant, so it is one of the nearest.
        let common = common?;
        (0..self.len())
            .filter(|&i| common[i])
            .max_by_key(|&i| self.apply_position[i])
            .map(|i| self.revisions[i].id.clone())
    }

    pub(crate) fn index_of(&self, id: &str) -> Option<usize> {
        self.revisions
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
    }

    pub(crate) fn id_at(&self, i: usize) -> &RevisionId {
        &self.revisions[i].id
    }

    pub(crate) fn parent_indices(&self, i: usize) -> &[usize] {
        &self.parents[i]
    }

    /// Parents and `depends-on` of the revision at `i`, deduplicated.
    pub(crate) fn need_indices(&self, i: usize) -> &[usize] {
        &self.needs[i]
    }

    pub(crate) fn child_indices(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// Ids starting with `prefix`, sorted.
    pub(crate) fn ids_with_prefix(&self, prefix: &str) -> Vec<RevisionId> {
        let start = self.revisions.partition_point(|r| r.id.as_str() < prefix);
        self.revisions[start..]
            .iter()
            .take_while(|r| r.id.as_str().starts_with(prefix))
            .map(|r| r.id.clone())
            .collect()
    }

    /// A mark per revision: is it in `ids`?
    pub(crate) fn membership<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a RevisionId>,
    ) -> Vec<bool> {
        let mut member = vec![false; self.len()];
        for i in ids.into_iter().filter_map(|id| self.index_of(id.as_str())) {
            member[i] = true;
        }
        member
    }

    /// Marks `starts` and everything reachable from them through `next`.
    pub(crate) fn reach<'g>(
        &'g self,
        starts: &[usize],
        next: impl Fn(usize) -> &'g [usize],
    ) -> Vec<bool> {
        let mut marked = vec![false; self.len()];
        let mut queue: VecDeque<usize> = starts.iter().copied().collect();
        while let Some(i) = queue.pop_front() {
            if !std::mem::replace(&mut marked[i], true) {
                queue.extend(next(i).iter().copied());
            }
        }
        marked
    }

    pub(crate) fn ids_marked(&self, marked: &[bool]) -> BTreeSet<RevisionId> {
        (0..self.len())
            .filter(|&i| marked[i])
            .map(|i| self.revisions[i].id.clone())
            .collect()
    }

    fn ids_where(&self, keep: impl Fn(usize) -> bool) -> Vec<RevisionId> {
        (0..self.len())
            .filter(|&i| keep(i))
            .map(|i| self.revisions[i].id.clone())
            .collect()
    }

    fn ids_of(&self, indices: &[usize]) -> Vec<RevisionId> {
        indices
            .iter()
            .map(|&i| self.revisions[i].id.clone())
            .collect()
    }
}
