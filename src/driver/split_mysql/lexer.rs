//! The `mysql` client's reading of a body, as tokens.
//!
//! Pure. This follows the loop in which the MariaDB and MySQL command-line
//! client reads its input one line at a time (`add_line` in `mysql.cc`),
//! quirks included, so that a file cuts where the client would cut it:
//!
//! - the delimiter is looked for at every byte outside quotes and comments,
//!   even in the middle of a word and inside `/*! ... */`;
//! - `#` and `-- ` (two dashes and a space, tab or line end) comment out the
//!   rest of the line, and so does `--` alone at the start of a statement;
//! - `/* */` does not nest, except that within one line a `/*!` inside it
//!   makes the next `*/` close only that `/*!`;
//! - `/*!` and `/*M!` open version comments, whose content is SQL, so they
//!   are ordinary text here;
//! - `\` escapes the next character in `'` and `"` strings, not in backticks
//!   (and not at all under `NO_BACKSLASH_ESCAPES`, nor in `"` under
//!   `ANSI_QUOTES`); a doubled quote is read as a string closed and opened;
//! - a line whose first word is `DELIMITER`, read while no statement has
//!   begun, is the client's own command and is not sent.

use super::{SplitError, SplitErrorKind, SqlMode};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Spaces, tabs and line ends; a run stops after a `\n`.
    Space,
    /// `# ...` or `-- ...` up to the line end (not included), or `/* ... */`.
    Comment,
    /// ASCII letters, digits, `_`, `$` and every non-ASCII character; `\N`.
    Word,
    /// A quoted string or identifier, quotes included.
    Quoted,
    /// `/*!` or `/*M!` with the version number after it, or a `*/` (its
    /// `*` alone when a `/*` begins at its `/`).
    Version,
    /// Any other character, alone.
    Punct,
    /// The delimiter in force.
    Delimiter,
    /// A `DELIMITER xx` line with its line end; the lexer now uses `xx`.
    DelimiterLine,
}

/// A token: its kind, its bytes in the body and the 0-based line it starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) line: usize,
}

/// Reads a body token by token; the delimiter changes on `DELIMITER` lines.
pub(super) struct Lexer<'a> {
    body: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    mode: SqlMode,
    delimiter: Vec<u8>,
    /// The client's flag for "inside `/*!`": set by `/*!`, cleared by `*/`
    /// and at every line end; while set, `*/` does not close a `/* */`.
    in_version: bool,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(body: &'a str, mode: SqlMode) -> Self {
        Self {
            body,
            bytes: body.as_bytes(),
            pos: 0,
            line: 0,
            mode,
            delimiter: b";".to_vec(),
            in_version: false,
        }
    }

    /// The delimiter in force.
    pub(super) fn delimiter(&self) -> &[u8] {
        &self.delimiter
    }

    /// The next token, or `None` at the end of the body. `pending` says
    /// whether a statement has begun (the client reads `DELIMITER` lines and
    /// a bare `--` differently then).
    ///
    /// # Errors
    /// An unclosed quote or comment, a bad `DELIMITER` line, or a client
    /// command such as `\g`.
    pub(super) fn next(&mut self, pending: bool) -> Result<Option<Token>, SplitError> {
        if self.pos >= self.bytes.len() {
            return Ok(None);
        }
        let (start, line) = (self.pos, self.line);
        let kind = self.scan(pending)?;
        Ok(Some(Token {
            kind,
            start,
            end: self.pos,
            line,
        }))
    }

    fn scan(&mut self, pending: bool) -> Result<Kind, SplitError> {
        if !pending && self.at_line_start() && self.delimiter_line()? {
            return Ok(Kind::DelimiterLine);
        }
        let b = self.peek(0).unwrap_or(b' ');
        if b == b'\\' {
            return self.backslash();
        }
        if self.is_delimiter_at(self.pos) {
            self.advance(self.delimiter.len());
            return Ok(Kind::Delimiter);
        }
        if is_space(b) {
            self.space();
            return Ok(Kind::Space);
        }
        if b == b'#'
            || (b == b'-' && self.peek(1) == Some(b'-') && (!pending || self.ends_dashes()))
        {
            self.skip_to_line_end();
            return Ok(Kind::Comment);
        }
        if b == b'/' && self.peek(1) == Some(b'*') {
            if let Some(len) = self.version_opener() {
                return Ok(self.version_open(len));
            }
            self.block_comment()?;
            return Ok(Kind::Comment);
        }
        if b == b'*' && self.peek(1) == Some(b'/') {
            self.in_version = false;
            // In `*/*` the client reads `*`, then `/*` opens a comment.
            let whole = self.peek(2) != Some(b'*') && !self.is_delimiter_at(self.pos + 1);
            self.advance(if whole { 2 } else { 1 });
            return Ok(Kind::Version);
        }
        if matches!(b, b'\'' | b'"' | b'`') {
            self.quoted(b)?;
            return Ok(Kind::Quoted);
        }
        if is_word(b) {
            self.word();
            return Ok(Kind::Word);
        }
        self.advance(1);
        Ok(Kind::Punct)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn advance(&mut self, n: usize) {
        let end = (self.pos + n).min(self.bytes.len());
        for &b in &self.bytes[self.pos..end] {
            if b == b'\n' {
                self.line += 1;
                self.in_version = false;
            }
        }
        self.pos = end;
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.bytes.get(self.pos - 1) == Some(&b'\n')
    }

    fn is_delimiter_at(&self, at: usize) -> bool {
        self.bytes
            .get(at..)
            .is_some_and(|rest| rest.starts_with(&self.delimiter))
    }

    fn error(&self, line: usize, kind: SplitErrorKind) -> SplitError {
        SplitError { line, kind }
    }

    /// `--` followed by a space, a control character of the client's
    /// whitespace class, or the end of the line or body.
    fn ends_dashes(&self) -> bool {
        self.peek(2).is_none_or(is_space)
    }

    fn space(&mut self) {
        while let Some(b) = self.peek(0) {
            if !is_space(b) || self.is_delimiter_at(self.pos) {
                break;
            }
            self.advance(1);
            if b == b'\n' {
                break;
            }
        }
    }

    fn skip_to_line_end(&mut self) {
        while self.peek(0).is_some_and(|b| b != b'\n') {
            self.advance(1);
        }
    }

    fn word(&mut self) {
        self.advance(1);
        while self.peek(0).is_some_and(is_word) && !self.is_delimiter_at(self.pos) {
            self.advance(1);
        }
    }

    /// Outside quotes, the client takes `\x` as its command `x` (`\g` sends
    /// the statement, `\c` clears it...), except `\N`, SQL's short NULL.
    fn backslash(&mut self) -> Result<Kind, SplitError> {
        let next = self
            .body
            .get(self.pos + 1..)
            .and_then(|rest| rest.chars().next());
        if next == Some('N') {
            self.advance(2);
            return Ok(Kind::Word);
        }
        let command = next.filter(|c| !c.is_whitespace());
        Err(self.error(self.line, SplitErrorKind::ClientCommand { command }))
    }

    /// The length of a version comment opener at `pos` (`/*!` or `/*M!` and
    /// up to six digits), unless the delimiter starts inside it.
    fn version_opener(&self) -> Option<usize> {
        let mut len = match (self.peek(2), self.peek(3)) {
            (Some(b'!'), _) => 3,
            (Some(b'M'), Some(b'!')) => 4,
            _ => return None,
        };
        while len < 10 && self.peek(len).is_some_and(|b| b.is_ascii_digit()) {
            len += 1;
        }
        Some(len)
    }

    fn version_open(&mut self, len: usize) -> Kind {
        // Only `/*!` sets the client's flag, `/*M!` does not.
        if self.peek(2) == Some(b'!') {
            self.in_version = true;
        }
        if (self.pos + 1..self.pos + len).any(|at| self.is_delimiter_at(at)) {
            self.advance(1);
            return Kind::Punct;
        }
        self.advance(len);
        Kind::Version
    }

    /// A `/* */` comment, read as the client reads it: a `/*` inside
    /// is skipped whole (so `/*/` does not close), and while a `/*!` seen
    /// inside is open on the same line, `*/` closes that first.
    fn block_comment(&mut self) -> Result<(), SplitError> {
        let opened = self.line;
        self.advance(2);
        loop {
            match (self.peek(0), self.peek(1)) {
                (None, _) => return Err(self.error(opened, SplitErrorKind::UnterminatedComment)),
                (Some(b'/'), Some(b'*')) => match self.peek(2) {
                    Some(b'!') => {
                        self.in_version = true;
                        self.advance(1);
                    }
                    Some(b'M') if self.peek(3) == Some(b'!') => self.advance(1),
                    _ => self.advance(2),
                },
                (Some(b'*'), Some(b'/')) if !self.in_version => {
                    self.advance(2);
                    return Ok(());
                }
                (Some(b'*'), Some(b'/')) => {
                    self.in_version = false;
                    self.advance(1);
                }
                _ => self.advance(1),
            }
        }
    }

    fn quoted(&mut self, quote: u8) -> Result<(), SplitError> {
        let opened = self.line;
        let escapes = !self.mode.no_backslash_escapes
            && quote != b'`'
            && !(quote == b'"' && self.mode.ansi_quotes);
        self.advance(1);
        loop {
            match self.peek(0) {
                None => {
                    let kind = SplitErrorKind::UnterminatedQuote {
                        quote: char::from(quote),
                    };
                    return Err(self.error(opened, kind));
                }
                Some(b'\\') if escapes => self.advance(2),
                Some(b) if b == quote => {
                    self.advance(1);
                    return Ok(());
                }
                Some(_) => self.advance(1),
            }
        }
    }

    /// Reads a `DELIMITER xx` line at `pos`, if the line is one; the client
    /// compares the first word case-insensitively and takes the argument
    /// as its `get_arg` does: quoted (a doubled quote stands for one), or
    /// up to the next space.
    fn delimiter_line(&mut self) -> Result<bool, SplitError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let line_len = rest.iter().position(|&b| b == b'\n');
        let text = &rest[..line_len.unwrap_or(rest.len())];
        let text = trim_start(text);
        let word_len = text.iter().position(|&b| is_space(b)).unwrap_or(text.len());
        if !text[..word_len].eq_ignore_ascii_case(b"delimiter") {
            return Ok(false);
        }
        let delimiter =
            delimiter_argument(&text[word_len..]).map_err(|kind| self.error(self.line, kind))?;
        self.delimiter = delimiter;
        self.advance(line_len.map_or(rest.len(), |n| n + 1));
        Ok(true)
    }
}

/// The new delimiter on a `DELIMITER` line, from what follows the word.
fn delimiter_argument(after_word: &[u8]) -> Result<Vec<u8>, SplitErrorKind> {
    let arg = trim_start(after_word);
    let value = match arg.first() {
        Some(&q) if matches!(q, b'\'' | b'"' | b'`') => {
            let mut value = Vec::new();
            let mut i = 1;
            loop {
                match (arg.get(i), arg.get(i + 1)) {
                    (None, _) => return Err(SplitErrorKind::DelimiterMissing),
                    (Some(&a), Some(&b)) if a == q && b == q => {
                        value.push(q);
                        i += 2;
                    }
                    (Some(&a), _) if a == q => break,
                    (Some(&a), _) => {
                        value.push(a);
                        i += 1;
                    }
                }
            }
            value
        }
        _ => arg.iter().copied().take_while(|&b| !is_space(b)).collect(),
    };
    if value.is_empty() {
        return Err(SplitErrorKind::DelimiterMissing);
    }
    if value.contains(&b'\\') {
        return Err(SplitErrorKind::DelimiterBackslash);
    }
    Ok(value)
}

fn trim_start(text: &[u8]) -> &[u8] {
    let skip = text.iter().take_while(|&&b| is_space(b)).count();
    &text[skip..]
}

/// The client's whitespace: space, tab, line feed, vertical tab, form feed
/// and carriage return.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}
