//! Keyword search over message text: a BM25-ranked inverted index kept as a projection in
//! the `index` column family, written in the same atomic batch as the session it indexes.
//!
//! Why not tantivy: its segments commit separately from RocksDB, so a crash between the two
//! commits would leave the index and the store disagreeing; keeping postings in RocksDB
//! makes the index exactly as durable as the log entry that produced it, and the corpus
//! (messages of coding sessions) is small enough per store for plain BM25 over postings.
//!
//! Posting key: `(term, session id)`; value: for each message holding the term, varints
//! `message index delta, term frequency, message length in tokens`.

use std::collections::HashMap;

use serde::Serialize;

use crate::engine::{Engine, CF_INDEX};
use crate::error::{Error, Result};
use crate::keys::{KeyBuilder, KeyReader};

const MIN_TERM: usize = 2;
const MAX_TERM: usize = 32;
const BM25_K1: f64 = 1.2;
const BM25_B: f64 = 0.75;

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// Split text into lower-case index terms (alphanumeric runs, `_` included).
pub fn tokenize(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| (MIN_TERM..=MAX_TERM).contains(&w.len()))
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
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

/// A key and its value.
pub(crate) type KeyValue = (Vec<u8>, Vec<u8>);

/// Postings of one session as `(key, value)` pairs for the `index` column family, and the
/// number of tokens indexed. Pure, so it runs outside the writer lock.
pub(crate) fn build_postings<'a>(
    session_id: &[u8],
    texts: impl Iterator<Item = &'a str>,
) -> (Vec<KeyValue>, u64) {
    let mut postings: HashMap<String, Vec<(u32, u32, u32)>> = HashMap::new();
    let mut total = 0u64;
    for (i, text) in texts.enumerate() {
        let mut tf: HashMap<String, u32> = HashMap::new();
        let mut len = 0u32;
        for t in tokenize(text) {
            *tf.entry(t).or_default() += 1;
            len += 1;
        }
        total += u64::from(len);
        for (term, n) in tf {
            postings.entry(term).or_default().push((i as u32, n, len));
        }
    }
    let mut out = Vec::with_capacity(postings.len());
    for (term, mut list) in postings {
        list.sort_unstable();
        let mut value = Vec::with_capacity(list.len() * 3);
        let mut prev = 0u32;
        for (idx, tf, len) in list {
            put_varint(&mut value, u64::from(idx - prev));
            put_varint(&mut value, u64::from(tf));
            put_varint(&mut value, u64::from(len));
            prev = idx;
        }
        out.push((
            KeyBuilder::new().str(&term).bytes(session_id).finish(),
            value,
        ));
    }
    (out, total)
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
    /// BM25 search; returns session hits best first, at most `limit` messages per session.
    /// `keep` filters sessions by id before ranking.
    pub(crate) fn search_index(
        &self,
        query: &str,
        keep: &dyn Fn(&[u8]) -> bool,
        per_session: usize,
    ) -> Result<Vec<(Vec<u8>, SessionHit)>> {
        let (messages, tokens) = {
            let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            (w.stats.messages.max(1) as f64, w.stats.tokens as f64)
        };
        let avg_len = (tokens / messages).max(1.0);
        let mut terms: Vec<String> = tokenize(query).collect();
        terms.sort();
        terms.dedup();
        let g = self.db()?;
        let mut scores: HashMap<(Vec<u8>, u32), f64> = HashMap::new();
        for term in &terms {
            let prefix = KeyBuilder::new().str(term).finish();
            let mut matches = Vec::new();
            for item in g.db().prefix_iterator_cf(g.cf(CF_INDEX), &prefix) {
                let (k, v) = item?;
                if !k.starts_with(&prefix) {
                    break;
                }
                let mut r = KeyReader::new(&k);
                r.str()?;
                let session = r.bytes()?;
                if !keep(&session) {
                    continue;
                }
                matches.push((session, decode_postings(&v)?));
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
        let t: Vec<_> = tokenize("Fix the RocksDB_lock error in src/main.rs, a b").collect();
        assert_eq!(t, ["fix", "rocksdb_lock", "error", "src", "main", "rs"]);
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
