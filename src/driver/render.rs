//! SQL text built from names and values: identifier and literal quoting, the
//! version table's DDL, and the scripts `migrate sql` prints for offline use.
//!
//! Pure. At run time every value is bound; literals are quoted only in the
//! printed scripts, by [`quote_literal`].
//!
//! MySQL's forms are here already (backtick identifiers, the nearest column
//! types: a `varchar(255)` key, `datetime(6)` in UTC, `boolean`) so that
//! its driver and `migrate sql` share them.

use super::{Dialect, NewRow, VersionTable};
use crate::revision::{Revision, Sql};

/// The column list of a version-table insert (docs/reference.md, "The version table").
pub(crate) const INSERT_COLUMNS: &str =
    "revision, parents, message, checksum, duration_ms, applied_by, method, dirty";

/// `name` as a quoted identifier: `"..."` with inner quotes doubled
/// (PostgreSQL, SQLite).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `name` as an identifier of `dialect`: MySQL quotes with backticks.
pub(crate) fn ident(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
        Dialect::Postgres | Dialect::Sqlite => quote_ident(name),
    }
}

/// `value` as a string literal that reads back exactly as `value`.
/// PostgreSQL gets an `E'...'` literal when the value has a backslash, so it
/// reads the same whatever `standard_conforming_strings` is; MySQL escapes
/// backslashes. A NUL character is spelled out (SQLite's `char(0)`; for
/// PostgreSQL `\x00`, which it refuses loudly if the script is run, though
/// `migrate` refuses such a value before printing it).
pub fn quote_literal(dialect: Dialect, value: &str) -> String {
    let value = value.replace('\'', "''");
    match dialect {
        Dialect::Sqlite => {
            let parts: Vec<String> = value.split('\0').map(|p| format!("'{p}'")).collect();
            parts.join(" || char(0) || ")
        }
        Dialect::Postgres if value.contains(['\\', '\0']) => {
            format!("E'{}'", value.replace('\\', "\\\\").replace('\0', "\\x00"))
        }
        Dialect::Postgres => format!("'{value}'"),
        Dialect::Mysql => format!("'{}'", value.replace('\\', "\\\\").replace('\0', "\\0")),
    }
}

/// The version table's name as used in statements: schema-qualified on
/// PostgreSQL (`public` by default, so a body's `SET search_path` cannot
/// redirect the bookkeeping), bare on SQLite and MySQL (the connection's
/// database).
pub(crate) fn table_name(dialect: Dialect, table: &VersionTable) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "{}.{}",
            quote_ident(table.schema_or_public()),
            quote_ident(&table.name)
        ),
        Dialect::Sqlite | Dialect::Mysql => ident(dialect, &table.name),
    }
}

/// `CREATE TABLE IF NOT EXISTS` for the version table (docs/reference.md, "The version table", columns plus
/// `dirty`), preceded on PostgreSQL by `CREATE SCHEMA IF NOT EXISTS` when a
/// schema is configured.
pub fn render_create_table_sql(dialect: Dialect, table: &VersionTable) -> String {
    let schema = match (dialect, table.schema.as_deref()) {
        (Dialect::Postgres, Some(s)) => create_schema_sql(s),
        _ => String::new(),
    };
    schema + &create_table_sql(dialect, table)
}

/// `CREATE SCHEMA IF NOT EXISTS`, which PostgreSQL refuses to users without
/// `CREATE` on the database even when the schema exists: run it only when
/// the schema is missing.
pub(crate) fn create_schema_sql(schema: &str) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {};\n", quote_ident(schema))
}

/// The version table's `CREATE TABLE IF NOT EXISTS` alone.
pub(crate) fn create_table_sql(dialect: Dialect, table: &VersionTable) -> String {
    create_table_sql_named(dialect, &table_name(dialect, table))
}

/// The same, for a table named `name` (quoted and qualified as needed).
pub(crate) fn create_table_sql_named(dialect: Dialect, name: &str) -> String {
    if dialect == Dialect::Mysql {
        // MySQL keys no `text` column and gives `text` no literal default.
        return format!(
            "CREATE TABLE IF NOT EXISTS {name} (\n    \
             revision varchar(255) NOT NULL PRIMARY KEY,\n    \
             parents text NOT NULL,\n    \
             message text NOT NULL,\n    \
             checksum text NOT NULL,\n    \
             applied_at datetime(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),\n    \
             duration_ms bigint NOT NULL DEFAULT 0,\n    \
             applied_by text NOT NULL,\n    \
             method text NOT NULL,\n    \
             dirty boolean NOT NULL DEFAULT false\n);\n"
        );
    }
    let (applied_at, duration, dirty) = if dialect == Dialect::Sqlite {
        (
            "text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            "integer",
            "integer NOT NULL DEFAULT 0",
        )
    } else {
        (
            "timestamptz NOT NULL DEFAULT now()",
            "bigint",
            "boolean NOT NULL DEFAULT false",
        )
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {name} (\n    \
         revision text PRIMARY KEY NOT NULL,\n    \
         parents text NOT NULL DEFAULT '',\n    \
         message text NOT NULL DEFAULT '',\n    \
         checksum text NOT NULL DEFAULT '',\n    \
         applied_at {applied_at},\n    \
         duration_ms {duration} NOT NULL DEFAULT 0,\n    \
         applied_by text NOT NULL DEFAULT '',\n    \
         method text NOT NULL DEFAULT 'up',\n    \
         dirty {dirty}\n);\n"
    )
}

/// The script that applies `rev` and records `row`: `BEGIN`, the body,
/// the version-row insert, `COMMIT`; for a `transaction off` revision a
/// comment says so and there is no `BEGIN`/`COMMIT`.
pub fn render_apply_sql(
    dialect: Dialect,
    table: &VersionTable,
    rev: &Revision,
    sql: &Sql,
    row: &NewRow,
) -> String {
    let record = insert_row_sql(dialect, table, row, 0);
    script(dialect, rev, "up", &sql.up, &record)
}

/// The statement that records an applied revision, as text: for scripts,
/// and to travel in one message with `COMMIT`.
pub(crate) fn insert_row_sql(
    dialect: Dialect,
    table: &VersionTable,
    row: &NewRow,
    duration_ms: i64,
) -> String {
    let q = |v: &str| quote_literal(dialect, v);
    format!(
        "INSERT INTO {} ({INSERT_COLUMNS}) VALUES ({}, {}, {}, {}, {duration_ms}, {}, {}, {});\n",
        table_name(dialect, table),
        q(&row.revision),
        q(&row.parents_text()),
        q(&row.message),
        q(&row.checksum),
        q(&row.applied_by),
        q(&row.method),
        if dialect == Dialect::Sqlite {
            "0"
        } else {
            "false"
        },
    )
}

/// The statement that forgets a reverted revision, as text.
pub(crate) fn delete_row_sql(dialect: Dialect, table: &VersionTable, id: &str) -> String {
    format!(
        "DELETE FROM {} WHERE revision = {};\n",
        table_name(dialect, table),
        quote_literal(dialect, id)
    )
}

/// The script that reverts `rev` (its `down` body and the row delete), or
/// `None` when the revision is irreversible.
pub fn render_revert_sql(
    dialect: Dialect,
    table: &VersionTable,
    rev: &Revision,
    sql: &Sql,
) -> Option<String> {
    let down = sql.down.as_deref()?;
    let delete = delete_row_sql(dialect, table, rev.id.as_str());
    Some(script(dialect, rev, "down", down, &delete))
}

fn script(
    dialect: Dialect,
    rev: &Revision,
    section: &str,
    body: &str,
    bookkeeping: &str,
) -> String {
    let message = rev.message.replace(['\r', '\n'], " ");
    let mut out = format!("-- revision {} ({section}): {message}\n", rev.id);
    let transaction = rev.transactional && dialect.transactional_ddl();
    if transaction {
        out.push_str("BEGIN;\n");
    } else if rev.transactional {
        out.push_str(
            "-- MySQL commits each statement by itself: this revision runs statement by statement\n",
        );
    } else {
        out.push_str("-- transaction off: each statement runs on its own, outside a transaction\n");
    }
    out.push_str(&terminated(body));
    if dialect == Dialect::Mysql && sets_a_delimiter(body) {
        // A body that changed the `mysql` client's delimiter may not have
        // set it back; what follows ends with `;`.
        out.push_str("DELIMITER ;\n");
    }
    out.push_str(bookkeeping);
    if transaction {
        out.push_str("COMMIT;\n");
    }
    out
}

/// True when a line of `body` is a `DELIMITER` command of the `mysql` client.
fn sets_a_delimiter(body: &str) -> bool {
    body.lines().any(|line| {
        let line = line.trim_start();
        line.len() > 9
            && line.as_bytes()[..9].eq_ignore_ascii_case(b"DELIMITER")
            && line.as_bytes()[9].is_ascii_whitespace()
    })
}

/// `body` ending in `;` and a newline, so that what follows it is a new
/// statement even after a last statement with no `;` or a trailing `--`
/// comment (docs/reference.md, "Revision files").
pub(crate) fn terminated(body: &str) -> String {
    let trimmed = body.trim_end();
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.ends_with(';') {
        format!("{trimmed}\n")
    } else {
        format!("{trimmed}\n;\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::RevisionId;
    use std::path::PathBuf;

    fn rev(transactional: bool, up: &str, down: Option<&str>) -> (Revision, Sql) {
        let sql = Sql {
            up: up.into(),
            down: down.map(Box::from),
        };
        let revision = Revision {
            id: RevisionId::new("a1").unwrap(),
            parents: Box::default(),
            depends_on: Box::default(),
            labels: Box::default(),
            message: "it's new".into(),
            created: None,
            transactional,
            reversible: down.is_some(),
            checksum: crate::revision::checksum(up),
            path: PathBuf::from("a1.sql"),
            up_line: 3,
            down_line: None,
        };
        (revision, sql)
    }

    fn row() -> NewRow {
        NewRow {
            revision: "a1".into(),
            parents: vec!["p1".into(), "p2".into()],
            message: "it's new".into(),
            checksum: "abc".into(),
            applied_by: "migrate 0.1.0 me@host".into(),
            method: "up".into(),
        }
    }

    #[test]
    fn identifiers_double_their_quotes() {
        assert_eq!(quote_ident("_migrate_core"), "\"_migrate_core\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn literals_are_quoted_per_dialect() {
        assert_eq!(quote_literal(Dialect::Postgres, "it's"), "'it''s'");
        assert_eq!(quote_literal(Dialect::Postgres, r"a\b'"), r"E'a\\b'''");
        assert_eq!(quote_literal(Dialect::Sqlite, r"a\b'"), r"'a\b'''");
        assert_eq!(
            quote_literal(Dialect::Sqlite, "x\0y"),
            "'x' || char(0) || 'y'"
        );
        assert_eq!(quote_literal(Dialect::Postgres, "x\0y"), r"E'x\x00y'");
        assert_eq!(quote_literal(Dialect::Mysql, r"a\b"), r"'a\\b'");
    }

    #[test]
    fn table_is_schema_qualified_on_postgres_only() {
        let t = VersionTable::new(None, "_migrate_core");
        assert_eq!(
            table_name(Dialect::Postgres, &t),
            "\"public\".\"_migrate_core\""
        );
        assert_eq!(table_name(Dialect::Sqlite, &t), "\"_migrate_core\"");
        let ddl = render_create_table_sql(Dialect::Postgres, &VersionTable::new(Some("m"), "v"));
        assert!(ddl.starts_with(
            "CREATE SCHEMA IF NOT EXISTS \"m\";\nCREATE TABLE IF NOT EXISTS \"m\".\"v\""
        ));
    }

    #[test]
    fn apply_script_wraps_an_unterminated_body_in_a_transaction() {
        let t = VersionTable::new(None, "_migrate_core");
        let (r, s) = rev(true, "SELECT 1 -- done", None);
        let sql = render_apply_sql(Dialect::Postgres, &t, &r, &s, &row());
        assert_eq!(
            sql,
            "-- revision a1 (up): it's new\nBEGIN;\nSELECT 1 -- done\n;\n\
             INSERT INTO \"public\".\"_migrate_core\" (revision, parents, message, checksum, duration_ms, applied_by, method, dirty) \
             VALUES ('a1', 'p1 p2', 'it''s new', 'abc', 0, 'migrate 0.1.0 me@host', 'up', false);\nCOMMIT;\n"
        );
    }

    #[test]
    fn transaction_off_script_has_no_transaction() {
        let t = VersionTable::new(None, "v");
        let (r, s) = rev(false, "SELECT 1;\n", None);
        let sql = render_apply_sql(Dialect::Sqlite, &t, &r, &s, &row());
        assert!(sql.contains("-- transaction off"));
        assert!(!sql.contains("BEGIN") && !sql.contains("COMMIT"));
        assert!(sql.contains("SELECT 1;\nINSERT INTO \"v\""));
    }

    #[test]
    fn a_mysql_script_has_no_transaction_and_resets_the_delimiter() {
        let t = VersionTable::new(None, "v");
        let body = "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\n";
        let (r, s) = rev(true, body, None);
        let sql = render_apply_sql(Dialect::Mysql, &t, &r, &s, &row());
        assert!(
            sql.contains("-- MySQL commits each statement by itself"),
            "{sql}"
        );
        assert!(!sql.contains("BEGIN;") && !sql.contains("COMMIT;"), "{sql}");
        assert!(
            sql.contains("END//\n;\nDELIMITER ;\nINSERT INTO `v`"),
            "{sql}"
        );
        let (r, s) = rev(true, "SELECT 1;", None);
        let sql = render_apply_sql(Dialect::Mysql, &t, &r, &s, &row());
        assert!(!sql.contains("DELIMITER"), "{sql}");
    }

    #[test]
    fn revert_script_deletes_the_row_or_is_none() {
        let t = VersionTable::new(None, "v");
        let (r, s) = rev(true, "", Some("DROP TABLE x;"));
        let sql = render_revert_sql(Dialect::Postgres, &t, &r, &s).unwrap();
        assert!(sql.contains(
            "BEGIN;\nDROP TABLE x;\nDELETE FROM \"public\".\"v\" WHERE revision = 'a1';\nCOMMIT;\n"
        ));
        let (r, s) = rev(true, "", None);
        assert_eq!(render_revert_sql(Dialect::Postgres, &t, &r, &s), None);
    }

    #[test]
    fn terminated_adds_a_statement_end_only_when_needed() {
        assert_eq!(terminated("SELECT 1;  \n\n"), "SELECT 1;\n");
        assert_eq!(terminated("SELECT 1"), "SELECT 1\n;\n");
        assert_eq!(terminated("  \n"), "");
    }
}
