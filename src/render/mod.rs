//! Rendering: everything that turns results into text for the user.

pub mod graph_ascii;
pub mod graph_dot;
pub mod graph_mermaid;
pub mod graph_node;
