//! The environment as `migrate` sees it (docs/reference.md, "Configuration"): the `.env` beside
//! `migrate.toml`, overridden by the process environment.
//!
//! I/O: reads `.env` and the process environment, and never changes the
//! latter (`set_var` is racy and `unsafe` in edition 2024). Tests build an
//! [`Env`] from maps.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::error::{ConfigError, ConfigErrorKind};

/// Where a variable's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarOrigin {
    Process,
    Dotenv,
}

/// Variable names to values, the process environment winning over `.env`.
/// Its `Debug` shows names only: values hold passwords.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, (String, VarOrigin)>,
}

impl Env {
    /// Merges the two maps; `process` wins.
    pub fn from_maps(process: BTreeMap<String, String>, dotenv: BTreeMap<String, String>) -> Self {
        let mut vars: BTreeMap<String, (String, VarOrigin)> = dotenv
            .into_iter()
            .map(|(k, v)| (k, (v, VarOrigin::Dotenv)))
            .collect();
        vars.extend(
            process
                .into_iter()
                .map(|(k, v)| (k, (v, VarOrigin::Process))),
        );
        Self { vars }
    }

    /// The real environment: the process's variables over the `.env` file in
    /// `config_dir` (a missing `.env` is fine).
    ///
    /// # Errors
    /// A `.env` that can't be read or has a malformed line (file and line).
    pub fn from_process_and_file(config_dir: &Path) -> Result<Self, ConfigError> {
        let dotenv = read_dotenv(&config_dir.join(".env"))?;
        let process = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        Ok(Self::from_maps(process, dotenv))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|(v, _)| v.as_str())
    }

    pub fn origin(&self, name: &str) -> Option<VarOrigin> {
        self.vars.get(name).map(|(_, o)| *o)
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.vars.iter().map(|(k, (_, origin))| (k, origin)))
            .finish()
    }
}

/// The variables of the `.env` file at `path`, or none when it does not
/// exist. A name given twice takes its last value, as when the file is
/// sourced by a shell. `$VAR` references are expanded by dotenvy.
///
/// # Errors
/// The file can't be read, is not UTF-8, or has a malformed line.
pub fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            let kind = ConfigErrorKind::Read {
                reason: e.to_string(),
            };
            return Err(ConfigError::new(path, None, kind));
        }
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut vars = BTreeMap::new();
    for item in dotenvy::from_read_iter(body.as_bytes()) {
        match item {
            Ok((key, value)) => {
                vars.insert(key, value);
            }
            Err(dotenvy::Error::LineParse(line, index)) => {
                let (line, column) = locate(body, &line, index);
                return Err(ConfigError::new(
                    path,
                    line,
                    ConfigErrorKind::Dotenv { column },
                ));
            }
            Err(e) => {
                let kind = ConfigErrorKind::Read {
                    reason: e.to_string(),
                };
                return Err(ConfigError::new(path, None, kind));
            }
        }
    }
    Ok(vars)
}

/// The 1-based line and column of byte `index` of the logical line
/// `logical` (which may span several lines of `text`). dotenvy reports the
/// text, not where it is, and never quotes it back here: it may hold a secret.
fn locate(text: &str, logical: &str, index: usize) -> (Option<usize>, usize) {
    let before = &logical.as_bytes()[..index.min(logical.len())];
    let line_in = before.iter().filter(|&&b| b == b'\n').count();
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    let start = if logical.is_empty() {
        None
    } else {
        text.find(logical)
    };
    let line =
        start.map(|s| text.as_bytes()[..s].iter().filter(|&&b| b == b'\n').count() + 1 + line_in);
    (line, column)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn process_wins_over_dotenv() {
        let env = Env::from_maps(
            map(&[
                ("DATABASE_URL", "postgres://prod/db"),
                ("ONLY_PROCESS", "p"),
            ]),
            map(&[
                ("DATABASE_URL", "sqlite://dev.db"),
                ("AI_DATABASE_URL", "sqlite://ai.db"),
            ]),
        );
        assert_eq!(env.get("DATABASE_URL"), Some("postgres://prod/db"));
        assert_eq!(env.origin("DATABASE_URL"), Some(VarOrigin::Process));
        assert_eq!(env.get("AI_DATABASE_URL"), Some("sqlite://ai.db"));
        assert_eq!(env.origin("AI_DATABASE_URL"), Some(VarOrigin::Dotenv));
        assert_eq!(env.get("ONLY_PROCESS"), Some("p"));
        assert_eq!(env.get("MISSING"), None);
        // Debug shows names, never values.
        let debug = format!("{env:?}");
        assert!(
            debug.contains("DATABASE_URL") && !debug.contains("prod"),
            "{debug}"
        );
    }

    #[test]
    fn reads_dotenv_without_touching_the_process() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join(".env");
        let text = "\u{feff}# local\nMIGRATE_T1_URL=postgres://u:p%40ss@h/db\n\nexport MIGRATE_T1_B='single $x'\n\
                    MIGRATE_T1_C=\"two\nlines\"\nMIGRATE_T1_B=last\n";
        fs::write(&file, text).unwrap();
        let vars = read_dotenv(&file).unwrap();
        assert_eq!(vars["MIGRATE_T1_URL"], "postgres://u:p%40ss@h/db");
        assert_eq!(vars["MIGRATE_T1_B"], "last");
        assert_eq!(vars["MIGRATE_T1_C"], "two\nlines");
        assert_eq!(vars.len(), 3);
        assert!(std::env::var_os("MIGRATE_T1_URL").is_none());
        let env = Env::from_process_and_file(tmp.path()).unwrap();
        assert_eq!(env.get("MIGRATE_T1_URL"), Some("postgres://u:p%40ss@h/db"));
        assert!(std::env::var_os("MIGRATE_T1_URL").is_none());
    }

    #[test]
    fn missing_dotenv_is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(read_dotenv(&tmp.path().join(".env")).unwrap().is_empty());
    }

    #[test]
    fn malformed_dotenv_names_file_and_line_but_not_the_value() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join(".env");
        fs::write(
            &file,
            "A=1\n# comment\nB=\"x\"\nDATABASE_URL postgres://u:hunter2@h/db\nC=3\n",
        )
        .unwrap();
        let e = read_dotenv(&file).unwrap_err();
        assert_eq!(e.path, file);
        assert_eq!(e.line, Some(4));
        let msg = e.to_string();
        assert!(msg.contains(".env:4:") && !msg.contains("hunter2"), "{msg}");

        fs::write(&file, "A=1\nB=\"never closed\nC=2\n").unwrap();
        let e = read_dotenv(&file).unwrap_err();
        assert_eq!(e.line.map(|l| l >= 2), Some(true), "{e:?}");
    }
}
