//! Schema drift (`migrate verify DB --schema`): what is really in a
//! database, compared with what its applied revisions make, object by
//! object; which pending revision makes the objects that were added by
//! hand; and the hint for `up` when an object already exists.
//!
//! Pure: the catalog as plain data ([`model`]), the comparison ([`diff`]),
//! the attribution to pending revisions ([`attribute`]), the report and its
//! rendering ([`render`], [`json`]). Reading catalogs is the drivers' job
//! (`driver::catalog`); building the scratch database is the command's
//! (`commands::drift`).

mod attribute;
mod diff;
mod hint;
mod json;
pub(crate) mod model;
mod names;
#[cfg(test)]
mod proptests;
mod render;
pub(crate) mod sqlite_sql;

use std::collections::BTreeSet;

pub(crate) use attribute::{PendingMatch, Replayed};
pub(crate) use diff::Difference;
pub(crate) use hint::already_exists_hint;
pub(crate) use json::{doc, failed};
pub(crate) use model::{Catalog, RawObject};
pub(crate) use render::text;

/// One database's drift report.
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    pub db: String,
    /// How many applied revisions were replayed.
    pub applied: usize,
    /// How many objects the applied revisions make.
    pub objects: usize,
    /// Where the scratch schema was built, as shown to the user.
    pub scratch: String,
    /// In id order; objects on a missing or extra relation included.
    pub differences: Vec<Difference>,
    /// Each pending revision, in plan order, and how much of it the
    /// database has.
    pub pending: Vec<PendingMatch>,
    /// The revisions `migrate stamp` should record, in plan order.
    pub stamp: Vec<String>,
    /// What the user should know about how the schema was built.
    pub notes: Vec<String>,
}

impl Report {
    pub(crate) fn ok(&self) -> bool {
        self.differences.is_empty()
    }
}

/// What differs between `expected` (the applied revisions replayed) and
/// `actual` (the database), each difference traced to the pending revision
/// that makes it where one does (`pending`: replayed one by one after the
/// applied ones, in plan order; `needs`: a revision's ancestors).
pub(crate) fn compare(
    expected: &Catalog,
    actual: &Catalog,
    pending: &[Replayed],
    needs: impl Fn(&str) -> BTreeSet<String>,
) -> (Vec<Difference>, Vec<PendingMatch>, Vec<String>) {
    let mut differences = diff::diff(expected, actual);
    let matches = attribute::attribute(expected, pending, actual, &mut differences);
    let stamp = attribute::stamp_targets(&matches, needs);
    (differences, matches, stamp)
}
