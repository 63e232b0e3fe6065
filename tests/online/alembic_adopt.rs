//! A database that Alembic manages: the guard that stops `up`, `down` and
//! `stamp` from treating it as empty, `status` saying so, and `stamp
//! --from-alembic` adopting it. `alembic_version` is made here with
//! Alembic's own DDL; the tests in `tests/alembic/` use real Alembic.

use super::*;

/// What Alembic creates and writes (`alembic.runtime.migration`).
fn alembic_version(heads: &[&str]) -> String {
    let mut sql =
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);\n".to_owned();
    for h in heads {
        sql += &format!("INSERT INTO alembic_version (version_num) VALUES ('{h}');\n");
    }
    sql
}

/// a1 <- a2 <- a3, and b1 on a1 (two heads: a3, b1).
fn two_chains(env: &TestEnv) {
    write_chain(env, "migrations_core", &["a1", "a2", "a3"]);
    env.put(
        "migrations_core/b1.sql",
        rev_file(
            "b1",
            "a1",
            "CREATE TABLE t_b1 (id integer);",
            Some("DROP TABLE t_b1;"),
        )
        .as_bytes(),
    );
}

online_test!(up_down_and_stamp_refuse_a_database_alembic_manages, |db| {
    let env = core_project(&db, "");
    two_chains(&env);
    db.exec(&alembic_version(&["a2"])).await;
    for args in [
        &["up", "core", "--to", "heads"][..],
        &["up", "core", "--to", "heads", "--dry-run"],
        &["down", "core", "--to", "base"],
        &["stamp", "core", "a3"],
        &["sql", "core", "--to", "heads"],
    ] {
        env.run(args)
            .code(1)
            .stderr_has("database `core` is managed by Alembic")
            .stderr_has("`a2`")
            .stderr_has("migrate stamp core --from-alembic");
    }
    assert!(!db.has_table("_migrate_core").await, "nothing was created");
    assert!(!db.has_table("t_a1").await, "nothing ran");
    env.run(&["status", "core"])
        .success()
        .stdout_has("managed by Alembic");
    let json = env.run(&["status", "core", "--format", "json"]).json();
    assert_eq!(json["core"]["state"], "managed by Alembic");
    // An empty alembic_version is no history: `up` may build the database.
    db.exec("DELETE FROM alembic_version").await;
    env.run(&["up", "core", "--to", "a1"]).success();
});

online_test!(
    stamp_from_alembic_records_the_heads_and_what_they_need,
    |db| {
        let env = core_project(&db, "");
        two_chains(&env);
        // Alembic brought the database to one chain's head.
        for id in ["a1", "a2", "a3"] {
            db.exec(&format!("CREATE TABLE t_{id} (id integer)")).await;
        }
        db.exec(&alembic_version(&["a3"])).await;
        env.run(&["stamp", "core", "--from-alembic"])
            .success()
            .stdout_has("stamped 3 revisions");
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["a1", "a2", "a3"])
        );
        assert!(
            rows(&db, "_migrate_core")
                .await
                .iter()
                .all(|r| r.method == "stamp")
        );
        // Alembic's table is left as it was: going back stays possible.
        assert_eq!(
            db.strings("SELECT version_num FROM alembic_version").await,
            ["a3"]
        );
        // Then `up` applies the other chain only.
        env.run(&["up", "core", "--to", "heads"]).success();
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["a1", "a2", "a3", "b1"])
        );
        assert!(db.has_table("t_b1").await);
        // A second adoption changes nothing.
        env.run(&["stamp", "core", "--from-alembic"])
            .success()
            .stdout_has("nothing to stamp");
    }
);

online_test!(stamp_from_alembic_refuses_what_it_cannot_adopt, |db| {
    let env = core_project(&db, "");
    two_chains(&env);
    env.run(&["stamp", "core", "--from-alembic"])
        .code(1)
        .stderr_has("has no `alembic_version` table");
    db.exec(&alembic_version(&[])).await;
    env.run(&["stamp", "core", "--from-alembic"])
        .code(1)
        .stderr_has("`alembic_version` is empty");
    db.exec("INSERT INTO alembic_version VALUES ('a2'), ('ffee00')")
        .await;
    env.run(&["stamp", "core", "--from-alembic"])
        .code(1)
        .stderr_has("names `ffee00`, which no revision file defines");
    assert!(!db.has_table("_migrate_core").await, "nothing was recorded");
    // Another table name, as env.py's `version_table=` would give.
    db.exec("ALTER TABLE alembic_version RENAME TO core_versions")
        .await;
    db.exec("DELETE FROM core_versions WHERE version_num = 'ffee00'")
        .await;
    env.run(&[
        "stamp",
        "core",
        "--from-alembic",
        "--alembic-table",
        "core_versions",
    ])
    .success();
    assert_eq!(applied(&db, "_migrate_core").await, sorted(&["a1", "a2"]));
    env.run(&["stamp", "core", "a3", "--alembic-table", "x"])
        .code(2);
});
