//! The revision graph as a Mermaid flowchart (`migrate graph --format-graph mermaid`).
//!
//! Pure: no file, env, clock or database access.
//!
//! `flowchart BT`: edges go parent --> child, bases at the bottom, heads at
//! the top; `depends-on` edges are dotted. Mermaid node ids are generated
//! (`n0`, `n1`, ...) because a revision id such as `end` would break the
//! chart; the real id is in the label. Labels are quoted and every character
//! Mermaid could read as syntax is written as an entity code (`#quot;`).

use std::collections::HashMap;
use std::fmt::Write as _;

use super::graph_node::{GraphNode, one_line, short_id};
use super::marks::Mark;

/// Draws `nodes` (newest first) as a Mermaid document.
///
/// Edges to ids not in `nodes` (below a `--range`) are left out.
pub(crate) fn draw(nodes: &[GraphNode]) -> String {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        index.entry(node.id.as_str()).or_insert(i);
    }
    let mut out = String::from("flowchart BT\n");
    for (i, node) in nodes.iter().enumerate() {
        let label = escape(&label(node));
        // Writing to a String cannot fail. Merge points get rounded corners.
        let _ = if node.has_mark(Mark::MergePoint) {
            writeln!(out, "  n{i}(\"{label}\")")
        } else {
            writeln!(out, "  n{i}[\"{label}\"]")
        };
    }
    for (i, node) in nodes.iter().enumerate() {
        for parent in node.parents.iter().filter_map(|p| index.get(p.as_str())) {
            let _ = writeln!(out, "  n{parent} --> n{i}");
        }
        for needed in node.depends_on.iter().filter_map(|d| index.get(d.as_str())) {
            let _ = writeln!(out, "  n{needed} -.->|depends-on| n{i}");
        }
    }
    let classes = [
        ("head", Mark::Head, "stroke-width:3px"),
        ("merge", Mark::MergePoint, "stroke-dasharray:5 3"),
        ("applied", Mark::Applied, "fill:#d9f2d9"),
    ];
    for (class, mark, style) in classes {
        let members: Vec<String> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.has_mark(mark))
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "  classDef {class} {style}");
            let _ = writeln!(out, "  class {} {class}", members.join(","));
        }
    }
    out
}

/// `short-id<br/>message<br/>(marks)`, before escaping.
fn label(node: &GraphNode) -> String {
    let mut parts = vec![short_id(&node.id)];
    let message = one_line(&node.message);
    if !message.trim().is_empty() {
        parts.push(message.trim().to_owned());
    }
    if !node.marks.is_empty() {
        let marks: Vec<String> = node.marks.iter().map(|m| one_line(m)).collect();
        parts.push(format!("({})", marks.join(", ")));
    }
    parts.join("\n")
}

/// Text made safe inside a quoted Mermaid label: quotes, brackets, HTML and
/// statement characters become entity codes, a line break becomes `<br/>`,
/// other control characters spaces.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("<br/>"),
            '"' => escaped.push_str("#quot;"),
            '&' => escaped.push_str("#amp;"),
            '<' => escaped.push_str("#lt;"),
            '>' => escaped.push_str("#gt;"),
            '#' | '[' | ']' | '(' | ')' | '{' | '}' | '|' | '`' | ';' => {
                let _ = write!(escaped, "#{};", u32::from(c));
            }
            c if c.is_control() => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(mut node: GraphNode, marks: &[Mark]) -> GraphNode {
        node.marks = marks.iter().map(|m| m.word().to_owned()).collect();
        node
    }

    #[test]
    fn branch_and_merge_as_flowchart() {
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
            mark(GraphNode::new("x", &[], "base"), &[Mark::Applied]),
        ];
        let expected = r##"flowchart BT
  n0("m<br/>merge<br/>#40;head, mergepoint#41;")
  n1["c<br/>seed<br/>#40;head#41;"]
  n2["b<br/>on b"]
  n3["a<br/>on a"]
  n4["x<br/>base<br/>#40;applied#41;"]
  n3 --> n0
  n2 --> n0
  n4 --> n1
  n2 -.->|depends-on| n1
  n4 --> n2
  n4 --> n3
  classDef head stroke-width:3px
  class n0,n1 head
  classDef merge stroke-dasharray:5 3
  class n0 merge
  classDef applied fill:#d9f2d9
  class n4 applied
"##;
        assert_eq!(draw(&nodes), expected);
    }

    #[test]
    fn labels_escape_quotes_brackets_and_html() {
        let nodes = vec![
            GraphNode::new("end", &[], r#"say "hi"] --> x[<b>#1</b>]; {a|b} `c` & (d)"#),
            GraphNode::new("n1", &["end"], "two\nlines\x1b"),
        ];
        let drawn = draw(&nodes);
        assert!(
            drawn.contains(
                "  n0[\"end<br/>say #quot;hi#quot;#93; --#gt; x#91;#lt;b#gt;#35;1#lt;/b#gt;#93;#59; \
                 #123;a#124;b#125; #96;c#96; #amp; #40;d#41;\"]\n"
            ),
            "{drawn}"
        );
        assert!(drawn.contains("  n1[\"n1<br/>two lines\"]\n"), "{drawn}");
        assert!(drawn.contains("  n0 --> n1\n"), "{drawn}");
        // Each label's quotes are exactly the two that delimit it.
        for line in drawn.lines().filter(|l| l.contains('[')) {
            assert_eq!(line.matches('"').count(), 2, "{line}");
        }
    }
}
