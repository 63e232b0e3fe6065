//! The apply engine end to end (issue 3, docs/reference.md): the real `migrate`
//! binary against a fresh PostgreSQL database per test (`harness::pg`) and,
//! where the behaviour is not PostgreSQL-specific, a SQLite temp file too.
//! Every test checks what a user sees (exit code, stdout, stderr) and what
//! the database holds afterwards (version table and schema, read with sqlx).

mod alembic_adopt;
mod apply;
mod bodies;
mod diverged;
mod down;
mod drift;
mod failure;
mod inspect;
mod lock;
mod no_transaction;
mod recording;
mod schema_drift;
mod urls;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate::driver::Dialect;

use crate::harness::env::TestEnv;
use crate::harness::{RecordedRow, TestDb};

/// `tests/fixtures/diverged/`: the head of chain A (billing, 16 revisions).
pub const TIP_A: &str = "def24e423a45";
/// `tests/fixtures/diverged/`: the head of chain B (notifications, 5 revisions).
pub const TIP_B: &str = "b61d975d6669";

/// Runs `body` on a fresh PostgreSQL database named after `test_path`
/// (skipped with a note when there is no server, a failure under `CI=true`),
/// dropping the database afterwards even when the body panics.
pub async fn on_postgres<F, Fut>(test_path: &str, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    if let Some(db) = TestDb::postgres(test_path).await {
        db.run(body).await;
    }
}

/// Runs `body` on a SQLite file in a fresh temp folder.
pub async fn on_sqlite<F, Fut>(body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    TestDb::sqlite().run(body).await;
}

/// Defines `NAME::postgres` and `NAME::sqlite`, each running the async
/// `body` (which gets `db: TestDb`) on a fresh database of that kind.
macro_rules! online_test {
    ($name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn postgres() {
                $crate::online::on_postgres(module_path!(), |$db| async move { $body }).await;
            }

            #[tokio::test]
            async fn sqlite() {
                $crate::online::on_sqlite(|$db| async move { $body }).await;
            }
        }
    };
}
pub(crate) use online_test;

/// `migrate.toml` with one database `core` whose URL is `$DATABASE_URL`,
/// revisions in `migrations_core/`, and the given `[settings]` lines.
pub fn core_config(settings: &str) -> String {
    format!(
        "[settings]\n{settings}\n\n[databases.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"migrations_core\"\n"
    )
}

/// A project with [`core_config`] pointing `core` at `db`, and no revisions yet.
pub fn core_project(db: &TestDb, settings: &str) -> TestEnv {
    TestEnv::new()
        .config(&core_config(settings))
        .mkdir("migrations_core")
        .env("DATABASE_URL", &db.url)
}

/// A revision file. `parents` space separated (empty for a base); `up` and
/// `down` bodies as written (`None`: irreversible).
pub fn rev_file(id: &str, parents: &str, up: &str, down: Option<&str>) -> String {
    let mut text = format!("-- migrate:revision {id}\n");
    if !parents.is_empty() {
        text += &format!("-- migrate:parents {parents}\n");
    }
    text += &format!("-- migrate:message revision {id}\n\n-- migrate:up\n{up}\n");
    if let Some(down) = down {
        text += &format!("\n-- migrate:down\n{down}\n");
    }
    text
}

/// The same, marked `-- migrate:transaction off`.
pub fn rev_file_no_tx(id: &str, parents: &str, up: &str, down: Option<&str>) -> String {
    rev_file(id, parents, up, down).replacen(
        "\n\n-- migrate:up",
        "\n-- migrate:transaction off\n\n-- migrate:up",
        1,
    )
}

/// Writes a chain `ids[0] <- ids[1] <- ...` where revision `x` creates table
/// `t_x` and its `down` drops it.
pub fn write_chain(env: &TestEnv, folder: &str, ids: &[&str]) {
    let mut parent = "";
    for id in ids {
        let up = format!("CREATE TABLE t_{id} (id integer);");
        let down = format!("DROP TABLE t_{id};");
        env.put(
            &format!("{folder}/{id}.sql"),
            rev_file(id, parent, &up, Some(&down)).as_bytes(),
        );
        parent = id;
    }
}

/// The checksum of a revision file (docs/reference.md): SHA-256 of its `up`
/// section, computed by the crate's own parser.
pub fn checksum_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    migrate::revision::parse(path, &bytes)
        .unwrap()
        .0
        .checksum
        .to_string()
}

/// The rows of version table `table` ordered by revision; empty when the
/// table does not exist.
pub async fn rows(db: &TestDb, table: &str) -> Vec<RecordedRow> {
    db.rows_of(table).await
}

/// The revision ids recorded in `table`, sorted.
pub async fn applied(db: &TestDb, table: &str) -> Vec<String> {
    rows(db, table)
        .await
        .into_iter()
        .map(|r| r.revision)
        .collect()
}

/// `ids` as sorted owned strings, to compare with [`applied`].
pub fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// A `migrate ARGS...` command run in `env`'s folder with a cleared
/// environment plus `vars`, for tests that must spawn, race or kill the
/// process (everything else uses [`TestEnv::run`]).
pub fn command(env: &TestEnv, vars: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.args(args).current_dir(env.root()).env_clear();
    for key in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.env("NO_COLOR", "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Polls `probe` every 20 ms until it returns true; panics after `deadline`.
pub async fn wait_until<F, Fut>(what: &str, deadline: Duration, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !probe().await {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
