//! Postings: building a page's postings values as sessions are tokenised (on several
//! threads for a large page), and decoding them for a search. The value layout is in the
//! module docs of `search`.

use super::terms::for_each_term;
use crate::error::{Error, Result};

type FxHashMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A page's `(term, value)` pairs, in term order.
pub(crate) type PageTerms = Vec<(Box<str>, Vec<u8>)>;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes
            .get(*pos)
            .ok_or_else(|| Error::corrupted("posting", "truncated varint"))?;
        *pos += 1;
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Error::corrupted("posting", "varint too long"))
}

/// The postings of one page of sessions, gathered term by term as each session is
/// tokenised: per term, the bytes of its read-model value so far (for each session holding
/// the term: its id, a varint length, then its postings; see the module docs). One hash
/// lookup per token and no per-session maps, sorts or merges: the page's terms are sorted
/// once, when the page is written.
#[derive(Debug, Default)]
struct PagePostings {
    /// Term -> its slot in `slots`.
    terms: FxHashMap<Box<str>, u32>,
    slots: Vec<TermSlot>,
    /// Slots the session being added has touched, in first-touch order.
    touched: Vec<u32>,
    /// The session being added: each message's length in tokens.
    lengths: Vec<u32>,
    /// Scratch space for one term's postings in one session.
    scratch: Vec<u8>,
}

#[derive(Debug, Default)]
struct TermSlot {
    /// The term's value for the page so far.
    value: Vec<u8>,
    /// The session being added: `(message index, term frequency)` of each message holding
    /// the term.
    current: Vec<(u32, u32)>,
}

impl PagePostings {
    /// Add one session's message texts under `id`; returns the tokens indexed.
    fn add_session<'a>(&mut self, id: &[u8; 16], texts: impl Iterator<Item = &'a str>) -> u64 {
        self.lengths.clear();
        for (i, text) in texts.enumerate() {
            let i = i as u32;
            let mut len = 0u32;
            for_each_term(text, |t| {
                len += 1;
                let slot = match self.terms.get(t) {
                    Some(&slot) => slot,
                    None => {
                        let slot = self.slots.len() as u32;
                        self.slots.push(TermSlot::default());
                        self.terms.insert(t.into(), slot);
                        slot
                    }
                };
                let entry = &mut self.slots[slot as usize];
                match entry.current.last_mut() {
                    Some((idx, tf)) if *idx == i => *tf += 1,
                    Some(_) => entry.current.push((i, 1)),
                    None => {
                        entry.current.push((i, 1));
                        self.touched.push(slot);
                    }
                }
            });
            self.lengths.push(len);
        }
        for &slot in &self.touched {
            let entry = &mut self.slots[slot as usize];
            self.scratch.clear();
            let mut prev = 0u32;
            for &(idx, tf) in &entry.current {
                put_varint(&mut self.scratch, u64::from(idx - prev));
                put_varint(&mut self.scratch, u64::from(tf));
                put_varint(&mut self.scratch, u64::from(self.lengths[idx as usize]));
                prev = idx;
            }
            entry.value.extend_from_slice(id);
            put_varint(&mut entry.value, self.scratch.len() as u64);
            entry.value.extend_from_slice(&self.scratch);
            entry.current.clear();
        }
        self.touched.clear();
        self.lengths.iter().map(|&l| u64::from(l)).sum()
    }

    /// The page's `(term, value)` pairs in term order; leaves the page empty.
    fn take_sorted(&mut self) -> PageTerms {
        let mut slots = std::mem::take(&mut self.slots);
        let mut out: Vec<(Box<str>, Vec<u8>)> = self
            .terms
            .drain()
            .map(|(term, slot)| (term, std::mem::take(&mut slots[slot as usize].value)))
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

impl PagePostings {
    /// Append the postings of `later`, whose sessions all come after this page's.
    fn append(&mut self, mut later: PagePostings) {
        for (term, slot) in later.terms.drain() {
            let value = std::mem::take(&mut later.slots[slot as usize].value);
            match self.terms.get(&term) {
                Some(&mine) => self.slots[mine as usize].value.extend_from_slice(&value),
                None => {
                    self.terms.insert(term, self.slots.len() as u32);
                    self.slots.push(TermSlot {
                        value,
                        current: Vec::new(),
                    });
                }
            }
        }
    }
}

/// Text a page needs before its tokenising is split over threads (below it, starting
/// threads costs more than they save).
const PARALLEL_TEXT_BYTES: usize = 256 << 10;

/// Threads to tokenise `sessions` on: up to four (and the machine's cores) once there is
/// enough text, else one.
pub(crate) fn indexing_threads(sessions: &[([u8; 16], Vec<String>)]) -> usize {
    let bytes: usize = sessions
        .iter()
        .flat_map(|(_, texts)| texts.iter().map(String::len))
        .sum();
    if bytes < PARALLEL_TEXT_BYTES {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
}

/// The postings of a page of sessions, in term order, and the tokens indexed: the sessions
/// are split into `threads` runs of about equal text, each tokenised on its own thread
/// (the caller's thread takes the first), and the runs' postings appended in session
/// order, which gives the same bytes as one thread.
pub(crate) fn tokenize_page(
    sessions: &[([u8; 16], Vec<String>)],
    threads: usize,
) -> std::result::Result<(PageTerms, u64), String> {
    let run = |run: &[([u8; 16], Vec<String>)]| {
        let mut page = PagePostings::default();
        let tokens: u64 = run
            .iter()
            .map(|(id, texts)| page.add_session(id, texts.iter().map(String::as_str)))
            .sum();
        (page, tokens)
    };
    let runs = split_by_text(sessions, threads.max(1));
    let (mut page, tokens) = std::thread::scope(|scope| {
        let (first, rest) = runs
            .split_first()
            .map_or((&[][..], &[][..]), |(f, r)| (*f, r));
        let helpers: Vec<_> = rest
            .iter()
            .map(|&r| {
                let started = std::thread::Builder::new()
                    .name("mnemo-tokenize".into())
                    .spawn_scoped(scope, move || run(r));
                // A thread that cannot start: its run is tokenised here instead.
                started.map_err(|_| r)
            })
            .collect();
        let mut out = run(first);
        for helper in helpers {
            let (page, tokens) = match helper {
                Ok(handle) => handle
                    .join()
                    .map_err(|_| "a tokenising thread failed".to_string())?,
                Err(r) => run(r),
            };
            out.0.append(page);
            out.1 += tokens;
        }
        Ok::<_, String>(out)
    })?;
    Ok((page.take_sorted(), tokens))
}

/// `sessions` cut into at most `parts` consecutive runs of about equal text.
fn split_by_text(
    sessions: &[([u8; 16], Vec<String>)],
    parts: usize,
) -> Vec<&[([u8; 16], Vec<String>)]> {
    let size = |s: &([u8; 16], Vec<String>)| s.1.iter().map(String::len).sum::<usize>() + 1;
    let total: usize = sessions.iter().map(size).sum();
    let share = total.div_ceil(parts.max(1)).max(1);
    let mut runs = Vec::with_capacity(parts);
    let (mut start, mut filled) = (0, 0);
    for (i, s) in sessions.iter().enumerate() {
        filled += size(s);
        if filled >= share && runs.len() + 1 < parts {
            runs.push(&sessions[start..=i]);
            start = i + 1;
            filled = 0;
        }
    }
    runs.push(&sessions[start..]);
    runs
}

/// Split a merged posting value into (session id, postings) pairs.
pub(crate) fn decode_group(value: &[u8]) -> Result<Vec<([u8; 16], &[u8])>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < value.len() {
        let id: [u8; 16] = value
            .get(pos..pos + 16)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| Error::corrupted("posting", "truncated session id"))?;
        pos += 16;
        let len = get_varint(value, &mut pos)? as usize;
        let postings = value
            .get(pos..pos.saturating_add(len))
            .ok_or_else(|| Error::corrupted("posting", "truncated postings"))?;
        pos += len;
        out.push((id, postings));
    }
    Ok(out)
}

/// Decode a posting value into (message index, tf, length) triples.
pub(crate) fn decode_postings(value: &[u8]) -> Result<Vec<(u32, u32, u32)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut idx = 0u64;
    while pos < value.len() {
        idx += get_varint(value, &mut pos)?;
        let tf = get_varint(value, &mut pos)?;
        let len = get_varint(value, &mut pos)?;
        let idx32 =
            u32::try_from(idx).map_err(|_| Error::corrupted("posting", "index overflow"))?;
        out.push((
            idx32,
            tf.min(u32::MAX as u64) as u32,
            len.min(u32::MAX as u64) as u32,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The postings of sessions as the index built them before `PagePostings`: a map and a
    /// sort per session, merged per page in a `BTreeMap`. The reference it must equal.
    fn reference_page(sessions: &[([u8; 16], Vec<String>)]) -> (Vec<(String, Vec<u8>)>, u64) {
        let mut merged: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
        let mut total = 0u64;
        for (id, texts) in sessions {
            let mut postings: FxHashMap<String, Vec<(u32, u32)>> = FxHashMap::default();
            let mut lengths = Vec::new();
            for (i, text) in texts.iter().enumerate() {
                let i = i as u32;
                let mut len = 0u32;
                for_each_term(text, |t| {
                    len += 1;
                    let list = postings.entry(t.to_string()).or_default();
                    match list.last_mut() {
                        Some((idx, tf)) if *idx == i => *tf += 1,
                        _ => list.push((i, 1)),
                    }
                });
                lengths.push(len);
            }
            total += lengths.iter().map(|&l| u64::from(l)).sum::<u64>();
            let mut terms: Vec<_> = postings.into_iter().collect();
            terms.sort();
            for (term, list) in terms {
                let mut value = Vec::new();
                let mut prev = 0u32;
                for (idx, tf) in list {
                    put_varint(&mut value, u64::from(idx - prev));
                    put_varint(&mut value, u64::from(tf));
                    put_varint(&mut value, u64::from(lengths[idx as usize]));
                    prev = idx;
                }
                let slot = merged.entry(term).or_default();
                slot.extend_from_slice(id);
                put_varint(slot, value.len() as u64);
                slot.extend_from_slice(&value);
            }
        }
        (merged.into_iter().collect(), total)
    }

    fn page_of(sessions: &[([u8; 16], Vec<String>)]) -> (Vec<(String, Vec<u8>)>, u64) {
        let mut page = PagePostings::default();
        let total = sessions
            .iter()
            .map(|(id, texts)| page.add_session(id, texts.iter().map(String::as_str)))
            .sum();
        let terms = page.take_sorted();
        assert!(
            page.terms.is_empty() && page.slots.is_empty(),
            "a taken page is empty"
        );
        (
            terms
                .into_iter()
                .map(|(t, v)| (t.into_string(), v))
                .collect(),
            total,
        )
    }

    #[test]
    fn page_postings_equal_the_per_session_merge() {
        let sessions = vec![
            (
                [1u8; 16],
                vec![
                    "Fix the flaky websocket test in tests/ws.rs".to_string(),
                    "the test fails because the server closes the socket; fix: retry".into(),
                    String::new(),
                    "retry retry RETRY".into(),
                ],
            ),
            (
                [2u8; 16],
                vec!["websocket server retry policy, naïve café".into()],
            ),
            (
                [3u8; 16],
                vec!["no terms here: a an the".into(), "Websocket".into()],
            ),
        ];
        assert_eq!(page_of(&sessions), reference_page(&sessions));
    }

    proptest::proptest! {
        #[test]
        fn page_postings_equal_the_per_session_merge_on_any_texts(
            sessions in proptest::collection::vec(
                proptest::collection::vec("(ab|cd|ef|gh|the| |\\.|x{2,3}|\\PC){0,12}", 0..5),
                0..6,
            )
        ) {
            let sessions: Vec<([u8; 16], Vec<String>)> = sessions
                .into_iter()
                .enumerate()
                .map(|(i, texts)| ([i as u8; 16], texts))
                .collect();
            proptest::prop_assert_eq!(page_of(&sessions), reference_page(&sessions));
            for threads in [2, 3] {
                let (terms, tokens) = tokenize_page(&sessions, threads).unwrap();
                let terms: Vec<(String, Vec<u8>)> =
                    terms.into_iter().map(|(t, v)| (t.into_string(), v)).collect();
                proptest::prop_assert_eq!((terms, tokens), reference_page(&sessions));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn decoders_never_panic_on_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok(groups) = decode_group(&bytes) {
                for (_, postings) in groups {
                    let _ = decode_postings(postings);
                }
            }
            let _ = decode_postings(&bytes);
        }
    }

    #[test]
    fn runs_split_by_text_cover_every_session_in_order() {
        let sessions: Vec<([u8; 16], Vec<String>)> = (0..10u8)
            .map(|i| ([i; 16], vec!["x".repeat(usize::from(i) * 100)]))
            .collect();
        for parts in 1..=12 {
            let runs = split_by_text(&sessions, parts);
            assert!(runs.len() <= parts.max(1));
            let joined: Vec<u8> = runs.iter().flat_map(|r| r.iter().map(|s| s.0[0])).collect();
            assert_eq!(joined, (0..10).collect::<Vec<u8>>(), "{parts} parts");
        }
        assert_eq!(split_by_text(&[], 3).concat().len(), 0);
    }

    #[test]
    fn varints_round_trip() {
        let mut v = Vec::new();
        for n in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            put_varint(&mut v, n);
        }
        let mut pos = 0;
        for n in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            assert_eq!(get_varint(&v, &mut pos).unwrap(), n);
        }
        assert!(get_varint(&[0x80], &mut 0).is_err());
    }
}
