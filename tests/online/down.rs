//! `down`: to `base`, by relative steps, and stopped up front by an
//! irreversible revision.

use super::*;

const CHAIN: [&str; 3] = ["d1", "d2", "d3"];

async fn tables_left(db: &TestDb) -> Vec<&'static str> {
    let mut left = Vec::new();
    for t in ["t_d1", "t_d2", "t_d3"] {
        if db.has_table(t).await {
            left.push(t);
        }
    }
    left
}

online_test!(down_to_base_reverts_everything, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &CHAIN);
    env.run(&["up", "core"]).success();
    assert_eq!(tables_left(&db).await.len(), 3);
    let before = rows(&db, "_migrate_core").await;

    // --dry-run lists what would be reverted, children first, and changes nothing.
    let out = env.run(&["down", "core", "--to", "base", "--dry-run"]);
    out.success();
    let at = |id: &str| {
        out.stdout
            .find(id)
            .unwrap_or_else(|| panic!("{id} not listed\n{out}"))
    };
    assert!(
        at("d3") < at("d2") && at("d2") < at("d1"),
        "children first\n{out}"
    );
    assert_eq!(rows(&db, "_migrate_core").await, before);
    assert_eq!(tables_left(&db).await.len(), 3);

    env.run(&["down", "core", "--to", "base"]).success();
    assert!(applied(&db, "_migrate_core").await.is_empty());
    assert!(tables_left(&db).await.is_empty());
    env.run(&["current", "core"]).success().stdout_lacks("d1");

    // And up again from nothing.
    env.run(&["up", "core"]).success();
    assert_eq!(applied(&db, "_migrate_core").await, sorted(&CHAIN));
});

online_test!(down_to_minus_one_reverts_one_revision_at_a_time, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &CHAIN);
    env.run(&["up", "core"]).success();

    env.run(&["down", "core", "--to", "-1"]).success();
    assert_eq!(applied(&db, "_migrate_core").await, sorted(&["d1", "d2"]));
    assert_eq!(tables_left(&db).await, ["t_d1", "t_d2"]);
    env.run(&["down", "core", "--to", "-1"]).success();
    assert_eq!(applied(&db, "_migrate_core").await, sorted(&["d1"]));
    // From the first revision, -1 means base: it reverts it.
    env.run(&["down", "core", "--to", "-1"]).success();
    assert!(applied(&db, "_migrate_core").await.is_empty());
    assert!(tables_left(&db).await.is_empty());
});

online_test!(
    an_irreversible_revision_in_the_way_stops_down_before_anything_runs,
    |db| {
        let env = core_project(&db, "");
        env.put(
            "migrations_core/d1.sql",
            rev_file(
                "d1",
                "",
                "CREATE TABLE t_d1 (id integer);",
                Some("DROP TABLE t_d1;"),
            )
            .as_bytes(),
        );
        env.put(
            "migrations_core/d2_irreversible.sql",
            rev_file("d2", "d1", "CREATE TABLE t_d2 (id integer);", None).as_bytes(),
        );
        env.put(
            "migrations_core/d3.sql",
            rev_file(
                "d3",
                "d2",
                "CREATE TABLE t_d3 (id integer);",
                Some("DROP TABLE t_d3;"),
            )
            .as_bytes(),
        );
        env.run(&["up", "core"]).success();
        let before = rows(&db, "_migrate_core").await;

        let out = env.run(&["down", "core", "--to", "base"]);
        out.code(1).output_has("d2");
        assert_eq!(
            rows(&db, "_migrate_core").await,
            before,
            "nothing reverted\n{out}"
        );
        assert_eq!(
            tables_left(&db).await,
            ["t_d1", "t_d2", "t_d3"],
            "d3 was reverted\n{out}"
        );

        // Down to the irreversible revision itself is fine: only d3 goes.
        env.run(&["down", "core", "--to", "d2"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["d1", "d2"]));
        assert_eq!(tables_left(&db).await, ["t_d1", "t_d2"]);
    }
);

online_test!(down_to_the_applied_head_or_an_unapplied_target, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &CHAIN);
    env.run(&["up", "core", "--to", "d2"]).success();
    let before = rows(&db, "_migrate_core").await;

    // Nothing applied descends from d2: it says so, changes nothing, exits 0.
    let out = env.run(&["down", "core", "--to", "d2"]);
    out.success();
    assert_eq!(rows(&db, "_migrate_core").await, before, "{out}");
    // d3 is not applied: an error.
    let out = env.run(&["down", "core", "--to", "d3"]);
    out.code(1).output_has("d3");
    assert_eq!(rows(&db, "_migrate_core").await, before, "{out}");
    assert_eq!(tables_left(&db).await, ["t_d1", "t_d2"]);
});
