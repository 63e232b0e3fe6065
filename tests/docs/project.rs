//! A copy of this repository's example project (`migrate.toml`,
//! `migrations_core/`, `migrations_ai/`) in a temp folder, with `migrate`
//! (and stubs) on PATH, run with a cleared environment: what a user who
//! cloned the repository has. `NO_COLOR` is not set here, unlike
//! [`TestEnv`]'s runs, so the terminal tests see the real defaults.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::harness::env::TestEnv;

/// This repository.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the example project plus a `bin/` folder for PATH.
pub struct Project {
    pub env: TestEnv,
    pub bin: tempfile::TempDir,
}

impl Project {
    /// `stubs`: (program, why) pairs, each a script printing `[NAME ARGS...]`.
    pub fn new(stubs: &[(&str, &str)]) -> Self {
        let project = Self::bare(stubs);
        let env = &project.env;
        std::fs::copy(repo().join("migrate.toml"), env.path("migrate.toml")).unwrap();
        for folder in ["migrations_core", "migrations_ai"] {
            std::fs::create_dir_all(env.path(folder)).unwrap();
            for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(entry.path(), env.path(folder).join(entry.file_name())).unwrap();
            }
        }
        project
    }

    /// An empty folder, with `migrate` and the stubs on PATH.
    pub fn bare(stubs: &[(&str, &str)]) -> Self {
        let env = TestEnv::new();
        let bin = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_migrate"), bin.path().join("migrate"))
            .unwrap();
        for (name, _) in stubs {
            let stub = bin.path().join(name);
            std::fs::write(&stub, format!("#!/bin/sh\necho \"[{name} $*]\"\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Self { env, bin }
    }

    /// `bash` running `script` in the project, stderr merged into stdout.
    pub fn bash(&self, vars: &[(String, String)], script: &str) -> (i32, String) {
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.arg("-euo")
            .arg("pipefail")
            .arg("-c")
            .arg(format!("exec 2>&1\n{script}"))
            .current_dir(self.env.root())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.env.root())
            .stdin(Stdio::null());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run bash");
        let text = self.env.filter(&String::from_utf8_lossy(&out.stdout));
        assert!(
            !crate::harness::hit_a_bug(out.status.code(), &text),
            "migrate hit a bug:\n{text}"
        );
        (out.status.code().unwrap_or(-1), text)
    }

    /// The example project, no stubs.
    pub fn example() -> Self {
        Self::new(&[])
    }

    /// Runs `migrate ARGS` with stdout and stderr on separate pipes.
    pub fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
        cmd.args(args)
            .current_dir(self.env.root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.env.root())
            .stdin(Stdio::null());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run migrate");
        let run = Run {
            command: format!("migrate {}", args.join(" ")),
            code: out.status.code().unwrap_or(-1),
            stdout: self.env.filter(&String::from_utf8_lossy(&out.stdout)),
            stderr: self.env.filter(&String::from_utf8_lossy(&out.stderr)),
        };
        assert!(
            !crate::harness::hit_a_bug(Some(run.code), &run.stderr),
            "migrate hit a bug\n{run}"
        );
        run
    }
}

/// What one run printed.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {}\nexit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(self.code, want, "unexpected exit code\n{self}");
        self
    }

    /// Stdout as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e})\n{self}"))
    }
}
