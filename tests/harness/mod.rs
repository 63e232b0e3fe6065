//! placeholder
pub mod env;
