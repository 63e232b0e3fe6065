//! `migrate`: keeps the several databases of one application in step with
//! their migration histories. See `README.md` and `SPEC.md`.

pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod driver;
pub mod engine;
pub mod exit;
pub mod graph;
pub mod logging;
pub mod plan;
pub mod render;
pub mod revision;
pub mod state;
pub mod url;
