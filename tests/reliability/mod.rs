//! Reliability (issue 4, items 2–7): the real `migrate` binary under the
//! faults that happen in production — many replicas at once, signals, the
//! server ending our session, a runner killed while it holds the lock, DDL
//! stuck behind another session's lock, a version table made by another
//! tool, and URLs that are wrong or point nowhere. Each test runs on a fresh
//! PostgreSQL database (and a SQLite file where the fault applies there) and
//! checks what a user sees (exit code, messages) and what the database holds.
//!
//! No test sleeps to let a race happen: each polls the server
//! (`pg_stat_activity`, `pg_locks`) or the file system with a deadline.
//! `docs/reliability.md` lists what is proven here, with the numbers.

mod lock;
mod lost_connection;
mod runners;
mod signals;
mod state;
mod timeouts;
mod urls;

use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use migrate::driver::LockKey;

use crate::harness::TestDb;

/// The advisory-lock key (docs/reference.md, "The version table") of the default `core` version table.
pub fn core_lock_key() -> i64 {
    LockKey::derive(None, "_migrate_core").value()
}

/// Sends `signal` (`TERM`, `INT`, ...) to a running child, as `kill -s` would.
pub fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -s {signal} failed");
}

/// Waits for a child with a deadline (a hung runner fails the test instead
/// of hanging it), returning its output and how long the wait took.
pub fn wait_output(mut child: Child, deadline: Duration) -> (Output, Duration) {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("poll the child").is_some() {
            let out = child
                .wait_with_output()
                .expect("collect the child's output");
            return (out, start.elapsed());
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let out = child
                .wait_with_output()
                .expect("collect the child's output");
            panic!(
                "the runner did not exit within {deadline:?}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A number from a query that selects one `count(*)::text`-like value.
pub async fn count(db: &TestDb, sql: &str) -> i64 {
    db.strings(sql).await[0].parse().unwrap()
}

/// Sessions on the test database other than the probe's own.
pub async fn other_sessions(db: &TestDb) -> i64 {
    count(
        db,
        "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid()",
    )
    .await
}

/// The backend pid of the session running a statement that contains
/// `needle` (other than the probe), when there is exactly one.
pub async fn session_running(db: &TestDb, needle: &str) -> Option<i32> {
    let pids = db
        .strings(&format!(
            "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%{needle}%'"
        ))
        .await;
    match pids.as_slice() {
        [pid] => pid.parse().ok(),
        _ => None,
    }
}

/// Polls `probe` every 20 ms until it gives a value; panics after `deadline`.
pub async fn poll_for<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until a session other than `except` has run (or is running) a
/// statement containing `needle`; its pid. `pg_stat_activity.query` keeps
/// an idle session's last statement.
pub async fn wait_for_last_query(db: &TestDb, needle: &str, except: i32) -> i32 {
    poll_for(
        &format!("a session that ran `{needle}`"),
        Duration::from_secs(30),
        || async {
            let pids = db
                .strings(&format!(
                    "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() \
                     AND pid NOT IN (pg_backend_pid(), {except}) AND query LIKE '%{needle}%'"
                ))
                .await;
            match pids.as_slice() {
                [pid] => pid.parse().ok(),
                _ => None,
            }
        },
    )
    .await
}

/// Waits until one session runs a statement containing `needle`; its pid.
pub async fn wait_for_session(db: &TestDb, needle: &str) -> i32 {
    poll_for(
        &format!("a session running `{needle}`"),
        Duration::from_secs(30),
        || session_running(db, needle),
    )
    .await
}

/// Sessions on the test database holding (granted) the advisory lock `key`.
/// A bigint key shows in `pg_locks` as `classid` (high 32 bits), `objid`
/// (low 32 bits) and `objsubid = 1`.
pub async fn advisory_lock_holders(db: &TestDb, key: i64) -> i64 {
    let bits = key as u64;
    let (hi, lo) = (bits >> 32, bits & 0xffff_ffff);
    count(
        db,
        &format!(
            "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid::text = '{hi}' AND objid::text = '{lo}' AND objsubid = 1"
        ),
    )
    .await
}

/// What a runner printed, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit: {:?}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The runner never panicked (exit 101 or the panic hook's line).
pub fn assert_no_panic(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !crate::harness::hit_a_bug(out.status.code(), &stderr),
        "the runner hit a bug\n{}",
        describe(out)
    );
}
