//! The run lock: exclusive between connections, released with its holder.

use std::time::{Duration, Instant};

use migrate::driver::{Applied, ApplyOptions, Dialect, Driver, DriverError, Server, StepError};
use sqlx::Connection;

use super::{NO_LIMITS, apply_one};
use crate::harness::{TestDb, rev, row};

driver_test!(a_second_connection_times_out_then_gets_it, |db| {
    let mut first = db.connect().await;
    let mut second = db.connect().await;
    first.lock(Duration::from_secs(1)).await.unwrap();

    let start = Instant::now();
    let err = second.lock(Duration::from_millis(400)).await.unwrap_err();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(390) && took < Duration::from_secs(2),
        "{took:?}"
    );
    match &err {
        DriverError::LockTimeout {
            waited,
            holder_hint,
        } => {
            assert!(*waited >= Duration::from_millis(390));
            let expected = match db.dialect {
                Dialect::Mysql => "`KILL ".to_owned(),
                Dialect::Postgres => "pg_terminate_backend(".to_owned(),
                Dialect::Sqlite => {
                    db.sqlite_path().unwrap().display().to_string() + ".migrate-lock"
                }
            };
            assert!(holder_hint.contains(&expected), "{holder_hint}");
        }
        other => panic!("expected LockTimeout, got {other:?}"),
    }

    first.unlock().await.unwrap();
    second.lock(Duration::from_secs(1)).await.unwrap();
    second.close().await.unwrap();
    first.close().await.unwrap();
});

driver_test!(a_dropped_holder_releases_the_lock, |db| {
    let mut first = db.connect().await;
    first.lock(Duration::ZERO).await.unwrap();
    drop(first); // no close, no unlock: a crashed runner
    let mut second = db.connect().await;
    second.lock(Duration::from_secs(5)).await.unwrap();
    // And `close` releases it for a third.
    second.close().await.unwrap();
    let mut third = db.connect().await;
    third.lock(Duration::ZERO).await.unwrap();
    third.close().await.unwrap();
});

driver_test!(the_lock_is_per_version_table, |db| {
    let mut core = db.connect().await;
    let other = migrate::driver::VersionTable::new(None, "_migrate_ai");
    let mut ai = db.connect_table(other).await;
    core.lock(Duration::ZERO).await.unwrap();
    if db.dialect != Dialect::Sqlite {
        ai.lock(Duration::ZERO).await.unwrap();
    } else {
        // SQLite: one lock file per database file, whatever the table.
        assert!(ai.lock(Duration::ZERO).await.is_err());
    }
    ai.close().await.unwrap();
    core.close().await.unwrap();
});

driver_test!(
    begin_run_locks_for_the_run_where_the_driver_holds_one,
    |db| {
        let mut d = db.connect().await;
        // No table yet: nothing to read.
        let read = d.begin_run(Duration::ZERO).await.unwrap();
        assert_eq!((read.rows, read.server), (None, Server::Writable));
        let mut other = db.connect().await;
        let blocked = other.lock(Duration::ZERO).await;
        match db.dialect {
            // SQLite holds its lock file for the whole run, MySQL its
            // `GET_LOCK`.
            Dialect::Sqlite | Dialect::Mysql => {
                assert!(read.locked);
                assert!(matches!(blocked, Err(DriverError::LockTimeout { .. })));
            }
            // PostgreSQL takes none: each write locks its own transaction.
            Dialect::Postgres => {
                assert!(!read.locked);
                blocked.unwrap();
                other.unlock().await.unwrap();
            }
        }
        apply_one(&mut d).await;
        let read = d.begin_run(Duration::ZERO).await.unwrap();
        let ids: Vec<&str> = read.rows.iter().flatten().map(|r| &*r.revision).collect();
        assert_eq!(ids, ["a1"]);
        d.close().await.unwrap();
        other.close().await.unwrap();
    }
);

#[tokio::test]
async fn sqlite_begin_run_waits_for_a_held_lock_then_reads() {
    let db = TestDb::sqlite();
    db.run(|db| async move {
        let mut holder = db.connect().await;
        apply_one(&mut holder).await;
        holder.lock(Duration::ZERO).await.unwrap();
        let mut d = db.connect().await;
        let err = d.begin_run(Duration::from_millis(200)).await.unwrap_err();
        assert!(matches!(err, DriverError::LockTimeout { .. }), "{err:?}");
        holder.unlock().await.unwrap();
        let read = d.begin_run(Duration::from_secs(5)).await.unwrap();
        assert_eq!(read.rows.map(|r| r.len()), Some(1));
        assert!(holder.lock(Duration::ZERO).await.is_err());
        d.close().await.unwrap();
        holder.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_postgres_write_waits_for_the_lock_in_its_transaction() {
    let Some(db) = TestDb::postgres(module_path!()).await else {
        return;
    };
    db.run(|db| async move {
        let mut d = db.connect().await;
        d.begin_run(Duration::from_millis(300)).await.unwrap();
        d.ensure_version_table().await.unwrap();
        let key = db.table.lock_key().value();
        let mut operator = crate::harness::pg::hold_advisory_lock(&db.url, key).await;
        let r = rev("w1", "CREATE TABLE w1 (id int);", None);
        let start = Instant::now();
        let opts = ApplyOptions {
            lock_wait: Duration::from_millis(300),
            ..ApplyOptions::default()
        };
        let err = d.apply(&r, &r.sql, &row(&r), &opts).await.unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(290));
        let StepError::Driver(DriverError::LockTimeout { holder_hint, .. }) = &err else {
            panic!("{err:?}")
        };
        assert!(
            holder_hint.contains("held by server process"),
            "{holder_hint}"
        );
        assert!(!db.has_table("w1").await, "nothing of it ran");
        assert_eq!(db.version_rows().await, Vec::<String>::new());
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut operator)
            .await
            .unwrap();
        let done = d.apply(&r, &r.sql, &row(&r), &opts).await.unwrap();
        assert!(matches!(done, Applied::Ran(_)));
        // Nothing is left locked: the lock went with the transaction.
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut operator)
            .await
            .unwrap();
        assert!(got);
        d.close().await.unwrap();
        operator.close().await.unwrap();
    })
    .await;
}

driver_test!(a_revision_another_runner_applied_is_not_run_again, |db| {
    let mut first = db.connect().await;
    let mut second = db.connect().await;
    first.ensure_version_table().await.unwrap();
    // Both planned it; the first commits it; the second finds its row.
    let r = rev("c1", "CREATE TABLE c1 (id int);", Some("DROP TABLE c1;"));
    let ran = first.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
    assert!(matches!(ran, Applied::Ran(_)));
    if db.dialect == Dialect::Mysql {
        // Its dirty row is the claim. Reverting is not claimed on MySQL:
        // a writing run holds the lock from before it reads, so no other
        // runner can have reverted what it planned to.
        let again = second
            .apply(&r, &r.sql, &row(&r), &NO_LIMITS)
            .await
            .unwrap();
        assert_eq!(again, Applied::ByAnother);
    }
    if db.dialect == Dialect::Postgres {
        let again = second
            .apply(&r, &r.sql, &row(&r), &NO_LIMITS)
            .await
            .unwrap();
        assert_eq!(again, Applied::ByAnother);
        // And reverting what another runner reverted runs nothing either.
        assert!(matches!(
            first.revert(&r, &r.sql, &NO_LIMITS).await.unwrap(),
            Applied::Ran(_)
        ));
        let again = second.revert(&r, &r.sql, &NO_LIMITS).await.unwrap();
        assert_eq!(again, Applied::ByAnother);
    }
    assert_eq!(
        db.version_rows().await.len(),
        usize::from(db.dialect != Dialect::Postgres)
    );
    first.close().await.unwrap();
    second.close().await.unwrap();
});

#[tokio::test]
async fn an_operator_session_holding_pg_advisory_lock_blocks_us() {
    let Some(db) = TestDb::postgres(module_path!()).await else {
        return;
    };
    db.run(|db| async move {
        let key = db.table.lock_key().value();
        let mut operator = crate::harness::pg::hold_advisory_lock(&db.url, key).await;
        let mut d = db.connect().await;
        let err = d.lock(Duration::from_millis(200)).await.unwrap_err();
        let DriverError::LockTimeout { holder_hint, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            holder_hint.contains(&format!("pg_advisory_lock({key})")),
            "{holder_hint}"
        );
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut operator)
            .await
            .unwrap();
        d.lock(Duration::from_secs(1)).await.unwrap();
        // And the other way round: while we hold it, the operator cannot.
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut operator)
            .await
            .unwrap();
        assert!(!got);
        d.close().await.unwrap();
        operator.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn sqlite_in_memory_has_no_lock() {
    let table = migrate::driver::VersionTable::new(None, "_migrate_core");
    let mut a = migrate::driver::connect(
        &crate::harness::db_url("sqlite::memory:"),
        table.clone(),
        Duration::ZERO,
        true,
    )
    .await
    .unwrap();
    let mut b = migrate::driver::connect(
        &crate::harness::db_url("sqlite::memory:"),
        table,
        Duration::ZERO,
        true,
    )
    .await
    .unwrap();
    a.lock(Duration::ZERO).await.unwrap();
    b.lock(Duration::ZERO).await.unwrap();
    a.ensure_version_table().await.unwrap();
    assert_eq!(a.read().await.unwrap().rows, Some(vec![]));
    a.close().await.unwrap();
    b.close().await.unwrap();
}
