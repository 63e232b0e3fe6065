//! Every command on MariaDB, and `up --all` mixing PostgreSQL, SQLite and
//! MariaDB databases in one project.

use std::time::{Duration, Instant};

use super::*;
use crate::online::{rev_file, rows, write_chain};

#[tokio::test]
async fn every_command_works_on_mariadb() {
    on_mysql(concat!(module_path!(), "::every"), |db| async move {
        let env = project(&db, "lock_timeout = \"10s\"");
        write_chain(&env, "migrations_core", &["c1", "c2", "c3"]);

        // Read-only commands create nothing.
        let json = env.run(&["status", "core", "--format", "json"]).json();
        assert_eq!(json["core"]["pending"], serde_json::json!(3), "{json}");
        env.run(&["check", "core", "--online"])
            .code(1)
            .output_has("c1");
        // Every MySQL revision runs outside a transaction, and the plan says so.
        env.run(&["up", "core", "--dry-run"])
            .success()
            .stdout_has("c1")
            .stdout_has("c3")
            .stdout_has("[no transaction]");
        let plan = env
            .run(&["up", "core", "--dry-run", "--format", "json"])
            .json();
        assert_eq!(plan["core"]["pending"][0]["transaction"], false, "{plan}");
        // The drift report does not read MySQL yet: said plainly, exit 2.
        env.run(&["verify", "core", "--schema"])
            .code(2)
            .output_has("does not read MySQL");
        env.run(&["current", "core"]).success();
        assert!(!db.has_table("_migrate_core").await);

        env.run(&["up", "core", "--to", "c2"]).success();
        env.run(&["current", "core"]).success().stdout_has("c2");
        let history = env.run(&["history", "core", "--applied"]);
        history.success();
        let applied_lines: Vec<&str> = history
            .stdout
            .lines()
            .filter(|l| l.contains("(applied)"))
            .collect();
        assert_eq!(applied_lines.len(), 2, "{history}");
        env.run(&["verify", "core"]).success();

        // `sql` prints what `up` would run, as a MySQL script.
        let sql = env.run(&["sql", "core", "--to", "head"]);
        sql.success()
            .stdout_has("CREATE TABLE t_c3")
            .stdout_has("INSERT INTO `_migrate_core`")
            .stdout_has("MySQL commits each statement by itself")
            .stdout_lacks("BEGIN;")
            .stdout_lacks("t_c1");

        // An edited file: `verify` and `up` stop until `repair --applied`.
        env.put(
            "migrations_core/c1.sql",
            rev_file("c1", "", "CREATE TABLE t_c1 (id bigint);", None).as_bytes(),
        );
        env.run(&["verify", "core"]).code(1).output_has("c1");
        env.run(&["up", "core"]).code(1).output_has("c1");
        env.run(&["repair", "core", "c1", "--applied"]).success();
        env.run(&["verify", "core"]).success();
        env.run(&["check", "core", "--online"])
            .code(1)
            .output_has("c3");
        env.run(&["up", "core"]).success();
        env.run(&["check", "core", "--online"]).success();

        // `stamp` adds rows, `--purge` starts again.
        env.run(&["down", "core", "--to", "c2"]).success();
        assert!(!db.has_table("t_c3").await);
        env.run(&["stamp", "core", "c3"]).success();
        let stamped = rows(&db, "_migrate_core").await;
        let c3 = stamped.iter().find(|r| r.revision == "c3").unwrap();
        assert_eq!((c3.method.as_str(), c3.dirty), ("stamp", false));
        assert!(!db.has_table("t_c3").await, "stamp ran SQL");
        env.run(&["stamp", "core", "c1", "--purge"]).success();
        assert_eq!(db.version_rows().await, ["c1:0"]);
        env.run(&["status", "core"])
            .success()
            .stdout_has("mysql://");
    })
    .await;
}

#[tokio::test]
async fn read_only_commands_answer_while_an_operator_holds_the_lock() {
    on_mysql(concat!(module_path!(), "::read_only"), |db| async move {
        let env = project(&db, "lock_timeout = \"10s\"");
        write_chain(&env, "migrations_core", &["o1"]);
        env.run(&["up", "core"]).success();
        write_chain(&env, "migrations_core", &["o1", "o2"]);
        let (operator, _) = hold_lock(&db).await;

        let start = Instant::now();
        env.run(&["check", "core", "--online"])
            .code(1)
            .output_has("o2");
        let json = env.run(&["status", "core", "--format", "json"]).json();
        assert_eq!(json["core"]["current"], serde_json::json!(["o1"]));
        env.run(&["current", "core"]).success();
        env.run(&["verify", "core"]).success();
        env.run(&["history", "core", "--applied"]).success();
        env.run(&["up", "core", "--dry-run"])
            .success()
            .stdout_has("o2");
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "read-only commands took {took:?}: did they wait for the lock (10s)?"
        );
        drop(operator);
    })
    .await;
}

const MIXED_CONFIG: &str = r#"[settings]
lock_timeout = "10s"

[databases.core]
url_env = "CORE_URL"
migrations = "migrations_core"

[databases.ai]
url_env = "AI_URL"
migrations = "migrations_ai"
after = ["core"]

[databases.local]
url_env = "LOCAL_URL"
migrations = "migrations_local"
"#;

#[tokio::test]
async fn up_all_mixes_postgres_sqlite_and_mariadb() {
    on_mysql(concat!(module_path!(), "::mixed"), |my| async move {
        let Some(pg) = TestDb::postgres(concat!(module_path!(), "::mixed_pg")).await else {
            return;
        };
        pg.run(|pg| async move {
            let lite = TestDb::sqlite();
            let env = TestEnv::new()
                .config(MIXED_CONFIG)
                .env("CORE_URL", &pg.url)
                .env("AI_URL", &my.url)
                .env("LOCAL_URL", &lite.url);
            write_chain(&env, "migrations_core", &["p1", "p2"]);
            write_chain(&env, "migrations_ai", &["m1", "m2", "m3"]);
            write_chain(&env, "migrations_local", &["s1"]);

            let out = env.run(&["up", "--all"]);
            out.success();
            assert_eq!(
                rows(&pg, "_migrate_core").await.len(),
                2,
                "PostgreSQL\n{out}"
            );
            let ai: Vec<String> = rows(&my, "_migrate_ai")
                .await
                .into_iter()
                .map(|r| r.revision)
                .collect();
            assert_eq!(ai, ["m1", "m2", "m3"], "MariaDB\n{out}");
            assert_eq!(
                rows(&lite, "_migrate_local").await.len(),
                1,
                "SQLite\n{out}"
            );
            assert!(my.has_table("t_m3").await && pg.has_table("t_p2").await);

            let json = env.run(&["status", "--all", "--format", "json"]).json();
            assert_eq!(json["ai"]["current"], serde_json::json!(["m3"]), "{json}");
            assert_eq!(json["core"]["current"], serde_json::json!(["p2"]));
            assert_eq!(json["local"]["current"], serde_json::json!(["s1"]));
            env.run(&["up", "--all"]).success();
            env.run(&["check", "--all", "--online"]).success();
            drop(lite);
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_database_alembic_manages_is_refused_then_adopted() {
    on_mysql(concat!(module_path!(), "::alembic"), |db| async move {
        let env = project(&db, "");
        write_chain(&env, "migrations_core", &["a1", "a2", "a3"]);
        // What Alembic creates on MySQL.
        db.exec(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
             CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
             INSERT INTO alembic_version (version_num) VALUES ('a2')",
        )
        .await;
        env.run(&["up", "core"])
            .code(1)
            .stderr_has("managed by Alembic")
            .stderr_has("migrate stamp core --from-alembic");
        assert!(!db.has_table("_migrate_core").await && !db.has_table("t_a1").await);
        env.run(&["status", "core"])
            .success()
            .stdout_has("managed by Alembic");
        env.run(&["stamp", "core", "--from-alembic"]).success();
        assert_eq!(db.version_rows().await, ["a1:0", "a2:0"]);
        env.run(&["up", "core"]).success();
        assert_eq!(db.version_rows().await, ["a1:0", "a2:0", "a3:0"]);
        assert!(db.has_table("t_a3").await && !db.has_table("t_a1").await);
    })
    .await;
}
