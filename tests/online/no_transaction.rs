//! `-- migrate:transaction off` on PostgreSQL: `CREATE INDEX CONCURRENTLY`
//! among other statements, and a failure that leaves the revision dirty
//! until `repair`.

use super::*;

const TABLE: &str = "CREATE TABLE t_n (id integer, status text);";

async fn valid_indexes(db: &TestDb) -> Vec<String> {
    db.strings(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE c.relname LIKE 'n_idx%' AND i.indisvalid ORDER BY 1",
    )
    .await
}

#[tokio::test]
async fn concurrent_indexes_apply_and_a_failure_is_dirty_until_repair() {
    on_postgres(concat!(module_path!(), "::dirty"), |db| async move {
        let env = core_project(&db, "");
        env.put(
            "migrations_core/n1.sql",
            rev_file("n1", "", TABLE, Some("DROP TABLE t_n;")).as_bytes(),
        );
        env.put(
            "migrations_core/n2_concurrently.sql",
            rev_file_no_tx(
                "n2",
                "n1",
                "INSERT INTO t_n VALUES (1, 'open');\n\n\
                 CREATE INDEX CONCURRENTLY n_idx1 ON t_n (id);\n\n\
                 CREATE INDEX CONCURRENTLY n_idx2 ON t_n (status) WHERE status = 'open';",
                Some("DROP INDEX CONCURRENTLY n_idx2;\nDROP INDEX CONCURRENTLY n_idx1;"),
            )
            .as_bytes(),
        );
        env.run(&["up", "core"]).success();
        assert_eq!(valid_indexes(&db).await, ["n_idx1", "n_idx2"]);
        assert_eq!(db.strings("SELECT id::text FROM t_n").await, ["1"]);
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["n1", "n2"]));

        // Its second statement fails: the first has run and cannot be undone.
        let broken = "CREATE INDEX CONCURRENTLY n_idx3 ON t_n (id, status);\n\n\
                      INSERT INTO no_such_table VALUES (3);";
        env.put(
            "migrations_core/n3_broken.sql",
            rev_file_no_tx("n3", "n2", broken, None).as_bytes(),
        );
        env.put(
            "migrations_core/n4.sql",
            rev_file("n4", "n3", "CREATE TABLE t_n4 (id integer);", None).as_bytes(),
        );
        let out = env.run(&["up", "core"]);
        // It names the file, the error and the statement that failed (line 9).
        out.code(1)
            .output_has("n3_broken.sql")
            .output_has("no_such_table")
            .output_has("line 9");
        assert!(!db.has_table("t_n4").await);

        // Dirty: later runs refuse and point at `repair`.
        let out = env.run(&["up", "core"]);
        out.code(1).output_has("n3").output_has("repair");
        assert!(!db.has_table("t_n4").await);
        let out = env.run(&["status", "core"]);
        out.success().stdout_has("dirty").output_has("n3");

        // The file is fixed to be re-runnable; forget the dirty attempt and go on.
        let fixed = "CREATE INDEX CONCURRENTLY IF NOT EXISTS n_idx3 ON t_n (id, status);\n\n\
                     INSERT INTO t_n VALUES (3, 'closed');";
        env.put(
            "migrations_core/n3_broken.sql",
            rev_file_no_tx("n3", "n2", fixed, None).as_bytes(),
        );
        env.run(&["repair", "core", "n3", "--forget"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["n1", "n2"]));
        env.run(&["up", "core"]).success();
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["n1", "n2", "n3", "n4"])
        );
        assert_eq!(valid_indexes(&db).await, ["n_idx1", "n_idx2", "n_idx3"]);
        assert_eq!(
            db.strings("SELECT id::text FROM t_n ORDER BY id").await,
            ["1", "3"]
        );
        let n3 = rows(&db, "_migrate_core").await.remove(2);
        assert_eq!(
            n3.checksum,
            checksum_of(&env.path("migrations_core/n3_broken.sql"))
        );
    })
    .await;
}

online_test!(
    a_failed_transaction_off_revision_is_dirty_until_repair_applied,
    |db| {
        let env = core_project(&db, "");
        env.put(
            "migrations_core/n1.sql",
            rev_file("n1", "", TABLE, Some("DROP TABLE t_n;")).as_bytes(),
        );
        let body = "INSERT INTO t_n VALUES (1, 'first');\n\nINSERT INTO no_such_table VALUES (2);";
        env.put(
            "migrations_core/n2_half.sql",
            rev_file_no_tx("n2", "n1", body, None).as_bytes(),
        );
        write_chain_on(&env, "n3", "n2");

        let out = env.run(&["up", "core"]);
        out.code(1)
            .output_has("n2_half.sql")
            .output_has("no_such_table");
        // Its first statement ran and stays: that is what "dirty" means.
        assert_eq!(db.strings("SELECT CAST(id AS TEXT) FROM t_n").await, ["1"]);
        let out = env.run(&["up", "core"]);
        out.code(1).output_has("n2").output_has("repair");
        assert!(!db.has_table("t_n3").await);

        // The operator finishes the work by hand and marks it applied.
        db.exec("CREATE TABLE no_such_table (id integer); INSERT INTO no_such_table VALUES (2);")
            .await;
        env.run(&["repair", "core", "n2", "--applied"]).success();
        let n2 = rows(&db, "_migrate_core").await.remove(1);
        assert_eq!(n2.revision, "n2");
        assert_eq!(
            n2.checksum,
            checksum_of(&env.path("migrations_core/n2_half.sql"))
        );
        env.run(&["verify", "core"]).success();
        env.run(&["up", "core"]).success();
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["n1", "n2", "n3"])
        );
        assert_eq!(
            db.strings("SELECT CAST(id AS TEXT) FROM t_n").await,
            ["1"],
            "n2 did not run again"
        );
    }
);

fn write_chain_on(env: &TestEnv, id: &str, parent: &str) {
    let up = format!("CREATE TABLE t_{id} (id integer);");
    env.put(
        &format!("migrations_core/{id}.sql"),
        rev_file(id, parent, &up, None).as_bytes(),
    );
}

#[tokio::test]
async fn kill_9_during_a_transaction_off_revision_leaves_it_dirty() {
    on_postgres(concat!(module_path!(), "::kill"), |db| async move {
        let env = core_project(&db, "");
        env.put(
            "migrations_core/n1_slow.sql",
            rev_file_no_tx(
                "n1",
                "",
                "CREATE TABLE t_n (id integer);\n\nSELECT pg_sleep(4);\n\nCREATE TABLE t_n_after (id integer);",
                None,
            )
            .as_bytes(),
        );
        let mut child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_until("the sleep to start", std::time::Duration::from_secs(30), || async {
            db.strings(
                "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep%'",
            )
            .await
                == ["1"]
        })
        .await;
        child.kill().unwrap();
        assert!(!child.wait().unwrap().success());

        // Its first statement committed on its own; the run cannot tell how
        // far it got, so the revision must be dirty, not silently re-run.
        assert!(db.has_table("t_n").await);
        let out = env.run(&["up", "core"]);
        out.code(1).output_has("n1").output_has("repair");
        assert!(!db.has_table("t_n_after").await, "{out}");
    })
    .await;
}
