//! The resolved run: global flags become a [`Context`] before any command
//! runs, and commands that need `migrate.toml` open a [`Project`] from it
//! (config found and read, `.env` loaded).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cli::{DbSelection, GlobalArgs};
use crate::config::{self, Config, DatabaseConfig, Env, ResolvedUrl};
use crate::exit::{Fail, Internal};
use crate::graph::{Graph, and_ticked};
use crate::par::map_threads;
use crate::render::printer::Printer;
use crate::revision::load::{LoadError, LoadedDir, load_dir, load_dirs};

/// Everything decided from the command line and the process environment.
pub(crate) struct Context {
    pub printer: Printer,
    pub strict: bool,
    pub cwd: PathBuf,
    pub config_path: Option<PathBuf>,
}

impl Context {
    pub(crate) fn new(args: &GlobalArgs) -> Result<Self> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        Ok(Self {
            printer: Printer::new(args, no_color),
            strict: args.strict,
            cwd,
            config_path: args.config.clone(),
        })
    }

    /// Finds and reads `migrate.toml` and the `.env` beside it.
    pub(crate) fn open_project(&self) -> Result<Project> {
        // `MIGRATE_CONFIG` already reached `config_path` through clap's `env`.
        let path = config::find_config(self.config_path.as_deref(), None, &self.cwd)?;
        let config = config::load(&path)?;
        let env = Env::from_process_and_file(&config.dir)?;
        Ok(Project {
            config,
            env,
            cwd: self.cwd.clone(),
        })
    }
}

/// An opened `migrate.toml` with its environment.
pub(crate) struct Project {
    pub config: Config,
    pub env: Env,
    pub cwd: PathBuf,
}

impl Project {
    /// The configuration of database `name`, or an error with a suggestion.
    pub(crate) fn database(&self, name: &str) -> Result<&DatabaseConfig> {
        if let Some(db) = self.config.databases.get(name) {
            return Ok(db);
        }
        let known: Vec<&str> = self.config.databases.keys().map(String::as_str).collect();
        let mut fail = Fail::bad_input(format!(
            "unknown database `{name}` (`{}` defines {})",
            self.config.path.display(),
            and_ticked(&known)
        ));
        if let Some(best) = self.config.suggest_database(name) {
            fail = fail.hint(format!("did you mean `{best}`?"));
        }
        Err(fail.into())
    }

    /// The selected database names: every one with `--all` (in `after`
    /// order), else the names given, checked against the config.
    pub(crate) fn select(&self, sel: &DbSelection) -> Result<Vec<String>> {
        if sel.all {
            let names: Vec<String> = self.config.databases.keys().cloned().collect();
            return Ok(self.config.order(&names).into_iter().flatten().collect());
        }
        let mut names = Vec::new();
        for n in &sel.names {
            self.database(n)?;
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        Ok(names)
    }

    /// Waves of databases that may run at once, in `after` order.
    pub(crate) fn waves(&self, names: &[String]) -> Vec<Vec<String>> {
        self.config.order(names)
    }

    /// The revision files of a database, with every problem found.
    pub(crate) fn files(&self, name: &str) -> Result<LoadedDir> {
        Ok(load_dir(&self.database(name)?.migrations, &self.config.dir))
    }

    /// The revision graph of a database; any malformed file or graph
    /// problem is a bad-input error listing every problem found.
    pub(crate) fn graph(&self, name: &str) -> Result<Graph> {
        let files = self.files(name)?;
        if !files.errors.is_empty() {
            return Err(load_failure(name, &files.errors).into());
        }
        build_graph(name, files.revisions)
    }

    /// The graphs of several databases, their folders read at once (by one
    /// set of threads, each folder once even when databases share it). The
    /// first problem, in the order of `names`, is the error.
    pub(crate) fn graphs(&self, names: &[String]) -> Result<Vec<Graph>> {
        let mut by_folder: BTreeMap<&Path, Vec<&str>> = BTreeMap::new();
        for name in names {
            by_folder
                .entry(self.database(name)?.migrations.as_path())
                .or_default()
                .push(name);
        }
        let folders: Vec<&Path> = by_folder.keys().copied().collect();
        let loaded = load_dirs(&folders, &self.config.dir);
        let groups: Vec<&Vec<&str>> = by_folder.values().collect();
        let work: Vec<(&Vec<&str>, LoadedDir)> = groups.iter().copied().zip(loaded).collect();
        let mut built: BTreeMap<String, Result<Graph>> =
            map_threads(work, |(dbs, files)| build_shared(files, dbs))
                .into_iter()
                .flatten()
                .collect();
        // Every name has its folder's entry: a missing one is a bug.
        names
            .iter()
            .map(|n| {
                built.remove(n).unwrap_or_else(|| {
                    Err(Internal::new(format!("the graph of database `{n}` was not built")).into())
                })
            })
            .collect()
    }

    /// Resolves the URL `migrate` connects to for a database (its
    /// `direct_url_env`'s when set); a fallback or default URL warns, or
    /// fails under `--strict`.
    pub(crate) fn url(&self, name: &str, strict: bool, printer: &Printer) -> Result<ResolvedUrl> {
        let db = self.database(name)?;
        let resolved = config::resolve_for_migrations(db, &self.env, &self.config.dir, &self.cwd)?;
        if strict {
            resolved.check_strict(name)?;
        } else {
            resolved.warnings(name).iter().for_each(|w| printer.warn(w));
        }
        Ok(resolved)
    }

    /// Shows `path` relative to the current folder when it is below it.
    pub(crate) fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// Builds the graph of every database that uses one folder; the revisions
/// are moved into the last graph rather than copied.
fn build_shared(files: LoadedDir, dbs: &[&str]) -> Vec<(String, Result<Graph>)> {
    if !files.errors.is_empty() {
        return dbs
            .iter()
            .map(|db| {
                (
                    (*db).to_owned(),
                    Err(load_failure(db, &files.errors).into()),
                )
            })
            .collect();
    }
    let Some((last, rest)) = dbs.split_last() else {
        return Vec::new();
    };
    let mut out: Vec<(String, Result<Graph>)> = rest
        .iter()
        .map(|db| ((*db).to_owned(), build_graph(db, files.revisions.clone())))
        .collect();
    out.push(((*last).to_owned(), build_graph(last, files.revisions)));
    out
}

fn build_graph(name: &str, revisions: Vec<crate::revision::Revision>) -> Result<Graph> {
    Graph::build(revisions).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
        Fail::bad_input(format!(
            "database `{name}`: the revision graph is broken:\n  {}",
            lines.join("\n  ")
        ))
        .hint("fix the files named above, then run `migrate check` again")
        .into()
    })
}

/// The error for a folder with malformed revision files, listing each one.
pub(crate) fn load_failure(db: &str, errors: &[LoadError]) -> Fail {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let what = if errors.len() == 1 {
        "a revision file is malformed".to_owned()
    } else {
        format!("{} revision files are malformed", errors.len())
    };
    Fail::bad_input(format!(
        "database `{db}`: {what}:\n  {}",
        lines.join("\n  ")
    ))
    .hint("fix the files named above, then run `migrate check` again")
}

#[cfg(test)]
mod tests {
    use crate::graph::and_ticked;

    #[test]
    fn lists_read_naturally() {
        assert_eq!(and_ticked(["a"]), "`a`");
        assert_eq!(and_ticked(["a", "b", "c"]), "`a`, `b` and `c`");
    }

    #[test]
    fn suggests_close_database_names_only() {
        let text = "[databases.core]\nurl_env = \"A\"\nmigrations = \"m\"\n[databases.ai]\nurl_env = \"B\"\nmigrations = \"n\"\n";
        let config = crate::config::parse(std::path::Path::new("/x/migrate.toml"), text).unwrap();
        assert_eq!(config.suggest_database("cor"), Some("core"));
        assert_eq!(config.suggest_database("zzz"), None);
    }
}
