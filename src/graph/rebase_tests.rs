//! Tests of planning a rebase: named histories for each rule, then
//! properties over random graphs.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::graph::proptests::{Raw, applied_set, raw, revisions, rows};
use crate::graph::test_support::{graph, hist, id, ids};
use crate::state::{StateIssue, analyse};

fn planned(spec: &str, rev: &str, onto: Option<&str>) -> Result<RebasePlan, RebaseError> {
    plan(&graph(spec), &id(rev), onto.map(id).as_ref())
}

fn reparent(rev: &str, old: &[&str], new: &[&str]) -> Reparent {
    Reparent {
        id: id(rev),
        path: PathBuf::from(format!("{rev}.sql")),
        old: ids(old),
        new: ids(new),
    }
}

/// The graph once `plan` is carried out.
fn after(spec: &str, plan: &RebasePlan) -> Graph {
    Graph::build(plan.apply(hist(spec))).unwrap()
}

/// Main merged `a` and `b` (`mm`) and went on to `m2`; the feature branch
/// merged the same two itself (`fm`) before `f1` and `f2`.
const ISSUE: &str = "r0; a<r0; b<r0; mm<a,b; m2<mm; fm<a,b; f1<fm; f2<f1";

#[test]
fn the_feature_merge_goes_and_the_branch_moves_onto_the_other_head() {
    let p = planned(ISSUE, "f2", None).unwrap();
    assert_eq!(p.onto, id("m2"));
    assert_eq!(p.moved, ids(&["f1", "f2"]));
    assert_eq!(p.reparented, [reparent("f1", &["fm"], &["m2"])]);
    assert_eq!(
        p.deleted,
        [DeletedMerge {
            id: id("fm"),
            path: PathBuf::from("fm.sql"),
            parents: ids(&["a", "b"]),
        }]
    );
    assert!(p.carried.is_empty() && p.labels.is_empty());
    let g = after(ISSUE, &p);
    assert_eq!(g.heads(), ids(&["f2"]));
    assert!(!g.contains("fm"));
}

#[test]
fn the_default_target_must_be_one_head() {
    let three = format!("{ISSUE}; g1<r0");
    assert_eq!(
        planned(&three, "f2", None),
        Err(RebaseError::SeveralHeads {
            rev: id("f2"),
            heads: ids(&["g1", "m2"]),
        })
    );
    // A head that descends from the tip is not a candidate.
    let p = planned(&format!("{ISSUE}; f3<f2"), "f2", None).unwrap();
    assert_eq!(p.onto, id("m2"));
    assert_eq!(p.carried, ids(&["f3"]));
    assert_eq!(
        planned("a; b<a; c<b", "b", None),
        Err(RebaseError::NoOtherHead { rev: id("b") })
    );
}

#[test]
fn nothing_to_move_is_refused() {
    assert_eq!(
        planned(ISSUE, "m2", Some("m2")),
        Err(RebaseError::SameRevision { rev: id("m2") })
    );
    assert_eq!(
        planned(ISSUE, "a", Some("m2")),
        Err(RebaseError::AlreadyContained {
            rev: id("a"),
            onto: id("m2"),
        })
    );
    // Depending on the tip contains it as much as descending from it.
    assert_eq!(
        planned("r0; f1<r0; m1<r0 dep=f1", "f1", Some("m1")),
        Err(RebaseError::AlreadyContained {
            rev: id("f1"),
            onto: id("m1"),
        })
    );
}

#[test]
fn a_base_of_the_branch_gets_the_target_as_parent() {
    let p = planned("a; b; c<b", "c", Some("a")).unwrap();
    assert_eq!(p.reparented, [reparent("b", &[], &["a"])]);
    assert_eq!(p.moved, ids(&["b", "c"]));
}

#[test]
fn a_revision_naming_a_moved_one_drops_its_parents_below_the_target() {
    let spec = "r0; m1<r0; m2<m1; f1<r0; f2<f1,m1";
    let p = planned(spec, "f2", Some("m2")).unwrap();
    assert_eq!(
        p.reparented,
        [
            reparent("f1", &["r0"], &["m2"]),
            reparent("f2", &["f1", "m1"], &["f1"]),
        ]
    );
    after(spec, &p);
}

#[test]
fn what_the_target_depends_on_stays_below_it() {
    // `m1` depends on `f1`: only `f2` can move above `m1`.
    let spec = "c; f0<c; f1<f0; f2<f1; m0<c; m1<m0 dep=f1";
    let p = planned(spec, "f2", None).unwrap();
    assert_eq!(p.onto, id("m1"));
    assert_eq!(p.moved, ids(&["f2"]));
    assert_eq!(p.reparented, [reparent("f2", &["f1"], &["m1"])]);
    assert_eq!(after(spec, &p).heads(), ids(&["f2"]));
}

#[test]
fn dependencies_of_moved_revisions_are_kept() {
    let spec = "r0; m1<r0; x<r0; f1<r0 dep=x; m2<m1,x";
    let p = planned(spec, "f1", Some("m2")).unwrap();
    assert_eq!(p.reparented, [reparent("f1", &["r0"], &["m2"])]);
    let g = after(spec, &p);
    assert_eq!(g.get("f1").unwrap().depends_on[..], ids(&["x"])[..]);
}

#[test]
fn merges_of_merges_the_target_already_made_all_go() {
    let spec = "r0; a<r0; b<r0; c<r0; mm<a,b; mc<mm,c; fm1<a,b; fm2<fm1,c; f1<fm2";
    let p = planned(spec, "f1", None).unwrap();
    let gone: Vec<&RevisionId> = p.deleted.iter().map(|d| &d.id).collect();
    assert_eq!(gone, [&id("fm1"), &id("fm2")]);
    assert_eq!(p.reparented, [reparent("f1", &["fm2"], &["mc"])]);
}

#[test]
fn a_merge_inside_the_branch_is_not_deleted() {
    // `fm` joins `f1` and `g1`, both moved: the target has neither.
    let spec = "r0; m1<r0; f1<r0; g1<r0; fm<f1,g1; f2<fm";
    let p = planned(spec, "f2", Some("m1")).unwrap();
    assert!(p.deleted.is_empty());
    assert_eq!(
        p.reparented,
        [
            reparent("f1", &["r0"], &["m1"]),
            reparent("g1", &["r0"], &["m1"]),
        ]
    );
    assert_eq!(p.moved.len(), 4);
}

#[test]
fn moving_onto_an_ancestor_straightens_what_is_not_above_it() {
    let spec = "f0; f1<f0; g1<f0; m<f1,g1; f2<m";
    let p = planned(spec, "f2", Some("f1")).unwrap();
    assert_eq!(
        p.reparented,
        [
            reparent("g1", &["f0"], &["f1"]),
            reparent("m", &["f1", "g1"], &["g1"]),
        ]
    );
    // Already on its parent: nothing to change.
    assert!(planned("a; b<a; c<b", "c", Some("b")).unwrap().is_empty());
}

#[test]
fn a_merge_to_delete_that_something_still_needs_is_refused() {
    let base = "r0; a<r0; b<r0; mm<a,b; fm<a,b; f1<fm";
    let blocked = |spec: &str| match planned(spec, "f1", Some("mm")) {
        Err(RebaseError::Blocked { obstacles, .. }) => obstacles,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        blocked(&format!("{base}; g1<fm")),
        [Obstacle::ChildOutside {
            merge: id("fm"),
            child: id("g1"),
            path: PathBuf::from("g1.sql"),
        }]
    );
    assert_eq!(
        blocked(&format!("{base}; x<mm dep=fm")),
        [Obstacle::DependedOn {
            merge: id("fm"),
            dependent: id("x"),
            path: PathBuf::from("x.sql"),
        }]
    );
    let labelled = base.replace("fm<a,b", "fm<a,b label=feature");
    let obstacles = blocked(&labelled);
    assert_eq!(
        obstacles,
        [Obstacle::Labelled {
            merge: id("fm"),
            labels: vec!["feature".to_owned()],
            path: PathBuf::from("fm.sql"),
        }]
    );
    let text = obstacles[0].to_string();
    assert!(
        text.contains("`feature`") && text.contains("`fm.sql`"),
        "{text}"
    );
}

#[test]
fn a_revision_outside_the_branch_left_redundant_is_refused() {
    // `c` merges `f1` with `m1`; with `f1` on top of `m1` that is redundant.
    let err = planned("r0; m1<r0; f1<r0; c<f1,m1", "f1", Some("m1")).unwrap_err();
    let RebaseError::WouldBreak { errors, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(&errors[..], [GraphError::RedundantParent { child, .. }] if *child == id("c")),
        "{errors:?}"
    );
    assert!(err.to_string().contains("`c.sql`"), "{err}");
}

#[test]
fn labels_whose_heads_change_are_listed() {
    let spec = "r0 label=main; m1<r0; f1<r0 label=feature";
    let p = planned(spec, "f1", Some("m1")).unwrap();
    assert_eq!(
        p.labels,
        [LabelMove {
            label: "main".to_owned(),
            before: ids(&["f1", "m1"]),
            after: ids(&["f1"]),
        }]
    );
}

#[test]
fn a_second_run_changes_nothing() {
    let p = planned(ISSUE, "f2", None).unwrap();
    let g = after(ISSUE, &p);
    assert!(plan(&g, &id("f2"), Some(&id("m2"))).unwrap().is_empty());
    assert_eq!(
        plan(&g, &id("f2"), None),
        Err(RebaseError::NoOtherHead { rev: id("f2") })
    );
}

/// A random graph with random labels (`l<k>` on every revision whose pick
/// is `k`, 0 meaning none) and, when `copy` picks a merge, a second merge
/// of the same parents with a child: a merge that a descendant of the
/// first one already made.
fn random_history(raw: &Raw, label_picks: &[u8], copy: Option<usize>) -> Vec<Revision> {
    let mut revs = revisions(raw);
    for (r, pick) in revs.iter_mut().zip(label_picks.iter().cycle()) {
        if *pick % 4 != 0 {
            r.labels = vec![format!("l{}", pick % 4)].into();
        }
    }
    let merges: Vec<String> = revs
        .iter()
        .filter(|r| r.parents.len() > 1)
        .map(|r| {
            r.parents
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    if let Some(pick) = copy.filter(|_| !merges.is_empty()) {
        let parents = &merges[pick % merges.len()];
        revs.extend(hist(&format!("dup<{parents}; dc<dup")));
    }
    revs
}

/// `rev` and its ancestors through parent edges only.
fn parent_lineage(g: &Graph, rev: &RevisionId) -> BTreeSet<RevisionId> {
    let start = g.index_of(rev.as_str()).unwrap();
    g.ids_marked(&g.reach(&[start], |i| g.parent_indices(i)))
}

/// Checks a successful plan against the rules, by reading both graphs.
fn check_plan(before: &Graph, plan: &RebasePlan, applied: &BTreeSet<RevisionId>) {
    let after = Graph::build(plan.apply(before.revisions().to_vec()))
        .unwrap_or_else(|e| panic!("the planned graph does not build: {e:?}\n{plan:#?}"));
    let moved: BTreeSet<&RevisionId> = plan.moved.iter().collect();
    let deleted: BTreeSet<&RevisionId> = plan.deleted.iter().map(|d| &d.id).collect();
    let below_onto = before.closure([&plan.onto]);
    for r in before.revisions() {
        if deleted.contains(&r.id) {
            assert!(!after.contains(r.id.as_str()));
            assert!(r.parents.len() > 1, "only merges are deleted");
            continue;
        }
        let now = after.get(r.id.as_str()).unwrap();
        assert_eq!(now.checksum, r.checksum);
        assert_eq!(now.depends_on, r.depends_on);
        assert_eq!(now.labels, r.labels);
        if moved.contains(&r.id) {
            let lineage = parent_lineage(&after, &r.id);
            assert!(lineage.contains(&plan.onto), "`{}` not on the target", r.id);
            for p in now.parents.iter() {
                assert!(
                    *p == plan.onto || moved.contains(p),
                    "`{}` names `{p}`",
                    r.id
                );
            }
        } else {
            assert_eq!(now.parents, r.parents, "`{}` is outside the branch", r.id);
        }
    }
    for d in &plan.deleted {
        for p in &d.parents {
            assert!(below_onto.contains(p) || deleted.contains(p));
        }
    }
    // What databases that applied revisions before will report.
    let state = analyse(&after, &rows(before, applied));
    let kind = |f: fn(&StateIssue) -> bool| -> BTreeSet<String> {
        let found = state.issues.iter().filter(|i| f(i));
        found.map(|i| i.revision().to_owned()).collect()
    };
    let reparented: BTreeSet<String> = plan
        .reparented
        .iter()
        .filter(|r| applied.contains(&r.id))
        .map(|r| r.id.to_string())
        .collect();
    let gone: BTreeSet<String> = deleted
        .iter()
        .filter(|d| applied.contains(**d))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        kind(|i| matches!(i, StateIssue::ParentsChanged { .. })),
        reparented
    );
    assert_eq!(kind(|i| matches!(i, StateIssue::Unknown { .. })), gone);
    // Planning the same move again finds nothing to change.
    if !deleted.contains(&plan.rev) {
        let again = super::plan(&after, &plan.rev, Some(&plan.onto));
        assert!(again.as_ref().is_ok_and(RebasePlan::is_empty), "{again:?}");
    }
}

/// Checks a refusal: each one has a reason the graph shows.
fn check_refusal(g: &Graph, rev: &RevisionId, onto: Option<&RevisionId>, err: &RebaseError) {
    match err {
        RebaseError::Unknown { .. } => panic!("{err}"),
        RebaseError::SameRevision { .. } => assert_eq!(Some(rev), onto),
        RebaseError::AlreadyContained { onto, .. } => assert!(g.closure([onto]).contains(rev)),
        RebaseError::NoOtherHead { .. } | RebaseError::SeveralHeads { .. } => {
            assert!(onto.is_none());
        }
        RebaseError::Blocked { obstacles, .. } => assert!(!obstacles.is_empty()),
        // Only a revision left outside the branch can break, never by a
        // cycle or a missing parent.
        RebaseError::WouldBreak { errors, .. } => {
            let lineage = parent_lineage(g, rev);
            for e in errors {
                assert!(
                    matches!(e, GraphError::RedundantParent { child, .. } if !lineage.contains(child)),
                    "{e}"
                );
            }
        }
    }
}

proptest! {
    #[test]
    fn any_plan_follows_the_rules(
        raw in raw(),
        label_picks in prop::collection::vec(any::<u8>(), 1..6),
        copy in prop::option::of(any::<usize>()),
        rev_pick in any::<usize>(),
        onto_pick in prop::option::weighted(0.8, any::<usize>()),
        applied_picks in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let revs = random_history(&raw, &label_picks, copy);
        let g = Graph::build(revs.clone()).unwrap();
        let rev = revs[rev_pick % revs.len()].id.clone();
        let onto = onto_pick.map(|o| revs[o % revs.len()].id.clone());
        let applied = applied_set(&g, &applied_picks);
        match plan(&g, &rev, onto.as_ref()) {
            Ok(p) => check_plan(&g, &p, &applied),
            Err(e) => check_refusal(&g, &rev, onto.as_ref(), &e),
        }
    }

    #[test]
    fn a_merge_both_sides_made_is_deleted_and_the_branch_moves(
        raw in raw(),
        picks in (any::<usize>(), any::<usize>()),
        applied_picks in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let mut revs = revisions(&raw);
        let heads = Graph::build(revs.clone()).unwrap().heads();
        prop_assume!(heads.len() >= 2);
        let a = heads[picks.0 % heads.len()].as_str().to_owned();
        let others: Vec<&RevisionId> = heads.iter().filter(|h| h.as_str() != a).collect();
        let b = others[picks.1 % others.len()].as_str().to_owned();
        revs.extend(hist(&format!("mm<{a},{b}; m2<mm; fm<{a},{b}; f1<fm; f2<f1")));
        let g = Graph::build(revs).unwrap();
        let p = plan(&g, &id("f2"), Some(&id("m2"))).unwrap();
        prop_assert_eq!(p.deleted.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), ids(&["fm"]));
        prop_assert_eq!(&p.reparented, &vec![reparent("f1", &["fm"], &["m2"])]);
        check_plan(&g, &p, &applied_set(&g, &applied_picks));
    }
}
