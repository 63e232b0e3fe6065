use std::time::{Duration, Instant};

use super::*;
use crate::render::marks::Mark;

/// Nodes from `(id, parents, message)` triples, in the given (newest first) order.
fn hist(spec: &[(&str, &[&str], &str)]) -> Vec<GraphNode> {
    spec.iter()
        .map(|(id, parents, message)| GraphNode::new(id, parents, message))
        .collect()
}

/// The expected drawing, one array element a line.
fn lines(expected: &[&str]) -> String {
    expected.iter().map(|l| format!("{l}\n")).collect()
}

fn mark(mut node: GraphNode, marks: &[Mark]) -> GraphNode {
    node.marks = marks.iter().map(|m| m.word().to_owned()).collect();
    node
}

#[test]
fn straight_chain_is_one_lane() {
    let nodes = vec![
        mark(
            GraphNode::new("c3", &["b2"], "add positions.notes"),
            &[Mark::Head],
        ),
        mark(
            GraphNode::new("b2", &["a1"], "create portfolios"),
            &[Mark::Applied],
        ),
        mark(GraphNode::new("a1", &[], "create users"), &[Mark::Applied]),
    ];
    assert_eq!(
        draw(&nodes),
        lines(&[
            "o c3 add positions.notes (head)",
            "* b2 create portfolios (applied)",
            "* a1 create users (applied)",
        ])
    );
}

#[test]
fn two_heads_on_one_parent_diverge_visibly() {
    let nodes = vec![
        mark(GraphNode::new("b1", &["x"], "chain b"), &[Mark::Head]),
        mark(GraphNode::new("a1", &["x"], "chain a"), &[Mark::Head]),
        mark(GraphNode::new("x", &[], "base"), &[Mark::BranchPoint]),
    ];
    assert_eq!(
        draw(&nodes),
        lines(&[
            "o b1 chain b (head)",
            "| o a1 chain a (head)",
            "|/",
            "o x base (branchpoint)",
        ])
    );
}

#[test]
fn branch_and_merge() {
    let nodes = vec![
        mark(
            GraphNode::new("m", &["a", "b"], "merge"),
            &[Mark::Head, Mark::MergePoint],
        ),
        GraphNode::new("b", &["x"], "on b"),
        GraphNode::new("a", &["x"], "on a"),
        mark(GraphNode::new("x", &[], "base"), &[Mark::BranchPoint]),
    ];
    assert_eq!(
        draw(&nodes),
        lines(&[
            r"o m merge (head, mergepoint)",
            r"|\",
            r"| o b on b",
            r"o | a on a",
            r"|/",
            r"o x base (branchpoint)",
        ])
    );
}

#[test]
fn merge_of_three_fans_out_in_parent_order() {
    let nodes = hist(&[
        ("m", &["a", "b", "c"], "merge three"),
        ("c", &["x"], "C"),
        ("b", &["x"], "B"),
        ("a", &["x"], "A"),
        ("x", &[], "X"),
    ]);
    assert_eq!(
        draw(&nodes),
        lines(&[
            r"o m merge three",
            r"|\",
            r"|\ \",
            r"| | o c C",
            r"| o | b B",
            r"| |/",
            r"o | a A",
            r"|/",
            r"o x X",
        ])
    );
}

#[test]
fn two_bases_each_end_their_lane() {
    let merged = hist(&[
        ("m", &["a2", "b1"], "join bases"),
        ("a2", &["a1"], "A2"),
        ("b1", &[], "B1"),
        ("a1", &[], "A1"),
    ]);
    assert_eq!(
        draw(&merged),
        lines(&[
            r"o m join bases",
            r"|\",
            r"o | a2 A2",
            r"| o b1 B1",
            r"o a1 A1",
        ])
    );
    // Unmerged: the lane right of a base that ends moves left.
    let apart = hist(&[
        ("a2", &["a1"], "A2"),
        ("b2", &["b1"], "B2"),
        ("a1", &[], "A1"),
        ("b1", &[], "B1"),
    ]);
    assert_eq!(
        draw(&apart),
        lines(&[r"o a2 A2", r"| o b2 B2", r"o | a1 A1", r" /", r"o b1 B1",])
    );
}

#[test]
fn long_chain_with_inner_branch_and_merge() {
    let nodes = hist(&[
        ("r9", &["r8"], "nine"),
        ("r8", &["m7"], "eight"),
        ("m7", &["r6", "s2"], "merge side"),
        ("s2", &["s1"], "side two"),
        ("r6", &["r5"], "six"),
        ("s1", &["r4"], "side one"),
        ("r5", &["r4"], "five"),
        ("r4", &["r3"], "four"),
        ("r3", &["r2"], "three"),
        ("r2", &["r1"], "two"),
        ("r1", &[], "one"),
    ]);
    assert_eq!(
        draw(&nodes),
        lines(&[
            r"o r9 nine",
            r"o r8 eight",
            r"o m7 merge side",
            r"|\",
            r"| o s2 side two",
            r"o | r6 six",
            r"| o s1 side one",
            r"o | r5 five",
            r"|/",
            r"o r4 four",
            r"o r3 three",
            r"o r2 two",
            r"o r1 one",
        ])
    );
}

#[test]
fn crossing_lanes_pass_under_with_underscores() {
    // h3's parent `a` is already two lanes away when `b` takes it.
    let nodes = hist(&[
        ("h1", &["b"], "H1"),
        ("h2", &["c"], "H2"),
        ("h3", &["a"], "H3"),
        ("b", &["a"], "B"),
        ("c", &["a"], "C"),
        ("a", &[], "A"),
    ]);
    assert_eq!(
        draw(&nodes),
        lines(&[
            r"o h1 H1",
            r"| o h2 H2",
            r"| | o h3 H3",
            r"o | | b B",
            r"|_|/",
            r"| o c C",
            r"|/",
            r"o a A",
        ])
    );
}

#[test]
fn merge_parent_already_in_another_lane_gets_an_edge() {
    // `h` and the merge `m` both need `b`: the merge's second edge goes
    // sideways into b's lane instead of opening a new one.
    let nodes = hist(&[
        ("h", &["b"], "H"),
        ("m", &["a", "b"], "M"),
        ("b", &["x"], "B"),
        ("a", &["x"], "A"),
        ("x", &[], "X"),
    ]);
    assert_eq!(
        draw(&nodes),
        lines(&[
            r"o h H", r"| o m M", r"|/|", r"o | b B", r"| o a A", r"|/", r"o x X",
        ])
    );
}

#[test]
fn depends_on_is_listed_not_drawn_and_ids_are_shortened() {
    let mut node = GraphNode::new("0123456789abcdef", &["a"], "needs seed");
    node.depends_on = vec!["fedcba9876543210".to_owned()];
    let nodes = vec![
        node,
        GraphNode::new("fedcba9876543210", &["a"], "seed"),
        GraphNode::new("a", &[], "base"),
    ];
    assert_eq!(
        draw(&nodes),
        lines(&[
            "o 0123456789ab needs seed (needs: fedcba987654)",
            "| o fedcba987654 seed",
            "|/",
            "o a base",
        ])
    );
}

#[test]
fn hostile_text_stays_on_one_line() {
    let nodes = vec![GraphNode {
        id: "ä\nöü".repeat(10),
        parents: vec![],
        depends_on: vec![],
        message: "line one\nline two\r\x1b[31m".to_owned(),
        marks: vec!["la\nbel".to_owned()],
    }];
    let drawn = draw(&nodes);
    assert_eq!(drawn.lines().count(), 1, "{drawn}");
    assert!(
        drawn.starts_with("o ä öüä öüä öü line one line two  [31m (la bel)"),
        "{drawn}"
    );
}

#[test]
fn parents_outside_the_slice_or_out_of_order_get_no_lane() {
    // `b`'s parent `a` is below the range; `z` comes before its child `y`.
    let nodes = hist(&[("b", &["a"], "B"), ("z", &[], "Z"), ("y", &["z"], "Y")]);
    assert_eq!(draw(&nodes), lines(&["o b B", "o z Z", "o y Y"]));
    assert_eq!(draw(&[]), "");
}

#[test]
fn ten_thousand_revisions_draw_fast() {
    // A long chain with a branch and merge every 10 revisions, and 5 heads.
    let mut nodes = Vec::new();
    for h in 0..5 {
        nodes.push(GraphNode::new(&format!("h{h}"), &["n9999"], "head"));
    }
    for i in (0..10_000).rev() {
        let id = format!("n{i}");
        let parents: Vec<String> = match i {
            0 => vec![],
            _ if i % 10 == 5 => vec![format!("n{}", i - 1), format!("s{}", i - 1)],
            _ => vec![format!("n{}", i - 1)],
        };
        if i % 10 == 4 {
            nodes.push(GraphNode {
                id: format!("s{i}"),
                parents: vec![format!("n{}", i - 1)],
                ..GraphNode::default()
            });
        }
        nodes.push(GraphNode {
            id,
            parents,
            ..GraphNode::default()
        });
    }
    let started = Instant::now();
    let drawn = draw(&nodes);
    // Debug builds are slow; linear work is still far under this.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        drawn
            .lines()
            .filter(|l| l.contains(" o ") || l.starts_with("o "))
            .count(),
        nodes.len()
    );
    assert!(
        drawn.lines().all(|l| l.len() < 40),
        "lanes are reused, not accumulated"
    );
}

/// The `diverged` fixture's nodes, newest first. Its `created` times grow
/// from parent to child, so sorting by them is a valid history order; only
/// the header lines the drawing needs are read.
fn diverged_fixture() -> Vec<GraphNode> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diverged");
    let mut nodes: Vec<(String, GraphNode)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let mut node = GraphNode::default();
            let mut created = String::new();
            for line in text.lines().take_while(|l| *l != "-- migrate:up") {
                let (key, value) = line
                    .strip_prefix("-- migrate:")
                    .and_then(|l| l.split_once(' '))
                    .unwrap_or(("", ""));
                match key {
                    "revision" => node.id = value.to_owned(),
                    "parents" => node.parents = value.split(' ').map(str::to_owned).collect(),
                    "message" => node.message = value.to_owned(),
                    "created" => created = value.to_owned(),
                    "labels" => node.marks.push(value.to_owned()),
                    _ => {}
                }
            }
            (created, node)
        })
        .collect();
    nodes.sort_by(|a, b| b.0.cmp(&a.0));
    nodes.into_iter().map(|(_, node)| node).collect()
}

#[test]
fn diverged_fixture_shows_two_chains_and_the_inner_merge() {
    assert_eq!(
        draw(&diverged_fixture()),
        lines(&[
            r"o def24e423a45 add credit_notes.reason",
            r"| o b61d975d6669 create notification_preferences",
            r"o | e1d0716e8bb5 index invoice_events by invoice",
            r"o | 827ab54e3ec5 create invoice_events",
            r"o | 8771649f5e6e add invoices.currency",
            r"o | 40a16d46e0db create credit_notes",
            r"| o 45d7bd4d0cf7 index notifications by account",
            r"o | 92fdb79c792f merge tax rates into billing",
            r"|\ \",
            r"| o | 92e2b961c12c seed default tax rates",
            r"o | | a99d460012f6 add payments.method",
            r"| | o 25ceb99f3c90 add notifications.read_at",
            r"| o | 5a6e2024d2a7 add invoice_lines.tax_rate_id",
            r"o | | 0ead68e1a78e create refunds",
            r"| o | 31c82706eaee create tax_rates",
            r"|/ /",
            r"| o 7a26378c84b8 create notifications",
            r"o | a0dd7635d53d index payments by invoice",
            r"o | 7e97ff4185c4 create payments",
            r"o | c5136105ef6c add invoices.due_date",
            r"| o 5241dc2d22ac create notification_channels (notifications)",
            r"o | 2d47267ebd85 create invoice_lines",
            r"o | 2d38474b9078 create invoices (billing)",
            r"|/",
            r"o 787d7b8592ea add accounts.plan",
            r"o adb6b7e45ba6 create audit_log",
            r"o ac7287886928 create accounts",
        ])
    );
}

/// Random histories, newest first: node `i` takes its parents from `i+1..`.
fn random_history() -> impl proptest::strategy::Strategy<Value = Vec<GraphNode>> {
    use proptest::prelude::*;
    prop::collection::vec(prop::collection::vec(1usize..12, 0..4), 1..40).prop_map(|picks| {
        let n = picks.len();
        picks
            .iter()
            .enumerate()
            .map(|(i, offsets)| GraphNode {
                id: format!("r{i}"),
                parents: offsets
                    .iter()
                    .filter(|o| i + *o < n)
                    .map(|o| format!("r{}", i + o))
                    .collect(),
                ..GraphNode::default()
            })
            .collect()
    })
}

proptest::proptest! {
    #[test]
    fn every_revision_gets_one_line_and_lanes_are_continuous(nodes in random_history()) {
        let drawn = draw(&nodes);
        let rows: Vec<Vec<char>> = drawn.lines().map(|l| l.chars().collect()).collect();
        let node_rows: Vec<&Vec<char>> =
            rows.iter().filter(|r| r.contains(&'r')).collect();
        proptest::prop_assert_eq!(node_rows.len(), nodes.len());
        for (row, node) in node_rows.iter().zip(&nodes) {
            let text: String = row.iter().collect();
            proptest::prop_assert!(text.ends_with(&format!(" {}", node.id)), "{}", text);
        }
        // A `|` always continues something from the row above: a lane or
        // node straight above, a `\` above-left or a `/` above-right.
        for pair in rows.windows(2) {
            let (above, row) = (&pair[0], &pair[1]);
            let at = |p: usize| above.get(p).copied().unwrap_or(' ');
            for (p, c) in row.iter().enumerate() {
                if *c == '|' && !matches!(at(p), '|' | 'o' | '*') {
                    let left = p.checked_sub(1).map(at).unwrap_or(' ');
                    proptest::prop_assert!(
                        left == '\\' || at(p + 1) == '/',
                        "broken lane at {} in\n{}", p, drawn
                    );
                }
            }
        }
    }
}
