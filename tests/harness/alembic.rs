//! Real Alembic for the `migrate import alembic` tests: the interpreters of
//! the virtual environments `scripts/python-venvs.sh` makes, the `alembic`
//! command run against a URL (the reference every import is compared
//! with), and schemas dumped so that two databases can be compared.
//!
//! `MIGRATE_TEST_PYTHON` has the newest Alembic, `MIGRATE_TEST_PYTHON_OLD`
//! one about two years older; `bash scripts/test.sh` sets both. A test
//! whose variable is missing fails, unless `MIGRATE_TEST_SKIP_SERVERS=1`.

#![allow(dead_code)] // not every test file uses every helper

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row, SqliteConnection};

use super::pg::{self, PgTestDb};

/// Which of the two Alembic environments.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    Newest,
    Oldest,
}

/// Runs a test body once per Alembic environment, as `NAME::newest` and
/// `NAME::oldest`, with `$py` the interpreter's path (`&str`).
macro_rules! alembic_test {
    ($name:ident, |$py:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn newest() {
                let Some(python) =
                    $crate::harness::alembic::python($crate::harness::alembic::Which::Newest)
                else {
                    return;
                };
                let $py: &str = &python;
                $body
            }

            #[tokio::test]
            async fn oldest() {
                let Some(python) =
                    $crate::harness::alembic::python($crate::harness::alembic::Which::Oldest)
                else {
                    return;
                };
                let $py: &str = &python;
                $body
            }
        }
    };
}

fn skipping(what: &str) -> bool {
    if std::env::var("MIGRATE_TEST_SKIP_SERVERS").is_ok_and(|v| v == "1") {
        println!("note: skipping a test that needs {what} (MIGRATE_TEST_SKIP_SERVERS=1)");
        return true;
    }
    false
}

/// The interpreter with Alembic, or `None` when tests that need it are skipped.
pub fn python(which: Which) -> Option<String> {
    let var = match which {
        Which::Newest => "MIGRATE_TEST_PYTHON",
        Which::Oldest => "MIGRATE_TEST_PYTHON_OLD",
    };
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(path),
        _ if skipping(var) => None,
        _ => panic!(
            "{var} is not set: it names a Python with Alembic installed; run the tests with \
             `bash scripts/test.sh` (it runs scripts/python-venvs.sh), or set \
             MIGRATE_TEST_SKIP_SERVERS=1 to skip them"
        ),
    }
}

/// What one `alembic` run printed.
#[derive(Debug)]
pub struct AlembicRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `PYTHON -m alembic -c INI ARGS...` in `dir` with `env` added.
pub fn alembic(py: &str, dir: &Path, ini: &str, args: &[&str], env: &[(&str, &str)]) -> AlembicRun {
    let mut cmd = Command::new(py);
    cmd.args(["-m", "alembic", "-c", ini])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for key in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {py} -m alembic: {e}"));
    AlembicRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// [`alembic`], which must succeed.
#[track_caller]
pub fn alembic_ok(py: &str, dir: &Path, ini: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let run = alembic(py, dir, ini, args, env);
    assert_eq!(
        run.code, 0,
        "alembic -c {ini} {args:?} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// The revision ids at the start of each line of `alembic heads` or
/// `alembic current`, sorted.
pub fn ids(listing: &str) -> Vec<String> {
    let mut ids: Vec<String> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

/// A test URL as SQLAlchemy spells it with psycopg 3 (the venvs' driver).
pub fn sqlalchemy_url(url: &str) -> String {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .unwrap_or_else(|| panic!("not a PostgreSQL URL: {url}"));
    format!("postgresql+psycopg://{rest}")
}

/// Fails unless a PostgreSQL server is there, or servers are skipped.
pub fn postgres_or_skip() -> bool {
    if std::env::var("MIGRATE_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        return true;
    }
    if skipping("PostgreSQL") {
        return false;
    }
    panic!(
        "MIGRATE_TEST_POSTGRES_URL is not set: run the tests with `bash scripts/test.sh` \
         (or scripts/with-postgres.sh), or set MIGRATE_TEST_SKIP_SERVERS=1 to skip them"
    );
}

/// Runs `body` with two fresh PostgreSQL databases (one for `migrate`, one
/// for Alembic), dropped afterwards even when the body panics.
pub async fn with_two_databases<F, Fut>(test_path: &str, body: F)
where
    F: FnOnce(PgTestDb, PgTestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if !postgres_or_skip() {
        return;
    }
    let ours = pg::create(&format!("{test_path}::migrate"))
        .await
        .expect("a PostgreSQL database");
    let theirs = pg::create(&format!("{test_path}::alembic"))
        .await
        .expect("a PostgreSQL database");
    let outcome = tokio::spawn(body(ours.clone(), theirs.clone())).await;
    ours.drop_database().await;
    theirs.drop_database().await;
    if let Err(err) = outcome {
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("test task failed: {err}"),
        }
    }
}

/// The newest `pg_dump` of Debian's PostgreSQL packages, else the one on PATH.
fn pg_dump() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let exe = e.path().join("bin/pg_dump");
            exe.is_file().then_some((version, exe))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map_or_else(|| PathBuf::from("pg_dump"), |(_, exe)| exe)
}

/// `pg_dump -s` of a database without the version tables, with what differs
/// between two dumps of the same schema left out: comments, `SET` lines,
/// the `\restrict` key of newer pg_dump versions, blank lines.
pub fn pg_schema(url: &str) -> String {
    let out = Command::new(pg_dump())
        .args(["--schema-only", "--no-owner"])
        .args([
            "--exclude-table=public.alembic_version",
            "--exclude-table=public._migrate_*",
        ])
        .arg(url)
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !(l.is_empty()
                || l.starts_with("--")
                || l.starts_with("SET ")
                || l.starts_with("SELECT pg_catalog.set_config")
                || l.starts_with("\\restrict")
                || l.starts_with("\\unrestrict"))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The one text value `sql` selects on a PostgreSQL database.
pub async fn pg_value(url: &str, sql: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await.unwrap();
    value
}

/// The `sqlite_schema` rows of a SQLite file as `type name ON table: sql`,
/// sorted, without the version tables; runs of blanks in the SQL are one
/// space (Alembic's offline mode writes four spaces where its online mode
/// sends a tab).
pub async fn sqlite_schema(path: &Path) -> Vec<String> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())).unwrap();
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let rows = sqlx::query(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema \
         WHERE tbl_name <> 'alembic_version' AND tbl_name NOT LIKE '\\_migrate\\_%' ESCAPE '\\' \
         ORDER BY type, name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    rows.iter()
        .map(|r| {
            let sql: String = r.get(3);
            let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            format!(
                "{} {} ON {}: {sql}",
                r.get::<String, _>(0),
                r.get::<String, _>(1),
                r.get::<String, _>(2)
            )
        })
        .collect()
}

/// The rows of `sql` on a SQLite file, each row's columns joined by `|`.
pub async fn sqlite_rows(path: &Path, sql: &str) -> Vec<String> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())).unwrap();
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    rows.iter()
        .map(|r| {
            (0..sqlx::Row::len(r))
                .map(|i| r.get::<String, _>(i))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// The SHA-256 of every file under `dir`, by path relative to it.
pub fn hashes(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let digest = Sha256::digest(std::fs::read(&path).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), hex);
            }
        }
    }
    out
}
