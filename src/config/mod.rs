//! `migrate.toml` (docs/reference.md, "Configuration"): the checked configuration and the order of its
//! databases.
//!
//! Pure types. `parse` checks the text, `discover` finds and reads the file,
//! `dotenv` reads the `.env` beside it, `resolve` turns a database's
//! variables into a URL.

pub mod discover;
pub mod dotenv;
mod error;
pub mod parse;
pub mod resolve;
pub mod suggest;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

pub use discover::{find_config, load};
pub use dotenv::Env;
pub use error::{ConfigError, ConfigErrorKind};
pub use parse::parse;
pub use resolve::{
    ResolveError, ResolvedUrl, UrlSource, check_distinct, resolve, resolve_for_migrations,
};

/// The file name searched for.
pub const FILE_NAME: &str = "migrate.toml";

/// A checked `migrate.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The file.
    pub path: PathBuf,
    /// Its folder (absolute when `path` is): relative paths in it start here.
    pub dir: PathBuf,
    pub settings: Settings,
    /// By name; a name matches `[a-z][a-z0-9_]*`.
    pub databases: BTreeMap<String, DatabaseConfig>,
}

/// `[settings]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How long to wait for another runner's lock (default 60s).
    pub lock_timeout: Duration,
    /// How long to retry an unreachable database (default 0s; `--wait` overrides).
    pub wait: Duration,
    /// PostgreSQL `lock_timeout` for each revision's statements, when set.
    pub ddl_lock_timeout: Option<Duration>,
    /// `statement_timeout` for each revision's statements, when set.
    pub statement_timeout: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_secs(60),
            wait: Duration::ZERO,
            ddl_lock_timeout: None,
            statement_timeout: None,
        }
    }
}

/// One `[databases.NAME]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseConfig {
    pub name: String,
    /// The variable holding the URL.
    pub url_env: String,
    /// Local-development fallbacks, tried in order when `url_env` is unset.
    pub fallback_env: Vec<String>,
    /// Local-development URL when no variable is set (relative SQLite paths
    /// are relative to the config folder).
    pub default_url: Option<String>,
    /// A variable holding a direct (unpooled) URL that migrations use
    /// instead of `url_env`'s, which the application keeps.
    pub direct_url_env: Option<String>,
    /// The revisions folder, absolute (`Config::dir` joined with the value).
    pub migrations: PathBuf,
    /// The folder as written in the file, for messages.
    pub migrations_display: PathBuf,
    /// Default `_migrate_` + name.
    pub version_table: String,
    /// PostgreSQL schema of the version table.
    pub schema: Option<String>,
    /// Databases that must succeed before this one runs.
    pub after: Vec<String>,
    /// The variable holding an empty database that `verify --schema`
    /// builds its schema in, instead of a scratch database.
    pub shadow_url_env: Option<String>,
}

impl Config {
    pub fn database(&self, name: &str) -> Option<&DatabaseConfig> {
        self.databases.get(name)
    }

    /// The database name closest to a misspelt `name`, for "did you mean".
    pub fn suggest_database(&self, name: &str) -> Option<&str> {
        suggest::closest(name, self.databases.keys().map(String::as_str))
    }

    /// The selected databases in `after` order, as waves: the databases of
    /// one wave don't depend on each other and may run at once; each wave
    /// runs after the previous one. Names within a wave are sorted.
    ///
    /// A dependency reached through an unselected database still counts
    /// (`a` after `b` after `c`, selecting `a` and `c`: `c` first); an
    /// unselected dependency itself is not added. Names not in the config
    /// are kept, with no dependencies, for the caller to report.
    pub fn order<S: AsRef<str>>(&self, names: &[S]) -> Vec<Vec<String>> {
        let selected: BTreeSet<&str> = names.iter().map(AsRef::as_ref).collect();
        let mut waiting: BTreeMap<&str, BTreeSet<&str>> = selected
            .iter()
            .map(|&name| {
                let deps = self.reachable(name);
                let deps = deps.into_iter().filter(|d| selected.contains(d)).collect();
                (name, deps)
            })
            .collect();
        let mut waves = Vec::new();
        while !waiting.is_empty() {
            let ready: Vec<&str> = waiting
                .iter()
                .filter(|(_, deps)| deps.is_empty())
                .map(|(&name, _)| name)
                .collect();
            // A cycle can't pass `parse`, but `Config` is plain data: run
            // what is left together rather than loop forever.
            let ready = if ready.is_empty() {
                waiting.keys().copied().collect()
            } else {
                ready
            };
            for name in &ready {
                waiting.remove(name);
            }
            for deps in waiting.values_mut() {
                for name in &ready {
                    deps.remove(name);
                }
            }
            waves.push(ready.into_iter().map(str::to_owned).collect());
        }
        waves
    }

    /// Every database `name` must wait for, through any chain of `after`.
    fn reachable(&self, name: &str) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = self.after_of(name);
        while let Some(next) = stack.pop() {
            if next != name && seen.insert(next) {
                stack.extend(self.after_of(next));
            }
        }
        seen
    }

    fn after_of(&self, name: &str) -> Vec<&str> {
        self.databases
            .get(name)
            .map(|db| db.after.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config(after: &[(&str, &[&str])]) -> Config {
        let databases = after
            .iter()
            .map(|(name, deps)| {
                let db = DatabaseConfig {
                    name: (*name).to_owned(),
                    url_env: "DATABASE_URL".to_owned(),
                    fallback_env: vec![],
                    default_url: None,
                    direct_url_env: None,
                    migrations: Path::new("/app").join(name),
                    migrations_display: PathBuf::from(name),
                    version_table: format!("_migrate_{name}"),
                    schema: None,
                    after: deps.iter().map(|d| (*d).to_owned()).collect(),
                    shadow_url_env: None,
                };
                ((*name).to_owned(), db)
            })
            .collect();
        Config {
            path: PathBuf::from("/app/migrate.toml"),
            dir: PathBuf::from("/app"),
            settings: Settings::default(),
            databases,
        }
    }

    #[test]
    fn order_makes_sorted_waves() {
        let c = config(&[
            ("core", &[]),
            ("ai", &["core"]),
            ("billing", &[]),
            ("reports", &["ai", "billing"]),
        ]);
        let all: Vec<&str> = c.databases.keys().map(String::as_str).collect();
        assert_eq!(
            c.order(&all),
            vec![vec!["billing", "core"], vec!["ai"], vec!["reports"]]
        );
    }

    #[test]
    fn order_ignores_unselected_dependencies_but_keeps_chains() {
        let c = config(&[("a", &["b"]), ("b", &["c"]), ("c", &[]), ("d", &["b"])]);
        // `b` not selected: `a` and `d` don't wait for it...
        assert_eq!(c.order(&["a", "d"]), vec![vec!["a", "d"]]);
        // ...but `a` still waits for `c`, which `b` waits for.
        assert_eq!(c.order(&["a", "c"]), vec![vec!["c"], vec!["a"]]);
        assert_eq!(c.order(&["a", "a"]), vec![vec!["a"]]);
        assert_eq!(c.order::<&str>(&[]), Vec::<Vec<String>>::new());
        assert_eq!(c.order(&["zz", "a"]), vec![vec!["a", "zz"]]);
    }

    #[test]
    fn order_survives_a_hand_made_cycle() {
        let c = config(&[("a", &["b"]), ("b", &["a"]), ("c", &[])]);
        assert_eq!(c.order(&["a", "b", "c"]), vec![vec!["c"], vec!["a", "b"]]);
    }

    #[test]
    fn suggests_database_names() {
        let c = config(&[("core", &[]), ("ai", &[])]);
        assert_eq!(c.suggest_database("cre"), Some("core"));
        assert_eq!(c.suggest_database("billing"), None);
    }
}
