//! The user's view: every README and docs/ example runs, the terminal
//! behaves, the JSON documents keep their shape, newcomers' errors say what
//! to do, the Python wheel installs a working `migrate`, and the switch
//! from Alembic works as the README walks it.

mod examples;
pub mod json_contract;
mod markdown;
mod newcomer;
mod panics;
mod project;
mod terminal;
mod walkthrough;
mod wheel;
