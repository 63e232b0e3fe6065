//! Pure: revision file bytes -> [`Revision`] (docs/reference.md, "Revision files"), and the `up` checksum.
//! No file, env, clock or database access.
//!
//! A file is a header of `-- migrate:` directive lines (blank lines allowed),
//! then `-- migrate:up` and its body, then optionally `-- migrate:down` and its
//! body. Bodies are kept byte for byte. Every step is linear in the file size,
//! since a hostile or huge file must neither hang nor panic.

use std::path::{Path, PathBuf};

use super::directive::{Header, HeaderDraft, Name, classify, directive};
use super::error::{Located, ParseError, ParseErrorKind, quote};
use super::{Checksum, Revision, Sql};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses one revision file. `path` is only stored in the result and errors.
///
/// # Errors
/// The first problem found, with its line: bad encoding, a header line that is
/// not a known directive, a bad or missing value, misplaced `up`/`down`.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<(Revision, Sql), ParseError> {
    match parse_bytes(bytes) {
        Ok((header, body)) => {
            let sql = Sql {
                up: body.up.into(),
                down: body.down.map(Box::from),
            };
            Ok((revision(header, &body, path.to_owned()), sql))
        }
        Err((line, kind)) => Err(ParseError {
            path: path.to_owned(),
            line,
            kind,
        }),
    }
}

/// [`parse`] without the SQL sections, keeping `path` in the result or the
/// error without a copy: what loading a folder keeps of each file.
pub(crate) fn parse_revision(path: PathBuf, bytes: &[u8]) -> Result<Revision, ParseError> {
    match parse_bytes(bytes) {
        Ok((header, body)) => Ok(revision(header, &body, path)),
        Err((line, kind)) => Err(ParseError { path, line, kind }),
    }
}

fn parse_bytes(bytes: &[u8]) -> Result<(Header, Body<'_>), Located> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        (
            line_of_offset(bytes, e.valid_up_to()),
            ParseErrorKind::InvalidUtf8,
        )
    })?;
    if text.trim().is_empty() {
        return Err((0, ParseErrorKind::Empty));
    }
    parse_text(text)
}

fn revision(header: Header, body: &Body<'_>, path: PathBuf) -> Revision {
    Revision {
        id: header.revision,
        parents: header.parents.into(),
        depends_on: header.depends_on.into(),
        labels: header.labels.into(),
        message: header.message,
        created: header.created,
        transactional: header.transactional,
        checksum: checksum(body.up),
        reversible: body.down.is_some(),
        path,
        up_line: line_number(body.up_line),
        down_line: body.down_line.map(line_number),
    }
}

/// The checksum of an `up` section (docs/reference.md, "Revision files"); see [`Checksum::of_up`].
pub fn checksum(up: &str) -> Checksum {
    Checksum::of_up(up)
}

/// A line number as a revision keeps it; no file has four billion lines.
fn line_number(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// 1-based line holding the byte at `offset`.
fn line_of_offset(bytes: &[u8], offset: usize) -> usize {
    let before = bytes.get(..offset).unwrap_or(bytes);
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

/// One line of the file: its number, byte range (terminator included) and
/// text (terminator excluded).
struct Line<'a> {
    number: usize,
    start: usize,
    end: usize,
    text: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    text.split_inclusive('\n')
        .enumerate()
        .map(move |(index, raw)| {
            let line_start = start;
            start += raw.len();
            let body = raw.strip_suffix('\n').unwrap_or(raw);
            Line {
                number: index + 1,
                start: line_start,
                end: start,
                text: body.strip_suffix('\r').unwrap_or(body),
            }
        })
}

/// `up` and `down` may not carry text on their own line.
fn check_marker_alone(name: &str, args: &str) -> Result<(), ParseErrorKind> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(ParseErrorKind::TextAfterSectionMarker {
            name: name.to_owned(),
            text: quote(args),
        })
    }
}

/// The sections of a file, as slices of its text.
struct Body<'a> {
    up: &'a str,
    up_line: usize,
    down: Option<&'a str>,
    down_line: Option<usize>,
}

fn parse_text(text: &str) -> Result<(Header, Body<'_>), Located> {
    let mut lines = lines(text);
    let mut draft = HeaderDraft::new();
    let up_marker = loop {
        let Some(line) = lines.next() else {
            return Err((0, ParseErrorKind::MissingUp));
        };
        if line.text.trim().is_empty() {
            continue;
        }
        let at = |kind| (line.number, kind);
        let Some((name, args)) = directive(line.text) else {
            let text = quote(line.text.trim());
            return Err(at(ParseErrorKind::NotADirective { text }));
        };
        match classify(name).map_err(at)? {
            Name::Up => {
                check_marker_alone(name, args).map_err(at)?;
                break line;
            }
            Name::Down => return Err(at(ParseErrorKind::DownBeforeUp)),
            Name::Header(header) => draft.apply(header, args, line.number).map_err(at)?,
        }
    };
    let header = draft.finish()?;

    let mut down_marker: Option<Line<'_>> = None;
    for line in lines {
        let Some((name, args)) = directive(line.text) else {
            continue; // SQL, kept as written
        };
        let at = |kind| (line.number, kind);
        match classify(name).map_err(at)? {
            Name::Up => {
                let first_line = up_marker.number;
                return Err(at(ParseErrorKind::UpTwice { first_line }));
            }
            Name::Down => {
                if let Some(first) = &down_marker {
                    let first_line = first.number;
                    return Err(at(ParseErrorKind::DownTwice { first_line }));
                }
                check_marker_alone(name, args).map_err(at)?;
                down_marker = Some(line);
            }
            Name::Header(header) => {
                let name = header.as_str().to_owned();
                return Err(at(ParseErrorKind::HeaderDirectiveInBody { name }));
            }
        }
    }

    // Marker offsets come from `split_inclusive('\n')`, so they sit on char
    // boundaries and these slices cannot fail.
    let up_end = down_marker.as_ref().map_or(text.len(), |d| d.start);
    let body = Body {
        up: &text[up_marker.end..up_end],
        up_line: up_marker.number + 1,
        down: down_marker.as_ref().map(|d| &text[d.end..]),
        down_line: down_marker.as_ref().map(|d| d.number + 1),
    };
    Ok((header, body))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
