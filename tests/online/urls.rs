//! Where URLs come from and how they are shown: a fallback variable warns
//! (and fails under `--strict` before anything runs), a password never
//! appears in any output, and `--wait` gives up on a closed port with exit 3.

use std::time::{Duration, Instant};

use super::*;

const FALLBACK_CONFIG: &str = r#"[databases.core]
url_env = "DATABASE_URL"
migrations = "migrations_core"

[databases.ai]
url_env = "AI_DATABASE_URL"
fallback_env = ["DATABASE_URL"]
migrations = "migrations_ai"
after = ["core"]
"#;

online_test!(
    a_fallback_url_warns_and_strict_refuses_before_anything_runs,
    |db| {
        // Only DATABASE_URL is set: `ai` falls back to it (its own version table).
        let env = TestEnv::new()
            .config(FALLBACK_CONFIG)
            .env("DATABASE_URL", &db.url);
        write_chain(&env, "migrations_core", &["c1"]);
        write_chain(&env, "migrations_ai", &["a1"]);

        let out = env.run(&["up", "--all", "--strict"]);
        out.code(2).stderr_has("AI_DATABASE_URL");
        for t in ["_migrate_core", "_migrate_ai", "t_c1", "t_a1"] {
            assert!(!db.has_table(t).await, "--strict touched {t}\n{out}");
        }
        let out = env.run_with(&["up", "--all"], &[("MIGRATE_STRICT", "1")]);
        out.code(2).stderr_has("AI_DATABASE_URL");
        assert!(
            !db.has_table("_migrate_core").await,
            "MIGRATE_STRICT=1 touched core\n{out}"
        );

        let out = env.run(&["up", "--all"]);
        out.success()
            .stderr_has("warning")
            .stderr_has("AI_DATABASE_URL")
            .stderr_has("ai");
        assert_eq!(applied(&db, "_migrate_core").await, ["c1"]);
        assert_eq!(applied(&db, "_migrate_ai").await, ["a1"]);
        assert!(db.has_table("t_c1").await && db.has_table("t_a1").await);
    }
);

online_test!(
    two_databases_on_one_url_and_one_version_table_stop_before_anything_runs,
    |db| {
        let env = TestEnv::new()
        .config(
            "[databases.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"migrations_core\"\n\n\
             [databases.mirror]\nurl_env = \"MIRROR_DATABASE_URL\"\nmigrations = \"migrations_mirror\"\n\
             version_table = \"_migrate_core\"\n",
        )
        .env("DATABASE_URL", &db.url)
        .env("MIRROR_DATABASE_URL", &db.url);
        write_chain(&env, "migrations_core", &["c1"]);
        write_chain(&env, "migrations_mirror", &["m1"]);

        let out = env.run(&["up", "--all"]);
        out.code(2)
            .output_has("core")
            .output_has("mirror")
            .output_has("_migrate_core");
        for t in ["_migrate_core", "t_c1", "t_m1"] {
            assert!(!db.has_table(t).await, "{t} exists\n{out}");
        }
    }
);

online_test!(sqlalchemy_urls_work_unchanged, |db| {
    // What a Python service keeps in DATABASE_URL.
    let url = match db.dialect {
        Dialect::Mysql => panic!("not run on MySQL"),
        migrate::driver::Dialect::Postgres => {
            db.url.replacen("postgres://", "postgresql+asyncpg://", 1)
        }
        // Four slashes: an absolute path.
        migrate::driver::Dialect::Sqlite => {
            format!(
                "sqlite+aiosqlite:///{}",
                db.sqlite_path().unwrap().display()
            )
        }
    };
    let env = core_project(&db, "").env("DATABASE_URL", &url);
    write_chain(&env, "migrations_core", &["q1"]);
    env.run(&["up", "core"]).success();
    assert_eq!(applied(&db, "_migrate_core").await, ["q1"]);
    let json = env.run(&["status", "core", "--format", "json"]).json();
    assert_eq!(json["core"]["current"], serde_json::json!(["q1"]));
    assert_eq!(json["core"]["pending"], serde_json::json!(0));
});

const PASSWORD: &str = "S3cretPw9xQ";

fn assert_no_password(out: &crate::harness::env::Output) {
    assert!(
        !out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD),
        "the password was printed\n{out}"
    );
}

#[tokio::test]
async fn a_password_in_a_url_is_never_printed() {
    on_postgres(concat!(module_path!(), "::password"), |db| async move {
        let role = format!("mt_pw_{}", std::process::id());
        db.exec(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'; \
             GRANT USAGE, CREATE ON SCHEMA public TO {role};"
        ))
        .await;
        let mut url = url::Url::parse(&db.url).unwrap();
        url.set_username(&role).unwrap();
        url.set_password(Some(PASSWORD)).unwrap();
        let env = core_project(&db, "").env("DATABASE_URL", url.as_str());
        write_chain(&env, "migrations_core", &["w1", "w2"]);

        let out = env.run(&["-v", "up", "core"]);
        out.success();
        assert_no_password(&out);
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["w1", "w2"]));
        for args in [
            &["status", "core"][..],
            &["-v", "status", "--all"],
            &["status", "core", "--format", "json"],
            &["current", "core"],
            &["verify", "core"],
            &["check", "core", "--online"],
            &["sql", "core", "--to", "head"],
            &["up", "core", "--dry-run"],
        ] {
            let out = env.run(args);
            assert_no_password(&out);
        }
        let out = env.run(&["status", "core"]);
        out.stdout_has(&format!("{role}:***@"));
        let json = env.run(&["status", "core", "--format", "json"]).json();
        let shown = json["core"]["url"].as_str().unwrap_or_default().to_owned();
        assert!(shown.contains(&format!("{role}:***@")), "{json}");

        // Connection errors that quote the URL: a database that does not exist...
        let mut missing = url.clone();
        missing.set_path("/mt_no_such_database");
        for args in [
            &["up", "core"][..],
            &["-v", "up", "core"],
            &["status", "core"],
        ] {
            let out = env.run_with(args, &[("DATABASE_URL", missing.as_str())]);
            assert_ne!(out.code, 0, "{out}");
            assert_no_password(&out);
        }
        // ...and a closed port.
        let closed = format!(
            "postgres://{role}:{PASSWORD}@127.0.0.1:{}/db",
            closed_port()
        );
        for args in [
            &["up", "core"][..],
            &["-v", "up", "core"],
            &["status", "core", "--format", "json"],
        ] {
            let out = env.run_with(args, &[("DATABASE_URL", closed.as_str())]);
            assert_eq!(out.code, 3, "an unreachable database exits 3\n{out}");
            assert_no_password(&out);
            out.output_has(":***@");
        }

        db.exec(&format!("DROP OWNED BY {role}; DROP ROLE {role};"))
            .await;
    })
    .await;
}

#[test]
fn wait_gives_up_on_a_closed_port_after_about_the_given_time() {
    let url = format!("postgres://someone@127.0.0.1:{}/db", closed_port());
    let env = TestEnv::new()
        .config(&core_config(""))
        .env("DATABASE_URL", &url);
    write_chain(&env, "migrations_core", &["x1"]);

    let start = Instant::now();
    let out = env.run(&["up", "core", "--wait", "2s"]);
    let took = start.elapsed();
    out.code(3).output_has("core");
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_secs(10),
        "took {took:?}\n{out}"
    );

    // Without --wait (no `wait` setting), it gives up at once.
    let start = Instant::now();
    env.run(&["up", "core"]).code(3);
    assert!(
        start.elapsed() < Duration::from_millis(1800),
        "{:?}",
        start.elapsed()
    );

    // `settings.wait` does the same as --wait, and --wait overrides it.
    env.put("migrate.toml", core_config("wait = \"2s\"").as_bytes());
    let start = Instant::now();
    env.run(&["up", "core"]).code(3);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_secs(10),
        "{took:?}"
    );
    let start = Instant::now();
    env.run(&["up", "core", "--wait", "0s"]).code(3);
    assert!(
        start.elapsed() < Duration::from_millis(1800),
        "{:?}",
        start.elapsed()
    );
}
