//! Byte-level text helpers shared by the markdown importers: line iteration with offsets,
//! trimming, and turning a byte range into a message text plus its verbatim span.
//!
//! Importers work on `&[u8]` rather than `&str` so that a stray invalid UTF-8 byte never
//! shifts offsets: spans always index the original file.

use std::ops::Range;

/// One line of a file, without its line terminator (`\n` or `\r\n`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// Byte offset of the first byte of the line.
    pub start: usize,
    /// Byte offset just past the line's content (before `\r\n` / `\n`).
    pub end: usize,
    /// Byte offset of the next line (past the terminator).
    pub next: usize,
    /// The line's content, without terminator.
    pub text: &'a [u8],
}

/// Iterates over the lines of `bytes` with their offsets. A final line without a
/// terminator is yielded too; an empty input yields nothing.
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let rest = bytes.get(start..).unwrap_or_default();
        let (mut end, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (start + i, start + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        pos = next;
        Some(Line {
            start,
            end,
            next,
            text: bytes.get(start..end).unwrap_or_default(),
        })
    })
}

/// True for ASCII whitespace (space, tab, CR, LF, form feed, vertical tab).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// The range with leading and trailing ASCII whitespace removed.
pub(crate) fn trim_range(bytes: &[u8], range: Range<usize>) -> Range<usize> {
    let (mut start, mut end) = (range.start.min(bytes.len()), range.end.min(bytes.len()));
    while start < end && bytes.get(start).is_some_and(|&b| is_space(b)) {
        start += 1;
    }
    while end > start && bytes.get(end - 1).is_some_and(|&b| is_space(b)) {
        end -= 1;
    }
    start..end
}

/// `line` with leading and trailing ASCII whitespace removed.
pub(crate) fn trim(line: &[u8]) -> &[u8] {
    let r = trim_range(line, 0..line.len());
    line.get(r).unwrap_or_default()
}

/// The text of `bytes[range]`, and `Some(range)` when those bytes are valid UTF-8 (so the
/// text equals them verbatim). Invalid UTF-8 is replaced and the span dropped.
pub(crate) fn text_of(bytes: &[u8], range: Range<usize>) -> (String, Option<Range<usize>>) {
    let slice = bytes.get(range.clone()).unwrap_or_default();
    match std::str::from_utf8(slice) {
        Ok(s) if !s.is_empty() => (s.to_owned(), Some(range)),
        Ok(_) => (String::new(), None),
        Err(_) => (String::from_utf8_lossy(slice).into_owned(), None),
    }
}

/// Lossy UTF-8 text of a short byte slice (headers, metadata values).
pub(crate) fn lossy(slice: &[u8]) -> String {
    String::from_utf8_lossy(slice).into_owned()
}

/// Removes trailing `---` separator lines (and the blank lines around them) from the end of
/// `range`, as markdown exports put between messages.
pub(crate) fn strip_trailing_rules(bytes: &[u8], range: Range<usize>) -> Range<usize> {
    let mut r = trim_range(bytes, range);
    loop {
        let body = bytes.get(r.clone()).unwrap_or_default();
        let last_line_start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let last = body.get(last_line_start..).unwrap_or_default();
        if trim(last) == b"---" {
            r = trim_range(bytes, r.start..r.start + last_line_start);
        } else {
            return r;
        }
    }
}

/// The first non-blank line of `bytes`, trimmed.
pub(crate) fn first_nonblank_line(bytes: &[u8]) -> Option<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    lines(bytes).map(|l| trim(l.text)).find(|t| !t.is_empty())
}

/// Adds `item`, trimmed, to `list` unless it is empty. Duplicates are removed later by
/// [`dedup_in_order`], so that adding stays O(1) however many items a file names.
pub(crate) fn push_item(list: &mut Vec<String>, item: &str) {
    let item = item.trim();
    if !item.is_empty() {
        list.push(item.to_owned());
    }
}

/// `list` without repeated items, keeping first-seen order.
pub(crate) fn dedup_in_order(list: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.into_iter()
        .filter(|x| seen.insert(x.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_handle_crlf_and_missing_final_newline() {
        let b = b"a\r\nbc\n\nd";
        let v: Vec<_> = lines(b).map(|l| (l.start, l.end, l.next, l.text)).collect();
        assert_eq!(
            v,
            vec![
                (0, 1, 3, &b"a"[..]),
                (3, 5, 6, &b"bc"[..]),
                (6, 6, 7, &b""[..]),
                (7, 8, 8, &b"d"[..])
            ]
        );
        assert_eq!(lines(b"").count(), 0);
    }

    #[test]
    fn strip_rules_removes_separators() {
        let b = b"hello\n\n---\n\n---\n\n";
        let r = strip_trailing_rules(b, 0..b.len());
        assert_eq!(&b[r], b"hello");
        let b = b"---";
        assert_eq!(strip_trailing_rules(b, 0..3), 0..0);
    }

    #[test]
    fn dedup_keeps_first_seen_order() {
        let v = ["b", "a", "b", "c", "a"].map(String::from).to_vec();
        assert_eq!(dedup_in_order(v), vec!["b", "a", "c"]);
    }

    proptest::proptest! {
        /// The lines rebuild the input exactly: each line's text is its bytes up to the
        /// terminator (`\n` or `\r\n`; at the end of a file without a final `\n`, nothing or
        /// one `\r`), and the next line starts where the previous one's terminator ends.
        #[test]
        fn lines_cover_the_input_exactly(bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'\r', b'\n', b' ', 0xff]), 0..64)) {
            let mut at = 0;
            for l in lines(&bytes) {
                proptest::prop_assert_eq!(l.start, at);
                proptest::prop_assert_eq!(l.text, &bytes[l.start..l.end]);
                let terminator = &bytes[l.end..l.next];
                let ends_file = l.next == bytes.len() && !bytes.ends_with(b"\n");
                proptest::prop_assert!(
                    terminator == b"\n"
                        || terminator == b"\r\n"
                        || (ends_file && (terminator.is_empty() || terminator == b"\r")),
                    "terminator {:?}", terminator
                );
                proptest::prop_assert!(!l.text.contains(&b'\n'));
                at = l.next;
            }
            proptest::prop_assert_eq!(at, bytes.len());
        }

        /// `find` agrees with a plain scan of every position.
        #[test]
        fn find_is_the_first_match(
            hay in proptest::collection::vec(proptest::sample::select(vec![b'a', b'b', b'<']), 0..48),
            needle in proptest::collection::vec(proptest::sample::select(vec![b'a', b'b', b'<']), 0..4),
        ) {
            let naive = if needle.is_empty() {
                Some(0)
            } else {
                hay.windows(needle.len()).position(|w| w == needle.as_slice())
            };
            proptest::prop_assert_eq!(super::super::specstory::find(&hay, &needle), naive);
        }
    }

    #[test]
    fn text_of_drops_span_on_invalid_utf8() {
        let b = b"ok \xff";
        assert_eq!(text_of(b, 0..2), ("ok".into(), Some(0..2)));
        assert!(text_of(b, 0..4).1.is_none());
    }
}
