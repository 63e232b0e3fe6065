//! Production guards (item 5) on PostgreSQL: `ddl_lock_timeout` makes a
//! revision stuck behind another session's table lock fail fast instead of
//! queueing every query behind it; `statement_timeout` stops a statement
//! that runs too long. Either way nothing of the revision remains.

use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use super::*;
use crate::harness::env::{Output, TestEnv};
use crate::online::{
    applied, core_project, on_postgres, rev_file, rev_file_no_tx, sorted, wait_until,
};

async fn columns_of_t(db: &TestDb) -> Vec<String> {
    db.strings(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_name = 't' ORDER BY ordinal_position",
    )
    .await
}

/// Another session's open transaction holding `t`, as a long report or a
/// forgotten `psql` would; `release` ends it.
async fn hold_table_t(db: &TestDb) -> PgConnection {
    let mut other = PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE;")
        .execute(&mut other)
        .await
        .unwrap();
    other
}

async fn release(mut other: PgConnection) {
    sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
}

/// `migrate up core`, and how long it took.
fn timed_up(env: &TestEnv) -> (Output, Duration) {
    let start = Instant::now();
    let out = env.run(&["up", "core"]);
    (out, start.elapsed())
}

/// Whether the output names the limit (`lock timeout`, `statement_timeout`, ...).
fn names_limit(out: &Output, limit: &str) -> bool {
    let text = format!("{}{}", out.stdout, out.stderr).to_lowercase();
    text.contains(&limit.replace('_', " ")) || text.contains(limit)
}

#[tokio::test]
async fn ddl_lock_timeout_fails_fast_behind_a_table_lock() {
    on_postgres(concat!(module_path!(), "::ddl"), |db| async move {
        db.exec("CREATE TABLE t (id integer)").await;
        let env = core_project(&db, "ddl_lock_timeout = \"1s\"\nlock_timeout = \"30s\"");
        env.put(
            "migrations_core/d1.sql",
            rev_file("d1", "", "CREATE TABLE t_d1 (id int);", None).as_bytes(),
        );
        env.put(
            "migrations_core/d2_add_note.sql",
            rev_file("d2", "d1", "ALTER TABLE t ADD COLUMN note text;", None).as_bytes(),
        );

        // A long transaction elsewhere holds the table.
        let other = hold_table_t(&db).await;

        let (out, took) = timed_up(&env);
        out.code(1).output_has("d2");
        assert!(
            names_limit(&out, "lock_timeout"),
            "the error must say it was the lock timeout\n{out}"
        );
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "took {took:?} with ddl_lock_timeout = 1s\n{out}"
        );
        eprintln!("ddl_lock_timeout = 1s: gave up after {took:?}");
        // d1 committed before; nothing of d2.
        assert_eq!(applied(&db, "_migrate_core").await, ["d1"], "{out}");

        release(other).await;
        assert_eq!(columns_of_t(&db).await, ["id"]);

        env.run(&["up", "core"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["d1", "d2"]));
        assert_eq!(columns_of_t(&db).await, ["id", "note"]);
    })
    .await;
}

#[tokio::test]
async fn statement_timeout_stops_a_long_statement() {
    on_postgres(concat!(module_path!(), "::statement"), |db| async move {
        let env = core_project(&db, "statement_timeout = \"1s\"");
        env.put(
            "migrations_core/s1_slow.sql",
            rev_file(
                "s1",
                "",
                "CREATE TABLE t_s1 (id int);\nSELECT pg_sleep(3);",
                None,
            )
            .as_bytes(),
        );
        let (out, took) = timed_up(&env);
        out.code(1).output_has("s1");
        assert!(
            names_limit(&out, "statement_timeout"),
            "the error must say it was the statement timeout\n{out}"
        );
        assert!(took < Duration::from_secs(3), "took {took:?}\n{out}");
        assert!(!db.has_table("t_s1").await);
        assert!(applied(&db, "_migrate_core").await.is_empty());
        // The limit is the revision's, not the session's: no session of ours
        // is left over, and nothing else was cut short.
        wait_until(
            "the runner's session to end",
            Duration::from_secs(10),
            || async { other_sessions(&db).await == 0 },
        )
        .await;
    })
    .await;
}

/// Outside a transaction `SET LOCAL` does nothing: the limit must still hold
/// for a `transaction off` revision, which then fails fast and is dirty.
#[tokio::test]
async fn ddl_lock_timeout_holds_outside_a_transaction_too() {
    on_postgres(concat!(module_path!(), "::ddl_no_tx"), |db| async move {
        db.exec("CREATE TABLE t (id integer)").await;
        let env = core_project(&db, "ddl_lock_timeout = \"1s\"");
        env.put(
            "migrations_core/n1_add_note.sql",
            rev_file_no_tx("n1", "", "ALTER TABLE t ADD COLUMN note text;", None).as_bytes(),
        );
        let other = hold_table_t(&db).await;

        let (out, took) = timed_up(&env);
        out.code(1).output_has("n1");
        assert!(names_limit(&out, "lock_timeout"), "{out}");
        assert!(took < Duration::from_secs(5), "took {took:?}\n{out}");
        release(other).await;
        assert_eq!(columns_of_t(&db).await, ["id"]);
        // Failed outside a transaction: dirty until repaired.
        env.run(&["up", "core"]).code(1).output_has("repair");
        env.run(&["repair", "core", "n1", "--forget"]).success();
        env.run(&["up", "core"]).success();
        assert_eq!(columns_of_t(&db).await, ["id", "note"]);
    })
    .await;
}
