//! The version table: its columns, creating it, refusing foreign tables.

use migrate::driver::{Dialect, Driver, DriverError, VersionTable, connect_sqlite};
use std::time::Duration;

use crate::harness::TestDb;

driver_test!(created_with_the_spec_columns, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    d.ensure_version_table().await.unwrap(); // a second time is a no-op
    let columns = match db.dialect {
        // MySQL 8 shows `bigint`, MariaDB `bigint(20)`.
        Dialect::Mysql => {
            db.strings(
                "SELECT REPLACE(CONCAT(column_name, ' ', column_type, ' ', is_nullable), \
                 'bigint(20)', 'bigint') FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = '_migrate_core' \
                 ORDER BY ordinal_position",
            )
            .await
        }
        Dialect::Postgres => {
            db.strings(
                "SELECT column_name || ' ' || data_type || ' ' || is_nullable \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '_migrate_core' \
                 ORDER BY ordinal_position",
            )
            .await
        }
        Dialect::Sqlite => {
            db.strings(
                "SELECT name || ' ' || upper(type) || ' ' || pk FROM pragma_table_info('_migrate_core') \
                 ORDER BY cid",
            )
            .await
        }
    };
    let expected: &[&str] = match db.dialect {
        Dialect::Mysql => &[
            "revision varchar(255) NO",
            "parents text NO",
            "message text NO",
            "checksum text NO",
            "applied_at datetime(6) NO",
            "duration_ms bigint NO",
            "applied_by text NO",
            "method text NO",
            "dirty tinyint(1) NO",
        ],
        Dialect::Postgres => &[
            "revision text NO",
            "parents text NO",
            "message text NO",
            "checksum text NO",
            "applied_at timestamp with time zone NO",
            "duration_ms bigint NO",
            "applied_by text NO",
            "method text NO",
            "dirty boolean NO",
        ],
        Dialect::Sqlite => &[
            "revision TEXT 1",
            "parents TEXT 0",
            "message TEXT 0",
            "checksum TEXT 0",
            "applied_at TEXT 0",
            "duration_ms INTEGER 0",
            "applied_by TEXT 0",
            "method TEXT 0",
            "dirty INTEGER 0",
        ],
    };
    assert_eq!(columns, expected);
    if db.dialect == Dialect::Postgres {
        let pk = db
            .strings(
                "SELECT a.attname::text FROM pg_index i \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                 WHERE i.indrelid = '_migrate_core'::regclass AND i.indisprimary",
            )
            .await;
        assert_eq!(pk, ["revision"]);
    }
    if db.dialect == Dialect::Mysql {
        let pk = db
            .strings(
                "SELECT column_name FROM information_schema.key_column_usage \
                 WHERE table_schema = DATABASE() AND table_name = '_migrate_core' \
                 AND constraint_name = 'PRIMARY'",
            )
            .await;
        assert_eq!(pk, ["revision"]);
    }
    assert_eq!(d.read().await.unwrap().rows, Some(vec![]));
    d.close().await.unwrap();
});

driver_test!(reading_never_creates_the_table, |db| {
    let mut d = db.connect().await;
    assert_eq!(d.read().await.unwrap().rows, None);
    assert!(!db.has_table("_migrate_core").await);
    d.close().await.unwrap();
});

driver_test!(a_foreign_table_is_refused_naming_the_column, |db| {
    // Someone else's table of the same name, without `checksum` (MySQL
    // keys no `text` column).
    let key = if db.dialect == Dialect::Mysql {
        "varchar(64)"
    } else {
        "text"
    };
    db.exec(&format!(
        "CREATE TABLE _migrate_core (revision {key} primary key, parents text, message text, \
         applied_at timestamp, duration_ms bigint, applied_by text, method text, dirty boolean)"
    ))
    .await;
    let mut d = db.connect().await;
    // Refused before anything is written, and when read.
    let before_writing = d.ensure_version_table().await.unwrap_err();
    assert!(
        matches!(&before_writing, DriverError::TableShape { column, .. } if column == "checksum"),
        "{before_writing:?}"
    );
    let err = d.read().await.unwrap_err();
    match &err {
        DriverError::TableShape {
            table,
            column,
            problem,
        } => {
            assert!(table.contains("_migrate_core"), "{table}");
            assert_eq!(
                (column.as_str(), problem.as_str()),
                ("checksum", "is missing")
            );
        }
        other => panic!("expected TableShape, got {other:?}"),
    }
    assert!(err.to_string().contains("version_table"), "{err}");
    // The engine's lighter read refuses it too.
    let light = d.read().await.unwrap_err();
    assert!(
        matches!(&light, DriverError::TableShape { column, .. } if column == "checksum"),
        "{light:?}"
    );
    d.close().await.unwrap();
});

driver_test!(a_mistyped_column_is_refused, |db| {
    db.exec(
        "CREATE TABLE _migrate_core (revision integer primary key, parents text, message text, \
         checksum text, applied_at timestamp, duration_ms bigint, applied_by text, method text, \
         dirty boolean)",
    )
    .await;
    // One row, so that the lighter read has something to decode.
    db.exec("INSERT INTO _migrate_core (revision) VALUES (1)")
        .await;
    let mut d = db.connect().await;
    for err in [
        d.read().await.unwrap_err(),
        d.ensure_version_table().await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, DriverError::TableShape { column, problem, .. }
                if column == "revision" && problem.contains("expected text")),
            "{err:?}"
        );
    }
    d.close().await.unwrap();
});

#[tokio::test]
async fn postgres_schema_is_created_and_used() {
    let Some(db) = TestDb::postgres(module_path!()).await else {
        return;
    };
    db.run(|db| async move {
        let table = VersionTable::new(Some("Meta Data"), "versions");
        let mut d = db.connect_table(table).await;
        assert_eq!(d.read().await.unwrap().rows, None);
        d.ensure_version_table().await.unwrap();
        let found = db
            .strings(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables \
                 WHERE table_name = 'versions'",
            )
            .await;
        assert_eq!(found, ["Meta Data.versions"]);
        assert_eq!(d.read().await.unwrap().rows, Some(vec![]));
        d.close().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn sqlite_missing_file_is_not_created_when_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("never.db");
    let url = format!("sqlite://{}", path.display());
    let table = VersionTable::new(None, "_migrate_core");
    let mut d = connect_sqlite(&url, table.clone(), Duration::ZERO, false)
        .await
        .unwrap();
    assert_eq!(d.read().await.unwrap().rows, None);
    d.lock(Duration::ZERO).await.unwrap();
    assert!(d.ensure_version_table().await.is_err());
    d.close().await.unwrap();
    assert!(!path.exists() && !dir.path().join("sub").exists());

    // With `create`, the file and its folder are made.
    let d = connect_sqlite(&url, table, Duration::ZERO, true)
        .await
        .unwrap();
    d.close().await.unwrap();
    assert!(path.exists());
}
