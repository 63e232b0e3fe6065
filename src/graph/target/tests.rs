//! Tests of parsing and resolving targets, one per form and per error.

use std::collections::BTreeSet;

use super::{Resolved, StepAmbiguity, Target, TargetError};
use crate::graph::test_support::{graph, id, ids};
use crate::revision::RevisionId;

fn parse(s: &str) -> Target {
    s.parse().unwrap_or_else(|e| panic!("`{s}`: {e}"))
}

fn applied(list: &[&str]) -> BTreeSet<RevisionId> {
    ids(list).into_iter().collect()
}

fn resolve(spec: &str, target: &str, applied_list: &[&str]) -> Result<Resolved, TargetError> {
    parse(target).resolve(&graph(spec), &applied(applied_list))
}

fn to(list: &[&str]) -> Result<Resolved, TargetError> {
    Ok(Resolved::Revisions(ids(list)))
}

const LINE: &str = "a; b<a; c<b; d<c";
const FORK: &str = "a; b<a; c<a; m<b,c";

#[test]
fn every_form_parses_and_prints_back() {
    let cases = [
        ("head", Target::Head),
        ("heads", Target::Heads),
        ("base", Target::Base),
        ("9b0768a49ad8", Target::Revision("9b0768a49ad8".into())),
        (
            "ab12+2",
            Target::Forward {
                from: "ab12".into(),
                steps: 2,
            },
        ),
        (
            "ab12-1",
            Target::Backward {
                from: "ab12".into(),
                steps: 1,
            },
        ),
        ("head-3", Target::HeadBackward { steps: 3 }),
        ("+1", Target::AppliedForward { steps: 1 }),
        ("-2", Target::AppliedBackward { steps: 2 }),
        (
            "billing@head",
            Target::LabelHead {
                label: "billing".into(),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text), expected, "{text}");
        assert_eq!(expected.to_string(), text);
    }
}

#[test]
fn malformed_targets_are_invalid_and_say_why() {
    for bad in [
        "",
        "a+",
        "a+0",
        "+x",
        "-",
        "head+1",
        "base-1",
        "a-b-1",
        "no way",
        "@head",
        "é+1",
        "current",
        "a+99999999999999999999999",
    ] {
        let err = bad.parse::<Target>().unwrap_err();
        assert!(matches!(err, TargetError::Invalid { .. }), "{bad}: {err:?}");
        assert!(err.to_string().contains("`head-N`"), "{err}");
    }
    let long = "x".repeat(10_000);
    let text = long.parse::<Target>().unwrap_err().to_string();
    assert!(text.len() < 400, "long input is cut in the message");
}

#[test]
fn head_is_the_single_head_or_an_error_naming_every_head() {
    assert_eq!(resolve(LINE, "head", &[]), to(&["d"]));
    let err = resolve("a; b<a; c<a", "head", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::MultipleHeads {
            heads: ids(&["b", "c"])
        }
    );
    assert!(err.to_string().contains("2 heads, `b` and `c`"), "{err}");
    assert_eq!(resolve("a; b<a; c<a", "heads", &[]), to(&["b", "c"]));
}

#[test]
fn head_of_an_empty_graph_is_nothing() {
    let empty = crate::graph::Graph::build(Vec::new()).unwrap();
    assert_eq!(
        Target::Head.resolve(&empty, &BTreeSet::new()),
        Ok(Resolved::Revisions(Vec::new()))
    );
    assert!(matches!(
        Target::AppliedForward { steps: 1 }.resolve(&empty, &BTreeSet::new()),
        Err(TargetError::NoRevisions { .. })
    ));
}

#[test]
fn base_is_base() {
    assert_eq!(resolve(LINE, "base", &["a"]), Ok(Resolved::Base));
}

#[test]
fn full_ids_of_any_length_and_prefixes_of_four_or_more() {
    let spec = "abcdef1; abcdef2<abcdef1; abd<abcdef2; x<abd";
    assert_eq!(resolve(spec, "x", &[]), to(&["x"]));
    assert_eq!(resolve(spec, "abd", &[]), to(&["abd"]));
    assert_eq!(resolve(spec, "abcdef1", &[]), to(&["abcdef1"]));
    let err = resolve(spec, "abcd", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::Ambiguous {
            prefix: "abcd".into(),
            candidates: ids(&["abcdef1", "abcdef2"]),
        }
    );
    assert!(err.to_string().contains("`abcdef1` and `abcdef2`"));
    assert_eq!(resolve("abcdef1; q<abcdef1", "abcd", &[]), to(&["abcdef1"]));
}

#[test]
fn short_prefix_is_unknown_and_says_prefixes_need_four_characters() {
    let err = resolve("abcdef1", "abc", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::Unknown {
            input: "abc".into(),
            too_short: true
        }
    );
    assert!(err.to_string().contains("at least 4 characters"), "{err}");
    let err = resolve("abcdef1", "zzzz", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::Unknown {
            input: "zzzz".into(),
            too_short: false
        }
    );
}

#[test]
fn id_plus_n_walks_child_edges() {
    assert_eq!(resolve(LINE, "a+2", &[]), to(&["c"]));
    assert_eq!(resolve(FORK, "b+1", &[]), to(&["m"]));
    let err = resolve(FORK, "a+2", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::AmbiguousStep {
            input: "a+2".into(),
            reason: StepAmbiguity::BranchPoint { at: id("a") },
            choices: ids(&["b", "c"]),
            instead: vec!["b+1".into(), "c+1".into()],
        }
    );
    assert!(
        err.to_string().contains("type `b+1` or `c+1` instead"),
        "{err}"
    );
}

#[test]
fn id_plus_n_does_not_follow_depends_on() {
    let err = resolve("a; b dep=a", "a+1", &[]).unwrap_err();
    assert!(
        matches!(err, TargetError::PastHead { steps_done: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn step_past_a_head_says_how_far_it_got() {
    let err = resolve(LINE, "b+5", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::PastHead {
            input: "b+5".into(),
            reached: id("d"),
            steps_done: 2,
        }
    );
    assert!(err.to_string().contains("got 2 steps, to `d`"), "{err}");
}

#[test]
fn id_minus_n_walks_parent_edges_and_stops_at_merges() {
    assert_eq!(resolve(LINE, "d-2", &[]), to(&["b"]));
    assert_eq!(resolve(FORK, "b-1", &[]), to(&["a"]));
    let err = resolve(FORK, "m-2", &[]).unwrap_err();
    assert!(
        matches!(
            &err,
            TargetError::AmbiguousStep { reason: StepAmbiguity::MergePoint { at }, instead, .. }
                if at == &id("m") && instead == &["b-1".to_owned(), "c-1".to_owned()]
        ),
        "{err:?}"
    );
    let err = resolve(FORK, "m-1", &[]).unwrap_err();
    assert!(err.to_string().contains("type `b` or `c` instead"), "{err}");
}

#[test]
fn just_below_the_single_base_is_base() {
    assert_eq!(resolve(LINE, "d-4", &[]), Ok(Resolved::Base));
    assert_eq!(resolve(LINE, "-1", &["a"]), Ok(Resolved::Base));
}

#[test]
fn below_a_base_with_several_bases_is_an_error() {
    let err = resolve("a; b<a; x", "b-2", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::BelowBase {
            input: "b-2".into(),
            base: id("a"),
            bases: ids(&["a", "x"]),
        }
    );
    assert!(err.to_string().contains("type `base` if you mean that"));
}

#[test]
fn further_below_a_base_is_an_error() {
    let err = resolve(LINE, "b-3", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::PastBase {
            input: "b-3".into(),
            reached: id("a"),
            steps_done: 1,
        }
    );
    assert!(
        err.to_string().contains("got 1 step, to `a`, a base"),
        "{err}"
    );
}

#[test]
fn head_minus_n_needs_a_single_head() {
    assert_eq!(resolve(LINE, "head-1", &[]), to(&["c"]));
    assert!(matches!(
        resolve(FORK, "head-1", &[]),
        Err(TargetError::AmbiguousStep { .. })
    ));
    assert!(matches!(
        resolve("a; b<a; c<a", "head-1", &[]),
        Err(TargetError::MultipleHeads { .. })
    ));
}

#[test]
fn plus_n_moves_up_from_the_single_applied_head() {
    assert_eq!(resolve(LINE, "+1", &["a", "b"]), to(&["c"]));
    assert_eq!(resolve(LINE, "+1", &[]), to(&["a"]));
    assert_eq!(resolve(LINE, "+3", &[]), to(&["c"]));
    let err = resolve(LINE, "+3", &["a", "b"]).unwrap_err();
    assert!(
        matches!(err, TargetError::PastHead { steps_done: 2, .. }),
        "{err:?}"
    );
    let err = resolve(LINE, "d+1", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("it starts at `d`, which has no children"),
        "{err}"
    );
}

#[test]
fn plus_n_with_several_applied_heads_or_bases_lists_the_choices() {
    let err = resolve("a; b<a; c<a; d<b", "+1", &["a", "b", "c"]).unwrap_err();
    assert_eq!(
        err,
        TargetError::AmbiguousStep {
            input: "+1".into(),
            reason: StepAmbiguity::SeveralAppliedHeads,
            choices: ids(&["b", "c"]),
            instead: vec!["b+1".into(), "c+1".into()],
        }
    );
    let err = resolve("a; x", "+2", &[]).unwrap_err();
    assert!(
        matches!(
            &err,
            TargetError::AmbiguousStep { reason: StepAmbiguity::SeveralBases, instead, .. }
                if instead == &["a+1".to_owned(), "x+1".to_owned()]
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("several bases"), "{err}");
    let err = resolve(FORK, "+1", &["a"]).unwrap_err();
    assert!(matches!(
        err,
        TargetError::AmbiguousStep {
            reason: StepAmbiguity::BranchPoint { .. },
            ..
        }
    ));
}

#[test]
fn minus_n_moves_down_from_the_single_applied_head() {
    assert_eq!(resolve(LINE, "-2", &["a", "b", "c"]), to(&["a"]));
    let err = resolve(LINE, "-1", &[]).unwrap_err();
    assert_eq!(err, TargetError::NothingApplied { input: "-1".into() });
    let err = resolve("a; b<a; c<a", "-1", &["a", "b", "c"]).unwrap_err();
    assert!(
        matches!(
            &err,
            TargetError::AmbiguousStep { reason: StepAmbiguity::SeveralAppliedHeads, instead, .. }
                if instead == &["b-1".to_owned(), "c-1".to_owned()]
        ),
        "{err:?}"
    );
}

#[test]
fn label_at_head() {
    let spec = "a; b<a label=feat; c<b; d<a; e<d label=two; f<e; g<e";
    assert_eq!(resolve(spec, "feat@head", &[]), to(&["c"]));
    assert_eq!(
        resolve(spec, "two@head", &[]),
        Err(TargetError::LabelMultipleHeads {
            label: "two".into(),
            heads: ids(&["f", "g"])
        })
    );
    assert_eq!(
        resolve(spec, "nope@head", &[]),
        Err(TargetError::UnknownLabel {
            label: "nope".into()
        })
    );
}

#[test]
fn a_directly_built_zero_step_target_does_not_panic() {
    let g = graph(LINE);
    assert_eq!(
        Target::AppliedForward { steps: 0 }.resolve(&g, &BTreeSet::new()),
        to(&["a"])
    );
    assert_eq!(
        Target::Backward {
            from: "c".into(),
            steps: 0
        }
        .resolve(&g, &BTreeSet::new()),
        to(&["c"])
    );
}
