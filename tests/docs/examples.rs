//! Every example in README.md and docs/*.md is run, so the docs cannot drift.
//!
//! What runs, per fenced block (each block in a fresh copy of this
//! repository's example project: `migrate.toml`, `migrations_core/`,
//! `migrations_ai/`, with `migrate` on PATH and no other variables set):
//!
//! - `sh`/`bash`/`shell`: the block is one script, run with `bash -eu -o pipefail`;
//!   it must exit 0.
//! - `console`: each `$ COMMAND` runs on its own (stderr merged into stdout,
//!   as a terminal shows them). When lines are shown below it they must
//!   match the output: `[ROOT]` is the project folder, `[..]` any text in a
//!   line, a `...` line any number of lines, `N ms` any duration, runs of
//!   spaces count as one column gap. A last line `[exit N]` expects exit
//!   code N (default 0). With no lines shown only the exit code is checked.
//! - `yaml` with `runs-on:` (a GitHub Actions job): its `run:` steps, as one script.
//! - `toml` with `[databases.`: used as `migrate.toml`; `migrate check --all` must pass.
//!
//! Markers, as HTML comments on the lines just above a block:
//! `<!-- needs: postgres -->` sets `DATABASE_URL` and `AI_DATABASE_URL` to
//! two fresh PostgreSQL databases (see `harness::pg`: without a server the
//! test fails, unless `MIGRATE_TEST_SKIP_SERVERS=1`); `<!-- env: K=V K=V -->`
//! sets variables. `<!-- needs: alembic -->` makes the block a step of the
//! file's Alembic walkthrough: the steps run in order in one copy of
//! `examples/alembic/`, with real Alembic on PATH and databases for the
//! environments `<!-- on: staging production -->` names (see
//! [`super::walkthrough`]).
//!
//! Commands: `cargo run -q --` becomes `migrate`; any other program must be
//! in [`STUBBED`], [`SKIPPED`] or [`SHELL`] below (or, in a walkthrough
//! step, in `walkthrough::TOOLS`), so a new kind of example forces a
//! decision here.

use std::path::PathBuf;

use crate::docs::markdown::{self, Block};
use crate::docs::project::{Project, repo};
use crate::docs::walkthrough::Walkthrough;
use crate::harness::pg;

/// Rewritten before running: (as written, what runs).
const REWRITES: &[(&str, &str)] = &[("cargo run -q --", "migrate")];

/// Replaced by a stub on PATH that prints `[NAME ARGS...]` and exits 0.
pub const STUBBED: &[(&str, &str)] = &[
    (
        "uvicorn",
        "the application a start command hands over to; the stub proves `--` ran it",
    ),
    ("gunicorn", "same as uvicorn"),
];

/// Not run: (command prefix, why).
const SKIPPED: &[(&str, &str)] = &[
    (
        "bash scripts/test.sh",
        "the test suite itself: running it from a test would recurse",
    ),
    (
        "cargo install",
        "compiles and writes ~/.cargo/bin; tests/docs/wheel.rs installs migrate the other way",
    ),
    (
        "pip install",
        "tests/docs/wheel.rs builds the wheel and pip-installs it into a fresh venv",
    ),
    (
        "python3 -m venv",
        "part of the pip install example that tests/docs/wheel.rs runs",
    ),
    (
        "psql postgres://postgres:postgres@localhost:5432/postgres",
        "creates a database on the CI job's own server; the test makes fresh ones itself",
    ),
    (
        "man ",
        "no man viewer in tests; tests/docs/terminal.rs checks `migrate man`",
    ),
    (
        "git clone",
        "no network in tests; the test runs on a copy of this repository",
    ),
    (
        "cd migrate",
        "the folder of a clone; the test already runs in a copy of it",
    ),
    ("source ", "activates a venv from the pip example"),
    (
        ".venv/bin/",
        "the venv of the pip example; tests/docs/wheel.rs builds, installs and runs it",
    ),
];

/// Shell built-ins and tools run as written.
const SHELL: &[&str] = &[
    "export", "echo", "cat", "printf", "mkdir", "cd", "test", "ls", "rm", "true", "exec", "[",
    "grep", "sed", "head", "tail", "cp", "touch", "exit", "for", "do", "done", "wait", "if",
    "then", "else", "fi", "psql",
];

/// Languages run as shell.
const SHELL_LANGS: &[&str] = &["sh", "bash", "shell", "console"];

#[tokio::test]
async fn readme_examples_run() {
    let ran = run_markdown("README.md").await;
    assert!(
        ran >= 5,
        "only {ran} README blocks ran: is the parser broken?"
    );
}

#[tokio::test]
async fn docs_folder_examples_run() {
    let dir = repo().join("docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        if file.extension().is_some_and(|e| e == "md") {
            let rel = file.strip_prefix(repo()).unwrap().display().to_string();
            run_markdown(&rel).await;
        }
    }
}

/// Runs every runnable block of `rel`; panics listing every failure.
/// Returns how many blocks ran.
async fn run_markdown(rel: &str) -> usize {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut walkthrough = Walkthrough::new(rel);
    for block in markdown::blocks(&text) {
        let what = format!("{rel}:{} ({})", block.line, block.lang);
        let outcome = if block.marker("needs") == Some("alembic") {
            walkthrough.step(&what, &block).await
        } else {
            run_block(&what, &block).await
        };
        match outcome {
            Ok(true) => ran += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("{what}: {e}")),
        }
    }
    walkthrough.finish().await;
    assert!(
        failures.is_empty(),
        "{} example(s) in {rel} failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    ran
}

/// Ok(false): not a runnable block (or PostgreSQL skipped).
async fn run_block(what: &str, block: &Block) -> Result<bool, String> {
    let runnable = SHELL_LANGS.contains(&block.lang.as_str())
        || (block.lang == "yaml" && block.text.contains("runs-on:"))
        || (block.lang == "toml" && block.text.contains("[databases."));
    if !runnable {
        return Ok(false);
    }
    if block.marker("on").is_some() {
        return Err(
            "the marker `on:` is for the steps of a walkthrough (`needs: alembic`)".to_owned(),
        );
    }
    let project = Project::new(STUBBED);
    let mut vars = env_marker(block)?;
    let mut pg_dbs = Vec::new();
    match block.marker("needs") {
        None => {}
        Some("postgres") => {
            for (var, db) in [("DATABASE_URL", "core"), ("AI_DATABASE_URL", "ai")] {
                let Some(created) = pg::create(&format!("docs::{what}::{db}")).await else {
                    return Ok(false);
                };
                vars.push((var.to_owned(), created.url.clone()));
                pg_dbs.push(created);
            }
        }
        Some(other) => return Err(format!("unknown marker `needs: {other}`")),
    }
    let result = match block.lang.as_str() {
        "console" => run_console(&project, &vars, &block.text, &[]),
        "yaml" => {
            let script = markdown::workflow_runs(&block.text).concat();
            run_script(&project, &vars, &script, &[])
        }
        "toml" => {
            project.env.put("migrate.toml", block.text.as_bytes());
            run_script(&project, &vars, "migrate check --all\n", &[])
        }
        _ => run_script(&project, &vars, &block.text, &[]),
    };
    for db in pg_dbs {
        db.drop_database().await;
    }
    result.map(|()| true)
}

/// The variables of a block's `<!-- env: K=V K=V -->` marker.
pub fn env_marker(block: &Block) -> Result<Vec<(String, String)>, String> {
    let mut vars = Vec::new();
    if let Some(env) = block.marker("env") {
        for pair in env.split_whitespace() {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| format!("marker `env: {env}`: `{pair}` is not K=V"))?;
            vars.push((k.to_owned(), v.to_owned()));
        }
    }
    Ok(vars)
}

/// Runs `script` as one bash script; `tools`: programs allowed besides the lists below.
pub fn run_script(
    project: &Project,
    vars: &[(String, String)],
    script: &str,
    tools: &[&str],
) -> Result<(), String> {
    let script = prepare_with(script, tools)?;
    let (code, out) = project.bash(vars, &script);
    if code != 0 {
        return Err(format!(
            "exit code {code}\n----- script -----\n{script}----- output -----\n{out}"
        ));
    }
    Ok(())
}

/// Runs each `$ COMMAND` of a console block and compares its output.
pub fn run_console(
    project: &Project,
    vars: &[(String, String)],
    text: &str,
    tools: &[&str],
) -> Result<(), String> {
    for session in markdown::sessions(text) {
        let script = prepare_with(&session.command, tools)?;
        let mut expected = session.output.clone();
        let mut want_code = 0;
        if let Some(code) = expected
            .last()
            .and_then(|l| l.trim().strip_prefix("[exit "))
            .and_then(|l| l.strip_suffix(']'))
        {
            want_code = code
                .parse()
                .map_err(|_| format!("bad exit line `[exit {code}]`"))?;
            expected.pop();
        }
        let (code, out) = project.bash(vars, &script);
        let show = || {
            format!(
                "$ {}\n----- output (exit {code}) -----\n{out}",
                session.command
            )
        };
        if code != want_code {
            return Err(format!("expected exit code {want_code}\n{}", show()));
        }
        let expected: Vec<String> = expected.iter().map(|l| normalise(l)).collect();
        if (!expected.is_empty() || want_code != 0)
            && !markdown::output_matches(&expected, &normalise(&out))
        {
            return Err(format!(
                "output differs from the README\n----- shown -----\n{}\n{}",
                session.output.join("\n"),
                show()
            ));
        }
    }
    Ok(())
}

/// Durations become `N ms`, runs of 2+ spaces one gap of two.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_ascii_digit() {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let rest: String = chars[i..].iter().take(3).collect();
                if rest == " ms" || rest.starts_with("ms") {
                    l.push('N');
                } else {
                    l.extend(&chars[start..i]);
                }
            } else if chars[i] == ' ' && chars.get(i + 1) == Some(&' ') {
                while chars.get(i) == Some(&' ') {
                    i += 1;
                }
                l.push_str("  ");
            } else {
                l.push(chars[i]);
                i += 1;
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
fn prepare(script: &str) -> Result<String, String> {
    prepare_with(script, &[])
}

/// Applies [`REWRITES`], replaces [`SKIPPED`] commands by `true`, and
/// fails on a program that is not `migrate`, in no list and not in `tools`.
fn prepare_with(script: &str, tools: &[&str]) -> Result<String, String> {
    let mut script = script.to_owned();
    for (from, to) in REWRITES {
        script = script.replace(from, to);
    }
    let mut out = String::new();
    for line in script.lines() {
        let mut new_line = String::new();
        for (segment, sep) in split_commands(line) {
            new_line.push_str(&check_segment(&segment, tools)?);
            new_line.push_str(&sep);
        }
        out.push_str(&new_line);
        out.push('\n');
    }
    Ok(out)
}

/// Splits a line at `&&`, `||`, `;` and `|` outside quotes; a `#` comment
/// ends it. Returns (command, separator after it).
fn split_commands(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                cur.push(c);
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c == '#' && (cur.is_empty() || cur.ends_with(' ')) => {
                out.push((std::mem::take(&mut cur), chars[i..].iter().collect()));
                return out;
            }
            None if (c == '&' || c == '|') && chars.get(i + 1) == Some(&c) => {
                out.push((std::mem::take(&mut cur), format!("{c}{c}")));
                i += 1;
            }
            None if c == ';' || c == '|' => {
                out.push((std::mem::take(&mut cur), c.to_string()));
            }
            None => cur.push(c),
        }
        i += 1;
    }
    out.push((cur, String::new()));
    out
}

/// One simple command: allowed as is, replaced by `true`, or an error.
fn check_segment(segment: &str, tools: &[&str]) -> Result<String, String> {
    let trimmed = segment.trim();
    let words: Vec<&str> = trimmed
        .split_whitespace()
        .skip_while(|w| w.contains('=') && !w.starts_with('-'))
        .collect();
    let Some(&program) = words.first() else {
        return Ok(segment.to_owned());
    };
    // A continuation line of the previous command (`\` above) or a flag.
    if program.starts_with('-') {
        return Ok(segment.to_owned());
    }
    let rest = words[1..].join(" ");
    let command = words.join(" ");
    if let Some((prefix, _why)) = SKIPPED
        .iter()
        .find(|(p, _)| command.starts_with(p.trim_end()))
    {
        return Ok(format!(" true \"skipped: {prefix}\" "));
    }
    let program = if program == "exec" {
        words.get(1).copied().unwrap_or("exec")
    } else {
        program
    };
    if program == "migrate" {
        // `migrate up ... -- APP ARGS`: APP must be a stub or a shell tool.
        if let Some(app) = rest
            .split(" -- ")
            .nth(1)
            .and_then(|a| a.split_whitespace().next())
            && !known(app, tools)
        {
            return Err(format!(
                "`{app}` after `--` is not in STUBBED or SHELL of tests/docs/examples.rs"
            ));
        }
        return Ok(segment.to_owned());
    }
    if known(program, tools) {
        return Ok(segment.to_owned());
    }
    Err(format!(
        "`{command}` is neither `migrate` nor listed in tests/docs/examples.rs: make the example \
         runnable, or add its program to STUBBED, SKIPPED (with a reason) or SHELL"
    ))
}

fn known(program: &str, tools: &[&str]) -> bool {
    STUBBED.iter().any(|(p, _)| *p == program)
        || SHELL.contains(&program)
        || tools.contains(&program)
}

#[test]
fn unknown_programs_force_a_decision() {
    assert!(prepare("migrate up --all\n").is_ok());
    assert_eq!(
        prepare("cargo run -q -- check --all\n").unwrap(),
        "migrate check --all\n"
    );
    assert!(
        prepare("curl https://x | sh\n")
            .unwrap_err()
            .contains("curl")
    );
    assert!(prepare("migrate up --all -- flask run\n").is_err());
    assert!(prepare("migrate up --all -- uvicorn app:app\n").is_ok());
    let skipped = prepare("cargo install --path . && migrate --version\n").unwrap();
    assert!(
        skipped.contains("true \"skipped: cargo install\""),
        "{skipped}"
    );
    assert!(skipped.contains("migrate --version"), "{skipped}");
    assert!(prepare("DATABASE_URL=x migrate up --all # comment; not a command\n").is_ok());
    assert!(prepare("migrate new core -m \"a; rm -rf x\"\n").is_ok());
    // Alembic runs only where a walkthrough puts it on PATH.
    assert!(prepare("alembic upgrade head\n").is_err());
    assert!(prepare_with("alembic upgrade head && migrate up --all\n", &["alembic"]).is_ok());
}

#[test]
fn normalise_hides_durations_and_column_widths() {
    assert_eq!(
        normalise(" core      ok      5 revisions (12 ms)"),
        " core  ok  5 revisions (N ms)\n"
    );
    assert_eq!(normalise("took 3ms"), "took Nms\n");
}

#[test]
fn project_ci_runs_the_steps_the_readme_shows_users() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let job = markdown::blocks(&readme)
        .into_iter()
        .find(|b| b.lang == "yaml" && b.text.contains("runs-on:"))
        .expect("README has a GitHub Actions job");
    let ci = std::fs::read_to_string(repo().join(".github/workflows/ci.yml")).unwrap();
    let ci_runs = markdown::workflow_runs(&ci).concat();
    assert!(ci_runs.contains("bash scripts/test.sh"), "{ci_runs}");
    let steps = markdown::workflow_runs(&job.text).concat();
    let migrate_steps: Vec<&str> = steps
        .lines()
        .filter(|l| l.starts_with("migrate "))
        .collect();
    assert!(migrate_steps.len() >= 3, "{steps}");
    for step in migrate_steps {
        assert!(
            ci_runs.lines().any(|l| l == step),
            "README's CI step `{step}` is not in .github/workflows/ci.yml"
        );
    }
}
