//! Pure: `-- migrate:` directive lines (docs/reference.md, "Revision files"): recognising them, their
//! names, and the header values they carry, validated. No I/O.

use std::collections::HashSet;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::{IdDirective, Located, ParseErrorKind, quote};
use super::{Created, RevisionId};

/// Splits a directive line into its name and trimmed arguments; `None` when
/// the line is not a directive. Leading blanks and `--migrate:` (no space,
/// as dbmate allows) are accepted, so an indented or squashed `down` marker
/// can never be mistaken for SQL and run as part of `up`.
pub(super) fn directive(line: &str) -> Option<(&str, &str)> {
    if cannot_be_directive(line) {
        return None;
    }
    split_directive(line)
}

/// Most lines of a body are SQL: turned away on their first byte, without
/// decoding the line (a directive starts with a blank or `-`).
pub(super) fn cannot_be_directive(line: &str) -> bool {
    line.as_bytes().first().is_some_and(|&first| {
        first.is_ascii() && first != b'-' && !char::from(first).is_whitespace()
    })
}

/// [`directive`] by its definition: blanks, `--`, blanks, `migrate:`, the
/// name, then its arguments.
pub(super) fn split_directive(line: &str) -> Option<(&str, &str)> {
    let rest = line
        .trim_start()
        .strip_prefix("--")?
        .trim_start()
        .strip_prefix("migrate:")?;
    let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((name, args.trim()))
}

/// A directive that may only appear in the header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum HeaderName {
    Revision,
    Parents,
    Message,
    Created,
    Labels,
    DependsOn,
    Transaction,
}

impl HeaderName {
    const ALL: [Self; 7] = [
        Self::Revision,
        Self::Parents,
        Self::Message,
        Self::Created,
        Self::Labels,
        Self::DependsOn,
        Self::Transaction,
    ];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Revision => "revision",
            Self::Parents => "parents",
            Self::Message => "message",
            Self::Created => "created",
            Self::Labels => "labels",
            Self::DependsOn => "depends-on",
            Self::Transaction => "transaction",
        }
    }
}

pub(super) enum Name {
    Header(HeaderName),
    Up,
    Down,
}

pub(super) fn classify(name: &str) -> Result<Name, ParseErrorKind> {
    match name {
        "up" => Ok(Name::Up),
        "down" => Ok(Name::Down),
        _ => HeaderName::ALL
            .into_iter()
            .find(|h| h.as_str() == name)
            .map(Name::Header)
            .ok_or_else(|| ParseErrorKind::UnknownDirective { name: quote(name) }),
    }
}

/// The header as read so far; `seen` holds the line of each directive (0 = absent).
pub(super) struct HeaderDraft {
    seen: [usize; 7],
    revision: Option<RevisionId>,
    parents: Vec<RevisionId>,
    depends_on: Vec<RevisionId>,
    labels: Vec<String>,
    message: String,
    created: Option<Created>,
    transactional: bool,
}

/// The validated header.
pub(super) struct Header {
    pub(super) revision: RevisionId,
    pub(super) parents: Vec<RevisionId>,
    pub(super) depends_on: Vec<RevisionId>,
    pub(super) labels: Vec<String>,
    pub(super) message: String,
    pub(super) created: Option<Created>,
    pub(super) transactional: bool,
}

impl HeaderDraft {
    pub(super) fn new() -> Self {
        Self {
            seen: [0; 7],
            revision: None,
            parents: Vec::new(),
            depends_on: Vec::new(),
            labels: Vec::new(),
            message: String::new(),
            created: None,
            transactional: true,
        }
    }

    pub(super) fn apply(
        &mut self,
        name: HeaderName,
        args: &str,
        line: usize,
    ) -> Result<(), ParseErrorKind> {
        let slot = &mut self.seen[name as usize];
        if *slot != 0 {
            return Err(ParseErrorKind::DuplicateDirective {
                name: name.as_str().to_owned(),
                first_line: *slot,
            });
        }
        *slot = line;
        match name {
            HeaderName::Revision => {
                let id = RevisionId::new(args).map_err(|reason| ParseErrorKind::InvalidId {
                    directive: IdDirective::Revision,
                    reason,
                })?;
                self.revision = Some(id);
            }
            HeaderName::Parents => self.parents = id_list(args, IdDirective::Parents)?,
            HeaderName::DependsOn => self.depends_on = id_list(args, IdDirective::DependsOn)?,
            HeaderName::Labels => self.labels = label_list(args)?,
            HeaderName::Message => args.clone_into(&mut self.message),
            HeaderName::Created => self.created = Some(parse_created(args)?),
            HeaderName::Transaction => {
                self.transactional = match args {
                    "on" => true,
                    "off" => false,
                    _ => return Err(ParseErrorKind::BadTransaction { value: quote(args) }),
                };
            }
        }
        Ok(())
    }

    /// Checks what needs the whole header: a revision id, no self-reference.
    pub(super) fn finish(self) -> Result<Header, Located> {
        let Some(revision) = self.revision else {
            // Line 1: the header is where it must be added.
            return Err((1, ParseErrorKind::MissingRevision));
        };
        for (list, directive, name) in [
            (&self.parents, IdDirective::Parents, HeaderName::Parents),
            (
                &self.depends_on,
                IdDirective::DependsOn,
                HeaderName::DependsOn,
            ),
        ] {
            if list.contains(&revision) {
                let kind = ParseErrorKind::SelfReference {
                    directive,
                    id: revision.to_string(),
                };
                return Err((self.seen[name as usize], kind));
            }
        }
        Ok(Header {
            revision,
            parents: self.parents,
            depends_on: self.depends_on,
            labels: self.labels,
            message: self.message,
            created: self.created,
            transactional: self.transactional,
        })
    }
}

/// Items of a list directive: separated by blanks and/or commas.
fn list_items(args: &str) -> impl Iterator<Item = &str> {
    args.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
}

fn id_list(args: &str, directive: IdDirective) -> Result<Vec<RevisionId>, ParseErrorKind> {
    // Sized exactly: tens of thousands of revisions each hold a list of one.
    let mut ids = Vec::with_capacity(list_items(args).count());
    let mut seen = Seen::default();
    for item in list_items(args) {
        let id = RevisionId::new(item)
            .map_err(|reason| ParseErrorKind::InvalidId { directive, reason })?;
        if !seen.insert(item) {
            return Err(ParseErrorKind::DuplicateReference {
                directive,
                id: item.to_owned(),
            });
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Items of one list seen so far. A list is almost always one or two
/// items, compared in place; a long one (a hostile file) is hashed, so
/// parsing stays linear.
#[derive(Default)]
struct Seen<'a> {
    few: [&'a str; 8],
    count: usize,
    many: HashSet<&'a str>,
}

impl<'a> Seen<'a> {
    /// False when `item` was seen before.
    fn insert(&mut self, item: &'a str) -> bool {
        if self.count < self.few.len() {
            if self.few[..self.count].contains(&item) {
                return false;
            }
            self.few[self.count] = item;
            self.count += 1;
            return true;
        }
        if self.many.is_empty() {
            self.many.extend(self.few);
        }
        self.many.insert(item)
    }
}

/// True for a valid branch label: `[A-Za-z0-9_.-]{1,64}`.
pub fn is_valid_label(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn label_list(args: &str) -> Result<Vec<String>, ParseErrorKind> {
    let mut seen = Seen::default();
    let mut labels = Vec::new();
    for item in list_items(args) {
        if !is_valid_label(item) {
            return Err(ParseErrorKind::BadLabel { label: quote(item) });
        }
        if !seen.insert(item) {
            return Err(ParseErrorKind::DuplicateLabel {
                label: item.to_owned(),
            });
        }
        labels.push(item.to_owned());
    }
    Ok(labels)
}

fn parse_created(text: &str) -> Result<Created, ParseErrorKind> {
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| ParseErrorKind::BadCreated { text: quote(text) })?;
    Ok(Created {
        unix_seconds: at.unix_timestamp(),
        nanosecond: at.nanosecond(),
        text: text.into(),
    })
}
