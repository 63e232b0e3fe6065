//! One home for a database session: every command that connects comes here
//! to resolve its databases (URL, version table, graph), open their
//! connections while the revision files are read, do the early
//! lock-and-read, look at them read-only, and close them. A new driver
//! plugs in at [`open::connect`]; the engine (`crate::engine`) runs on the
//! connections this module opens.

mod look;
mod open;

use std::time::Duration;

use anyhow::Result;

use crate::config::ResolvedUrl;
use crate::context::{Context, Project};
use crate::driver::{AnyDriver, ApplyOptions, VersionTable};
use crate::engine::RunSettings;
use crate::graph::Graph;

pub(crate) use look::{Looked, look, prepare_read};
pub(crate) use open::{Connecting, Early, Opened, close_all, prepare_connecting, with_connection};

/// A database ready to connect: its graph is valid and its URL resolved.
pub(crate) struct Prepared {
    pub name: String,
    pub graph: Graph,
    pub url: ResolvedUrl,
    pub table: VersionTable,
}

impl Prepared {
    /// Opens a connection to this database (see [`open::connect`]).
    pub(crate) async fn connect(&self, wait: Duration, create: bool) -> Result<AnyDriver> {
        open::connect(&self.name, &self.url, &self.table, wait, create).await
    }

    /// Starts opening a connection in the background, then does the `early`
    /// work on it.
    pub(crate) fn connecting(&self, wait: Duration, create: bool, early: Early) -> Connecting {
        Connecting::start(Endpoint::of(self), wait, create, early)
    }
}

/// Resolves the URL of every named database and loads their graphs, so
/// that bad input anywhere stops the run before any database is touched.
pub(crate) fn prepare(ctx: &Context, project: &Project, names: &[String]) -> Result<Vec<Prepared>> {
    let endpoints = endpoints(ctx, project, names)?;
    Ok(with_graphs(endpoints, project.graphs(names)?))
}

/// Where a database is: what [`Prepared`] holds besides the graph.
#[derive(Clone)]
struct Endpoint {
    name: String,
    url: ResolvedUrl,
    table: VersionTable,
}

impl Endpoint {
    fn of(p: &Prepared) -> Self {
        Self {
            name: p.name.clone(),
            url: p.url.clone(),
            table: p.table.clone(),
        }
    }
}

/// Each database's URL (with `--strict` applied) and version table; two
/// databases on the same URL and version table are an error.
fn endpoints(ctx: &Context, project: &Project, names: &[String]) -> Result<Vec<Endpoint>> {
    let mut out = Vec::new();
    let mut configs = Vec::new();
    for name in names {
        let db = project.database(name)?;
        let url = project.url(name, ctx.strict, &ctx.printer)?;
        ctx.printer.add_secret(&url.url);
        configs.push(db);
        out.push(Endpoint {
            name: name.clone(),
            table: VersionTable::new(db.schema.as_deref(), &db.version_table),
            url,
        });
    }
    let pairs: Vec<_> = out
        .iter()
        .zip(configs)
        .map(|(e, db)| (e.name.as_str(), &e.url, db))
        .collect();
    crate::config::check_distinct(&pairs)?;
    Ok(out)
}

/// The endpoints with their graphs, in the same order.
fn with_graphs(endpoints: Vec<Endpoint>, graphs: Vec<Graph>) -> Vec<Prepared> {
    endpoints
        .into_iter()
        .zip(graphs)
        .map(|(e, graph)| Prepared {
            name: e.name,
            graph,
            url: e.url,
            table: e.table,
        })
        .collect()
}

/// The settings every database of this run shares.
pub(crate) fn run_settings(ctx: &Context, project: &Project) -> RunSettings {
    let s = &project.config.settings;
    RunSettings {
        lock_timeout: s.lock_timeout,
        apply: ApplyOptions {
            lock_wait: s.lock_timeout,
            lock_timeout: s.ddl_lock_timeout,
            statement_timeout: s.statement_timeout,
        },
        strict: ctx.strict,
        applied_by: applied_by(),
        files: project.config.dir.clone(),
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
