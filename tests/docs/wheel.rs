//! `pip install .` gives a working `migrate`: builds the wheel that
//! `pyproject.toml` describes with maturin (`bindings = "bin"`), installs it
//! into a fresh venv and runs `migrate --version` and `migrate check --all`
//! from that venv's PATH.
//!
//! maturin lives in a venv cached under `target/docs-wheel/tools` and builds
//! into `target/docs-wheel/cargo` (the debug profile: a release build takes
//! too long on a small machine; a separate target dir, so the binary the
//! other tests run is never rebuilt under them). The first run compiles the
//! crate once more (minutes); later runs reuse it. Skipped with a note when
//! `python3` or PyPI is not available, except under `CI=true`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::docs::project::{Project, repo};

/// The whole test, build included, must finish within this.
const LIMIT: Duration = Duration::from_secs(25 * 60);

/// Runs `cmd`, failing the test on a non-zero exit or after `deadline`.
fn run(cmd: &mut Command, deadline: Instant, what: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: still running after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({})\n{text}",
        out.status
    );
    text
}

fn skip_or_fail(why: &str) {
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "the wheel test cannot run under CI=true: {why}"
    );
    println!("note: skipping the wheel test: {why}");
}

#[test]
fn pip_install_puts_a_working_migrate_on_path() {
    let deadline = Instant::now() + LIMIT;
    let cache = repo().join("target").join("docs-wheel");
    let tools = cache.join("tools");
    let python = tools.join("bin").join("python");
    if !python.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&tools)
            .status();
        if !made.is_ok_and(|s| s.success()) {
            return skip_or_fail("`python3 -m venv` failed (is python3 installed?)");
        }
    }
    let maturin = tools.join("bin").join("maturin");
    if !maturin.exists() {
        let pip = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "maturin>=1.5,<2"])
            .status();
        if !pip.is_ok_and(|s| s.success()) {
            return skip_or_fail("`pip install maturin` failed (no package index?)");
        }
    }

    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    run(
        Command::new(&maturin)
            .args(["build", "--locked", "--out"])
            .arg(&dist)
            .current_dir(repo())
            .env("CARGO_TARGET_DIR", cache.join("cargo")),
        deadline,
        "maturin build",
    );
    let wheels: Vec<_> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    let [wheel] = wheels.as_slice() else {
        panic!("expected one wheel in {}, found {wheels:?}", dist.display());
    };
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("migrate_cli-{}-", env!("CARGO_PKG_VERSION"))),
        "{name}"
    );

    let venv = work.path().join("venv");
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        deadline,
        "python3 -m venv",
    );
    run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "-q", "--no-index"])
            .arg(wheel),
        deadline,
        "pip install the wheel",
    );
    assert!(venv.join("bin").join("migrate").exists(), "no bin/migrate");

    // As a user of the venv: its bin/ first on PATH, nothing else set.
    let project = Project::example();
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let migrate = |args: &[&str]| {
        let mut cmd = Command::new("migrate");
        cmd.args(args)
            .current_dir(project.env.root())
            .env_clear()
            .env("PATH", &path);
        cmd
    };
    let which = run(
        Command::new("sh")
            .args(["-c", "command -v migrate"])
            .env("PATH", &path),
        deadline,
        "command -v migrate",
    );
    assert!(
        Path::new(which.trim()).starts_with(&venv),
        "`migrate` on PATH is not the venv's: {which}"
    );
    let version = run(&mut migrate(&["--version"]), deadline, "migrate --version");
    assert_eq!(
        version.trim(),
        format!("migrate {}", env!("CARGO_PKG_VERSION"))
    );
    let check = run(
        &mut migrate(&["check", "--all"]),
        deadline,
        "migrate check --all",
    );
    assert!(check.contains("core: ok"), "{check}");
    assert!(check.contains("ai: ok"), "{check}");
}
