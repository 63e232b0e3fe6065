//! How durations and long lists read in messages: durations as a person
//! writes them (`12 ms`, `3.0 s`, `2 min 5 s`, never `3s 1ms 179us
//! 185ns`), and lists cut short with a count.
//!
//! Pure.

use std::time::Duration;

pub(crate) fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        let secs = d.as_secs();
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

/// At most this many lines of one list in text output: a database restored
/// from another branch can have thousands of issues, and one line each
/// helps nobody.
pub(crate) const MAX_LISTED: usize = 10;

/// `lines`, cut to [`MAX_LISTED`] with a last line counting the rest and
/// naming the command that lists them all (`migrate verify DB`).
pub(crate) fn capped(mut lines: Vec<String>, db: &str) -> Vec<String> {
    if lines.len() > MAX_LISTED {
        let more = lines.len() - (MAX_LISTED - 1);
        lines.truncate(MAX_LISTED - 1);
        lines.push(format!(
            "… and {more} more like these (`migrate verify {db}` lists them all)"
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_capped_with_a_count() {
        let lines: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        let capped = capped(lines, "core");
        assert_eq!(capped.len(), MAX_LISTED);
        assert_eq!(capped[MAX_LISTED - 2], "8");
        assert!(capped[MAX_LISTED - 1].contains("21 more like these"));
        assert_eq!(super::capped(vec!["a".into()], "core"), ["a"]);
    }

    #[test]
    fn durations_read_as_written_by_hand() {
        assert_eq!(duration(Duration::from_micros(12_345)), "12 ms");
        assert_eq!(
            duration(Duration::new(3, 1_179_185)),
            "3.0 s",
            "a lock wait of 3s 1ms 179us 185ns"
        );
        assert_eq!(duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 5 s");
    }
}
