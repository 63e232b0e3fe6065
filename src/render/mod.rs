//! Rendering: the printer (the only writer to stdout/stderr), tables,
//! progress, graph drawings and the JSON documents.

pub(crate) mod graph_ascii;
pub(crate) mod graph_dot;
pub(crate) mod graph_mermaid;
pub(crate) mod graph_node;
pub(crate) mod marks;
pub(crate) mod printer;
pub(crate) mod progress;
pub(crate) mod run_report;
pub(crate) mod table;
