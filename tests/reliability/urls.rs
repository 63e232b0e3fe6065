//! Bad URLs and environments (item 7), each through the CLI: exit 2 when the
//! URL or the environment is malformed, 3 when the database cannot be
//! reached; never a panic (exit 101), never the password.

use std::time::{Duration, Instant};

use crate::harness::env::{Output, TestEnv};
use crate::online::{closed_port, core_config, write_chain};

/// In every URL below, so that any leak is caught.
const PASSWORD: &str = "Pw_Secret_9";

fn project() -> TestEnv {
    let env = TestEnv::new().config(&core_config(""));
    write_chain(&env, "migrations_core", &["u1"]);
    env
}

fn assert_clean(out: &Output) {
    assert!(
        !out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD),
        "the password was printed\n{out}"
    );
    out.output_has("core");
}

/// Runs `up core` and `status core` with `DATABASE_URL=url`; both must exit
/// `code` and name the database.
fn expect(env: &TestEnv, url: &str, code: i32, extra_args: &[&str]) -> Vec<Output> {
    let mut outs = Vec::new();
    for cmd in [&["up", "core"][..], &["status", "core"]] {
        let args: Vec<&str> = cmd.iter().chain(extra_args).copied().collect();
        let out = env.run_with(&args, &[("DATABASE_URL", url)]);
        out.code(code);
        assert_clean(&out);
        outs.push(out);
    }
    outs
}

#[test]
fn malformed_urls_exit_2_naming_the_variable() {
    let env = project();
    let cases = [
        (
            format!("postgres://user:{PASSWORD}@db.example:notaport/app"),
            "port",
        ),
        (format!("redis://user:{PASSWORD}@localhost:6379/0"), "redis"),
        (
            format!("postgres://user:{PASSWORD}@127.0.0.1:99999/app"),
            "99999",
        ),
    ];
    for (url, says) in &cases {
        for out in expect(&env, url, 2, &[]) {
            out.output_has(says).output_has("DATABASE_URL");
        }
    }
    // Nothing was created for the database anywhere.
    assert_eq!(env.files(""), ["migrate.toml", "migrations_core"]);
}

#[test]
fn an_empty_variable_exits_2_saying_it_is_empty() {
    let env = project();
    for out in expect(&env, "", 2, &[]) {
        out.output_has("empty").output_has("DATABASE_URL");
    }
}

#[test]
fn a_sqlite_path_in_a_missing_folder_exits_2_naming_the_folder() {
    let env = project();
    for out in expect(&env, "sqlite://no_such_dir/app.db", 2, &[]) {
        out.output_has("no_such_dir");
    }
    assert!(!env.path("no_such_dir").exists(), "the folder was created");
}

#[test]
fn a_closed_port_exits_3_at_once_or_after_wait() {
    let env = project();
    let url = format!("postgres://user:{PASSWORD}@127.0.0.1:{}/app", closed_port());
    let start = Instant::now();
    expect(&env, &url, 3, &["--wait", "0s"]);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "--wait 0s took {took:?} for two runs"
    );

    let start = Instant::now();
    let out = env.run_with(&["up", "core", "--wait", "1s"], &[("DATABASE_URL", &url)]);
    let took = start.elapsed();
    out.code(3);
    assert_clean(&out);
    out.output_has(":***@");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "--wait 1s gave up after {took:?}\n{out}"
    );
}

/// A name that never resolves (RFC 6761 reserves `.invalid`). In containers
/// a database's host name often does not resolve until its service is up,
/// so this is "unreachable" (exit 3, retried within `--wait`), not bad input.
#[test]
fn a_host_that_does_not_resolve_exits_3_quickly() {
    let env = project();
    let url = format!("postgres://user:{PASSWORD}@nonexistent.invalid:5432/app");
    let start = Instant::now();
    for out in expect(&env, &url, 3, &["--wait", "0s"]) {
        out.output_has("nonexistent.invalid");
    }
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "two runs took {took:?}");

    let start = Instant::now();
    let out = env.run_with(&["up", "core", "--wait", "1s"], &[("DATABASE_URL", &url)]);
    let took = start.elapsed();
    out.code(3);
    assert_clean(&out);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(10),
        "--wait 1s gave up after {took:?}\n{out}"
    );
}

/// The test server runs without TLS: `sslmode=require` must fail clearly,
/// naming TLS, and not spend `--wait` retrying what will never change.
#[tokio::test]
async fn tls_required_against_a_server_without_tls_fails_clearly() {
    crate::online::on_postgres(concat!(module_path!(), "::tls"), |db| async move {
        let mut url = url::Url::parse(&db.url).unwrap();
        url.set_password(Some(PASSWORD)).unwrap();
        url.set_query(Some("sslmode=require"));
        let env = project();
        let start = Instant::now();
        let out = env.run_with(
            &["up", "core", "--wait", "5s"],
            &[("DATABASE_URL", url.as_str())],
        );
        let took = start.elapsed();
        assert_ne!(out.code, 0, "{out}");
        assert_clean(&out);
        assert!(
            out.stderr.contains("TLS") || out.stderr.contains("SSL"),
            "the error does not say TLS\n{out}"
        );
        assert!(
            took < Duration::from_secs(4),
            "retried a TLS refusal for {took:?}\n{out}"
        );
        assert!(!db.has_table("_migrate_core").await);

        // A SQLAlchemy asyncpg URL spells it `ssl=require`: read the same way.
        url.set_query(Some("ssl=require"));
        let asyncpg = url
            .as_str()
            .replacen("postgres://", "postgresql+asyncpg://", 1);
        let out = env.run_with(&["status", "core"], &[("DATABASE_URL", &asyncpg)]);
        assert_ne!(out.code, 0, "{out}");
        assert_clean(&out);
        out.output_has("TLS");
    })
    .await;
}
