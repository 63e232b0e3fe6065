//! `migrate verify DB... --schema [--shadow-url URL]`: the schema drift
//! report. For each database, read-only: its version table and catalog
//! are read (no lock, nothing written); its applied revisions are
//! replayed into a scratch database whose catalog is the expected
//! schema; the pending revisions are replayed after them one by one to
//! learn which makes what; the scratch database is dropped.

mod replay;
mod scratch;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};

use crate::cli::VerifyArgs;
use crate::context::{Context, Project};
use crate::drift::{self, Catalog, Replayed, Report};
use crate::driver::catalog::read_catalog;
use crate::driver::{AnyDriver, Driver as _};
use crate::engine::{Inspection, RunSettings};
use crate::exit::{self, Category, Fail};
use crate::graph::and_ticked;
use crate::graph::target::Resolved;
use crate::revision::RevisionId;
use crate::session::{self, Connecting, Opened, Prepared};
use crate::state::StateIssue;
use crate::url::{DbUrl, Dialect};
use scratch::Scratch;

pub(crate) async fn run(ctx: &Context, project: &Project, args: &VerifyArgs) -> Result<Category> {
    let names = project.select(&args.select.select)?;
    let wait = session::wait(project, args.select.wait);
    let flag = match &args.shadow_url {
        Some(raw) => Some(shadow_url(ctx, project, raw, "`--shadow-url`")?),
        None => None,
    };
    let shadows: Vec<Option<DbUrl>> = names
        .iter()
        .map(|name| match &flag {
            Some(url) => Ok(Some(url.clone())),
            None => configured_shadow(ctx, project, name),
        })
        .collect::<Result<_>>()?;
    let settings = session::run_settings(ctx, project);
    let (prepared, connecting) = session::prepare_read(ctx, project, &names, wait)?;
    let mut runs: Vec<(&Prepared, Connecting, Option<DbUrl>)> = prepared
        .iter()
        .zip(connecting)
        .zip(shadows)
        .map(|((p, c), s)| (p, c, s))
        .collect();
    runs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut worst = Category::Success;
    let mut docs = BTreeMap::new();
    let mut text = String::new();
    let mut errors = Vec::new();
    // One database at a time: a shadow database serves one at a time.
    for (db, conn, shadow) in runs {
        let job = One {
            ctx,
            db,
            settings: &settings,
            wait,
        };
        match job.run(conn, shadow).await {
            Ok(report) => {
                if !report.ok() {
                    worst = worst.worst(Category::Failed);
                }
                text.push_str(&drift::text(&report));
                docs.insert(db.name.clone(), drift::doc(&report));
            }
            Err(e) => {
                worst = worst.worst(exit::category(&e));
                docs.insert(db.name.clone(), drift::failed(format!("{e:#}")));
                errors.push(e);
            }
        }
    }
    ctx.printer.json(&docs);
    ctx.printer.text(&text);
    errors.iter().for_each(|e| ctx.printer.failure(e));
    Ok(worst)
}

/// One database's report.
struct One<'a> {
    ctx: &'a Context,
    db: &'a Prepared,
    settings: &'a RunSettings,
    wait: std::time::Duration,
}

impl One<'_> {
    async fn run(&self, conn: Connecting, shadow: Option<DbUrl>) -> Result<Report> {
        let Opened { mut conn, snapshot } = conn.opened().await?;
        let insp = match snapshot {
            Some(s) => Ok(s.inspect(&self.db.graph)),
            None => crate::engine::inspect(&mut conn, &self.db.name, &self.db.graph).await,
        };
        let report = match insp {
            Ok(insp) => self.compare(&conn, &insp, shadow).await,
            Err(e) => Err(e),
        };
        session::close_all(vec![conn]).await;
        report
    }

    async fn compare(
        &self,
        conn: &AnyDriver,
        insp: &Inspection,
        shadow: Option<DbUrl>,
    ) -> Result<Report> {
        let name = &self.db.name;
        let url = &self.db.url.url;
        if url.kind() == Dialect::Mysql {
            return Err(Fail::bad_input(format!(
                "database `{name}`: `verify --schema` reads PostgreSQL and SQLite schemas; \
                 it does not read MySQL's yet"
            ))
            .hint(
                "compare `mysqldump --no-data` of this database with one of a scratch database \
                 that `migrate up` built from the same files",
            )
            .into());
        }
        let actual = read_catalog(conn, url)
            .await
            .with_context(|| format!("database `{name}`: cannot read its schema"))?;
        let graph = &self.db.graph;
        let recorded: BTreeSet<RevisionId> = insp
            .rows
            .iter()
            .filter_map(|r| graph.get(&r.revision))
            .map(|r| r.id.clone())
            .collect();
        let applied = graph.apply_order(&recorded);
        let heads = Resolved::Revisions(graph.heads());
        let pending = crate::plan::up(graph, &recorded, &heads).steps;
        let mut scratch = Scratch::open(name, conn, url, shadow, self.wait).await?;
        self.ctx.printer.note(&format!(
            "database `{name}`: replaying {} applied revision{} in {}",
            applied.len(),
            if applied.len() == 1 { "" } else { "s" },
            scratch.shown
        ));
        let built = self
            .build(&mut scratch, insp.table_exists, &applied, &pending)
            .await;
        let shown = scratch.shown.clone();
        let mut notes = std::mem::take(&mut scratch.notes);
        scratch.finish(conn).await;
        let (expected, replayed, failed_pending) = built?;
        let (differences, pending_matches, stamp) =
            drift::compare(&expected, &actual, &replayed, |r| {
                let Some(rev) = graph.get(r) else {
                    return BTreeSet::new();
                };
                graph
                    .closure([&rev.id])
                    .into_iter()
                    .filter(|a| a.as_str() != r)
                    .map(|a| a.to_string())
                    .collect()
            });
        notes.extend(state_notes(name, insp));
        notes.extend(failed_pending);
        Ok(Report {
            db: name.clone(),
            applied: applied.len(),
            objects: expected.len(),
            scratch: shown,
            differences,
            pending: pending_matches,
            stamp,
            notes,
        })
    }

    /// The applied revisions replayed, their catalog; then each pending
    /// one and the catalog after it. A pending revision that fails ends
    /// the tracing there (a note says why).
    async fn build(
        &self,
        scratch: &mut Scratch,
        table_exists: bool,
        applied: &[RevisionId],
        pending: &[RevisionId],
    ) -> Result<(Catalog, Vec<Replayed>, Option<String>)> {
        let name = &self.db.name;
        let graph = &self.db.graph;
        let url = scratch.url.clone();
        let d = scratch.conn()?;
        // The database's version table is left out of the comparison, but
        // its schema is not: the scratch database gets one too.
        if table_exists || !applied.is_empty() {
            d.ensure_version_table().await.with_context(|| {
                format!(
                    "database `{name}`: cannot create the version table in the scratch database"
                )
            })?;
        }
        for id in applied {
            replay::apply(d, graph, id, self.settings).await.map_err(|e| {
                e.context(Fail::failed(format!(
                    "database `{name}`: its applied revisions cannot be built in a scratch database"
                ))
                .hint("the revision fails on a database built from the files alone; fix it, or apply a revision that makes the history replayable"))
            })?;
        }
        let expected = read_catalog(d, &url).await?;
        let mut replayed = Vec::new();
        for id in pending {
            if let Err(e) = replay::apply(d, graph, id, self.settings).await {
                let note = format!(
                    "pending revision `{id}` failed in the scratch database, so it and the pending \
                     revisions after it are not traced: {}",
                    e.root_cause()
                );
                return Ok((expected, replayed, Some(note)));
            }
            replayed.push(Replayed {
                revision: id.to_string(),
                after: read_catalog(d, &url).await?,
            });
        }
        Ok((expected, replayed, None))
    }
}

/// What the user should know about the applied state the replay started from.
fn state_notes(db: &str, insp: &Inspection) -> Vec<String> {
    let mut notes = Vec::new();
    let mut unknown = Vec::new();
    for issue in &insp.state.issues {
        match issue {
            StateIssue::Unknown { revision } => unknown.push(revision.clone()),
            StateIssue::ChecksumChanged { revision, .. } => notes.push(format!(
                "the file of applied revision `{revision}` changed since it ran; it was replayed as the file is now"
            )),
            StateIssue::Dirty { revision } => notes.push(format!(
                "applied revision `{revision}` did not finish (dirty); it was replayed whole"
            )),
            StateIssue::NotClosed { .. } | StateIssue::ParentsChanged { .. } => {}
        }
    }
    if !unknown.is_empty() {
        notes.push(format!(
            "applied {} without a file could not be replayed: {}; what {} made shows as extra",
            if unknown.len() == 1 {
                "revision"
            } else {
                "revisions"
            },
            and_ticked(&unknown),
            if unknown.len() == 1 { "it" } else { "they" }
        ));
    }
    if insp.managed_by_alembic() {
        notes.push(format!(
            "Alembic manages this database; adopt it with `migrate stamp {db} --from-alembic` rather than by stamping revisions one by one"
        ));
    }
    notes
}

/// The shadow database named by database `name`'s `shadow_url_env`.
fn configured_shadow(ctx: &Context, project: &Project, name: &str) -> Result<Option<DbUrl>> {
    let Some(var) = project.database(name)?.shadow_url_env.clone() else {
        return Ok(None);
    };
    let Some(raw) = project.env.get(&var).filter(|v| !v.trim().is_empty()) else {
        return Err(Fail::bad_input(format!(
            "database `{name}`: `shadow_url_env` names `{var}`, which is not set or empty"
        ))
        .hint(format!(
            "set `{var}` to the URL of an empty database, or remove `shadow_url_env` to use a scratch database"
        ))
        .into());
    };
    shadow_url(ctx, project, raw, &format!("`{var}`")).map(Some)
}

fn shadow_url(ctx: &Context, project: &Project, raw: &str, from: &str) -> Result<DbUrl> {
    let url = DbUrl::parse(raw, &project.cwd)
        .with_context(|| format!("the shadow database URL in {from} is not usable"))?;
    ctx.printer.add_secret(&url);
    Ok(url)
}
