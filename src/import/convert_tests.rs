use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;
use crate::import::record::Listed;
use crate::revision::{ParseErrorKind, RevisionId, checksum};

fn id(s: &str) -> RevisionId {
    RevisionId::new(s).unwrap()
}

fn listed() -> Listed {
    Listed {
        id: "b81b37c902f4".to_owned(),
        down_revision: vec!["ff5bae87a49f".to_owned()],
        branch_labels: vec!["reports".to_owned()],
        depends_on: vec!["e3e431297c44".to_owned()],
        message: "drop portfolios notes".to_owned(),
        create_date: Some("2024-02-20 13:20:00.000000+01:00".to_owned()),
        location: Some(PathBuf::from("/app/alembic/versions")),
        path: "b81b37c902f4_drop_portfolios_notes.py".to_owned(),
        engines: Vec::new(),
    }
}

fn planned(listed: &Listed) -> Planned<'_> {
    Planned {
        listed,
        id: id(&listed.id),
        parents: listed.down_revision.iter().map(|p| id(p)).collect(),
        depends_on: listed.depends_on.iter().map(|p| id(p)).collect(),
        labels: listed.branch_labels.clone(),
        path: PathBuf::from("x.sql"),
    }
}

fn rendered(up: Result<&str, &str>, down: Result<&str, &str>) -> Rendered {
    Rendered {
        id: "b81b37c902f4".to_owned(),
        autocommit_block: false,
        upgrade_sql: up.ok().map(str::to_owned),
        upgrade_error: up.err().map(str::to_owned),
        upgrade_source: up
            .err()
            .map(|_| "def upgrade():\n    rows = op.get_bind().execute(q).all()\n".to_owned()),
        downgrade_sql: down.ok().map(str::to_owned),
        downgrade_error: down.err().map(str::to_owned),
    }
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

fn file(up: Result<&str, &str>, down: Result<&str, &str>) -> ImportedFile {
    convert(
        &planned(&listed()),
        &rendered(up, down),
        SqlDialect::Postgresql,
    )
}

#[test]
fn a_rendered_revision_is_the_spec_layout() {
    let f = file(
        Ok("ALTER TABLE portfolios DROP COLUMN notes;\n\n"),
        Ok("ALTER TABLE portfolios ADD COLUMN notes TEXT;\n\n"),
    );
    assert_eq!(
        f.text,
        "-- migrate:revision b81b37c902f4\n\
         -- migrate:parents ff5bae87a49f\n\
         -- migrate:message drop portfolios notes\n\
         -- migrate:created 2024-02-20T12:20:00Z\n\
         -- migrate:labels reports\n\
         -- migrate:depends-on e3e431297c44\n\
         \n\
         -- migrate:up\n\
         ALTER TABLE portfolios DROP COLUMN notes;\n\
         \n\
         -- migrate:down\n\
         ALTER TABLE portfolios ADD COLUMN notes TEXT;\n"
    );
    assert_eq!(
        (f.needs_sql, f.irreversible, f.transactional),
        (None, None, true)
    );
    let (rev, sql) = parse(Path::new("x.sql"), f.text.as_bytes()).unwrap();
    assert_eq!(
        rev.checksum,
        checksum("ALTER TABLE portfolios DROP COLUMN notes;\n\n")
    );
    assert_eq!(
        sql.down.as_deref(),
        Some("ALTER TABLE portfolios ADD COLUMN notes TEXT;\n")
    );
}

#[test]
fn an_autocommit_block_runs_the_revision_outside_a_transaction() {
    let mut r = rendered(
        Ok("CREATE INDEX CONCURRENTLY i ON t (x);\n\n"),
        Ok("DROP INDEX CONCURRENTLY i;\n\n"),
    );
    r.autocommit_block = true;
    let f = convert(&planned(&listed()), &r, SqlDialect::Postgresql);
    assert!(
        f.text.contains("\n-- migrate:transaction off\n"),
        "{}",
        f.text
    );
    let (rev, _) = parse(Path::new("x.sql"), f.text.as_bytes()).unwrap();
    assert!(!rev.transactional);
}

#[test]
fn a_downgrade_that_raises_leaves_no_down_section() {
    let f = file(
        Ok("DROP TABLE t;\n\n"),
        Err("line 26: NotImplementedError: gone"),
    );
    let (rev, sql) = parse(Path::new("x.sql"), f.text.as_bytes()).unwrap();
    assert!(!rev.reversible && sql.down.is_none());
    assert!(
        sql.up
            .starts_with("DROP TABLE t;\n\n-- migrate import: no down section"),
        "{}",
        sql.up
    );
    assert!(
        sql.up
            .contains("--   Alembic's downgrade() raised: line 26: NotImplementedError: gone\n")
    );
    assert_eq!(
        f.irreversible.as_deref(),
        Some("Alembic's downgrade() raised: line 26: NotImplementedError: gone")
    );
}

#[test]
fn an_empty_downgrade_is_irreversible_unless_upgrade_is_empty_too() {
    let f = file(Ok("DROP TABLE t;\n\n"), Ok(""));
    assert!(f.irreversible.unwrap().contains("emits no SQL"));
    assert!(!has_line(&f.text, "-- migrate:down"));

    let merge = file(Ok(""), Ok("\n"));
    assert_eq!(merge.irreversible, None);
    let (rev, sql) = parse(Path::new("x.sql"), merge.text.as_bytes()).unwrap();
    assert!(rev.reversible);
    assert_eq!(
        &*sql.up,
        "-- Alembic's upgrade() emits no SQL for PostgreSQL.\n\n"
    );
    assert_eq!(
        sql.down.as_deref(),
        Some("-- Alembic's downgrade() emits no SQL for PostgreSQL.\n")
    );
}

#[test]
fn an_unrenderable_upgrade_gives_a_file_that_check_rejects_until_its_sql_is_written() {
    let reason = "line 23: it reads rows through op.get_bind()";
    let f = file(Err(reason), Ok("UPDATE currencies SET label = NULL;\n\n"));
    assert_eq!(f.needs_sql.as_deref(), Some(reason));
    assert!(!has_line(&f.text, "-- migrate:up"), "{}", f.text);
    assert!(
        f.text
            .contains("--     def upgrade():\n--         rows = op.get_bind().execute(q).all()\n"),
        "{}",
        f.text
    );
    let err = parse(Path::new("x.sql"), f.text.as_bytes()).unwrap_err();
    assert_eq!(err.line, 8, "{err}");
    assert!(matches!(&err.kind, ParseErrorKind::NotADirective { text } if text == NEEDS_SQL_LINE));
    assert!(
        err.to_string()
            .contains("write the SQL of this revision by hand")
    );

    // What a person does: an up line above the comments, the SQL below it.
    let filled = f.text.replace(
        NEEDS_SQL_LINE,
        &format!("-- migrate:up\nUPDATE currencies SET label = name;\n{NEEDS_SQL_LINE}"),
    );
    let (rev, sql) = parse(Path::new("x.sql"), filled.as_bytes()).unwrap();
    assert_eq!(rev.id, id("b81b37c902f4"));
    assert_eq!(rev.parents.len(), 1);
    assert!(
        sql.up
            .starts_with("UPDATE currencies SET label = name;\n-- migrate import:")
    );
    assert_eq!(
        sql.down.as_deref(),
        Some("UPDATE currencies SET label = NULL;\n")
    );
}

#[test]
fn an_unrenderable_upgrade_with_an_empty_downgrade_says_there_is_no_down() {
    let f = file(Err("line 3: CompileError: no literal"), Ok(""));
    assert!(
        f.text
            .contains("-- There is no down section:\n--   Alembic's downgrade() emits no SQL"),
        "{}",
        f.text
    );
    assert!(!has_line(&f.text, "-- migrate:down"));
}

#[test]
fn sql_holding_a_directive_line_must_be_written_by_hand() {
    let f = file(Ok("SELECT 1;\n-- migrate:down\nSELECT 2;\n\n"), Ok(""));
    assert!(
        f.needs_sql
            .unwrap()
            .contains("`-- migrate:up` or `-- migrate:down` line")
    );
    let f = file(Ok("SELECT 1;\n-- migrate:parents x\n\n"), Ok(""));
    assert!(
        f.needs_sql
            .unwrap()
            .contains("does not fit in a revision file")
    );
}

#[test]
fn an_unreadable_create_date_leaves_created_out() {
    let mut l = listed();
    l.create_date = Some("the day before yesterday".to_owned());
    let f = convert(
        &planned(&l),
        &rendered(Ok("SELECT 1;\n"), Ok("SELECT 2;\n")),
        SqlDialect::Sqlite,
    );
    assert_eq!(
        f.unreadable_date.as_deref(),
        Some("the day before yesterday")
    );
    assert!(!f.text.contains("migrate:created"));
}

/// SQL-ish text, directive-looking lines included now and then.
fn sql_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9 ;:'$(),*]{0,30}",
            1 => Just("-- migrate:down".to_owned()),
            1 => Just("  --migrate:up".to_owned()),
            1 => Just("-- comment".to_owned()),
        ],
        0..6,
    )
    .prop_map(|lines| lines.join("\n"))
}

proptest! {
    #[test]
    fn a_written_file_holds_the_rendered_sql_or_asks_for_it(up in sql_strategy(), down in sql_strategy()) {
        let f = file(Ok(&up), Ok(&down));
        match parse(Path::new("x.sql"), f.text.as_bytes()) {
            Ok((rev, sql)) => {
                prop_assert!(f.needs_sql.is_none());
                prop_assert_eq!(rev.id, id("b81b37c902f4"));
                if !up.trim().is_empty() {
                    prop_assert!(sql.up.starts_with(up.trim_matches(['\n', '\r']).trim_end()));
                }
            }
            Err(e) => {
                prop_assert!(f.needs_sql.is_some());
                prop_assert!(matches!(&e.kind, ParseErrorKind::NotADirective { text } if text == NEEDS_SQL_LINE), "{}", e);
            }
        }
    }
}
