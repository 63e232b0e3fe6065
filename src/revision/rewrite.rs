//! Pure: changes the `-- migrate:parents` line of a revision file and
//! nothing else, for `migrate rebase`. No file, env, clock or database
//! access.
//!
//! Every other byte stays: the other header lines, blank lines, each line's
//! ending (`\r\n` stays `\r\n`), the sections, so the `up` checksum stays
//! too. A parents line keeps its own indentation, spelling and separator
//! (`a, b` stays comma separated); a base that gets a parent gets a new line
//! right after its `revision` line, spelled the way that line is.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::error::ParseError;
use super::parse::parse;
use super::{Revision, RevisionId, Sql};

const UTF8_BOM: &str = "\u{feff}";

/// Why a file's parents could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The rewritten file would read differently in more than its parents;
    /// never expected, and checked so that no file is written wrong.
    #[error(
        "rewriting the parents of `{}` would change more than its `-- migrate:parents` line; nothing was written",
        .path.display()
    )]
    NotOnlyParents { path: PathBuf },
}

/// The bytes of revision file `path` with its parents set to `parents`,
/// checked: the result parses to the same revision, sections and checksum,
/// with exactly these parents.
///
/// # Errors
/// The file does not parse, or (never expected) the result would differ in
/// more than its parents.
pub fn rewrite_file(
    path: &Path,
    bytes: &[u8],
    parents: &[RevisionId],
) -> Result<Vec<u8>, RewriteError> {
    let (before, before_sql) = parse(path, bytes)?;
    let not_only_parents = || RewriteError::NotOnlyParents {
        path: path.to_owned(),
    };
    // It parsed, so it is UTF-8.
    let text = std::str::from_utf8(bytes).map_err(|_| not_only_parents())?;
    let (bom, text) = match text.strip_prefix(UTF8_BOM) {
        Some(rest) => (UTF8_BOM, rest),
        None => ("", text),
    };
    let rewritten = set_parents(text, parents).ok_or_else(not_only_parents)?;
    let out = format!("{bom}{rewritten}").into_bytes();
    let (after, after_sql) = parse(path, &out)?;
    if after.parents[..] != *parents || !same_but_parents(&before, &after, &before_sql, &after_sql)
    {
        return Err(not_only_parents());
    }
    Ok(out)
}

/// Everything a rewrite must keep (line numbers move when a line is added
/// or removed).
fn same_but_parents(a: &Revision, b: &Revision, a_sql: &Sql, b_sql: &Sql) -> bool {
    a.id == b.id
        && a.depends_on == b.depends_on
        && a.labels == b.labels
        && a.message == b.message
        && a.created == b.created
        && a.transactional == b.transactional
        && a.reversible == b.reversible
        && a.checksum == b.checksum
        && a_sql == b_sql
}

/// `text` (without a byte-order mark) with its header listing `parents`:
/// the parents line rewritten, inserted after the `revision` line when
/// there is none, removed when `parents` is empty. `None` when the header
/// has no `revision` line to insert after.
pub fn set_parents(text: &str, parents: &[RevisionId]) -> Option<String> {
    let lines = header(text);
    let found = lines.iter().find(|l| l.name(text) == "parents");
    let (range, replacement) = match found {
        Some(line) if parents.is_empty() => (line.whole.clone(), String::new()),
        Some(line) => (line.text.clone(), line.with_args(text, parents)),
        None if parents.is_empty() => return Some(text.to_owned()),
        None => {
            let revision = lines.iter().find(|l| l.name(text) == "revision")?;
            if revision.whole.end == revision.text.end {
                return None; // no line ending: nothing can follow it
            }
            let at = revision.whole.end;
            (at..at, revision.sibling(text, "parents", parents))
        }
    };
    let mut out = String::with_capacity(text.len() + replacement.len());
    out.push_str(&text[..range.start]);
    out.push_str(&replacement);
    out.push_str(&text[range.end..]);
    Some(out)
}

/// True when `body` holds anything but blank lines and `--` comments.
/// A block comment counts as SQL: better to keep a file than lose a line.
pub fn holds_sql(body: &str) -> bool {
    body.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with("--")
    })
}

/// One directive line of the header, as byte ranges of the file's text.
struct DirectiveLine {
    /// The line with its ending.
    whole: Range<usize>,
    /// The line without its ending.
    text: Range<usize>,
    name: Range<usize>,
    /// The arguments, trimmed; empty (at the end of the name) when none.
    args: Range<usize>,
}

impl DirectiveLine {
    fn name<'t>(&self, text: &'t str) -> &'t str {
        &text[self.name.clone()]
    }

    /// This line's text with `ids` as its arguments, in the separator it
    /// uses between its first two items (a space when it has fewer).
    fn with_args(&self, text: &str, ids: &[RevisionId]) -> String {
        let args = &text[self.args.clone()];
        let sep = separator(args).unwrap_or(" ");
        // Without arguments the line ends at its name: add the gap.
        let (lead, gap) = if self.args.is_empty() {
            (&text[self.text.start..self.name.end], " ")
        } else {
            (&text[self.text.start..self.args.start], "")
        };
        let rest = &text[self.args.end..self.text.end];
        format!("{lead}{gap}{}{rest}", joined(ids, sep))
    }

    /// A new line for directive `name`, written as this one is (same
    /// prefix, same gap before the arguments, same line ending).
    fn sibling(&self, text: &str, name: &str, ids: &[RevisionId]) -> String {
        let prefix = &text[self.text.start..self.name.start];
        let gap = match &text[self.name.end..self.args.start] {
            "" => " ",
            gap => gap,
        };
        let ending = &text[self.text.end..self.whole.end];
        format!("{prefix}{name}{gap}{}{ending}", joined(ids, " "))
    }
}

/// The directive lines before `-- migrate:up` (blank lines skipped); stops
/// early at a line that is not a directive, which no parsed file has.
fn header(text: &str) -> Vec<DirectiveLine> {
    let mut lines = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let whole = start..start + raw.len();
        start = whole.end;
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let body = body.strip_suffix('\r').unwrap_or(body);
        if body.trim().is_empty() {
            continue;
        }
        let Some(line) = directive_line(body, whole) else {
            break;
        };
        if line.name(text) == "up" {
            break;
        }
        lines.push(line);
    }
    lines
}

/// Splits a line as the parser does (blanks, `--`, blanks, `migrate:`,
/// the name up to a blank, then the arguments), keeping offsets.
fn directive_line(body: &str, whole: Range<usize>) -> Option<DirectiveLine> {
    let at = whole.start;
    let lead = body.len() - body.trim_start().len();
    let after_dashes = body[lead..].strip_prefix("--")?;
    let gap = after_dashes.len() - after_dashes.trim_start().len();
    let rest = after_dashes.trim_start().strip_prefix("migrate:")?;
    let name_start = lead + 2 + gap + "migrate:".len();
    let name_end = name_start + rest.find(char::is_whitespace).unwrap_or(rest.len());
    let args = &body[name_end..];
    let trimmed = args.trim();
    let args = if trimmed.is_empty() {
        name_end..name_end
    } else {
        let start = name_end + (args.len() - args.trim_start().len());
        start..start + trimmed.len()
    };
    Some(DirectiveLine {
        text: at..at + body.len(),
        whole,
        name: at + name_start..at + name_end,
        args: at + args.start..at + args.end,
    })
}

/// What separates the first two items of a list (`", "`, `","`, `" "`).
fn separator(args: &str) -> Option<&str> {
    let is_sep = |c: char| c == ',' || c.is_whitespace();
    let first_end = args.find(is_sep)?;
    let second = args[first_end..].find(|c: char| !is_sep(c))?;
    Some(&args[first_end..first_end + second])
}

fn joined(ids: &[RevisionId], sep: &str) -> String {
    let ids: Vec<&str> = ids.iter().map(RevisionId::as_str).collect();
    ids.join(sep)
}

#[cfg(test)]
#[path = "rewrite_tests.rs"]
mod tests;
