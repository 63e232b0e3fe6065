//! The revision graph of one database (docs/reference.md, "The graph"): built and validated from
//! the parsed revisions, then queried by targets, plans and state checks.
//!
//! Pure: no file, env, clock or database access.
//!
//! Revisions are kept in a `Vec` sorted by id and addressed by index, so
//! sorting a list of indices sorts it by id, an id is found by binary
//! search, and every edge list is a slice of indices. Building and the
//! whole-graph queries are `O(n log n)`.

mod edges;
mod error;
mod order;
mod query;
pub(crate) mod rebase;
pub(crate) mod target;

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};

use edges::Edges;

pub(crate) use error::GraphError;
pub(crate) use error::{and_ticked, or_ticked};

use crate::revision::{Revision, RevisionId};

/// A validated revision graph: unique ids, every parent and `depends-on`
/// present, acyclic, and no merge listing a parent that is an ancestor of
/// another of its parents.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    /// Sorted by id; the index of a revision is its position here.
    revisions: Vec<Revision>,
    /// Parent edges, deduplicated, sorted by id.
    parents: Edges,
    /// Children (the reverse of `parents`), sorted by id.
    children: Edges,
    /// Who names this revision in `depends-on`, sorted by id.
    dependents: Edges,
    /// Parents and `depends-on` together: what must be applied first.
    needs: Edges,
    /// Children and dependents together: what must be reverted first.
    needed_by: Edges,
    /// Position of each revision when sorted by (`created`, id).
    rank: Vec<usize>,
    /// The inverse of `rank`.
    by_rank: Vec<usize>,
    /// Position of each revision in the full apply order.
    apply_position: Vec<usize>,
}

impl Graph {
    /// Builds and validates the graph of one database's revisions.
    ///
    /// # Errors
    /// Every problem found, in a stable order: duplicate ids, missing
    /// parents and dependencies, cycles, then redundant parents (only
    /// looked for when there is no cycle).
    pub(crate) fn build(revisions: Vec<Revision>) -> Result<Graph, Vec<GraphError>> {
        let mut errors = Vec::new();
        let revisions = dedup_ids(revisions, &mut errors);
        let (parents, depends) = link(&revisions, &mut errors);
        let mut graph = Graph::assemble(revisions, parents, depends);

        let order = graph.topological(None, true);
        if order.len() < graph.len() {
            errors.extend(graph.cycles(&order));
        } else {
            for (i, &r) in order.iter().enumerate() {
                graph.apply_position[r] = i;
            }
            errors.extend(graph.redundant_parents());
        }
        if errors.is_empty() {
            Ok(graph)
        } else {
            Err(errors)
        }
    }

    fn assemble(revisions: Vec<Revision>, parents: Edges, depends: Edges) -> Graph {
        let n = revisions.len();
        let children = parents.reversed();
        let dependents = depends.reversed();
        let needs = parents.union(&depends);
        let needed_by = children.union(&dependents);
        let mut by_rank: Vec<usize> = (0..n).collect();
        // Index order is id order, so the tie-break on the index is the id.
        by_rank.sort_by(|&a, &b| {
            revisions[a]
                .created
                .cmp(&revisions[b].created)
                .then(a.cmp(&b))
        });
        let mut rank = vec![0; n];
        for (position, &r) in by_rank.iter().enumerate() {
            rank[r] = position;
        }
        Graph {
            revisions,
            parents,
            children,
            dependents,
            needs,
            needed_by,
            rank,
            by_rank,
            apply_position: (0..n).collect(),
        }
    }

    /// One cycle per group of revisions that could not be ordered.
    ///
    /// Every revision left out of a topological order names another left-out
    /// revision, so walking to the smallest such name from the smallest
    /// unexplained revision must close a cycle. What lies downstream of a
    /// found cycle is then explained by it and not walked again.
    fn cycles(&self, ordered: &[usize]) -> Vec<GraphError> {
        let n = self.len();
        let mut remaining = vec![true; n];
        for &r in ordered {
            remaining[r] = false;
        }
        let mut explained = vec![false; n];
        let mut errors = Vec::new();
        for start in 0..n {
            if !remaining[start] || explained[start] {
                continue;
            }
            let Some(cycle) = self.walk_to_cycle(start, &remaining, &explained) else {
                break;
            };
            self.mark_downstream(&cycle, &mut explained);
            let mut path: Vec<RevisionId> = cycle
                .iter()
                .map(|&r| self.revisions[r].id.clone())
                .collect();
            let files = cycle
                .iter()
                .map(|&r| self.revisions[r].path.clone())
                .collect();
            if let Some(first) = path.first().cloned() {
                path.push(first);
            }
            errors.push(GraphError::Cycle { path, files });
        }
        errors
    }

    /// Follows "names as parent or dependency" edges from `start` until a
    /// revision repeats; returns the cycle rotated to start at its smallest id.
    fn walk_to_cycle(
        &self,
        start: usize,
        remaining: &[bool],
        explained: &[bool],
    ) -> Option<Vec<usize>> {
        let mut seen: HashMap<usize, usize> = HashMap::new();
        let mut walk = vec![start];
        seen.insert(start, 0);
        loop {
            let current = *walk.last()?;
            let next = *self.needs[current]
                .iter()
                .find(|&&p| remaining[p] && !explained[p])?;
            if let Some(&at) = seen.get(&next) {
                let mut cycle = walk.split_off(at);
                let smallest = cycle.iter().enumerate().min_by_key(|(_, r)| **r)?.0;
                cycle.rotate_left(smallest);
                return Some(cycle);
            }
            seen.insert(next, walk.len());
            walk.push(next);
        }
    }

    fn mark_downstream(&self, from: &[usize], marked: &mut [bool]) {
        let mut queue: VecDeque<usize> = from.iter().copied().collect();
        while let Some(r) = queue.pop_front() {
            if std::mem::replace(&mut marked[r], true) {
                continue;
            }
            queue.extend(self.needed_by[r].iter().copied());
        }
    }

    /// Merge revisions listing a parent that is an ancestor of another of
    /// their parents. Ancestry here follows parent edges only.
    ///
    /// One search per merge, from the parents' own parents, tagged with the
    /// parent it started from. An ancestor is earlier in the apply order,
    /// so the search stops below the earliest parent.
    fn redundant_parents(&self) -> Vec<GraphError> {
        let mut errors = Vec::new();
        for (child, parents) in self.parents.iter().enumerate() {
            if parents.len() < 2 {
                continue;
            }
            let floor = parents
                .iter()
                .map(|&p| self.apply_position[p])
                .min()
                .unwrap_or(0);
            let wanted: HashSet<usize> = parents.iter().copied().collect();
            let mut origin: HashMap<usize, usize> = HashMap::new();
            let mut queue = VecDeque::new();
            for &p in parents {
                queue.extend(self.parents[p].iter().map(|&pp| (pp, p)));
            }
            let mut reported = HashSet::new();
            while let Some((r, from)) = queue.pop_front() {
                if self.apply_position[r] < floor || origin.contains_key(&r) {
                    continue;
                }
                origin.insert(r, from);
                if wanted.contains(&r) && reported.insert(r) {
                    errors.push(GraphError::RedundantParent {
                        child: self.revisions[child].id.clone(),
                        parent: self.revisions[r].id.clone(),
                        ancestor_of: self.revisions[from].id.clone(),
                        file: self.revisions[child].path.clone(),
                    });
                }
                queue.extend(self.parents[r].iter().map(|&pp| (pp, from)));
            }
        }
        errors
    }
}

/// Sorts by id (then path) and keeps the first file of each id, reporting
/// the others.
fn dedup_ids(mut revisions: Vec<Revision>, errors: &mut Vec<GraphError>) -> Vec<Revision> {
    // In place, without a second vector: there may be tens of thousands.
    // Paths are unique, so the unstable sort is still deterministic.
    revisions.sort_unstable_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)));
    revisions.dedup_by(|later, kept| {
        if later.id != kept.id {
            return false;
        }
        let path = std::mem::take(&mut later.path);
        match errors.last_mut() {
            Some(GraphError::DuplicateId { id, files }) if *id == kept.id => files.push(path),
            _ => errors.push(GraphError::DuplicateId {
                id: kept.id.clone(),
                files: vec![kept.path.clone(), path],
            }),
        }
        true
    });
    revisions
}

/// Resolves parent and `depends-on` ids to indices, reporting missing ones.
/// `revisions` is sorted by id, with no id twice.
fn link(revisions: &[Revision], errors: &mut Vec<GraphError>) -> (Edges, Edges) {
    let find = |id: &RevisionId| {
        revisions
            .binary_search_by(|r| r.id.as_str().cmp(id.as_str()))
            .ok()
    };
    let mut parents = Edges::with_capacity(revisions.len());
    let mut depends = Edges::with_capacity(revisions.len());
    for revision in revisions {
        parents.push(revision.parents.iter().filter_map(|parent| {
            let found = find(parent);
            if found.is_none() {
                errors.push(GraphError::MissingParent {
                    child: revision.id.clone(),
                    parent: parent.clone(),
                    file: revision.path.clone(),
                });
            }
            found
        }));
        depends.push(revision.depends_on.iter().filter_map(|dependency| {
            let found = find(dependency);
            if found.is_none() {
                errors.push(GraphError::MissingDependency {
                    child: revision.id.clone(),
                    dependency: dependency.clone(),
                    file: revision.path.clone(),
                });
            }
            found
        }));
    }
    (parents, depends)
}
