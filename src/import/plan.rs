//! Pure: which Alembic revisions an import writes, and whether the history
//! can be imported at all.
//!
//! A revision is written when no file in the database's folder holds its id
//! (wherever that file is), so a second import converts only what is new and
//! never touches a file a person may have edited. Ids, labels and the
//! multidb engine are checked for the whole history first: one bad id is
//! bad input (exit 2), and nothing is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::layout::Layout;
use super::record::Listed;
use crate::revision::format::file_name;
use crate::revision::{IdError, RevisionId, is_valid_label};

/// The revision files already in the database's folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Existing {
    /// Ids of the revisions they hold.
    pub ids: BTreeSet<String>,
    /// Every `*.sql` file, relative to the folder, with the id it holds
    /// when one could be read.
    pub files: BTreeMap<PathBuf, Option<String>>,
}

/// One revision to write, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned<'a> {
    pub listed: &'a Listed,
    pub id: RevisionId,
    pub parents: Vec<RevisionId>,
    pub depends_on: Vec<RevisionId>,
    pub labels: Vec<String>,
    /// Relative to the migrations folder: sub-folder and file name.
    pub path: PathBuf,
}

/// What an import writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportPlan<'a> {
    /// Sorted by path.
    pub new: Vec<Planned<'a>>,
    /// Revisions that already have a file.
    pub already: usize,
}

/// Why a history cannot be imported (bad input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    BadId {
        /// The revision, as Alembic spells it.
        revision: String,
        module: String,
        /// Which attribute: `revision`, `down_revision` or `depends_on`.
        field: &'static str,
        reason: IdError,
    },
    BadLabel {
        revision: String,
        module: String,
        label: String,
    },
    /// The history uses the multidb template and no `--engine` was given.
    NoEngine { engines: Vec<String> },
    /// `--engine` names an engine a revision does not have.
    UnknownEngine {
        engine: String,
        revision: String,
        engines: Vec<String>,
    },
    /// `--engine` was given, but no revision takes an engine name.
    NotMultidb { engine: String },
    /// The file to write exists and holds another revision (or none).
    PathTaken {
        path: PathBuf,
        revision: String,
        holds: Option<String>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadId {
                revision,
                module,
                field,
                reason,
            } => write!(
                f,
                "{module}: `{field}` of revision `{revision}` cannot be a migrate revision id: {reason}"
            ),
            Self::BadLabel {
                revision,
                module,
                label,
            } => write!(
                f,
                "{module}: branch label `{label}` of revision `{revision}` is not a valid label \
                 (1 to 64 letters, digits, `_`, `.` or `-`)"
            ),
            Self::NoEngine { engines } => write!(
                f,
                "the history uses Alembic's multidb template (`upgrade(engine_name)`): pass \
                 --engine with one of {}",
                ticked(engines)
            ),
            Self::UnknownEngine {
                engine,
                revision,
                engines,
            } => write!(
                f,
                "revision `{revision}` has no `upgrade_{engine}()`: its engines are {}",
                ticked(engines)
            ),
            Self::NotMultidb { engine } => write!(
                f,
                "--engine {engine} was given, but no revision's `upgrade()` takes an engine name \
                 (Alembic's multidb template); leave --engine out"
            ),
            Self::PathTaken {
                path,
                revision,
                holds,
            } => {
                let holds = holds.as_ref().map_or_else(
                    || "no readable revision".to_owned(),
                    |id| format!("revision `{id}`"),
                );
                write!(
                    f,
                    "`{}` (for revision `{revision}`) already exists and holds {holds}; move it \
                     away or rename it",
                    path.display()
                )
            }
        }
    }
}

fn ticked(names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    names.join(", ")
}

/// The revisions of `listed` that have no file in `existing`, checked.
///
/// # Errors
/// Every problem found in the whole history (see [`Problem`]).
pub(crate) fn plan<'a>(
    listed: &'a [Listed],
    existing: &Existing,
    layout: &Layout,
    engine: Option<&str>,
) -> Result<ImportPlan<'a>, Vec<Problem>> {
    let mut problems = engine_problems(listed, engine);
    let mut new = Vec::new();
    let mut already = 0;
    for rev in listed {
        let Some(planned) = check(rev, layout, &mut problems) else {
            continue;
        };
        if existing.ids.contains(rev.id.as_str()) {
            already += 1;
            continue;
        }
        if let Some(holds) = existing.files.get(&planned.path) {
            problems.push(Problem::PathTaken {
                path: planned.path.clone(),
                revision: rev.id.clone(),
                holds: holds.clone(),
            });
            continue;
        }
        new.push(planned);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    new.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(ImportPlan { new, already })
}

/// Where Alembic kept the module, for messages: `versions/ab12_x.py`.
pub(crate) fn module_name(rev: &Listed) -> String {
    let location = rev
        .location
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    match location {
        Some(loc) => format!("{loc}/{}", rev.path),
        None => rev.path.clone(),
    }
}

fn check<'a>(rev: &'a Listed, layout: &Layout, problems: &mut Vec<Problem>) -> Option<Planned<'a>> {
    let before = problems.len();
    let module = module_name(rev);
    let mut id_of = |raw: &str, field: &'static str| match RevisionId::new(raw) {
        Ok(id) => Some(id),
        Err(reason) => {
            problems.push(Problem::BadId {
                revision: rev.id.clone(),
                module: module.clone(),
                field,
                reason,
            });
            None
        }
    };
    let id = id_of(&rev.id, "revision");
    let parents: Vec<RevisionId> = rev
        .down_revision
        .iter()
        .filter_map(|p| id_of(p, "down_revision"))
        .collect();
    let depends_on: Vec<RevisionId> = rev
        .depends_on
        .iter()
        .filter_map(|d| id_of(d, "depends_on"))
        .collect();
    for label in &rev.branch_labels {
        if !is_valid_label(label) {
            problems.push(Problem::BadLabel {
                revision: rev.id.clone(),
                module: module.clone(),
                label: label.clone(),
            });
        }
    }
    let id = id?;
    if problems.len() > before {
        return None;
    }
    let path = layout
        .folder(rev.location.as_deref(), &rev.path)
        .join(file_name(&id, &rev.message));
    Some(Planned {
        listed: rev,
        id,
        parents,
        depends_on,
        labels: rev.branch_labels.clone(),
        path,
    })
}

fn engine_problems(listed: &[Listed], engine: Option<&str>) -> Vec<Problem> {
    let multidb: BTreeSet<&String> = listed.iter().flat_map(|r| &r.engines).collect();
    match engine {
        None if multidb.is_empty() => Vec::new(),
        None => vec![Problem::NoEngine {
            engines: multidb.into_iter().cloned().collect(),
        }],
        Some(engine) if multidb.is_empty() => vec![Problem::NotMultidb {
            engine: engine.to_owned(),
        }],
        Some(engine) => listed
            .iter()
            .filter(|r| !r.engines.is_empty() && !r.engines.iter().any(|e| e == engine))
            .map(|r| Problem::UnknownEngine {
                engine: engine.to_owned(),
                revision: r.id.clone(),
                engines: r.engines.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
