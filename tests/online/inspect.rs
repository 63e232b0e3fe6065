//! What a user reads before and after changing a database: `status`
//! (text and JSON), `current`, `sql`, `up --dry-run`; none of them changes
//! anything, and the read-only ones never create a version table.

use super::*;

/// `core` and `ai` on the same database (distinct version tables).
fn two_db_project(db: &TestDb) -> TestEnv {
    let env = TestEnv::new()
        .config(
            "[databases.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"migrations_core\"\n\n\
             [databases.ai]\nurl_env = \"AI_DATABASE_URL\"\nmigrations = \"migrations_ai\"\n",
        )
        .env("DATABASE_URL", &db.url)
        .env("AI_DATABASE_URL", &db.url);
    write_chain(&env, "migrations_core", &["s1", "s2"]);
    write_chain(&env, "migrations_ai", &["a1"]);
    env
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|x| {
            x.as_str()
                .unwrap_or_else(|| panic!("expected a string id, got {x}"))
                .to_owned()
        })
        .collect()
}

online_test!(status_current_and_json_shapes, |db| {
    let env = two_db_project(&db);
    env.run(&["up", "core", "--to", "s1"]).success();

    let out = env.run(&["status", "--all", "--format", "json"]);
    out.success();
    let json = out.json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["ai", "core"], "database names are the keys\n{out}");
    assert_eq!(strings(&json["core"]["current"]), ["s1"], "{out}");
    assert_eq!(strings(&json["core"]["heads"]), ["s2"], "{out}");
    assert!(strings(&json["ai"]["current"]).is_empty(), "{out}");
    assert_eq!(strings(&json["ai"]["heads"]), ["a1"], "{out}");
    assert!(
        !db.has_table("_migrate_ai").await,
        "status must not create the version table"
    );

    // check --online fails on a pending revision, naming it.
    let out = env.run(&["check", "core", "--online"]);
    out.code(1).output_has("s2");
    assert!(
        !db.has_table("_migrate_ai").await,
        "check --online must not create the version table"
    );

    let out = env.run(&["status", "--all"]);
    out.success()
        .stdout_has("core")
        .stdout_has("ai")
        .stdout_has("s1")
        .stdout_has("s2");

    let out = env.run(&["current", "--all"]);
    out.success();
    let core_line = out.stdout.lines().find(|l| l.contains("core")).unwrap();
    assert!(
        core_line.contains("s1") && !core_line.contains("s2"),
        "{out}"
    );
    assert!(
        !db.has_table("_migrate_ai").await,
        "current must not create the version table"
    );
    let json = env.run(&["current", "--all", "--format", "json"]).json();
    assert_eq!(strings(&json["core"]), ["s1"]);
    assert!(strings(&json["ai"]).is_empty());

    // `up --format json` reports what it applied and the applied heads after it.
    // (checked last, after what `status` and `check` say about the same run)
    let up = env.run(&["up", "--all", "--format", "json"]);
    let up_json = up.json();
    let applied_text = up_json["core"]["applied"].to_string();
    assert!(
        applied_text.contains("\"s2\"") && !applied_text.contains("\"s1\""),
        "{up}"
    );
    let json = env.run(&["status", "--all", "--format", "json"]).json();
    assert_eq!(
        strings(&json["core"]["current"]),
        strings(&json["core"]["heads"])
    );
    assert_eq!(strings(&json["ai"]["current"]), ["a1"]);
    env.run(&["check", "--all", "--online"]).success();

    assert_eq!(
        strings(&up_json["core"]["current"]),
        ["s2"],
        "current after the run\n{up}"
    );
    assert_eq!(
        strings(&up_json["ai"]["current"]),
        ["a1"],
        "current after the run\n{up}"
    );
});

online_test!(sql_and_dry_run_show_the_plan_and_change_nothing, |db| {
    let env = two_db_project(&db);
    env.put(
        "migrations_core/s3_concurrently.sql",
        rev_file_no_tx(
            "s3",
            "s2",
            "CREATE TABLE t_s3 (id integer);",
            Some("DROP TABLE t_s3;"),
        )
        .as_bytes(),
    );
    env.run(&["up", "core", "--to", "s1"]).success();
    let before = rows(&db, "_migrate_core").await;

    let out = env.run(&["sql", "core", "--to", "head"]);
    out.success()
        .stdout_has("CREATE TABLE t_s2")
        .stdout_has("CREATE TABLE t_s3");
    let inserts: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("INSERT INTO") && l.contains("_migrate_core"))
        .collect();
    assert!(
        inserts.iter().any(|l| l.contains("'s2'")),
        "the version-table INSERT for s2\n{out}"
    );
    assert!(inserts.iter().any(|l| l.contains("'s3'")), "{out}");
    assert!(
        out.stdout.to_lowercase().contains("transaction off"),
        "sql marks s3\n{out}"
    );

    let out = env.run(&["up", "core", "--dry-run"]);
    out.success();
    let line = |id: &str| -> String {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == id))
            .unwrap_or_else(|| panic!("dry run lists {id}\n{out}"))
            .to_lowercase()
    };
    assert!(
        !out.stdout
            .lines()
            .any(|l| l.split_whitespace().any(|w| w == "s1")),
        "{out}"
    );
    assert!(!line("s2").contains("transaction"), "{out}");
    assert!(
        line("s3").contains("transaction"),
        "dry run marks s3\n{out}"
    );

    let json = env
        .run(&["up", "--all", "--dry-run", "--format", "json"])
        .json();
    let text = json.to_string();
    assert!(
        json.get("core").is_some() && text.contains("\"s2\"") && text.contains("\"a1\""),
        "{json}"
    );

    assert_eq!(
        rows(&db, "_migrate_core").await,
        before,
        "sql and --dry-run change nothing"
    );
    assert!(!db.has_table("t_s2").await && !db.has_table("t_s3").await);
    assert!(!db.has_table("_migrate_ai").await && !db.has_table("t_a1").await);
});
