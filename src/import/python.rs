//! I/O: runs the Python helper (`alembic.py`, carried in the binary) with
//! the user's Python, and reads its answers.
//!
//! One process per import: it lists every revision, the binary decides what
//! to write and sends back the ids to render, one a line, then closes the
//! helper's stdin. The helper's stderr (whatever the project prints,
//! Python's warnings) is collected on a thread, so a chatty project cannot
//! block it, and shown with any error.

use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use anyhow::{Context as _, Result};

use super::dialect::SqlDialect;
use super::record::{HelperError, Listed, Project, Record, Rendered, parse_line};
use crate::exit::Fail;

const HELPER: &str = include_str!("alembic.py");

/// How many lines of the helper's stderr an error quotes.
const STDERR_LINES: usize = 15;
/// How many lines of a Python traceback `-v` shows.
const TRACEBACK_LINES: usize = 40;

/// The Python to run: a program and its leading arguments
/// (`--python "uv run python"` is `uv` with `run python`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PythonCommand {
    words: Vec<String>,
}

impl PythonCommand {
    /// Splits `line` on whitespace.
    ///
    /// # Errors
    /// Bad input when `line` holds no word.
    pub(crate) fn parse(line: &str) -> Result<Self, Fail> {
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        if words.is_empty() {
            return Err(Fail::bad_input("--python is empty").hint(
                "pass the interpreter of the project's environment, e.g. --python .venv/bin/python",
            ));
        }
        Ok(Self { words })
    }

    /// The command as the user wrote it, for messages.
    pub(crate) fn shown(&self) -> String {
        self.words.join(" ")
    }
}

/// What the helper is asked to read.
#[derive(Debug, Clone)]
pub(crate) struct Request<'a> {
    pub python: &'a PythonCommand,
    /// Absolute.
    pub ini: &'a Path,
    /// The ini file as the user named it, for messages.
    pub ini_shown: &'a str,
    /// Errors quote Python's traceback.
    pub verbose: bool,
    pub dialect: SqlDialect,
    pub engine: Option<&'a str>,
    /// Where Alembic would run: relative paths in the ini start here.
    pub cwd: &'a Path,
}

/// The project and its revisions, as Alembic lists them.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub project: Project,
    pub revisions: Vec<Listed>,
}

/// A running helper that has listed the revisions and waits for ids.
pub(crate) struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    stderr: Option<JoinHandle<String>>,
    shown: String,
    /// A record has been read: from now on every line must be one.
    answering: bool,
}

impl Helper {
    /// Starts the helper and reads the listing, its revisions sorted by id.
    ///
    /// # Errors
    /// Bad input when the Python cannot be run, cannot import Alembic, or
    /// Alembic cannot read the project; a failure when the helper stops
    /// answering.
    pub(crate) fn start(request: &Request<'_>) -> Result<(Self, Listing)> {
        let shown = request.python.shown();
        let mut command = Command::new(&request.python.words[0]);
        command
            .args(&request.python.words[1..])
            .arg("-c")
            .arg(HELPER)
            .arg("--ini")
            .arg(request.ini)
            .arg("--dialect")
            .arg(request.dialect.alembic_name())
            .current_dir(request.cwd)
            .env("PYTHONIOENCODING", "utf-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(engine) = request.engine {
            command.arg("--engine").arg(engine);
        }
        let mut child = command.spawn().map_err(|e| cannot_run(&shown, &e))?;
        let (Some(stdout), stdin, Some(stderr)) =
            (child.stdout.take(), child.stdin.take(), child.stderr.take())
        else {
            return Err(anyhow::anyhow!(
                "the pipes to `{shown}` could not be opened"
            ));
        };
        let stderr = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut BufReader::new(stderr), &mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let mut helper = Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            stderr: Some(stderr),
            shown,
            answering: false,
        };
        let listing = helper.read_listing(request)?;
        Ok((helper, listing))
    }

    fn read_listing(&mut self, request: &Request<'_>) -> Result<Listing> {
        let mut project = None;
        let mut revisions = Vec::new();
        loop {
            match self.next_record()? {
                Some(Record::Project(p)) => project = Some(p),
                Some(Record::Revision(r)) => revisions.push(r),
                Some(Record::Listed) => break,
                Some(Record::Error(e)) => return Err(self.helper_failed(&e, request)),
                Some(other) => return Err(self.unexpected(&format!("{other:?}"))),
                None => return Err(self.stopped()),
            }
        }
        let project = project.ok_or_else(|| self.unexpected("a listing without its project"))?;
        // Alembic walks from the heads; every list shown is sorted.
        revisions.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Listing { project, revisions })
    }

    /// Renders the revisions `ids`, in that order, handing each to `each`
    /// as it arrives (so its file is written while Python renders the
    /// next), and ends the helper; gives what it printed on stderr.
    ///
    /// # Errors
    /// The helper stops before rendering every id, or `each` fails.
    pub(crate) fn render(
        mut self,
        ids: &[&str],
        mut each: impl FnMut(Rendered) -> Result<()>,
    ) -> Result<String> {
        if let Some(mut stdin) = self.stdin.take() {
            let mut text = ids.join("\n");
            text.push('\n');
            // A helper that died already is reported below, by what it printed.
            let _ = stdin.write_all(text.as_bytes());
        }
        loop {
            match self.next_record()? {
                Some(Record::Rendered(r)) => each(r)?,
                Some(Record::Done) => break,
                Some(other) => return Err(self.unexpected(&format!("{other:?}"))),
                None => return Err(self.stopped()),
            }
        }
        let _ = self.child.wait();
        Ok(self.stderr())
    }

    /// What the helper printed on stderr so far (it has exited or is ending).
    pub(crate) fn stderr(&mut self) -> String {
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }

    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            let Some(line) = self.lines.next() else {
                return Ok(None);
            };
            let line =
                line.with_context(|| format!("cannot read the answer of `{}`", self.shown))?;
            match parse_line(&line) {
                Ok(record) => {
                    self.answering = true;
                    return Ok(Some(record));
                }
                // Before the helper runs, Python's start-up (a sitecustomize, a
                // wrapper such as `uv run`) may print; that is not an answer.
                Err(_) if !self.answering => {}
                Err(_) => return Err(self.unexpected(&line)),
            }
        }
    }

    fn helper_failed(&mut self, e: &HelperError, request: &Request<'_>) -> anyhow::Error {
        let _ = self.child.wait();
        let (ini, shown, message) = (request.ini_shown, &self.shown, &e.message);
        let place = e
            .r#where
            .as_deref()
            .map(|w| format!("{w}: "))
            .unwrap_or_default();
        let traceback = if request.verbose {
            format!("\n{}", last_lines(&e.traceback, TRACEBACK_LINES))
        } else {
            String::new()
        };
        let fail = match e.stage.as_str() {
            "import" => Fail::bad_input(format!(
                "`{shown}` cannot import Alembic ({message}); `migrate import alembic` reads the \
                 history through the project's own Python"
            ))
            .hint(format!(
                "install it in that environment (`{shown} -m pip install alembic`), or pass the \
                 project's interpreter with --python (e.g. --python .venv/bin/python or --python \
                 \"uv run python\") or MIGRATE_PYTHON"
            )),
            "scripts" => Fail::bad_input(format!(
                "Alembic cannot read the project of `{ini}`: {message}{traceback}"
            ))
            .hint(
                "check `script_location` in the ini file; Alembic reads relative paths from the \
                 current folder, and `%(here)s` is the ini file's folder",
            ),
            "graph" => Fail::bad_input(format!(
                "Alembic rejects the history of `{ini}`: {place}{message}{traceback}"
            ))
            .hint(format!(
                "fix the revision it names; `alembic -c {ini} heads` reports the same problem"
            )),
            _ => Fail::bad_input(format!(
                "Alembic cannot load the revisions of `{ini}` with `{shown}`: {place}{message}{traceback}"
            ))
            .hint(
                "the revision modules must import with this Python: install what they import in \
                 its environment, set `prepend_sys_path` in the ini file, or pick another \
                 interpreter with --python (-v shows the traceback)",
            ),
        };
        fail.into()
    }

    fn stopped(&mut self) -> anyhow::Error {
        let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
        let stderr = self.stderr();
        Fail::bad_input(format!(
            "`{}` stopped before answering ({status}):\n{}",
            self.shown,
            last_lines(&stderr, STDERR_LINES)
        ))
        .hint(
            "the Python must be Python 3.8 or newer with Alembic installed; pick one with --python",
        )
        .into()
    }

    fn unexpected(&mut self, what: &str) -> anyhow::Error {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let what: String = what.chars().take(200).collect();
        Fail::failed(format!(
            "`{}` answered something migrate does not understand: {what}",
            self.shown
        ))
        .hint("something in the project printed to stdout through a file descriptor of its own; run with -v to see the helper's stderr")
        .into()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn cannot_run(shown: &str, e: &std::io::Error) -> anyhow::Error {
    let what = if e.kind() == std::io::ErrorKind::NotFound {
        "it was not found".to_owned()
    } else {
        e.to_string()
    };
    Fail::bad_input(format!("cannot run the Python `{shown}`: {what}"))
        .hint(
            "`migrate import alembic` runs the project's own Python: pass it with --python \
             (e.g. --python .venv/bin/python or --python \"uv run python\") or set MIGRATE_PYTHON",
        )
        .into()
}

/// The last `n` non-blank lines of `text`, indented.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    let shown: Vec<String> = lines[start..].iter().map(|l| format!("    {l}")).collect();
    if shown.is_empty() {
        "    (it printed nothing)".to_owned()
    } else {
        shown.join("\n")
    }
}

/// The ini file, absolute.
///
/// # Errors
/// Bad input when it does not exist.
pub(crate) fn find_ini(ini: &Path, cwd: &Path) -> Result<PathBuf, Fail> {
    let path = cwd.join(ini);
    if path.is_file() {
        return Ok(path);
    }
    let what = if path.exists() {
        "is not a file"
    } else {
        "does not exist"
    };
    Err(Fail::bad_input(format!(
        "the Alembic configuration `{}` {what}",
        ini.display()
    ))
    .hint(
        "run from the folder that holds the Alembic project, or pass its ini file with --ini \
         (e.g. --ini alembic_ai.ini)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_command_is_split_on_spaces() {
        let uv = PythonCommand::parse("  uv run   python ").unwrap();
        assert_eq!(uv.words, ["uv", "run", "python"]);
        assert_eq!(uv.shown(), "uv run python");
        let err = PythonCommand::parse(" ").unwrap_err();
        assert_eq!(err.category, crate::exit::Category::BadInput);
    }

    #[test]
    fn errors_quote_the_end_of_what_python_printed() {
        let text = (1..=20)
            .map(|i| format!("line {i}\n\n"))
            .collect::<String>();
        let quoted = last_lines(&text, 3);
        assert_eq!(quoted, "    line 18\n    line 19\n    line 20");
        assert_eq!(last_lines("", 3), "    (it printed nothing)");
    }
}
