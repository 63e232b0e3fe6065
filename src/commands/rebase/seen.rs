//! Which databases already applied what `migrate rebase` moves: each one
//! configured on the same folder whose URL resolves, read through the
//! read-only path of `status` (no lock, nothing created, no waiting).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::config::{DatabaseConfig, resolve};
use crate::context::{Context, Project};
use crate::graph::rebase::RebasePlan;
use crate::revision::RevisionId;
use crate::session::{look, prepare_read};

/// What one database on the same folder has applied of what moves.
pub(super) struct Sighting {
    pub(super) db: String,
    /// Redacted.
    pub(super) url: String,
    /// Or why it could not be read.
    pub(super) applied: Result<Applied, String>,
}

/// The plan's revisions that one database applied.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Applied {
    pub(super) reparented: Vec<RevisionId>,
    pub(super) deleted: Vec<RevisionId>,
    /// It applied the target too.
    pub(super) onto: bool,
}

/// Looks read-only (no lock, nothing created, no waiting) at every
/// configured database on `db`'s folder whose URL resolves; returns those
/// that applied something that moves or could not be read.
pub(super) async fn applied_elsewhere(
    ctx: &Context,
    project: &Project,
    db: &str,
    plan: &RebasePlan,
) -> Vec<Sighting> {
    let names = databases_on_folder(project, db);
    if names.is_empty() {
        return Vec::new();
    }
    // Quiet: a default URL's warning is noise here, and errors come back
    // per database.
    let mut printer = ctx.printer.clone();
    printer.quiet = true;
    let quiet = Context {
        printer,
        strict: false,
        cwd: ctx.cwd.clone(),
        config_path: ctx.config_path.clone(),
    };
    let (prepared, connecting) = match prepare_read(&quiet, project, &names, Duration::ZERO) {
        Ok(opened) => opened,
        Err(e) => {
            let note = format!("note: no database was looked at: {e:#}");
            ctx.printer.note(&note);
            return Vec::new();
        }
    };
    let looked = look(&prepared, connecting).await;
    let seen = looked.into_iter().map(|l| Sighting {
        db: l.db.name.clone(),
        url: l.db.url.url.redacted().to_string(),
        applied: (l.result)
            .map(|i| applied(plan, i.rows.iter().map(|r| &*r.revision)))
            .map_err(|e| format!("{e:#}")),
    });
    seen.filter(|s| s.applied.as_ref().map_or(true, Applied::matters))
        .collect()
}

/// The databases configured on `db`'s folder whose URL resolves.
fn databases_on_folder(project: &Project, db: &str) -> Vec<String> {
    let Ok(folder) = project.database(db).map(|c| &c.migrations) else {
        return Vec::new();
    };
    let resolves =
        |c: &DatabaseConfig| resolve(c, &project.env, &project.config.dir, &project.cwd).is_ok();
    (project.config.databases.values())
        .filter(|c| c.migrations == *folder && resolves(c))
        .map(|c| c.name.clone())
        .collect()
}

/// Which of the plan's re-parented and deleted revisions are among the
/// `rows` of a version table, and whether the target is.
fn applied<'a>(plan: &RebasePlan, rows: impl IntoIterator<Item = &'a str>) -> Applied {
    let rows: BTreeSet<&str> = rows.into_iter().collect();
    let among = |ids: Vec<&RevisionId>| -> Vec<RevisionId> {
        let ids = ids.into_iter().filter(|id| rows.contains(id.as_str()));
        ids.cloned().collect()
    };
    Applied {
        reparented: among(plan.reparented.iter().map(|r| &r.id).collect()),
        deleted: among(plan.deleted.iter().map(|d| &d.id).collect()),
        onto: rows.contains(plan.onto.as_str()),
    }
}

impl Applied {
    fn matters(&self) -> bool {
        !self.reparented.is_empty() || !self.deleted.is_empty()
    }
}
