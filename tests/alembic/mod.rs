//! `migrate import alembic` against real Alembic (see `harness::alembic`):
//! the fixture project `tests/fixtures/alembic/` is imported, and what
//! `migrate` then builds is compared with what Alembic builds online from
//! the same history.

mod adopt;
mod bad_input;
mod incremental;
mod offline;
mod postgres;
mod sqlite;

use crate::harness::env::TestEnv;

/// One database per Alembic project of the fixture, each on a SQLite
/// `default_url` unless its variable is set.
const CONFIG: &str = r#"[databases.core]
url_env = "DATABASE_URL"
default_url = "sqlite://.migrate/core.db"
migrations = "migrations_core"

[databases.ai]
url_env = "AI_DATABASE_URL"
default_url = "sqlite://.migrate/ai.db"
migrations = "migrations_ai"

[databases.billing]
url_env = "BILLING_DATABASE_URL"
default_url = "sqlite://.migrate/billing.db"
migrations = "migrations_billing"

[databases.users]
url_env = "ENGINE1_URL"
default_url = "sqlite://.migrate/engine1.db"
migrations = "migrations_users"

[databases.events]
url_env = "ENGINE2_URL"
default_url = "sqlite://.migrate/engine2.db"
migrations = "migrations_events"
"#;

/// The core history's data migration, which Alembic cannot render offline.
const DATA_MIGRATION: &str = "migrations_core/a0f4b75579f0_backfill_currency_labels.sql";

/// The heads `alembic heads` prints for the core history.
const CORE_HEADS: [&str; 2] = ["7a287d1158e2", "b81b37c902f4"];

/// A copy of the fixture with `migrate.toml`, importing through `py`.
fn project(py: &str) -> TestEnv {
    TestEnv::new()
        .copy_fixture("alembic", "")
        .config(CONFIG)
        .mkdir(".migrate")
        .env("MIGRATE_PYTHON", py)
}

/// The line an imported file whose SQL must be written by hand starts its
/// comment block with: what `migrate check` quotes to the user.
const NEEDS_SQL_LINE: &str = "-- migrate import: write the SQL of this revision by hand.";

/// Does what a person does with a revision whose SQL could not be
/// rendered: an `up` line above the comment block, the SQL below it.
fn write_sql_by_hand(env: &TestEnv, rel: &str, sql: &str) {
    let text = env.read(rel);
    assert!(
        text.contains(NEEDS_SQL_LINE),
        "{rel} does not ask for its SQL:\n{text}"
    );
    let filled = text.replacen(
        NEEDS_SQL_LINE,
        &format!("-- migrate:up\n{sql}\n{NEEDS_SQL_LINE}"),
        1,
    );
    env.put(rel, filled.as_bytes());
}

/// The SQL a person writes for the data migration: what its Python does.
const BACKFILL_SQL: &str = "UPDATE currencies SET label = name || ' (' || code || ')';";

/// The `.sql` files under `rel`, relative to it, sorted.
fn sql_files(env: &TestEnv, rel: &str) -> Vec<String> {
    let root = env.path(rel);
    let mut files: Vec<String> = crate::harness::alembic::hashes(&root)
        .into_keys()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".sql"))
        .collect();
    files.sort();
    files
}
