//! The only place that writes to stdout and stderr.
//!
//! Results go to stdout (text or one JSON document); warnings, hints,
//! progress and errors go to stderr. `-q` keeps only errors on stderr.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::cli::{ColorChoice, Format, GlobalArgs};
use crate::url::DbUrl;

/// Decides where output goes and how it looks, from the global flags.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    pub format: Format,
    pub quiet: bool,
    /// `-v` count: more detail in some messages (`import`'s tracebacks).
    pub verbose: u8,
    /// Colour on stderr (diagnostics, progress).
    pub color: bool,
    /// Colour and terminal width for tables on stdout.
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    /// URLs whose passwords must never be printed: every line is scrubbed.
    secrets: Arc<Mutex<Vec<DbUrl>>>,
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";
const RESET: &str = "\x1b[0m";

impl Printer {
    pub(crate) fn new(args: &GlobalArgs, no_color_env: bool) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        let stdout_tty = std::io::stdout().is_terminal();
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stderr_tty && !no_color_env,
        };
        Self {
            format: args.format,
            quiet: args.quiet,
            verbose: args.verbosity,
            color,
            stdout_tty: stdout_tty && args.color != ColorChoice::Never && !no_color_env
                || args.color == ColorChoice::Always,
            stderr_tty,
            secrets: Arc::default(),
        }
    }

    /// A printer for errors before the flags are known: plain text, stderr.
    pub(crate) fn plain() -> Self {
        Self {
            format: Format::Text,
            quiet: false,
            verbose: 0,
            color: false,
            stdout_tty: false,
            stderr_tty: false,
            secrets: Arc::default(),
        }
    }

    /// From now on, every output is scrubbed of this URL's password.
    pub(crate) fn add_secret(&self, url: &DbUrl) {
        if url.password().is_some()
            && let Ok(mut s) = self.secrets.lock()
        {
            s.push(url.clone());
        }
    }

    /// `text` with every known password replaced.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let Ok(secrets) = self.secrets.lock() else {
            return text.to_owned();
        };
        secrets.iter().fold(text.to_owned(), |t, url| url.scrub(&t))
    }

    pub(crate) fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Writes a text result to stdout (nothing in JSON mode).
    pub(crate) fn text(&self, text: &str) {
        if self.is_json() || text.is_empty() {
            return;
        }
        let text = self.scrub(text);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// Writes a text result to stdout whatever the format (e.g. `sql`, `graph`).
    pub(crate) fn raw(&self, text: &str) {
        let mut text = self.scrub(text);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Writes one JSON document to stdout (only in JSON mode).
    pub(crate) fn json<T: Serialize>(&self, doc: &T) {
        if !self.is_json() {
            return;
        }
        match serde_json::to_string_pretty(doc) {
            Ok(s) => {
                // A closed pipe (`| head`) is not an error worth a panic.
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", self.scrub(&s));
                let _ = out.flush();
            }
            Err(e) => self.error(&format!("could not encode JSON output: {e}"), &[], None),
        }
    }

    pub(crate) fn warn(&self, message: &str) {
        if !self.quiet {
            self.stderr(&format!(
                "{}: {}\n",
                self.paint(YELLOW, "warning"),
                self.scrub(message)
            ));
        }
    }

    pub(crate) fn note(&self, message: &str) {
        if !self.quiet {
            self.stderr(&format!("{}\n", self.scrub(message)));
        }
    }

    pub(crate) fn hint(&self, message: &str) {
        if !self.quiet {
            self.stderr(&format!(
                "{}: {}\n",
                self.paint(CYAN, "hint"),
                self.scrub(message)
            ));
        }
    }

    /// The one way a failure is shown: its message, each cause the
    /// message does not already say, and the first hint in its chain.
    pub(crate) fn failure(&self, err: &anyhow::Error) {
        let message = err.to_string();
        let mut causes: Vec<String> = Vec::new();
        for cause in err.chain().skip(1).map(ToString::to_string) {
            if cause != message && causes.last() != Some(&cause) {
                causes.push(cause);
            }
        }
        self.error(&message, &causes, crate::exit::hint(err).as_deref());
    }

    /// An error with its causes (each on its own line) and an optional hint.
    pub(crate) fn error(&self, message: &str, causes: &[String], hint: Option<&str>) {
        let mut s = format!("{}: {message}\n", self.paint(RED, "error"));
        for c in causes {
            for (i, line) in c.lines().enumerate() {
                if i == 0 {
                    s.push_str(&format!("  caused by: {line}\n"));
                } else {
                    s.push_str(&format!("    {line}\n"));
                }
            }
        }
        if let Some(h) = hint {
            s.push_str(&format!("{}: {h}\n", self.paint(CYAN, "hint")));
        }
        self.stderr(&self.scrub(&s));
    }

    /// Writes to stderr, ignoring a closed stream.
    fn stderr(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}
