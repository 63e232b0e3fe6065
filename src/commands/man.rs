//! `migrate man`: the man page, rendered by clap_mangen from the same clap
//! definitions as `--help` (so it cannot drift from them). No I/O besides
//! printing it on stdout.
//!
//! Install it with `migrate man > /usr/local/share/man/man1/migrate.1`.

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::Cli;
use crate::context::Context;
use crate::exit::Category;

pub(crate) fn run(ctx: &Context) -> Result<Category> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .context("cannot render the man page")?;
    ctx.printer.raw(&String::from_utf8_lossy(&out));
    Ok(Category::Success)
}
