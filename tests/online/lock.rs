//! The run lock: an operator holding the documented advisory lock makes
//! `up` give up with exit 3 (while `status` still answers), and eight
//! runners started at once apply every revision exactly once.

use std::time::{Duration, Instant};

use migrate::driver::LockKey;
use sqlx::Connection;

use super::*;

#[tokio::test]
async fn an_operator_holding_the_advisory_lock_makes_up_exit_3() {
    on_postgres(concat!(module_path!(), "::operator"), |db| async move {
        let env = core_project(&db, "lock_timeout = \"1s\"");
        write_chain(&env, "migrations_core", &["l1", "l2"]);

        // What an operator would type: the key derived as docs/reference.md says.
        let key = LockKey::derive(None, "_migrate_core").value();
        let mut operator = crate::harness::pg::hold_advisory_lock(&db.url, key).await;

        let start = Instant::now();
        let out = env.run(&["up", "core"]);
        let took = start.elapsed();
        out.code(3).output_has("lock");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(8),
            "gave up after {took:?}, lock_timeout is 1s\n{out}"
        );
        // The wait reads as a person writes it: `gave up after 1.0 s`.
        let said = out
            .stderr
            .split("gave up after ")
            .nth(1)
            .unwrap_or_default();
        let figure = said.split_whitespace().take(2).collect::<Vec<_>>();
        assert!(
            figure.len() == 2 && figure[1] == "s" && figure[0].parse::<f64>().is_ok(),
            "{out}"
        );
        assert!(applied(&db, "_migrate_core").await.is_empty(), "{out}");
        assert!(!db.has_table("t_l1").await);

        // Read-only commands take no lock.
        let out = env.run(&["status", "core"]);
        out.success().stdout_has("l2");
        env.run(&["current", "core"]).success();
        env.run(&["verify", "core"]).success();

        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut operator)
            .await
            .unwrap();
        env.run(&["up", "core"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["l1", "l2"]));
        operator.close().await.unwrap();
    })
    .await;
}

online_test!(
    eight_runners_at_once_apply_each_revision_exactly_once,
    |db| {
        let env = core_project(&db, "lock_timeout = \"60s\"");
        let ids: Vec<String> = (0..10).map(|i| format!("r{i:02}")).collect();
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        write_chain(&env, "migrations_core", &id_refs);

        let children: Vec<_> = (0..8)
            .map(|_| {
                command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut applied_lines = 0;
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "a runner failed ({:?})\nstdout:\n{}\nstderr:\n{stderr}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout)
            );
            applied_lines += stderr.lines().filter(|l| l.contains(": applied r")).count();
        }
        let rows = rows(&db, "_migrate_core").await;
        assert_eq!(
            rows.iter().map(|r| r.revision.as_str()).collect::<Vec<_>>(),
            id_refs
        );
        assert!(rows.iter().all(|r| r.method == "up"));
        for id in &ids {
            assert!(db.has_table(&format!("t_{id}")).await, "{id}");
        }
        // Over all runners, each revision is reported applied once (the
        // others report it skipped, applied by another runner).
        assert_eq!(applied_lines, 10, "progress lines across runners");
    }
);
