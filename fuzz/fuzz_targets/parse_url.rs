//! Fuzz target: any text -> `migrate::url::DbUrl::parse` (SPEC §1).
//!
//! Never panics, and a password never shows:
//! - when a URL with a password parses, `scrub` leaves no copy of it in any
//!   text, and the redacted form is the same as for the same URL with
//!   another password (so nothing of the password is in it);
//! - a known password spliced into every place a password can be written
//!   (user-info as `url` and as SQLAlchemy read it, `password=`) appears in
//!   neither the redacted form, `Debug`, `scrub`'s output nor the error text.
#![no_main]

use std::ops::Range;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use migrate::url::DbUrl;

/// Passwords that appear nowhere else in a URL (one looks like a port).
const MARKERS: [&str; 2] = ["Zq7XpWk3", "918273645"];

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let base = Path::new("/srv/app");
    if let Ok(url) = DbUrl::parse(raw, base) {
        check_parsed(raw, &url, base);
    }
    for slot in password_slots(raw) {
        for marker in MARKERS {
            let mut spliced = String::with_capacity(raw.len() + marker.len());
            spliced.push_str(&raw[..slot.start]);
            spliced.push_str(marker);
            spliced.push_str(&raw[slot.end..]);
            if spliced.matches(marker).count() == 1 {
                check_marker(&spliced, marker, base);
            }
        }
    }
});

fn check_parsed(raw: &str, url: &DbUrl, base: &Path) {
    let redacted = url.redacted().as_str().to_owned();
    assert_eq!(format!("{url:?}"), format!("DbUrl({redacted:?})"));
    assert_eq!(url.same_target(url), !url.is_memory());
    let Some(password) = url.password().filter(|p| !p.is_empty()) else {
        return;
    };
    if !password.contains('*') {
        let texts = [
            raw.to_owned(),
            url.connect_url().to_owned(),
            format!("error connecting to {raw}: {} ({raw})", url.connect_url()),
            redacted.clone(),
        ];
        for text in texts {
            let scrubbed = url.scrub(&text);
            assert!(
                !scrubbed.contains(password),
                "scrub leaves the password: {scrubbed}"
            );
        }
    }
    // The same URL with another password must redact to the same text.
    if raw.matches(password).count() == 1 {
        let other = raw.replacen(password, MARKERS[0], 1);
        if let Ok(other_url) = DbUrl::parse(&other, base)
            && other_url.password() == Some(MARKERS[0])
        {
            assert_eq!(
                other_url.redacted(),
                url.redacted(),
                "redaction depends on the password"
            );
        }
    }
}

fn check_marker(raw: &str, marker: &str, base: &Path) {
    match DbUrl::parse(raw, base) {
        // A marker the parser did not read as a password (a SQLite path
        // or a host that merely looks like one) is no secret.
        Ok(url) if url.password().is_some() => {
            let redacted = url.redacted();
            assert!(
                !redacted.as_str().contains(marker),
                "redacted leaks: {redacted}"
            );
            assert!(!format!("{url:?}").contains(marker));
            if url.password() == Some(marker) {
                for text in [raw, url.connect_url()] {
                    let scrubbed = url.scrub(text);
                    assert!(!scrubbed.contains(marker), "scrub leaves it: {scrubbed}");
                }
            }
        }
        Ok(_) => {}
        Err(e) => {
            let message = e.to_string();
            assert!(
                !message.contains(marker),
                "error leaks the password: {message}"
            );
        }
    }
}

/// Byte ranges where a password may be written: after the user name up to
/// the first `@` (SQLAlchemy) or the last `@` of the authority (RFC 3986),
/// and the value of each `password=` parameter.
fn password_slots(raw: &str) -> Vec<Range<usize>> {
    let mut slots = Vec::new();
    if let Some(i) = raw.find("//") {
        let start = i + 2;
        let after = &raw[start..];
        if let Some(colon) = after.find(':') {
            if let Some(at) = after.find('@')
                && colon < at
            {
                slots.push(start + colon + 1..start + at);
            }
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            if let Some(at) = after[..end].rfind('@')
                && colon < at
            {
                slots.push(start + colon + 1..start + at);
            }
        }
    }
    let mut from = 0;
    while let Some(i) = raw[from..].find("password=") {
        let start = from + i + "password=".len();
        let end = raw[start..]
            .find(['&', '#'])
            .map_or(raw.len(), |j| start + j);
        slots.push(start..end);
        from = start;
    }
    slots.sort_by_key(|r| (r.start, r.end));
    slots.dedup();
    slots
}
