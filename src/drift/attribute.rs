//! Which pending revision makes what: the pending revisions were replayed
//! one by one after the applied ones, the catalog read after each; an
//! object the database has that a pending revision makes (exactly as the
//! database has it) is that revision's. A pending revision all of whose
//! objects are already in the database was most likely applied by hand,
//! and `migrate stamp` records it without running it.
//!
//! Pure.

use std::collections::BTreeSet;

use super::diff::{Difference, changed_ids};
use super::model::{Catalog, ObjectId};

/// A pending revision and the catalog once it had run (after the ones
/// before it).
#[derive(Clone, Debug)]
pub(crate) struct Replayed {
    pub revision: String,
    pub after: Catalog,
}

/// What one pending revision changes, and how much of it the database
/// already has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingMatch {
    pub revision: String,
    /// Objects it makes, changes or drops.
    pub changes: usize,
    /// Of those, how many the database already has as the revision leaves them.
    pub in_database: usize,
}

impl PendingMatch {
    /// Everything it does is already done (and it does something).
    pub(crate) fn is_done(&self) -> bool {
        self.changes > 0 && self.in_database == self.changes
    }
}

/// Marks each difference with the first pending revision (in plan order)
/// that makes the object as the database has it, and says
/// for each pending revision how much of it the database already has: a
/// change counts as there when the database has the object as that
/// revision, or a later pending one, leaves it (a later revision may
/// change it again). `before` is the catalog of the applied revisions;
/// `pending` in plan order.
pub(crate) fn attribute(
    before: &Catalog,
    pending: &[Replayed],
    actual: &Catalog,
    diffs: &mut [Difference],
) -> Vec<PendingMatch> {
    let mut previous = before;
    let changed: Vec<Vec<ObjectId>> = pending
        .iter()
        .map(|step| {
            let ids = changed_ids(previous, &step.after);
            previous = &step.after;
            ids
        })
        .collect();
    let as_left_by = |id: &ObjectId, step: &Replayed| actual.get(id) == step.after.get(id);
    // Done by step `i`: the database has it as step `i` or a later one
    // left it (a later revision may change it again).
    let done_from =
        |i: usize, id: &ObjectId| pending[i..].iter().any(|later| as_left_by(id, later));
    for d in diffs.iter_mut() {
        // The first revision that does it: the one that makes a table,
        // not the one that adds a column to it later.
        d.made_by = changed
            .iter()
            .enumerate()
            .find(|(i, ids)| ids.contains(&d.id) && done_from(*i, &d.id))
            .map(|(i, _)| pending[i].revision.clone());
    }
    pending
        .iter()
        .zip(&changed)
        .enumerate()
        .map(|(i, (step, ids))| PendingMatch {
            revision: step.revision.clone(),
            changes: ids.len(),
            in_database: ids.iter().filter(|id| done_from(i, id)).count(),
        })
        .collect()
}

/// The revisions to give `migrate stamp`: pending revisions that are done
/// and whose pending ancestors (`needs`, through parents and `depends-on`)
/// are all done too, since a stamp records those as well; of them only the
/// ones no other names as an ancestor. In plan order.
pub(crate) fn stamp_targets(
    matches: &[PendingMatch],
    needs: impl Fn(&str) -> BTreeSet<String>,
) -> Vec<String> {
    let pending: BTreeSet<&str> = matches.iter().map(|m| m.revision.as_str()).collect();
    let done: BTreeSet<&str> = matches
        .iter()
        .filter(|m| m.is_done())
        .map(|m| m.revision.as_str())
        .collect();
    let stampable: Vec<(&str, BTreeSet<String>)> = matches
        .iter()
        .map(|m| m.revision.as_str())
        .filter(|r| done.contains(r))
        .map(|r| (r, needs(r)))
        .filter(|(_, ancestors)| {
            ancestors
                .iter()
                .filter(|a| pending.contains(a.as_str()))
                .all(|a| done.contains(a.as_str()))
        })
        .collect();
    stampable
        .iter()
        .filter(|(r, _)| {
            !stampable
                .iter()
                .any(|(other, ancestors)| other != r && ancestors.contains(*r))
        })
        .map(|(r, _)| (*r).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::drift::diff::{Change, diff};
    use crate::drift::model::{Kind, Object};

    fn table(c: &mut Catalog, name: &str, column_type: &str) {
        c.insert(
            ObjectId {
                parent: None,
                kind: Kind::Table,
                key: name.into(),
            },
            Object {
                name: name.into(),
                attrs: BTreeMap::new(),
            },
        );
        c.insert(
            ObjectId {
                parent: Some(name.into()),
                kind: Kind::Column,
                key: "id".into(),
            },
            Object {
                name: "id".into(),
                attrs: [("type".to_owned(), column_type.to_owned())].into(),
            },
        );
    }

    fn matched(revision: &str, changes: usize, in_database: usize) -> PendingMatch {
        PendingMatch {
            revision: revision.into(),
            changes,
            in_database,
        }
    }

    #[test]
    fn an_object_made_by_hand_is_traced_to_the_pending_revision_that_makes_it() {
        let before = Catalog::default();
        let mut after_b1 = before.clone();
        table(&mut after_b1, "public.notes", "integer");
        let mut after_b2 = after_b1.clone();
        table(&mut after_b2, "public.tags", "integer");
        let pending = [
            Replayed {
                revision: "b1".into(),
                after: after_b1.clone(),
            },
            Replayed {
                revision: "b2".into(),
                after: after_b2,
            },
        ];
        // By hand: b1's table exactly, b2's with another column type.
        let mut actual = after_b1;
        table(&mut actual, "public.tags", "bigint");
        let mut diffs = diff(&before, &actual);
        let matches = attribute(&before, &pending, &actual, &mut diffs);
        assert_eq!(matches, [matched("b1", 2, 2), matched("b2", 2, 1)]);
        let made: Vec<(&str, Change, Option<&str>)> = diffs
            .iter()
            .map(|d| (d.id.key.as_str(), d.change, d.made_by.as_deref()))
            .collect();
        assert_eq!(
            made,
            [
                ("public.notes", Change::Extra, Some("b1")),
                ("public.tags", Change::Extra, Some("b2")),
                ("id", Change::Extra, Some("b1")),
                ("id", Change::Extra, None),
            ]
        );
    }

    #[test]
    fn stamp_names_the_tips_of_what_is_done_and_never_skips_an_undone_ancestor() {
        // b1 <- b2 <- b3 and c1 (independent); b3 and c1 not done.
        let needs = |r: &str| -> BTreeSet<String> {
            let list: &[&str] = match r {
                "b2" => &["b1"],
                "b3" => &["b1", "b2"],
                _ => &[],
            };
            list.iter().map(|s| (*s).to_owned()).collect()
        };
        let all_done = [
            matched("b1", 2, 2),
            matched("b2", 1, 1),
            matched("c1", 1, 1),
        ];
        assert_eq!(stamp_targets(&all_done, needs), ["b2", "c1"]);
        let b1_half = [
            matched("b1", 2, 1),
            matched("b2", 1, 1),
            matched("c1", 1, 0),
        ];
        assert!(stamp_targets(&b1_half, needs).is_empty());
        // A revision that changes nothing cannot be told apart: not stamped.
        let empty = [matched("b1", 0, 0), matched("b2", 1, 1)];
        assert!(stamp_targets(&empty, needs).is_empty());
    }
}
