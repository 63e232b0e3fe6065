//! Revisions: the parsed, validated form of one revision file (docs/reference.md, "Revision files").
//!
//! Pure types; `parse` turns bytes into a [`Revision`], `format` writes a new
//! revision file, `load` walks a folder (the only I/O here).

mod checksum;
mod directive;
pub mod error;
pub mod format;
pub mod load;
pub mod parse;
mod reader;
pub mod rewrite;
mod write;

pub use checksum::{Checksum, RecordedChecksum};
pub use directive::is_valid_label;
pub use error::{IdDirective, ParseError, ParseErrorKind};
pub use format::{NewRevision, format_new};
pub use load::{LoadError, LoadedDir, load_dir, read_sql};
pub use parse::{checksum, parse};
pub(crate) use write::write_new;

use std::borrow::Borrow;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

/// Ids that would be mistaken for a target keyword.
const RESERVED_IDS: [&str; 4] = ["head", "heads", "base", "current"];

/// A revision id: `[A-Za-z0-9_]{1,64}`, not a reserved word.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RevisionId(String);

/// Why a string is not a valid [`RevisionId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("revision id is empty")]
    Empty,
    #[error("revision id `{0}` is longer than 64 characters")]
    TooLong(String),
    #[error("revision id `{0}` may only contain letters, digits and `_`")]
    BadCharacter(String),
    #[error("revision id `{0}` is reserved (it is a target keyword)")]
    Reserved(String),
}

impl RevisionId {
    /// Validates `s` as a revision id.
    ///
    /// # Errors
    /// When `s` is empty, too long, has a character outside `[A-Za-z0-9_]`
    /// or is one of `head`, `heads`, `base`, `current`.
    pub fn new(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.len() > 64 {
            return Err(IdError::TooLong(s.chars().take(80).collect()));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(IdError::BadCharacter(s.chars().take(80).collect()));
        }
        if RESERVED_IDS.contains(&s) {
            return Err(IdError::Reserved(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RevisionId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for RevisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for RevisionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RevisionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The `created` timestamp of a revision, as written and as an instant.
///
/// Ordered by instant, so `+02:00` and `Z` times compare correctly.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Created {
    /// Seconds since the Unix epoch, then the nanoseconds within that
    /// second (first, so `Ord` compares instants). Not one `i128`: its
    /// 16-byte alignment padded every revision.
    pub unix_seconds: i64,
    pub nanosecond: u32,
    /// The RFC 3339 text as written in the file.
    pub text: Box<str>,
}

impl Created {
    /// Nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> i128 {
        i128::from(self.unix_seconds) * 1_000_000_000 + i128::from(self.nanosecond)
    }
}

/// One revision file, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub id: RevisionId,
    /// Parent ids in file order: none for a base, several for a merge.
    pub parents: Box<[RevisionId]>,
    /// Revisions that must be applied first without being parents.
    pub depends_on: Box<[RevisionId]>,
    /// Branch labels (`LABEL@head`).
    pub labels: Box<[String]>,
    pub message: String,
    pub created: Option<Created>,
    /// False for `-- migrate:transaction off`.
    pub transactional: bool,
    /// It has a `down` section. The sections themselves are not kept here:
    /// a graph holds every revision, tens of thousands at a time, and a run
    /// needs the SQL of only the few it applies ([`Sql`], read again then).
    pub reversible: bool,
    /// SHA-256 of `up` with `\r\n` normalised to `\n`.
    pub checksum: Checksum,
    /// Where the file is, as shown to users (relative to the config folder when possible).
    pub path: PathBuf,
    /// 1-based line of the first line of the `up` body.
    pub up_line: u32,
    /// 1-based line of the first line of the `down` body.
    pub down_line: Option<u32>,
}

impl Revision {
    /// True when the revision can be reverted (it has a `down` section).
    pub fn is_reversible(&self) -> bool {
        self.reversible
    }
}

/// The SQL sections of a revision file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sql {
    /// The `up` section exactly as written (after the `-- migrate:up` line).
    pub up: Box<str>,
    /// The `down` section; `None` makes the revision irreversible.
    pub down: Option<Box<str>>,
}
