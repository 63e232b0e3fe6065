//! `split_mysql` against the `mysql` command-line client, the reference.
//!
//! Each file under `tests/fixtures/mysql_split/` is read twice by the real
//! client (`mariadb` or `mysql`), talking to the MariaDB server at
//! `MIGRATE_TEST_MYSQL_URL`, each time in a fresh database: once as it is,
//! and once as `split_mysql` cut it, each of its statements followed by a
//! delimiter that appears nowhere in the file. With `-vvv` the client
//! echoes every statement it sends, after taking out its comments; the two
//! runs must echo the same statements, so the server gets the same thing
//! whether the client or migrate reads a file. Every file is read again
//! with `\r\n` line ends, and the server must accept every statement
//! (except in the file whose point is what it rejects).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use migrate::driver::split_mysql::{SqlMode, Statement, split_mysql, split_mysql_with};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tempfile::TempDir;

/// The line the client prints before and after each statement it echoes.
const ECHO_RULE: &str = "--------------";

/// A MariaDB server and the client to talk to it.
struct Client {
    program: PathBuf,
    /// Holds the option file with the credentials (never on a command line).
    dir: TempDir,
}

/// How one run of the client reads its input.
#[derive(Clone, Copy)]
struct Run<'a> {
    /// Extra `--init-command`, run before the input.
    init: Option<&'a str>,
    /// The server rejects some statements: keep going (`--force`) and do
    /// not require success.
    rejected: bool,
}

const PLAIN: Run<'static> = Run {
    init: None,
    rejected: false,
};

impl Client {
    /// The client, or `None` (after a note) when server tests are skipped.
    fn from_env() -> Option<Self> {
        let url = match std::env::var("MIGRATE_TEST_MYSQL_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("MIGRATE_TEST_SKIP_SERVERS").is_ok_and(|v| v == "1") => {
                println!(
                    "note: skipping a MariaDB test: MIGRATE_TEST_MYSQL_URL is not set \
                     and MIGRATE_TEST_SKIP_SERVERS=1"
                );
                return None;
            }
            _ => panic!(
                "MIGRATE_TEST_MYSQL_URL is not set: run the tests with `bash scripts/test.sh`, \
                 which starts a throw-away MariaDB server, or set MIGRATE_TEST_SKIP_SERVERS=1 \
                 to skip the tests that need servers"
            ),
        };
        let program = find_client().unwrap_or_else(|| {
            panic!(
                "neither `mariadb` nor `mysql` is on PATH: install Debian's `mariadb-client` \
                 (`bash scripts/test.sh` expects it)"
            )
        });
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("client.cnf"), option_file(&url)).unwrap();
        Some(Self { program, dir })
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        // `--defaults-file` must come first; it also keeps ~/.my.cnf out.
        cmd.arg(format!(
            "--defaults-file={}",
            self.dir.path().join("client.cnf").display()
        ))
        .args(["--batch", "--default-character-set=utf8mb4"]);
        cmd
    }

    /// Runs one statement outside any test database.
    fn admin(&self, sql: &str) -> String {
        let out = self.command().args(["-e", sql]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "`{sql}` failed: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Feeds `input` to the client in a fresh database and returns the
    /// statements it sent, as it echoed them.
    fn sent(&self, input: &str, run: Run<'_>) -> Vec<String> {
        self.sent_in(&Database::create(self), input, run)
    }

    fn sent_in(&self, db: &Database<'_>, input: &str, run: Run<'_>) -> Vec<String> {
        let file = self.dir.path().join(format!("{}.sql", db.name));
        fs::write(&file, input).unwrap();
        let mut cmd = self.command();
        cmd.arg("-vvv").arg(format!("--database={}", db.name));
        if let Some(init) = run.init {
            cmd.arg(format!("--init-command={init}"));
        }
        if run.rejected {
            cmd.arg("--force");
        }
        let out = cmd
            .stdin(Stdio::from(File::open(&file).unwrap()))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !run.rejected {
            assert!(
                out.status.success() && stderr.is_empty(),
                "the server rejected a statement: {stderr}\n--- input:\n{input}\n--- output:\n{stdout}"
            );
        }
        echoed(&stdout)
    }
}

/// A database for one run, dropped afterwards.
struct Database<'a> {
    client: &'a Client,
    name: String,
}

impl<'a> Database<'a> {
    fn create(client: &'a Client) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("msplit_{}_{n}", std::process::id());
        client.admin(&format!(
            "DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}"
        ));
        Self { client, name }
    }
}

impl Drop for Database<'_> {
    fn drop(&mut self) {
        if std::env::var("MIGRATE_TEST_KEEP_DB").is_ok_and(|v| v == "1") {
            eprintln!("note: kept test database {}", self.name);
            return;
        }
        let _ = self
            .client
            .command()
            .args(["-e", &format!("DROP DATABASE IF EXISTS {}", self.name)])
            .output();
    }
}

/// `mariadb`, else `mysql`, from PATH.
fn find_client() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["mariadb", "mysql"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A `[client]` option file for `mysql://USER:PASSWORD@HOST:PORT/`.
fn option_file(url: &str) -> String {
    let url = url::Url::parse(url).expect("MIGRATE_TEST_MYSQL_URL is not a URL");
    let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut cnf = String::from("[client]\n");
    cnf += &format!("user={}\n", quoted(&percent_decoded(url.username())));
    if let Some(password) = url.password() {
        cnf += &format!("password={}\n", quoted(&percent_decoded(password)));
    }
    cnf += &format!("host={}\n", url.host_str().unwrap_or("127.0.0.1"));
    cnf += &format!("port={}\n", url.port().unwrap_or(3306));
    cnf += "protocol=TCP\n";
    cnf
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = text.get(i + 1..i + 3).filter(|_| bytes[i] == b'%');
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The statements in the client's `-vvv` output: each stands between two
/// rule lines, and results (tables, `Query OK`) come after.
fn echoed(stdout: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut lines = stdout.split('\n');
    while let Some(line) = lines.next() {
        if line == ECHO_RULE {
            let text: Vec<&str> = lines.by_ref().take_while(|l| *l != ECHO_RULE).collect();
            statements.push(text.join("\n").trim().to_owned());
        }
    }
    statements
}

/// The statements `split_mysql` cut from `body`, as a file for the client:
/// each one followed by a delimiter found nowhere in `body`; and how many.
fn replayed(body: &str, mode: SqlMode) -> (String, usize) {
    let statements = split_mysql_with(body, mode)
        .unwrap_or_else(|e| panic!("split_mysql failed at body line {}: {e}", e.line + 1));
    replay(body, &statements)
}

/// The delimiter comes right after each statement: a text may end with
/// `--`, which a line end after it would make a comment.
fn replay(body: &str, statements: &[Statement]) -> (String, usize) {
    let count = statements.len();
    let delimiter = (0..)
        .map(|n| format!("~~end{n}~~"))
        .find(|d| !body.contains(d.as_str()))
        .unwrap();
    let mut file = format!("DELIMITER {delimiter}\n");
    for st in statements {
        file += &format!("{}{delimiter}\n", st.text);
    }
    (file, count)
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mysql_split")
        .join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `reference` read by the client and `body` cut by `split_mysql` give the
/// server the same statements, with `\n` and with `\r\n` line ends.
fn same_statements(reference: &str, body: &str, mode: SqlMode, run: Run<'_>) {
    let Some(client) = Client::from_env() else {
        return;
    };
    for crlf in [false, true] {
        let line_ends = |text: &str| {
            if crlf {
                text.replace('\n', "\r\n")
            } else {
                text.to_owned()
            }
        };
        let (reference, body) = (line_ends(reference), line_ends(body));
        let expected = client.sent(&reference, run);
        let (replay, count) = replayed(&body, mode);
        let ours = client.sent(&replay, run);
        assert!(!expected.is_empty(), "the client sent nothing");
        assert_eq!(
            ours, expected,
            "split_mysql (left) and the client (right) disagree (crlf: {crlf})"
        );
        // A cut inside what the client reads as a comment or a string would
        // be joined again by the replay: each piece must be one statement.
        assert_eq!(
            ours.len(),
            count,
            "the client read split_mysql's {count} statements as {} (crlf: {crlf})",
            ours.len()
        );
    }
}

fn same_as_the_client(name: &str) {
    let body = fixture(name);
    same_statements(&body, &body, SqlMode::default(), PLAIN);
}

#[test]
fn statements_end_at_the_delimiter() {
    same_as_the_client("statements.sql");
}

#[test]
fn quotes_hold_delimiters_comments_and_delimiter_lines() {
    same_as_the_client("quotes.sql");
}

#[test]
fn comments_are_read_as_the_client_reads_them() {
    same_as_the_client("comments.sql");
}

#[test]
fn version_comments_are_sql() {
    same_as_the_client("version_comments.sql");
}

#[test]
fn a_delimiter_inside_a_version_comment_still_cuts() {
    let body = fixture("version_semicolon.sql");
    let run = Run {
        init: None,
        rejected: true,
    };
    same_statements(&body, &body, SqlMode::default(), run);
}

#[test]
fn delimiter_lines_change_the_delimiter() {
    same_as_the_client("delimiters.sql");
}

#[test]
fn routines_between_delimiter_lines() {
    same_as_the_client("routines_delimiter.sql");
}

#[test]
fn routines_without_delimiter_lines_are_sent_whole() {
    let reference = fixture("routines_delimiter.sql");
    let body = fixture("routines_plain.sql");
    same_statements(&reference, &body, SqlMode::default(), PLAIN);
}

#[test]
fn ansi_quotes_and_no_backslash_escapes() {
    let Some(client) = Client::from_env() else {
        return;
    };
    let init = "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'";
    let shown = client.admin(&format!("{init}; SELECT @@SESSION.sql_mode"));
    let mode = SqlMode::from_sql_mode(shown.lines().last().unwrap());
    assert_eq!(
        mode,
        SqlMode {
            ansi_quotes: true,
            no_backslash_escapes: true
        }
    );
    let body = fixture("sql_modes.sql");
    let run = Run {
        init: Some(init),
        rejected: false,
    };
    same_statements(&body, &body, mode, run);
}

/// A soup of the tokens the client reads specially, `BEGIN` and `END`
/// left out (a compound body is where migrate cuts differently on purpose).
fn soup() -> impl Strategy<Value = String> {
    let quoted = (
        prop::sample::select(&['\'', '"', '`'][..]),
        prop::collection::vec(
            prop::sample::select(
                &[
                    "a",
                    ";",
                    " ",
                    "\n",
                    "#",
                    "-- ",
                    "/*",
                    "*/",
                    "$$",
                    "\\\\",
                    "\\n",
                    "DELIMITER //\n",
                ][..],
            ),
            0..4,
        ),
    )
        .prop_map(|(q, items)| {
            let inner: String = items.concat();
            // In backticks `\` escapes nothing: keep it off the closing quote.
            let inner = if q == '`' {
                inner.replace('\\', "")
            } else {
                inner
            };
            format!("{q}{inner}{q}")
        });
    let token = prop_oneof![
        30 => prop::sample::select(&[
            "SELECT", "x", "y1", "delimiter", "1", "é", "\\N", "(", ")", ",", "+", "-", ".", "*",
            "/", "!", "@", "$", "|", ":", "=",
        ][..]).prop_map(str::to_owned),
        8 => quoted,
        3 => prop::sample::select(&["#\n", "# c;\n", "#'\n", "#*/\n"][..]).prop_map(str::to_owned),
        3 => prop::sample::select(&["-- \n", "-- c;\n", "-- '\n"][..]).prop_map(str::to_owned),
        3 => prop::sample::select(&["--x", "--\t", "--\n", "--1", "---"][..]).prop_map(str::to_owned),
        4 => prop::sample::select(&["/**/", "/* ; */", "/*'*/", "/*/**/", "/*/*!*/", "/*/*M!*/", "/*\n*/", "/*/*/"][..])
            .prop_map(str::to_owned),
        3 => prop::sample::select(&["/*! ", "/*!50000 ", "/*!99999 ", "/*M!100100 ", "*/"][..]).prop_map(str::to_owned),
        16 => prop::sample::select(&[";", "//", "$$"][..]).prop_map(str::to_owned),
        15 => prop::sample::select(&[" ", "\n", "\r\n", "\t"][..]).prop_map(str::to_owned),
        3 => (
            prop::sample::select(&["DELIMITER", "delimiter", "  DeLiMiTeR"][..]),
            prop::sample::select(&["//", "$$", ";;", "|", ";", "'ab'", "\"x\"\"y\"", "@"][..]),
            prop::sample::select(&["", " -- x", " junk"][..]),
        )
            .prop_map(|(word, arg, tail)| format!("\n{word} {arg}{tail}\n")),
    ];
    prop::collection::vec(token, 1..40).prop_map(|tokens| tokens.concat())
}

#[test]
fn random_token_soups_are_cut_as_the_client_cuts_them() {
    let Some(client) = Client::from_env() else {
        return;
    };
    let db = Database::create(&client);
    let run = Run {
        init: None,
        rejected: true,
    };
    // The client rewrites whitespace in a few ways of its own (a space for
    // a comment it drops, no line end after a line that starts with
    // `delimiter`): statements are compared without it.
    let squeezed = |statements: Vec<String>| -> Vec<String> {
        statements
            .iter()
            .map(|s| s.split_whitespace().collect())
            .collect()
    };
    // Each case runs the client twice, some 25 ms.
    let config = Config {
        cases: 160,
        failure_persistence: None,
        ..Config::default()
    };
    let outcome = TestRunner::new(config).run(&soup(), |body| {
        // Bodies migrate refuses (an unclosed quote...) have nothing to compare.
        let Ok(statements) = split_mysql(&body) else {
            return Ok(());
        };
        let (replay, count) = replay(&body, &statements);
        let expected = squeezed(client.sent_in(&db, &body, run));
        let ours = squeezed(client.sent_in(&db, &replay, run));
        prop_assert_eq!(&ours, &expected, "body {:?}", body);
        prop_assert_eq!(ours.len(), count, "body {:?}", body);
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
