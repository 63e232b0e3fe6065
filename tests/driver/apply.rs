//! Applying and reverting transactional revisions.

use std::time::Duration;

use migrate::driver::{ApplyOptions, Dialect, Driver};

use super::{Failed, NO_LIMITS};
use crate::harness::{rev, row};

driver_test!(apply_then_revert_round_trip, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let a = rev(
        "a1",
        "CREATE TABLE items (id int primary key, name text);\nINSERT INTO items VALUES (1, 'one');\n",
        Some("DROP TABLE items;\n"),
    );
    let mut b = rev(
        "b2",
        "ALTER TABLE items ADD COLUMN note text;",
        Some("ALTER TABLE items DROP COLUMN note;"),
    );
    b.parents = Box::new([a.id.clone()]);
    d.apply(&a, &a.sql, &row(&a), &NO_LIMITS).await.unwrap();
    d.apply(&b, &b.sql, &row(&b), &NO_LIMITS).await.unwrap();

    let rows = db.rows().await;
    let ids: Vec<&str> = rows.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(ids, ["a1", "b2"]);
    let rb = &rows[1];
    assert_eq!(rb.parents, "a1");
    assert_eq!(rb.message, "revision b2");
    assert_eq!(rb.checksum, b.checksum.to_string());
    assert_eq!(rb.applied_by, "migrate test user@host");
    assert_eq!(rb.method, "up");
    assert!(!rb.dirty);
    assert!(rb.duration_ms >= 0);
    // UTC, ISO 8601: 2025-11-01T09:30:00.123Z (SQLite) or .123456Z (PostgreSQL)
    let t = &rb.applied_at;
    assert!(
        t.len() >= 24 && &t[4..5] == "-" && &t[10..11] == "T" && t.ends_with('Z'),
        "{t}"
    );

    d.revert(&b, &b.sql, &NO_LIMITS).await.unwrap();
    d.revert(&a, &a.sql, &NO_LIMITS).await.unwrap();
    assert!(!db.has_table("items").await);
    assert_eq!(db.version_rows().await, Vec::<String>::new());
    d.close().await.unwrap();
});

driver_test!(bodies_run_as_written, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    // A `;` inside a string, a routine whose body holds `;`, no final `;`,
    // and a trailing `--` comment with no newline.
    let body = match db.dialect {
        // The trigger's `BEGIN ... END` holds `;` without a `DELIMITER`.
        Dialect::Mysql => {
            "CREATE TABLE notes (body text);\n\
             INSERT INTO notes VALUES ('semi; colon');\n\
             CREATE TRIGGER shout BEFORE INSERT ON notes FOR EACH ROW BEGIN\n\
               IF new.body = 'x' THEN SET new.body = 'X;'; END IF;\nEND;\n\
             INSERT INTO notes VALUES ('x');\n\
             INSERT INTO notes VALUES ('42') -- the answer"
        }
        Dialect::Postgres => {
            "CREATE TABLE notes (body text);\n\
             INSERT INTO notes VALUES ('semi; colon');\n\
             CREATE FUNCTION add_one(i int) RETURNS int AS $$\n\
             BEGIN\n  RETURN i + 1;\nEND;\n$$ LANGUAGE plpgsql;\n\
             INSERT INTO notes VALUES (add_one(41)::text) -- the answer"
        }
        Dialect::Sqlite => {
            "CREATE TABLE notes (body text);\n\
             INSERT INTO notes VALUES ('semi; colon');\n\
             CREATE TRIGGER shout AFTER INSERT ON notes WHEN new.body = 'x' BEGIN\n\
               UPDATE notes SET body = 'X;' WHERE body = 'x';\nEND;\n\
             INSERT INTO notes VALUES ('x');\n\
             INSERT INTO notes VALUES ('42') -- the answer"
        }
    };
    let r = rev("c3", body, Some("DROP TABLE notes"));
    d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
    let mut notes = db.strings("SELECT body FROM notes").await;
    notes.sort();
    let expected: &[&str] = match db.dialect {
        Dialect::Postgres => &["42", "semi; colon"],
        Dialect::Sqlite | Dialect::Mysql => &["42", "X;", "semi; colon"],
    };
    assert_eq!(notes, expected);
    assert_eq!(db.version_rows().await, ["c3:0"]);
    // The down section, too, ends without `;`.
    d.revert(&r, &r.sql, &NO_LIMITS).await.unwrap();
    assert!(!db.has_table("notes").await);
    d.close().await.unwrap();
});

driver_test!(a_failing_revision_leaves_neither_table_nor_row, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let bad = rev(
        "d4",
        "CREATE TABLE half (x int);\nINSERT INTO missing_table VALUES (1);\n",
        None,
    );
    let err = d
        .apply(&bad, &bad.sql, &row(&bad), &NO_LIMITS)
        .await
        .failed();
    assert_eq!(err.revision, "d4");
    assert!(err.message.contains("missing_table"), "{}", err.message);
    if db.dialect == Dialect::Mysql {
        // Differs on purpose: MySQL commits each DDL statement by itself,
        // so the revision ran statement by statement; what ran stays, and
        // the row says so until `repair`.
        assert!(err.dirty);
        assert_eq!((err.statement_index, err.line), (Some(1), Some(7)));
        assert!(db.has_table("half").await);
        assert_eq!(db.version_rows().await, ["d4:1"]);
        d.close().await.unwrap();
        return;
    }
    assert!(!err.dirty);
    if db.dialect == Dialect::Postgres {
        // PostgreSQL says where: the second statement, on the file's line 7.
        assert_eq!(err.statement_index, Some(1));
        assert_eq!(err.line, Some(7));
        assert_eq!(
            err.statement.as_deref(),
            Some("INSERT INTO missing_table VALUES (1)")
        );
    }
    assert!(!db.has_table("half").await);
    assert_eq!(db.version_rows().await, Vec::<String>::new());

    // The connection is still usable.
    let good = rev("e5", "CREATE TABLE whole (x int);", None);
    d.apply(&good, &good.sql, &row(&good), &NO_LIMITS)
        .await
        .unwrap();
    assert_eq!(db.version_rows().await, ["e5:0"]);
    d.close().await.unwrap();
});

driver_test!(a_recorded_id_is_claimed_and_its_body_never_runs, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let r = rev("f6", "CREATE TABLE once (x int);", None);
    d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
    // Same id again with another body: its row is there, so the body does
    // not run (the row is written first, in the same transaction).
    let again = rev("f6", "CREATE TABLE twice (x int);", None);
    let outcome = d
        .apply(&again, &again.sql, &row(&again), &NO_LIMITS)
        .await
        .unwrap();
    assert_eq!(outcome, migrate::driver::Applied::ByAnother);
    assert!(!db.has_table("twice").await);
    assert_eq!(db.version_rows().await, ["f6:0"]);
    d.close().await.unwrap();
});

/// PostgreSQL only: SQLite does not enforce foreign keys unless asked.
#[tokio::test]
async fn a_deferred_constraint_failing_at_commit_is_the_bodys_error() {
    let Some(db) = crate::harness::TestDb::postgres(module_path!()).await else {
        return;
    };
    db.run(|db| async move {
        let mut d = db.connect().await;
        d.ensure_version_table().await.unwrap();
        // The body runs; its foreign key is only checked at COMMIT, which on
        // PostgreSQL travels in one message with the version-row insert.
        let r = rev(
            "h8",
            "CREATE TABLE parent (id int PRIMARY KEY);\n\
         CREATE TABLE child (pid int REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);\n\
         INSERT INTO child VALUES (1);\n",
            None,
        );
        let err = d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.failed();
        assert_eq!(err.revision, "h8");
        assert!(!err.dirty);
        assert!(
            err.message.to_lowercase().contains("foreign key")
                && !err.message.contains("version table"),
            "{}",
            err.message
        );
        assert!(!db.has_table("child").await);
        assert_eq!(db.version_rows().await, Vec::<String>::new());
        // The connection is still usable.
        let ok = rev("i9", "CREATE TABLE fine (x int);", None);
        d.apply(&ok, &ok.sql, &row(&ok), &NO_LIMITS).await.unwrap();
        assert_eq!(db.version_rows().await, ["i9:0"]);
        d.close().await.unwrap();
    })
    .await;
}

driver_test!(reverting_an_irreversible_revision_fails_cleanly, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let r = rev("g7", "CREATE TABLE kept (x int);", None);
    d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
    let err = d.revert(&r, &r.sql, &NO_LIMITS).await.failed();
    assert!(err.message.contains("irreversible"), "{}", err.message);
    assert!(db.has_table("kept").await);
    assert_eq!(db.version_rows().await, ["g7:0"]);
    d.close().await.unwrap();
});

driver_test!(statement_timeout_applies_to_one_revision_only, |db| {
    if db.dialect == Dialect::Sqlite {
        return; // PostgreSQL settings; SQLite ignores them
    }
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let limits = ApplyOptions {
        lock_wait: Duration::ZERO,
        lock_timeout: Some(Duration::from_secs(1)),
        statement_timeout: Some(Duration::from_millis(200)),
    };
    let (sleep, says) = match db.dialect {
        // MariaDB's `max_statement_time`.
        Dialect::Mysql => ("SLEEP", "max_statement_time"),
        _ => ("pg_sleep", "statement timeout"),
    };
    let slow = rev(
        "h8",
        &format!("CREATE TABLE slow (x int);\nSELECT {sleep}(5);"),
        None,
    );
    let start = std::time::Instant::now();
    let err = d
        .apply(&slow, &slow.sql, &row(&slow), &limits)
        .await
        .failed();
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(err.message.contains(says), "{}", err.message);
    // On MySQL the table stays (DDL commits by itself) and the row is dirty.
    assert_eq!(db.has_table("slow").await, db.dialect == Dialect::Mysql);
    // SET LOCAL ended with the transaction (MySQL: the session's limit was
    // reset): the next revision has no limit.
    let ok = rev("i9", &format!("SELECT {sleep}(0.4);"), None);
    d.apply(&ok, &ok.sql, &row(&ok), &NO_LIMITS).await.unwrap();
    d.close().await.unwrap();
});

driver_test!(a_search_path_change_does_not_move_the_version_table, |db| {
    if db.dialect == Dialect::Sqlite {
        return;
    }
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    // MySQL's `USE` is PostgreSQL's `search_path`; its schemas are databases.
    let other = match db.server_database() {
        Some(name) if db.dialect == Dialect::Mysql => format!("{name}_other"),
        _ => "other".to_owned(),
    };
    let switch = match db.dialect {
        Dialect::Mysql => format!("USE {other}"),
        _ => format!("SET search_path TO {other}"),
    };
    let r = rev(
        "j10",
        &format!("CREATE SCHEMA {other};\nCREATE TABLE {other}._migrate_core (x int);\n{switch};"),
        None,
    );
    d.apply(&r, &r.sql, &row(&r), &NO_LIMITS).await.unwrap();
    if db.dialect == Dialect::Mysql {
        db.exec(&format!("DROP DATABASE {other}")).await;
    }
    // Both the driver's own read and another session see the row in `public`.
    let rows = d.read().await.unwrap().rows.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(&*rows[0].revision, "j10");
    assert_eq!(db.version_rows().await, ["j10:0"]);
    d.close().await.unwrap();
});
