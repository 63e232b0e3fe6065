//! The "done when", as a new user would try it: a six-revision
//! history with every kind of statement applies on MariaDB (plain and
//! SQLAlchemy URLs), a second `up` does nothing, `down --to` reverts; a
//! revision failing at its second of three statements stays visible until
//! `repair`.

use sqlx::Row;

use super::*;
use crate::harness::env::TestEnv;
use crate::online::{checksum_of, rev_file, rows};

/// (id, up, down): tables, a column, an index, a view, an `INSERT` of a
/// string holding `;` and quotes (both escapes), a procedure (between
/// `DELIMITER` lines) and a trigger (without), each with `BEGIN ... END`.
const HISTORY: [(&str, &str, &str); 6] = [
    (
        "m1",
        "CREATE TABLE accounts (\n  id int PRIMARY KEY AUTO_INCREMENT,\n  email varchar(255) NOT NULL\n);\n\
         CREATE TABLE notes (id int PRIMARY KEY AUTO_INCREMENT, body text NOT NULL);",
        "DROP TABLE notes;\nDROP TABLE accounts;",
    ),
    (
        "m2",
        "ALTER TABLE accounts ADD COLUMN name varchar(100) NULL AFTER email;",
        "ALTER TABLE accounts DROP COLUMN name;",
    ),
    (
        "m3",
        "CREATE INDEX accounts_email ON accounts (email);",
        "DROP INDEX accounts_email ON accounts;",
    ),
    (
        "m4",
        "CREATE VIEW named_accounts AS\n  SELECT id, email FROM accounts WHERE name IS NOT NULL;",
        "DROP VIEW named_accounts;",
    ),
    (
        "m5",
        "INSERT INTO notes (body) VALUES ('semi; colon, it''s \\'quoted\\'; done');\n\
         INSERT INTO accounts (email, name) VALUES (\"a@example.com\", 'Ann') # a comment; with a semicolon",
        "DELETE FROM accounts;\nDELETE FROM notes;",
    ),
    (
        "m6",
        "DELIMITER //\n\
         CREATE PROCEDURE add_note(IN b text)\n\
         BEGIN\n  INSERT INTO notes (body) VALUES (b);\n  SELECT COUNT(*) FROM notes;\nEND//\n\
         DELIMITER ;\n\n\
         CREATE TRIGGER notes_shout BEFORE INSERT ON notes FOR EACH ROW\n\
         BEGIN\n  IF NEW.body = 'shout' THEN\n    SET NEW.body = 'SHOUT;';\n  END IF;\nEND;",
        "DROP TRIGGER notes_shout;\nDROP PROCEDURE add_note;",
    ),
];

fn write_history(env: &TestEnv) {
    let mut parent = "";
    for (i, (id, up, down)) in HISTORY.iter().enumerate() {
        env.put(
            &format!("migrations_core/{:02}_{id}.sql", i + 1),
            rev_file(id, parent, up, Some(down)).as_bytes(),
        );
        parent = id;
    }
}

/// The names of the objects of `kind` in `information_schema.{table}`.
async fn objects(db: &TestDb, table: &str, column: &str) -> Vec<String> {
    let schema_column = if table == "routines" {
        "routine_schema"
    } else if table == "triggers" {
        "trigger_schema"
    } else {
        "table_schema"
    };
    let mut names = db
        .strings(&format!(
            "SELECT CAST({column} AS CHAR) FROM information_schema.{table} \
             WHERE {schema_column} = DATABASE()"
        ))
        .await;
    names.sort();
    names.dedup();
    names
}

async fn applies_reverts_and_records(db: TestDb, url: String) {
    let env = project(&db, "").env("DATABASE_URL", &url);
    write_history(&env);

    let out = env.run(&["up", "core"]);
    out.success();
    for (id, _, _) in HISTORY {
        out.stderr_has(&format!("applied {id}"));
    }

    // Every row: in order, clean, with its file's checksum.
    let recorded = rows(&db, "_migrate_core").await;
    let ids: Vec<&str> = recorded.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(ids, ["m1", "m2", "m3", "m4", "m5", "m6"], "{out}");
    let mut parent = String::new();
    for (i, (row, (id, _, _))) in recorded.iter().zip(HISTORY).enumerate() {
        let file = env.path(&format!("migrations_core/{:02}_{id}.sql", i + 1));
        assert_eq!(row.checksum, checksum_of(&file), "{id}");
        assert_eq!(row.parents, parent, "{id}");
        assert_eq!(row.message, format!("revision {id}"));
        assert_eq!((row.method.as_str(), row.dirty), ("up", false), "{id}");
        assert!(row.applied_by.starts_with("migrate "), "{}", row.applied_by);
        let t = &row.applied_at;
        assert!(
            t.len() == 27 && &t[10..11] == "T" && t.ends_with('Z'),
            "{t}"
        );
        parent = id.to_owned();
    }

    // The schema the revisions describe.
    assert_eq!(
        objects(&db, "tables", "table_name").await,
        ["_migrate_core", "accounts", "named_accounts", "notes"]
    );
    let columns = db
        .strings(
            "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = 'accounts' ORDER BY ordinal_position",
        )
        .await;
    assert_eq!(columns, ["id", "email", "name"]);
    let indexes = db
        .strings(
            "SELECT CAST(index_name AS CHAR) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = 'accounts' AND index_name <> 'PRIMARY'",
        )
        .await;
    assert_eq!(indexes, ["accounts_email"]);
    assert_eq!(objects(&db, "routines", "routine_name").await, ["add_note"]);
    assert_eq!(
        objects(&db, "triggers", "trigger_name").await,
        ["notes_shout"]
    );
    assert_eq!(
        db.strings("SELECT body FROM notes").await,
        ["semi; colon, it's 'quoted'; done"]
    );
    assert_eq!(
        db.strings("SELECT CAST(email AS CHAR) FROM named_accounts")
            .await,
        ["a@example.com"]
    );
    // The procedure and the trigger work as written.
    let mut conn = db.mysql_db().connect().await;
    sqlx::raw_sql("CALL add_note('shout')")
        .execute(&mut conn)
        .await
        .unwrap();
    let last: String = sqlx::query("SELECT body FROM notes ORDER BY id DESC LIMIT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(last, "SHOUT;");
    drop(conn);

    // A second `up` changes nothing.
    let again = env.run(&["up", "core"]);
    again.success().output_has("nothing to apply");
    assert_eq!(rows(&db, "_migrate_core").await, recorded);
    env.run(&["status", "core"])
        .success()
        .stdout_has("up to date");

    // `down --to m3` reverts m6, m5 and m4, last first.
    let down = env.run(&["down", "core", "--to", "m3"]);
    down.success();
    let stderr = &down.stderr;
    let at = |id: &str| stderr.find(&format!("reverted {id}")).unwrap_or(usize::MAX);
    assert!(
        at("m6") < at("m5") && at("m5") < at("m4") && at("m4") != usize::MAX,
        "{down}"
    );
    let left: Vec<String> = rows(&db, "_migrate_core")
        .await
        .into_iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(left, ["m1", "m2", "m3"]);
    assert_eq!(
        objects(&db, "tables", "table_name").await,
        ["_migrate_core", "accounts", "notes"]
    );
    assert!(objects(&db, "routines", "routine_name").await.is_empty());
    assert!(objects(&db, "triggers", "trigger_name").await.is_empty());
    assert!(db.strings("SELECT body FROM notes").await.is_empty());
    env.run(&["current", "core"]).success().stdout_has("m3");
}

#[tokio::test]
async fn a_six_revision_history_applies_is_a_no_op_again_and_reverts() {
    on_mysql(concat!(module_path!(), "::plain"), |db| async move {
        let url = db.url.clone();
        applies_reverts_and_records(db, url).await;
    })
    .await;
}

#[tokio::test]
async fn the_same_through_sqlalchemy_urls() {
    on_mysql(concat!(module_path!(), "::pymysql"), |db| async move {
        // The application's own variable, as SQLAlchemy with PyMySQL reads it.
        let url = db.url.replacen("mysql://", "mysql+pymysql://", 1) + "?charset=utf8mb4";
        applies_reverts_and_records(db, url).await;
    })
    .await;
    on_mysql(
        concat!(module_path!(), "::mariadbconnector"),
        |db| async move {
            let url = db
                .url
                .replacen("mysql://", "mariadb+mariadbconnector://", 1);
            applies_reverts_and_records(db, url).await;
        },
    )
    .await;
}

/// Three statements; the second fails.
const BROKEN: &str = "CREATE TABLE f2_first (id int);\n\
    INSERT INTO no_such_table VALUES (1);\n\
    CREATE TABLE f2_third (id int);";

#[tokio::test]
async fn a_failure_at_the_second_of_three_statements_stays_visible_until_repair() {
    on_mysql(concat!(module_path!(), "::failure"), |db| async move {
        let env = project(&db, "");
        env.put(
            "migrations_core/f1.sql",
            rev_file("f1", "", "CREATE TABLE f1 (id int);", None).as_bytes(),
        );
        env.put(
            "migrations_core/f2_broken.sql",
            rev_file("f2", "f1", BROKEN, None).as_bytes(),
        );
        env.put(
            "migrations_core/f3.sql",
            rev_file("f3", "f2", "CREATE TABLE f3 (id int);", None).as_bytes(),
        );

        let out = env.run(&["up", "core"]);
        // The revision, its file, the statement and its line (the body
        // starts on line 6), and the server's own words.
        out.code(1)
            .output_has("`f2`")
            .output_has("f2_broken.sql")
            .output_has("statement 2 (line 7)")
            .output_has("no_such_table' doesn't exist")
            .output_has("migrate repair core f2");
        // f1 committed; f2's first statement stayed, its third never ran;
        // its row says dirty; f3 was not tried.
        assert!(db.has_table("f1").await && db.has_table("f2_first").await);
        assert!(!db.has_table("f2_third").await && !db.has_table("f3").await);
        assert_eq!(db.version_rows().await, ["f1:0", "f2:1"], "{out}");

        // The next `up` refuses, naming the repair.
        let refused = env.run(&["up", "core"]);
        refused
            .code(1)
            .output_has("f2")
            .output_has("migrate repair core f2");
        assert!(!db.has_table("f3").await);
        env.run(&["status", "core"]).stdout_has("dirty");

        // Forget it, fix the file (its first statement had run), go on.
        env.run(&["repair", "core", "f2", "--forget"]).success();
        assert_eq!(db.version_rows().await, ["f1:0"]);
        let fixed = "CREATE TABLE IF NOT EXISTS f2_first (id int);\n\
            INSERT INTO f2_first VALUES (1);\n\
            CREATE TABLE f2_third (id int);";
        env.put(
            "migrations_core/f2_broken.sql",
            rev_file("f2", "f1", fixed, None).as_bytes(),
        );
        env.run(&["up", "core"]).success();
        assert_eq!(db.version_rows().await, ["f1:0", "f2:0", "f3:0"]);
        assert!(db.has_table("f2_third").await && db.has_table("f3").await);
        let f2 = rows(&db, "_migrate_core").await.remove(1);
        assert_eq!(
            f2.checksum,
            checksum_of(&env.path("migrations_core/f2_broken.sql"))
        );
    })
    .await;
}

#[tokio::test]
async fn repair_applied_accepts_what_ran_by_hand() {
    on_mysql(
        concat!(module_path!(), "::repair_applied"),
        |db| async move {
            let env = project(&db, "");
            env.put(
                "migrations_core/f1.sql",
                rev_file("f1", "", BROKEN, None).as_bytes(),
            );
            env.run(&["up", "core"]).code(1);
            assert_eq!(db.version_rows().await, ["f1:1"]);
            // The operator finishes the revision by hand and says so.
            db.exec("CREATE TABLE f2_third (id int)").await;
            env.run(&["repair", "core", "f1", "--applied"]).success();
            assert_eq!(db.version_rows().await, ["f1:0"]);
            env.run(&["up", "core"])
                .success()
                .output_has("nothing to apply");
            env.run(&["verify", "core"]).success();
        },
    )
    .await;
}

#[tokio::test]
async fn a_body_the_client_could_not_read_is_bad_input_and_records_nothing() {
    on_mysql(concat!(module_path!(), "::unreadable"), |db| async move {
        let env = project(&db, "");
        env.put(
            "migrations_core/u1.sql",
            rev_file("u1", "", "CREATE TABLE u1 (id int);", None).as_bytes(),
        );
        // An unclosed quote on line 7, then a bad `DELIMITER` line.
        env.put(
            "migrations_core/u2_quote.sql",
            rev_file(
                "u2",
                "u1",
                "CREATE TABLE u2 (id int);\nINSERT INTO u2 VALUES ('oops);",
                None,
            )
            .as_bytes(),
        );
        // The dry run refuses what the run would refuse, with its words,
        // and creates nothing.
        env.run(&["up", "core", "--dry-run"])
            .code(2)
            .output_has("u2_quote.sql` line 7")
            .output_has("never closed");
        assert!(!db.has_table("_migrate_core").await);
        let out = env.run(&["up", "core"]);
        out.code(2)
            .output_has("u2_quote.sql` line 7")
            .output_has("never closed");
        // u1 stays; nothing of u2 ran or was recorded.
        assert_eq!(db.version_rows().await, ["u1:0"], "{out}");
        assert!(!db.has_table("u2").await);

        env.put(
            "migrations_core/u2_quote.sql",
            rev_file(
                "u2",
                "u1",
                "CREATE TABLE u2 (id int);\nDELIMITER\nSELECT 1;",
                None,
            )
            .as_bytes(),
        );
        env.run(&["up", "core"])
            .code(2)
            .output_has("u2_quote.sql` line 7")
            .output_has("DELIMITER");
        assert_eq!(db.version_rows().await, ["u1:0"]);
        assert!(!db.has_table("u2").await);
    })
    .await;
}
