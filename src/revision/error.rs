//! Pure: why a revision file could not be parsed ([`ParseError`]), with the
//! file and line it happened on. Rendering beyond `Display` is `render`'s job.

use std::fmt;
use std::path::PathBuf;

use super::IdError;

/// A problem and its 1-based line (0 = whole file), before the path is attached.
pub(crate) type Located = (usize, ParseErrorKind);

/// A revision file that could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The file, as shown to users.
    pub path: PathBuf,
    /// 1-based line of the problem; 0 when it concerns the whole file.
    pub line: usize,
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.kind)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.kind)
        }
    }
}

/// Which directive an id (or a list of ids) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdDirective {
    Revision,
    Parents,
    DependsOn,
}

impl fmt::Display for IdDirective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Revision => "revision",
            Self::Parents => "parents",
            Self::DependsOn => "depends-on",
        })
    }
}

/// What is wrong with a revision file. Quoted file text is truncated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("the file is not valid UTF-8; save it with UTF-8 encoding")]
    InvalidUtf8,
    #[error(
        "the file is empty; a revision needs a `-- migrate:revision ID` header and a `-- migrate:up` section"
    )]
    Empty,
    #[error(
        "there is no `-- migrate:up` line; add `-- migrate:up` after the header, before the SQL"
    )]
    MissingUp,
    #[error("`-- migrate:up` appears a second time (first on line {first_line}); keep only one")]
    UpTwice { first_line: usize },
    #[error("`-- migrate:down` appears a second time (first on line {first_line}); keep only one")]
    DownTwice { first_line: usize },
    #[error(
        "`-- migrate:down` comes before `-- migrate:up`; put the down section after the up section"
    )]
    DownBeforeUp,
    #[error(
        "unknown directive `-- migrate:{name}`; known directives are revision, parents, message, created, labels, depends-on, transaction, up and down"
    )]
    UnknownDirective { name: String },
    #[error(
        "`{text}` is not a `-- migrate:` directive, and the header may hold only those; move SQL and comments below `-- migrate:up`"
    )]
    NotADirective { text: String },
    #[error("`-- migrate:{name}` belongs in the header; move it above `-- migrate:up`")]
    HeaderDirectiveInBody { name: String },
    #[error(
        "`-- migrate:{name}` appears a second time (first on line {first_line}); keep only one"
    )]
    DuplicateDirective { name: String, first_line: usize },
    #[error("nothing may follow `-- migrate:{name}` on its line; move `{text}` to the next line")]
    TextAfterSectionMarker { name: String, text: String },
    #[error("there is no `-- migrate:revision` line; add `-- migrate:revision ID` to the header")]
    MissingRevision,
    #[error("bad id in `-- migrate:{directive}`: {reason}")]
    InvalidId {
        directive: IdDirective,
        reason: IdError,
    },
    #[error(
        "`{text}` in `-- migrate:created` is not an RFC 3339 time; write it like `2025-11-01T09:30:00Z`"
    )]
    BadCreated { text: String },
    #[error("`-- migrate:transaction` takes `off` or `on`, not `{value}`")]
    BadTransaction { value: String },
    #[error(
        "label `{label}` is not valid; labels are 1 to 64 letters, digits, `_`, `.` or `-`, separated by spaces or commas"
    )]
    BadLabel { label: String },
    #[error("label `{label}` is listed twice; remove one")]
    DuplicateLabel { label: String },
    #[error("revision `{id}` lists itself in `-- migrate:{directive}`; remove it")]
    SelfReference { directive: IdDirective, id: String },
    #[error("`{id}` is listed twice in `-- migrate:{directive}`; remove one")]
    DuplicateReference { directive: IdDirective, id: String },
}

/// At most this many characters of file text are quoted in a message.
const QUOTE_CHARS: usize = 60;

/// `text` cut to [`QUOTE_CHARS`] characters (with `…` when cut), for messages.
pub(crate) fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(QUOTE_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}
