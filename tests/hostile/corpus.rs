//! The valid inputs mutations start from: the repository's example
//! histories and fixtures, and `migrate.toml` texts.

use std::fs;
use std::path::{Path, PathBuf};

/// A folder of valid revision files, as (file name, bytes).
pub(super) struct History {
    pub(super) files: Vec<(String, Vec<u8>)>,
}

const HISTORY_FOLDERS: [&str; 5] = [
    "migrations_core",
    "migrations_ai",
    "tests/fixtures/depends_on",
    "tests/fixtures/diverged",
    "tests/fixtures/realistic_pg",
];

pub(super) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every example history of the repository.
pub(super) fn histories() -> Vec<History> {
    HISTORY_FOLDERS
        .iter()
        .map(|name| History {
            files: sql_files(&repo().join(name)),
        })
        .collect()
}

/// Every valid revision file of the repository, as bytes.
pub(super) fn revision_files() -> Vec<Vec<u8>> {
    histories()
        .into_iter()
        .flat_map(|h| h.files.into_iter().map(|(_, bytes)| bytes))
        .collect()
}

fn sql_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&p).unwrap())
        })
        .collect();
    assert!(!files.is_empty(), "no revision files in {}", dir.display());
    files.sort();
    files
}

/// Valid `migrate.toml` texts: the repository's own and fuller ones.
pub(super) fn config_texts() -> Vec<String> {
    let mut texts = vec![fs::read_to_string(repo().join("migrate.toml")).unwrap()];
    texts.push(FULL_CONFIG.to_owned());
    texts.push(project_config(3));
    texts
}

/// Every setting and key docs/reference.md, "Configuration" allows.
const FULL_CONFIG: &str = r#"[settings]
lock_timeout = "60s"
wait = "2m 30s"

[databases.core]
url_env = "DATABASE_URL"
default_url = "postgresql+asyncpg://app:s3cret@localhost:5432/app?ssl=require"
migrations = "migrations_core"
version_table = "_migrate_core"
schema = "public"

[databases.ai]
url_env = "AI_DATABASE_URL"
fallback_env = ["DATABASE_URL", "OTHER_URL"]
default_url = "sqlite+aiosqlite:///.migrate/ai.db"
migrations = "migrations_ai"
after = ["core"]

[databases.e2e]
url_env = "E2E_URL"
default_url = "sqlite::memory:"
migrations = "migrations_core"
after = ["core", "ai"]
"#;

/// A config of `n` databases `d0`..`d{n-1}`, each on its own folder
/// `m0`..`m{n-1}` and its own SQLite file, every one after the previous.
pub(super) fn project_config(n: usize) -> String {
    let mut text = String::from("[settings]\nlock_timeout = \"5s\"\nwait = \"0s\"\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[databases.d{i}]\nurl_env = \"D{i}_URL\"\n\
             default_url = \"sqlite://.migrate/d{i}.db\"\nmigrations = \"m{i}\"\n"
        ));
        if i > 0 {
            text.push_str(&format!("after = [\"d{}\"]\n", i - 1));
        }
    }
    text
}
