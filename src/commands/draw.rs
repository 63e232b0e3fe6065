//! `migrate graph`: the revision graph drawn as ASCII, Graphviz dot or Mermaid.

use anyhow::Result;

use crate::cli::{GraphArgs, GraphFormat};
use crate::context::{Context, Project};
use crate::exit::Category;
use crate::graph::Graph;
use crate::render::graph_node::GraphNode;
use crate::render::marks::{Mark, marks};
use crate::render::{graph_ascii, graph_dot, graph_mermaid};

pub(crate) fn run(ctx: &Context, project: &Project, args: &GraphArgs) -> Result<Category> {
    let graph = project.graph(&args.db)?;
    let nodes = nodes(&graph);
    let drawing = match args.format_graph {
        GraphFormat::Ascii => graph_ascii::draw(&nodes),
        GraphFormat::Dot => graph_dot::draw(&nodes),
        GraphFormat::Mermaid => graph_mermaid::draw(&nodes),
    };
    ctx.printer.raw(&drawing);
    Ok(Category::Success)
}

/// The graph in history order (newest first), each node with its marks.
pub(crate) fn nodes(graph: &Graph) -> Vec<GraphNode> {
    graph
        .history_order()
        .iter()
        .filter_map(|id| graph.get(id.as_str()))
        .map(|rev| {
            // A drawing shows where each line starts: `base` would be noise.
            let mut marks: Vec<String> = marks(graph, rev, None)
                .into_iter()
                .filter(|m| *m != Mark::Base)
                .map(|m| m.word().to_owned())
                .collect();
            marks.extend(rev.labels.iter().map(|l| format!("label: {l}")));
            GraphNode {
                id: rev.id.to_string(),
                parents: rev.parents.iter().map(ToString::to_string).collect(),
                depends_on: rev.depends_on.iter().map(ToString::to_string).collect(),
                message: rev.message.clone(),
                marks,
            }
        })
        .collect()
}
