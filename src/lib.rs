//! `migrate`: keeps the several databases of one application in step with
//! their migration histories. See `README.md` for the user's view,
//! `docs/reference.md` for the rules the code follows and
//! `docs/architecture.md` for how the code is laid out.

pub(crate) mod cli;
pub(crate) mod commands;
pub mod config;
pub(crate) mod context;
pub(crate) mod dialect;
pub(crate) mod drift;
pub mod driver;
pub(crate) mod engine;
pub(crate) mod exit;
pub(crate) mod graph;
mod human;
pub(crate) mod import;
pub(crate) mod interrupt;
pub(crate) mod logging;
mod panics;
mod par;
pub(crate) mod plan;
pub(crate) mod render;
pub mod revision;
mod session;
pub(crate) mod state;
pub mod url;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::Cli;
use crate::context::Context;
use crate::exit::{Category, Fail};

/// Runs `migrate` with these arguments and returns the process exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    panics::install_hook();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let ctx = match Context::new(&cli.global) {
        Ok(ctx) => ctx,
        Err(e) => return report_error(None, &e),
    };
    logging::init(cli.global.verbosity, cli.global.quiet, ctx.printer.color);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return report_error(
                Some(&ctx),
                &anyhow::Error::new(e).context("cannot start the async runtime"),
            );
        }
    };
    // On SIGINT/SIGTERM the run is dropped: connections close, so the server
    // rolls back what was running and frees the lock (see `interrupt`).
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = commands::dispatch(cli, &ctx) => result,
            signal = interrupt::signal() => {
                let fail = Fail::failed(interrupt::message(signal));
                Err(match interrupt::next_step() {
                    Some(hint) => fail.hint(hint),
                    None => fail,
                }
                .into())
            }
        }
    });
    // Do not wait for connection tasks that the interrupted run left behind.
    runtime.shutdown_background();
    match outcome {
        Ok(category) => category.into(),
        Err(e) => report_error(Some(&ctx), &e),
    }
}

/// Prints an error and picks its exit code.
fn report_error(ctx: Option<&Context>, err: &anyhow::Error) -> ExitCode {
    let category = exit::category(err);
    if category == Category::Success {
        return ExitCode::SUCCESS; // a closed stdout pipe (`migrate history | head`) is not a failure
    }
    match ctx {
        Some(c) => c.printer.failure(err),
        None => render::printer::Printer::plain().failure(err),
    }
    category.into()
}
