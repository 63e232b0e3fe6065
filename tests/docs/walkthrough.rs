//! The README's switch from Alembic ("Coming from Alembic"), run as a user
//! follows it: the blocks marked `<!-- needs: alembic -->` are the steps of
//! one walkthrough, run in order in one copy of `examples/alembic/` (an
//! Alembic project of two databases, `core` and `ai`), so that each step
//! finds what the steps above it left.
//!
//! - Real Alembic: the `alembic` of `MIGRATE_TEST_PYTHON`'s virtual
//!   environment is on PATH and `MIGRATE_PYTHON` names that interpreter.
//!   Without the variable the walkthrough fails naming `bash
//!   scripts/test.sh`, unless `MIGRATE_TEST_SKIP_SERVERS=1`.
//! - Three environments, each with fresh PostgreSQL databases in
//!   `DATABASE_URL` (core) and `AI_DATABASE_URL` (ai): `local` (the
//!   developer's machine, the default), `staging` and `production`.
//!   `<!-- on: staging production -->` runs a block once in each listed
//!   environment, in that order, with that environment's variables.
//! - A `diff` block is an edit the reader makes: each `+++ b/PATH` section
//!   is applied to that file of the project (every hunk's old lines must
//!   occur exactly once; `@@` lines only separate hunks).
//! - A `toml` block with `[databases.` becomes `migrate.toml`.
//! - `sh` and `console` blocks run as everywhere else in the docs.
//!
//! After the first step that fails, the later steps are not run (they
//! would fail for the same reason); that failure is the one reported.

use std::path::{Path, PathBuf};

use crate::docs::examples::{STUBBED, run_console, run_script};
use crate::docs::markdown::Block;
use crate::docs::project::{Project, repo};
use crate::harness::pg::{self, PgTestDb};

/// Programs a walkthrough step may run besides those every example may.
pub const TOOLS: &[&str] = &["alembic"];

/// The environments a step can run in; the first is the default.
const ENVIRONMENTS: [&str; 3] = ["local", "staging", "production"];

/// The variable of each database's URL, as the example's `env.py` files
/// and `migrate.toml` read them.
const DATABASES: [(&str, &str); 2] = [("DATABASE_URL", "core"), ("AI_DATABASE_URL", "ai")];

/// The walkthrough of one Markdown file.
pub struct Walkthrough {
    file: String,
    state: State,
}

enum State {
    NotStarted,
    Running(Box<Running>),
    /// `MIGRATE_TEST_SKIP_SERVERS=1` without the servers or the venv.
    Skipped,
    /// The first step that failed.
    Failed(String),
}

struct Running {
    project: Project,
    /// Per environment, in [`ENVIRONMENTS`] order: its variables.
    vars: Vec<Vec<(String, String)>>,
    dbs: Vec<PgTestDb>,
}

impl Walkthrough {
    pub fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            state: State::NotStarted,
        }
    }

    /// Runs one step. Ok(false): not run (not runnable, skipped, or after a
    /// failed step).
    pub async fn step(&mut self, what: &str, block: &Block) -> Result<bool, String> {
        if let State::NotStarted = self.state {
            match start(&self.file).await {
                Ok(state) => self.state = state,
                Err(e) => {
                    self.state = State::Failed(what.to_owned());
                    return Err(e);
                }
            }
        }
        let running = match &self.state {
            State::Running(running) => running,
            State::Failed(first) => {
                println!("note: {what} not run: the walkthrough stopped at {first}");
                return Ok(false);
            }
            State::NotStarted | State::Skipped => return Ok(false),
        };
        let outcome = running.step(block);
        if outcome.is_err() {
            self.finish().await;
            self.state = State::Failed(what.to_owned());
        }
        outcome
    }

    /// Drops the walkthrough's databases.
    pub async fn finish(&mut self) {
        if let State::Running(running) = std::mem::replace(&mut self.state, State::Skipped) {
            for db in &running.dbs {
                db.drop_database().await;
            }
        }
    }
}

/// The Alembic interpreter, the databases of every environment, and the
/// example project copied.
async fn start(file: &str) -> Result<State, String> {
    let python = match std::env::var("MIGRATE_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ if crate::harness::skipping_servers() => {
            println!(
                "note: skipping the Alembic walkthrough of {file}: MIGRATE_TEST_PYTHON is not set"
            );
            return Ok(State::Skipped);
        }
        _ => {
            return Err(
                "MIGRATE_TEST_PYTHON is not set: the Alembic walkthrough runs real Alembic \
                        from the venv that `bash scripts/test.sh` makes (scripts/python-venvs.sh); \
                        MIGRATE_TEST_SKIP_SERVERS=1 skips it"
                    .to_owned(),
            );
        }
    };
    let alembic = python.with_file_name("alembic");
    if !alembic.is_file() {
        return Err(format!(
            "{} has no `alembic` next to it: is MIGRATE_TEST_PYTHON a venv with Alembic?",
            python.display()
        ));
    }
    let mut dbs = Vec::new();
    let mut vars = Vec::new();
    for environment in ENVIRONMENTS {
        let mut env_vars = vec![("MIGRATE_PYTHON".to_owned(), python.display().to_string())];
        for (var, db) in DATABASES {
            let Some(created) =
                pg::create(&format!("docs::{file}::alembic::{environment}::{db}")).await
            else {
                return Ok(State::Skipped);
            };
            env_vars.push((var.to_owned(), created.url.clone()));
            dbs.push(created);
        }
        vars.push(env_vars);
    }
    let project = Project::bare(STUBBED);
    copy_tree(&repo().join("examples/alembic"), project.env.root());
    std::os::unix::fs::symlink(&alembic, project.bin.path().join("alembic"))
        .map_err(|e| format!("cannot link {}: {e}", alembic.display()))?;
    Ok(State::Running(Box::new(Running { project, vars, dbs })))
}

impl Running {
    fn step(&self, block: &Block) -> Result<bool, String> {
        let on: Vec<&str> = block.marker("on").map_or(vec![ENVIRONMENTS[0]], |list| {
            list.split_whitespace().collect()
        });
        let mut environments = Vec::new();
        for name in on {
            let index = ENVIRONMENTS
                .iter()
                .position(|e| *e == name)
                .ok_or_else(|| {
                    format!("marker `on: {name}`: the environments are {ENVIRONMENTS:?}")
                })?;
            environments.push(index);
        }
        let extra = super::examples::env_marker(block)?;
        match block.lang.as_str() {
            "diff" => {
                for edit in parse_diff(&block.text)? {
                    let path = self.project.env.path(&edit.path);
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("the diff edits `{}`: {e}", edit.path))?;
                    let edited = apply_hunks(&text, &edit.hunks)
                        .map_err(|e| format!("the diff does not apply to `{}`: {e}", edit.path))?;
                    std::fs::write(&path, edited).map_err(|e| e.to_string())?;
                }
                Ok(true)
            }
            "toml" if block.text.contains("[databases.") => {
                self.project.env.put("migrate.toml", block.text.as_bytes());
                Ok(true)
            }
            "sh" | "bash" | "shell" | "console" => {
                for index in environments {
                    let mut vars = self.vars[index].clone();
                    vars.extend(extra.iter().cloned());
                    let ran = if block.lang == "console" {
                        run_console(&self.project, &vars, &block.text, TOOLS)
                    } else {
                        run_script(&self.project, &vars, &block.text, TOOLS)
                    };
                    ran.map_err(|e| format!("on {}: {e}", ENVIRONMENTS[index]))?;
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// `from` copied into `to`, without Python's caches.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The edits of one file of a unified diff.
#[derive(Debug, PartialEq, Eq)]
pub struct FileEdit {
    pub path: String,
    /// (old text, new text) of each hunk, whole lines.
    pub hunks: Vec<(String, String)>,
}

/// The files and hunks of a unified diff (`--- a/P`, `+++ b/P`, then lines
/// starting with ` `, `-`, `+`; an empty line is an empty context line).
pub fn parse_diff(text: &str) -> Result<Vec<FileEdit>, String> {
    let mut edits: Vec<FileEdit> = Vec::new();
    let mut hunk: Option<(String, String)> = None;
    let close = |edits: &mut Vec<FileEdit>, hunk: &mut Option<(String, String)>| {
        if let (Some(h), Some(edit)) = (hunk.take(), edits.last_mut()) {
            edit.hunks.push(h);
        }
    };
    for line in text.lines() {
        if line.starts_with("--- ") {
            close(&mut edits, &mut hunk);
            continue;
        }
        if let Some(path) = line.strip_prefix("+++ ") {
            close(&mut edits, &mut hunk);
            let path = path.trim().strip_prefix("b/").unwrap_or(path.trim());
            edits.push(FileEdit {
                path: path.to_owned(),
                hunks: Vec::new(),
            });
            continue;
        }
        if line.starts_with("@@") {
            close(&mut edits, &mut hunk);
            continue;
        }
        if edits.is_empty() {
            return Err(format!("`{line}` comes before a `+++ b/PATH` line"));
        }
        let (old, new) = hunk.get_or_insert_with(Default::default);
        match line.split_at_checked(1) {
            None => {
                old.push('\n');
                new.push('\n');
            }
            Some((" ", rest)) => {
                old.push_str(rest);
                old.push('\n');
                new.push_str(rest);
                new.push('\n');
            }
            Some(("-", rest)) => {
                old.push_str(rest);
                old.push('\n');
            }
            Some(("+", rest)) => {
                new.push_str(rest);
                new.push('\n');
            }
            _ => return Err(format!("`{line}` is not a diff line (` `, `-` or `+`)")),
        }
    }
    close(&mut edits, &mut hunk);
    if edits.is_empty() || edits.iter().any(|e| e.hunks.is_empty()) {
        return Err("a diff block needs `+++ b/PATH` and at least one hunk per file".to_owned());
    }
    Ok(edits)
}

/// `text` with each hunk's old lines (found exactly once, at line starts)
/// replaced by its new lines.
pub fn apply_hunks(text: &str, hunks: &[(String, String)]) -> Result<String, String> {
    let mut text = text.to_owned();
    for (old, new) in hunks {
        let at: Vec<usize> = text
            .match_indices(old.as_str())
            .map(|(i, _)| i)
            .filter(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
            .collect();
        match at.as_slice() {
            [i] => text.replace_range(*i..*i + old.len(), new),
            [] => return Err(format!("these lines are not in the file:\n{old}")),
            _ => {
                return Err(format!(
                    "these lines are in the file {} times:\n{old}",
                    at.len()
                ));
            }
        }
    }
    Ok(text)
}

#[test]
fn a_diff_adds_and_removes_lines_where_its_context_is() {
    let diff =
        "--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n a = 1\n-b = 2\n+b = 3\n+c = 4\n\n d = 5\n";
    let edits = parse_diff(diff).unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].path, "app.py");
    let edited = apply_hunks("x\na = 1\nb = 2\n\nd = 5\n", &edits[0].hunks).unwrap();
    assert_eq!(edited, "x\na = 1\nb = 3\nc = 4\n\nd = 5\n");
}

#[test]
fn a_diff_that_does_not_fit_is_refused() {
    let hunks = parse_diff("+++ b/f\n a\n+b\n").unwrap().remove(0).hunks;
    assert!(
        apply_hunks("x\n", &hunks)
            .unwrap_err()
            .contains("not in the file")
    );
    assert!(
        apply_hunks("a\na\n", &hunks)
            .unwrap_err()
            .contains("2 times")
    );
    // Only whole lines match: `xa` does not hold the line `a`.
    assert!(apply_hunks("xa\n", &hunks).is_err());
    assert!(parse_diff(" a\n").is_err());
    assert!(parse_diff("+++ b/f\n").is_err());
    assert!(parse_diff("+++ b/f\n*a\n").is_err());
}
