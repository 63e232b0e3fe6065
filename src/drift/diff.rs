//! The comparison of two catalogs, object by object: what the applied
//! revisions make (expected) against what the database holds (actual).
//!
//! Pure.

use super::model::{Catalog, Kind, Object, ObjectId};

/// How an object differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    /// Made by the applied revisions, not in the database.
    Missing,
    /// In the database, made by no applied revision.
    Extra,
    /// In both, with attributes that differ.
    Different,
}

impl Change {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::Missing => "missing",
            Change::Extra => "extra",
            Change::Different => "different",
        }
    }
}

/// One attribute: its value in the expected and the actual schema (`None`
/// where it does not apply or the object is absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttrDiff {
    pub name: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// One object that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Difference {
    pub id: ObjectId,
    /// The name to show (the actual one when both exist).
    pub name: String,
    pub change: Change,
    /// Every attribute of a missing or extra object; the ones that differ
    /// for a different object.
    pub attrs: Vec<AttrDiff>,
    /// The pending revision that makes the object as the database has it.
    pub made_by: Option<String>,
}

/// Every object that differs between `expected` and `actual`, by id.
pub(crate) fn diff(expected: &Catalog, actual: &Catalog) -> Vec<Difference> {
    let mut out = Vec::new();
    for (id, want) in &expected.objects {
        match actual.get(id) {
            None => out.push(one_sided(id, want, Change::Missing)),
            Some(have) if have.attrs != want.attrs => out.push(Difference {
                id: id.clone(),
                name: have.name.clone(),
                change: Change::Different,
                attrs: changed_attrs(want, have),
                made_by: None,
            }),
            Some(_) => {}
        }
    }
    for (id, have) in &actual.objects {
        if expected.get(id).is_none() {
            out.push(one_sided(id, have, Change::Extra));
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The ids of the objects that differ, without building the differences.
pub(crate) fn changed_ids(before: &Catalog, after: &Catalog) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = before
        .objects
        .iter()
        .filter(|(id, object)| after.get(id) != Some(*object))
        .map(|(id, _)| id.clone())
        .collect();
    ids.extend(
        after
            .objects
            .keys()
            .filter(|id| before.get(id).is_none())
            .cloned(),
    );
    ids.sort();
    ids
}

fn one_sided(id: &ObjectId, object: &Object, change: Change) -> Difference {
    let attrs = object
        .attrs
        .iter()
        .map(|(name, value)| {
            let value = Some(value.clone());
            let (expected, actual) = match change {
                Change::Missing => (value, None),
                _ => (None, value),
            };
            AttrDiff {
                name: name.clone(),
                expected,
                actual,
            }
        })
        .collect();
    Difference {
        id: id.clone(),
        name: object.name.clone(),
        change,
        attrs,
        made_by: None,
    }
}

fn changed_attrs(want: &Object, have: &Object) -> Vec<AttrDiff> {
    let mut names: Vec<&String> = want.attrs.keys().chain(have.attrs.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let (expected, actual) = (want.attrs.get(name), have.attrs.get(name));
            (expected != actual).then(|| AttrDiff {
                name: name.clone(),
                expected: expected.cloned(),
                actual: actual.cloned(),
            })
        })
        .collect()
}

/// The differences to show, in the order to show them: the objects on a
/// relation that is itself missing or extra are left out (the relation's
/// line says it all), and counted into it.
pub(crate) fn collapse(diffs: Vec<Difference>) -> Vec<(Difference, usize)> {
    let whole: Vec<(String, Change)> = diffs
        .iter()
        .filter(|d| {
            d.id.parent.is_none() && d.id.kind.is_relation() && d.change != Change::Different
        })
        .map(|d| (d.id.key.clone(), d.change))
        .collect();
    let mut out: Vec<(Difference, usize)> = Vec::new();
    let mut hidden: Vec<(String, usize)> = Vec::new();
    for d in diffs {
        let covered = d.id.parent.as_ref().is_some_and(|p| {
            whole
                .iter()
                .any(|(rel, change)| rel == p && *change == d.change)
        });
        match (&d.id.parent, covered) {
            (Some(p), true) => match hidden.iter_mut().find(|(rel, _)| rel == p) {
                Some((_, n)) => *n += 1,
                None => hidden.push((p.clone(), 1)),
            },
            _ => out.push((d, 0)),
        }
    }
    for (d, n) in &mut out {
        if d.id.parent.is_none() && d.id.kind.is_relation() {
            *n = hidden
                .iter()
                .find(|(rel, _)| *rel == d.id.key)
                .map_or(0, |(_, n)| *n);
        }
    }
    out.sort_by(|(a, _), (b, _)| order_key(a).cmp(&order_key(b)));
    out
}

/// The order of the report: a relation with the objects on it, and the
/// other objects by kind, then name.
fn order_key(d: &Difference) -> (Kind, &str, bool, Kind, &str) {
    let (group_kind, group) = match &d.id.parent {
        Some(parent) => (Kind::Table, parent.as_str()),
        None if d.id.kind.is_relation() => (Kind::Table, d.id.key.as_str()),
        None => (d.id.kind, d.id.key.as_str()),
    };
    (
        group_kind,
        group,
        d.id.parent.is_some(),
        d.id.kind,
        d.id.key.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn id(parent: Option<&str>, kind: Kind, key: &str) -> ObjectId {
        ObjectId {
            parent: parent.map(str::to_owned),
            kind,
            key: key.to_owned(),
        }
    }

    fn object(name: &str, attrs: &[(&str, &str)]) -> Object {
        Object {
            name: name.to_owned(),
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    fn catalog(objects: &[(ObjectId, Object)]) -> Catalog {
        let mut c = Catalog::default();
        for (i, o) in objects {
            c.insert(i.clone(), o.clone());
        }
        c
    }

    #[test]
    fn names_what_is_missing_extra_and_different() {
        let t = Some("public.t");
        let expected = catalog(&[
            (id(None, Kind::Table, "public.t"), object("public.t", &[])),
            (
                id(t, Kind::Column, "a"),
                object("a", &[("type", "integer"), ("default", "1")]),
            ),
            (
                id(t, Kind::Index, "t_a"),
                object("t_a", &[("definition", "CREATE INDEX")]),
            ),
        ]);
        let actual = catalog(&[
            (id(None, Kind::Table, "public.t"), object("public.t", &[])),
            (
                id(t, Kind::Column, "a"),
                object("a", &[("type", "integer"), ("default", "2")]),
            ),
            (id(t, Kind::Column, "b"), object("b", &[("type", "text")])),
        ]);
        let d = diff(&expected, &actual);
        let summary: Vec<(Change, &str)> =
            d.iter().map(|d| (d.change, d.id.key.as_str())).collect();
        assert_eq!(
            summary,
            [
                (Change::Different, "a"),
                (Change::Extra, "b"),
                (Change::Missing, "t_a")
            ]
        );
        assert_eq!(
            d[0].attrs,
            [AttrDiff {
                name: "default".into(),
                expected: Some("1".into()),
                actual: Some("2".into())
            }]
        );
        assert_eq!(d[1].attrs[0].expected, None);
        assert_eq!(d[2].attrs[0].actual, None);
        let ids = changed_ids(&expected, &actual);
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn a_missing_table_stands_for_its_columns() {
        let t = Some("public.t");
        let actual = catalog(&[
            (id(None, Kind::Table, "public.t"), object("public.t", &[])),
            (
                id(t, Kind::Column, "a"),
                object("a", &[("type", "integer")]),
            ),
            (id(t, Kind::Index, "i"), object("i", &[])),
            (
                id(None, Kind::Function, "public.f()"),
                object("public.f()", &[]),
            ),
        ]);
        let shown = collapse(diff(&Catalog::default(), &actual));
        let keys: Vec<(&str, usize)> = shown.iter().map(|(d, n)| (d.id.key.as_str(), *n)).collect();
        assert_eq!(keys, [("public.t", 2), ("public.f()", 0)]);
    }
}
