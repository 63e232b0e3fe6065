//! Which `;` of a statement belong to a `BEGIN ... END` body (see [`super`]).
//!
//! Pure. Fed the tokens of one statement while the delimiter is `;`, this
//! counts the open `BEGIN` blocks, so that the body of a `CREATE PROCEDURE`,
//! `FUNCTION`, `TRIGGER` or `EVENT` (or a MariaDB `BEGIN NOT ATOMIC`
//! block) written without `DELIMITER` lines is sent whole. `BEGIN` and
//! `END` are not reserved words, so a column may be called `begin` or
//! `end`; their neighbours tell them apart:
//!
//! - `BEGIN` opens a block when what follows can start a block's content
//!   (`DECLARE`, `SELECT`, `END`, `NOT ATOMIC`, a label `name:` ...), so
//!   never in `BEGIN;`, `BEGIN WORK`, `XA BEGIN 'xid'`, `SELECT begin FROM`,
//!   nor after `.`, `INTO`, `UPDATE`... (a name); at the top level only as
//!   the statement's first word (after an optional label), otherwise only
//!   in a routine;
//! - `END` closes a block only right after a `;` or the block's `BEGIN`,
//!   since every statement in a block ends with `;`: the `END` of a `CASE`
//!   expression follows a value, and a column `end` follows `SET`, `,`...;
//! - `END IF`, `END LOOP`, `END WHILE`, `END REPEAT`, `END FOR` and
//!   `END CASE` close statements whose openers are not counted (and undo
//!   a `BEGIN` just before them: `UNTIL begin END REPEAT`).

/// A token as the tracker sees it (version comment markers are left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sig<'a> {
    Word(&'a str),
    Punct(u8),
    /// A quoted string or identifier.
    Literal,
    /// The delimiter `;`.
    Semicolon,
}

/// Words that can follow the `BEGIN` of a block: the first words of the
/// statements allowed in a compound body, except `DO` (`WHILE begin DO`
/// reads a variable named `begin`) and `NOT`, which must be `NOT ATOMIC`.
const BLOCK_STARTS: &[&str] = &[
    "ALTER",
    "ANALYZE",
    "BEGIN",
    "CALL",
    "CASE",
    "CLOSE",
    "COMMIT",
    "CREATE",
    "DEALLOCATE",
    "DECLARE",
    "DELETE",
    "DROP",
    "END",
    "EXECUTE",
    "EXPLAIN",
    "FETCH",
    "FLUSH",
    "GET",
    "GRANT",
    "HANDLER",
    "IF",
    "INSERT",
    "ITERATE",
    "KILL",
    "LEAVE",
    "LOAD",
    "LOCK",
    "LOOP",
    "OPEN",
    "OPTIMIZE",
    "PREPARE",
    "RELEASE",
    "RENAME",
    "REPAIR",
    "REPEAT",
    "REPLACE",
    "RESIGNAL",
    "RETURN",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SHOW",
    "SIGNAL",
    "START",
    "TRUNCATE",
    "UNLOCK",
    "UPDATE",
    "VALUES",
    "WHILE",
];

/// Words after `END` that close a statement whose opener is not counted.
const UNCOUNTED_ENDS: &[&str] = &["IF", "LOOP", "WHILE", "REPEAT", "FOR", "CASE"];

/// Words followed by a table's name, never by a block (`UPDATE begin SET`).
const NAME_BEFORE: &[&str] = &["FROM", "INTO", "JOIN", "TABLE", "UPDATE", "XA"];

const ROUTINES: &[&str] = &["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"];

/// How far the statement's first words have been read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Head {
    /// Nothing yet, or only a label.
    #[default]
    Start,
    /// One word that may be a label.
    FirstWord,
    /// `CREATE [OR REPLACE] [AGGREGATE]`.
    AfterCreate,
    /// In `DEFINER = user`, this many tokens in.
    Definer(u8),
    /// A `CREATE PROCEDURE`, `FUNCTION`, `TRIGGER` or `EVENT`.
    Routine,
    /// Anything else.
    Other,
}

/// What the previous token says about an `END` or `BEGIN` after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Prev {
    #[default]
    Other,
    Semicolon,
    Begin,
    /// A `.`, `INTO`, `FROM`...: the next word is a name.
    Name,
}

/// A `BEGIN` or `END` whose meaning depends on the next token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Pending {
    #[default]
    Nothing,
    /// A `BEGIN` on this line.
    Begin(usize),
    /// `BEGIN word`: a block if `:` follows (a labelled statement).
    BeginWord(usize),
    /// `BEGIN NOT`: a block if `ATOMIC` follows.
    BeginNot(usize),
    /// An `END` that closes the innermost block unless `IF`, `LOOP`...
    /// follows; true when it came right after the `BEGIN` it would close.
    End(bool),
}

/// The blocks open in one statement.
#[derive(Debug, Default)]
pub(super) struct Blocks {
    head: Head,
    depth: usize,
    prev: Prev,
    pending: Pending,
    /// The 0-based line of the outermost open `BEGIN`.
    opened_on: usize,
}

impl Blocks {
    /// Takes the next token of the statement, which starts on `line`.
    pub(super) fn feed(&mut self, sig: Sig<'_>, line: usize) {
        if !self.resolve(sig) {
            self.step(sig, line);
        }
        self.prev = classify(sig);
    }

    /// True while a block is open: a `;` now belongs to the statement.
    pub(super) fn is_open(&self) -> bool {
        self.depth > 0
    }

    /// At the end of the body: the line of a `BEGIN` never closed.
    pub(super) fn unclosed(mut self) -> Option<usize> {
        self.resolve(Sig::Semicolon);
        self.is_open().then_some(self.opened_on)
    }

    /// Settles a pending `BEGIN` or `END` now that `next` follows it; true
    /// when `next` was the second word of an `END IF`, `END CASE`...
    fn resolve(&mut self, next: Sig<'_>) -> bool {
        match std::mem::take(&mut self.pending) {
            Pending::Nothing => false,
            Pending::Begin(line) => {
                match next {
                    Sig::Word(w) if is_any(w, BLOCK_STARTS) => self.open(line),
                    Sig::Word(w) if is(w, "NOT") => self.pending = Pending::BeginNot(line),
                    Sig::Word(_) => self.pending = Pending::BeginWord(line),
                    _ => {}
                }
                false
            }
            Pending::BeginWord(line) => {
                if next == Sig::Punct(b':') {
                    self.open(line);
                }
                false
            }
            Pending::BeginNot(line) => {
                if matches!(next, Sig::Word(w) if is(w, "ATOMIC")) {
                    self.open(line);
                }
                false
            }
            Pending::End(after_begin) => {
                let pair = matches!(next, Sig::Word(w) if is_any(w, UNCOUNTED_ENDS));
                // `UNTIL begin END REPEAT`: that `begin` was a variable.
                if !pair || after_begin {
                    self.depth = self.depth.saturating_sub(1);
                }
                pair
            }
        }
    }

    fn step(&mut self, sig: Sig<'_>, line: usize) {
        if let Sig::Word(w) = sig
            && self.prev != Prev::Name
        {
            if is(w, "BEGIN")
                && (self.is_open() || matches!(self.head, Head::Start | Head::Routine))
            {
                self.pending = Pending::Begin(line);
            } else if is(w, "END")
                && self.is_open()
                && matches!(self.prev, Prev::Semicolon | Prev::Begin)
            {
                self.pending = Pending::End(self.prev == Prev::Begin);
            }
        }
        self.head = next_head(self.head, sig);
    }

    fn open(&mut self, line: usize) {
        if self.depth == 0 {
            self.opened_on = line;
        }
        self.depth += 1;
    }
}

fn next_head(head: Head, sig: Sig<'_>) -> Head {
    let word = match sig {
        Sig::Word(w) => Some(w),
        _ => None,
    };
    match head {
        Head::Start => match word {
            Some(w) if is(w, "CREATE") => Head::AfterCreate,
            Some(w) if is(w, "BEGIN") => Head::Other,
            Some(_) => Head::FirstWord,
            None => Head::Other,
        },
        Head::FirstWord if sig == Sig::Punct(b':') => Head::Start,
        Head::AfterCreate | Head::Definer(_) if word.is_some_and(|w| is_any(w, ROUTINES)) => {
            Head::Routine
        }
        Head::AfterCreate | Head::Definer(_) if word.is_some_and(|w| is(w, "AGGREGATE")) => {
            Head::AfterCreate
        }
        Head::AfterCreate if word.is_some_and(|w| is(w, "OR") || is(w, "REPLACE")) => {
            Head::AfterCreate
        }
        Head::AfterCreate if word.is_some_and(|w| is(w, "DEFINER")) => Head::Definer(0),
        // `DEFINER = 'user'@'host'` and its other spellings are a few tokens.
        Head::Definer(n) if n < 8 => Head::Definer(n + 1),
        Head::Routine => Head::Routine,
        _ => Head::Other,
    }
}

fn classify(sig: Sig<'_>) -> Prev {
    match sig {
        Sig::Semicolon => Prev::Semicolon,
        Sig::Punct(b'.') => Prev::Name,
        Sig::Word(w) if is_any(w, NAME_BEFORE) => Prev::Name,
        Sig::Word(w) if is(w, "BEGIN") => Prev::Begin,
        _ => Prev::Other,
    }
}

fn is(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

fn is_any(word: &str, keywords: &[&str]) -> bool {
    keywords.iter().any(|k| is(word, k))
}
