//! Keyword search over message text: a BM25-ranked inverted index kept by the projection
//! [`SearchIndex`], run by the same machinery as host projections (`events::projection`):
//! its postings and its checkpoint commit together in one atomic batch per page of
//! `session.imported` events, it is caught up before every search (so a search sees every
//! session imported before it), kept current in the background after imports, and rebuilt
//! blue-green with `rebuild_projection` (CLI: `mnemo projections rebuild search-index`).
//!
//! Indexing behind the import rather than in its commit keeps tokenising off the import's
//! path and merges the postings of up to a page of sessions into one key per term, where a
//! key per term per imported file made memtable inserts the largest cost of an import.
//!
//! Why not tantivy: its segments commit separately from RocksDB, so a crash between the two
//! commits would leave the index and its checkpoint disagreeing; keeping postings in RocksDB
//! makes the index exactly as durable as its checkpoint, and the corpus (messages of coding
//! sessions) is small enough per store for plain BM25 over postings.
//!
//! Read-model keys (under the projection's generation prefix in `views`): postings
//! `(term, first sequence number of the page)` → for each session of that page holding the
//! term, its id, a varint length, then for each message holding the term, varints
//! `message index delta, term frequency, message length in tokens`; and [`TOTALS_KEY`] →
//! messages and tokens indexed (for BM25's average length).

use std::collections::HashMap;

use serde::Serialize;

use crate::engine::{Engine, CF_VIEWS};
use crate::error::{Error, Result};
use crate::events::projection::{generation_prefix, Projection, ViewBatch};
use crate::events::EventFilter;
use crate::keys::KeyBuilder;
use crate::log::LogEntry;
use crate::sessions::{SessionRecord, SESSION_IMPORTED};

/// Name of the search index projection.
pub const SEARCH_INDEX: &str = "search-index";
/// Read-model key of the index totals (never a term key: those start with a term byte).
pub const TOTALS_KEY: &[u8] = b"\0totals";

type FxHashMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;

const MIN_TERM: usize = 2;
const MAX_TERM: usize = 32;
const BM25_K1: f64 = 1.2;
const BM25_B: f64 = 0.75;

#[cfg(test)]
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

fn is_stop_word(w: &str) -> bool {
    // A match compiles to length-and-bytes comparisons; keep in sync with STOP_WORDS.
    matches!(
        w,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "but"
            | "by"
            | "for"
            | "if"
            | "in"
            | "into"
            | "is"
            | "it"
            | "no"
            | "not"
            | "of"
            | "on"
            | "or"
            | "such"
            | "that"
            | "the"
            | "their"
            | "then"
            | "there"
            | "these"
            | "they"
            | "this"
            | "to"
            | "was"
            | "will"
            | "with"
    )
}

#[cfg(test)]
fn is_term_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Call `f` with each lower-case index term of `text` (alphanumeric runs, `_` included,
/// 2-32 bytes, stop words dropped), reusing one buffer: no allocation per term.
///
/// Scans bytes, decoding a character only where a byte is not ASCII: transcripts are
/// mostly ASCII, and this is the indexer's inner loop. Gives exactly the terms of
/// splitting the text on every character that is neither alphanumeric nor `_`
/// ([`terms_by_chars`], which the tests compare it with).
pub fn for_each_term(text: &str, mut f: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut buf = String::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let mut ascii = true;
        while let Some(&b) = bytes.get(at) {
            if b.is_ascii() {
                if !(b.is_ascii_alphanumeric() || b == b'_') {
                    break;
                }
                at += 1;
            } else {
                match text.get(at..).and_then(|rest| rest.chars().next()) {
                    Some(c) if c.is_alphanumeric() => {
                        at += c.len_utf8();
                        ascii = false;
                    }
                    _ => break,
                }
            }
        }
        if at == start {
            // A separator: step over it (one character).
            at += text
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .map_or(1, char::len_utf8);
            continue;
        }
        let word = &text[start..at];
        if !(MIN_TERM..=MAX_TERM).contains(&word.len()) {
            continue;
        }
        buf.clear();
        if ascii {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(word.chars().flat_map(char::to_lowercase));
        }
        if !is_stop_word(&buf) {
            f(&buf);
        }
    }
}

/// The terms of `text` by splitting on characters: the definition [`for_each_term`]
/// implements faster.
#[cfg(test)]
fn terms_by_chars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !is_term_char(c)) {
        if !(MIN_TERM..=MAX_TERM).contains(&word.len()) {
            continue;
        }
        let lower: String = word.chars().flat_map(char::to_lowercase).collect();
        if !is_stop_word(&lower) {
            out.push(lower);
        }
    }
    out
}

/// Split text into lower-case index terms (see [`for_each_term`]).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_string()));
    out
}

/// A matching message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageHit {
    /// Index of the message in its session.
    pub index: u32,
    /// BM25 score.
    pub score: f64,
}

/// A matching session with its best messages, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionHit {
    /// Session id.
    pub session_id: String,
    /// Session score: its best message's score plus a tenth of the others'.
    pub score: f64,
    /// Matching messages, best first.
    pub messages: Vec<MessageHit>,
}

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
    fn take_sorted(&mut self) -> Vec<(Box<str>, Vec<u8>)> {
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

/// How long the background indexer waits after being woken before it indexes what came.
const INDEX_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

/// The background indexer's flags (see [`Engine::index_in_background`]).
#[derive(Debug, Default)]
pub(crate) struct Indexer {
    running: std::sync::atomic::AtomicBool,
    again: std::sync::atomic::AtomicBool,
}

/// The search index projection: postings of every imported session's messages.
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Postings of the page's sessions applied so far, written by `end_page`.
    page: PagePostings,
    /// Sequence number of the page's first indexed session.
    first_seq: Option<u64>,
    /// Messages and tokens in `pending`.
    messages: u64,
    tokens: u64,
}

/// Messages and tokens indexed.
fn read_totals(value: Option<&[u8]>) -> std::result::Result<(u64, u64), String> {
    match value {
        None => Ok((0, 0)),
        Some(v) if v.len() == 16 => {
            let (m, t) = v.split_at(8);
            let num = |b: &[u8]| u64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
            Ok((num(m), num(t)))
        }
        Some(_) => Err("index totals are not 16 bytes".into()),
    }
}

impl Projection for SearchIndex {
    fn name(&self) -> &str {
        SEARCH_INDEX
    }

    fn filter(&self) -> EventFilter {
        EventFilter {
            stream_prefix: Some("session/".into()),
            kinds: vec![SESSION_IMPORTED.into()],
        }
    }

    fn apply(&mut self, e: &LogEntry, view: &mut ViewBatch<'_>) -> std::result::Result<(), String> {
        let rec: SessionRecord =
            postcard::from_bytes(&e.payload).map_err(|err| format!("session record: {err}"))?;
        let id: [u8; 16] = crate::sessions::hex_to_bytes(&rec.info.id)
            .and_then(|b| b.try_into().ok())
            .ok_or("session record: bad id")?;
        let texts = view
            .engine()
            .session_texts(&rec)
            .map_err(|err| err.to_string())?;
        let tokens = self.page.add_session(&id, texts.iter().map(String::as_str));
        self.first_seq.get_or_insert(e.seq);
        self.messages += texts.len() as u64;
        self.tokens += tokens;
        Ok(())
    }

    fn end_page(&mut self, view: &mut ViewBatch<'_>) -> std::result::Result<(), String> {
        let terms = self.page.take_sorted();
        let (messages, tokens) = (
            std::mem::take(&mut self.messages),
            std::mem::take(&mut self.tokens),
        );
        let Some(first_seq) = self.first_seq.take() else {
            return Ok(());
        };
        for (term, value) in &terms {
            view.put(&KeyBuilder::new().str(term).u64(first_seq).finish(), value);
        }
        let current = view.get(TOTALS_KEY).map_err(|e| e.to_string())?;
        let (m, t) = read_totals(current.as_deref())?;
        let mut totals = [0u8; 16];
        totals[..8].copy_from_slice(&(m + messages).to_be_bytes());
        totals[8..].copy_from_slice(&(t + tokens).to_be_bytes());
        view.put(TOTALS_KEY, &totals);
        Ok(())
    }
}

/// Split a merged posting value into (session id, postings) pairs.
fn decode_group(value: &[u8]) -> Result<Vec<([u8; 16], &[u8])>> {
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
fn decode_postings(value: &[u8]) -> Result<Vec<(u32, u32, u32)>> {
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

impl Engine {
    /// Catch the search index up on a background thread, unless one is already doing it (it
    /// then goes round once more). Errors are left in the projection's status; the next
    /// search runs the index again and reports them.
    pub(crate) fn index_in_background(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.indexer.again.store(true, SeqCst);
        if self.indexer.running.swap(true, SeqCst) {
            return;
        }
        let Some(engine) = self.me.upgrade() else {
            self.indexer.running.store(false, SeqCst);
            return;
        };
        crate::background::spawn("mnemo-indexer", move || loop {
            // Let a burst of imports gather first: a pass then indexes them as one page
            // (fewer postings keys, one write) instead of racing each commit for the
            // write path. Searches never wait for this: they catch the index up first.
            std::thread::sleep(INDEX_DELAY);
            if engine.closed.load(SeqCst) {
                engine.indexer.running.store(false, SeqCst);
                break;
            }
            engine.indexer.again.store(false, SeqCst);
            let _ = engine.run_to_head(&mut SearchIndex::default());
            engine.indexer.running.store(false, SeqCst);
            // A kick that came while running found `running` set: go round again for it.
            if engine.closed.load(SeqCst)
                || !engine.indexer.again.load(SeqCst)
                || engine.indexer.running.swap(true, SeqCst)
            {
                break;
            }
        });
    }

    /// Key prefix of the search index's active generation in `views`.
    fn index_prefix(&self) -> Result<Vec<u8>> {
        Ok(generation_prefix(
            SEARCH_INDEX,
            self.load_state(SEARCH_INDEX)?.active,
        ))
    }

    /// Messages and tokens the search index holds (as far as it has caught up).
    pub(crate) fn index_totals(&self) -> Result<(u64, u64)> {
        self.index_totals_at(&self.index_prefix()?)
    }

    /// [`Engine::index_totals`] of the generation under `base`.
    fn index_totals_at(&self, base: &[u8]) -> Result<(u64, u64)> {
        let mut key = base.to_vec();
        key.extend_from_slice(TOTALS_KEY);
        let g = self.db()?;
        let value = g.db().get_pinned_cf(g.cf(CF_VIEWS), key)?;
        read_totals(value.as_deref()).map_err(|e| Error::corrupted("search index", e))
    }

    /// BM25 search; returns session hits best first, at most `limit` messages per session.
    /// `keep` filters sessions by id before ranking.
    pub(crate) fn search_index(
        &self,
        query: &str,
        keep: &dyn Fn(&[u8]) -> bool,
        per_session: usize,
    ) -> Result<Vec<(Vec<u8>, SessionHit)>> {
        self.run_to_head(&mut SearchIndex::default())?;
        let base = self.index_prefix()?;
        let (messages, tokens) = self.index_totals_at(&base)?;
        let g = self.db()?;
        let (messages, tokens) = (messages.max(1) as f64, tokens as f64);
        let avg_len = (tokens / messages).max(1.0);
        let mut terms: Vec<String> = tokenize(query);
        terms.sort();
        terms.dedup();
        let mut scores: HashMap<(Vec<u8>, u32), f64> = HashMap::new();
        for term in &terms {
            let mut prefix = base.clone();
            prefix.extend_from_slice(&KeyBuilder::new().str(term).finish());
            let mut matches = Vec::new();
            for item in g.db().prefix_iterator_cf(g.cf(CF_VIEWS), &prefix) {
                let (k, v) = item?;
                if !k.starts_with(&prefix) {
                    break;
                }
                for (session, postings) in decode_group(&v)? {
                    if keep(&session) {
                        matches.push((session.to_vec(), decode_postings(postings)?));
                    }
                }
            }
            let df: usize = matches.iter().map(|(_, p)| p.len()).sum();
            let idf = ((messages - df as f64 + 0.5) / (df as f64 + 0.5) + 1.0).ln();
            for (session, postings) in matches {
                for (idx, tf, len) in postings {
                    let tf = f64::from(tf);
                    let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * f64::from(len) / avg_len);
                    let s = idf * tf * (BM25_K1 + 1.0) / (tf + norm);
                    *scores.entry((session.clone(), idx)).or_default() += s;
                }
            }
        }
        let mut by_session: HashMap<Vec<u8>, Vec<MessageHit>> = HashMap::new();
        for ((session, index), score) in scores {
            by_session
                .entry(session)
                .or_default()
                .push(MessageHit { index, score });
        }
        let mut hits: Vec<(Vec<u8>, SessionHit)> = by_session
            .into_iter()
            .map(|(session, mut msgs)| {
                msgs.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
                let best = msgs.first().map_or(0.0, |m| m.score);
                let rest: f64 = msgs.iter().skip(1).map(|m| m.score).sum();
                msgs.truncate(per_session.max(1));
                let hit = SessionHit {
                    session_id: crate::sessions::id_to_hex(&session),
                    score: best + rest / 10.0,
                    messages: msgs,
                };
                (session, hit)
            })
            .collect();
        hits.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_lowercases_and_drops_noise() {
        let t = tokenize("Fix the RocksDB_lock error in src/main.rs, a b Ärger");
        assert_eq!(
            t,
            ["fix", "rocksdb_lock", "error", "src", "main", "rs", "ärger"]
        );
    }

    #[test]
    fn byte_scanner_gives_the_terms_of_a_split_on_characters() {
        let samples = [
            "Fix the RocksDB_lock error in src/main.rs, a b Ärger",
            "naïve café ÉCOLE straße ǅemal İstanbul — «quoted» 東京タワー x²+y² ①②",
            "mixed_ascii_üñíçødé__words and-dashes/paths.rs:42 ____ __a",
            "",
            "\u{1F600}emoji\u{1F600} tab\tnew\nline\r\n",
        ];
        for text in samples {
            assert_eq!(tokenize(text), terms_by_chars(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_scanner_agrees_on_any_text(text in "\\PC{0,64}") {
            proptest::prop_assert_eq!(tokenize(&text), terms_by_chars(&text));
        }
    }

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
        }
    }

    #[test]
    fn stop_word_match_agrees_with_the_list() {
        for w in STOP_WORDS {
            assert!(is_stop_word(w), "{w}");
        }
        assert!(!is_stop_word("rocksdb") && !is_stop_word("th"));
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
