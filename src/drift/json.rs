//! The drift report as JSON (`docs/json.md`, "`verify --schema`"): public
//! structs of their own, so a rename inside cannot change the format.
//!
//! Pure.

use serde::Serialize;

use super::Report;
use super::diff::collapse;

/// One database's document.
#[derive(Serialize, Debug, Default)]
pub(crate) struct DriftDoc {
    pub ok: bool,
    pub applied: usize,
    pub objects: usize,
    pub scratch: String,
    pub differences: Vec<DifferenceDoc>,
    pub pending: Vec<PendingDoc>,
    pub stamp: Vec<String>,
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize, Debug)]
pub(crate) struct DifferenceDoc {
    change: &'static str,
    kind: &'static str,
    table: Option<String>,
    name: String,
    attributes: Vec<AttributeDoc>,
    made_by: Option<String>,
}

#[derive(Serialize, Debug)]
pub(crate) struct AttributeDoc {
    name: String,
    expected: Option<String>,
    actual: Option<String>,
}

#[derive(Serialize, Debug)]
pub(crate) struct PendingDoc {
    revision: String,
    changes: usize,
    in_database: usize,
}

/// The document of `report`: the differences as the text shows them (the
/// objects on a missing or extra table are not listed on their own).
pub(crate) fn doc(report: &Report) -> DriftDoc {
    DriftDoc {
        ok: report.ok(),
        applied: report.applied,
        objects: report.objects,
        scratch: report.scratch.clone(),
        differences: collapse(report.differences.clone())
            .into_iter()
            .map(|(d, _)| DifferenceDoc {
                change: d.change.as_str(),
                kind: d.id.kind.as_str(),
                table: d.id.parent,
                name: d.name,
                attributes: d
                    .attrs
                    .into_iter()
                    .map(|a| AttributeDoc {
                        name: a.name,
                        expected: a.expected,
                        actual: a.actual,
                    })
                    .collect(),
                made_by: d.made_by,
            })
            .collect(),
        pending: report
            .pending
            .iter()
            .map(|m| PendingDoc {
                revision: m.revision.clone(),
                changes: m.changes,
                in_database: m.in_database,
            })
            .collect(),
        stamp: report.stamp.clone(),
        notes: report.notes.clone(),
        error: None,
    }
}

/// The document of a database whose report could not be made.
pub(crate) fn failed(error: String) -> DriftDoc {
    DriftDoc {
        error: Some(error),
        ..DriftDoc::default()
    }
}
