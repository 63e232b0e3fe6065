//! State that does not add up (item 6): a version table made by another
//! tool, with a column missing or of another type. `up`, `status`,
//! `verify`, `current` and `check --online` each refuse, naming the
//! database, the table, the column and what to do, and nothing runs. (Unknown applied revisions, an applied child
//! without its parent and a dirty revision are in `tests/online/`.)

use super::*;
use crate::harness::env::{Output, TestEnv};
use crate::online::{core_project, online_test, write_chain};
use migrate::driver::Dialect;

/// The version table as another tool would have made it, with `column`'s
/// definition replaced (`None`: left out), and one row in it.
fn foreign_table(dialect: Dialect, column: &str, replacement: Option<&str>) -> String {
    let timestamp = match dialect {
        Dialect::Mysql => panic!("not run on MySQL"),
        Dialect::Postgres => "timestamptz",
        Dialect::Sqlite => "text",
    };
    let boolean = match dialect {
        Dialect::Mysql => panic!("not run on MySQL"),
        Dialect::Postgres => "boolean",
        Dialect::Sqlite => "integer",
    };
    let columns = [
        ("revision", "text PRIMARY KEY".to_owned()),
        ("parents", "text".to_owned()),
        ("message", "text".to_owned()),
        ("checksum", "text".to_owned()),
        ("applied_at", timestamp.to_owned()),
        ("duration_ms", "bigint".to_owned()),
        ("applied_by", "text".to_owned()),
        ("method", "text".to_owned()),
        ("dirty", boolean.to_owned()),
    ];
    let defs: Vec<String> = columns
        .iter()
        .filter_map(|(name, ty)| {
            if *name == column {
                replacement.map(|r| format!("{name} {r}"))
            } else {
                Some(format!("{name} {ty}"))
            }
        })
        .collect();
    format!(
        "CREATE TABLE _migrate_core ({});\nINSERT INTO _migrate_core (revision) VALUES ('1');",
        defs.join(", ")
    )
}

async fn assert_refused_everywhere(db: &TestDb, env: &TestEnv, column: &str, problem: &str) {
    let runs: Vec<Output> = [
        &["up", "core"][..],
        &["status", "core"],
        &["verify", "core"],
        &["current", "core"],
        &["check", "core", "--online"],
    ]
    .iter()
    .map(|args| env.run(args))
    .collect();
    for out in &runs {
        assert_ne!(out.code, 0, "{out}");
        out.output_has("_migrate_core")
            .output_has(&format!("`{column}`"))
            .output_has(problem)
            // What to do about it.
            .output_has("version_table");
    }
    eprintln!(
        "foreign version table ({column} {problem}): exit codes {:?}",
        runs.iter().map(|o| o.code).collect::<Vec<_>>()
    );
    assert!(!db.has_table("t_f1").await, "a revision ran\n{}", runs[0]);
    // The foreign table was left as it was.
    assert_eq!(
        db.strings("SELECT CAST(revision AS TEXT) FROM _migrate_core")
            .await,
        ["1"]
    );
    // The error itself says which database (docs/reference.md, "Commands and exit codes": every error message
    // does), as other errors do — not only a table row elsewhere.
    for out in &runs {
        out.stderr_has("database `core`");
    }
}

online_test!(a_version_table_missing_a_column_is_refused, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &["f1"]);
    db.exec(&foreign_table(db.dialect, "method", None)).await;
    assert_refused_everywhere(&db, &env, "method", "missing").await;
});

online_test!(
    a_version_table_with_a_column_of_another_type_is_refused,
    |db| {
        let env = core_project(&db, "");
        write_chain(&env, "migrations_core", &["f1"]);
        // A tool that numbers its versions.
        db.exec(&foreign_table(
            db.dialect,
            "revision",
            Some("bigint PRIMARY KEY"),
        ))
        .await;
        assert_refused_everywhere(&db, &env, "revision", "type").await;
    }
);

online_test!(
    a_version_table_missing_a_column_that_reads_skip_is_refused_before_writing,
    |db| {
        let env = core_project(&db, "");
        write_chain(&env, "migrations_core", &["f1"]);
        // Reads select five columns; `message` is not one of them, so only
        // a command about to write finds it missing.
        db.exec(&foreign_table(db.dialect, "message", None)).await;
        for args in [&["up", "core"][..], &["repair", "core", "1", "--forget"]] {
            let out = env.run(args);
            assert_eq!(out.code, 1, "{out}");
            out.output_has("_migrate_core")
                .output_has("`message`")
                .output_has("missing")
                .output_has("version_table");
        }
        assert!(!db.has_table("t_f1").await, "a revision ran");
        assert_eq!(
            db.strings("SELECT CAST(revision AS TEXT) FROM _migrate_core")
                .await,
            ["1"],
            "the foreign table was written to"
        );
    }
);
