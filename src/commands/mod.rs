//! One file per command: parse args, call the core and the drivers, render.

mod check;
mod completions;
mod draw;
mod drift;
mod heads;
mod history;
mod import;
mod init;
mod man;
mod new;
mod rebase;
mod show;
mod sql;
mod stamp;
mod status;
mod up;

use anyhow::Result;

use crate::cli::{Cli, Command, ImportSource};
use crate::context::Context;
use crate::exit::Category;

/// Runs the command; `Ok` carries the exit category of a run that reported
/// its own results (e.g. `check` finding two heads exits 1).
pub(crate) async fn dispatch(cli: Cli, ctx: &Context) -> Result<Category> {
    match cli.command {
        Command::Init(args) => init::run(ctx, &args),
        Command::Completions(args) => completions::run(ctx, &args),
        Command::Man => man::run(ctx),
        command => {
            let project = ctx.open_project()?;
            match command {
                Command::New(args) => new::run_new(ctx, &project, &args),
                Command::Merge(args) => new::run_merge(ctx, &project, &args),
                Command::Rebase(args) => rebase::run(ctx, &project, &args).await,
                Command::Heads(args) => heads::run(ctx, &project, &args),
                Command::History(args) => history::run(ctx, &project, &args).await,
                Command::Show(args) => show::run(ctx, &project, &args),
                Command::Graph(args) => draw::run(ctx, &project, &args),
                Command::Check(args) => check::run(ctx, &project, &args).await,
                Command::Up(args) => up::run_up(ctx, &project, args).await,
                Command::Down(args) => up::run_down(ctx, &project, &args).await,
                Command::Status(args) => status::run_status(ctx, &project, &args).await,
                Command::Current(args) => status::run_current(ctx, &project, &args).await,
                Command::Verify(args) => status::run_verify(ctx, &project, &args).await,
                Command::Stamp(args) => stamp::run_stamp(ctx, &project, &args).await,
                Command::Repair(args) => stamp::run_repair(ctx, &project, &args).await,
                Command::Sql(args) => sql::run(ctx, &project, &args).await,
                Command::Import(ImportSource::Alembic(args)) => {
                    import::run_alembic(ctx, &project, args).await
                }
                Command::Init(_) | Command::Completions(_) | Command::Man => Ok(Category::Success),
            }
        }
    }
}
