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
