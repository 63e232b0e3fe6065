//! The hot standby as `scripts/with-services.sh` runs it: in recovery,
//! replaying what the primary writes (a test's own database included), and
//! refusing writes as a standby does.

use sqlx::{Connection, PgConnection};

use crate::harness::topology::{self, PgTopologyDb, STANDBY};

#[tokio::test]
async fn is_in_recovery() {
    let Some(standby) = topology::server_url(STANDBY, "a PostgreSQL hot standby") else {
        return;
    };
    let mut conn = PgConnection::connect(&standby).await.unwrap();
    let (recovering, read_only): (bool, String) =
        sqlx::query_as("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(recovering);
    assert_eq!(read_only, "on");
    let _ = conn.close().await;
}

#[tokio::test]
async fn sees_a_table_made_on_the_primary_once_replayed() {
    let Some(db) = PgTopologyDb::create(concat!(
        module_path!(),
        "::sees_a_table_made_on_the_primary_once_replayed"
    ))
    .await
    else {
        return;
    };
    db.run(|db| async move {
        let mut primary = PgConnection::connect(&db.primary.url).await.unwrap();
        sqlx::raw_sql("CREATE TABLE replayed (id int PRIMARY KEY, note text); INSERT INTO replayed VALUES (1, 'from the primary')")
            .execute(&mut primary)
            .await
            .unwrap();
        let _ = primary.close().await;

        topology::wait_for_replay().await;
        let mut standby = PgConnection::connect(&db.standby_url).await.unwrap();
        let notes: Vec<String> = sqlx::query_scalar("SELECT note FROM replayed")
            .fetch_all(&mut standby)
            .await
            .unwrap();
        assert_eq!(notes, ["from the primary"]);
        let _ = standby.close().await;
    })
    .await;
}

#[tokio::test]
async fn refuses_a_write_with_sqlstate_25006() {
    let Some(db) = PgTopologyDb::create(concat!(
        module_path!(),
        "::refuses_a_write_with_sqlstate_25006"
    ))
    .await
    else {
        return;
    };
    db.run(|db| async move {
        topology::wait_for_replay().await;
        let mut standby = PgConnection::connect(&db.standby_url).await.unwrap();
        let err = sqlx::raw_sql("CREATE TABLE written_on_the_standby (id int)")
            .execute(&mut standby)
            .await
            .expect_err("the standby accepted a write");
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("25006"), "{err}");
        let _ = standby.close().await;
    })
    .await;
}
