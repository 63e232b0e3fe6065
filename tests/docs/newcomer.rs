//! The errors a newcomer hits first each say what to do next.

use crate::docs::project::Project;
use crate::harness::env::TestEnv;

#[test]
fn no_migrate_toml_says_to_run_init() {
    let out = TestEnv::new().run(&["up", "--all"]);
    out.code(2)
        .stderr_has("migrate.toml")
        .stderr_has("migrate init");
}

#[test]
fn unknown_database_names_the_known_ones_and_the_closest() {
    let p = Project::example();
    let run = p.run(&["up", "cor"], &[]);
    run.code(2);
    assert!(run.stderr.contains("`cor`"), "{run}");
    assert!(run.stderr.contains("core"), "no suggestion\n{run}");
    let run = p.run(&["status", "billing"], &[]);
    run.code(2);
    assert!(
        run.stderr.contains("ai") && run.stderr.contains("core"),
        "the known databases are not listed\n{run}"
    );
}

#[test]
fn strict_without_a_variable_names_it_and_touches_nothing() {
    let p = Project::example();
    let run = p.run(&["up", "--all", "--strict"], &[]);
    run.code(2);
    assert!(run.stderr.contains("DATABASE_URL"), "{run}");
    assert!(
        run.stderr.contains("set `DATABASE_URL`"),
        "no next step\n{run}"
    );
    assert!(
        !p.env.path(".migrate").exists(),
        "--strict created a database"
    );
    // The variable that is still missing is named, not the one that is set.
    let run = p.run(
        &["up", "--all", "--strict"],
        &[("DATABASE_URL", "sqlite://core.db")],
    );
    run.code(2);
    assert!(run.stderr.contains("AI_DATABASE_URL"), "{run}");
    // MIGRATE_STRICT=1 is the same as --strict.
    p.run(&["up", "--all"], &[("MIGRATE_STRICT", "1")]).code(2);
}

#[test]
fn a_typo_in_a_command_suggests_the_command() {
    let p = Project::example();
    for (typo, meant) in [("stauts", "status"), ("upp", "up"), ("histroy", "history")] {
        let run = p.run(&[typo, "--all"], &[]);
        run.code(2);
        assert!(
            run.stderr.contains(&format!("'{meant}'")),
            "`{typo}` does not suggest `{meant}`\n{run}"
        );
    }
}

#[test]
fn a_typo_in_a_flag_suggests_the_flag() {
    let p = Project::example();
    let run = p.run(&["up", "--all", "--dryrun"], &[]);
    run.code(2);
    assert!(run.stderr.contains("--dry-run"), "{run}");
}

#[test]
fn first_ten_minutes_with_no_server() {
    let env = TestEnv::new();
    env.run(&["init", "--database", "core", "--database", "ai"])
        .success();
    let out = env.run(&["new", "core", "-m", "create users"]);
    out.success();
    let path = out.stdout.trim().replace("[ROOT]/", "");
    let text = env.read(&path);
    env.put(
        &path,
        text.replace(
            "-- migrate:up\n",
            "-- migrate:up\nCREATE TABLE users (id integer primary key);\n",
        )
        .as_bytes(),
    );
    env.run(&["up", "--all"]).success();
    env.run(&["status", "--all"])
        .success()
        .stdout_has("up to date");
}
