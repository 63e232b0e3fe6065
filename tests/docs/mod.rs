//! The user's view: every README and docs/ example runs, the terminal
//! behaves, the JSON documents keep their shape, newcomers' errors say what
//! to do, and the Python wheel installs a working `migrate`.

mod examples;
mod json_contract;
mod markdown;
mod newcomer;
mod panics;
mod project;
mod terminal;
mod wheel;
