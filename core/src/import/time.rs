//! Timestamp parsing for the date styles transcripts use.
//!
//! Times without a zone (aider headers, SpecStory titles, Claude export dates) are local
//! times of the machine that wrote them, whose offset the file does not record; they are
//! read as if UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::model::Millis;

/// Longest string worth trying to parse as a date.
const MAX_DATE_LEN: usize = 64;

/// Date-time layouts seen in the wild, tried in order.
const LAYOUTS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%MZ",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y, %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
];

/// Parses an RFC 3339 timestamp (`2025-06-01T12:00:00.123Z`).
pub(crate) fn parse_rfc3339(s: &str) -> Option<Millis> {
    let s = s.trim();
    if s.len() > MAX_DATE_LEN {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Parses any supported date-time layout (RFC 3339 included); zone-less times as UTC.
pub(crate) fn parse_loose(s: &str) -> Option<Millis> {
    let s = s.trim();
    if s.is_empty() || s.len() > MAX_DATE_LEN {
        return None;
    }
    if let Some(ms) = us_date_time(s) {
        return Some(ms);
    }
    if let Some(ms) = parse_rfc3339(s) {
        return Some(ms);
    }
    LAYOUTS
        .iter()
        .find_map(|layout| NaiveDateTime::parse_from_str(s, layout).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|naive| naive.and_utc().timestamp_millis())
}

/// The layout Claude Code's markdown exports date every message with,
/// `%m/%d/%Y, %I:%M:%S %p` (`6/13/2025, 7:22:15 PM`), read without chrono's format
/// interpreter (which parses the layout string again on every call, after the layouts
/// before it have failed). Gives what chrono gives for it; `None` for anything else, which
/// then goes through the general layouts.
fn us_date_time(s: &str) -> Option<Millis> {
    let mut c = Cursor {
        b: s.as_bytes(),
        at: 0,
    };
    let month = c.field(1, 2, b"/")?;
    let day = c.field(1, 2, b"/")?;
    let year = c.field(4, 4, b", ")?;
    let hour12 = c.field(1, 2, b":")?;
    let minute = c.field(2, 2, b":")?;
    let second = c.field(2, 2, b" ")?;
    let half = c.b.get(c.at..)?;
    let pm = match () {
        _ if half.eq_ignore_ascii_case(b"AM") => false,
        _ if half.eq_ignore_ascii_case(b"PM") => true,
        _ => return None,
    };
    // Minutes and seconds out of range are refused by `and_hms_opt` below.
    if !(1..=12).contains(&hour12) {
        return None;
    }
    let hour = hour12 % 12 + if pm { 12 } else { 0 };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(
        date.and_hms_opt(hour, minute, second)?
            .and_utc()
            .timestamp_millis(),
    )
}

/// Reads [`us_date_time`]'s fields.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// A decimal number of `min` to `max` digits (as many as there are, up to `max`).
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let rest = self.b.get(self.at..)?;
        let digits = rest
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits < min {
            return None;
        }
        self.at += digits;
        Some(
            rest[..digits]
                .iter()
                .fold(0, |v, c| v * 10 + u32::from(c - b'0')),
        )
    }

    /// A [`Cursor::number`] followed by the literal `then`.
    fn field(&mut self, min: usize, max: usize, then: &[u8]) -> Option<u32> {
        let n = self.number(min, max)?;
        self.b
            .get(self.at..self.at + then.len())
            .filter(|x| *x == then)?;
        self.at += then.len();
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_styles_found_in_real_files() {
        let base = parse_loose("2025-06-13 19:22:15").unwrap();
        assert_eq!(base, 1_749_842_535_000);
        assert_eq!(parse_loose("2025-06-17 23:15Z"), Some(1_750_202_100_000));
        assert_eq!(parse_loose("6/13/2025, 7:22:15 PM"), Some(base));
        assert_eq!(parse_loose("06/13/2025, 07:22:15 PM"), Some(base));
        assert_eq!(parse_loose("2025/6/13 19:22:15"), Some(base));
        assert_eq!(parse_loose("2025-06-13T19:22:15.000Z"), Some(base));
        assert_eq!(parse_rfc3339("2025-06-13T21:22:15+02:00"), Some(base));
        assert_eq!(parse_loose("not a date"), None);
        assert_eq!(
            parse_loose("12/31/2025, 12:00:00 AM"),
            parse_loose("2025-12-31 00:00:00")
        );
        assert_eq!(parse_loose("2/30/2025, 1:00:00 PM"), None);
        assert_eq!(parse_loose(""), None);
    }

    proptest::proptest! {
        #[test]
        fn the_fast_layout_reads_as_chrono_does(
            month in 0u32..14, day in 0u32..33, year in 0u32..10000, hour in 0u32..14,
            minute in 0u32..62, second in 0u32..62, pad in proptest::bool::ANY,
            half in proptest::sample::select(vec!["AM", "PM", "am", "pM", "XM", ""]),
        ) {
            let s = if pad {
                format!("{month:02}/{day:02}/{year:04}, {hour:02}:{minute:02}:{second:02} {half}")
            } else {
                format!("{month}/{day}/{year:04}, {hour}:{minute:02}:{second:02} {half}")
            };
            let chrono = NaiveDateTime::parse_from_str(&s, "%m/%d/%Y, %I:%M:%S %p")
                .ok()
                .map(|d| d.and_utc().timestamp_millis());
            // Never a different answer; no answer only where chrono gives none either or
            // reads a leap second.
            match us_date_time(&s) {
                Some(ms) => proptest::prop_assert_eq!(Some(ms), chrono),
                None => proptest::prop_assert!(chrono.is_none() || second == 60, "{s}"),
            }
        }
    }
}
