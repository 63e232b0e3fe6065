//! What the commands that connect share: opening the right driver for a URL,
//! preparing every selected database before anything runs, and the settings
//! of a run.

use std::time::Duration;

use anyhow::Result;

use crate::config::{ResolvedUrl, UrlSource};
use crate::context::{Context, Project};
use crate::driver::{self, AnyDriver, ApplyOptions, Driver as _, VersionTable};
use crate::engine::RunSettings;
use crate::exit::Fail;
use crate::graph::Graph;
use crate::url::DriverKind;

/// A database ready to connect: its graph is valid and its URL resolved.
pub(crate) struct Prepared {
    pub name: String,
    pub graph: Graph,
    pub url: ResolvedUrl,
    pub table: VersionTable,
}

/// Loads the graph and resolves the URL of every named database, so that
/// bad input anywhere stops the run before any database is touched.
pub(crate) fn prepare(ctx: &Context, project: &Project, names: &[String]) -> Result<Vec<Prepared>> {
    let mut out = Vec::new();
    for name in names {
        let db = project.database(name)?;
        let graph = project.graph(name)?;
        let url = project.url(name, ctx.strict, &ctx.printer)?;
        ctx.printer.add_secret(&url.url);
        out.push(Prepared {
            name: name.clone(),
            graph,
            url,
            table: VersionTable::new(db.schema.as_deref(), &db.version_table),
        });
    }
    let pairs: Vec<(&str, &ResolvedUrl, &crate::config::DatabaseConfig)> = out
        .iter()
        .filter_map(|p| {
            project
                .database(&p.name)
                .ok()
                .map(|db| (p.name.as_str(), &p.url, db))
        })
        .collect();
    crate::config::check_distinct(&pairs)?;
    Ok(out)
}

/// Connects, retrying an unreachable server until `wait` has passed.
/// `create == false` never creates a SQLite file (read-only commands).
/// Passwords in driver messages are scrubbed by the printer, which knows
/// every URL of the run.
pub(crate) async fn connect(db: &Prepared, wait: Duration, create: bool) -> Result<AnyDriver> {
    let url = &db.url.url;
    if url.kind() == DriverKind::Mysql {
        return Err(Fail::bad_input(format!(
            "database `{}`: MySQL/MariaDB URLs are recognised but not supported by this version of migrate",
            db.name
        ))
        .hint("use a PostgreSQL or SQLite database for now; see \"Databases\" in the README")
        .into());
    }
    if create && url.kind() == DriverKind::Sqlite {
        sqlite_folder(db)?;
    }
    driver::connect(url.connect_url(), db.table.clone(), wait, create)
        .await
        .map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "database `{}`: cannot connect to {}",
                db.name,
                url.redacted()
            ))
        })
}

/// Runs `body` on an open connection, then closes it (which also ends any
/// session lock the body left behind).
pub(crate) async fn session<T>(
    mut conn: AnyDriver,
    body: impl AsyncFnOnce(&mut AnyDriver) -> T,
) -> T {
    let out = body(&mut conn).await;
    if let Err(e) = conn.close().await {
        tracing::debug!("closing the connection failed: {e}");
    }
    out
}

/// Makes sure a SQLite file can be created: the `.migrate/` folder of a
/// `default_url` is local state and is made on demand (a fresh clone lacks
/// it); for a URL from the environment a missing folder is an error, since
/// the application would not find the file either.
fn sqlite_folder(db: &Prepared) -> Result<()> {
    let url = &db.url.url;
    match (
        &db.url.source,
        url.sqlite_path().and_then(std::path::Path::parent),
    ) {
        (UrlSource::Default { .. }, Some(folder)) => std::fs::create_dir_all(folder).map_err(|e| {
            anyhow::anyhow!(
                "database `{}`: cannot create `{}`: {e}",
                db.name,
                folder.display()
            )
        }),
        _ => url
            .check_sqlite_folder()
            .map_err(|e| anyhow::Error::new(e).context(format!("database `{}`", db.name))),
    }
}

/// The settings every database of this run shares.
pub(crate) fn run_settings(ctx: &Context, project: &Project) -> RunSettings {
    let s = &project.config.settings;
    RunSettings {
        lock_timeout: s.lock_timeout,
        apply: ApplyOptions {
            lock_timeout: s.ddl_lock_timeout,
            statement_timeout: s.statement_timeout,
        },
        strict: ctx.strict,
        applied_by: applied_by(),
    }
}

/// `migrate 0.1.0 deploy@web-1`
fn applied_by() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    format!("migrate {} {user}@{host}", env!("CARGO_PKG_VERSION"))
}

/// `--wait` when given, else `settings.wait`.
pub(crate) fn wait(project: &Project, flag: Option<Duration>) -> Duration {
    flag.unwrap_or(project.config.settings.wait)
}
