//! Histories imported for SQLite: `migrate up` builds what `alembic upgrade
//! heads` builds online on another SQLite file. The core history's
//! PostgreSQL-only steps (the trigger function, ALTER COLUMN, an added CHECK
//! constraint) are skipped by its own revisions on SQLite, for Alembic and
//! for the import alike.

use super::*;
use crate::harness::alembic::{alembic_ok, ids, sqlite_rows, sqlite_schema};

alembic_test!(core_history_matches_alembic_on_sqlite, |py| {
    let env = project(py);
    let import = env.run(&["import", "alembic", "core"]);
    // The URL came from `default_url`: the dialect is a guess, and it says so.
    import
        .code(1)
        .stderr_has("rendering SQL for SQLite, the engine of `default_url` in migrate.toml")
        .stderr_has("`DATABASE_URL` is not set")
        .stderr_has("--dialect postgresql")
        .stderr_has(DATA_MIGRATION);
    write_sql_by_hand(&env, DATA_MIGRATION, BACKFILL_SQL);
    env.run(&["up", "core", "--to", "heads"]).success();

    let theirs = env.path("alembic-core.db");
    let url = format!("sqlite:///{}", theirs.display());
    alembic_ok(
        py,
        env.root(),
        "alembic.ini",
        &["upgrade", "heads"],
        &[("DATABASE_URL", &url)],
    );
    let ours = env.path(".migrate/core.db");
    let schema = sqlite_schema(&ours).await;
    assert!(
        schema
            .iter()
            .any(|r| r.starts_with("index ix_positions_open ON positions")),
        "{schema:#?}"
    );
    assert_eq!(schema, sqlite_schema(&theirs).await);
    let labels = "SELECT code, label FROM currencies ORDER BY code";
    assert_eq!(
        sqlite_rows(&ours, labels).await,
        sqlite_rows(&theirs, labels).await
    );
});

alembic_test!(nested_version_folders_and_an_application_module, |py| {
    let env = project(py);
    env.run(&["import", "alembic", "ai", "--ini", "alembic_ai.ini"])
        .success()
        .stdout_eq(
            "migrations_ai/3ed61fdc0506_create_documents.sql\n\
             migrations_ai/6259ce4b4397_documents_language.sql\n\
             migrations_ai/ecs/2024/d5154a202f16_embeddings_norm.sql\n\
             migrations_ai/ecs/64e7b44927ef_index_embeddings_by_document.sql\n\
             migrations_ai/ecs/ac7b972f3885_create_embeddings.sql\n",
        );
    // The values came from the application's module.
    let embeddings = env.read("migrations_ai/ecs/ac7b972f3885_create_embeddings.sql");
    assert!(
        embeddings.contains("vector VARCHAR(192) NOT NULL"),
        "{embeddings}"
    );
    assert!(embeddings.contains("DEFAULT 'text-small'"), "{embeddings}");
    env.run(&["up", "ai"]).success();
    let theirs = env.path("alembic-ai.db");
    let url = format!("sqlite:///{}", theirs.display());
    alembic_ok(
        py,
        env.root(),
        "alembic_ai.ini",
        &["upgrade", "heads"],
        &[("AI_DATABASE_URL", &url)],
    );
    assert_eq!(
        sqlite_schema(&env.path(".migrate/ai.db")).await,
        sqlite_schema(&theirs).await
    );

    // Without prepend_sys_path, Alembic cannot load that revision, and says so.
    let ini = env
        .read("alembic_ai.ini")
        .replace("prepend_sys_path = .\n", "");
    env.put("no_path.ini", ini.as_bytes());
    env.run(&["import", "alembic", "ai", "--ini", "no_path.ini"])
        .code(2)
        .stderr_has("cannot load the revisions of `no_path.ini`")
        .stderr_has("No module named 'app'")
        .stderr_has("prepend_sys_path");
});

alembic_test!(two_version_locations_become_two_sub_folders, |py| {
    let env = project(py);
    env.run(&[
        "import",
        "alembic",
        "billing",
        "--ini",
        "alembic_billing.ini",
    ])
    .success()
    .stdout_eq(
        "migrations_billing/invoices/3cfc8de8438d_invoices_paid_at.sql\n\
             migrations_billing/invoices/80fc406760d9_create_invoices.sql\n\
             migrations_billing/versions/46b44da8b5b6_create_customers.sql\n",
    );
    let heads = alembic_ok(py, env.root(), "alembic_billing.ini", &["heads"], &[]);
    assert_eq!(ids(&env.run(&["heads", "billing"]).stdout), ids(&heads));
    env.run(&["up", "billing", "--to", "heads"]).success();
    let theirs = env.path("alembic-billing.db");
    let url = format!("sqlite:///{}", theirs.display());
    let vars = [("BILLING_DATABASE_URL", url.as_str())];
    alembic_ok(
        py,
        env.root(),
        "alembic_billing.ini",
        &["upgrade", "heads"],
        &vars,
    );
    assert_eq!(
        sqlite_schema(&env.path(".migrate/billing.db")).await,
        sqlite_schema(&theirs).await
    );
    // Each branch keeps its Alembic label.
    env.run(&["show", "billing", "invoices@head"])
        .success()
        .stdout_has("3cfc8de8438d");
});

alembic_test!(the_multidb_template_imports_one_engine_per_database, |py| {
    let env = project(py);
    env.run(&["import", "alembic", "users", "--ini", "alembic_multidb.ini"])
        .code(2)
        .stderr_has("multidb template")
        .stderr_has("`engine1`, `engine2`");
    assert!(env.files("migrations_users").is_empty());
    for (db, engine) in [("users", "engine1"), ("events", "engine2")] {
        let args = [
            "import",
            "alembic",
            db,
            "--ini",
            "alembic_multidb.ini",
            "--engine",
            engine,
        ];
        env.run(&args).success();
        env.run(&["up", db]).success();
    }
    let users = env.read("migrations_users/769b72e78c37_users_and_events.sql");
    assert!(
        users.contains("CREATE TABLE users") && !users.contains("CREATE TABLE events"),
        "{users}"
    );
    let (one, two) = (
        env.path("alembic-engine1.db"),
        env.path("alembic-engine2.db"),
    );
    let (url1, url2) = (
        format!("sqlite:///{}", one.display()),
        format!("sqlite:///{}", two.display()),
    );
    let vars = [
        ("ENGINE1_URL", url1.as_str()),
        ("ENGINE2_URL", url2.as_str()),
    ];
    alembic_ok(
        py,
        env.root(),
        "alembic_multidb.ini",
        &["upgrade", "heads"],
        &vars,
    );
    assert_eq!(
        sqlite_schema(&env.path(".migrate/engine1.db")).await,
        sqlite_schema(&one).await
    );
    assert_eq!(
        sqlite_schema(&env.path(".migrate/engine2.db")).await,
        sqlite_schema(&two).await
    );
    env.run(&["down", "users", "--to", "base"]).success();
    env.run(&["down", "events", "--to", "base"]).success();
});
