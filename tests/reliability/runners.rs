//! Many runners at once (item 2): 32 `migrate up` processes started together
//! on one database apply each revision exactly once and all exit 0 without
//! waiting longer than the work takes; `up --all` honours an `after` chain
//! while an independent database runs beside it.

use std::time::{Duration, Instant};

use super::*;
use crate::harness::env::TestEnv;
use crate::online::{
    applied, command, core_project, online_test, rev_file, rows, sorted, write_chain,
};

/// How many runners start at once, as replicas of one deployment would.
const RUNNERS: usize = 32;
/// How long all of them may take together (the work is 10 small revisions).
const WALL_LIMIT: Duration = Duration::from_secs(20);

online_test!(thirty_two_runners_at_once_apply_each_revision_once, |db| {
    let env = core_project(&db, "lock_timeout = \"60s\"");
    let ids: Vec<String> = (0..10).map(|i| format!("c{i:02}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    write_chain(&env, "migrations_core", &id_refs);

    let start = Instant::now();
    let children: Vec<_> = (0..RUNNERS)
        .map(|_| {
            command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut progress_lines = 0;
    let mut slowest = Duration::ZERO;
    for child in children {
        let (out, _) = wait_output(child, WALL_LIMIT * 2);
        slowest = slowest.max(start.elapsed());
        assert_no_panic(&out);
        assert!(out.status.success(), "a runner failed\n{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        progress_lines += stderr.lines().filter(|l| l.contains(": applied c")).count();
    }
    let wall = start.elapsed();
    eprintln!(
        "{RUNNERS} runners on {:?}: all done in {wall:?}",
        db.dialect
    );
    assert!(
        wall < WALL_LIMIT,
        "{RUNNERS} runners took {wall:?} for 10 small revisions (slowest exit at {slowest:?})"
    );

    let rows = rows(&db, "_migrate_core").await;
    assert_eq!(
        rows.iter().map(|r| r.revision.as_str()).collect::<Vec<_>>(),
        id_refs,
        "each revision recorded exactly once"
    );
    assert!(rows.iter().all(|r| r.method == "up"));
    for id in &ids {
        assert!(db.has_table(&format!("t_{id}")).await, "t_{id} missing");
    }
    assert_eq!(
        progress_lines, 10,
        "across all runners, each revision ran once"
    );
});

/// `a` (2 revisions, the last one slow), `b` after `a`, `c` independent and
/// as slow as `a`: three databases in one PostgreSQL database, each with its
/// own version table. Every revision writes `clock_timestamp()` to `marks`.
const AFTER_CONFIG: &str = r#"[databases.a]
url_env = "DATABASE_URL"
migrations = "migrations_a"

[databases.b]
url_env = "DATABASE_URL"
migrations = "migrations_b"
after = ["a"]

[databases.c]
url_env = "DATABASE_URL"
migrations = "migrations_c"
"#;

fn mark(name: &str) -> String {
    format!("INSERT INTO marks VALUES ('{name}', clock_timestamp());")
}

#[tokio::test]
async fn up_all_runs_b_after_a_and_c_beside_them() {
    crate::online::on_postgres(concat!(module_path!(), "::after"), |db| async move {
        db.exec("CREATE TABLE marks (name text PRIMARY KEY, at timestamptz NOT NULL)")
            .await;
        let env = TestEnv::new()
            .config(AFTER_CONFIG)
            .env("DATABASE_URL", &db.url);
        let put = |db: &str, id: &str, parent: &str, up: String| {
            env.put(
                &format!("migrations_{db}/{id}.sql"),
                rev_file(id, parent, &up, None).as_bytes(),
            );
        };
        put(
            "a",
            "a1",
            "",
            format!("CREATE TABLE t_a1 (id int);\n{}", mark("a1_start")),
        );
        put(
            "a",
            "a2",
            "a1",
            format!("SELECT pg_sleep(1);\n{}", mark("a2_end")),
        );
        put(
            "b",
            "b1",
            "",
            format!("{}\nCREATE TABLE t_b1 (id int);", mark("b1_start")),
        );
        put("b", "b2", "b1", "CREATE TABLE t_b2 (id int);".into());
        put(
            "c",
            "c1",
            "",
            format!("{}\nSELECT pg_sleep(1);", mark("c1_start")),
        );

        let out = env.run(&["up", "--all"]);
        out.success();
        assert_eq!(
            applied(&db, "_migrate_a").await,
            sorted(&["a1", "a2"]),
            "{out}"
        );
        assert_eq!(
            applied(&db, "_migrate_b").await,
            sorted(&["b1", "b2"]),
            "{out}"
        );
        assert_eq!(applied(&db, "_migrate_c").await, ["c1"], "{out}");

        // b's first revision began after a's last revision committed: its
        // transaction start (`applied_at`) is later than a2's work and commit.
        let b_after_a = db
            .strings(
                "SELECT ((SELECT applied_at FROM _migrate_b WHERE revision = 'b1') \
                 >= (SELECT at FROM marks WHERE name = 'a2_end'))::text \
                 || ' ' || ((SELECT at FROM marks WHERE name = 'b1_start') \
                 > (SELECT at FROM marks WHERE name = 'a2_end'))::text",
            )
            .await;
        assert_eq!(
            b_after_a,
            ["true true"],
            "b started before a finished\n{out}"
        );
        // c did not wait for a (nor for b): it started before a's slow
        // revision ended.
        let c_beside_a = db
            .strings(
                "SELECT ((SELECT at FROM marks WHERE name = 'c1_start') \
                 < (SELECT at FROM marks WHERE name = 'a2_end'))::text",
            )
            .await;
        assert_eq!(c_beside_a, ["true"], "independent c waited for a\n{out}");
    })
    .await;
}
