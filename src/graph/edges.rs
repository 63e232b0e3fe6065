//! One kind of edge (parents, children, ...) of every revision, stored as
//! one flat array: revision `i`'s targets are `targets[offsets[i]..offsets[i + 1]]`.
//!
//! A `Vec<Vec<usize>>` costs a header and an allocation per revision per
//! kind of edge; with five kinds and tens of thousands of revisions that
//! was most of a graph's memory.

use std::ops::Index;

#[derive(Debug, Clone)]
pub(super) struct Edges {
    offsets: Vec<usize>,
    targets: Vec<usize>,
}

impl Edges {
    pub(super) fn with_capacity(revisions: usize) -> Self {
        let mut offsets = Vec::with_capacity(revisions + 1);
        offsets.push(0);
        Edges {
            offsets,
            targets: Vec::with_capacity(revisions),
        }
    }

    /// Adds the next revision's targets, sorted and without repeats.
    pub(super) fn push(&mut self, targets: impl IntoIterator<Item = usize>) {
        let start = self.targets.len();
        self.targets.extend(targets);
        self.targets[start..].sort_unstable();
        let mut kept = start;
        for read in start..self.targets.len() {
            if read == start || self.targets[read] != self.targets[kept - 1] {
                self.targets[kept] = self.targets[read];
                kept += 1;
            }
        }
        self.targets.truncate(kept);
        self.offsets.push(kept);
    }

    /// How many revisions have a (possibly empty) list.
    pub(super) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.offsets.windows(2).map(|w| &self.targets[w[0]..w[1]])
    }

    /// The same edges pointing the other way, each list sorted.
    pub(super) fn reversed(&self) -> Edges {
        let n = self.len();
        let mut next = vec![0usize; n + 1];
        for &to in &self.targets {
            next[to + 1] += 1;
        }
        for i in 0..n {
            next[i + 1] += next[i];
        }
        let offsets = next.clone();
        let mut targets = vec![0; self.targets.len()];
        // Visiting sources in index order keeps every reversed list sorted.
        for (from, list) in self.iter().enumerate() {
            for &to in list {
                targets[next[to]] = from;
                next[to] += 1;
            }
        }
        Edges { offsets, targets }
    }

    /// Both kinds of edges together, per revision.
    pub(super) fn union(&self, other: &Edges) -> Edges {
        let mut joined = Edges::with_capacity(self.len());
        for (a, b) in self.iter().zip(other.iter()) {
            joined.push(a.iter().chain(b).copied());
        }
        joined
    }
}

impl Index<usize> for Edges {
    type Output = [usize];

    fn index(&self, i: usize) -> &[usize] {
        &self.targets[self.offsets[i]..self.offsets[i + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(lists: &[&[usize]]) -> Edges {
        let mut e = Edges::with_capacity(lists.len());
        for list in lists {
            e.push(list.iter().copied());
        }
        e
    }

    fn lists(e: &Edges) -> Vec<Vec<usize>> {
        e.iter().map(<[usize]>::to_vec).collect()
    }

    #[test]
    fn lists_are_sorted_without_repeats() {
        let e = edges(&[&[2, 1, 2], &[], &[0, 0]]);
        assert_eq!(lists(&e), [vec![1, 2], vec![], vec![0]]);
        assert_eq!(&e[0], &[1, 2]);
        assert!(e[1].is_empty());
        assert_eq!(e.len(), 3);
    }

    #[test]
    fn reversed_and_union() {
        let parents = edges(&[&[], &[0], &[0], &[1, 2]]);
        let children = parents.reversed();
        assert_eq!(lists(&children), [vec![1, 2], vec![3], vec![3], vec![]]);
        let extra = edges(&[&[], &[], &[1], &[0, 2]]);
        assert_eq!(
            lists(&parents.union(&extra)),
            [vec![], vec![0], vec![0, 1], vec![0, 1, 2]]
        );
    }
}
