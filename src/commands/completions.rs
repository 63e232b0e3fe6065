//! `migrate completions SHELL`: a completion script from the clap definitions.

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::context::Context;
use crate::exit::Category;

pub(crate) fn run(ctx: &Context, args: &CompletionsArgs) -> Result<Category> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "migrate", &mut out);
    ctx.printer.raw(&String::from_utf8_lossy(&out));
    Ok(Category::Success)
}
