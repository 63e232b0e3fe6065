//! `migrate graph`: the revision graph drawn as ASCII, Graphviz dot or Mermaid.

use anyhow::Result;

use crate::cli::{GraphArgs, GraphFormat};
use crate::context::{Context, Project};
use crate::exit::Category;
use crate::graph::Graph;
use crate::render::graph_node::GraphNode;
use crate::render::{graph_ascii, graph_dot, graph_mermaid};

pub(crate) fn run(ctx: &Context, project: &Project, args: &GraphArgs) -> Result<Category> {
    let graph = project.graph(&args.db)?;
    let nodes = nodes(&graph, &[]);
    let drawing = match args.format_graph {
        GraphFormat::Ascii => graph_ascii::draw(&nodes),
        GraphFormat::Dot => graph_dot::draw(&nodes),
        GraphFormat::Mermaid => graph_mermaid::draw(&nodes),
    };
    ctx.printer.raw(&drawing);
    Ok(Category::Success)
}

/// The graph in history order (newest first), each node with its marks.
pub(crate) fn nodes(graph: &Graph, applied: &[String]) -> Vec<GraphNode> {
    let heads = graph.heads();
    graph
        .history_order()
        .iter()
        .filter_map(|id| graph.get(id.as_str()))
        .map(|rev| {
            let mut marks = Vec::new();
            if heads.contains(&rev.id) {
                marks.push("head".to_owned());
            }
            if graph.is_branch_point(rev.id.as_str()) {
                marks.push("branchpoint".to_owned());
            }
            if graph.is_merge_point(rev.id.as_str()) {
                marks.push("mergepoint".to_owned());
            }
            if applied.iter().any(|a| a == rev.id.as_str()) {
                marks.push("applied".to_owned());
            }
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
