//! Property tests of plans and state over random revision graphs.
//!
//! Revision `i` takes its parents from `0..i` (so the graph is acyclic),
//! `created` is drawn from a few values (ties on purpose, some missing),
//! a few `depends-on` edges point backwards, and the applied set is the
//! closure of a random pick. Expected results come from naive reference
//! code over the `Revision` lists, not from the graph's own indices.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;

use super::Graph;
use super::target::Resolved;
use super::test_support::{created, id, revision};
use crate::plan::{self, Plan};
use crate::revision::RecordedChecksum;
use crate::revision::{Revision, RevisionId};
use crate::state::{AppliedRow, analyse};

type Ids = BTreeSet<RevisionId>;

/// Ids whose sort order differs from creation order (7 and 31 are coprime).
fn name(i: usize) -> String {
    format!("r{:02}", (i * 7) % 31)
}

/// Raw draws per revision: parent picks, a dependency pick, `created`.
pub(super) type Raw = Vec<(Vec<u16>, Option<u16>, Option<i128>)>;

pub(super) fn raw() -> impl Strategy<Value = Raw> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<u16>(), 0..=2),
            prop::option::weighted(0.25, any::<u16>()),
            prop::option::weighted(0.8, 0..4i128),
        ),
        1..20,
    )
}

pub(super) fn revisions(raw: &Raw) -> Vec<Revision> {
    let mut parents_of: Vec<Vec<usize>> = Vec::new();
    let mut out = Vec::new();
    for (i, (parent_picks, dep_pick, time)) in raw.iter().enumerate() {
        let mut r = revision(&name(i));
        r.created = time.map(created);
        let mut parents: Vec<usize> = if i == 0 {
            Vec::new()
        } else {
            parent_picks.iter().map(|p| usize::from(*p) % i).collect()
        };
        parents.sort_unstable();
        parents.dedup();
        // A parent that is an ancestor of another parent is a graph error.
        let ancestors: Vec<BTreeSet<usize>> = parents
            .iter()
            .map(|&p| parent_ancestors(&parents_of, p))
            .collect();
        let kept: Vec<usize> = parents
            .iter()
            .copied()
            .filter(|p| !ancestors.iter().any(|a| a.contains(p)))
            .collect();
        if let (Some(d), true) = (dep_pick, i > 0) {
            let d = usize::from(*d) % i;
            if !kept.contains(&d) {
                r.depends_on = Box::new([id(&name(d))]);
            }
        }
        r.parents = kept.iter().map(|&p| id(&name(p))).collect();
        parents_of.push(kept);
        out.push(r);
    }
    out
}

/// Strict ancestors of `of` through parents, plus `of`'s own parents.
fn parent_ancestors(parents_of: &[Vec<usize>], of: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = parents_of[of].clone();
    while let Some(p) = stack.pop() {
        if seen.insert(p) {
            stack.extend(&parents_of[p]);
        }
    }
    seen
}

fn needs(r: &Revision) -> impl Iterator<Item = &RevisionId> {
    r.parents.iter().chain(&r.depends_on)
}

/// Reference X*: repeat until nothing is added.
fn naive_closure(revs: &[Revision], start: &Ids) -> Ids {
    let mut set = start.clone();
    loop {
        let before = set.len();
        let new: Vec<RevisionId> = revs
            .iter()
            .filter(|r| set.contains(&r.id))
            .flat_map(|r| needs(r).cloned())
            .collect();
        set.extend(new);
        if set.len() == before {
            return set;
        }
    }
}

/// Reference descendants: from R's children through child and dependent edges.
fn naive_descendants(revs: &[Revision], r: &RevisionId) -> Ids {
    let mut set: Ids = revs
        .iter()
        .filter(|x| x.parents.contains(r))
        .map(|x| x.id.clone())
        .collect();
    loop {
        let before = set.len();
        for x in revs {
            if needs(x).any(|n| set.contains(n)) {
                set.insert(x.id.clone());
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// Checks `steps` against docs/reference.md, "The graph": topological, and each step is the
/// smallest (or, reverting, largest) (created, id) among those ready.
fn assert_spec_order(revs: &[Revision], steps: &[RevisionId], applying: bool) {
    let by_id: HashMap<&RevisionId, &Revision> = revs.iter().map(|r| (&r.id, r)).collect();
    let mut left: Ids = steps.iter().cloned().collect();
    assert_eq!(left.len(), steps.len(), "a step repeats: {steps:?}");
    for step in steps {
        let blocked = |x: &RevisionId| {
            if applying {
                needs(by_id[x]).any(|n| left.contains(n) && n != x)
            } else {
                left.iter()
                    .any(|y| y != x && needs(by_id[y]).any(|n| n == x))
            }
        };
        assert!(
            !blocked(step),
            "`{step}` ran before what it waits for: {steps:?}"
        );
        let key = |x: &RevisionId| (by_id[x].created.clone(), x.clone());
        let ready: Vec<&RevisionId> = left.iter().filter(|x| !blocked(x)).collect();
        let best = if applying {
            ready.iter().min_by_key(|x| key(x))
        } else {
            ready.iter().max_by_key(|x| key(x))
        };
        assert_eq!(
            best,
            Some(&step),
            "not the {} ready one: {steps:?}",
            if applying { "earliest" } else { "latest" }
        );
        left.remove(step);
    }
}

pub(super) fn applied_set(g: &Graph, picks: &[bool]) -> Ids {
    let picked: Vec<RevisionId> = g
        .revisions()
        .iter()
        .zip(picks.iter().cycle())
        .filter(|(_, p)| **p)
        .map(|(r, _)| r.id.clone())
        .collect();
    g.closure(&picked)
}

pub(super) fn rows(g: &Graph, applied: &Ids) -> Vec<AppliedRow> {
    applied
        .iter()
        .filter_map(|a| g.get(a.as_str()))
        .map(|r| AppliedRow {
            revision: r.id.as_str().into(),
            parents: r
                .parents
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
                .into(),
            checksum: RecordedChecksum::Sha256(r.checksum),
            dirty: false,
        })
        .collect()
}

/// Raw draws per version-table row: an id among the graph's and some it
/// lacks, recorded parents the same way, whether the checksum matches the
/// file, whether the row is dirty.
type RawRows = Vec<(u8, Vec<u8>, bool, bool)>;

fn raw_rows() -> impl Strategy<Value = RawRows> {
    prop::collection::vec(
        (
            0..31u8,
            prop::collection::vec(0..31u8, 0..=2),
            prop::bool::weighted(0.9),
            prop::bool::weighted(0.1),
        ),
        0..24,
    )
}

/// Rows as a hand-edited or diverged version table could hold them:
/// unknown ids, wrong parents, changed checksums, dirty rows, an id twice.
fn arbitrary_rows(revs: &[Revision], raw: &RawRows) -> Vec<AppliedRow> {
    let checksums: HashMap<&str, crate::revision::Checksum> =
        revs.iter().map(|r| (r.id.as_str(), r.checksum)).collect();
    raw.iter()
        .map(|(id, parents, same, dirty)| {
            let id = format!("r{id:02}");
            let checksum = match checksums.get(id.as_str()) {
                Some(c) if *same => RecordedChecksum::Sha256(*c),
                _ => RecordedChecksum::Sha256(crate::revision::checksum(&id)),
            };
            let parents: Vec<String> = parents.iter().map(|p| format!("r{p:02}")).collect();
            AppliedRow {
                revision: id.into(),
                parents: parents.join(" ").into(),
                checksum,
                dirty: *dirty,
            }
        })
        .collect()
}

/// `analyse` as the rules state it, with maps of ids (the code it replaced).
fn naive_analyse(revs: &[Revision], rows: &[AppliedRow]) -> crate::state::AppliedState {
    use crate::state::StateIssue;
    use std::collections::BTreeMap;
    let by_id: HashMap<&str, &Revision> = revs.iter().map(|r| (r.id.as_str(), r)).collect();
    let rows: BTreeMap<&str, &AppliedRow> = rows.iter().map(|r| (&*r.revision, r)).collect();
    let live: BTreeSet<&str> = rows
        .iter()
        .filter(|(_, r)| !r.dirty)
        .map(|(id, _)| *id)
        .collect();
    let mut issues = Vec::new();
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for (&id, row) in &rows {
        if row.dirty {
            issues.push(StateIssue::Dirty {
                revision: id.to_owned(),
            });
            continue;
        }
        let needs: Vec<&str> = match by_id.get(id) {
            None => {
                issues.push(StateIssue::Unknown {
                    revision: id.to_owned(),
                });
                row.parents().collect()
            }
            Some(r) => {
                if !row.checksum.matches(&r.checksum) {
                    issues.push(StateIssue::ChecksumChanged {
                        revision: id.to_owned(),
                        path: r.path.clone(),
                        recorded: row.checksum.to_string(),
                        file: r.checksum.to_string(),
                    });
                }
                let mut recorded: Vec<String> = row.parents().map(str::to_owned).collect();
                let mut file: Vec<String> = r.parents.iter().map(ToString::to_string).collect();
                recorded.sort();
                file.sort();
                if recorded != file {
                    issues.push(StateIssue::ParentsChanged {
                        revision: id.to_owned(),
                        path: r.path.clone(),
                        recorded,
                        file,
                    });
                }
                r.parents
                    .iter()
                    .chain(&r.depends_on)
                    .map(RevisionId::as_str)
                    .collect()
            }
        };
        let mut missing: Vec<String> = needs
            .iter()
            .filter(|n| !live.contains(*n))
            .map(|n| (*n).to_owned())
            .collect();
        missing.sort();
        missing.dedup();
        if !missing.is_empty() {
            issues.push(StateIssue::NotClosed {
                revision: id.to_owned(),
                missing,
            });
        }
        named.extend(needs);
    }
    crate::state::AppliedState {
        applied: live
            .iter()
            .filter_map(|id| by_id.get(id))
            .map(|r| r.id.clone())
            .collect(),
        current: live
            .iter()
            .filter(|id| !named.contains(*id))
            .map(|id| (*id).to_owned())
            .collect(),
        issues,
    }
}

fn up_to_heads(g: &Graph, applied: &Ids) -> Plan {
    plan::up(g, applied, &Resolved::Revisions(g.heads()))
}

proptest! {
    #[test]
    fn up_to_heads_applies_exactly_what_is_missing_in_spec_order(raw in raw(), picks in prop::collection::vec(any::<bool>(), 1..8)) {
        let revs = revisions(&raw);
        let g = Graph::build(revs.clone()).unwrap();
        let applied = applied_set(&g, &picks);
        let plan = up_to_heads(&g, &applied);
        let all: Ids = revs.iter().map(|r| r.id.clone()).collect();
        let missing: Ids = all.difference(&applied).cloned().collect();
        prop_assert_eq!(plan.steps.iter().cloned().collect::<Ids>(), missing);
        assert_spec_order(&revs, &plan.steps, true);
        // Applying the plan leaves nothing to do.
        let after: Ids = applied.iter().chain(&plan.steps).cloned().collect();
        prop_assert!(up_to_heads(&g, &after).is_empty());
    }

    #[test]
    fn up_to_one_revision_applies_its_closure(raw in raw(), picks in prop::collection::vec(any::<bool>(), 1..8), which in any::<usize>()) {
        let revs = revisions(&raw);
        let g = Graph::build(revs.clone()).unwrap();
        let applied = applied_set(&g, &picks);
        let target = revs[which % revs.len()].id.clone();
        let plan = plan::up(&g, &applied, &Resolved::Revisions(vec![target.clone()]));
        let wanted = naive_closure(&revs, &[target].into_iter().collect());
        let expected: Ids = wanted.difference(&applied).cloned().collect();
        prop_assert_eq!(plan.steps.iter().cloned().collect::<Ids>(), expected);
        assert_spec_order(&revs, &plan.steps, true);
    }

    #[test]
    fn down_to_r_reverts_exactly_its_applied_descendants(raw in raw(), picks in prop::collection::vec(any::<bool>(), 1..8), which in any::<usize>()) {
        let revs = revisions(&raw);
        let g = Graph::build(revs.clone()).unwrap();
        let applied = applied_set(&g, &picks);
        prop_assume!(!applied.is_empty());
        let r = applied.iter().nth(which % applied.len()).unwrap().clone();
        let target = Resolved::Revisions(vec![r.clone()]);
        let plan = plan::down(&g, &applied, &target).unwrap();
        let kept = naive_closure(&revs, &[r.clone()].into_iter().collect());
        let expected: Ids = naive_descendants(&revs, &r)
            .into_iter()
            .filter(|x| applied.contains(x) && !kept.contains(x))
            .collect();
        prop_assert_eq!(plan.steps.iter().cloned().collect::<Ids>(), expected);
        prop_assert!(!plan.steps.contains(&r));
        assert_spec_order(&revs, &plan.steps, false);
        // Reverting the plan leaves R applied and nothing more to revert.
        let after: Ids = applied.iter().filter(|a| !plan.steps.contains(a)).cloned().collect();
        prop_assert!(after.contains(&r));
        prop_assert!(plan::down(&g, &after, &target).unwrap().is_empty());
        // What is left is still closed under parents and depends-on.
        prop_assert_eq!(naive_closure(&revs, &after), after);
    }

    #[test]
    fn down_to_base_reverts_everything_children_first(raw in raw(), picks in prop::collection::vec(any::<bool>(), 1..8)) {
        let revs = revisions(&raw);
        let g = Graph::build(revs.clone()).unwrap();
        let applied = applied_set(&g, &picks);
        let plan = plan::down(&g, &applied, &Resolved::Base).unwrap();
        prop_assert_eq!(plan.steps.iter().cloned().collect::<Ids>(), applied);
        assert_spec_order(&revs, &plan.steps, false);
    }

    #[test]
    fn file_order_does_not_change_any_plan(raw in raw(), picks in prop::collection::vec(any::<bool>(), 1..8), keys in prop::collection::vec(any::<u32>(), 20)) {
        let revs = revisions(&raw);
        let mut keyed: Vec<(u32, Revision)> = revs.iter().cloned().enumerate().map(|(i, r)| (keys[i], r)).collect();
        keyed.sort_by_key(|(k, _)| *k);
        let shuffled: Vec<Revision> = keyed.into_iter().map(|(_, r)| r).collect();
        let g = Graph::build(revs).unwrap();
        let h = Graph::build(shuffled).unwrap();
        let applied = applied_set(&g, &picks);
        prop_assert_eq!(up_to_heads(&g, &applied), up_to_heads(&h, &applied));
        prop_assert_eq!(plan::down(&g, &applied, &Resolved::Base), plan::down(&h, &applied, &Resolved::Base));
        prop_assert_eq!(g.history_order(), h.history_order());
        prop_assert_eq!(g.heads(), h.heads());
    }

    #[test]
    fn analyse_of_a_closed_applied_set_is_clean(raw in raw(), picks in prop::collection::vec(any::<bool>(), 1..8)) {
        let revs = revisions(&raw);
        let g = Graph::build(revs).unwrap();
        let applied = applied_set(&g, &picks);
        let state = analyse(&g, &rows(&g, &applied));
        prop_assert!(state.issues.is_empty(), "{:?}", state.issues);
        prop_assert_eq!(&state.applied, &applied);
        let heads: Vec<String> = g.applied_heads(&applied).iter().map(ToString::to_string).collect();
        prop_assert_eq!(&state.current, &heads);
        let all: Ids = g.revisions().iter().map(|r| r.id.clone()).collect();
        let full = analyse(&g, &rows(&g, &all));
        let graph_heads: Vec<String> = g.heads().iter().map(ToString::to_string).collect();
        prop_assert_eq!(full.current, graph_heads);
    }

    #[test]
    fn analyse_of_any_rows_follows_the_rules(raw in raw(), raw_rows in raw_rows()) {
        let revs = revisions(&raw);
        let g = Graph::build(revs.clone()).unwrap();
        let rows = arbitrary_rows(&revs, &raw_rows);
        prop_assert_eq!(analyse(&g, &rows), naive_analyse(&revs, &rows));
    }
}
