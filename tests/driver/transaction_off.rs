//! `transaction off` revisions: statement by statement, dirty until done.

use migrate::driver::{ApplyOptions, Dialect, Driver};

use super::Failed;
use crate::harness::{rev_no_tx, row};

driver_test!(runs_concurrent_index_builds_among_other_statements, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let concurrently = if db.dialect == Dialect::Postgres {
        "CONCURRENTLY "
    } else {
        ""
    };
    // MySQL indexes no `text` column without a length.
    let text = if db.dialect == Dialect::Mysql {
        "varchar(100)"
    } else {
        "text"
    };
    let body = format!(
        "CREATE TABLE people (id int, email {text}, name {text});\n\
         INSERT INTO people VALUES (1, 'a@b', 'semi;colon');\n\
         CREATE INDEX {concurrently}people_email ON people (email);\n\
         CREATE INDEX {concurrently}people_name ON people (name) -- last, no `;`"
    );
    let r = rev_no_tx("k1", &body, Some("DROP TABLE people;"));
    d.apply(&r, &r.sql, &row(&r), &ApplyOptions::default())
        .await
        .unwrap();
    let mut indexes = match db.dialect {
        Dialect::Mysql => {
            db.strings(
                "SELECT DISTINCT index_name FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND table_name = 'people'",
            )
            .await
        }
        Dialect::Postgres => {
            db.strings("SELECT indexname::text FROM pg_indexes WHERE tablename = 'people'")
                .await
        }
        Dialect::Sqlite => {
            db.strings(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people'",
            )
            .await
        }
    };
    indexes.sort();
    assert_eq!(indexes, ["people_email", "people_name"]);
    assert_eq!(db.strings("SELECT name FROM people").await, ["semi;colon"]);
    let rows = db.rows().await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].dirty);

    d.revert(&r, &r.sql, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(!db.has_table("people").await);
    assert_eq!(db.version_rows().await, Vec::<String>::new());
    d.close().await.unwrap();
});

driver_test!(
    a_failing_statement_leaves_a_dirty_row_and_says_where,
    |db| {
        let mut d = db.connect().await;
        d.ensure_version_table().await.unwrap();
        let body = "CREATE TABLE kept (x int);\n\
                INSERT INTO kept VALUES (1);\n\
                \n\
                INSERT INTO\n  no_such_table VALUES (2);\n\
                CREATE TABLE never (x int);\n";
        let r = rev_no_tx("m2", body, None);
        let err = d
            .apply(&r, &r.sql, &row(&r), &ApplyOptions::default())
            .await
            .failed();
        assert!(err.dirty);
        assert_eq!(err.statement_index, Some(2));
        assert_eq!(
            err.statement.as_deref(),
            Some("INSERT INTO\n  no_such_table VALUES (2)")
        );
        // The body starts on line 6; the statement on its line 4 (line 9), and
        // PostgreSQL points at the table name on the next line.
        let line = if db.dialect == Dialect::Postgres {
            10
        } else {
            9
        };
        assert_eq!(err.line, Some(line));
        assert!(err.message.contains("no_such_table"), "{}", err.message);
        // What ran stays; what follows did not run; the row is dirty.
        assert!(db.has_table("kept").await);
        assert!(!db.has_table("never").await);
        assert_eq!(db.version_rows().await, ["m2:1"]);
        let rows = db.rows().await;
        assert!(rows[0].dirty);

        // repair --applied: clean, with the file's checksum.
        assert!(d.mark_applied("m2", "new-sum").await.unwrap());
        let rows = db.rows().await;
        assert_eq!(
            (rows[0].dirty, rows[0].checksum.as_str()),
            (false, "new-sum")
        );
        // repair --forget.
        assert!(d.delete_row("m2").await.unwrap());
        assert!(!d.delete_row("m2").await.unwrap());
        assert!(!d.mark_applied("m2", "x").await.unwrap());
        assert_eq!(db.version_rows().await, Vec::<String>::new());
        d.close().await.unwrap();
    }
);

driver_test!(a_failing_down_statement_marks_the_row_dirty, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let r = rev_no_tx(
        "n3",
        "CREATE TABLE t (x int);",
        Some("DROP TABLE t;\nDROP TABLE not_there;"),
    );
    d.apply(&r, &r.sql, &row(&r), &ApplyOptions::default())
        .await
        .unwrap();
    let err = d
        .revert(&r, &r.sql, &ApplyOptions::default())
        .await
        .failed();
    assert!(err.dirty);
    assert_eq!(err.statement_index, Some(1));
    assert!(!db.has_table("t").await);
    assert_eq!(db.version_rows().await, ["n3:1"]);
    d.close().await.unwrap();
});

driver_test!(session_limits_are_reset_afterwards, |db| {
    if db.dialect == Dialect::Sqlite {
        return;
    }
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let limits = ApplyOptions {
        lock_wait: std::time::Duration::ZERO,
        lock_timeout: None,
        statement_timeout: Some(std::time::Duration::from_millis(200)),
    };
    let (sleep, says) = match db.dialect {
        Dialect::Mysql => ("SLEEP", "max_statement_time"),
        _ => ("pg_sleep", "statement timeout"),
    };
    let slow = rev_no_tx("p4", &format!("SELECT 1;\nSELECT {sleep}(3);"), None);
    let err = d
        .apply(&slow, &slow.sql, &row(&slow), &limits)
        .await
        .failed();
    assert!(err.message.contains(says), "{}", err.message);
    assert_eq!(err.statement_index, Some(1));
    // Reset: a later revision without limits may run longer.
    let ok = rev_no_tx("q5", &format!("SELECT {sleep}(0.4);"), None);
    d.apply(&ok, &ok.sql, &row(&ok), &ApplyOptions::default())
        .await
        .unwrap();
    d.close().await.unwrap();
});
