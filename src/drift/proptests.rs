//! Properties of the comparison over random catalogs.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::attribute::{Replayed, attribute, stamp_targets};
use super::diff::{Change, diff};
use super::model::{Catalog, Kind, Object, ObjectId};
use super::names::is_generated;
use super::sqlite_sql::normalise;

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![
        Kind::Table,
        Kind::Column,
        Kind::Index,
        Kind::Function,
        Kind::View,
    ])
}

fn object_id() -> impl Strategy<Value = ObjectId> {
    (
        prop::option::of(prop::sample::select(vec!["public.a", "public.b"])),
        kind(),
        "[a-d]{1,2}",
    )
        .prop_map(|(parent, kind, key)| ObjectId {
            parent: parent.map(str::to_owned),
            kind,
            key,
        })
}

fn object() -> impl Strategy<Value = Object> {
    (
        "[a-d]{1,2}",
        prop::collection::btree_map("(type|default|definition)", "[xyz]{0,2}", 0..3),
    )
        .prop_map(|(name, attrs)| Object { name, attrs })
}

fn catalog() -> impl Strategy<Value = Catalog> {
    prop::collection::btree_map(object_id(), object(), 0..12)
        .prop_map(|objects| Catalog { objects })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_catalog_does_not_differ_from_itself(c in catalog()) {
        prop_assert!(diff(&c, &c).is_empty());
    }

    #[test]
    fn swapping_the_sides_swaps_missing_and_extra(a in catalog(), b in catalog()) {
        let there = diff(&a, &b);
        let back = diff(&b, &a);
        prop_assert_eq!(there.len(), back.len());
        for (x, y) in there.iter().zip(&back) {
            prop_assert_eq!(&x.id, &y.id);
            let swapped = match x.change {
                Change::Missing => Change::Extra,
                Change::Extra => Change::Missing,
                Change::Different => Change::Different,
            };
            prop_assert_eq!(y.change, swapped);
            for (p, q) in x.attrs.iter().zip(&y.attrs) {
                prop_assert_eq!(&p.expected, &q.actual);
                prop_assert_eq!(&p.actual, &q.expected);
            }
        }
        // Every object of either side that differs is named exactly once.
        let ids: BTreeSet<&ObjectId> = there.iter().map(|d| &d.id).collect();
        prop_assert_eq!(ids.len(), there.len());
    }

    /// A database that had every pending revision applied by hand: each
    /// revision that changes anything is done, every difference is traced
    /// to one, and the stamp names the last of the chain.
    #[test]
    fn a_chain_applied_by_hand_is_all_traced(
        before in catalog(),
        steps in prop::collection::vec(prop::collection::btree_map(object_id(), object(), 1..4), 1..4),
    ) {
        let mut current = before.clone();
        let mut pending = Vec::new();
        for (i, objects) in steps.into_iter().enumerate() {
            current.objects.extend(objects);
            pending.push(Replayed { revision: format!("r{i}"), after: current.clone() });
        }
        let mut diffs = diff(&before, &current);
        let matches = attribute(&before, &pending, &current, &mut diffs);
        for m in &matches {
            prop_assert_eq!(m.changes, m.in_database);
        }
        prop_assert!(diffs.iter().all(|d| d.made_by.is_some()));
        // A chain: each revision needs all the ones before it.
        let needs = |r: &str| -> BTreeSet<String> {
            let n: usize = r[1..].parse().unwrap_or(0);
            (0..n).map(|i| format!("r{i}")).collect()
        };
        let targets = stamp_targets(&matches, needs);
        let last_doing_something = matches.iter().rev().find(|m| m.changes > 0);
        let all_do_something = matches.iter().all(|m| m.changes > 0);
        if all_do_something {
            prop_assert_eq!(targets, vec![last_doing_something.map(|m| m.revision.clone()).unwrap_or_default()]);
        }
    }

    #[test]
    fn sqlite_normalisation_ignores_spacing_and_case_of_keywords(
        words in prop::collection::vec(prop::sample::select(vec!["create", "TABLE", "t", "(", "a", "INTEGER", ",", "b", "text", "'Lit'", ")", "\"Q\""]), 1..12),
        spaces in prop::collection::vec(prop::sample::select(vec![" ", "  ", "\n", "\t", " /* c */ "]), 12),
    ) {
        let tight = words.join(" ");
        let loose: String = words.iter().zip(&spaces).map(|(w, s)| format!("{w}{s}")).collect();
        prop_assert_eq!(normalise(&tight), normalise(&loose));
        prop_assert_eq!(normalise(&normalise(&tight)), normalise(&tight));
        prop_assert_eq!(normalise(&tight.to_uppercase().replace("'LIT'", "'Lit'")), normalise(&tight));
    }

    #[test]
    fn names_postgres_makes_up_are_recognised(table in "[a-z][a-z_]{0,20}", column in "[a-z][a-z0-9_]{0,20}", n in 0..3u8) {
        let number = if n == 0 { String::new() } else { n.to_string() };
        for suffix in ["pkey", "key", "fkey", "check", "excl"] {
            let name = format!("{table}_{column}_{suffix}{number}");
            prop_assert!(is_generated(&name, &table, &[suffix]), "{}", name);
        }
    }
}

#[test]
fn the_generator_makes_differences() {
    // Guards the properties above against a generator that only ever makes
    // equal catalogs.
    let a = Catalog {
        objects: BTreeMap::from([(
            ObjectId {
                parent: None,
                kind: Kind::Table,
                key: "a".into(),
            },
            Object {
                name: "a".into(),
                attrs: BTreeMap::new(),
            },
        )]),
    };
    assert_eq!(diff(&a, &Catalog::default()).len(), 1);
}
