//! `--help`, `--version` and `completions`: what a newcomer types first.

use crate::harness::env::TestEnv;

/// Every command of docs/reference.md, "Commands and exit codes".
const COMMANDS: [&str; 17] = [
    "init",
    "new",
    "merge",
    "up",
    "down",
    "status",
    "current",
    "heads",
    "history",
    "show",
    "graph",
    "check",
    "verify",
    "stamp",
    "sql",
    "repair",
    "completions",
];

#[test]
fn help_lists_every_command() {
    let out = TestEnv::new().run(&["--help"]);
    out.success();
    for command in COMMANDS {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "`{command}` is not listed\n{out}"
        );
    }
}

#[test]
fn help_of_each_command_works_without_a_config() {
    let env = TestEnv::new();
    for command in COMMANDS {
        env.run(&[command, "--help"])
            .success()
            .stdout_has("Usage: migrate");
    }
    env.run(&["help", "new"]).success().stdout_has("--message");
}

#[test]
fn global_flags_are_documented() {
    let out = TestEnv::new().run(&["--help"]);
    // docs/reference.md, "Commands and exit codes": `-c/--config PATH`, `--format`, `--strict`, `-v`, `-q`, `--color`.
    for flag in [
        "-c, --config",
        "--format",
        "--strict",
        "-v",
        "-q",
        "--color",
    ] {
        out.stdout_has(flag);
    }
}

#[test]
fn version_prints_name_and_version() {
    TestEnv::new()
        .run(&["--version"])
        .success()
        .stdout_eq(&format!("migrate {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn completions_for_each_shell() {
    let env = TestEnv::new();
    let bash = env.run(&["completions", "bash"]);
    bash.success()
        .stdout_has("_migrate")
        .stdout_has("complete")
        .stdout_has("heads");
    for shell in ["zsh", "fish", "powershell"] {
        let out = env.run(&["completions", shell]);
        out.success().stdout_has("migrate").stdout_has("history");
    }
}

#[test]
fn no_command_prints_usage_and_exits_2() {
    let out = TestEnv::new().run(&[]);
    out.code(2).stderr_has("Usage");
}
