//! Pure: writes a new revision file in the canonical layout of docs/reference.md, "Revision files", the
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
    /// [`is_valid_label`](super::is_valid_label)) or the file won't parse.
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
    let mut out = format_header(new);
    out.push_str("\n-- migrate:up\n");
    out.push_str(&written_up(new));
    if let Some(down) = &new.down {
        out.push_str("-- migrate:down\n");
        push_body(&mut out, down);
    }
    out
}

/// The header of [`format_new`]'s file: its `-- migrate:` directive lines,
/// each ending in a newline, and nothing else.
pub fn format_header(new: &NewRevision) -> String {
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

/// The file name of a revision: `3f1c2a9d4b70_add_positions_notes.sql`, the
/// id and a slug of the message (lower-case letters and digits, `_` between
/// words, at most about 40 characters), or `<id>.sql` for an empty message.
pub fn file_name(id: &RevisionId, message: &str) -> String {
    let mut slug = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') && !slug.is_empty() {
            slug.push('_');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('_');
    if slug.is_empty() {
        format!("{id}.sql")
    } else {
        format!("{id}_{slug}.sql")
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::revision::parse::{checksum, parse};

    fn id(s: &str) -> RevisionId {
        RevisionId::new(s).unwrap()
    }

    #[test]
    fn template_is_the_spec_layout() {
        let new = NewRevision::template(
            id("9b0768a49ad8"),
            vec![id("ce3dd9222427")],
            "add multi-portfolio support",
            "2025-11-01T09:30:00Z".to_owned(),
        );
        assert_eq!(
            format_new(&new),
            "-- migrate:revision 9b0768a49ad8\n\
             -- migrate:parents ce3dd9222427\n\
             -- migrate:message add multi-portfolio support\n\
             -- migrate:created 2025-11-01T09:30:00Z\n\
             \n\
             -- migrate:up\n\
             -- write the forward SQL here\n\
             \n\
             -- migrate:down\n\
             -- write the SQL that reverts it here\n"
        );
    }

    #[test]
    fn optional_directives_and_irreversible_revision() {
        let new = NewRevision {
            id: id("m1"),
            parents: vec![id("a1"), id("b2")],
            message: "merge\r\nheads ".to_owned(),
            created: None,
            labels: vec!["core".to_owned(), "v2".to_owned()],
            depends_on: vec![id("d1")],
            transactional: false,
            up: "CREATE INDEX CONCURRENTLY i ON t (x);".to_owned(),
            down: None,
        };
        assert_eq!(
            format_new(&new),
            "-- migrate:revision m1\n\
             -- migrate:parents a1 b2\n\
             -- migrate:message merge  heads\n\
             -- migrate:labels core v2\n\
             -- migrate:depends-on d1\n\
             -- migrate:transaction off\n\
             \n\
             -- migrate:up\n\
             CREATE INDEX CONCURRENTLY i ON t (x);\n"
        );
    }

    #[test]
    fn base_revision_writes_no_parents_line_and_parses_as_base() {
        let new = NewRevision::template(id("b1"), Vec::new(), "", "2025-01-01T00:00:00Z".into());
        let text = format_new(&new);
        assert!(!text.contains("parents"), "{text}");
        let (r, _) = parse(Path::new("b1.sql"), text.as_bytes()).unwrap();
        assert!(r.parents.is_empty());
        assert_eq!(r.message, "");
    }

    #[test]
    fn file_names_are_slugs_of_the_message() {
        let id = id("3f1c2a9d4b70");
        assert_eq!(
            file_name(&id, "Add positions.notes!"),
            "3f1c2a9d4b70_add_positions_notes.sql"
        );
        assert_eq!(file_name(&id, "   "), "3f1c2a9d4b70.sql");
        assert!(file_name(&id, &"x".repeat(200)).len() < 60);
    }

    #[test]
    fn the_header_is_the_file_up_to_its_blank_line() {
        let new =
            NewRevision::template(id("h1"), vec![id("p1")], "m", "2025-01-01T00:00:00Z".into());
        let header = format_header(&new);
        assert!(format_new(&new).starts_with(&format!("{header}\n-- migrate:up\n")));
        assert!(
            header.lines().all(|l| l.starts_with("-- migrate:")),
            "{header}"
        );
    }

    #[test]
    fn created_text_is_utc_to_the_second() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_761_989_400_123_456_789)
            .unwrap()
            .to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(created_text(at), "2025-11-01T09:30:00Z");
    }

    fn id_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_]{1,12}".prop_filter("reserved", |s| RevisionId::new(s).is_ok())
    }

    /// SQL-ish text that holds no directive line (those would end the body).
    fn body_strategy() -> impl Strategy<Value = String> {
        "[a-z0-9 ;:'$()\\-\r\n\t]{0,80}".prop_filter("directive line", |s| {
            !s.lines().any(|l| {
                l.trim_start()
                    .trim_start_matches('-')
                    .trim_start()
                    .starts_with("migrate:")
            })
        })
    }

    prop_compose! {
        fn new_revision()(
            own in id_strategy(),
            parents in prop::collection::btree_set(id_strategy(), 0..4),
            depends_on in prop::collection::btree_set(id_strategy(), 0..3),
            labels in prop::collection::btree_set("[A-Za-z0-9_.-]{1,10}", 0..3),
            message in "\\PC{0,40}(\n\\PC{0,10})?",
            seconds in 0i64..4_000_000_000,
            has_created in any::<bool>(),
            transactional in any::<bool>(),
            up in body_strategy(),
            down in prop::option::of(body_strategy()),
        ) -> NewRevision {
            let others = |set: BTreeSet<String>| -> Vec<RevisionId> {
                set.into_iter().filter(|p| *p != own).map(|p| id(&p)).collect()
            };
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            NewRevision {
                parents: others(parents),
                depends_on: others(depends_on),
                id: id(&own),
                labels: labels.into_iter().collect(),
                message,
                created: has_created.then(|| created_text(at)),
                transactional,
                up,
                down,
            }
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(new in new_revision()) {
            let text = format_new(&new);
            let (r, sql) = parse(Path::new("x.sql"), text.as_bytes())
                .unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
            prop_assert_eq!(&r.id, &new.id);
            prop_assert_eq!(&r.parents[..], &new.parents[..]);
            prop_assert_eq!(&r.depends_on[..], &new.depends_on[..]);
            prop_assert_eq!(&r.labels[..], &new.labels[..]);
            prop_assert_eq!(r.message, flatten_message(&new.message));
            prop_assert_eq!(r.created.map(|c| c.text.into_string()), new.created.clone());
            prop_assert_eq!(r.transactional, new.transactional);
            // Bodies come back with a final newline, and `up` with the
            // blank line that separates it from `-- migrate:down`.
            let with_newline = |body: &str| {
                if body.is_empty() || body.ends_with('\n') {
                    body.to_owned()
                } else {
                    format!("{body}\n")
                }
            };
            let separator = if new.down.is_some() { "\n" } else { "" };
            let up = with_newline(&new.up) + separator;
            prop_assert_eq!(&up, &written_up(&new));
            prop_assert_eq!(&r.checksum, &checksum(&up));
            prop_assert_eq!(&*sql.up, up);
            prop_assert_eq!(sql.down.map(String::from), new.down.as_deref().map(with_newline));
            prop_assert_eq!(r.reversible, new.down.is_some());
        }
    }
}
