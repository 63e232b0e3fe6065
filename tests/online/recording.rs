//! What the version table records is exactly what the files and the
//! environment say: values are bound, never pasted into SQL text.

use super::*;

/// Every character that quoting gets wrong somewhere.
const MESSAGE: &str = r#"it's a \ "test" $$ -- ; ü"#;

fn revision_with_message(message: &str) -> String {
    format!(
        "-- migrate:revision m1\n-- migrate:message {message}\n\n-- migrate:up\nCREATE TABLE t_m1 (id integer);\n"
    )
}

online_test!(a_message_and_a_user_are_recorded_byte_for_byte, |db| {
    let env = core_project(&db, "");
    env.put(
        "migrations_core/m1_quoted.sql",
        revision_with_message(MESSAGE).as_bytes(),
    );
    env.run_with(&["up", "core"], &[("USER", "o'brien")])
        .success();
    let recorded = rows(&db, "_migrate_core").await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].message, MESSAGE);
    assert!(
        recorded[0].applied_by.contains(" o'brien@"),
        "{:?}",
        recorded[0].applied_by
    );
    // A stamp writes the same values the same way.
    let env2 =
        core_project(&db, "").config(&core_config("").replace("\"migrations_core\"", "\"other\""));
    env2.put(
        "other/m1_quoted.sql",
        revision_with_message(MESSAGE).as_bytes(),
    );
    db.exec("DROP TABLE _migrate_core").await;
    env2.run_with(&["stamp", "core", "m1"], &[("USER", "o'brien")])
        .success();
    assert_eq!(rows(&db, "_migrate_core").await[0].message, MESSAGE);
});

online_test!(
    a_nul_in_a_message_is_stored_or_refused_before_anything_runs,
    |db| {
        let env = core_project(&db, "");
        env.put(
            "migrations_core/m1_nul.sql",
            revision_with_message("before\0after").as_bytes(),
        );
        let out = env.run(&["up", "core"]);
        match db.dialect {
            Dialect::Postgres => {
                out.code(2)
                    .stderr_has("revision `m1` (`migrations_core/m1_nul.sql`) cannot be recorded")
                    .stderr_has("NUL character");
                assert!(!db.has_table("t_m1").await, "nothing ran");
                assert!(!db.has_table("_migrate_core").await, "nothing was created");
                // `sql` refuses it the same way.
                env.run(&["sql", "core", "--to", "head"])
                    .code(2)
                    .stderr_has("NUL character");
            }
            Dialect::Sqlite => {
                out.success();
                assert_eq!(rows(&db, "_migrate_core").await[0].message, "before\0after");
            }
            Dialect::Mysql => panic!("not run on MySQL"),
        }
    }
);

/// The first `error:` line and the lines after it, as `up` and `sql` print them.
fn error_text(stderr: &str) -> String {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("error:"))
        .collect::<Vec<_>>()
        .join("\n")
}

online_test!(sql_refuses_what_up_refuses_with_the_same_words, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &["a1", "a2"]);
    env.run(&["up", "core", "--to", "a1"]).success();

    // A changed checksum.
    let path = "migrations_core/a1.sql";
    let edited = env
        .read(path)
        .replace("CREATE TABLE t_a1", "CREATE TABLE t_a1_edited");
    env.put(path, edited.as_bytes());
    let up = env.run(&["up", "core"]);
    up.code(1)
        .stderr_has("changed after revision `a1` was applied");
    let sql = env.run(&["sql", "core", "--to", "head"]);
    sql.code(1).stdout_empty();
    assert_eq!(error_text(&sql.stderr), error_text(&up.stderr));
    env.run(&["repair", "core", "a1", "--applied"]).success();

    // An applied revision the files do not have, under --strict.
    db.exec(
        "INSERT INTO _migrate_core (revision, parents, message, checksum, applied_by, method) \
         VALUES ('zz9', 'a1', 'from a newer image', '', 'x', 'up')",
    )
    .await;
    let up = env.run(&["--strict", "up", "core"]);
    up.code(1).stderr_has("`zz9`");
    let sql = env.run(&["--strict", "sql", "core", "--to", "head"]);
    sql.code(1).stdout_empty();
    assert_eq!(error_text(&sql.stderr), error_text(&up.stderr));
    // Without --strict both go on (with a warning), and `sql` prints a2.
    env.run(&["sql", "core", "--to", "head"])
        .success()
        .stdout_has("-- revision a2 (up)")
        .stderr_has("`zz9`");
});

online_test!(sql_refuses_a_dirty_database_as_up_does, |db| {
    let env = core_project(&db, "");
    env.put(
        "migrations_core/d1.sql",
        rev_file_no_tx(
            "d1",
            "",
            "CREATE TABLE t_d1 (id integer);\nSELECT * FROM no_such_table;",
            None,
        )
        .as_bytes(),
    );
    env.put(
        "migrations_core/d2.sql",
        rev_file("d2", "d1", "CREATE TABLE t_d2 (id integer);", None).as_bytes(),
    );
    env.run(&["up", "core"]).code(1);
    let up = env.run(&["up", "core"]);
    up.code(1).stderr_has("left the database dirty");
    let sql = env.run(&["sql", "core", "--to", "head"]);
    sql.code(1).stdout_empty();
    assert_eq!(error_text(&sql.stderr), error_text(&up.stderr));
});
