//! PgBouncer as `scripts/with-services.sh` runs it: transaction pooling in
//! front of the primary, every test's database reachable by name, roles
//! looked up on the server, and pools wide enough for 32 clients at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use tokio::sync::Barrier;

use crate::harness::topology::{self, PGBOUNCER, PgTopologyDb};

/// Rows of an admin console command (simple protocol only), as text.
async fn admin_console(command: &str) -> Option<Vec<Vec<String>>> {
    let admin = topology::server_url(PGBOUNCER, "PgBouncer in transaction mode")?;
    let url = topology::with_database(&admin, "pgbouncer");
    let mut conn = PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PgBouncer's admin console: {e}"));
    let rows = sqlx::raw_sql(AssertSqlSafe(command.to_owned()))
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{command}: {e}"));
    let _ = conn.close().await;
    Some(
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<String, _>(i).unwrap_or_default())
                    .collect()
            })
            .collect(),
    )
}

#[tokio::test]
async fn pools_by_transaction() {
    let Some(config) = admin_console("SHOW CONFIG").await else {
        return;
    };
    let value = |key: &str| {
        config
            .iter()
            .find(|row| row[0] == key)
            .map(|row| row[1].clone())
            .unwrap_or_else(|| panic!("SHOW CONFIG has no {key}: {config:?}"))
    };
    assert_eq!(value("pool_mode"), "transaction");
    let ignored = value("ignore_startup_parameters");
    for parameter in ["extra_float_digits", "options"] {
        assert!(ignored.contains(parameter), "{ignored}");
    }
    let pool: u32 = value("default_pool_size").parse().unwrap();
    assert!(pool >= 33, "default_pool_size {pool}");
}

#[tokio::test]
async fn a_test_database_is_reachable_by_name_in_transaction_mode() {
    let Some(db) = PgTopologyDb::create(concat!(
        module_path!(),
        "::a_test_database_is_reachable_by_name_in_transaction_mode"
    ))
    .await
    else {
        return;
    };
    db.run(|db| async move {
        let mut conn = PgConnection::connect(&db.pooled_url).await.unwrap();
        let (name,): (String,) = sqlx::query_as("SELECT current_database()::text")
            .persistent(false)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(name, db.name());
        let _ = conn.close().await;

        let pools = admin_console("SHOW POOLS").await.unwrap();
        let ours = pools
            .iter()
            .find(|row| row[0] == db.name())
            .unwrap_or_else(|| panic!("no pool for {} in SHOW POOLS: {pools:?}", db.name()));
        assert_eq!(ours.last().map(String::as_str), Some("transaction"));
    })
    .await;
}

/// A role a test creates on the primary logs in through PgBouncer too
/// (PgBouncer looks it up with its auth_query).
#[tokio::test]
async fn a_role_made_by_a_test_can_log_in() {
    let Some(db) = PgTopologyDb::create(concat!(
        module_path!(),
        "::a_role_made_by_a_test_can_log_in"
    ))
    .await
    else {
        return;
    };
    db.run(|db| async move {
        let role = format!("{}_app", db.name());
        db_exec(
            &db.primary.url,
            &format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN"),
        )
        .await;
        let mut url = url::Url::parse(&db.pooled_url).unwrap();
        url.set_username(&role).unwrap();
        let outcome = async {
            let mut conn = PgConnection::connect(url.as_str()).await?;
            let who: String = sqlx::raw_sql("SELECT current_user::text")
                .fetch_one(&mut conn)
                .await?
                .get(0);
            conn.close().await?;
            Ok::<_, sqlx::Error>(who)
        }
        .await;
        db_exec(&db.primary.url, &format!("DROP ROLE {role}")).await;
        assert_eq!(outcome.unwrap(), role);
    })
    .await;
}

/// 32 clients each inside a transaction at the same moment get 32 server
/// connections: none waits for another's to be returned to the pool.
#[tokio::test]
async fn thirty_two_clients_hold_transactions_at_once() {
    let Some(db) = PgTopologyDb::create(concat!(
        module_path!(),
        "::thirty_two_clients_hold_transactions_at_once"
    ))
    .await
    else {
        return;
    };
    db.run(|db| async move {
        const CLIENTS: usize = 32;
        let barrier = Arc::new(Barrier::new(CLIENTS));
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let url = db.pooled_url.clone();
            let barrier = barrier.clone();
            clients.push(tokio::spawn(async move {
                let mut conn = PgConnection::connect(&url).await.unwrap();
                let pid: String = sqlx::raw_sql("BEGIN; SELECT pg_backend_pid()::text")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
                    .get(0);
                // Everyone holds a transaction (and so a server) here.
                barrier.wait().await;
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.unwrap();
                let _ = conn.close().await;
                pid
            }));
        }
        let all = async {
            let mut pids = HashSet::new();
            for client in clients {
                pids.insert(client.await.unwrap());
            }
            pids
        };
        let pids = tokio::time::timeout(Duration::from_secs(60), all)
            .await
            .expect("32 clients could not all be in a transaction at once: is the pool smaller?");
        assert_eq!(pids.len(), CLIENTS, "server pids: {pids:?}");
    })
    .await;
}

async fn db_exec(url: &str, sql: &str) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}
