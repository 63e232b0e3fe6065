//! Checks that an existing version table has the columns `migrate` writes.
//!
//! Pure: takes the (column, type) pairs a driver read from the catalog.

use super::{Dialect, DriverError};

/// The kinds of column the version table needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Text,
    Timestamp,
    Integer,
    Boolean,
}

impl Family {
    fn describe(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Timestamp => "a timestamp",
            Self::Integer => "an integer",
            Self::Boolean => "a boolean",
        }
    }
}

/// The columns of docs/reference.md, "The version table".
const COLUMNS: [(&str, Family); 9] = [
    ("revision", Family::Text),
    ("parents", Family::Text),
    ("message", Family::Text),
    ("checksum", Family::Text),
    ("applied_at", Family::Timestamp),
    ("duration_ms", Family::Integer),
    ("applied_by", Family::Text),
    ("method", Family::Text),
    ("dirty", Family::Boolean),
];

/// `Ok` when every needed column is there with a fitting type; extra
/// columns are allowed.
///
/// # Errors
/// [`DriverError::TableShape`] naming the first missing or mistyped column.
pub(crate) fn check(
    dialect: Dialect,
    table: &str,
    found: &[(String, String)],
) -> Result<(), DriverError> {
    for (column, family) in COLUMNS {
        let problem = match found
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(column))
        {
            None => "is missing".to_owned(),
            Some((_, ty)) if fits(dialect, family, ty) => continue,
            Some((_, ty)) => format!("has type `{ty}`, expected {}", family.describe()),
        };
        return Err(DriverError::TableShape {
            table: table.to_owned(),
            column: column.to_owned(),
            problem,
        });
    }
    Ok(())
}

fn fits(dialect: Dialect, family: Family, ty: &str) -> bool {
    match dialect {
        // `pg_type.typname` values.
        Dialect::Postgres => match family {
            Family::Text => matches!(ty, "text" | "varchar" | "bpchar" | "name" | "citext"),
            Family::Timestamp => matches!(ty, "timestamptz" | "timestamp"),
            Family::Integer => matches!(ty, "int8" | "int4" | "int2" | "numeric"),
            Family::Boolean => ty == "bool",
        },
        // `information_schema.columns.data_type`.
        Dialect::Mysql => match family {
            Family::Text => matches!(
                ty,
                "varchar" | "char" | "text" | "tinytext" | "mediumtext" | "longtext"
            ),
            Family::Timestamp => matches!(ty, "datetime" | "timestamp"),
            Family::Integer => matches!(ty, "bigint" | "int" | "mediumint" | "smallint"),
            Family::Boolean => matches!(ty, "tinyint" | "bit" | "bool" | "boolean"),
        },
        // Declared types, read with SQLite's affinity rules; no type at all
        // stores anything.
        Dialect::Sqlite => {
            let ty = ty.to_ascii_uppercase();
            let has = |s: &str| ty.contains(s);
            let text = has("CHAR") || has("CLOB") || has("TEXT");
            ty.is_empty()
                || match family {
                    Family::Text => text,
                    Family::Timestamp => text || has("DATE") || has("TIME"),
                    Family::Integer => has("INT"),
                    Family::Boolean => has("INT") || has("BOOL"),
                }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    const PG_OK: [(&str, &str); 10] = [
        ("revision", "text"),
        ("parents", "text"),
        ("message", "text"),
        ("checksum", "varchar"),
        ("applied_at", "timestamptz"),
        ("duration_ms", "int8"),
        ("applied_by", "text"),
        ("method", "text"),
        ("dirty", "bool"),
        ("extra", "jsonb"),
    ];

    #[test]
    fn accepts_the_table_it_creates_and_extra_columns() {
        assert!(check(Dialect::Postgres, "t", &cols(&PG_OK)).is_ok());
    }

    #[test]
    fn names_a_missing_column() {
        let found = cols(&PG_OK[..8]);
        let err = check(Dialect::Postgres, "_migrate_core", &found).unwrap_err();
        let DriverError::TableShape {
            column, problem, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((column.as_str(), problem.as_str()), ("dirty", "is missing"));
        assert!(err.to_string().contains("set `version_table`"));
    }

    #[test]
    fn names_a_mistyped_column() {
        let mut found = cols(&PG_OK);
        found[0].1 = "int4".into();
        let err = check(Dialect::Postgres, "t", &found).unwrap_err();
        assert!(
            matches!(&err, DriverError::TableShape { column, problem, .. }
                if column == "revision" && problem == "has type `int4`, expected text"),
            "{err:?}"
        );
    }

    #[test]
    fn sqlite_uses_affinity() {
        assert!(fits(Dialect::Sqlite, Family::Text, "VARCHAR(64)"));
        assert!(fits(Dialect::Sqlite, Family::Boolean, "boolean"));
        assert!(fits(Dialect::Sqlite, Family::Integer, ""));
        assert!(!fits(Dialect::Sqlite, Family::Text, "INTEGER"));
        assert!(fits(Dialect::Sqlite, Family::Timestamp, "DATETIME"));
    }
}
