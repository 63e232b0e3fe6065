//! Errors in finding, reading or checking `migrate.toml` and its `.env`:
//! every one names the file and, when known, the line.
//!
//! Pure types. All of them are bad input (exit 2).

use std::fmt;
use std::path::PathBuf;

use super::suggest;

/// A problem with `migrate.toml` (or the `.env` beside it) at a place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file; for [`ConfigErrorKind::NotFound`], the folder the search began in.
    pub path: PathBuf,
    /// 1-based line, when the problem is at one.
    pub line: Option<usize>,
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    pub fn new(path: impl Into<PathBuf>, line: Option<usize>, kind: ConfigErrorKind) -> Self {
        Self {
            path: path.into(),
            line,
            kind,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let ConfigErrorKind::NotFound { .. } = self.kind {
            return write!(f, "{}", self.kind);
        }
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for ConfigError {}

/// What is wrong. Values that could hold a secret (an `url_env` that holds a
/// URL, a `.env` line) are never quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    #[error(
        "no `migrate.toml` found (looked for {}): run `migrate init` to create one, or pass \
         `--config PATH` (or set `MIGRATE_CONFIG`)",
        ticked_paths(searched)
    )]
    NotFound { searched: Vec<PathBuf> },
    #[error(
        "the config file given by {origin} does not exist: check the path, or run `migrate init`"
    )]
    Missing { origin: &'static str },
    #[error("can't read the file: {reason}")]
    Read { reason: String },
    #[error("{message}")]
    Syntax { message: String },
    #[error(
        "unknown key `{key}` in {table}{}; the keys allowed there are {}",
        self.suggestion().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(),
        ticked(expected)
    )]
    UnknownKey {
        key: String,
        /// `` `[databases.core]` ``, `` `[settings]` `` or `the top level`.
        table: String,
        /// The keys allowed there.
        expected: Vec<String>,
    },
    #[error(
        "database name `{name}` is not allowed: use lower-case letters, digits and `_`, \
         starting with a letter, at most 63 characters (like `core` or `ai_store`)"
    )]
    BadDatabaseName { name: String },
    #[error("database `{db}` has no `{key}`: add `{key} = {example}` to `[databases.{db}]`")]
    MissingKey {
        db: String,
        key: &'static str,
        example: &'static str,
    },
    #[error(
        "`{key}` of database `{db}` must name an environment variable (letters, digits and `_`, \
         like `DATABASE_URL`), not hold a URL; put a local-development URL in `default_url`"
    )]
    BadEnvName { db: String, key: &'static str },
    #[error(
        "database `{db}` is `after` `{dep}`, which is not a database in this file{}",
        self.suggestion().map(|s| format!(": did you mean `{s}`?")).unwrap_or_else(|| ": name one of the `[databases.*]` tables".to_owned())
    )]
    UnknownAfter {
        db: String,
        dep: String,
        suggestion: Option<String>,
    },
    #[error("database `{db}` names itself in `after`: remove it")]
    AfterSelf { db: String },
    #[error(
        "the `after` lists form a cycle: {}; remove one of these `after` entries",
        cycle.join(" -> ")
    )]
    AfterCycle { cycle: Vec<String> },
    #[error(
        "`{key}` = {value} is not a duration ({reason}): write it like `\"60s\"` or `\"1m30s\"`"
    )]
    BadDuration {
        key: String,
        value: String,
        reason: String,
    },
    #[error(
        "no databases are defined: add a `[databases.core]` table with `url_env` and \
         `migrations`, or run `migrate init`"
    )]
    NoDatabases,
    #[error(
        "`{key}` of database `{db}` is `{value}`, which is not a plain SQL identifier: use \
         letters, digits and `_`, not starting with a digit, at most 63 bytes{}",
        if *key == "version_table" { " (the default is `_migrate_` + the database name)" } else { "" }
    )]
    BadIdentifier {
        db: String,
        key: &'static str,
        value: String,
    },
    #[error("`default_url` of database `{db}` is not usable: {reason}")]
    BadDefaultUrl { db: String, reason: String },
    #[error(
        "malformed line in `.env` (at column {column}): write `NAME=value`, quoting values that \
         hold spaces or `#`"
    )]
    Dotenv { column: usize },
}

impl ConfigErrorKind {
    /// The likely intended name, for an unknown key or `after` entry.
    pub fn suggestion(&self) -> Option<&str> {
        match self {
            Self::UnknownKey { key, expected, .. } => {
                suggest::closest(key, expected.iter().map(String::as_str))
            }
            Self::UnknownAfter { suggestion, .. } => suggestion.as_deref(),
            _ => None,
        }
    }
}

fn ticked(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ticked_paths(items: &[PathBuf]) -> String {
    items
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}
