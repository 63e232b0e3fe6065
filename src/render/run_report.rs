//! Results of `up`, `down` and their `--dry-run`, as text and JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::engine::Outcome;
use crate::graph::Graph;
use crate::render::table;

/// `up --dry-run --format json`: `{ "core": { "pending": [ ... ] } }`
#[derive(Serialize)]
pub(crate) struct PlanDoc {
    pub pending: Vec<PlanStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct PlanStep {
    pub revision: String,
    pub message: String,
    pub file: String,
    /// False for `transaction off` revisions.
    pub transaction: bool,
}

/// `up --format json`: `{ "core": { "status": "ok", "applied": [...], "current": [...] } }`
#[derive(Serialize)]
pub(crate) struct ResultDoc {
    pub status: &'static str,
    pub applied: Vec<AppliedStep>,
    pub current: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct AppliedStep {
    pub revision: String,
    pub duration_ms: u128,
}

pub(crate) fn plan_json(
    results: &BTreeMap<String, Outcome>,
    dbs: &BTreeMap<&str, (&Graph, Dialect)>,
) -> BTreeMap<String, PlanDoc> {
    results
        .iter()
        .map(|(name, outcome)| {
            let doc = match outcome {
                Outcome::Ran(Ok(r)) => PlanDoc {
                    pending: steps(&r.planned, dbs.get(name.as_str())),
                    error: None,
                },
                Outcome::Ran(Err(f)) => PlanDoc {
                    pending: Vec::new(),
                    error: Some(format!("{:#}", f.error)),
                },
                Outcome::Skipped(dep) => PlanDoc {
                    pending: Vec::new(),
                    error: Some(format!("skipped: `{dep}` did not succeed")),
                },
            };
            (name.clone(), doc)
        })
        .collect()
}

fn steps(ids: &[crate::revision::RevisionId], db: Option<&(&Graph, Dialect)>) -> Vec<PlanStep> {
    let Some(&(graph, dialect)) = db else {
        return Vec::new();
    };
    ids.iter()
        .filter_map(|id| graph.get(id.as_str()))
        .map(|r| PlanStep {
            revision: r.id.to_string(),
            message: r.message.clone(),
            file: r.path.display().to_string(),
            transaction: dialect.wraps_in_transaction(r.transactional),
        })
        .collect()
}

pub(crate) fn plan_text(
    results: &BTreeMap<String, Outcome>,
    dbs: &BTreeMap<&str, (&Graph, Dialect)>,
) -> String {
    let mut s = String::new();
    for (name, outcome) in results {
        let Outcome::Ran(Ok(r)) = outcome else {
            continue;
        };
        if r.planned.is_empty() {
            let _ = writeln!(s, "{name}: nothing to do");
            continue;
        }
        let _ = writeln!(
            s,
            "{name}: would run {} revision{}:",
            r.planned.len(),
            plural(r.planned.len())
        );
        for step in steps(&r.planned, dbs.get(name.as_str())) {
            let tx = if step.transaction {
                ""
            } else {
                "  [no transaction]"
            };
            let _ = writeln!(s, "  {}  {}{tx}", step.revision, step.message);
        }
    }
    s
}

pub(crate) fn result_json(results: &BTreeMap<String, Outcome>) -> BTreeMap<String, ResultDoc> {
    results
        .iter()
        .map(|(name, outcome)| {
            let doc = match outcome {
                Outcome::Ran(Ok(r)) => ResultDoc {
                    status: "ok",
                    applied: r
                        .done
                        .iter()
                        .map(|d| AppliedStep {
                            revision: d.revision.to_string(),
                            duration_ms: d.duration.as_millis(),
                        })
                        .collect(),
                    current: r.current.clone(),
                    error: None,
                },
                Outcome::Ran(Err(f)) => ResultDoc {
                    status: "failed",
                    applied: f
                        .report
                        .done
                        .iter()
                        .map(|d| AppliedStep {
                            revision: d.revision.to_string(),
                            duration_ms: d.duration.as_millis(),
                        })
                        .collect(),
                    current: Vec::new(),
                    error: Some(format!("{:#}", f.error)),
                },
                Outcome::Skipped(dep) => ResultDoc {
                    status: "skipped",
                    applied: Vec::new(),
                    current: Vec::new(),
                    error: Some(format!("`{dep}` did not succeed")),
                },
            };
            (name.clone(), doc)
        })
        .collect()
}

/// One row per database: what ran and how it ended.
pub(crate) fn result_text(results: &BTreeMap<String, Outcome>, tty: bool) -> String {
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|(name, outcome)| match outcome {
            Outcome::Ran(Ok(r)) => {
                let took: std::time::Duration = r.done.iter().map(|d| d.duration).sum();
                let what = if r.done.is_empty() {
                    r.note.clone().unwrap_or_else(|| "nothing to do".to_owned())
                } else {
                    format!(
                        "{} revision{} ({})",
                        r.done.len(),
                        plural(r.done.len()),
                        crate::human::duration(took)
                    )
                };
                vec![name.clone(), "ok".to_owned(), what]
            }
            Outcome::Ran(Err(f)) => {
                let details = if f.report.done.is_empty() {
                    "nothing was applied; see the error above".to_owned()
                } else {
                    format!("{} committed before the failure", f.report.done.len())
                };
                vec![name.clone(), "FAILED".to_owned(), details]
            }
            Outcome::Skipped(dep) => vec![
                name.clone(),
                "SKIPPED".to_owned(),
                format!("`{dep}` did not succeed"),
            ],
        })
        .collect();
    table::render(&["database", "result", "details"], &rows, tty)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
