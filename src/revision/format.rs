//! Pure: writes a new revision file in the canonical layout of SPEC §2, the
//! inverse of [`parse`](super::parse::parse) for everything `new` and `merge`
//! write. No file, env, clock or database access (the caller passes the time).

use time::{OffsetDateTime, UtcOffset};

use super::RevisionId;

/// The `up` body `new` writes until the user fills it in.
pub const UP_PLACEHOLDER: &str = "-- write the forward SQL here\n";
/// The `down` body `new` writes until the user fills it in.
pub const DOWN_PLACEHOLDER: &str = "-- write the SQL that reverts it here\n";

/// Everything a new revision file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRevision {
    pub id: RevisionId,
    pub parents: Vec<RevisionId>,
    /// Flattened to one line when written.
    pub message: String,
    /// RFC 3339 text, e.g. from [`created_text`]; `None` writes no `created`.
    pub created: Option<String>,
    /// Branch labels; each must be `[A-Za-z0-9_.-]{1,64}` (see
    /// [`is_valid_label`](super::parse::is_valid_label)) or the file won't parse.
    pub labels: Vec<String>,
    pub depends_on: Vec<RevisionId>,
    /// False writes `-- migrate:transaction off`.
    pub transactional: bool,
    pub up: String,
    /// `None` writes no `down` section: the revision is irreversible.
    pub down: Option<String>,
}

impl NewRevision {
    /// A revision with placeholder `up` and `down` bodies, as `new` writes it.
    pub fn template(
        id: RevisionId,
        parents: Vec<RevisionId>,
        message: &str,
        created: String,
    ) -> Self {
        Self {
            id,
            parents,
            message: message.to_owned(),
            created: Some(created),
            labels: Vec::new(),
            depends_on: Vec::new(),
            transactional: true,
            up: UP_PLACEHOLDER.to_owned(),
            down: Some(DOWN_PLACEHOLDER.to_owned()),
        }
    }
}

/// The file text for `new`: header, blank line, `-- migrate:up` and its body,
/// then a blank line, `-- migrate:down` and its body when there is one.
///
/// Bodies get a final newline when they lack one; parsing the result gives
/// back every field, with `up` followed by the blank separator line when a
/// `down` section follows (see [`written_up`]).
pub fn format_new(new: &NewRevision) -> String {
    let mut out = String::with_capacity(256 + new.up.len());
    let mut directive = |name: &str, args: &str| {
        out.push_str("-- migrate:");
        out.push_str(name);
        if !args.is_empty() {
            out.push(' ');
            out.push_str(args);
        }
        out.push('\n');
    };
    directive("revision", new.id.as_str());
    if !new.parents.is_empty() {
        directive("parents", &join(&new.parents));
    }
    directive("message", &flatten_message(&new.message));
    if let Some(created) = &new.created {
        directive("created", created.trim());
    }
    if !new.labels.is_empty() {
        directive("labels", &new.labels.join(" "));
    }
    if !new.depends_on.is_empty() {
        directive("depends-on", &join(&new.depends_on));
    }
    if !new.transactional {
        directive("transaction", "off");
    }
    out.push_str("\n-- migrate:up\n");
    out.push_str(&written_up(new));
    if let Some(down) = &new.down {
        out.push_str("-- migrate:down\n");
        push_body(&mut out, down);
    }
    out
}

/// The `up` section as it reads back from [`format_new`]'s file: the body
/// with a final newline, plus the blank line before `-- migrate:down`.
pub fn written_up(new: &NewRevision) -> String {
    let mut up = String::with_capacity(new.up.len() + 2);
    push_body(&mut up, &new.up);
    if new.down.is_some() {
        up.push('\n');
    }
    up
}

/// A message as one line, as the `message` directive holds it: line breaks
/// become spaces, and the ends are trimmed.
pub fn flatten_message(message: &str) -> String {
    message.replace(['\r', '\n'], " ").trim().to_owned()
}

/// `at` as `created` text in UTC to the second, e.g. `2025-11-01T09:30:00Z`.
pub fn created_text(at: OffsetDateTime) -> String {
    let at = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn join(ids: &[RevisionId]) -> String {
    let ids: Vec<&str> = ids.iter().map(RevisionId::as_str).collect();
    ids.join(" ")
}

fn push_body(out: &mut String, body: &str) {
    out.push_str(body);
    if !body.is_empty() && !body.ends_with('\n') {
        out.push('\n');
    }
}
