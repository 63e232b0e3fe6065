//! The command line, as clap derive types. Doc comments here are the `--help` text.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Keeps the several databases of one application in step with their migration histories.
#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Examples:\n  migrate up --all\n  migrate new core -m \"add positions.notes\"\n  migrate check --all\n  migrate up --all --strict --wait 60s -- uvicorn app.main:app"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted by every command.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Path to migrate.toml (default: ./migrate.toml or the nearest one in a parent folder)
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "MIGRATE_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,
    /// Output format of results on stdout
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Treat fallback/default URLs and unknown applied revisions as errors (production)
    #[arg(long, global = true, env = "MIGRATE_STRICT", value_parser = clap::builder::FalseyValueParser::new())]
    pub strict: bool,
    /// More log output on stderr (-v debug, -vv trace)
    #[arg(short = 'v', global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbosity: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour on stderr and in tables
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    Ascii,
    Dot,
    Mermaid,
}

/// Which databases a command acts on.
#[derive(Debug, Clone, Args)]
pub(crate) struct DbSelection {
    /// Databases to act on, as named in migrate.toml
    #[arg(
        value_name = "DB",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub names: Vec<String>,
    /// Act on every database, in `after` order (independent ones at once)
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write migrate.toml and the migrations folders
    #[command(after_help = "Example:\n  migrate init --database core --database ai")]
    Init(InitArgs),
    /// Write a new revision file whose parent is the single head
    #[command(after_help = "Example:\n  migrate new core -m \"add positions.notes\"")]
    New(NewArgs),
    /// Write a merge revision joining the given revisions, or every head
    #[command(
        after_help = "Example:\n  migrate merge core -m \"merge ai-memories and portfolios\""
    )]
    Merge(MergeArgs),
    /// Move a branch on top of another revision, rewriting only `-- migrate:parents` lines
    #[command(
        after_help = "Examples:\n  migrate rebase core 5c2e9f1a7b3d --dry-run\n  migrate rebase core feature@head --onto 9b0768a49ad8"
    )]
    Rebase(RebaseArgs),
    /// Apply pending revisions up to a target (default: head)
    #[command(
        after_help = "Examples:\n  migrate up --all\n  migrate up core --to 9b07\n  migrate up --all --dry-run\n  migrate up --all --strict --wait 60s -- uvicorn app.main:app"
    )]
    Up(UpArgs),
    /// Revert the applied revisions that descend from a target
    #[command(after_help = "Examples:\n  migrate down core --to -1\n  migrate down core --to base")]
    Down(DownArgs),
    /// Show each database's URL, applied heads, pending count and graph heads
    #[command(after_help = "Example:\n  migrate status --all")]
    Status(SelectArgs),
    /// Show the applied heads of each database
    #[command(after_help = "Example:\n  migrate current --all")]
    Current(SelectArgs),
    /// Show the graph heads of each database
    #[command(after_help = "Example:\n  migrate heads --all --verbose")]
    Heads(HeadsArgs),
    /// List revisions newest first, marking heads, branch and merge points
    #[command(after_help = "Example:\n  migrate history core --verbose")]
    History(HistoryArgs),
    /// Show one revision in full
    #[command(after_help = "Examples:\n  migrate show core 9b07\n  migrate show core head-2")]
    Show(ShowArgs),
    /// Draw the revision graph
    #[command(
        after_help = "Examples:\n  migrate graph core\n  migrate graph core --format-graph mermaid"
    )]
    Graph(GraphArgs),
    /// Check files, graph and config; fail on several heads (for CI)
    #[command(after_help = "Examples:\n  migrate check --all\n  migrate check --all --online")]
    Check(CheckArgs),
    /// Compare applied checksums with the files; with --schema, the schema itself
    #[command(
        after_help = "Examples:\n  migrate verify --all\n  migrate verify core --schema\n  migrate verify core --schema --shadow-url postgres://localhost/core_shadow"
    )]
    Verify(VerifyArgs),
    /// Record revisions (and their ancestors) as applied without running SQL
    #[command(after_help = "Example:\n  migrate stamp core 9b0768a49ad8")]
    Stamp(StampArgs),
    /// Print the SQL that `up` would run, with the version-table statements
    #[command(
        after_help = "Examples:\n  migrate sql core --to head\n  migrate sql core --from 3f1c --to head"
    )]
    Sql(SqlArgs),
    /// Resolve a dirty revision, or accept a changed checksum
    #[command(
        after_help = "Examples:\n  migrate repair core 9b07 --applied\n  migrate repair core 9b07 --forget"
    )]
    Repair(RepairArgs),
    /// Convert another tool's history into revision files (Alembic)
    #[command(
        subcommand,
        after_help = "Example:\n  migrate import alembic core --ini alembic.ini"
    )]
    Import(ImportSource),
    /// Print a shell completion script
    #[command(after_help = "Example:\n  migrate completions bash > /etc/bash_completion.d/migrate")]
    Completions(CompletionsArgs),
    /// Print the man page (roff), generated from these definitions
    #[command(
        hide = true,
        after_help = "Example:\n  migrate man > /usr/local/share/man/man1/migrate.1"
    )]
    Man,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Database to create (repeatable; default: core)
    #[arg(long = "database", value_name = "NAME")]
    pub databases: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// Database the revision belongs to
    pub db: String,
    /// One-line message describing the change
    #[arg(short, long)]
    pub message: String,
    /// Parent revision (repeatable; default: the single head)
    #[arg(long = "parent", value_name = "ID")]
    pub parents: Vec<String>,
    /// Branch label, usable as LABEL@head
    #[arg(long)]
    pub label: Option<String>,
    /// Use this id instead of a random one
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
    /// Run the revision outside a transaction (e.g. CREATE INDEX CONCURRENTLY)
    #[arg(long)]
    pub no_transaction: bool,
    /// Sub-folder of the migrations folder to write into
    #[arg(long, value_name = "SUB")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Database the revision belongs to
    pub db: String,
    /// Revisions to merge (default: every head)
    #[arg(value_name = "ID")]
    pub revisions: Vec<String>,
    /// One-line message describing the merge
    #[arg(short, long)]
    pub message: String,
    /// Use this id instead of a random one
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RebaseArgs {
    /// Database whose revision files change
    pub db: String,
    /// Tip of the branch to move: it and its ancestors that TARGET lacks
    #[arg(value_name = "REV")]
    pub rev: String,
    /// Revision to move the branch onto (default: the single head that does not descend from REV)
    #[arg(long, value_name = "TARGET")]
    pub onto: Option<String>,
    /// Print the files that would change and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    #[command(flatten)]
    pub select: DbSelection,
    /// Target revision (head, heads, an id or prefix, ID+N, +N, LABEL@head, ...)
    #[arg(long, value_name = "TARGET", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// How long to retry an unreachable database, e.g. 60s (default: settings.wait)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub wait: Option<std::time::Duration>,
    /// After success, replace this process with CMD (give it after `--`)
    #[arg(last = true, value_name = "CMD")]
    pub exec: Vec<OsString>,
}

#[derive(Debug, Args)]
pub(crate) struct DownArgs {
    /// Database to revert
    pub db: String,
    /// Revision that stays applied (its descendants are reverted); `base` reverts everything
    #[arg(long, value_name = "TARGET", allow_hyphen_values = true)]
    pub to: String,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// How long to retry an unreachable database (default: settings.wait)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub wait: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub(crate) struct SelectArgs {
    #[command(flatten)]
    pub select: DbSelection,
    /// How long to retry an unreachable database (default: settings.wait)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub wait: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Compare the schema with what the applied revisions make, object by
    /// object (built in a scratch database that is dropped afterwards)
    #[arg(long)]
    pub schema: bool,
    /// Build the schema in this empty database instead of a scratch one
    /// (default: the database's `shadow_url_env`)
    #[arg(long, value_name = "URL", requires = "schema")]
    pub shadow_url: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct HeadsArgs {
    #[command(flatten)]
    pub select: DbSelection,
    /// Also show messages and files
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Database whose history to list
    pub db: String,
    /// Only revisions between A and B (`A:B`, either side optional)
    #[arg(long, value_name = "A:B")]
    pub range: Option<String>,
    /// Show parents, dates and files
    #[arg(long)]
    pub verbose: bool,
    /// Also mark what the database has applied (connects to it)
    #[arg(long, short = 'i', visible_alias = "indicate-current")]
    pub applied: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Database of the revision
    pub db: String,
    /// Revision to show (id, prefix, head, head-N, ...)
    pub target: String,
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    /// Database whose graph to draw
    pub db: String,
    /// Drawing format
    #[arg(long, value_enum, default_value_t = GraphFormat::Ascii)]
    pub format_graph: GraphFormat,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub select: DbSelection,
    /// Also connect: fail on pending revisions, changed checksums or unknown applied revisions
    #[arg(long)]
    pub online: bool,
    /// How long to retry an unreachable database with --online (default: settings.wait)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub wait: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub(crate) struct StampArgs {
    /// Database to stamp
    pub db: String,
    /// Revisions to record as applied, with their ancestors
    #[arg(value_name = "TARGET", required_unless_present = "from_alembic")]
    pub targets: Vec<String>,
    /// Empty the version table first
    #[arg(long, conflicts_with = "from_alembic")]
    pub purge: bool,
    /// Record what Alembic applied: the revisions in `alembic_version` and
    /// everything they need (that table is only read)
    #[arg(long, conflicts_with = "targets")]
    pub from_alembic: bool,
    /// Alembic's version table, when env.py names another one (default:
    /// alembic_version)
    #[arg(long, value_name = "NAME")]
    pub alembic_table: Option<String>,
    /// How long to retry an unreachable database (default: settings.wait)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub wait: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub(crate) struct SqlArgs {
    /// Database whose SQL to print
    pub db: String,
    /// Assume this revision and its ancestors are applied (no connection needed)
    #[arg(long, value_name = "ID")]
    pub from: Option<String>,
    /// Target revision
    #[arg(long, value_name = "TARGET", allow_hyphen_values = true)]
    pub to: String,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("action").required(true).args(["applied", "forget"]))]
pub(crate) struct RepairArgs {
    /// Database to repair
    pub db: String,
    /// Revision to repair
    pub revision: String,
    /// Mark it applied: clear the dirty flag and accept the file's current checksum
    #[arg(long)]
    pub applied: bool,
    /// Forget it: delete its row, so the next `up` runs it again
    #[arg(long)]
    pub forget: bool,
}

/// Where `migrate import` reads a history from.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportSource {
    /// Write one revision file per Alembic revision, keeping its id; run it again to import only new ones
    #[command(
        after_help = "Examples:\n  migrate import alembic core\n  migrate import alembic ai --ini alembic_ai.ini --python \"uv run python\"\n  migrate import alembic core --dialect postgresql --dry-run"
    )]
    Alembic(ImportAlembicArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ImportAlembicArgs {
    /// Database whose migrations folder receives the files
    pub db: String,
    /// The Alembic configuration file of that database's history
    #[arg(long, value_name = "PATH", default_value = "alembic.ini")]
    pub ini: PathBuf,
    /// The Python that runs Alembic (a command line, split on spaces, e.g. "uv run python")
    #[arg(
        long,
        value_name = "CMD",
        env = "MIGRATE_PYTHON",
        default_value = "python3"
    )]
    pub python: String,
    /// SQL dialect to render for (default: the engine of DB's URL)
    #[arg(long, value_enum, value_name = "NAME")]
    pub dialect: Option<crate::import::dialect::SqlDialect>,
    /// Engine of Alembic's multidb template: renders upgrade_NAME() and downgrade_NAME()
    #[arg(long, value_name = "NAME")]
    pub engine: Option<String>,
    /// List the files that would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to generate the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn up_takes_a_command_after_double_dash() {
        let cli =
            Cli::try_parse_from(["migrate", "up", "--all", "--", "sh", "-c", "echo hi"]).unwrap();
        let Command::Up(up) = cli.command else {
            panic!("not up")
        };
        assert!(up.select.all);
        assert_eq!(up.exec, ["sh", "-c", "echo hi"]);
    }

    #[test]
    fn database_or_all_is_required() {
        let err = Cli::try_parse_from(["migrate", "status"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(Cli::try_parse_from(["migrate", "status", "core", "--all"]).is_err());
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli =
            Cli::try_parse_from(["migrate", "heads", "core", "--format", "json", "-q"]).unwrap();
        assert_eq!(cli.global.format, Format::Json);
        assert!(cli.global.quiet);
    }

    #[test]
    fn repair_needs_exactly_one_action() {
        assert!(Cli::try_parse_from(["migrate", "repair", "core", "ab12"]).is_err());
        assert!(
            Cli::try_parse_from(["migrate", "repair", "core", "ab12", "--applied", "--forget"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["migrate", "repair", "core", "ab12", "--forget"]).is_ok());
    }

    #[test]
    fn relative_targets_are_values_not_flags() {
        let cli = Cli::try_parse_from(["migrate", "down", "core", "--to", "-2"]).unwrap();
        let Command::Down(down) = cli.command else {
            panic!("not down")
        };
        assert_eq!(down.to, "-2");
        let cli = Cli::try_parse_from(["migrate", "history", "core", "--verbose", "-v"]).unwrap();
        assert_eq!(cli.global.verbosity, 1);
    }

    #[test]
    fn import_alembic_takes_its_defaults() {
        let cli = Cli::try_parse_from([
            "migrate",
            "import",
            "alembic",
            "core",
            "--dialect",
            "postgres",
        ])
        .unwrap();
        let Command::Import(ImportSource::Alembic(args)) = cli.command else {
            panic!("not import alembic")
        };
        assert_eq!(args.ini, PathBuf::from("alembic.ini"));
        assert_eq!(
            args.dialect,
            Some(crate::import::dialect::SqlDialect::Postgresql)
        );
        assert!(!args.dry_run && args.engine.is_none());
        let err = Cli::try_parse_from([
            "migrate",
            "import",
            "alembic",
            "core",
            "--dialect",
            "oracle",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn wait_takes_a_human_duration() {
        let cli = Cli::try_parse_from(["migrate", "up", "--all", "--wait", "1m30s"]).unwrap();
        let Command::Up(up) = cli.command else {
            panic!("not up")
        };
        assert_eq!(up.wait, Some(std::time::Duration::from_secs(90)));
        assert!(Cli::try_parse_from(["migrate", "up", "--all", "--wait", "soon"]).is_err());
    }
}
