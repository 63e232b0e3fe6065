//! Pure: the `Create Date:` of an Alembic docstring as `created` text.
//!
//! Alembic writes `datetime.now()` there: `2024-03-01 10:00:00.123456`,
//! with an offset (`+01:00`) when the project sets `timezone`. A time
//! without an offset is read as UTC, since nothing says which zone it was.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::revision::format::created_text;

/// `text` as RFC 3339 UTC to the second (`2024-03-01T10:00:00Z`), or
/// `None` when it is not a date and time Alembic could have written.
pub(crate) fn created_from_create_date(text: &str) -> Option<String> {
    parse(text.trim()).map(created_text)
}

fn parse(text: &str) -> Option<OffsetDateTime> {
    let (date, rest) = text.split_at_checked(10)?;
    let rest = rest.strip_prefix([' ', 'T'])?;
    let (clock, offset) = split_offset(rest)?;
    let at = PrimitiveDateTime::new(parse_date(date)?, parse_time(clock)?);
    Some(at.assume_offset(offset))
}

fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = Month::try_from(parts.next()?.parse::<u8>().ok()?).ok()?;
    let day = parts.next()?.parse().ok()?;
    (parts.next().is_none() && text.len() == 10).then_some(())?;
    Date::from_calendar_date(year, month, day).ok()
}

/// `HH:MM[:SS[.fraction]]`.
fn parse_time(text: &str) -> Option<Time> {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = clock.split(':');
    let mut field = || -> Option<u8> {
        let part = parts.next()?;
        (part.len() == 2).then_some(())?;
        part.parse().ok()
    };
    let (hour, minute) = (field()?, field()?);
    let second = if clock.len() > 5 { field()? } else { 0 };
    if parts.next().is_some() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = fraction.get(..fraction.len().min(9)).unwrap_or("");
    let nanos = if digits.is_empty() {
        0
    } else {
        let scale = 10u32.pow(u32::try_from(9 - digits.len()).ok()?);
        digits.parse::<u32>().ok()? * scale
    };
    Time::from_hms_nano(hour, minute, second, nanos).ok()
}

/// Splits `10:00:00+01:00` into the clock and its offset (UTC when none).
fn split_offset(text: &str) -> Option<(&str, UtcOffset)> {
    if let Some(clock) = text.strip_suffix('Z') {
        return Some((clock, UtcOffset::UTC));
    }
    let Some(at) = text.rfind(['+', '-']) else {
        return Some((text, UtcOffset::UTC));
    };
    let (clock, offset) = text.split_at(at);
    let sign: i8 = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i8 = digits[..2].parse().ok()?;
    let minutes: i8 = digits.get(2..).map_or(Some(0), |m| m.parse().ok())?;
    let offset = UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?;
    Some((clock, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alembic_dates_become_utc_created_times() {
        for (text, created) in [
            ("2024-03-01 10:00:00.123456", "2024-03-01T10:00:00Z"),
            ("2024-02-20 13:20:00.000000+01:00", "2024-02-20T12:20:00Z"),
            ("2024-02-20 01:20:00-05:30", "2024-02-20T06:50:00Z"),
            ("2024-02-20T13:20:00Z", "2024-02-20T13:20:00Z"),
            ("2024-02-20 13:20", "2024-02-20T13:20:00Z"),
            ("  2024-12-31 23:59:59.9+0100 ", "2024-12-31T22:59:59Z"),
        ] {
            assert_eq!(
                created_from_create_date(text).as_deref(),
                Some(created),
                "{text}"
            );
        }
    }

    #[test]
    fn other_text_is_no_date() {
        for text in [
            "",
            "yesterday",
            "2024-13-01 10:00:00",
            "2024-02-30 10:00:00",
            "2024-02-20",
            "2024-02-20 25:00:00",
            "2024-02-20 10:00:00.12a",
            "2024-02-20 10:00:00+1",
            "2024-02-20 10:00:00 PST",
        ] {
            assert_eq!(created_from_create_date(text), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_without_panicking(text in "\\PC{0,40}") {
            let _ = created_from_create_date(&text);
        }

        #[test]
        fn a_written_time_reads_back(seconds in 0i64..4_000_000_000, micros in 0u32..1_000_000) {
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            let text = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{micros:06}",
                at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute(), at.second()
            );
            proptest::prop_assert_eq!(created_from_create_date(&text), Some(created_text(at)));
        }
    }
}
