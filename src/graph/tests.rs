//! Tests of building, querying and ordering a graph.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use super::test_support::{graph, hist, id, ids, revision};
use super::{Graph, GraphError};

fn set(list: &[&str]) -> BTreeSet<crate::revision::RevisionId> {
    ids(list).into_iter().collect()
}

fn errors(spec: &str) -> Vec<GraphError> {
    Graph::build(hist(spec)).unwrap_err()
}

#[test]
fn duplicate_ids_name_every_file() {
    let mut revisions = hist("a; b<a");
    let mut copy = revision("a");
    copy.path = PathBuf::from("sub/a_again.sql");
    revisions.push(copy);
    let errs = Graph::build(revisions).unwrap_err();
    assert_eq!(
        errs,
        vec![GraphError::DuplicateId {
            id: id("a"),
            files: vec![PathBuf::from("a.sql"), PathBuf::from("sub/a_again.sql")],
        }]
    );
    let text = errs[0].to_string();
    assert!(text.contains("`a.sql` and `sub/a_again.sql`"), "{text}");
    assert!(text.contains("own `-- migrate:revision` id"), "{text}");
}

#[test]
fn missing_parents_and_dependencies_are_all_reported() {
    let errs = errors("a; b<zz dep=yy; c<a,xx");
    assert_eq!(
        errs,
        vec![
            GraphError::MissingParent {
                child: id("b"),
                parent: id("zz"),
                file: PathBuf::from("b.sql"),
            },
            GraphError::MissingDependency {
                child: id("b"),
                dependency: id("yy"),
                file: PathBuf::from("b.sql"),
            },
            GraphError::MissingParent {
                child: id("c"),
                parent: id("xx"),
                file: PathBuf::from("c.sql"),
            },
        ]
    );
    assert!(
        errs[0]
            .to_string()
            .starts_with("`b.sql`: revision `b` names parent `zz`")
    );
}

#[test]
fn cycle_is_reported_as_a_path_from_its_smallest_id() {
    // c names b, b names a, a names c; d hangs below the cycle.
    let errs = errors("a<c; b<a; c<b; d<c; e");
    assert_eq!(errs.len(), 1, "{errs:?}");
    let GraphError::Cycle { path, files } = &errs[0] else {
        panic!("{errs:?}")
    };
    assert_eq!(path, &ids(&["a", "c", "b", "a"]));
    assert_eq!(files.len(), 3);
    assert!(
        errs[0].to_string().contains("a -> c -> b -> a"),
        "{}",
        errs[0]
    );
}

#[test]
fn two_separate_cycles_and_a_self_loop_are_each_reported() {
    let errs = errors("a<b; b<a; x<y dep=y; y<x; s<s");
    let paths: Vec<String> = errs
        .iter()
        .map(|e| match e {
            GraphError::Cycle { path, .. } => path
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" -> "),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(paths, ["a -> b -> a", "s -> s", "x -> y -> x"]);
}

#[test]
fn cycle_through_depends_on_is_found() {
    let errs = errors("a dep=b; b<a");
    assert!(
        matches!(&errs[..], [GraphError::Cycle { path, .. }] if path == &ids(&["a", "b", "a"]))
    );
}

#[test]
fn redundant_parent_names_the_ancestor() {
    let errs = errors("a; b<a; c<b; m<a,c");
    assert_eq!(
        errs,
        vec![GraphError::RedundantParent {
            child: id("m"),
            parent: id("a"),
            ancestor_of: id("c"),
            file: PathBuf::from("m.sql"),
        }]
    );
    assert!(
        errs[0]
            .to_string()
            .contains("remove `a` from its `-- migrate:parents` line")
    );
}

#[test]
fn proper_merge_is_not_redundant() {
    let g = graph("a; b<a; c<a; m<b,c");
    assert!(g.is_merge_point("m"));
    assert!(g.is_branch_point("a"));
    assert!(!g.is_branch_point("b"));
}

#[test]
fn heads_exclude_revisions_only_depended_upon() {
    let g = graph("a; b<a; x; y<x dep=b");
    assert_eq!(g.heads(), ids(&["y"]));
    assert_eq!(g.bases(), ids(&["a", "x"]));
    assert!(!g.is_head("b") && g.is_head("y"));
    assert_eq!(g.children("b"), ids(&[]));
    assert_eq!(g.children("x"), ids(&["y"]));
}

#[test]
fn lookups() {
    let g = graph("b; a<b");
    assert_eq!(g.len(), 2);
    assert_eq!(g.get("a").map(|r| r.parents.to_vec()), Some(ids(&["b"])));
    assert!(g.get("zz").is_none());
    let listed: Vec<&str> = g.revisions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(listed, ["a", "b"]);
}

#[test]
fn closure_follows_parents_and_depends_on() {
    let g = graph("a; b<a; c<a; d<b dep=c; x");
    assert_eq!(g.closure(&ids(&["d"])), set(&["a", "b", "c", "d"]));
    assert_eq!(g.closure(&ids(&["b", "x"])), set(&["a", "b", "x"]));
}

#[test]
fn descendants_skip_revisions_naming_r_only_in_depends_on() {
    let g = graph("a; b<a; c<a; d<c dep=b; e dep=b");
    // From b's children (none): d and e only depend on b.
    assert_eq!(g.descendants(&ids(&["b"])), set(&[]));
    // From a's children b, c: d is reached both ways, e through b's dependents.
    assert_eq!(g.descendants(&ids(&["a"])), set(&["b", "c", "d", "e"]));
}

#[test]
fn label_heads_follow_the_labelled_branch() {
    let g = graph("a; b<a label=feature; c<b; d<a label=other; e<c");
    assert_eq!(g.label_heads("feature"), ids(&["e"]));
    assert_eq!(g.label_heads("other"), ids(&["d"]));
    assert!(g.label_heads("nope").is_empty());
}

#[test]
fn applied_heads_count_depends_on() {
    let g = graph("a; b<a; x; y<x dep=b");
    assert_eq!(g.applied_heads(&set(&["a", "b", "x"])), ids(&["b", "x"]));
    assert_eq!(g.applied_heads(&set(&["a", "b", "x", "y"])), ids(&["y"]));
    assert_eq!(g.applied_heads(&set(&[])), ids(&[]));
}

#[test]
fn apply_order_takes_earlier_created_then_smaller_id() {
    let g = graph("r created=1; z<r created=5; y<r created=3; x<r created=3; w<r");
    // w has no created time, so it is ready first among the children.
    assert_eq!(
        g.apply_order(&set(&["r", "w", "x", "y", "z"])),
        ids(&["r", "w", "x", "y", "z"])
    );
    assert_eq!(
        g.revert_order(&set(&["r", "w", "x", "y", "z"])),
        ids(&["z", "y", "x", "w", "r"])
    );
}

#[test]
fn apply_order_puts_depends_on_first_even_when_newer() {
    let g = graph("a created=9; b dep=a created=1; c created=5");
    assert_eq!(g.apply_order(&set(&["a", "b", "c"])), ids(&["c", "a", "b"]));
    // Reverting, b and c are ready at once and c is the later.
    assert_eq!(
        g.revert_order(&set(&["a", "b", "c"])),
        ids(&["c", "b", "a"])
    );
}

#[test]
fn revert_order_mirrors_the_ready_set_rule() {
    // b and c are reverted before their merge's parents; among ready ones
    // the later created goes first.
    let g = graph("a created=1; b<a created=2; c<a created=3; m<b,c created=4");
    assert_eq!(
        g.revert_order(&set(&["a", "b", "c", "m"])),
        ids(&["m", "c", "b", "a"])
    );
    assert_eq!(g.history_order(), ids(&["m", "c", "b", "a"]));
}

#[test]
fn order_ignores_unknown_ids() {
    let g = graph("a; b<a");
    assert_eq!(g.apply_order(&set(&["b", "zz"])), ids(&["b"]));
}

#[test]
fn divergence_is_the_nearest_common_ancestor() {
    let g = graph("a; b<a; c<b; d<b; e<d; x");
    assert_eq!(g.divergence(&ids(&["c", "e"])), Some(id("b")));
    assert_eq!(g.divergence(&ids(&["c", "x"])), None);
    // After a criss-cross both b and c are nearest; the later one wins.
    let g = graph("a created=1; b<a created=2; c<a created=3; m<b,c; n<b,c");
    assert_eq!(g.divergence(&ids(&["m", "n"])), Some(id("c")));
}

#[test]
fn empty_graph_builds() {
    let g = Graph::build(Vec::new()).unwrap();
    assert_eq!(g.len(), 0);
    assert!(g.heads().is_empty());
    assert!(g.history_order().is_empty());
}

#[test]
fn ten_thousand_revisions_build_and_order_quickly() {
    // A long line with a side branch every 10 revisions, merged back.
    let mut spec = String::from("r0");
    for i in 1..10_000 {
        if i % 10 == 5 {
            spec.push_str(&format!("; s{i}<r{}", i - 2));
            spec.push_str(&format!("; r{i}<r{},s{i}", i - 1));
        } else {
            spec.push_str(&format!("; r{i}<r{}", i - 1));
        }
    }
    let revisions = hist(&spec);
    let started = Instant::now();
    let g = Graph::build(revisions).unwrap();
    let all: BTreeSet<_> = g.revisions().iter().map(|r| r.id.clone()).collect();
    let order = g.apply_order(&all);
    let heads = g.heads();
    let elapsed = started.elapsed();
    assert_eq!(heads, ids(&["r9999"]));
    assert_eq!(order.len(), g.len());
    // Generous for an unoptimised build on a shared machine.
    assert!(elapsed.as_millis() < 2_000, "took {elapsed:?}");
}
