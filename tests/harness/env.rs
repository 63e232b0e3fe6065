//! `TestEnv`: runs the real `migrate` binary in a fresh temporary folder, as
//! a new user would, and checks what they would see.
//!
//! Modelled on casey/just's `Test` builder and uv's snapshot harness: each
//! test gets its own tempdir (so tests run in parallel), the binary runs with
//! a cleared environment (only `PATH` and `HOME` kept, `NO_COLOR=1` set) and
//! the tempdir as its current folder, and every output has the tempdir path
//! replaced by `[ROOT]` so assertions do not depend on where it lives.
//!
//! Every run also checks the one rule no command may break: it never panics
//! (exit code 101, "panicked", or the binary's own internal-error line).

#![allow(dead_code)] // not every test file uses every helper

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The path of the fixture histories, `tests/fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// A `migrate.toml` with one database `core` on a local SQLite default.
pub const CORE_CONFIG: &str = r#"[databases.core]
url_env = "DATABASE_URL"
default_url = "sqlite://.migrate/core.db"
migrations = "migrations_core"
"#;

/// A `migrate.toml` with `core` and `ai`, as `init --database core --database ai` writes.
pub const CORE_AI_CONFIG: &str = r#"[databases.core]
url_env = "DATABASE_URL"
default_url = "sqlite://.migrate/core.db"
migrations = "migrations_core"

[databases.ai]
url_env = "AI_DATABASE_URL"
fallback_env = ["DATABASE_URL"]
default_url = "sqlite://.migrate/ai.db"
migrations = "migrations_ai"
after = ["core"]
"#;

/// One temporary project folder and the environment `migrate` runs in.
pub struct TestEnv {
    dir: TempDir,
    /// Variables set for every run, on top of `PATH`, `HOME` and `NO_COLOR`.
    vars: Vec<(String, String)>,
    /// Where runs start, relative to the root.
    cwd: PathBuf,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    /// An empty project folder.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("migrate-cli-")
            .tempdir()
            .expect("create a temporary folder");
        Self {
            dir,
            vars: Vec::new(),
            cwd: PathBuf::new(),
        }
    }

    /// A project with [`CORE_CONFIG`] and an empty `migrations_core/`.
    pub fn core() -> Self {
        Self::new().config(CORE_CONFIG).mkdir("migrations_core")
    }

    /// A project whose `core` database holds a copy of a fixture history.
    pub fn core_fixture(fixture: &str) -> Self {
        Self::new()
            .config(CORE_CONFIG)
            .copy_fixture(fixture, "migrations_core")
    }

    /// The project folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` under the project folder.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes `migrate.toml` at the root.
    pub fn config(self, toml: &str) -> Self {
        self.write("migrate.toml", toml)
    }

    /// Writes a file (creating its folders).
    pub fn write(self, rel: &str, text: &str) -> Self {
        self.put(rel, text.as_bytes());
        self
    }

    /// Writes raw bytes (creating the folders).
    pub fn write_bytes(self, rel: &str, bytes: &[u8]) -> Self {
        self.put(rel, bytes);
        self
    }

    /// Writes a revision file `folder/file`.
    pub fn revision(self, folder: &str, file: &str, text: &str) -> Self {
        self.write(&format!("{folder}/{file}"), text)
    }

    /// Creates a folder.
    pub fn mkdir(self, rel: &str) -> Self {
        std::fs::create_dir_all(self.path(rel)).expect("create folder");
        self
    }

    /// Copies `tests/fixtures/<fixture>/` to `<folder>/` (recursively).
    pub fn copy_fixture(self, fixture: &str, folder: &str) -> Self {
        copy_tree(&fixtures_dir().join(fixture), &self.path(folder));
        self
    }

    /// Sets a variable for every later run.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.vars.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs from `rel` (created if missing) instead of the root.
    pub fn current_dir(mut self, rel: &str) -> Self {
        std::fs::create_dir_all(self.path(rel)).expect("create folder");
        self.cwd = PathBuf::from(rel);
        self
    }

    /// Writes a file after setup (e.g. between two runs).
    pub fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, bytes).expect("write file");
    }

    /// The text of a file under the root.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    /// The file names directly in folder `rel`, sorted (hidden ones included).
    pub fn files(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(self.path(rel)) {
            Ok(entries) => entries
                .map(|e| {
                    e.expect("read folder entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// Runs `migrate ARGS...` and returns what it printed; asserts it did not panic.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    /// Like [`run`](Self::run) with extra variables for this run only.
    pub fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args, extra);
        let out = cmd.output().expect("run the migrate binary");
        self.output(args, out.status, &out.stdout, &out.stderr)
    }

    /// Runs with stdout a pipe whose reading end is already closed, as in
    /// `migrate history | head -0`: every write to stdout fails with EPIPE.
    pub fn run_into_closed_pipe(&self, args: &[&str]) -> Output {
        let (reader, writer) = std::io::pipe().expect("create a pipe");
        drop(reader);
        let mut cmd = self.command(args, &[]);
        cmd.stdout(writer).stderr(std::process::Stdio::piped());
        let out = cmd.output().expect("run the migrate binary");
        self.output(args, out.status, &[], &out.stderr)
    }

    fn output(
        &self,
        args: &[&str],
        status: std::process::ExitStatus,
        stdout: &[u8],
        stderr: &[u8],
    ) -> Output {
        let output = Output {
            command: format!("migrate {}", args.join(" ")),
            code: status.code().unwrap_or(-1),
            stdout: self.filter(&String::from_utf8_lossy(stdout)),
            stderr: self.filter(&String::from_utf8_lossy(stderr)),
        };
        output.assert_no_panic();
        output
    }

    /// The command for one run: cleared environment, root (or `current_dir`) as cwd.
    fn command(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
        cmd.args(args)
            .current_dir(self.root().join(&self.cwd))
            .env_clear();
        for key in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        cmd.env("NO_COLOR", "1");
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd
    }

    /// Replaces the root path (as given and canonicalised) with `[ROOT]`.
    pub fn filter(&self, text: &str) -> String {
        let mut text = text.to_owned();
        let mut roots = vec![self.root().to_path_buf()];
        if let Ok(canonical) = self.root().canonicalize() {
            roots.push(canonical);
        }
        // Longest first, so a canonical path that extends the other is not half-replaced.
        roots.sort_by_key(|r| std::cmp::Reverse(r.as_os_str().len()));
        for root in roots {
            text = text.replace(&root.display().to_string(), "[ROOT]");
        }
        text
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
    {
        let entry = entry.expect("read folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// What one run printed, with the root replaced by `[ROOT]`.
#[derive(Debug, Clone)]
pub struct Output {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.command)?;
        writeln!(f, "exit code: {}", self.code)?;
        writeln!(f, "----- stdout -----\n{}", self.stdout)?;
        writeln!(f, "----- stderr -----\n{}", self.stderr)?;
        write!(f, "------------------")
    }
}

impl Output {
    /// Exit 101 or the panic hook's line is a bug.
    fn assert_no_panic(&self) {
        assert!(
            !super::hit_a_bug(Some(self.code), &self.stderr),
            "the binary hit a bug\n{self}"
        );
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "unexpected exit code\n{self}");
        self
    }

    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(&self) -> &Self {
        self.code(0)
    }

    /// Asserts stdout is exactly `expected`.
    #[track_caller]
    pub fn stdout_eq(&self, expected: &str) -> &Self {
        assert_eq!(self.stdout, expected, "unexpected stdout\n{self}");
        self
    }

    /// Asserts stderr is exactly `expected`.
    #[track_caller]
    pub fn stderr_eq(&self, expected: &str) -> &Self {
        assert_eq!(self.stderr, expected, "unexpected stderr\n{self}");
        self
    }

    /// Asserts stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{self}"
        );
        self
    }

    /// Asserts stdout does not contain `needle`.
    #[track_caller]
    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout.contains(needle),
            "stdout has {needle:?}\n{self}"
        );
        self
    }

    /// Asserts stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self}"
        );
        self
    }

    /// Asserts stderr does not contain `needle`.
    #[track_caller]
    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}\n{self}"
        );
        self
    }

    /// Asserts stdout or stderr contains `needle` (for messages whose
    /// stream does not matter to the test).
    #[track_caller]
    pub fn output_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle) || self.stderr.contains(needle),
            "neither stdout nor stderr has {needle:?}\n{self}"
        );
        self
    }

    /// Asserts stdout is empty.
    #[track_caller]
    pub fn stdout_empty(&self) -> &Self {
        assert!(self.stdout.is_empty(), "stdout is not empty\n{self}");
        self
    }

    /// The non-empty lines of stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// Stdout parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e})\n{self}"))
    }
}
