//! Fuzz target: any bytes -> `migrate::revision::parse` (docs/reference.md, "Revision files").
//!
//! Never panics; and when the bytes parse, the canonical file that `new`
//! would write for the same fields (`format_new`) parses back to the same
//! id, parents, depends-on, labels, flags and `up`/`down` bodies, with the
//! checksum of the `up` section as written.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use migrate::revision::format::{flatten_message, written_up};
use migrate::revision::{NewRevision, checksum, format_new, parse};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("migrations/fuzz.sql");
    let Ok(rev) = parse(path, data) else {
        return;
    };
    assert_eq!(
        rev.checksum,
        checksum(&rev.up),
        "checksum is not the up section's"
    );

    let new = NewRevision {
        id: rev.id.clone(),
        parents: rev.parents.clone(),
        message: rev.message.clone(),
        created: rev.created.as_ref().map(|c| c.text.clone()),
        labels: rev.labels.clone(),
        depends_on: rev.depends_on.clone(),
        transactional: rev.transactional,
        up: rev.up.clone(),
        down: rev.down.clone(),
    };
    let text = format_new(&new);
    let back = match parse(path, text.as_bytes()) {
        Ok(back) => back,
        Err(e) => panic!("format_new's file does not parse: {e}\n--- file ---\n{text}"),
    };
    assert_eq!(back.id, rev.id);
    assert_eq!(back.parents, rev.parents);
    assert_eq!(back.depends_on, rev.depends_on);
    assert_eq!(back.labels, rev.labels);
    assert_eq!(back.transactional, rev.transactional);
    assert_eq!(back.created, rev.created);
    assert_eq!(back.message, flatten_message(&rev.message));
    let up = written_up(&new);
    assert_eq!(back.up, up);
    assert_eq!(back.checksum, checksum(&up));
    if rev.down.is_none() && (rev.up.is_empty() || rev.up.ends_with('\n')) {
        // An irreversible body that already ends its last line is written
        // unchanged, so it keeps its checksum.
        assert_eq!(back.checksum, rev.checksum);
    }
    assert_eq!(back.down, rev.down.as_deref().map(with_final_newline));
});

/// A body as `format_new` writes it: with a final newline unless empty.
fn with_final_newline(body: &str) -> String {
    if body.is_empty() || body.ends_with('\n') {
        body.to_owned()
    } else {
        format!("{body}\n")
    }
}
