//! The drift report as text a person reads at a glance: one line per
//! object, the objects on a table grouped under it, what differs said in
//! words, then the pending revisions the database already has and the
//! `stamp` command that records them.
//!
//! Pure.

use super::Report;
use super::diff::{AttrDiff, Change, Difference, collapse};
use super::model::Kind;

/// Widest value shown on a line before it is cut.
const VALUE_MAX: usize = 100;

/// How much of a long value is shown on each side of where it differs.
const CONTEXT: usize = 20;

/// The text of one database's report.
pub(crate) fn text(report: &Report) -> String {
    let mut s = String::new();
    let revisions = plural(report.applied, "applied revision");
    let shown = collapse(report.differences.clone());
    if report.ok() {
        s.push_str(&format!(
            "{}: ok, the schema matches its {revisions} ({} compared)\n",
            report.db,
            plural(report.objects, "object")
        ));
    } else {
        s.push_str(&format!(
            "{}: {} between the database and its {revisions}\n",
            report.db,
            plural(shown.len(), "difference")
        ));
    }
    for line in lines(&shown) {
        s.push_str(&line);
        s.push('\n');
    }
    pending_text(report, &mut s);
    for note in &report.notes {
        s.push_str(&format!("  note: {note}\n"));
    }
    s
}

/// The differences in the order of [`collapse`]: a relation's own line,
/// or a header when only objects on it differ, then those objects; other
/// objects one line each.
fn lines(shown: &[(Difference, usize)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut group: Option<&str> = None;
    for (d, hidden) in shown {
        match &d.id.parent {
            None => {
                group = d.id.kind.is_relation().then_some(d.id.key.as_str());
                out.push(format!("  {}", line(d, *hidden)));
            }
            Some(parent) => {
                if group != Some(parent.as_str()) {
                    out.push(format!("  table {parent}"));
                    group = Some(parent.as_str());
                }
                out.push(format!("    {}", line(d, *hidden)));
            }
        }
    }
    out
}

/// `extra      column nickname: text, nullable`
fn line(d: &Difference, hidden: usize) -> String {
    let mut s = format!("{:<10} {} {}", d.change.as_str(), d.id.kind, d.name);
    let what = match d.change {
        Change::Different => Some(changes(&d.attrs)),
        Change::Missing | Change::Extra => summary(d),
    };
    if let Some(what) = what {
        s.push_str(": ");
        s.push_str(&what);
    }
    if hidden > 0 {
        s.push_str(&format!(" (and {} on it)", plural(hidden, "object")));
    }
    if let Some(rev) = &d.made_by {
        s.push_str(&format!(", made by pending revision `{rev}`"));
    }
    s
}

/// What a missing or extra object is, in a few words.
fn summary(d: &Difference) -> Option<String> {
    let value = |name: &str| {
        d.attrs
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.expected.as_deref().or(a.actual.as_deref()))
    };
    match d.id.kind {
        Kind::Column => {
            let mut parts: Vec<String> = vec![value("type").unwrap_or("?").to_owned()];
            parts.push(match value("nullable") {
                Some("no") => "not null".to_owned(),
                _ => "nullable".to_owned(),
            });
            for attr in ["default", "generated", "identity", "collation"] {
                if let Some(v) = value(attr) {
                    parts.push(format!("{attr} {v}"));
                }
            }
            Some(parts.join(", "))
        }
        Kind::Enum => value("labels").map(str::to_owned),
        Kind::Extension => value("version").map(|v| format!("version {v}")),
        Kind::Domain => value("type").map(str::to_owned),
        Kind::Constraint | Kind::Index | Kind::Trigger => {
            value("definition").filter(|v| !v.contains('\n')).map(cut)
        }
        _ => None,
    }
}

/// `default 'new'::text in the revisions, 'active'::text in the database`
fn changes(attrs: &[AttrDiff]) -> String {
    attrs
        .iter()
        .map(|a| {
            let (expected, actual) = (a.expected.as_deref(), a.actual.as_deref());
            match (expected, actual) {
                (Some(e), Some(h)) if e.contains('\n') || h.contains('\n') => {
                    first_difference(&a.name, e, h)
                }
                (Some(e), Some(h)) if e.chars().count().max(h.chars().count()) > CONTEXT * 3 => {
                    let (e, h) = around_the_difference(e, h);
                    format!("{} `{e}` in the revisions, `{h}` in the database", a.name)
                }
                _ => format!(
                    "{} {} in the revisions, {} in the database",
                    a.name,
                    shown(expected),
                    shown(actual)
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// For a multi-line value (a function or view body): the first line that
/// differs, from both sides.
fn first_difference(name: &str, expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    let mut n = 0;
    loop {
        n += 1;
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => {}
            (None, None) => return format!("{name} differs in its line endings"),
            (x, y) => {
                let side = |l: Option<&str>| {
                    l.map_or("nothing".to_owned(), |l| format!("`{}`", cut(l.trim())))
                };
                return format!(
                    "{name} differs at line {n}: {} in the revisions, {} in the database",
                    side(x),
                    side(y)
                );
            }
        }
    }
}

/// Two long one-line values cut down to where they differ, with a little
/// of what comes before and after (`…unique , nick text )`).
fn around_the_difference(expected: &str, actual: &str) -> (String, String) {
    let (e, a): (Vec<char>, Vec<char>) = (expected.chars().collect(), actual.chars().collect());
    let prefix = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let room = e.len().min(a.len()) - prefix;
    let suffix = e
        .iter()
        .rev()
        .zip(a.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    let part = |chars: &[char]| {
        let start = prefix.saturating_sub(CONTEXT);
        let end = (chars.len() - suffix + CONTEXT).min(chars.len());
        let text: String = chars[start..end].iter().collect();
        let before = if start > 0 { "…" } else { "" };
        let after = if end < chars.len() { "…" } else { "" };
        cut(&format!("{before}{text}{after}"))
    };
    (part(&e), part(&a))
}

fn shown(value: Option<&str>) -> String {
    value.map_or("none".to_owned(), cut)
}

fn cut(value: &str) -> String {
    crate::driver::error::truncate_chars(value, VALUE_MAX)
}

fn pending_text(report: &Report, s: &mut String) {
    let touched: Vec<_> = report
        .pending
        .iter()
        .filter(|m| m.in_database > 0)
        .collect();
    if touched.is_empty() {
        return;
    }
    s.push_str("  pending revisions whose objects the database already has:\n");
    for m in touched {
        s.push_str(&format!(
            "    {}  {} of {}\n",
            m.revision,
            m.in_database,
            plural(m.changes, "object")
        ));
    }
    if !report.stamp.is_empty() {
        s.push_str(&format!(
            "  if they were applied by hand, record them without running them: migrate stamp {} {}\n",
            report.db,
            report.stamp.join(" ")
        ));
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::PendingMatch;
    use crate::drift::model::ObjectId;

    fn difference(
        parent: Option<&str>,
        kind: Kind,
        name: &str,
        change: Change,
        attrs: &[(&str, Option<&str>, Option<&str>)],
    ) -> Difference {
        Difference {
            id: ObjectId {
                parent: parent.map(str::to_owned),
                kind,
                key: name.to_owned(),
            },
            name: name.to_owned(),
            change,
            attrs: attrs
                .iter()
                .map(|(n, e, a)| AttrDiff {
                    name: (*n).to_owned(),
                    expected: e.map(str::to_owned),
                    actual: a.map(str::to_owned),
                })
                .collect(),
            made_by: None,
        }
    }

    #[test]
    fn a_report_reads_at_a_glance() {
        let t = Some("public.accounts");
        let mut notes = difference(None, Kind::Table, "public.notes", Change::Extra, &[]);
        notes.made_by = Some("b1".into());
        let report = Report {
            db: "core".into(),
            applied: 3,
            objects: 12,
            scratch: "migrate_scratch_core_0a1b".into(),
            differences: vec![
                difference(
                    t,
                    Kind::Column,
                    "nickname",
                    Change::Extra,
                    &[
                        ("nullable", None, Some("yes")),
                        ("type", None, Some("text")),
                    ],
                ),
                difference(
                    t,
                    Kind::Column,
                    "status",
                    Change::Different,
                    &[("default", Some("'new'::text"), Some("'active'::text"))],
                ),
                difference(
                    t,
                    Kind::Index,
                    "accounts_email_idx",
                    Change::Missing,
                    &[(
                        "definition",
                        Some("CREATE INDEX ON public.accounts USING btree (email)"),
                        None,
                    )],
                ),
                notes,
                difference(
                    Some("public.notes"),
                    Kind::Column,
                    "id",
                    Change::Extra,
                    &[("type", None, Some("integer"))],
                ),
                difference(
                    None,
                    Kind::Function,
                    "public.touch()",
                    Change::Different,
                    &[(
                        "definition",
                        Some("CREATE FUNCTION\nBEGIN\n  RETURN 1;\nEND"),
                        Some("CREATE FUNCTION\nBEGIN\n  RETURN 2;\nEND"),
                    )],
                ),
            ],
            pending: vec![PendingMatch {
                revision: "b1".into(),
                changes: 2,
                in_database: 2,
            }],
            stamp: vec!["b1".into()],
            notes: vec![],
        };
        assert_eq!(
            text(&report),
            "core: 5 differences between the database and its 3 applied revisions\n\
             \x20 table public.accounts\n\
             \x20   extra      column nickname: text, nullable\n\
             \x20   different  column status: default 'new'::text in the revisions, 'active'::text in the database\n\
             \x20   missing    index accounts_email_idx: CREATE INDEX ON public.accounts USING btree (email)\n\
             \x20 extra      table public.notes (and 1 object on it), made by pending revision `b1`\n\
             \x20 different  function public.touch(): definition differs at line 3: `RETURN 1;` in the revisions, `RETURN 2;` in the database\n\
             \x20 pending revisions whose objects the database already has:\n\
             \x20   b1  2 of 2 objects\n\
             \x20 if they were applied by hand, record them without running them: migrate stamp core b1\n"
        );
    }

    #[test]
    fn long_values_are_cut_down_to_where_they_differ() {
        let (e, a) = around_the_difference(
            "create table orgs ( id int primary key , name text unique )",
            "create table orgs ( id int primary key , name text unique , nick text )",
        );
        assert_eq!(e, "… , name text unique )");
        assert_eq!(a, "… , name text unique , nick text )");
        let (e, a) = around_the_difference("abc", "xbc");
        assert_eq!((e.as_str(), a.as_str()), ("abc", "xbc"));
        let (e, a) = around_the_difference("same", "same");
        assert_eq!((e.as_str(), a.as_str()), ("same", "same"));
    }

    #[test]
    fn no_difference_is_one_line() {
        let report = Report {
            db: "core".into(),
            applied: 1,
            objects: 4,
            ..Report::default()
        };
        assert_eq!(
            text(&report),
            "core: ok, the schema matches its 1 applied revision (4 objects compared)\n"
        );
    }
}
