//! The server ending our session (item 3) and a runner dying with the lock
//! (item 4), on PostgreSQL. A restart of the shared test cluster is
//! simulated by `pg_terminate_backend` of the runner's session: what the
//! runner sees is the same (its connection closes under it).

use std::time::{Duration, Instant};

use sqlx::Connection;

use super::*;
use crate::online::{
    applied, checksum_of, command, core_project, on_postgres, rev_file, rows, sorted, wait_until,
    write_chain,
};

async fn terminate(db: &TestDb, pid: i32) {
    let done = db
        .strings(&format!("SELECT pg_terminate_backend({pid})::text"))
        .await;
    assert_eq!(done, ["true"], "could not terminate backend {pid}");
}

/// r1 (one second of work) commits; the server ends the session during r2.
#[tokio::test]
async fn the_server_ending_our_session_mid_revision_is_a_clear_error() {
    on_postgres(concat!(module_path!(), "::mid_revision"), |db| async move {
        let env = core_project(&db, "lock_timeout = \"20s\"");
        env.put(
            "migrations_core/r1.sql",
            rev_file(
                "r1",
                "",
                "CREATE TABLE t_r1 (id int);\nSELECT pg_sleep(1);",
                None,
            )
            .as_bytes(),
        );
        let slow = "CREATE TABLE t_r2 (id int);\nINSERT INTO t_r2 VALUES (1);\nSELECT pg_sleep(4);";
        env.put(
            "migrations_core/r2_slow.sql",
            rev_file("r2", "r1", slow, None).as_bytes(),
        );
        write_chain_from(&env, "r3", "r2");

        let child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        // pg_sleep(4) is r2's: r1 sleeps one second, so wait for the longer one.
        let pid = wait_for_session(&db, "pg_sleep(4)").await;
        terminate(&db, pid).await;
        let (out, took) = wait_output(child, Duration::from_secs(10));
        assert_no_panic(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(
            stderr.contains("r2") && stderr.contains("r2_slow.sql"),
            "the error must name the revision that was running\n{}",
            describe(&out)
        );
        assert!(took < Duration::from_secs(3), "noticed after {took:?}");

        // r1 stays applied; nothing of r2 or r3.
        assert_eq!(
            applied(&db, "_migrate_core").await,
            ["r1"],
            "{}",
            describe(&out)
        );
        assert!(db.has_table("t_r1").await);
        assert!(!db.has_table("t_r2").await && !db.has_table("t_r3").await);

        // A rerun (r2 made quick) completes.
        env.put(
            "migrations_core/r2_slow.sql",
            rev_file("r2", "r1", "CREATE TABLE t_r2 (id int);", None).as_bytes(),
        );
        env.run(&["up", "core"]).success();
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["r1", "r2", "r3"])
        );
        let r2 = rows(&db, "_migrate_core").await.remove(1);
        assert_eq!(
            r2.checksum,
            checksum_of(&env.path("migrations_core/r2_slow.sql"))
        );
    })
    .await;
}

/// The session is ended while the runner waits for an operator's lock: a
/// clear error naming the database, nothing applied, and after the
/// operator lets go a rerun completes.
#[tokio::test]
async fn the_server_ending_our_session_while_we_wait_for_the_lock() {
    on_postgres(concat!(module_path!(), "::lock_wait"), |db| async move {
        let env = core_project(&db, "lock_timeout = \"30s\"");
        write_chain(&env, "migrations_core", &["w1", "w2"]);
        let key = core_lock_key();
        let mut operator = crate::harness::pg::hold_advisory_lock(&db.url, key).await;
        let operator_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut operator)
            .await
            .unwrap();

        let child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        // The runner's session is waiting for the lock in its transaction.
        let runner_pid = wait_for_last_query(&db, "pg_advisory_xact_lock", operator_pid).await;
        terminate(&db, runner_pid).await;
        let (out, took) = wait_output(child, Duration::from_secs(40));
        assert_no_panic(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}", describe(&out));
        assert!(stderr.contains("core"), "{}", describe(&out));
        assert!(
            took < Duration::from_secs(10),
            "kept going {took:?} on a dead connection (lock_timeout is 30s)\n{}",
            describe(&out)
        );
        eprintln!(
            "session ended while waiting for the lock: exit {:?} after {took:?}",
            out.status.code()
        );
        assert!(applied(&db, "_migrate_core").await.is_empty());
        assert!(!db.has_table("t_w1").await);

        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut operator)
            .await
            .unwrap();
        operator.close().await.unwrap();
        env.run(&["up", "core"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["w1", "w2"]));
    })
    .await;
}

/// kill -9 during a long revision: the advisory lock is the session's, so
/// it goes when the server notices the closed connection, and the next run
/// (with a 1-second `lock_timeout`, so a stale lock would make it exit 3)
/// succeeds.
#[tokio::test]
async fn a_runner_killed_with_the_lock_never_leaves_it_behind() {
    on_postgres(concat!(module_path!(), "::kill_lock"), |db| async move {
        let env = core_project(&db, "lock_timeout = \"1s\"");
        env.put(
            "migrations_core/k1_slow.sql",
            rev_file(
                "k1",
                "",
                "CREATE TABLE t_k1 (id int);\nSELECT pg_sleep(4);",
                None,
            )
            .as_bytes(),
        );
        let key = core_lock_key();
        let mut child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_for_session(&db, "pg_sleep").await;
        assert_eq!(
            advisory_lock_holders(&db, key).await,
            1,
            "the runner holds the lock"
        );

        child.kill().unwrap(); // SIGKILL: no chance to clean up
        assert!(!child.wait().unwrap().success());
        let killed = Instant::now();
        wait_until(
            "the killed runner's session to end",
            Duration::from_secs(30),
            || async { other_sessions(&db).await == 0 },
        )
        .await;
        let gone = killed.elapsed();
        eprintln!("kill -9: the server ended the orphaned session after {gone:?}");
        assert_eq!(
            advisory_lock_holders(&db, key).await,
            0,
            "the lock outlived the session"
        );
        assert!(!db.has_table("t_k1").await);

        // Quick this time; a stale lock would make this exit 3 after 1s.
        env.put(
            "migrations_core/k1_slow.sql",
            rev_file("k1", "", "CREATE TABLE t_k1 (id int);", None).as_bytes(),
        );
        env.run(&["up", "core"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, ["k1"]);
        wait_until(
            "a finished run to keep no lock",
            Duration::from_secs(10),
            || async { advisory_lock_holders(&db, key).await == 0 },
        )
        .await;
    })
    .await;
}

fn write_chain_from(env: &crate::harness::env::TestEnv, id: &str, parent: &str) {
    let up = format!("CREATE TABLE t_{id} (id int);");
    env.put(
        &format!("migrations_core/{id}.sql"),
        rev_file(id, parent, &up, None).as_bytes(),
    );
}
