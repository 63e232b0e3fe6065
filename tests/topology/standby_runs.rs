//! `migrate` pointed at a hot standby (after a failover, a URL still names
//! the old primary): a writing command stops at once, before any lock,
//! naming the host; read-only commands work and say it is a standby.

use std::time::{Duration, Instant};

use migrate::driver::LockKey;
use sqlx::{Connection, PgConnection};

use crate::harness::env::TestEnv;
use crate::harness::topology::{self, PgTopologyDb};
use crate::online::{core_config, write_chain};

#[tokio::test]
async fn up_on_a_standby_exits_3_at_once_even_while_the_lock_is_held_there() {
    let Some(db) = PgTopologyDb::create(concat!(module_path!(), "::up_on_a_standby")).await else {
        return;
    };
    db.run(|db| async move {
        let env = TestEnv::new()
            .config(&core_config("lock_timeout = \"60s\""))
            .mkdir("migrations_core")
            .env("DATABASE_URL", &db.standby_url);
        write_chain(&env, "migrations_core", &["s1", "s2"]);
        topology::wait_for_replay().await;
        // An operator holds the migrate lock's key on the standby.
        let key = LockKey::derive(None, "_migrate_core").value();
        let mut operator = PgConnection::connect(&db.standby_url).await.unwrap();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut operator)
            .await
            .unwrap();

        let start = Instant::now();
        let out = env.run(&["up", "core"]);
        let took = start.elapsed();
        out.code(3).stderr_has("is a standby (in recovery)");
        let port = url::Url::parse(&db.standby_url).unwrap().port().unwrap();
        out.stderr_has(&format!(":{port}"));
        assert!(took < Duration::from_secs(5), "took {took:?}\n{out}");
        let primary = crate::harness::TestDb::from_pg(&db.primary);
        assert!(
            !primary.has_table("_migrate_core").await,
            "nothing was written"
        );

        // Read-only commands answer, and say where they are.
        env.run(&["status", "core"])
            .success()
            .stdout_has("(standby)");
        let json = env.run(&["status", "core", "--format", "json"]).json();
        assert_eq!(json["core"]["server"], "standby");
        env.run(&["current", "core"]).success();
        let _ = operator.close().await;
    })
    .await;
}
