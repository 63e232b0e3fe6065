//! The scratch database is always gone afterwards: after a replay that
//! fails, and after SIGINT or SIGTERM in the middle of one. A shadow
//! database is used only when empty and not the database itself, and is
//! emptied again.

use std::time::{Duration, Instant};

use super::*;
use crate::reliability::{send_signal, wait_output};

online_test!(
    an_applied_revision_that_cannot_be_replayed_fails_and_leaves_nothing,
    |db| {
        let env = project(&db, "core");
        // It ran on the database because of a table made by hand first; on a
        // database built from the files alone it fails.
        db.exec("CREATE TABLE handmade (id integer);").await;
        revision(&env, "r1", "", "ALTER TABLE handmade ADD COLUMN x integer;");
        env.run(&["up", "core"]).success();
        let tmp = tempfile::tempdir().unwrap();
        let tmp_path = tmp.path().display().to_string();
        let out = env.run_with(&["verify", "core", "--schema"], &[("TMPDIR", &tmp_path)]);
        out.code(1)
            .stderr_has(
                "database `core`: its applied revisions cannot be built in a scratch database",
            )
            .stderr_has("revision `r1`")
            .stderr_has("handmade");
        assert_scratch_gone(&db, &out).await;
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "{out}");
    }
);

/// A body that takes a minute in a scratch database and no time elsewhere.
fn slow_in_scratch(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => {
            "CREATE TABLE t_slow (id integer);\n\
             SELECT pg_sleep(CASE WHEN current_database() LIKE 'migrate\\_scratch\\_%' THEN 60 ELSE 0 END);"
        }
        _ => {
            "CREATE TABLE t_slow (id integer);\n\
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \
             (CASE WHEN (SELECT file FROM pragma_database_list WHERE name = 'main') LIKE '%migrate_scratch_%' \
             THEN 1000000000 ELSE 1 END)) SELECT count(*) FROM c;"
        }
    }
}

/// Waits until the slow revision is running in a scratch database.
async fn wait_for_slow_replay(db: &TestDb, name: &str, tmp: &std::path::Path) {
    match db.dialect {
        Dialect::Postgres => {
            let sql = format!(
                "SELECT count(*)::text FROM pg_stat_activity WHERE datname LIKE 'migrate\\_scratch\\_{name}\\_%' \
                 AND query LIKE '%pg_sleep%'"
            );
            wait_until(
                "the replay to reach the slow revision",
                Duration::from_secs(30),
                || async { db.strings(&sql).await == ["1"] },
            )
            .await;
        }
        _ => {
            wait_until(
                "the replay to reach the slow revision",
                Duration::from_secs(30),
                || async {
                    std::fs::read_dir(tmp).is_ok_and(|d| {
                        d.flatten()
                            .any(|e| e.file_name().to_string_lossy().ends_with(".db-journal"))
                    })
                },
            )
            .await;
        }
    }
}

async fn interrupted_replay_leaves_nothing(db: TestDb, signal: &str) {
    let name = format!("sig_{}", signal.to_ascii_lowercase());
    let env = project(&db, &name);
    revision(&env, "r1", "", slow_in_scratch(db.dialect));
    env.run(&["up", name.as_str()]).success();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_path = tmp.path().display().to_string();
    let child = command(
        &env,
        &[("DATABASE_URL", &db.url), ("TMPDIR", &tmp_path)],
        &["verify", &name, "--schema"],
    )
    .spawn()
    .unwrap();
    wait_for_slow_replay(&db, &name, tmp.path()).await;
    send_signal(&child, signal);
    let (out, took) = wait_output(child, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("interrupted by SIG{signal}")),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(10),
        "took {took:?} to stop after SIG{signal}"
    );
    if db.dialect == Dialect::Postgres {
        assert!(scratch_databases(&db, &name).await.is_empty(), "{stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left in the temp folder: {left:?}");
    eprintln!(
        "SIG{signal} on {:?}: stopped {took:?} after the signal",
        db.dialect
    );
}

online_test!(sigint_during_the_replay_drops_the_scratch_database, |db| {
    interrupted_replay_leaves_nothing(db, "INT").await;
});

online_test!(sigterm_during_the_replay_drops_the_scratch_database, |db| {
    interrupted_replay_leaves_nothing(db, "TERM").await;
});

/// A second fresh database on the test server, dropped when `body` ends.
async fn with_shadow<F, Fut>(test_path: &str, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    on_postgres(&format!("{test_path}::shadow"), body).await;
}

#[tokio::test]
async fn a_shadow_database_must_be_empty_is_used_and_is_emptied() {
    on_postgres(module_path!(), |db| async move {
        with_shadow(module_path!(), move |shadow| async move {
            let env = project(&db, "shadowed");
            revision(&env, "r1", "", "CREATE SCHEMA app;\nCREATE TABLE app.t (id integer PRIMARY KEY);");
            revision(&env, "r2", "r1", "CREATE TABLE notes (id integer);");
            env.run(&["up", "shadowed", "--to", "r1"]).success();
            let acl = "SELECT nspowner::regrole::text || ' ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'public'";
            let public_before = shadow.strings(acl).await;

            let start = Instant::now();
            let out = env.run(&["verify", "shadowed", "--schema", "--shadow-url", &shadow.url, "--format", "json"]);
            out.success();
            let json = out.json();
            assert_eq!(json["shadowed"]["ok"], true, "{out}");
            assert_eq!(json["shadowed"]["pending"][0]["revision"], "r2", "{out}");
            let shown = json["shadowed"]["scratch"].as_str().unwrap();
            assert!(shown.starts_with("postgres://") && shown.contains(&shadow_name(&shadow)), "{out}");
            eprintln!("verify --schema with a shadow database: {:?}", start.elapsed());
            // Emptied: no schema but public, no table, public as it was.
            let left = shadow.strings(
                "SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
                 UNION ALL SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace",
            ).await;
            assert_eq!(left, ["public"], "the shadow database was not emptied\n{out}");
            assert_eq!(shadow.strings(acl).await, public_before);
            assert!(scratch_databases(&db, "shadowed").await.is_empty());

            // Through `shadow_url_env`; the second use works since it is empty again.
            let configured = TestEnv::new()
                .config("[databases.shadowed]\nurl_env = \"DATABASE_URL\"\nmigrations = \"migrations\"\nshadow_url_env = \"SHADOW_URL\"\n")
                .mkdir("migrations")
                .env("DATABASE_URL", &db.url);
            revision(&configured, "r1", "", "CREATE SCHEMA app;\nCREATE TABLE app.t (id integer PRIMARY KEY);");
            let out = configured.run_with(&["verify", "shadowed", "--schema"], &[("SHADOW_URL", &shadow.url)]);
            out.success().stderr_has(&shadow_name(&shadow));
            configured
                .run(&["verify", "shadowed", "--schema"])
                .code(2)
                .stderr_has("`shadow_url_env` names `SHADOW_URL`, which is not set");

            // Not empty, or the database itself: refused, and left alone.
            shadow.exec("CREATE TABLE someone_elses (id integer);").await;
            env.run(&["verify", "shadowed", "--schema", "--shadow-url", &shadow.url])
                .code(2)
                .stderr_has("is not empty")
                .stderr_has("someone_elses");
            assert!(shadow.has_table("someone_elses").await);
            env.run(&["verify", "shadowed", "--schema", "--shadow-url", &db.url])
                .code(2)
                .stderr_has("is the database itself");
            let kept = db.strings("SELECT count(*)::text FROM pg_class WHERE relname = 't' AND relnamespace = 'app'::regnamespace").await;
            assert_eq!(kept, ["1"], "the database itself was left alone");
        })
        .await;
    })
    .await;
}

/// The database name in a test database's URL.
fn shadow_name(db: &TestDb) -> String {
    db.url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_scratch_database_has_the_settings_of_the_database() {
    on_postgres(module_path!(), |db| async move {
        // Unqualified names land where the database's own search_path says.
        let name = shadow_name(&db);
        db.exec(&format!(
            "ALTER DATABASE {name} SET search_path = app, public;"
        ))
        .await;
        let env = project(&db, "core");
        revision(
            &env,
            "r1",
            "",
            "CREATE SCHEMA app;\nCREATE TABLE accounts (id integer PRIMARY KEY);",
        );
        env.run(&["up", "core"]).success();
        let placed = db
            .strings(
                "SELECT relnamespace::regnamespace::text FROM pg_class WHERE relname = 'accounts'",
            )
            .await;
        assert_eq!(placed, ["app"]);
        let out = env.run(&["verify", "core", "--schema"]);
        out.success()
            .stdout_has("core: ok, the schema matches its 1 applied revision");
        assert_scratch_gone(&db, &out).await;
    })
    .await;
}

/// SIGINT while `CREATE DATABASE` is still running: the clean-up ends the
/// session creating it, so it can never finish after the drop.
#[tokio::test]
async fn sigint_while_the_scratch_database_is_being_created_leaves_none() {
    on_postgres(module_path!(), |db| async move {
        use sqlx::Connection as _;
        let name = "create_int";
        let env = project(&db, name);
        revision(&env, "r1", "", "CREATE TABLE t (id integer);");
        env.run(&["up", name]).success();
        // `CREATE DATABASE` waits for this lock on its template. Other
        // tests creating databases wait too, for the second this lasts.
        let mut holder = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql("BEGIN; COMMENT ON DATABASE template1 IS 'held by a migrate test'")
            .execute(&mut holder)
            .await
            .unwrap();
        let child = command(&env, &[("DATABASE_URL", &db.url)], &["verify", name, "--schema"])
            .spawn()
            .unwrap();
        let creating = format!(
            "SELECT count(*)::text FROM pg_stat_activity WHERE query LIKE 'CREATE DATABASE \"migrate\\_scratch\\_{name}\\_%' \
             AND wait_event_type = 'Lock'"
        );
        let waiting = wait_until("CREATE DATABASE to wait for the lock", Duration::from_secs(30), || async {
            db.strings(&creating).await == ["1"]
        });
        waiting.await;
        send_signal(&child, "INT");
        let (out, took) = wait_output(child, Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(took < Duration::from_secs(10), "took {took:?}");
        let gone = format!("SELECT count(*)::text FROM pg_stat_activity WHERE query LIKE 'CREATE DATABASE \"migrate\\_scratch\\_{name}\\_%'");
        assert_eq!(db.strings(&gone).await, ["0"], "the creating session outlived the run\n{stderr}");
        sqlx::raw_sql("ROLLBACK").execute(&mut holder).await.unwrap();
        holder.close().await.unwrap();
        assert!(scratch_databases(&db, name).await.is_empty(), "{stderr}");
    })
    .await;
}
