//! SIGTERM and SIGINT during a revision (item 3): the process exits
//! non-zero naming the interrupted revision, the revision leaves neither its
//! table nor its row (or, run outside a transaction, is recorded dirty and
//! says so), and the lock is free at once: an immediate rerun with a
//! `lock_timeout` far longer than it takes completes.

use std::time::{Duration, Instant};

use super::*;
use crate::harness::env::TestEnv;
use crate::online::{
    applied, checksum_of, command, core_project, on_postgres, on_sqlite, rev_file, rev_file_no_tx,
    rows, sorted, wait_until, write_chain,
};

/// A rerun that had to wait for a stale lock would take this long.
const LOCK_TIMEOUT: &str = "lock_timeout = \"20s\"";
/// A rerun that found the lock free takes well under that.
const RERUN_LIMIT: Duration = Duration::from_secs(5);

const PG_SLOW: &str =
    "CREATE TABLE t_slow (id integer);\nINSERT INTO t_slow VALUES (1);\nSELECT pg_sleep(4);";
/// Seconds of work in one SQLite statement, after a `CREATE TABLE` in the
/// same transaction.
const SQLITE_SLOW: &str = "CREATE TABLE t_slow (id integer);\n\
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) \
    SELECT count(*) FROM c;";
const FAST: &str = "CREATE TABLE t_slow (id integer);";

/// Waits until the slow revision `s2` is running on `db`.
async fn wait_for_slow_revision(db: &TestDb) {
    match db.sqlite_path() {
        None => {
            wait_for_session(db, "pg_sleep").await;
        }
        Some(file) => {
            // The write transaction has begun once SQLite keeps a journal.
            let journal = file.with_file_name("app.db-journal");
            let wal = file.with_file_name("app.db-wal");
            wait_until("s2 to start writing", Duration::from_secs(30), || async {
                journal.exists() || std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0)
            })
            .await;
        }
    }
}

/// Interrupts `up` with `signal` during the slow revision `s2` (after `s1`
/// committed), then checks the message, the state and an immediate rerun.
async fn interrupt_during_a_slow_revision(db: TestDb, signal: &str) {
    let env = core_project(&db, LOCK_TIMEOUT);
    write_chain(&env, "migrations_core", &["s1"]);
    // Applied first, so that the version table exists and the only write
    // transaction of the interrupted run (what SQLite's journal shows) is s2.
    env.run(&["up", "core"]).success();
    let slow = if db.sqlite_path().is_some() {
        SQLITE_SLOW
    } else {
        PG_SLOW
    };
    env.put(
        "migrations_core/s2_slow.sql",
        rev_file("s2", "s1", slow, Some("DROP TABLE t_slow;")).as_bytes(),
    );

    let child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
        .spawn()
        .unwrap();
    wait_for_slow_revision(&db).await;
    send_signal(&child, signal);
    let (out, after_signal) = wait_output(child, Duration::from_secs(10));
    assert_no_panic(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && out.status.code().is_some(),
        "an interrupted run must exit non-zero (with a code, not killed by the signal)\n{}",
        describe(&out)
    );
    assert!(
        stderr.contains("s2") && stderr.contains(signal),
        "stderr must name the interrupted revision and the signal\n{}",
        describe(&out)
    );
    assert!(
        after_signal < Duration::from_secs(3),
        "took {after_signal:?} to stop after {signal}"
    );
    eprintln!(
        "{signal} on {:?}: exited {after_signal:?} after the signal",
        db.dialect
    );

    // Neither its table nor its row; s1 stays.
    assert!(!db.has_table("t_slow").await, "{}", describe(&out));
    assert_eq!(applied(&db, "_migrate_core").await, ["s1"]);

    // An immediate rerun (the body made quick) finds the lock free.
    env.put(
        "migrations_core/s2_slow.sql",
        rev_file("s2", "s1", FAST, Some("DROP TABLE t_slow;")).as_bytes(),
    );
    let start = Instant::now();
    let rerun = env.run(&["up", "core"]);
    let took = start.elapsed();
    rerun.success();
    eprintln!("{signal} on {:?}: rerun took {took:?}", db.dialect);
    assert!(
        took < RERUN_LIMIT,
        "the rerun took {took:?}: it waited for a lock the interrupted run left\n{rerun}"
    );
    assert_eq!(applied(&db, "_migrate_core").await, sorted(&["s1", "s2"]));
    // The row is the quick body's: the slow body never committed.
    let s2 = rows(&db, "_migrate_core").await.remove(1);
    assert_eq!(
        s2.checksum,
        checksum_of(&env.path("migrations_core/s2_slow.sql"))
    );
}

#[tokio::test]
async fn sigterm_during_a_postgres_revision_rolls_it_back() {
    on_postgres(concat!(module_path!(), "::term_pg"), |db| async move {
        interrupt_during_a_slow_revision(db, "TERM").await;
    })
    .await;
}

#[tokio::test]
async fn sigint_during_a_postgres_revision_rolls_it_back() {
    on_postgres(concat!(module_path!(), "::int_pg"), |db| async move {
        interrupt_during_a_slow_revision(db, "INT").await;
    })
    .await;
}

#[tokio::test]
async fn sigterm_during_a_sqlite_revision_rolls_it_back() {
    on_sqlite(|db| async move { interrupt_during_a_slow_revision(db, "TERM").await }).await;
}

#[tokio::test]
async fn sigint_during_a_sqlite_revision_rolls_it_back() {
    on_sqlite(|db| async move { interrupt_during_a_slow_revision(db, "INT").await }).await;
}

/// A `transaction off` revision cannot be rolled back: SIGTERM leaves it
/// dirty, the message says so, and the next `up` refuses naming `repair`.
#[tokio::test]
async fn sigterm_during_a_transaction_off_revision_leaves_it_dirty() {
    on_postgres(concat!(module_path!(), "::term_no_tx"), |db| async move {
        let env: TestEnv = core_project(&db, LOCK_TIMEOUT);
        env.put(
            "migrations_core/n1_slow.sql",
            rev_file_no_tx(
                "n1",
                "",
                "CREATE TABLE t_n (id integer);\n\nSELECT pg_sleep(4);\n\nCREATE TABLE t_n_after (id integer);",
                None,
            )
            .as_bytes(),
        );
        write_chain_after(&env, "n2", "n1");
        let child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_for_session(&db, "pg_sleep").await;
        send_signal(&child, "TERM");
        let (out, _) = wait_output(child, Duration::from_secs(10));
        assert_no_panic(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}", describe(&out));
        assert!(
            stderr.contains("n1") && stderr.contains("dirty") && stderr.contains("repair"),
            "stderr must say n1 is dirty and how to repair it\n{}",
            describe(&out)
        );
        // Once the server session is gone: its first statement stays, the
        // rest never ran, and the row says dirty.
        wait_until("the session to end", Duration::from_secs(10), || async {
            other_sessions(&db).await == 0
        })
        .await;
        assert!(db.has_table("t_n").await);
        assert!(!db.has_table("t_n_after").await);
        assert_eq!(db.version_rows().await, ["n1:1"]);

        let start = Instant::now();
        let rerun = env.run(&["up", "core"]);
        rerun.code(1).output_has("n1").output_has("migrate repair core n1");
        assert!(start.elapsed() < RERUN_LIMIT, "{:?}\n{rerun}", start.elapsed());
        assert!(!db.has_table("t_n2").await);
        env.run(&["status", "core"]).stdout_has("dirty");
    })
    .await;
}

fn write_chain_after(env: &TestEnv, id: &str, parent: &str) {
    let up = format!("CREATE TABLE t_{id} (id integer);");
    env.put(
        &format!("migrations_core/{id}.sql"),
        rev_file(id, parent, &up, None).as_bytes(),
    );
}
