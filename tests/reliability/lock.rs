//! The lock from the outside (item 4), beyond `tests/online/lock.rs`: while
//! an operator holds the advisory lock on the version table's key, `check --online` and `status`
//! answer at once (they never take it), and a runner waiting for it stops
//! cleanly on SIGTERM, having applied nothing.

use std::time::{Duration, Instant};

use sqlx::PgConnection;

use super::*;
use crate::online::{applied, command, core_project, on_postgres, write_chain};

/// A connection holding the lock, and its backend pid.
async fn hold_lock(db: &TestDb) -> (PgConnection, i32) {
    let mut operator = crate::harness::pg::hold_advisory_lock(&db.url, core_lock_key()).await;
    let pid = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut operator)
        .await
        .unwrap();
    (operator, pid)
}

#[tokio::test]
async fn read_only_commands_answer_while_an_operator_holds_the_lock() {
    on_postgres(concat!(module_path!(), "::read_only"), |db| async move {
        let env = core_project(&db, "lock_timeout = \"10s\"");
        write_chain(&env, "migrations_core", &["o1"]);
        env.run(&["up", "core"]).success();
        write_chain(&env, "migrations_core", &["o1", "o2"]);
        let (operator, _) = hold_lock(&db).await;

        let start = Instant::now();
        // One pending revision: `check --online` finds it (exit 1) and says so.
        let out = env.run(&["check", "core", "--online"]);
        out.code(1).output_has("o2");
        let json = env.run(&["status", "core", "--format", "json"]).json();
        assert_eq!(json["core"]["current"], serde_json::json!(["o1"]));
        assert_eq!(json["core"]["pending"], serde_json::json!(1));
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "read-only commands took {took:?}: did they wait for the lock (10s)?"
        );
        drop(operator);
    })
    .await;
}

#[tokio::test]
async fn sigterm_while_waiting_for_the_lock_stops_at_once() {
    on_postgres(concat!(module_path!(), "::term_wait"), |db| async move {
        let env = core_project(&db, "lock_timeout = \"30s\"");
        write_chain(&env, "migrations_core", &["o1"]);
        let (operator, operator_pid) = hold_lock(&db).await;
        let child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_for_last_query(&db, "pg_advisory_xact_lock", operator_pid).await;
        send_signal(&child, "TERM");
        let (out, took) = wait_output(child, Duration::from_secs(10));
        assert_no_panic(&out);
        assert!(!out.status.success(), "{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("SIGTERM") && stderr.contains("no revision was running"),
            "{}",
            describe(&out)
        );
        assert!(took < Duration::from_secs(3), "stopped after {took:?}");
        eprintln!("SIGTERM while waiting for the lock: exited {took:?} after the signal");
        assert!(applied(&db, "_migrate_core").await.is_empty());
        assert!(!db.has_table("t_o1").await);
        drop(operator);
    })
    .await;
}
