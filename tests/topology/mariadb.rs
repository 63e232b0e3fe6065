//! MariaDB as `scripts/with-services.sh` runs it: a user with a password
//! over TCP (a wrong one refused), who creates and drops each test's
//! database.

use sqlx::{Connection, MySqlConnection};

use crate::harness::mysql;

#[tokio::test]
async fn the_password_user_logs_in_over_tcp() {
    let Some(url) = mysql::admin_url() else {
        return;
    };
    let parsed = url::Url::parse(&url).unwrap();
    assert!(
        !parsed.password().unwrap_or_default().is_empty(),
        "no password in the URL"
    );
    let mut conn = MySqlConnection::connect(&url).await.unwrap();
    let (user, version): (String, String) = sqlx::query_as("SELECT CURRENT_USER(), VERSION()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(user, format!("{}@127.0.0.1", parsed.username()));
    assert!(version.contains("MariaDB"), "{version}");
    let _ = conn.close().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let Some(url) = mysql::admin_url() else {
        return;
    };
    let mut wrong = url::Url::parse(&url).unwrap();
    wrong.set_password(Some("not-the-password")).unwrap();
    let err = MySqlConnection::connect(wrong.as_str())
        .await
        .expect_err("a wrong password was let in");
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    // ER_ACCESS_DENIED_ERROR's SQLSTATE.
    assert_eq!(code.as_deref(), Some("28000"), "{err}");
}

#[tokio::test]
async fn a_test_database_is_created_used_and_dropped() {
    let Some(db) = mysql::create(concat!(
        module_path!(),
        "::a_test_database_is_created_used_and_dropped"
    ))
    .await
    else {
        return;
    };
    let name = db.name.clone();
    db.run(|db| async move {
        db.exec("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'ünïcode ✓')")
            .await;
        assert!(db.has_table("notes").await);
        assert_eq!(db.strings("SELECT body FROM notes").await, ["ünïcode ✓"]);
        assert_eq!(db.strings("SELECT DATABASE()").await, vec![db.name.clone()]);
    })
    .await;
    let mut admin = MySqlConnection::connect(&mysql::admin_url().unwrap())
        .await
        .unwrap();
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?",
    )
    .bind(&name)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(left.is_empty(), "{name} was not dropped");
    let _ = admin.close().await;
}
