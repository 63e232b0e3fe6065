//! A revision that fails halfway, and a runner killed in the middle of one:
//! the revision's SQL and its version row go together or not at all.

use std::time::Duration;

use super::*;

online_test!(a_revision_failing_halfway_leaves_nothing_of_itself, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &["r1", "r2"]);
    env.put(
        "migrations_core/r3_broken.sql",
        rev_file(
            "r3",
            "r2",
            "CREATE TABLE t_r3 (id integer);\nINSERT INTO no_such_table VALUES (1);\nCREATE TABLE t_r3_after (id integer);",
            Some("DROP TABLE t_r3;"),
        )
        .as_bytes(),
    );
    env.put(
        "migrations_core/r4.sql",
        rev_file(
            "r4",
            "r3",
            "CREATE TABLE t_r4 (id integer);",
            Some("DROP TABLE t_r4;"),
        )
        .as_bytes(),
    );

    let out = env.run(&["up", "core"]);
    out.code(1)
        .output_has("r3_broken.sql")
        .output_has("no_such_table");
    // It says which revisions committed before the failure.
    out.output_has("r2");
    assert_eq!(
        applied(&db, "_migrate_core").await,
        sorted(&["r1", "r2"]),
        "{out}"
    );
    assert!(db.has_table("t_r1").await && db.has_table("t_r2").await);
    for t in ["t_r3", "t_r3_after", "t_r4"] {
        assert!(!db.has_table(t).await, "{t} must not exist\n{out}");
    }

    // Fixed, the next run goes on from there.
    env.put(
        "migrations_core/r3_broken.sql",
        rev_file(
            "r3",
            "r2",
            "CREATE TABLE t_r3 (id integer);",
            Some("DROP TABLE t_r3;"),
        )
        .as_bytes(),
    );
    env.run(&["up", "core"]).success();
    assert_eq!(
        applied(&db, "_migrate_core").await,
        sorted(&["r1", "r2", "r3", "r4"])
    );
});

/// Other sessions on the test database that are running `pg_sleep`.
async fn sleeping_sessions(db: &TestDb) -> usize {
    db.strings(
        "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep%'",
    )
    .await[0]
        .parse()
        .unwrap()
}

async fn other_sessions(db: &TestDb) -> usize {
    db.strings(
        "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid()",
    )
    .await[0]
        .parse()
        .unwrap()
}

#[tokio::test]
async fn kill_9_during_a_slow_revision_leaves_neither_its_table_nor_its_row() {
    on_postgres(concat!(module_path!(), "::kill_9"), |db| async move {
        let env = core_project(&db, "");
        write_chain(&env, "migrations_core", &["k1"]);
        // The sleep is short enough that the orphaned server session ends by
        // itself soon after the kill, so we can check what it left behind
        // once it is gone (not merely while its transaction is still open).
        env.put(
            "migrations_core/k2_slow.sql",
            rev_file(
                "k2",
                "k1",
                "CREATE TABLE t_slow (id integer);\nSELECT pg_sleep(4);",
                Some("DROP TABLE t_slow;"),
            )
            .as_bytes(),
        );

        let mut child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_until(
            "the slow revision to start",
            Duration::from_secs(30),
            || async { sleeping_sessions(&db).await == 1 },
        )
        .await;
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success());

        assert!(!db.has_table("t_slow").await);
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["k1"]));
        // Once the orphaned session has finished and gone: still nothing.
        wait_until(
            "the killed runner's session to end",
            Duration::from_secs(30),
            || async { other_sessions(&db).await == 0 },
        )
        .await;
        assert!(
            !db.has_table("t_slow").await,
            "the killed revision's table was committed"
        );
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["k1"]));

        env.run(&["up", "core"]).success();
        assert!(db.has_table("t_slow").await);
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["k1", "k2"]));
    })
    .await;
}

#[tokio::test]
async fn kill_9_during_a_slow_sqlite_revision_rolls_it_back() {
    on_sqlite(|db| async move {
        let env = core_project(&db, "");
        write_chain(&env, "migrations_core", &["k1"]);
        env.run(&["up", "core"]).success();
        // A long computation after a CREATE TABLE, in the same transaction.
        env.put(
            "migrations_core/k2_slow.sql",
            rev_file(
                "k2",
                "k1",
                "CREATE TABLE t_slow (id integer);\n\
                 WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) \
                 SELECT count(*) FROM c;",
                Some("DROP TABLE t_slow;"),
            )
            .as_bytes(),
        );
        let file = db.sqlite_path().unwrap();
        let journal = file.with_file_name("app.db-journal");
        let wal = file.with_file_name("app.db-wal");
        let mut child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        // The write transaction has started once SQLite keeps a journal
        // (rollback journal or a non-empty WAL).
        wait_until("k2 to start writing", Duration::from_secs(30), || async {
            journal.exists() || std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0)
        })
        .await;
        child.kill().unwrap();
        assert!(!child.wait().unwrap().success());

        assert!(!db.has_table("t_slow").await, "the killed revision's table survived");
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["k1"]));

        // The next run (quick this time) completes: no stale lock, no stale state.
        env.put(
            "migrations_core/k2_slow.sql",
            rev_file("k2", "k1", "CREATE TABLE t_slow (id integer);", Some("DROP TABLE t_slow;"))
                .as_bytes(),
        );
        env.run(&["up", "core"]).success();
        assert!(db.has_table("t_slow").await);
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["k1", "k2"]));
    })
    .await;
}
