//! MySQL and MariaDB end to end (issue 15): the real `migrate` binary
//! against a fresh MariaDB database per test (`harness::mysql`), started by
//! `scripts/with-services.sh`. What a user sees (exit code, messages) and
//! what the database holds afterwards, read on a connection of the test.
//!
//! MySQL commits each DDL statement by itself, so every revision runs
//! statement by statement there, recorded dirty until its last statement
//! is done; these tests check that a failure, a kill or a lost connection
//! leaves that visible, and that later runs refuse until `repair`.
//! No test sleeps to let a race happen: each polls the server's process
//! list with a deadline.

mod commands;
mod history;
mod own_server;
mod reliability;

use std::time::Duration;

use sqlx::{Connection, MySqlConnection};

use crate::harness::TestDb;
use crate::harness::env::TestEnv;
use crate::online::{core_project, wait_until};
use crate::reliability::poll_for;

/// Runs `body` on a fresh MariaDB database named after `test_path`,
/// dropping it afterwards even when the body panics.
pub async fn on_mysql<F, Fut>(test_path: &str, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    if let Some(db) = TestDb::mysql(test_path).await {
        db.run(body).await;
    }
}

/// A project whose `core` database is `db`, with `[settings]` lines.
pub fn project(db: &TestDb, settings: &str) -> TestEnv {
    core_project(db, settings)
}

/// The lock's name for `core`'s default version table (docs/reference.md).
pub fn core_lock_name(db: &TestDb) -> String {
    format!("migrate:{}._migrate_core", db.mysql_db().name)
}

/// A connection of its own holding the run lock, as an operator (or a
/// stuck runner) would, and its connection id.
pub async fn hold_lock(db: &TestDb) -> (MySqlConnection, String) {
    let mut operator = db.mysql_db().connect().await;
    let got: i64 = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
        .bind(core_lock_name(db))
        .fetch_one(&mut operator)
        .await
        .unwrap();
    assert_eq!(got, 1, "the operator could not take the lock");
    let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
        .fetch_one(&mut operator)
        .await
        .unwrap();
    (operator, id.to_string())
}

/// The connection id of the one session on the test database (other than
/// the probe) whose current statement contains `needle`.
pub async fn session_running(db: &TestDb, needle: &str) -> Option<String> {
    let ids = db
        .strings(&format!(
            "SELECT CAST(id AS CHAR) FROM information_schema.processlist \
             WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE '%{needle}%'"
        ))
        .await;
    match ids.as_slice() {
        [id] => Some(id.clone()),
        _ => None,
    }
}

/// Waits until a session runs a statement containing `needle`; its id.
pub async fn wait_for_statement(db: &TestDb, needle: &str) -> String {
    poll_for(
        &format!("a session running `{needle}`"),
        Duration::from_secs(30),
        || session_running(db, needle),
    )
    .await
}

/// Waits until no session but the probe's is connected to the database.
pub async fn wait_for_no_sessions(db: &TestDb) {
    wait_until(
        "the other sessions to end",
        Duration::from_secs(30),
        || async {
            db.strings(
                "SELECT CAST(count(*) AS CHAR) FROM information_schema.processlist \
             WHERE db = DATABASE() AND id <> CONNECTION_ID()",
            )
            .await
                == ["0"]
        },
    )
    .await;
}

/// Who holds the run lock now (a connection id), if anyone.
pub async fn lock_holder(db: &TestDb) -> Option<String> {
    let mut conn = db.mysql_db().connect().await;
    let holder: Option<i64> = sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
        .bind(core_lock_name(db))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let _ = conn.close().await;
    holder.map(|id| id.to_string())
}
