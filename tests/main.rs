//! The single integration-test binary (`autotests = false`): every test
//! module is declared here. Database tests need the servers that
//! `scripts/with-services.sh cargo test --test integration` starts.

// Tests and their helpers may panic, unwrap and print; `pub` in a test
// crate only shares helpers between its modules.
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[macro_use]
mod harness;
mod alembic;
mod cli;
mod docs;
mod driver;
mod hostile;
mod mysql;
mod online;
mod reliability;
mod topology;
