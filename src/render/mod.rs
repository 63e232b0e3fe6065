//! Rendering: the printer (the only writer to stdout/stderr), tables,
//! progress, graph drawings and the JSON documents.

pub mod graph_ascii;
pub mod graph_dot;
pub mod graph_mermaid;
pub mod graph_node;
pub mod printer;
pub mod progress;
pub mod run_report;
pub mod table;
