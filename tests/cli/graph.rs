//! `graph` in its three formats on the diverged fixture: the divergence of
//! the two chains and the inner merge must be visible.

use super::{DIVERGED_COUNT, FORK, INNER_MERGE, TIP_BILLING, TIP_NOTIFICATIONS};
use crate::harness::env::TestEnv;

/// Every parent edge of the diverged fixture: 23 single parents + a merge of 2.
const EDGES: usize = 24;

#[test]
fn ascii_shows_the_divergence_and_the_merge() {
    let out = TestEnv::core_fixture("diverged").run(&["graph", "core"]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let node_lines: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains(" o ") || l.starts_with("o "))
        .collect();
    assert_eq!(
        node_lines.len(),
        DIVERGED_COUNT,
        "one line per revision\n{out}"
    );
    // Newest first: the two heads on top, in two lanes.
    assert!(
        lines[0].starts_with("o ") && lines[0].contains(TIP_BILLING),
        "{out}"
    );
    assert!(
        lines[1].starts_with("| o ") && lines[1].contains(TIP_NOTIFICATIONS),
        "{out}"
    );
    assert!(
        lines[0].contains("head") && lines[1].contains("head"),
        "{out}"
    );
    // The fork: lanes join (`|/`) right above the branch point, in the first lane.
    let fork = lines
        .iter()
        .position(|l| l.contains(FORK))
        .expect("fork drawn");
    assert!(
        lines[fork].starts_with("o ") && lines[fork].contains("branchpoint"),
        "{out}"
    );
    assert_eq!(lines[fork - 1].trim_end(), "|/", "{out}");
    // The inner merge opens a lane (`|\`) right below it.
    let merge = lines
        .iter()
        .position(|l| l.contains(INNER_MERGE))
        .expect("merge drawn");
    assert!(lines[merge].contains("mergepoint"), "{out}");
    assert!(lines[merge + 1].starts_with("|\\"), "{out}");
    // Bottom: the trunk in one lane.
    assert!(
        lines
            .last()
            .unwrap_or(&"")
            .starts_with("o ac7287886928 create accounts"),
        "{out}"
    );
}

#[test]
fn ascii_after_merging_the_heads_closes_the_lanes() {
    let env = TestEnv::core_fixture("diverged");
    env.run(&[
        "merge",
        "core",
        "-m",
        "join chains",
        "--rev-id",
        "fff000000000",
    ])
    .success();
    let out = env.run(&["graph", "core"]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("o fff000000000") && lines[0].contains("head"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("|\\"),
        "the merge opens two lanes\n{out}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("head")).count(),
        1,
        "{out}"
    );
}

#[test]
fn dot_has_every_edge_parent_to_child() {
    let out = TestEnv::core_fixture("diverged").run(&["graph", "core", "--format-graph", "dot"]);
    out.success().stdout_has("digraph");
    assert!(out.stdout.trim_end().ends_with('}'), "{out}");
    for (parent, child) in [
        (FORK, "2d38474b9078"),
        (FORK, "5241dc2d22ac"),
        ("a99d460012f6", INNER_MERGE),
        ("92e2b961c12c", INNER_MERGE),
        ("e1d0716e8bb5", TIP_BILLING),
    ] {
        out.stdout_has(&format!("\"{parent}\" -> \"{child}\""));
    }
    assert_eq!(out.stdout.matches(" -> ").count(), EDGES, "{out}");
}

#[test]
fn mermaid_has_every_edge_and_every_revision() {
    let out =
        TestEnv::core_fixture("diverged").run(&["graph", "core", "--format-graph", "mermaid"]);
    out.success();
    assert!(
        out.stdout.starts_with("flowchart") || out.stdout.starts_with("graph"),
        "{out}"
    );
    assert_eq!(out.stdout.matches("-->").count(), EDGES, "{out}");
    for id in [
        TIP_BILLING,
        TIP_NOTIFICATIONS,
        FORK,
        INNER_MERGE,
        "ac7287886928",
    ] {
        out.stdout_has(id);
    }
}

#[test]
fn depends_on_edges_are_drawn_differently() {
    let env = TestEnv::core_fixture("depends_on");
    let mermaid = env.run(&["graph", "core", "--format-graph", "mermaid"]);
    mermaid.success().stdout_has("depends-on");
    assert_eq!(
        mermaid.stdout.matches("-->").count(),
        3,
        "parent edges\n{mermaid}"
    );
    let dot = env.run(&["graph", "core", "--format-graph", "dot"]);
    dot.success()
        .stdout_has("\"8de5c477591d\" -> \"a74b6122cae2\"")
        .stdout_has("dashed");
    let ascii = env.run(&["graph", "core"]);
    ascii.success();
    assert!(ascii.lines()[0].contains("a74b6122cae2"), "{ascii}");
}

#[test]
fn graph_output_is_stable() {
    let env = TestEnv::core_fixture("diverged");
    for format in ["ascii", "dot", "mermaid"] {
        let a = env.run(&["graph", "core", "--format-graph", format]);
        let b = env.run(&["graph", "core", "--format-graph", format]);
        a.success();
        assert_eq!(a.stdout, b.stdout, "{a}\n{b}");
        let other =
            TestEnv::core_fixture("diverged").run(&["graph", "core", "--format-graph", format]);
        assert_eq!(a.stdout, other.stdout);
    }
}

#[test]
fn graph_of_an_empty_folder_succeeds() {
    TestEnv::core().run(&["graph", "core"]).success();
}

#[test]
fn graph_of_a_broken_history_is_bad_input() {
    let env = TestEnv::core_fixture("depends_on").write(
        "migrations_core/x.sql",
        &super::rev("x1x1", "nothere", "x", 9),
    );
    env.run(&["graph", "core"])
        .code(2)
        .stderr_has("nothere")
        .stdout_empty();
}
