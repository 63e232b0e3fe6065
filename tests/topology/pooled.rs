//! `migrate` through PgBouncer in transaction mode, as a platform's pooled
//! `DATABASE_URL` gives it: replicas racing each other apply every
//! revision once and leave no lock behind; read-only commands work; a
//! `transaction off` revision needs `direct_url_env`.

use std::process::Output;
use std::time::{Duration, Instant};

use migrate::driver::LockKey;

use crate::harness::env::TestEnv;
use crate::harness::topology::PgTopologyDb;
use crate::online::{applied, command, core_config, rev_file, rev_file_no_tx, write_chain};

/// Revisions `r01` .. `rNN`, each creating table `t_rNN`.
fn history(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("r{i:02}")).collect()
}

/// Runs `runners` copies of `migrate ARGS` at once with `vars`; their outputs.
fn at_once(env: &TestEnv, vars: &[(&str, &str)], args: &[&str], runners: usize) -> Vec<Output> {
    let children: Vec<_> = (0..runners)
        .map(|_| command(env, vars, args).spawn().unwrap())
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Advisory locks on the key of `_migrate_core` in this test's database
/// (other tests' databases use the same key), held by anyone.
async fn advisory_locks_held(db: &PgTopologyDb) -> Vec<String> {
    let key = LockKey::derive(None, "_migrate_core").value();
    let (high, low) = (i64::from((key >> 32) as u32), i64::from(key as u32));
    crate::harness::TestDb::from_pg(&db.primary)
        .strings(&format!(
            "SELECT pid::text FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid::bigint = {high} AND objid::bigint = {low}"
        ))
        .await
}

#[tokio::test]
async fn eight_replicas_through_the_pooler_apply_each_revision_once_and_leave_no_lock() {
    let Some(db) = PgTopologyDb::create(concat!(module_path!(), "::eight_replicas")).await else {
        return;
    };
    db.run(|db| async move {
        let env = TestEnv::new()
            .config(&core_config("lock_timeout = \"60s\""))
            .mkdir("migrations_core");
        let ids = history(20);
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        write_chain(&env, "migrations_core", &refs);
        let pooled = [("DATABASE_URL", db.pooled_url.as_str())];
        let outputs = at_once(&env, &pooled, &["up", "core"], 8);
        let mut applied_lines = 0;
        for out in &outputs {
            assert!(out.status.success(), "a replica failed\n{}", describe(out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !stderr.contains("42P05"),
                "a prepared statement clashed\n{}",
                describe(out)
            );
            applied_lines += stderr.lines().filter(|l| l.contains(": applied r")).count();
        }
        let primary = crate::harness::TestDb::from_pg(&db.primary);
        let mut recorded = applied(&primary, "_migrate_core").await;
        recorded.sort();
        assert_eq!(recorded, ids, "each revision recorded once");
        assert_eq!(
            applied_lines, 20,
            "each revision applied by exactly one replica"
        );
        for id in &ids {
            assert!(primary.has_table(&format!("t_{id}")).await, "{id}");
        }
        assert_eq!(
            advisory_locks_held(&db).await,
            Vec::<String>::new(),
            "a lock was left behind"
        );
        // A direct run right after finds nothing to wait for.
        let start = Instant::now();
        let direct = [("DATABASE_URL", db.primary.url.as_str())];
        let out = command(&env, &direct, &["up", "core"]).output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "it waited {:?}",
            start.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn read_only_commands_work_through_the_pooler_four_at_a_time() {
    let Some(db) = PgTopologyDb::create(concat!(module_path!(), "::read_only")).await else {
        return;
    };
    db.run(|db| async move {
        let env = TestEnv::new()
            .config(&core_config(""))
            .mkdir("migrations_core");
        write_chain(&env, "migrations_core", &["a1", "a2", "a3"]);
        let pooled = [("DATABASE_URL", db.pooled_url.as_str())];
        let out = command(&env, &pooled, &["up", "core", "--to", "a2"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        for args in [
            &["status", "core"][..],
            &["current", "core"],
            &["verify", "core"],
            &["history", "core", "--applied"],
        ] {
            for out in at_once(&env, &pooled, args, 4) {
                assert!(out.status.success(), "{}", describe(&out));
            }
        }
        // `check --online` finds a3 pending: it reads fine, and says so.
        for out in at_once(&env, &pooled, &["check", "core", "--online"], 4) {
            assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
            assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED"));
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("a3"),
                "{}",
                describe(&out)
            );
        }
        let out = command(&env, &pooled, &["up", "core"]).output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        for out in at_once(&env, &pooled, &["check", "core", "--online"], 4) {
            assert!(out.status.success(), "{}", describe(&out));
        }
    })
    .await;
}

/// `a1`, then `i2` (`CREATE INDEX CONCURRENTLY`, transaction off), then `a3`.
fn with_an_untransacted_revision(env: &TestEnv) {
    env.put(
        "migrations_core/a1.sql",
        rev_file("a1", "", "CREATE TABLE t_a1 (id integer, name text);", None).as_bytes(),
    );
    env.put(
        "migrations_core/i2.sql",
        rev_file_no_tx(
            "i2",
            "a1",
            "CREATE INDEX CONCURRENTLY ix_t_a1_name ON t_a1 (name);",
            None,
        )
        .as_bytes(),
    );
    env.put(
        "migrations_core/a3.sql",
        rev_file("a3", "i2", "CREATE TABLE t_a3 (id integer);", None).as_bytes(),
    );
}

#[tokio::test]
async fn a_transaction_off_revision_through_the_pooler_alone_is_refused_before_anything_runs() {
    let Some(db) = PgTopologyDb::create(concat!(module_path!(), "::refused")).await else {
        return;
    };
    db.run(|db| async move {
        let env = TestEnv::new()
            .config(&core_config(""))
            .mkdir("migrations_core");
        with_an_untransacted_revision(&env);
        let pooled = [("DATABASE_URL", db.pooled_url.as_str())];
        let out = command(&env, &pooled, &["up", "core"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        assert!(stderr.contains("transaction pooler"), "{}", describe(&out));
        assert!(stderr.contains("direct_url_env"), "{}", describe(&out));
        assert!(stderr.contains("`i2`"), "{}", describe(&out));
        let primary = crate::harness::TestDb::from_pg(&db.primary);
        assert!(!primary.has_table("t_a1").await, "nothing ran");
        assert!(
            !primary.has_table("_migrate_core").await,
            "nothing was created"
        );
        assert_eq!(advisory_locks_held(&db).await, Vec::<String>::new());
    })
    .await;
}

#[tokio::test]
async fn with_direct_url_env_eight_replicas_apply_everything_once() {
    let Some(db) = PgTopologyDb::create(concat!(module_path!(), "::direct")).await else {
        return;
    };
    db.run(|db| async move {
        let config = core_config("lock_timeout = \"60s\"").replace(
            "url_env = \"DATABASE_URL\"",
            "url_env = \"DATABASE_URL\"\ndirect_url_env = \"DATABASE_UNPOOLED_URL\"",
        );
        let env = TestEnv::new().config(&config).mkdir("migrations_core");
        with_an_untransacted_revision(&env);
        let vars = [
            ("DATABASE_URL", db.pooled_url.as_str()),
            ("DATABASE_UNPOOLED_URL", db.primary.url.as_str()),
        ];
        let mut applied_lines = 0;
        for out in at_once(&env, &vars, &["up", "core", "--strict"], 8) {
            assert!(out.status.success(), "a replica failed\n{}", describe(&out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            applied_lines += stderr.lines().filter(|l| l.contains(": applied ")).count();
        }
        assert_eq!(
            applied_lines, 3,
            "each revision applied by exactly one replica"
        );
        let primary = crate::harness::TestDb::from_pg(&db.primary);
        let mut recorded = applied(&primary, "_migrate_core").await;
        recorded.sort();
        assert_eq!(recorded, ["a1", "a3", "i2"]);
        assert_eq!(
            primary.version_rows().await,
            ["a1:0", "a3:0", "i2:0"],
            "no dirty row"
        );
        assert!(primary.has_table("t_a3").await);
        assert_eq!(advisory_locks_held(&db).await, Vec::<String>::new());
        // The status shows the direct URL in use; `--strict` without the
        // direct variable is an error, as for `url_env`.
        let pooled_only = [("DATABASE_URL", db.pooled_url.as_str())];
        let out = command(&env, &pooled_only, &["--strict", "status", "core"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_UNPOOLED_URL"));
    })
    .await;
}
