//! Cuts a MySQL or MariaDB body into the statements the `mysql` client
//! would send, one by one.
//!
//! Pure. MySQL commits each DDL statement by itself, so a MySQL revision
//! always runs statement by statement, and the body must be cut exactly
//! where the command-line client (`mysql`, `mariadb`) cuts a file: at the
//! delimiter, outside quotes and comments, with `DELIMITER xx` lines
//! changing the delimiter. `lexer` reads the body as the client does.
//!
//! Where this differs from the client, on purpose:
//!
//! - while the delimiter is `;`, the `BEGIN ... END` body of a
//!   `CREATE PROCEDURE`, `FUNCTION`, `TRIGGER` or `EVENT`, and a MariaDB
//!   `BEGIN NOT ATOMIC ... END` block, is one statement (`blocks`). The
//!   client cuts such a body at its first `;` and the server rejects the
//!   pieces, so no file that works with the client is cut differently,
//!   and a file that forgot `DELIMITER` works too. Under any other
//!   delimiter `;` is plain text and nothing is tracked;
//! - what the client would run as its own commands, or do something
//!   surprising with, is an error with its line instead: `\g` and other
//!   backslash commands outside quotes, a `DELIMITER` line without a
//!   delimiter or with a `\` in it, a `DELIMITER` that does not begin its
//!   own line, an unclosed quote, comment or `BEGIN` block;
//! - the client keeps a tab or carriage return after a `DELIMITER` argument
//!   as part of the delimiter; here the argument ends at any whitespace.
//!
//! Other client commands (`USE`, `SOURCE`, `\.`...) are not interpreted:
//! they reach the server as statements, which runs `USE` and rejects the
//! rest. How `'` and `"` are read depends on two `sql_mode` flags, see
//! [`SqlMode`]; a body that changes them midway is read with the flags it
//! started with.

mod blocks;
mod lexer;

use std::fmt;

use blocks::{Blocks, Sig};
use lexer::{Kind, Lexer, Token};

pub use super::split::Statement;

/// The `sql_mode` flags that change how quotes are read. The default is
/// the server's default: both off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SqlMode {
    /// `ANSI_QUOTES`: `"` quotes identifiers, in which `\` escapes nothing.
    pub ansi_quotes: bool,
    /// `NO_BACKSLASH_ESCAPES`: `\` escapes nothing in any quote.
    pub no_backslash_escapes: bool,
}

impl SqlMode {
    /// The flags in a value of `@@sql_mode` (names separated by commas, as
    /// the server lists them, combination modes such as `ANSI` expanded).
    pub fn from_sql_mode(value: &str) -> Self {
        let has = |name: &str| {
            value
                .split(',')
                .any(|m| m.trim().eq_ignore_ascii_case(name))
        };
        Self {
            ansi_quotes: has("ANSI_QUOTES"),
            no_backslash_escapes: has("NO_BACKSLASH_ESCAPES"),
        }
    }
}

/// A body that cannot be cut into statements, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct SplitError {
    /// 0-based line in the body, as [`Statement::line`]: the line the
    /// unclosed quote, comment or block opens on, or the offending line.
    pub line: usize,
    pub kind: SplitErrorKind,
}

/// What is wrong with a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitErrorKind {
    #[error("{} opened with {quote} is never closed; add the closing {quote}", quoted_thing(*quote))]
    UnterminatedQuote { quote: char },
    #[error("a `/*` comment is never closed; add `*/`")]
    UnterminatedComment,
    #[error("`DELIMITER` needs the new delimiter after it, as in `DELIMITER //`")]
    DelimiterMissing,
    #[error("a delimiter cannot contain `\\`; use one such as `//` or `$$`")]
    DelimiterBackslash,
    #[error(
        "`DELIMITER` must begin its own line, after the previous statement's delimiter, \
         with a space before the new delimiter, as in `DELIMITER //`"
    )]
    DelimiterNotAlone,
    #[error(
        "{} outside quotes is a command of the `mysql` client, which migrate does not run; \
         end each statement with the delimiter and put other text in quotes",
        ClientCommand(*command)
    )]
    ClientCommand { command: Option<char> },
    #[error(
        "this `BEGIN` has no matching `END`, so the statement never ends; close the block, \
         or put the routine between `DELIMITER //` and `DELIMITER ;` lines and end it with `//`"
    )]
    UnclosedBlock,
}

fn quoted_thing(quote: char) -> &'static str {
    if quote == '`' {
        "an identifier"
    } else {
        "a string"
    }
}

/// How a client command is quoted in a message: `` `\g` ``, or a bare `\`.
struct ClientCommand(Option<char>);

impl fmt::Display for ClientCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(c) => write!(f, "`\\{c}`"),
            None => f.write_str("a `\\` at the end of a line"),
        }
    }
}

/// The statements of `body`, read with the server's default `sql_mode`.
///
/// # Errors
/// See [`split_mysql_with`].
pub fn split_mysql(body: &str) -> Result<Vec<Statement>, SplitError> {
    split_mysql_with(body, SqlMode::default())
}

/// The statements of `body`, in order, as the `mysql` client would send
/// them: each [`Statement::text`] is the body's text from the statement's
/// first token to its last, without the delimiter and without comments
/// before or after it (comments inside are kept: the server skips them).
/// `DELIMITER` lines are not statements; empty statements (`;;`) are
/// dropped; the last statement needs no delimiter.
///
/// # Errors
/// A [`SplitError`] with the line of an unclosed quote, comment or
/// `BEGIN` block, a bad `DELIMITER` line, or a client command such as `\g`.
pub fn split_mysql_with(body: &str, mode: SqlMode) -> Result<Vec<Statement>, SplitError> {
    let mut lexer = Lexer::new(body, mode);
    let mut out = Vec::new();
    let mut current: Option<Current> = None;
    let mut tracking = true;
    while let Some(token) = lexer.next(current.is_some())? {
        match token.kind {
            Kind::Space | Kind::Comment => {}
            Kind::DelimiterLine => tracking = lexer.delimiter() == b";",
            Kind::Delimiter => {
                if let Some(cur) = current.as_mut()
                    && tracking
                    && cur.continues(&token)
                {
                    continue;
                }
                if let Some(cur) = current.take() {
                    out.push(cur.statement(body));
                }
            }
            _ => {
                let cur = match current.as_mut() {
                    Some(cur) => cur,
                    None => current.insert(Current::begin(body, &token)?),
                };
                cur.end = token.end;
                if tracking && let Some(sig) = sig(body, &token) {
                    cur.blocks.feed(sig, token.line);
                }
            }
        }
    }
    if let Some(cur) = current {
        let text = cur.statement(body);
        if let Some(line) = cur.blocks.unclosed() {
            return Err(SplitError {
                line,
                kind: SplitErrorKind::UnclosedBlock,
            });
        }
        out.push(text);
    }
    Ok(out)
}

/// The statement being read.
struct Current {
    start: usize,
    line: usize,
    end: usize,
    blocks: Blocks,
}

impl Current {
    /// A statement that begins with `first`; none may begin with the word
    /// `DELIMITER`, which is then a client command the client would misread.
    fn begin(body: &str, first: &Token) -> Result<Self, SplitError> {
        if first.kind == Kind::Word && text(body, first).eq_ignore_ascii_case("delimiter") {
            return Err(SplitError {
                line: first.line,
                kind: SplitErrorKind::DelimiterNotAlone,
            });
        }
        Ok(Self {
            start: first.start,
            line: first.line,
            end: first.end,
            blocks: Blocks::default(),
        })
    }

    /// True when the `;` delimiter at `token` falls inside a block, and so
    /// is part of the statement.
    fn continues(&mut self, token: &Token) -> bool {
        self.blocks.feed(Sig::Semicolon, token.line);
        if self.blocks.is_open() {
            self.end = token.end;
        }
        self.blocks.is_open()
    }

    fn statement(&self, body: &str) -> Statement {
        Statement {
            text: body
                .get(self.start..self.end)
                .unwrap_or_default()
                .to_owned(),
            offset: self.start,
            line: self.line,
        }
    }
}

fn text<'a>(body: &'a str, token: &Token) -> &'a str {
    body.get(token.start..token.end).unwrap_or_default()
}

/// The token as the block tracker sees it; version comment markers are
/// transparent to it.
fn sig<'a>(body: &'a str, token: &Token) -> Option<Sig<'a>> {
    match token.kind {
        Kind::Word => Some(Sig::Word(text(body, token))),
        Kind::Quoted => Some(Sig::Literal),
        Kind::Punct => text(body, token).bytes().next().map(Sig::Punct),
        Kind::Delimiter => Some(Sig::Semicolon),
        Kind::Version | Kind::Space | Kind::Comment | Kind::DelimiterLine => None,
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
