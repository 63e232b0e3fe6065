//! A database's schema as plain data: every object the drift report
//! compares, keyed so that the same object in two databases has the same
//! key, with the attributes that are compared.
//!
//! Pure. The drivers read the catalog into [`RawObject`]s in the server's
//! own words (`format_type`, `pg_get_*def`, SQLite's stored SQL); this
//! module only decides identity.

use std::collections::BTreeMap;
use std::fmt;

use super::names;

/// What an object is. The order is the order of the report within a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Schema,
    Extension,
    Enum,
    Domain,
    Sequence,
    Table,
    View,
    MaterializedView,
    Column,
    Constraint,
    Index,
    Trigger,
    Policy,
    Function,
    Procedure,
}

impl Kind {
    const ALL: [Kind; 15] = [
        Kind::Schema,
        Kind::Extension,
        Kind::Enum,
        Kind::Domain,
        Kind::Sequence,
        Kind::Table,
        Kind::View,
        Kind::MaterializedView,
        Kind::Column,
        Kind::Constraint,
        Kind::Index,
        Kind::Trigger,
        Kind::Policy,
        Kind::Function,
        Kind::Procedure,
    ];

    /// The word the report and the JSON use.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Extension => "extension",
            Kind::Enum => "enum",
            Kind::Domain => "domain",
            Kind::Sequence => "sequence",
            Kind::Table => "table",
            Kind::View => "view",
            Kind::MaterializedView => "materialized view",
            Kind::Column => "column",
            Kind::Constraint => "constraint",
            Kind::Index => "index",
            Kind::Trigger => "trigger",
            Kind::Policy => "policy",
            Kind::Function => "function",
            Kind::Procedure => "procedure",
        }
    }

    pub(crate) fn parse(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// True for the relations other objects hang on (a group of the report).
    pub(crate) fn is_relation(self) -> bool {
        matches!(self, Kind::Table | Kind::View | Kind::MaterializedView)
    }

    /// The suffixes PostgreSQL gives the names it makes up for this kind,
    /// when the name says nothing a person chose.
    fn generated_suffixes(self) -> &'static [&'static str] {
        match self {
            Kind::Constraint => &["pkey", "key", "fkey", "check", "excl", "not_null"],
            Kind::Index => &["idx", "key"],
            _ => &[],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of an object: the same object in two databases has the
/// same id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ObjectId {
    /// The relation it belongs to (`public.accounts`), for columns,
    /// constraints, indexes, triggers, policies and owned sequences.
    pub parent: Option<String>,
    pub kind: Kind,
    /// Its name, or for a constraint or index whose name PostgreSQL made
    /// up, its definition (a made-up name follows the columns, so it is no
    /// identity of its own).
    pub key: String,
}

/// One object: the name to show and the attributes that are compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Object {
    pub name: String,
    /// Attribute name to value; an attribute that does not apply is absent.
    pub attrs: BTreeMap<String, String>,
}

/// An object as a driver read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawObject {
    /// A [`Kind`] word.
    pub kind: String,
    /// The qualified relation it belongs to.
    pub parent: Option<String>,
    /// The relation's bare name, for telling a made-up name from a chosen one.
    pub table: Option<String>,
    pub name: String,
    /// Its identity when that is not `name` (SQLite names ignore case).
    pub key: Option<String>,
    /// Attribute pairs; `None` values are attributes that do not apply.
    pub attrs: Vec<(String, Option<String>)>,
}

/// A schema: every object by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Catalog {
    pub objects: BTreeMap<ObjectId, Object>,
}

impl Catalog {
    /// Builds the catalog from what a driver read.
    ///
    /// # Errors
    /// The kind word of a row that is none of [`Kind`]'s (a driver bug).
    pub(crate) fn from_raw(rows: Vec<RawObject>) -> Result<Self, String> {
        let mut catalog = Catalog::default();
        for row in rows {
            let kind = Kind::parse(&row.kind).ok_or_else(|| {
                format!("the catalog read returned an unknown kind `{}`", row.kind)
            })?;
            let attrs: BTreeMap<String, String> = row
                .attrs
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let keyed_by_definition = row.table.as_deref().is_some_and(|table| {
                names::is_generated(&row.name, table, kind.generated_suffixes())
            });
            let key = match (attrs.get("definition"), row.key) {
                (Some(definition), _) if keyed_by_definition => definition.clone(),
                (_, Some(key)) => key,
                (_, None) => row.name.clone(),
            };
            catalog.insert(
                ObjectId {
                    parent: row.parent,
                    kind,
                    key,
                },
                Object {
                    name: row.name,
                    attrs,
                },
            );
        }
        Ok(catalog)
    }

    /// Adds an object; a second object with the same id (two identical
    /// indexes with made-up names) gets `#2`, `#3`... so none is lost.
    pub(crate) fn insert(&mut self, mut id: ObjectId, object: Object) {
        let base = id.key.clone();
        let mut n = 1;
        while self.objects.contains_key(&id) {
            n += 1;
            id.key = format!("{base} #{n}");
        }
        self.objects.insert(id, object);
    }

    pub(crate) fn get(&self, id: &ObjectId) -> Option<&Object> {
        self.objects.get(id)
    }

    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }

    /// The objects that make a database anything but new: what a freshly
    /// created database has (the `public` schema, the `plpgsql` extension)
    /// does not count. A shadow database must have none.
    pub(crate) fn user_objects(&self) -> Vec<(&ObjectId, &Object)> {
        self.objects
            .iter()
            .filter(|(id, _)| {
                !(id.parent.is_none()
                    && matches!(
                        (id.kind, id.key.as_str()),
                        (Kind::Schema, "public") | (Kind::Extension, "plpgsql")
                    ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: &str, parent: Option<&str>, name: &str, attrs: &[(&str, &str)]) -> RawObject {
        RawObject {
            kind: kind.to_owned(),
            parent: parent.map(str::to_owned),
            table: parent.map(|p| p.rsplit('.').next().unwrap_or(p).to_owned()),
            name: name.to_owned(),
            key: None,
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
                .collect(),
        }
    }

    #[test]
    fn every_kind_word_round_trips() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("aggregate"), None);
    }

    #[test]
    fn a_made_up_constraint_name_is_no_identity_but_a_chosen_one_is() {
        let c = Catalog::from_raw(vec![
            raw(
                "constraint",
                Some("public.accounts"),
                "accounts_pkey",
                &[("definition", "PRIMARY KEY (id)")],
            ),
            raw(
                "constraint",
                Some("public.accounts"),
                "positive_score",
                &[("definition", "CHECK ((score > 0))")],
            ),
        ])
        .unwrap();
        let keys: Vec<&str> = c.objects.keys().map(|id| id.key.as_str()).collect();
        assert_eq!(keys, ["PRIMARY KEY (id)", "positive_score"]);
    }

    #[test]
    fn identical_objects_are_all_kept() {
        let index = |name: &str| {
            raw(
                "index",
                Some("public.t"),
                name,
                &[("definition", "CREATE INDEX ON public.t USING btree (a)")],
            )
        };
        let c = Catalog::from_raw(vec![index("t_a_idx"), index("t_a_idx1")]).unwrap();
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn absent_attributes_are_left_out_and_unknown_kinds_refused() {
        let mut row = raw("column", Some("public.t"), "a", &[("type", "integer")]);
        row.attrs.push(("default".to_owned(), None));
        let c = Catalog::from_raw(vec![row]).unwrap();
        let (_, object) = c.objects.iter().next().unwrap();
        assert_eq!(object.attrs.keys().collect::<Vec<_>>(), ["type"]);
        let err = Catalog::from_raw(vec![raw("aggregate", None, "x", &[])]).unwrap_err();
        assert!(err.contains("`aggregate`"), "{err}");
    }

    #[test]
    fn a_new_database_has_no_user_objects() {
        let mut c = Catalog::from_raw(vec![
            raw("schema", None, "public", &[]),
            raw("extension", None, "plpgsql", &[("version", "1.0")]),
        ])
        .unwrap();
        assert!(c.user_objects().is_empty());
        c.insert(
            ObjectId {
                parent: None,
                kind: Kind::Table,
                key: "public.t".into(),
            },
            Object {
                name: "public.t".into(),
                attrs: BTreeMap::new(),
            },
        );
        assert_eq!(c.user_objects().len(), 1);
    }
}
