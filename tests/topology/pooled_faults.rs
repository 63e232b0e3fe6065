//! Faults of the reliability suite that also happen through a transaction
//! pooler: an operator holding the lock, and a runner stopped mid-revision.
//! The server must be left as a direct connection would leave it: nothing
//! half-done, no lock held, the next run free to go.

use std::time::{Duration, Instant};

use migrate::driver::LockKey;
use sqlx::Connection;

use crate::harness::TestDb;
use crate::harness::env::TestEnv;
use crate::harness::topology::PgTopologyDb;
use crate::online::{applied, command, core_config, rev_file, sorted, write_chain};
use crate::reliability::{
    advisory_lock_holders, assert_no_panic, describe, send_signal, wait_for_session, wait_output,
};

fn project(settings: &str) -> TestEnv {
    TestEnv::new()
        .config(&core_config(settings))
        .mkdir("migrations_core")
}

#[tokio::test]
async fn an_operator_holding_the_lock_stops_a_pooled_run_with_exit_3() {
    let Some(db) = PgTopologyDb::create(concat!(module_path!(), "::operator")).await else {
        return;
    };
    db.run(|db| async move {
        let env = project("lock_timeout = \"1s\"");
        write_chain(&env, "migrations_core", &["o1", "o2"]);
        let key = LockKey::derive(None, "_migrate_core").value();
        let mut operator = crate::harness::pg::hold_advisory_lock(&db.primary.url, key).await;
        let pooled = [("DATABASE_URL", db.pooled_url.as_str())];
        let start = Instant::now();
        let out = command(&env, &pooled, &["up", "core"]).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("held by server process"));
        let primary = TestDb::from_pg(&db.primary);
        assert!(applied(&primary, "_migrate_core").await.is_empty());
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut operator)
            .await
            .unwrap();
        let out = command(&env, &pooled, &["up", "core"]).output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        assert_eq!(
            applied(&primary, "_migrate_core").await,
            sorted(&["o1", "o2"])
        );
        operator.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn sigterm_mid_revision_through_the_pooler_leaves_nothing_half_done_and_no_lock() {
    let Some(db) = PgTopologyDb::create(concat!(module_path!(), "::sigterm")).await else {
        return;
    };
    db.run(|db| async move {
        let env = project("lock_timeout = \"20s\"");
        env.put(
            "migrations_core/s1.sql",
            rev_file("s1", "", "CREATE TABLE t_s1 (id integer);", None).as_bytes(),
        );
        env.put(
            "migrations_core/s2.sql",
            rev_file(
                "s2",
                "s1",
                "CREATE TABLE t_s2 (id integer);\nSELECT pg_sleep(4);",
                None,
            )
            .as_bytes(),
        );
        let pooled = [("DATABASE_URL", db.pooled_url.as_str())];
        let child = command(&env, &pooled, &["up", "core"]).spawn().unwrap();
        let primary = TestDb::from_pg(&db.primary);
        wait_for_session(&primary, "pg_sleep").await;
        send_signal(&child, "TERM");
        let (out, _) = wait_output(child, Duration::from_secs(10));
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("`s2`"), "{}", describe(&out));
        // PgBouncer drops a server connection whose client left mid-transaction:
        // the server rolls s2 back, and its transaction lock goes with it.
        let key = LockKey::derive(None, "_migrate_core").value();
        crate::online::wait_until("s2's session to end", Duration::from_secs(10), || async {
            primary
                .strings(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() \
                     AND query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid()",
                )
                .await
                == ["0"]
        })
        .await;
        assert_eq!(advisory_lock_holders(&primary, key).await, 0);
        assert_eq!(applied(&primary, "_migrate_core").await, sorted(&["s1"]));
        assert!(!primary.has_table("t_s2").await);
        // The next run goes at once and finishes the job.
        let start = Instant::now();
        let out = command(&env, &pooled, &["up", "core"]).output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
        assert_eq!(applied(&primary, "_migrate_core").await, sorted(&["s1", "s2"]));
    })
    .await;
}
