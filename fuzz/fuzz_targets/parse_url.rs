//! Fuzz target: any text -> `migrate::url::DbUrl::parse` (docs/reference.md, "Configuration").
//!
//! Never panics, and a password never shows:
//! - when a URL with a password parses, `scrub` leaves no copy of it in any
//!   text, and the redacted form is the same as for the same URL with
//!   another password (so nothing of the password is in it);
//! - two known passwords of one shape spliced in turn into every place a
//!   password can be written (user-info as `url` and as SQLAlchemy read it,
//!   a `password=` parameter) give the same redacted form and the same error
//!   text, and `scrub` leaves neither.
#![no_main]

use std::ops::Range;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use migrate::url::DbUrl;

/// Pairs of passwords of one shape (one pair looks like a port): a URL
/// with either must give the same redacted form and the same error.
const MARKERS: [(&str, &str); 2] = [("Zq7XpWk3", "Yr8WoVj4"), ("918273645", "827364519")];

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let base = Path::new("/srv/app");
    if let Ok(url) = DbUrl::parse(raw, base) {
        check_parsed(raw, &url, base);
    }
    for slot in password_slots(raw) {
        for (a, b) in MARKERS {
            let with_a = splice(raw, &slot, a);
            let with_b = splice(raw, &slot, b);
            if with_a.matches(a).count() == 1 && with_b.matches(b).count() == 1 {
                check_markers(&with_a, a, &with_b, b, base);
            }
        }
    }
});

fn splice(raw: &str, slot: &Range<usize>, with: &str) -> String {
    let mut out = String::with_capacity(raw.len() + with.len());
    out.push_str(&raw[..slot.start]);
    out.push_str(with);
    out.push_str(&raw[slot.end..]);
    out
}

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
        let other = raw.replacen(password, MARKERS[0].0, 1);
        if let Ok(other_url) = DbUrl::parse(&other, base)
            && other_url.password() == Some(MARKERS[0].0)
        {
            assert_eq!(
                other_url.redacted(),
                url.redacted(),
                "redaction depends on the password"
            );
        }
    }
}

/// The same URL with password `a` and with password `b`: when the parser
/// reads either as (part of) the password, the redacted forms are equal and
/// `scrub` leaves no copy of the password; errors are equal and never quote it.
fn check_markers(with_a: &str, a: &str, with_b: &str, b: &str, base: &Path) {
    match (DbUrl::parse(with_a, base), DbUrl::parse(with_b, base)) {
        (Ok(url_a), Ok(url_b)) => {
            let holds = |url: &DbUrl, m: &str| url.password().is_some_and(|p| p.contains(m));
            // A marker the parser did not read as the password (in a path
            // that merely looks like user-info, say) is no secret.
            if holds(&url_a, a) && holds(&url_b, b) {
                assert_eq!(
                    url_a.redacted(),
                    url_b.redacted(),
                    "redaction shows the password"
                );
                // (The marker itself may still show where percent-encoding
                // of other text spells it, as in `%19` + `18273645`.)
                let password = url_a.password().unwrap_or_default();
                if !password.contains('*') {
                    for text in [with_a, url_a.connect_url()] {
                        let scrubbed = url_a.scrub(text);
                        assert!(!scrubbed.contains(password), "scrub leaves it: {scrubbed}");
                    }
                }
            }
        }
        (Err(e_a), Err(e_b)) => {
            let (e_a, e_b) = (e_a.to_string(), e_b.to_string());
            assert_eq!(e_a, e_b, "an error quotes the password");
            assert!(!e_a.contains(a), "error leaks the password: {e_a}");
        }
        (a, b) => panic!("the password changed the outcome: {a:?} / {b:?}"),
    }
}

/// Byte ranges where a password may be written: after the user name up to
/// the first `@` (SQLAlchemy) or the last `@` of the authority (RFC 3986),
/// and the value of each `password=` query parameter.
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
    // Only a query parameter: `password=` elsewhere (in a host, say) is
    // just text, which the redacted form rightly shows.
    let mut from = raw.find('?').map_or(raw.len(), |q| q + 1);
    while let Some(i) = raw[from..].find("password=") {
        let key = from + i;
        let start = key + "password=".len();
        if matches!(raw.as_bytes()[key - 1], b'?' | b'&') {
            let end = raw[start..]
                .find(['&', '#'])
                .map_or(raw.len(), |j| start + j);
            slots.push(start..end);
        }
        from = start;
    }
    slots.sort_by_key(|r| (r.start, r.end));
    slots.dedup();
    slots
}
