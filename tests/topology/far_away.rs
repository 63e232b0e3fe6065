//! A server far away (the public proxy of a managed database): what a
//! command costs in round trips, counted by the delay proxy, not timed. A
//! revision costs one exchange (its SQL, its version row and its COMMIT
//! travel together); an `up` with nothing to do costs what a read does.

use std::time::Duration;

use crate::harness::TestDb;
use crate::harness::env::TestEnv;
use crate::harness::topology;
use crate::online::{core_config, write_chain};

#[tokio::test]
async fn a_revision_costs_one_round_trip_and_a_no_op_up_costs_a_read() {
    let Some(db) = TestDb::postgres(concat!(module_path!(), "::round_trips")).await else {
        return;
    };
    db.run(|db| async move {
        let (proxy, far) = topology::delayed(&db.url, Duration::from_millis(2));
        let env = TestEnv::new()
            .config(&core_config(""))
            .mkdir("migrations_core")
            .env("DATABASE_URL", &far);
        let ids: Vec<String> = (1..=20).map(|i| format!("f{i:02}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        write_chain(&env, "migrations_core", &refs);

        let cost = |args: &[&str]| {
            let before = proxy.exchanges();
            env.run(args).success();
            proxy.exchanges() - before
        };
        let read = cost(&["current", "core"]);
        let first_up = cost(&["up", "core"]);
        let noop = cost(&["up", "core"]);
        let read_again = cost(&["current", "core"]);
        eprintln!(
            "exchanges: read {read}, up of 20 {first_up}, no-op up {noop}, read {read_again}"
        );
        assert_eq!(noop, read_again, "a no-op up costs what a read costs");
        // Connecting (TLS request, start-up) and the read itself.
        assert!(read_again <= 4, "a read cost {read_again} exchanges");
        // 20 revisions at one exchange each, plus making the version table
        // (its shape check, the create under the lock) and asking whether
        // Alembic manages the database.
        let per_revision = (first_up - read) as f64 / 20.0;
        assert!(
            (1.0..=1.3).contains(&per_revision),
            "{per_revision} exchanges per revision ({first_up} for the up, {read} for a read)"
        );
        drop(proxy);
    })
    .await;
}
