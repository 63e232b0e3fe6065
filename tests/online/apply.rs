//! `up --all` on two databases with real SQL, the version table's columns
//! and checksums, a second `up` that changes nothing, and `up -- CMD`.

use std::path::Path;

use sqlx::{Connection, PgConnection, Row as _};

use super::*;

const CORE_AND_AI: &str = r#"[databases.core]
url_env = "DATABASE_URL"
migrations = "migrations_core"

[databases.ai]
url_env = "AI_DATABASE_URL"
migrations = "migrations_ai"
after = ["core"]
"#;

/// The repository's example AI history (portable SQL).
fn example_ai_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations_ai")
}

fn copy_sql_files(from: &Path, env: &TestEnv, to: &str) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sql") {
            env.put(
                &format!("{to}/{name}"),
                &std::fs::read(entry.path()).unwrap(),
            );
        }
    }
}

/// Every `.sql` file of `folder` in `env`, parsed: (id, parents, message, checksum).
fn expected_rows(env: &TestEnv, folder: &str) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for name in env.files(folder) {
        let path = env.path(&format!("{folder}/{name}"));
        let (rev, _) = migrate::revision::parse(&path, &std::fs::read(&path).unwrap()).unwrap();
        let parents: Vec<String> = rev.parents.iter().map(ToString::to_string).collect();
        out.push((
            rev.id.to_string(),
            parents.join(" "),
            rev.message,
            checksum_of(&path),
        ));
    }
    out.sort();
    out
}

fn assert_rows_match_files(rows: &[RecordedRow], env: &TestEnv, folder: &str) {
    let expected = expected_rows(env, folder);
    assert_eq!(
        rows.len(),
        expected.len(),
        "one row per revision: {rows:#?}"
    );
    for (row, (id, parents, message, checksum)) in rows.iter().zip(&expected) {
        assert_eq!(&row.revision, id);
        assert_eq!(&row.parents, parents, "parents of {id}");
        assert_eq!(&row.message, message, "message of {id}");
        assert_eq!(
            &row.checksum, checksum,
            "checksum of {id} is SHA-256 of its up section"
        );
        assert_eq!(row.method, "up", "{id}");
        assert!(
            row.applied_at.starts_with("20"),
            "applied_at of {id}: {:?}",
            row.applied_at
        );
        assert!(row.duration_ms >= 0, "{id}: {}", row.duration_ms);
        assert!(!row.dirty, "{id}");
        assert!(
            row.applied_by.starts_with("migrate ") && row.applied_by.contains('@'),
            "applied_by of {id} is `migrate <version>` and user@host: {:?}",
            row.applied_by
        );
    }
}

/// (column, data_type) of a PostgreSQL table, by column order.
async fn pg_columns(url: &str, table: &str) -> Vec<(String, String)> {
    let mut c = PgConnection::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut c)
    .await
    .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[tokio::test]
async fn two_postgres_databases_with_real_sql_then_a_second_up_changes_nothing() {
    let path = concat!(module_path!(), "::two_databases");
    on_postgres(&format!("{path}::core"), move |core| async move {
        on_postgres(&format!("{path}::ai"), move |ai| async move {
            let env = TestEnv::new()
                .config(CORE_AND_AI)
                .copy_fixture("realistic_pg", "migrations_core")
                .env("DATABASE_URL", &core.url)
                .env("AI_DATABASE_URL", &ai.url);
            copy_sql_files(&example_ai_dir(), &env, "migrations_ai");

            let out = env.run(&["up", "--all"]);
            out.success();
            // Progress on stderr: each revision's id and message, with its duration.
            for (folder, db_name) in [("migrations_core", "core"), ("migrations_ai", "ai")] {
                for (id, _, message, _) in expected_rows(&env, folder) {
                    let line = out.stderr.lines().find(|l| l.contains(&id));
                    let line = line.unwrap_or_else(|| panic!("no progress line for {id}\n{out}"));
                    assert!(
                        line.contains(&message) && line.contains(db_name) && line.contains("ms"),
                        "progress line for {id}: {line:?}"
                    );
                }
            }
            // `-q`: errors only, so nothing on stderr when nothing fails.
            let quiet = env.run(&["-q", "up", "--all"]);
            quiet.success().stderr_eq("");

            // The schema, as the SQL says.
            for t in ["customers", "orders"] {
                assert!(core.has_table(t).await, "{t}");
            }
            let fks = core
                .strings(
                    "SELECT count(*)::text FROM information_schema.table_constraints \
                     WHERE table_name = 'orders' AND constraint_type = 'FOREIGN KEY'",
                )
                .await;
            assert_eq!(fks, ["1"], "orders has its foreign key");
            let names = core.strings("SELECT name FROM customers ORDER BY id").await;
            assert_eq!(names, ["ACME; Inc.", "O'Brien & Sons"], "the seed, `;` inside strings kept");
            let note = core.strings("SELECT note FROM customers WHERE id = 2").await;
            assert_eq!(note, ["line one;\nline two"]);
            let fns = core
                .strings("SELECT proname::text FROM pg_proc WHERE proname = 'touch_updated_at'")
                .await;
            assert_eq!(fns, ["touch_updated_at"], "the plpgsql $$ function");
            let trig = core
                .strings("SELECT tgname::text FROM pg_trigger WHERE tgname = 'customers_touch_updated_at'")
                .await;
            assert_eq!(trig.len(), 1);
            let indexes = core
                .strings(
                    "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                     WHERE c.relname LIKE 'orders_%_idx' AND i.indisvalid ORDER BY 1",
                )
                .await;
            assert_eq!(
                indexes,
                ["orders_customer_id_idx", "orders_open_placed_at_idx"],
                "both concurrent indexes built and valid"
            );
            let orders = core.strings("SELECT id::text FROM orders ORDER BY id").await;
            assert_eq!(orders, ["1", "2"]);
            for t in ["memories", "feedback", "documents"] {
                assert!(ai.has_table(t).await, "{t}");
            }

            // The version tables: the documented columns and types, one row per revision.
            let expected_columns: Vec<(String, String)> = [
                ("revision", "text"),
                ("parents", "text"),
                ("message", "text"),
                ("checksum", "text"),
                ("applied_at", "timestamp with time zone"),
                ("duration_ms", "bigint"),
                ("applied_by", "text"),
                ("method", "text"),
            ]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
            for (db, table) in [(&core, "_migrate_core"), (&ai, "_migrate_ai")] {
                let cols = pg_columns(&db.url, table).await;
                for col in &expected_columns {
                    assert!(cols.contains(col), "{table} lacks {col:?}: {cols:?}");
                }
                let pk = db
                    .strings(&format!(
                        "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a \
                         ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                         WHERE i.indrelid = '{table}'::regclass AND i.indisprimary"
                    ))
                    .await;
                assert_eq!(pk, ["revision"], "{table}'s primary key");
            }
            let core_rows = rows(&core, "_migrate_core").await;
            let ai_rows = rows(&ai, "_migrate_ai").await;
            assert_rows_match_files(&core_rows, &env, "migrations_core");
            assert_rows_match_files(&ai_rows, &env, "migrations_ai");
            assert!(!core.has_table("_migrate_ai").await && !ai.has_table("_migrate_core").await);

            // A second run: nothing to do, nothing rewritten.
            env.run(&["up", "--all"]).success();
            assert_eq!(rows(&core, "_migrate_core").await, core_rows);
            assert_eq!(rows(&ai, "_migrate_ai").await, ai_rows);
        })
        .await;
    })
    .await;
}

online_test!(up_then_exec_prints_started_after_migrating, |db| {
    let env = core_project(&db, "");
    write_chain(&env, "migrations_core", &["a1", "a2"]);
    let out = env.run(&["up", "--all", "--", "sh", "-c", "echo started"]);
    out.success();
    assert_eq!(
        out.stdout.lines().last(),
        Some("started"),
        "CMD runs last\n{out}"
    );
    assert_eq!(out.stdout.matches("started").count(), 1, "{out}");
    assert_eq!(applied(&db, "_migrate_core").await, sorted(&["a1", "a2"]));

    // CMD replaces the process: its exit code is the run's.
    env.run(&["up", "--all", "--", "sh", "-c", "exit 7"])
        .code(7);

    // A failed migration never starts CMD.
    env.put(
        "migrations_core/a3.sql",
        rev_file(
            "a3",
            "a2",
            "CREATE TABLE t_a3 (id integer);\nSELECT * FROM no_such_table;",
            None,
        )
        .as_bytes(),
    );
    let out = env.run(&["up", "--all", "--", "sh", "-c", "echo started"]);
    out.code(1).stdout_lacks("started");
});

online_test!(a_database_after_a_failed_one_does_not_run, |db| {
    let env = TestEnv::new()
        .config(
            "[databases.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"migrations_core\"\n\n\
             [databases.ai]\nurl_env = \"AI_DATABASE_URL\"\nmigrations = \"migrations_ai\"\nafter = [\"core\"]\n",
        )
        .env("DATABASE_URL", &db.url)
        .env("AI_DATABASE_URL", &db.url);
    env.put(
        "migrations_core/c1_broken.sql",
        rev_file("c1", "", "SELECT * FROM no_such_table;", None).as_bytes(),
    );
    write_chain(&env, "migrations_ai", &["a1"]);

    let out = env.run(&["up", "--all"]);
    out.code(1).output_has("c1_broken.sql");
    assert!(
        applied(&db, "_migrate_ai").await.is_empty(),
        "ai ran after core failed\n{out}"
    );
    assert!(!db.has_table("t_a1").await, "{out}");

    // Fixed, both run, core first.
    env.put(
        "migrations_core/c1_broken.sql",
        rev_file("c1", "", "CREATE TABLE t_c1 (id integer);", None).as_bytes(),
    );
    env.run(&["up", "--all"]).success();
    let first_ai = rows(&db, "_migrate_ai").await[0].applied_at.clone();
    let last_core = rows(&db, "_migrate_core").await[0].applied_at.clone();
    assert!(
        last_core <= first_ai,
        "core ({last_core}) before ai ({first_ai})"
    );
});
