//! `migrate verify DB --schema` (issue 16) against real servers: the
//! schema the applied revisions make is built in a scratch database and
//! compared with the database object by object; hand-made objects are
//! traced to the pending revisions that make them; the scratch database is
//! gone afterwards, whatever happened; nothing is written to the database.

mod hand_edits;
mod kinds;
mod property;
mod scratch;
mod two_chains;

use super::*;
use crate::harness::env::Output;

/// A project whose one database is `name`, at `db`, revisions in `migrations/`.
pub fn project(db: &TestDb, name: &str) -> TestEnv {
    TestEnv::new()
        .config(&format!(
            "[databases.{name}]\nurl_env = \"DATABASE_URL\"\nmigrations = \"migrations\"\n"
        ))
        .mkdir("migrations")
        .env("DATABASE_URL", &db.url)
}

/// Writes revision `id` (parents space separated) with `up` as its body.
pub fn revision(env: &TestEnv, id: &str, parents: &str, up: &str) {
    env.put(
        &format!("migrations/{id}.sql"),
        rev_file(id, parents, up, None).as_bytes(),
    );
}

/// The scratch database (or file) a run named on stderr.
pub fn scratch_of(out: &Output) -> String {
    out.stderr
        .lines()
        .find_map(|l| l.split_once("applied revision").map(|(_, rest)| rest))
        .and_then(|rest| rest.split_once(" in ").map(|(_, s)| s.trim().to_owned()))
        .unwrap_or_else(|| panic!("no scratch database named on stderr\n{out}"))
}

/// Asserts the scratch database of `out` no longer exists.
pub async fn assert_scratch_gone(db: &TestDb, out: &Output) {
    let scratch = scratch_of(out);
    match db.dialect {
        Dialect::Postgres => {
            assert!(scratch.starts_with("migrate_scratch_"), "{out}");
            let left = db
                .strings(&format!(
                    "SELECT datname::text FROM pg_database WHERE datname = '{scratch}'"
                ))
                .await;
            assert!(left.is_empty(), "scratch database {scratch} is left\n{out}");
        }
        _ => {
            let path = std::path::Path::new(&scratch);
            assert!(scratch.contains("migrate_scratch_"), "{out}");
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let file = format!("{}{suffix}", path.display());
                assert!(
                    !std::path::Path::new(&file).exists(),
                    "{file} is left\n{out}"
                );
            }
        }
    }
}

/// Every database on the server whose name starts `migrate_scratch_<name>_`.
pub async fn scratch_databases(db: &TestDb, name: &str) -> Vec<String> {
    db.strings(&format!(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'migrate\\_scratch\\_{name}\\_%'"
    ))
    .await
}

/// `(change, kind, table, name)` of every difference of database `name` in
/// a JSON report, sorted.
pub fn differences(json: &serde_json::Value, name: &str) -> Vec<(String, String, String, String)> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let mut out: Vec<_> = json[name]["differences"]
        .as_array()
        .unwrap_or_else(|| panic!("no differences array in {json}"))
        .iter()
        .map(|d| {
            (
                text(&d["change"]),
                text(&d["kind"]),
                text(&d["table"]),
                text(&d["name"]),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_shadow_url_needs_schema() {
    let env = TestEnv::new();
    env.run(&["verify", "core", "--shadow-url", "postgres://h/db"])
        .code(2)
        .stderr_has("--schema");
}
