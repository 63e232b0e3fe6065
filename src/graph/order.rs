//! The deterministic order of docs/reference.md, "The graph": a topological order where, among the
//! revisions ready at the same time, applying takes the earliest `created`
//! first (then the smallest id) and reverting the mirror.
//!
//! Pure: no file, env, clock or database access.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use super::Graph;
use crate::revision::RevisionId;

impl Graph {
    /// `subset` in apply order: parents and `depends-on` first; among ready
    /// revisions the earlier `created` first, then the smaller id. A
    /// revision without `created` sorts before any revision with one.
    /// Ids not in the graph are ignored. Only edges inside `subset` order
    /// it, so pass an ancestor-closed applied set when subtracting one.
    pub(crate) fn apply_order(&self, subset: &BTreeSet<RevisionId>) -> Vec<RevisionId> {
        let member = self.membership(subset);
        self.ids_in_order(&self.topological(Some(&member), true))
    }

    /// `subset` in revert order: children and dependents first; among
    /// ready revisions the later `created` first (a missing `created` sorts
    /// before any time, so it comes last), then the larger id.
    pub(crate) fn revert_order(&self, subset: &BTreeSet<RevisionId>) -> Vec<RevisionId> {
        let member = self.membership(subset);
        self.ids_in_order(&self.topological(Some(&member), false))
    }

    /// Every revision, newest first: the full apply order reversed (the
    /// order of `history`).
    pub(crate) fn history_order(&self) -> Vec<RevisionId> {
        let mut order = vec![0; self.len()];
        for (i, &position) in self.apply_position.iter().enumerate() {
            order[position] = i;
        }
        order.reverse();
        self.ids_in_order(&order)
    }

    /// Kahn's algorithm over the members (all revisions when `None`), with
    /// the ready set keyed by (`created`, id) rank. `applying` follows
    /// `needs` and takes the lowest rank; otherwise it follows `needed_by`
    /// and takes the highest. Members on a cycle are left out.
    pub(super) fn topological(&self, member: Option<&[bool]>, applying: bool) -> Vec<usize> {
        let n = self.len();
        let is_member = |i: usize| member.is_none_or(|m| m[i]);
        let (before, after) = if applying {
            (&self.needs, &self.needed_by)
        } else {
            (&self.needed_by, &self.needs)
        };
        let mut waiting = vec![0usize; n];
        let mut ready = ReadySet::new(applying);
        for i in (0..n).filter(|&i| is_member(i)) {
            waiting[i] = before[i].iter().filter(|&&b| is_member(b)).count();
            if waiting[i] == 0 {
                ready.push(self.rank[i]);
            }
        }
        let mut order = Vec::new();
        while let Some(rank) = ready.pop() {
            let i = self.by_rank[rank];
            order.push(i);
            for &next in after[i].iter().filter(|&&a| is_member(a)) {
                waiting[next] -= 1;
                if waiting[next] == 0 {
                    ready.push(self.rank[next]);
                }
            }
        }
        order
    }

    fn ids_in_order(&self, order: &[usize]) -> Vec<RevisionId> {
        order.iter().map(|&i| self.id_at(i).clone()).collect()
    }
}

/// Ranks ready to go: the lowest first when applying, the highest first
/// when reverting.
enum ReadySet {
    Lowest(BinaryHeap<Reverse<usize>>),
    Highest(BinaryHeap<usize>),
}

impl ReadySet {
    fn new(lowest_first: bool) -> Self {
        if lowest_first {
            Self::Lowest(BinaryHeap::new())
        } else {
            Self::Highest(BinaryHeap::new())
        }
    }

    fn push(&mut self, rank: usize) {
        match self {
            Self::Lowest(heap) => heap.push(Reverse(rank)),
            Self::Highest(heap) => heap.push(rank),
        }
    }

    fn pop(&mut self) -> Option<usize> {
        match self {
            Self::Lowest(heap) => heap.pop().map(|Reverse(r)| r),
            Self::Highest(heap) => heap.pop(),
        }
    }
}
