//! The real binary on mutated projects: `migrate check --all` in a temporary
//! folder with a cleared environment. Every outcome is exit 0, 1 or 2; never
//! a panic (exit 101); a file the parser rejects is named on stderr with
//! exit 2; a bad `migrate.toml` is named; a password is never printed.
//!
//! 40 cases of 10 mutated revision files (one per database, so each one is
//! loaded and reported) and 60 mutated configs: 460 damaged files in 100
//! processes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate::config;
use migrate::revision;
use migrate::url::DbUrl;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use tempfile::TempDir;

use super::corpus::{self, History};
use super::mutate::{Mutation, apply_all, mutations};

const FILE_CASES: u32 = 40;
const DATABASES_PER_CASE: usize = 10;
const CONFIG_CASES: u32 = 60;
/// A run that takes longer than this has hung.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

fn cases(n: u32) -> Config {
    Config {
        cases: n,
        // Each shrinking step starts a process.
        max_shrink_iters: 64,
        ..Config::default()
    }
}

/// Where a mutated file goes in its database's folder.
#[derive(Clone, Debug)]
enum Placement {
    /// Over the original (the history loses a valid revision).
    Replace,
    /// Beside it, as a new file (often a duplicate id).
    Add,
    /// In a sub-folder, as a new file.
    Nested,
}

#[derive(Clone, Debug)]
struct MutatedFile {
    history: Index,
    file: Index,
    placement: Placement,
    mutations: Vec<Mutation>,
}

fn mutated_file() -> impl Strategy<Value = MutatedFile> {
    let placement = prop_oneof![
        2 => Just(Placement::Replace),
        1 => Just(Placement::Add),
        1 => Just(Placement::Nested),
    ];
    (any::<Index>(), any::<Index>(), placement, mutations()).prop_map(
        |(history, file, placement, mutations)| MutatedFile {
            history,
            file,
            placement,
            mutations,
        },
    )
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
}

/// The first 4 000 characters, for failure messages.
fn cut(s: &str) -> String {
    s.chars().take(4_000).collect()
}

/// Runs `migrate check --all` in `dir` with only PATH and HOME set.
fn run_check(dir: &Path) -> Outcome {
    run_check_with(dir, &[])
}

/// The same, with `vars` set too.
fn run_check_with(dir: &Path, vars: &[(&str, &str)]) -> Outcome {
    let out_path = dir.join(".stdout");
    let err_path = dir.join(".stderr");
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command
        .args(["check", "--all"])
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap());
    for key in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    command.envs(vars.iter().copied());
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "`migrate check --all` hung for {RUN_TIMEOUT:?} in {}",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Outcome {
        code: status.code(),
        stdout: String::from_utf8_lossy(&fs::read(out_path).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&fs::read(err_path).unwrap()).into_owned(),
    }
}

/// What every run must satisfy, whatever the input.
fn check_no_panic(outcome: &Outcome) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(outcome.code, Some(0..=2)),
        "expected exit 0, 1 or 2\n{}",
        outcome.describe()
    );
    for text in [&outcome.stderr, &outcome.stdout] {
        prop_assert!(
            !crate::harness::hit_a_bug(outcome.code, text),
            "{}",
            outcome.describe()
        );
        prop_assert!(!text.contains("RUST_BACKTRACE"), "{}", outcome.describe());
    }
    Ok(())
}

/// The check above sees a panic in a thread reading revision files: the
/// binary plants one there on request (debug builds only).
#[test]
fn a_panic_in_a_reader_thread_is_seen() {
    let dir = TempDir::new().unwrap();
    // Two folders, so they are read on threads of their own.
    let mut toml = String::new();
    for db in ["core", "ai"] {
        let folder = dir.path().join(format!("migrations_{db}"));
        fs::create_dir_all(&folder).unwrap();
        fs::write(
            folder.join("a1.sql"),
            "-- migrate:revision a1\n\n-- migrate:up\nSELECT 1;\n",
        )
        .unwrap();
        toml += &format!(
            "[databases.{db}]\nurl_env = \"{}_URL\"\nmigrations = \"migrations_{db}\"\n",
            db.to_uppercase()
        );
    }
    fs::write(dir.path().join("migrate.toml"), toml).unwrap();
    let clean = run_check(dir.path());
    assert!(check_no_panic(&clean).is_ok(), "{}", clean.describe());
    let planted = run_check_with(dir.path(), &[("MIGRATE_TEST_PANIC", "reader")]);
    assert_eq!(planted.code, Some(101), "{}", planted.describe());
    assert!(
        planted.stderr.starts_with(crate::harness::PANIC_LINE)
            && planted.stderr.lines().count() == 1,
        "one line, the hook's\n{}",
        planted.describe()
    );
    assert!(check_no_panic(&planted).is_err());
}

fn write_history(folder: &Path, history: &History) {
    fs::create_dir_all(folder).unwrap();
    for (name, bytes) in &history.files {
        fs::write(folder.join(name), bytes).unwrap();
    }
}

/// Lays out database `i` of a case; returns the mutated file's path as
/// shown to users (relative to the project) and its bytes.
fn write_database(
    project: &Path,
    i: usize,
    histories: &[History],
    spec: &MutatedFile,
) -> (String, Vec<u8>) {
    let history = &histories[spec.history.index(histories.len())];
    let folder = project.join(format!("m{i}"));
    write_history(&folder, history);
    let (name, original) = &history.files[spec.file.index(history.files.len())];
    let bytes = apply_all(original, &spec.mutations);
    let shown = match spec.placement {
        Placement::Replace => format!("m{i}/{name}"),
        Placement::Add => format!("m{i}/zz_hostile_{name}"),
        Placement::Nested => format!("m{i}/nested/{name}"),
    };
    let path: PathBuf = project.join(&shown);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, &bytes).unwrap();
    (shown, bytes)
}

proptest! {
    #![proptest_config(cases(FILE_CASES))]

    #[test]
    fn check_survives_mutated_revision_files(
        specs in prop::collection::vec(mutated_file(), DATABASES_PER_CASE)
    ) {
        let histories = corpus::histories();
        let tmp = TempDir::new().unwrap();
        let project = tmp.path();
        fs::write(project.join("migrate.toml"), corpus::project_config(DATABASES_PER_CASE)).unwrap();
        let files: Vec<(String, Vec<u8>)> = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| write_database(project, i, &histories, spec))
            .collect();

        let outcome = run_check(project);
        check_no_panic(&outcome)?;
        let mut rejected = 0;
        for (shown, bytes) in &files {
            if revision::parse(Path::new(shown), bytes).is_err() {
                rejected += 1;
                prop_assert!(
                    outcome.stderr.contains(shown.as_str()),
                    "`{}` does not parse, yet stderr does not name it\n{}",
                    shown,
                    outcome.describe()
                );
            }
        }
        if rejected > 0 {
            prop_assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
        }
        if outcome.code == Some(2) {
            // A graph error may name an untouched file (the child of a
            // revision whose id was damaged), but always a file.
            let names_a_file = (0..DATABASES_PER_CASE).any(|i| outcome.stderr.contains(&format!("m{i}/")));
            prop_assert!(names_a_file, "exit 2 naming no file\n{}", outcome.describe());
        }
    }
}

/// The password in the corpus's full config.
const CONFIG_PASSWORD: &str = "s3cret";

/// True when the config parses and its only `s3cret` is the password of a
/// `default_url` (a mutation may have moved it into a key, where an error
/// may rightly quote it).
fn holds_password(config: &config::Config, text: &str) -> bool {
    text.matches(CONFIG_PASSWORD).count() == 1
        && config.databases.values().any(|db| {
            db.default_url.as_deref().is_some_and(|url| {
                DbUrl::parse(url, &config.dir)
                    .is_ok_and(|u| u.password().is_some_and(|p| p.contains(CONFIG_PASSWORD)))
            })
        })
}

proptest! {
    #![proptest_config(cases(CONFIG_CASES))]

    #[test]
    fn check_survives_mutated_configs(
        original in prop::sample::select(corpus::config_texts()),
        muts in mutations(),
    ) {
        let tmp = TempDir::new().unwrap();
        let project = tmp.path();
        let histories = corpus::histories();
        for (folder, history) in ["migrations_core", "migrations_ai", "m0", "m1", "m2"]
            .iter()
            .zip(&histories)
        {
            write_history(&project.join(folder), history);
        }
        let bytes = apply_all(original.as_bytes(), &muts);
        let config_path = project.join("migrate.toml");
        fs::write(&config_path, &bytes).unwrap();

        let outcome = run_check(project);
        check_no_panic(&outcome)?;
        let parsed = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| config::parse(&config_path, text).ok().map(|c| (c, text)));
        match parsed {
            None => {
                prop_assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
                prop_assert!(outcome.stderr.contains("migrate.toml"), "{}", outcome.describe());
            }
            Some((config, text)) => {
                if outcome.code == Some(2) {
                    let names_it = outcome.stderr.contains("migrate.toml")
                        || config.databases.keys().any(|db| outcome.stderr.contains(&format!("`{db}`")));
                    prop_assert!(names_it, "exit 2 naming neither the file nor a database\n{}", outcome.describe());
                }
                if holds_password(&config, text) {
                    prop_assert!(!outcome.stderr.contains(CONFIG_PASSWORD), "{}", outcome.describe());
                    prop_assert!(!outcome.stdout.contains(CONFIG_PASSWORD), "{}", outcome.describe());
                }
            }
        }
    }
}
