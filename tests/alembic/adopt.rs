//! Switching a database that real Alembic manages, end to end, as the
//! README's "Coming from Alembic" tells it, and going back: Alembic brought
//! the database to the head of one of the core history's two chains; the
//! guard keeps `migrate up` off it; `stamp --from-alembic` records what
//! Alembic says it applied; `up --to heads` applies the other chain and
//! gives the schema Alembic gives; and after `alembic stamp heads` and
//! dropping `migrate`'s table, Alembic works on it as before. The
//! reference every schema is compared with is a second database that
//! Alembic alone brought to `heads`.

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection, SqliteConnection};

use super::*;
use crate::harness::alembic::{alembic_ok, ids, pg_schema, sqlalchemy_url, sqlite_schema};

/// The head of the core history's `reports` chain (6 revisions from the
/// branch point, 8 with what they need): the chain Alembic applied.
const REPORTS_HEAD: &str = "7a287d1158e2";

/// The parent of the main chain's head, which `migrate` applied.
const MAIN_HEAD_PARENT: &str = "ff5bae87a49f";

/// A database both tools reach with one URL (SQLAlchemy's spelling, which
/// `migrate` reads too).
enum Db {
    Postgres(String),
    Sqlite(PathBuf),
}

impl Db {
    fn url(&self) -> String {
        match self {
            Self::Postgres(url) => sqlalchemy_url(url),
            // Four slashes: an absolute path, for SQLAlchemy and migrate alike.
            Self::Sqlite(path) => format!("sqlite+pysqlite:///{}", path.display()),
        }
    }

    /// The schema without the version tables, normalised for comparing.
    async fn schema(&self) -> Vec<String> {
        match self {
            Self::Postgres(url) => pg_schema(url).lines().map(str::to_owned).collect(),
            Self::Sqlite(path) => sqlite_schema(path).await,
        }
    }

    /// The first column (text) of every row of `sql`.
    async fn strings(&self, sql: &str) -> Vec<String> {
        let text = || AssertSqlSafe(sql.to_owned());
        let rows: Result<Vec<String>, _> = match self {
            Self::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await.unwrap();
                sqlx::query_scalar(text()).fetch_all(&mut conn).await
            }
            Self::Sqlite(path) => {
                let options =
                    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
                        .unwrap();
                let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
                sqlx::query_scalar(text()).fetch_all(&mut conn).await
            }
        };
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn exec(&self, sql: &str) {
        let query = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
        match self {
            Self::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await.unwrap();
                query.execute(&mut conn).await.unwrap();
            }
            Self::Sqlite(path) => {
                let options =
                    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
                        .unwrap();
                let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
                query.execute(&mut conn).await.unwrap();
            }
        }
    }

    async fn has_migrate_table(&self) -> bool {
        let sql = match self {
            Self::Postgres(_) => {
                "SELECT tablename::text FROM pg_tables WHERE tablename = '_migrate_core'"
            }
            Self::Sqlite(_) => "SELECT name FROM sqlite_schema WHERE name = '_migrate_core'",
        };
        !self.strings(sql).await.is_empty()
    }
}

/// The revision ids `alembic history` lists (`parents -> id (...), message`),
/// sorted.
fn history_ids(listing: &str) -> Vec<String> {
    let mut out: Vec<String> = listing
        .lines()
        .filter_map(|l| l.split_once(" -> "))
        .filter_map(|(_, rest)| rest.split([' ', ',']).next())
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

/// The ids `migrate current` prints after `core:`, sorted.
fn current_ids(env: &TestEnv) -> Vec<String> {
    let run = env.run(&["current", "core"]);
    run.success();
    let mut out: Vec<String> = run
        .stdout
        .split_whitespace()
        .skip(1)
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

async fn switch_and_go_back(py: &str, ours: Db, theirs: Db) {
    let env = project(py).env("DATABASE_URL", &ours.url());
    let on = |db: &Db| vec![("DATABASE_URL".to_owned(), db.url())];
    let alembic = |args: &[&str], db: &Db| {
        let vars = on(db);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        alembic_ok(py, env.root(), "alembic.ini", args, &vars)
    };
    alembic(&["upgrade", REPORTS_HEAD], &ours);
    alembic(&["upgrade", "heads"], &theirs);
    let versions = "SELECT version_num FROM alembic_version ORDER BY version_num";
    let alembic_rows = ours.strings(versions).await;
    assert_eq!(alembic_rows, [REPORTS_HEAD]);
    let before = ours.schema().await;

    env.run(&["import", "alembic", "core"])
        .code(1)
        .stderr_has(DATA_MIGRATION);
    write_sql_by_hand(&env, DATA_MIGRATION, BACKFILL_SQL);

    // The guard: nothing runs, nothing is created.
    for args in [&["up", "core"][..], &["up", "core", "--to", "heads"]] {
        env.run(args)
            .code(1)
            .stderr_has("database `core` is managed by Alembic")
            .stderr_has(&format!("`alembic_version` holds `{REPORTS_HEAD}`"))
            .stderr_has("migrate stamp core --from-alembic");
    }
    assert_eq!(
        ours.schema().await,
        before,
        "a refused `up` changed the schema"
    );
    assert!(
        !ours.has_migrate_table().await,
        "a refused `up` made a version table"
    );
    env.run(&["status", "core"])
        .success()
        .stdout_has("managed by Alembic");

    // The adoption records exactly what Alembic says it applied.
    env.run(&["stamp", "core", "--from-alembic"]).success();
    let alembic_applied = history_ids(&alembic(&["history", "-r", "base:current"], &ours));
    assert_eq!(alembic_applied.len(), 8, "{alembic_applied:?}");
    let recorded = "SELECT revision FROM _migrate_core ORDER BY revision";
    assert_eq!(ours.strings(recorded).await, alembic_applied);
    assert_eq!(
        ours.strings("SELECT DISTINCT method FROM _migrate_core")
            .await,
        ["stamp"]
    );
    assert_eq!(current_ids(&env), ids(&alembic(&["current"], &ours)));
    assert_eq!(ours.schema().await, before, "the stamp ran SQL");

    // `up` applies the other chain, and the schema is Alembic's.
    env.run(&["up", "core", "--to", "heads"]).success();
    let every = history_ids(&alembic(&["history", "-r", "base:heads"], &ours));
    let other_chain: Vec<String> = every
        .iter()
        .filter(|id| !alembic_applied.contains(id))
        .cloned()
        .collect();
    assert_eq!(other_chain.len(), 13, "{other_chain:?}");
    let applied_by_up = "SELECT revision FROM _migrate_core WHERE method = 'up' ORDER BY revision";
    assert_eq!(ours.strings(applied_by_up).await, other_chain);
    let at_heads = ours.schema().await;
    assert_eq!(at_heads, theirs.schema().await);
    let labels = "SELECT code || '=' || label FROM currencies ORDER BY code";
    let ours_labels = ours.strings(labels).await;
    assert!(!ours_labels.is_empty());
    assert_eq!(ours_labels, theirs.strings(labels).await);

    // Going back. Alembic's table says what it applied before the switch.
    assert_eq!(ours.strings(versions).await, alembic_rows);
    assert_eq!(ids(&alembic(&["current"], &ours)), [REPORTS_HEAD]);
    let status = env.run(&["status", "core", "--format", "json"]).json();
    assert_eq!(status["core"]["state"], "up to date", "{status}");
    // Told what migrate applied since, Alembic agrees with migrate.
    alembic(&["stamp", "heads"], &ours);
    assert_eq!(ids(&alembic(&["current"], &ours)), current_ids(&env));
    // Without migrate's table the guard protects the database again.
    ours.exec("DROP TABLE _migrate_core").await;
    env.run(&["up", "core", "--to", "heads"])
        .code(1)
        .stderr_has("managed by Alembic");
    // And Alembic moves it as it moves the reference: one step down on the
    // chain migrate applied, then up again.
    for db in [&ours, &theirs] {
        alembic(&["downgrade", MAIN_HEAD_PARENT], db);
    }
    let down = ours.schema().await;
    assert_ne!(down, at_heads, "alembic downgrade changed nothing");
    assert_eq!(down, theirs.schema().await, "after alembic downgrade");
    for db in [&ours, &theirs] {
        alembic(&["upgrade", "heads"], db);
    }
    assert_eq!(
        ours.schema().await,
        theirs.schema().await,
        "after alembic upgrade"
    );
    // Switching again adopts what Alembic did meanwhile.
    env.run(&["stamp", "core", "--from-alembic"]).success();
    assert_eq!(
        ours.strings(recorded).await,
        history_ids(&alembic(&["history", "-r", "base:current"], &ours))
    );
    assert_eq!(current_ids(&env), CORE_HEADS);
}

alembic_test!(
    a_postgres_database_alembic_manages_switches_and_back,
    |py| {
        let py = py.to_owned();
        let test_path = format!("{}::{py}", module_path!());
        crate::harness::alembic::with_two_databases(&test_path, |ours, theirs| async move {
            switch_and_go_back(&py, Db::Postgres(ours.url), Db::Postgres(theirs.url)).await;
        })
        .await;
    }
);

alembic_test!(a_sqlite_database_alembic_manages_switches_and_back, |py| {
    let files = tempfile::tempdir().unwrap();
    switch_and_go_back(
        py,
        Db::Sqlite(files.path().join("core.db")),
        Db::Sqlite(files.path().join("alembic-core.db")),
    )
    .await;
});
