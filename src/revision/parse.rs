//! Pure: revision file bytes -> [`Revision`] (SPEC §2), and the `up` checksum.
//! No file, env, clock or database access.
//!
//! A file is a header of `-- migrate:` directive lines (blank lines allowed),
//! then `-- migrate:up` and its body, then optionally `-- migrate:down` and its
//! body. Bodies are kept byte for byte. Every step is linear in the file size,
//! since a hostile or huge file must neither hang nor panic.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::Revision;
use super::directive::{Header, HeaderDraft, Name, classify, directive};
use super::error::{Located, ParseError, ParseErrorKind, quote};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses one revision file. `path` is only stored in the result and errors.
///
/// # Errors
/// The first problem found, with its line: bad encoding, a header line that is
/// not a known directive, a bad or missing value, misplaced `up`/`down`.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Revision, ParseError> {
    let located = |(line, kind): Located| ParseError {
        path: path.to_owned(),
        line,
        kind,
    };
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        located((
            line_of_offset(bytes, e.valid_up_to()),
            ParseErrorKind::InvalidUtf8,
        ))
    })?;
    if text.trim().is_empty() {
        return Err(located((0, ParseErrorKind::Empty)));
    }
    let (header, body) = parse_text(text).map_err(located)?;
    Ok(Revision {
        id: header.revision,
        parents: header.parents,
        depends_on: header.depends_on,
        labels: header.labels,
        message: header.message,
        created: header.created,
        transactional: header.transactional,
        checksum: checksum(body.up),
        up: body.up.to_owned(),
        down: body.down.map(str::to_owned),
        path: path.to_owned(),
        up_line: body.up_line,
        down_line: body.down_line,
    })
}

/// Lower-case hex SHA-256 of an `up` section with every `\r\n` read as `\n`,
/// so a checkout with other line endings keeps its checksum (SPEC §2).
pub fn checksum(up: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Sha256::new();
    if up.contains('\r') {
        let mut pieces = up.split("\r\n");
        if let Some(first) = pieces.next() {
            hasher.update(first);
        }
        for piece in pieces {
            hasher.update(b"\n");
            hasher.update(piece);
        }
    } else {
        // Most files: no substring search to set up per file.
        hasher.update(up);
    }
    let mut hex = String::with_capacity(64);
    for byte in hasher.finalize() {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    hex
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
