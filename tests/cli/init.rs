//! `init`: the files it writes, that the result works at once with no
//! server, and that it never overwrites a config.

use super::{header, sql_files};
use crate::harness::env::TestEnv;

#[test]
fn init_writes_a_core_database_by_default() {
    let env = TestEnv::new();
    let out = env.run(&["init"]);
    out.success()
        .stdout_has("migrate.toml")
        .stdout_has("migrations_core");
    assert!(env.path("migrations_core").is_dir());
    let toml = env.read("migrate.toml");
    assert!(toml.contains("[databases.core]"), "{toml}");
    assert!(toml.contains("url_env = \"DATABASE_URL\""), "{toml}");
    assert!(
        toml.contains("default_url = \"sqlite://.migrate/"),
        "a SQLite default under .migrate/\n{toml}"
    );
    assert!(toml.contains("migrations = \"migrations_core\""), "{toml}");
    assert!(!toml.contains("[databases.ai]"), "{toml}");
    // The local databases are not for committing.
    assert!(env.read(".migrate/.gitignore").contains('*'));
    // It works at once.
    env.run(&["check", "--all"])
        .success()
        .stdout_has("core: ok");
    env.run(&["heads", "--all"]).success();
}

#[test]
fn init_with_two_databases() {
    let env = TestEnv::new();
    env.run(&["init", "--database", "core", "--database", "ai"])
        .success();
    assert!(env.path("migrations_core").is_dir() && env.path("migrations_ai").is_dir());
    let toml = env.read("migrate.toml");
    assert!(
        toml.contains("[databases.core]") && toml.contains("[databases.ai]"),
        "{toml}"
    );
    assert!(
        toml.contains("sqlite://.migrate/core.db") && toml.contains("sqlite://.migrate/ai.db"),
        "{toml}"
    );
    // Each database has its own variable.
    assert!(
        toml.contains("\"DATABASE_URL\"") && toml.contains("\"AI_DATABASE_URL\""),
        "{toml}"
    );
    let check = env.run(&["check", "--all"]);
    check.success().stdout_has("ai: ok").stdout_has("core: ok");
}

#[test]
fn init_refuses_to_overwrite_a_config() {
    let env = TestEnv::new().config("# my config\n");
    // Bad input, like `new --rev-id` with an id that exists.
    let out = env.run(&["init"]);
    out.code(2).stderr_has("migrate.toml").stderr_has("exists");
    assert_eq!(env.read("migrate.toml"), "# my config\n", "untouched");
    assert!(
        !env.path("migrations_core").exists(),
        "nothing else was created"
    );
}

#[test]
fn init_twice_keeps_the_first_config_and_its_revisions() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    let first = env.read("migrate.toml");
    let new = env.run(&["new", "core", "-m", "create users"]);
    new.success();
    env.run(&["init", "--database", "ai"]).code(2);
    assert_eq!(env.read("migrate.toml"), first);
    assert_eq!(sql_files(&env, "migrations_core").len(), 1);
}

#[test]
fn init_rejects_a_bad_database_name() {
    let env = TestEnv::new();
    env.run(&["init", "--database", "Core"])
        .code(2)
        .stderr_has("Core");
    assert!(!env.path("migrate.toml").exists());
    env.run(&["init", "--database", "1db"])
        .code(2)
        .stderr_has("1db");
}

#[test]
fn init_then_new_then_check_as_a_newcomer() {
    let env = TestEnv::new();
    env.run(&["init"]).success();
    let out = env.run(&["new", "core", "-m", "create users"]);
    out.success();
    let path = out.stdout.trim().to_owned();
    assert!(
        path.starts_with("migrations_core/") && path.ends_with("_create_users.sql"),
        "{out}"
    );
    let text = env.read(&path);
    let id = header(&text, "revision").expect("revision line");
    assert_eq!(header(&text, "parents"), None);
    env.run(&["heads", "core"])
        .success()
        .stdout_eq(&format!("{id}\n"));
    env.run(&["check", "--all"]).success();
    env.run(&["history", "core"])
        .success()
        .stdout_eq(&format!("<base> -> {id} (head), create users\n"));
}

#[test]
fn init_with_config_path_writes_there() {
    let env = TestEnv::new();
    env.run(&["init", "--config", "db/migrate.toml"]).success();
    assert!(env.path("db/migrate.toml").is_file());
    assert!(
        env.path("db/migrations_core").is_dir(),
        "folders sit beside the config"
    );
    env.run(&["check", "--all", "--config", "db/migrate.toml"])
        .success();
}
