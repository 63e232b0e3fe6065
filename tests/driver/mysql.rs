//! What only the MySQL driver does, against MariaDB: the session as the
//! `mysql` client has it, statements between custom delimiters, where a
//! syntax error points, the `GET_LOCK` an operator can see and take, and
//! `ddl_lock_timeout` as MySQL's metadata-lock wait.

use std::time::{Duration, Instant};

use migrate::driver::{ApplyOptions, Driver, DriverError};
use sqlx::Connection;

use super::{Failed, NO_LIMITS};
use crate::harness::{TestDb, rev, row};

/// Runs `body` on a fresh MariaDB database.
async fn on_mysql<F, Fut>(test_path: &str, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    if let Some(db) = TestDb::mysql(test_path).await {
        db.run(body).await;
    }
}

#[tokio::test]
async fn function_names_are_not_reserved_words_as_in_the_mysql_client() {
    on_mysql(concat!(module_path!(), "::ignore_space"), |db| async move {
        // sqlx's handshake would make them so (`IGNORE_SPACE`).
        let mut d = db.connect().await;
        d.ensure_version_table().await.unwrap();
        let r = rev(
            "s1",
            "CREATE TABLE count (id int);\nCREATE TABLE now (x int);",
            None,
        );
        d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
        assert!(db.has_table("count").await && db.has_table("now").await);
        d.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_statement_between_custom_delimiters_may_hold_several() {
    on_mysql(concat!(module_path!(), "::several"), |db| async move {
        let mut d = db.connect().await;
        d.ensure_version_table().await.unwrap();
        let body = "CREATE TABLE t (x int);\n\
                    DELIMITER //\n\
                    INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)//\n\
                    INSERT INTO t VALUES (3); SELECT * FROM t; INSERT INTO t VALUES (4)//\n\
                    DELIMITER ;\n";
        let r = rev("d1", body, None);
        d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
        let mut xs = db.strings("SELECT CAST(x AS CHAR) FROM t").await;
        xs.sort();
        assert_eq!(xs, ["1", "2", "3", "4"]);

        // The server stops at the first that fails, as the client does: what
        // ran before it in the same statement stays.
        let body = "DELIMITER //\n\
                    INSERT INTO t VALUES (5); INSERT INTO nope VALUES (6); INSERT INTO t VALUES (7)//\n\
                    DELIMITER ;\n";
        let bad = rev("d2", body, None);
        let err = d
            .apply(&bad, &bad.sql, &row(&bad), &NO_LIMITS)
            .await
            .failed();
        assert!(err.dirty && err.message.contains("nope"), "{err:?}");
        assert_eq!((err.statement_index, err.line), (Some(0), Some(7)));
        let mut xs = db.strings("SELECT CAST(x AS CHAR) FROM t").await;
        xs.sort();
        assert_eq!(xs, ["1", "2", "3", "4", "5"]);
        assert_eq!(db.version_rows().await, ["d1:0", "d2:1"]);
        d.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_syntax_error_names_its_line_in_the_file() {
    on_mysql(concat!(module_path!(), "::syntax"), |db| async move {
        let mut d = db.connect().await;
        d.ensure_version_table().await.unwrap();
        // The body starts on line 6; the server says "at line 3" of the
        // second statement, which starts on the body's line 2.
        let body = "CREATE TABLE a (x int);\nINSERT INTO a\n  VALUES (1),\n  oops (2);\n";
        let r = rev("e1", body, None);
        let err = d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.failed();
        assert_eq!(err.statement_index, Some(1));
        assert_eq!(err.line, Some(9), "{err:?}");
        assert!(err.message.contains("error 1064"), "{}", err.message);
        d.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_failing_down_section_leaves_the_row_dirty() {
    on_mysql(concat!(module_path!(), "::down"), |db| async move {
        let mut d = db.connect().await;
        d.ensure_version_table().await.unwrap();
        let r = rev(
            "f1",
            "CREATE TABLE t (x int);",
            Some("DROP TABLE t;\nDROP TABLE not_there;"),
        );
        d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
        let err = d.revert(&r, &r.sql, &NO_LIMITS).await.failed();
        assert!(err.dirty);
        assert!(!db.has_table("t").await);
        assert_eq!(db.version_rows().await, ["f1:1"]);
        d.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_operator_holding_get_lock_blocks_us_and_we_block_them() {
    on_mysql(concat!(module_path!(), "::operator"), |db| async move {
        let name = format!("migrate:{}._migrate_core", db.mysql_db().name);
        let mut operator = db.mysql_db().connect().await;
        let got: i64 = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(&name)
            .fetch_one(&mut operator)
            .await
            .unwrap();
        assert_eq!(got, 1);
        let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
            .fetch_one(&mut operator)
            .await
            .unwrap();

        let mut d = db.connect().await;
        let start = Instant::now();
        let err = d.lock(Duration::from_millis(300)).await.unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(290));
        let DriverError::LockTimeout { holder_hint, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            holder_hint.contains(&format!("GET_LOCK('{name}'"))
                && holder_hint.contains(&format!("connection {id}"))
                && holder_hint.contains(&format!("KILL {id}")),
            "{holder_hint}"
        );
        // A wait longer than a second: `GET_LOCK` waits a second at a time.
        let release = {
            let name = name.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(1200)).await;
                sqlx::query("DO RELEASE_LOCK(?)")
                    .bind(&name)
                    .execute(&mut operator)
                    .await
                    .unwrap();
                operator
            })
        };
        let start = Instant::now();
        d.lock(Duration::from_secs(5)).await.unwrap();
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(1100) && waited < Duration::from_millis(2500),
            "{waited:?}"
        );
        let mut operator = release.await.unwrap();
        let got: i64 = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(&name)
            .fetch_one(&mut operator)
            .await
            .unwrap();
        assert_eq!(got, 0, "the operator took the lock we hold");
        // `close` releases it.
        d.close().await.unwrap();
        let got: i64 = sqlx::query_scalar("SELECT GET_LOCK(?, 1)")
            .bind(&name)
            .fetch_one(&mut operator)
            .await
            .unwrap();
        assert_eq!(got, 1);
        operator.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn ddl_lock_timeout_is_the_metadata_lock_wait() {
    on_mysql(concat!(module_path!(), "::mdl"), |db| async move {
        db.exec("CREATE TABLE t (x int)").await;
        // An open transaction that read `t`, as a long report would: it
        // holds `t`'s metadata lock until it ends.
        let mut reader = db.mysql_db().connect().await;
        sqlx::raw_sql("START TRANSACTION; SELECT * FROM t;")
            .execute(&mut reader)
            .await
            .unwrap();
        let mut d = db.connect().await;
        d.ensure_version_table().await.unwrap();
        let limits = ApplyOptions {
            lock_timeout: Some(Duration::from_secs(1)),
            ..ApplyOptions::default()
        };
        let r = rev("g1", "ALTER TABLE t ADD COLUMN y int;", None);
        let start = Instant::now();
        let err = d.apply(&r, &r.sql, &row(&r), &limits).await.failed();
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(4),
            "{took:?}"
        );
        assert!(err.message.contains("Lock wait timeout"), "{}", err.message);
        assert!(err.dirty);
        assert_eq!(db.version_rows().await, ["g1:1"]);

        // The limit was that revision's: on the same session, a revision
        // without one waits past a second for the reader to finish.
        let finish = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            sqlx::raw_sql("COMMIT").execute(&mut reader).await.unwrap();
            reader.close().await.unwrap();
        });
        let r = rev("g2", "ALTER TABLE t ADD COLUMN z int;", None);
        let start = Instant::now();
        d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(1400));
        finish.await.unwrap();
        d.close().await.unwrap();
    })
    .await;
}
