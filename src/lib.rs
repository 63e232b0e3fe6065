//! `migrate`: keeps the several databases of one application in step with
//! their migration histories. See `README.md` for the user's view and
//! `SPEC.md` for the contract.

pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod driver;
pub mod engine;
pub mod exit;
pub mod graph;
pub mod import;
pub mod interrupt;
pub mod logging;
mod par;
pub mod plan;
pub mod render;
pub mod revision;
pub mod state;
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
    install_panic_hook();
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
            signal = interrupt::signal() => Err(Fail::failed(interrupt::message(signal))
                .hint("run the same command again to finish")
                .into()),
        }
    });
    // Do not wait for connection tasks that the interrupted run left behind.
    runtime.shutdown_background();
    match outcome {
        Ok(category) => category.into(),
        Err(e) => report_error(Some(&ctx), &e),
    }
}

/// Prints an error (what, causes, hint) and picks its exit code.
fn report_error(ctx: Option<&Context>, err: &anyhow::Error) -> ExitCode {
    let category = exit::category(err);
    if category == Category::Success {
        return ExitCode::SUCCESS; // a closed stdout pipe (`migrate history | head`) is not a failure
    }
    let mut causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
    causes.dedup();
    let hint = err
        .chain()
        .find_map(|c| c.downcast_ref::<Fail>().and_then(|f| f.hint.clone()));
    let fallback;
    let printer = match ctx {
        Some(c) => &c.printer,
        None => {
            fallback = render::printer::Printer::plain();
            &fallback
        }
    };
    printer.error(&err.to_string(), &causes, hint.as_deref());
    category.into()
}

/// A panic is a bug: say so in one line, without the payload (which could
/// quote a URL), and exit 101 as Rust does.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let line = panic_line(info.location().map(|l| (l.file(), l.line())));
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }));
}

/// The one line a panic prints: where, never what (the payload could hold
/// a URL or SQL with secrets).
fn panic_line(location: Option<(&str, u32)>) -> String {
    let place = location
        .map(|(file, line)| format!(" at {file}:{line}"))
        .unwrap_or_default();
    format!(
        "error: migrate hit an internal error{place}; this is a bug: please report it with the command you ran\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_prints_one_line_without_its_payload() {
        let line = panic_line(Some(("src/engine.rs", 42)));
        assert_eq!(line.lines().count(), 1);
        assert!(line.contains("src/engine.rs:42") && line.contains("report"));
    }
}
