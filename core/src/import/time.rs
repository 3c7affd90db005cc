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
        assert_eq!(parse_loose(""), None);
    }
}
