//! The first "done when": after `up`, a person adds a column,
//! drops an index, changes a default, creates a table and edits a function
//! by hand; `verify --schema` names each of the five (text and JSON) and
//! exits 1; once they are undone it exits 0. Nothing is written to the
//! database, no lock is taken, and the scratch database is gone each time.

use super::*;

const ACCOUNTS: &str = "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL, \
    status text DEFAULT 'new');\nCREATE INDEX accounts_email_idx ON accounts (email);";

fn touch(value: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  \
         NEW.status = '{value}';\n  RETURN NEW;\nEND $$;"
    )
}

#[tokio::test]
async fn five_hand_edits_are_each_named_and_undoing_them_passes() {
    on_postgres(module_path!(), |db| async move {
        let env = project(&db, "core");
        revision(&env, "r1", "", ACCOUNTS);
        let r2 = format!(
            "{}\nCREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch();",
            touch("touched")
        );
        revision(&env, "r2", "r1", &r2);
        env.run(&["up", "core"]).success();
        let out = env.run(&["verify", "core", "--schema"]);
        out.success().stdout_has("core: ok, the schema matches its 2 applied revisions");
        assert_scratch_gone(&db, &out).await;

        db.exec(&format!(
            "ALTER TABLE accounts ADD COLUMN nickname text;\n\
             DROP INDEX accounts_email_idx;\n\
             ALTER TABLE accounts ALTER COLUMN status SET DEFAULT 'active';\n\
             CREATE TABLE notes (id integer PRIMARY KEY, body text);\n{}",
            touch("edited")
        ))
        .await;
        let out = env.run(&["verify", "core", "--schema"]);
        out.code(1)
            .stdout_has("core: 5 differences between the database and its 2 applied revisions")
            .stdout_has("  table public.accounts\n")
            .stdout_has("    extra      column nickname: text, nullable\n")
            .stdout_has("    missing    index accounts_email_idx: CREATE INDEX ON public.accounts USING btree (email)\n")
            .stdout_has("    different  column status: default 'new'::text in the revisions, 'active'::text in the database\n")
            .stdout_has("  extra      table public.notes (and 3 objects on it)\n")
            .stdout_has("  different  function public.touch(): definition differs at line 6: `NEW.status = 'touched';` in the revisions, `NEW.status = 'edited';` in the database\n");
        assert_scratch_gone(&db, &out).await;

        let out = env.run(&["verify", "core", "--schema", "--format", "json"]);
        out.code(1);
        let json = out.json();
        let d = |change: &str, kind: &str, table: &str, name: &str| {
            (change.to_owned(), kind.to_owned(), table.to_owned(), name.to_owned())
        };
        assert_eq!(
            differences(&json, "core"),
            [
                d("different", "column", "public.accounts", "status"),
                d("different", "function", "", "public.touch()"),
                d("extra", "column", "public.accounts", "nickname"),
                d("extra", "table", "", "public.notes"),
                d("missing", "index", "public.accounts", "accounts_email_idx"),
            ],
            "{out}"
        );
        assert_eq!(json["core"]["ok"], false);
        assert_eq!(json["core"]["applied"], 2);
        let status = json["core"]["differences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "status")
            .unwrap();
        assert_eq!(
            status["attributes"],
            serde_json::json!([{"name": "default", "expected": "'new'::text", "actual": "'active'::text"}])
        );
        assert_eq!(json["core"]["scratch"], scratch_of(&out));
        assert_scratch_gone(&db, &out).await;

        db.exec(&format!(
            "ALTER TABLE accounts DROP COLUMN nickname;\n\
             CREATE INDEX accounts_email_idx ON accounts (email);\n\
             ALTER TABLE accounts ALTER COLUMN status SET DEFAULT 'new';\n\
             DROP TABLE notes;\n{}",
            touch("touched")
        ))
        .await;
        let out = env.run(&["verify", "core", "--schema", "--format", "json"]);
        out.success();
        assert_eq!(out.json()["core"]["ok"], true, "{out}");
        assert!(differences(&out.json(), "core").is_empty(), "{out}");
        assert_scratch_gone(&db, &out).await;
    })
    .await;
}

/// What a run could change: the version table's rows and the schema.
async fn fingerprint(db: &TestDb) -> (Vec<RecordedRow>, Vec<String>) {
    let schema = match db.dialect {
        Dialect::Postgres => {
            db.strings(
                "SELECT c.relname::text || ':' || c.relkind::text || ':' || c.relnatts::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1",
            )
            .await
        }
        _ => {
            db.strings("SELECT type || ':' || name || ':' || coalesce(sql, '') FROM sqlite_master ORDER BY name")
                .await
        }
    };
    (rows(db, "_migrate_core").await, schema)
}

online_test!(nothing_is_written_and_no_lock_is_taken, |db| {
    let env = project(&db, "core");
    revision(
        &env,
        "r1",
        "",
        "CREATE TABLE t_r1 (id integer PRIMARY KEY, name text);",
    );
    revision(&env, "r2", "r1", "CREATE INDEX t_r1_name ON t_r1 (name);");

    // A fresh database: nothing to compare, nothing created (not even the
    // SQLite file).
    let out = env.run(&["verify", "core", "--schema"]);
    out.success()
        .stdout_has("core: ok, the schema matches its 0 applied revisions");
    if let Some(file) = db.sqlite_path() {
        assert!(
            !file.exists(),
            "verify --schema created the SQLite file\n{out}"
        );
    } else {
        assert!(!db.has_table("_migrate_core").await, "{out}");
    }
    assert_scratch_gone(&db, &out).await;

    // A used one, changed by hand: reported, and left exactly as it was.
    env.run(&["up", "core", "--to", "r1"]).success();
    db.exec("CREATE TABLE by_hand (id integer);").await;
    let before = fingerprint(&db).await;
    let bytes = db.sqlite_path().map(|f| std::fs::read(f).unwrap());
    // Another runner holds the lock: a read-only look does not wait for it.
    let _holder = match db.dialect {
        Dialect::Postgres => Some(
            crate::harness::pg::hold_advisory_lock(
                &db.url,
                migrate::driver::LockKey::derive(None, "_migrate_core").value(),
            )
            .await,
        ),
        _ => None,
    };
    let out = env.run(&["verify", "core", "--schema", "--format", "json"]);
    out.code(1);
    let json = out.json();
    let tables: Vec<_> = differences(&json, "core")
        .into_iter()
        .map(|(change, kind, _, name)| format!("{change} {kind} {name}"))
        .collect();
    let by_hand = if db.dialect == Dialect::Postgres {
        "public.by_hand"
    } else {
        "by_hand"
    };
    assert_eq!(tables, [format!("extra table {by_hand}")], "{out}");
    assert_eq!(json["core"]["pending"][0]["revision"], "r2", "{out}");
    assert_eq!(
        fingerprint(&db).await,
        before,
        "verify --schema changed the database"
    );
    if let Some(file) = db.sqlite_path() {
        assert_eq!(
            Some(std::fs::read(file).unwrap()),
            bytes,
            "the file changed"
        );
    }
    assert_scratch_gone(&db, &out).await;
});

online_test!(
    an_applied_revision_without_a_file_is_said_and_its_objects_are_extra,
    |db| {
        let env = project(&db, "core");
        revision(
            &env,
            "r1",
            "",
            "CREATE TABLE t_r1 (id integer PRIMARY KEY);",
        );
        revision(
            &env,
            "r2",
            "r1",
            "CREATE TABLE t_r2 (id integer PRIMARY KEY);",
        );
        env.run(&["up", "core"]).success();
        // The code was rolled back to before r2.
        std::fs::remove_file(env.path("migrations/r2.sql")).unwrap();
        let out = env.run(&["verify", "core", "--schema"]);
        let t_r2 = if db.dialect == Dialect::Postgres {
            "public.t_r2"
        } else {
            "t_r2"
        };
        out.code(1)
        .stdout_has("core: 1 difference between the database and its 1 applied revision\n")
        .stdout_has(&format!("  extra      table {t_r2}"))
        .stdout_has("  note: applied revision without a file could not be replayed: `r2`; what it made shows as extra\n");
        assert_scratch_gone(&db, &out).await;
    }
);
