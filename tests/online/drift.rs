//! The safety rules of docs/reference.md ("The version table"): a changed checksum blocks `up` until `repair`,
//! an unknown applied revision warns (fails under `--strict` and `check
//! --online`), and an applied set not closed under parents stops the run.

use super::*;

online_test!(a_changed_checksum_blocks_up_until_repair_accepts_it, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &["c1", "c2"]);
    env.run(&["up", "core"]).success();
    let old = rows(&db, "_migrate_core").await;

    // Someone edits an applied revision's up section, and adds a new one.
    env.put(
        "migrations_core/c2.sql",
        rev_file(
            "c2",
            "c1",
            "CREATE TABLE t_c2 (id integer, edited text);",
            Some("DROP TABLE t_c2;"),
        )
        .as_bytes(),
    );
    let new_sum = checksum_of(&env.path("migrations_core/c2.sql"));
    assert_ne!(new_sum, old[1].checksum);
    write_chain_after(&env, "c3", "c2");

    let out = env.run(&["up", "core"]);
    out.code(1).output_has("c2.sql");
    assert_eq!(
        rows(&db, "_migrate_core").await,
        old,
        "nothing applied\n{out}"
    );
    assert!(!db.has_table("t_c3").await);

    let out = env.run(&["verify", "core"]);
    out.code(1).stdout_has("c2").stdout_lacks("c1");

    env.run(&["repair", "core", "c2", "--applied"]).success();
    let repaired = rows(&db, "_migrate_core").await;
    assert_eq!(
        repaired[1].checksum, new_sum,
        "repair --applied records the file's checksum"
    );
    assert_eq!(repaired[0], old[0]);

    env.run(&["verify", "core"]).success();
    env.run(&["up", "core"]).success();
    assert_eq!(
        applied(&db, "_migrate_core").await,
        sorted(&["c1", "c2", "c3"])
    );
});

/// Adds revision `id` (creating `t_<id>`) on `parent`.
fn write_chain_after(env: &TestEnv, id: &str, parent: &str) {
    let up = format!("CREATE TABLE t_{id} (id integer);");
    let down = format!("DROP TABLE t_{id};");
    env.put(
        &format!("migrations_core/{id}.sql"),
        rev_file(id, parent, &up, Some(&down)).as_bytes(),
    );
}

online_test!(
    an_unknown_applied_revision_warns_and_fails_when_strict,
    |db| {
        let env = core_project(&db, "");
        write_chain(&env, "migrations_core", &["u1", "u2", "u3"]);
        env.run(&["up", "core"]).success();
        let before = rows(&db, "_migrate_core").await;

        // The code was rolled back: u3's file is gone, its row stays.
        std::fs::remove_file(env.path("migrations_core/u3.sql")).unwrap();

        let out = env.run(&["up", "core"]);
        out.success().stderr_has("u3");
        assert_eq!(rows(&db, "_migrate_core").await, before);

        let out = env.run(&["up", "core", "--strict"]);
        out.code(1).output_has("u3");
        let out = env.run(&["check", "core", "--online"]);
        out.code(1).output_has("u3");
        let out = env.run(&["verify", "core"]);
        out.code(1).stdout_has("u3");
        assert_eq!(rows(&db, "_migrate_core").await, before);
    }
);

online_test!(many_unknown_applied_revisions_make_one_warning, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &["k1"]);
    env.run(&["up", "core"]).success();
    // A newer image applied twelve revisions this code does not have.
    for i in (1..=12).rev() {
        db.exec(&format!(
            "INSERT INTO _migrate_core (revision, parents, message, checksum, method) \
             VALUES ('n{i:02}', 'k1', 'newer', '', 'up')"
        ))
        .await;
    }
    let out = env.run(&["up", "core"]);
    out.success();
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{out}");
    let line = warnings[0];
    assert!(line.contains("12 applied revisions have no file"), "{line}");
    assert!(line.contains("`n01`, `n02`"), "sorted: {line}");
    assert!(
        line.contains("`n10` and 2 more"),
        "capped with the count: {line}"
    );
    let out = env.run(&["status", "core"]);
    let warnings = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .count();
    assert_eq!(warnings, 1, "{out}");
});

online_test!(an_applied_child_without_its_parent_stops_the_run, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &["p1", "p2", "p3"]);
    env.run(&["up", "core", "--to", "p1"]).success();
    let sum = checksum_of(&env.path("migrations_core/p3.sql"));
    db.exec(&format!(
        "INSERT INTO _migrate_core (revision, parents, message, checksum, method) \
         VALUES ('p3', 'p2', 'revision p3', '{sum}', 'up')"
    ))
    .await;

    let out = env.run(&["up", "core"]);
    out.code(1).output_has("p3").output_has("p2");
    assert_eq!(
        applied(&db, "_migrate_core").await,
        sorted(&["p1", "p3"]),
        "{out}"
    );
    assert!(!db.has_table("t_p2").await, "p2 must not run\n{out}");
});

online_test!(
    a_re_parented_applied_revision_is_reported_with_both_parent_lists,
    |db| {
        let env = core_project(&db, "");
        write_chain(&env, "migrations_core", &["x1"]);
        write_chain(&env, "migrations_core", &["x2"]);
        env.put(
            "migrations_core/x3.sql",
            rev_file("x3", "x1", "CREATE TABLE t_x3 (id integer);", None).as_bytes(),
        );
        env.run(&["up", "core", "--to", "heads"]).success();
        // x3 moves onto x2 after it ran (a header edit: same checksum).
        env.put(
            "migrations_core/x3.sql",
            rev_file("x3", "x2", "CREATE TABLE t_x3 (id integer);", None).as_bytes(),
        );
        for args in [
            &["verify", "core"][..],
            &["status", "core"],
            &["check", "core", "--online"],
        ] {
            let out = env.run(args);
            let warning = out
                .stdout
                .lines()
                .chain(out.stderr.lines())
                .find(|l| l.contains("x3") && l.contains("x1") && l.contains("x2"));
            assert!(
                warning.is_some(),
                "a line names x3 and both parent lists\n{out}"
            );
        }
    }
);
