//! Finding `migrate.toml` (`--config`, `MIGRATE_CONFIG`, the current folder,
//! the nearest parent) and the `.env` beside it.

use super::sql_files;
use crate::harness::env::{CORE_AI_CONFIG, CORE_CONFIG, TestEnv};

const HEAD: &str = "a74b6122cae2\n";
/// The head of the one-revision history [`other`] writes.
const OTHER: &str = "0123456789ab\n";

/// Writes a second project's config and a one-revision history under `dir`
/// (`""` for the root).
fn other(env: TestEnv, dir: &str) -> TestEnv {
    let at = |rel: &str| {
        if dir.is_empty() {
            rel.to_owned()
        } else {
            format!("{dir}/{rel}")
        }
    };
    env.write(&at("migrate.toml"), CORE_CONFIG).write(
        &at("migrations_core/0123456789ab_other.sql"),
        &super::rev("0123456789ab", "", "other project", 1),
    )
}

#[test]
fn found_from_a_sub_folder() {
    let env = TestEnv::core_fixture("depends_on").current_dir("app/src/deep");
    env.run(&["heads", "core"]).success().stdout_eq(HEAD);
    env.run(&["check", "--all"]).success();
}

#[test]
fn the_nearest_parent_config_wins() {
    // An outer project with the fixture, an inner one with an empty folder.
    let env = other(TestEnv::core_fixture("depends_on"), "inner").current_dir("inner/sub");
    env.run(&["heads", "core"]).success().stdout_eq(OTHER);
}

#[test]
fn config_flag_names_a_file_elsewhere() {
    let env = TestEnv::new()
        .write("conf/migrate.toml", CORE_CONFIG)
        .copy_fixture("depends_on", "conf/migrations_core");
    // Relative paths in it are relative to its own folder, not the current one.
    env.run(&["heads", "core", "--config", "conf/migrate.toml"])
        .success()
        .stdout_eq(HEAD);
    env.run(&["-c", "conf/migrate.toml", "heads", "core"])
        .success()
        .stdout_eq(HEAD);
    // Without it, nothing is found from the root.
    env.run(&["heads", "core"])
        .code(2)
        .stderr_has("migrate init");
}

#[test]
fn config_flag_wins_over_the_current_folder() {
    let env = other(TestEnv::new(), "")
        .write("conf/migrate.toml", CORE_CONFIG)
        .copy_fixture("depends_on", "conf/migrations_core");
    env.run(&["heads", "core"]).success().stdout_eq(OTHER);
    env.run(&["heads", "core", "--config", "conf/migrate.toml"])
        .success()
        .stdout_eq(HEAD);
}

#[test]
fn migrate_config_variable_names_the_file() {
    let env = other(TestEnv::new(), "")
        .write("conf/migrate.toml", CORE_CONFIG)
        .copy_fixture("depends_on", "conf/migrations_core")
        .env("MIGRATE_CONFIG", "conf/migrate.toml");
    env.run(&["heads", "core"]).success().stdout_eq(HEAD);
    // --config still wins over the variable.
    env.run(&["heads", "core", "--config", "migrate.toml"])
        .success()
        .stdout_eq(OTHER);
}

#[test]
fn a_missing_config_path_is_named() {
    let env = TestEnv::core();
    env.run(&["heads", "core", "--config", "nowhere/migrate.toml"])
        .code(2)
        .stderr_has("nowhere");
    env.run_with(&["heads", "core"], &[("MIGRATE_CONFIG", "elsewhere.toml")])
        .code(2)
        .stderr_has("elsewhere.toml");
}

#[test]
fn no_config_found_says_to_run_init() {
    let env = TestEnv::new();
    for args in [
        &["heads", "core"][..],
        &["check", "--all"],
        &["new", "core", "-m", "x"],
        &["history", "core"],
    ] {
        env.run(args)
            .code(2)
            .stderr_has("migrate.toml")
            .stderr_has("migrate init");
    }
    assert!(env.files("").is_empty(), "nothing was created");
}

/// `sql --from ID --to head` resolves the URL without connecting; under
/// `--strict` a default URL is an error, so it shows where the URL came from.
fn sql_strict(env: &TestEnv) -> crate::harness::env::Output {
    env.run(&[
        "sql",
        "core",
        "--from",
        "2762757367cf",
        "--to",
        "head",
        "--strict",
    ])
}

#[test]
fn dotenv_beside_the_config_supplies_a_variable() {
    let env = TestEnv::core_fixture("depends_on");
    sql_strict(&env)
        .code(2)
        .stderr_has("DATABASE_URL")
        .stderr_has("core");

    let env = env.write(".env", "DATABASE_URL=sqlite://from_dotenv.db\n");
    let out = sql_strict(&env);
    out.success().stderr_lacks("DATABASE_URL");
    let plain = env.run(&["sql", "core", "--from", "2762757367cf", "--to", "head"]);
    plain.success().stderr_lacks("warning");
}

#[test]
fn dotenv_is_read_beside_the_config_not_the_current_folder() {
    let env = TestEnv::core_fixture("depends_on")
        .write(".env", "DATABASE_URL=sqlite://from_dotenv.db\n")
        .write("app/.env", "DATABASE_URL=nonsense://x\n")
        .current_dir("app");
    sql_strict(&env).success();
}

#[test]
fn the_environment_wins_over_dotenv() {
    let env = TestEnv::core_fixture("depends_on").write(".env", "DATABASE_URL=nonsense://bad\n");
    // The .env value alone is an unknown scheme: an error naming the database and variable.
    sql_strict(&env)
        .code(2)
        .stderr_has("core")
        .stderr_has("DATABASE_URL");
    let env = env.env("DATABASE_URL", "sqlite://from_env.db");
    sql_strict(&env).success();
}

#[test]
fn a_default_url_warns_naming_the_database_and_variable() {
    let env = TestEnv::core_fixture("depends_on");
    env.run(&["sql", "core", "--from", "2762757367cf", "--to", "head"])
        .success()
        .stderr_has("warning")
        .stderr_has("`core`")
        .stderr_has("DATABASE_URL");
}

#[test]
fn a_fallback_url_warns_naming_the_missing_variable() {
    let env = TestEnv::new()
        .config(CORE_AI_CONFIG)
        .mkdir("migrations_core")
        .copy_fixture("depends_on", "migrations_ai")
        .env("DATABASE_URL", "sqlite://shared.db");
    let out = env.run(&["sql", "ai", "--from", "2762757367cf", "--to", "head"]);
    out.success()
        .stderr_has("`ai`")
        .stderr_has("AI_DATABASE_URL");
    let strict = env.run(&[
        "sql",
        "ai",
        "--from",
        "2762757367cf",
        "--to",
        "head",
        "--strict",
    ]);
    strict.code(2).stderr_has("AI_DATABASE_URL");
    let strict_env = env.run_with(
        &["sql", "ai", "--from", "2762757367cf", "--to", "head"],
        &[("MIGRATE_STRICT", "1")],
    );
    strict_env.code(2).stderr_has("AI_DATABASE_URL");
}

#[test]
fn databases_may_share_one_migrations_folder() {
    let toml = format!(
        "{CORE_CONFIG}\n[databases.e2e]\nurl_env = \"E2E_DATABASE_URL\"\ndefault_url = \"sqlite://.migrate/e2e.db\"\nmigrations = \"migrations_core\"\n"
    );
    let env = TestEnv::new()
        .config(&toml)
        .copy_fixture("depends_on", "migrations_core");
    let out = env.run(&["heads", "--all"]);
    out.success();
    assert_eq!(out.lines().len(), 2, "{out}");
    assert!(
        out.lines().iter().all(|l| l.contains("a74b6122cae2")),
        "{out}"
    );
    env.run(&["check", "--all"])
        .success()
        .stdout_has("core: ok")
        .stdout_has("e2e: ok");
    assert_eq!(
        sql_files(&env, "migrations_core").len(),
        4,
        "no files copied"
    );
}

#[test]
fn quiet_keeps_only_errors() {
    let env = TestEnv::core_fixture("depends_on");
    let out = env.run(&[
        "sql",
        "core",
        "--from",
        "2762757367cf",
        "--to",
        "head",
        "-q",
    ]);
    out.success().stderr_eq("");
    // Errors still show.
    env.run(&["heads", "cor", "-q"]).code(2).stderr_has("`cor`");
}
