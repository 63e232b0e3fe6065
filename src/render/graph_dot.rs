//! The revision graph as a Graphviz `digraph` (`migrate graph --format-graph dot`).
//!
//! Pure: no file, env, clock or database access.
//!
//! Edges go parent -> child and are drawn bottom to top, so bases sit at the
//! bottom and heads at the top, as in `history`. `depends-on` edges are
//! dashed. Heads get a double border, merge points rounded corners, applied
//! revisions a green fill. Every id and label is a quoted, escaped string,
//! so no message can change the graph's structure.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::graph_node::{GraphNode, one_line, short_id};
use super::marks::Mark;

/// Draws `nodes` (newest first) as a Graphviz document.
///
/// Edges to ids not in `nodes` (below a `--range`) are left out.
pub(crate) fn draw(nodes: &[GraphNode]) -> String {
    let present: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let mut out = String::from("digraph revisions {\n");
    out.push_str("  rankdir=BT;\n");
    out.push_str("  node [shape=box, fontname=\"monospace\"];\n");
    for node in nodes {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "  {} [{}];", quote(&node.id), attributes(node));
    }
    for node in nodes {
        for parent in node.parents.iter().filter(|p| present.contains(p.as_str())) {
            let _ = writeln!(out, "  {} -> {};", quote(parent), quote(&node.id));
        }
        for needed in node
            .depends_on
            .iter()
            .filter(|d| present.contains(d.as_str()))
        {
            let _ = writeln!(
                out,
                "  {} -> {} [style=dashed, label=\"depends-on\"];",
                quote(needed),
                quote(&node.id)
            );
        }
    }
    out.push_str("}\n");
    out
}

/// The attribute list of one node: its label and its style.
fn attributes(node: &GraphNode) -> String {
    let mut label = short_id(&node.id);
    let message = one_line(&node.message);
    if !message.trim().is_empty() {
        label.push('\n');
        label.push_str(message.trim());
    }
    if !node.marks.is_empty() {
        let marks: Vec<String> = node.marks.iter().map(|m| one_line(m)).collect();
        label.push_str(&format!("\n({})", marks.join(", ")));
    }
    let mut attrs = vec![format!("label={}", quote(&label))];
    let mut styles = Vec::new();
    if node.has_mark(Mark::MergePoint) {
        styles.push("rounded");
    }
    if node.has_mark(Mark::Applied) {
        styles.push("filled");
        attrs.push("fillcolor=\"#d9f2d9\"".to_owned());
    }
    if !styles.is_empty() {
        attrs.push(format!("style=\"{}\"", styles.join(",")));
    }
    if node.has_mark(Mark::Head) {
        attrs.push("peripheries=2".to_owned());
    }
    attrs.join(", ")
}

/// `text` as a DOT double-quoted string. Backslashes are doubled (DOT reads
/// `\n`, `\l` in labels as escapes), quotes escaped, and a line break becomes
/// DOT's `\n`; other control characters become spaces.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            c if c.is_control() => quoted.push(' '),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(mut node: GraphNode, marks: &[Mark]) -> GraphNode {
        node.marks = marks.iter().map(|m| m.word().to_owned()).collect();
        node
    }

    #[test]
    fn branch_and_merge_as_digraph() {
        let mut c = GraphNode::new("c", &["x"], "seed");
        c.depends_on = vec!["b".to_owned()];
        let nodes = vec![
            mark(
                GraphNode::new("m", &["a", "b"], "merge"),
                &[Mark::Head, Mark::MergePoint],
            ),
            mark(c, &[Mark::Head]),
            GraphNode::new("b", &["x"], "on b"),
            GraphNode::new("a", &["x"], "on a"),
            mark(
                GraphNode::new("x", &[], "base"),
                &[Mark::BranchPoint, Mark::Applied],
            ),
        ];
        let expected = r##"digraph revisions {
  rankdir=BT;
  node [shape=box, fontname="monospace"];
  "m" [label="m\nmerge\n(head, mergepoint)", style="rounded", peripheries=2];
  "c" [label="c\nseed\n(head)", peripheries=2];
  "b" [label="b\non b"];
  "a" [label="a\non a"];
  "x" [label="x\nbase\n(branchpoint, applied)", fillcolor="#d9f2d9", style="filled"];
  "a" -> "m";
  "b" -> "m";
  "x" -> "c";
  "b" -> "c" [style=dashed, label="depends-on"];
  "x" -> "b";
  "x" -> "a";
}
"##;
        assert_eq!(draw(&nodes), expected);
    }

    #[test]
    fn quotes_and_backslashes_cannot_escape_the_string() {
        let nodes = vec![
            GraphNode::new("a\"b", &["p"], r#"say "hi" \n }; digraph x {"#),
            GraphNode::new("p", &[], "line\nbreak\x07"),
        ];
        let drawn = draw(&nodes);
        assert!(
            drawn.contains(r#""a\"b" [label="a\"b\nsay \"hi\" \\n }; digraph x {"];"#),
            "{drawn}"
        );
        assert!(drawn.contains(r#""p" [label="p\nline break"];"#), "{drawn}");
        assert!(drawn.contains(r#""p" -> "a\"b";"#), "{drawn}");
        // Outside strings the document has exactly its own braces.
        let mut in_string = false;
        let mut escaped = false;
        let mut braces = 0;
        for c in drawn.chars() {
            match (in_string, escaped, c) {
                (true, false, '\\') => escaped = true,
                (true, true, _) => escaped = false,
                (_, _, '"') => in_string = !in_string,
                (false, _, '{' | '}') => braces += 1,
                _ => {}
            }
        }
        assert_eq!(braces, 2, "{drawn}");
    }

    #[test]
    fn edges_to_revisions_outside_the_slice_are_left_out() {
        let nodes = vec![GraphNode::new("b", &["a"], "B")];
        assert!(!draw(&nodes).contains("->"));
    }
}
