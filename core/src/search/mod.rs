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
//!
//! Here: the projection, the background indexer and the BM25 query; `terms.rs` cuts text
//! into terms; `postings.rs` builds a page's postings values (on several threads for a
//! large page) and decodes them.

use std::collections::HashMap;

use serde::Serialize;

use crate::background::Hold;
use crate::engine::{Engine, CF_VIEWS};
use crate::error::{Error, Result};
use crate::events::projection::{generation_prefix, Projection, ViewBatch};
use crate::events::EventFilter;
use crate::keys::KeyBuilder;
use crate::log::LogEntry;
use crate::sessions::{SessionRecord, SESSION_IMPORTED};

mod postings;
mod terms;

use postings::{decode_group, decode_postings, indexing_threads, tokenize_page};
pub use terms::{for_each_term, tokenize};

/// Name of the search index projection.
pub const SEARCH_INDEX: &str = "search-index";
/// Read-model key of the index totals (never a term key: those start with a term byte).
pub const TOTALS_KEY: &[u8] = b"\0totals";

const BM25_K1: f64 = 1.2;
const BM25_B: f64 = 0.75;

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

/// How long the background indexer waits after being woken before it indexes what came.
const INDEX_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

/// The search index projection: postings of every imported session's messages.
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// The page's sessions applied so far, with their message texts: `end_page` tokenises
    /// them (on several threads when there is enough text) and writes their postings.
    pending: Vec<([u8; 16], Vec<String>)>,
    /// Sequence number of the page's first indexed session.
    first_seq: Option<u64>,
    /// Messages in `pending`.
    messages: u64,
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
        self.first_seq.get_or_insert(e.seq);
        self.messages += texts.len() as u64;
        self.pending.push((id, texts));
        Ok(())
    }

    fn end_page(&mut self, view: &mut ViewBatch<'_>) -> std::result::Result<(), String> {
        let pending = std::mem::take(&mut self.pending);
        let messages = std::mem::take(&mut self.messages);
        let Some(first_seq) = self.first_seq.take() else {
            return Ok(());
        };
        let (terms, tokens) = tokenize_page(&pending, indexing_threads(&pending))?;
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

impl Engine {
    /// Catch the search index up on a background thread, unless one is already doing it (it
    /// then goes round once more). Errors are left in the projection's status; the next
    /// search runs the index again and reports them.
    pub(crate) fn index_in_background(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        if !self.indexer.kick() {
            return;
        }
        let Some(engine) = self.me.upgrade() else {
            self.indexer.stop();
            return;
        };
        crate::background::spawn("mnemo-indexer", move || loop {
            // Let a burst of imports gather first: a pass then indexes them as one page
            // (fewer postings keys, one write) instead of racing each commit for the
            // write path. Searches never wait for this: they catch the index up first.
            std::thread::sleep(INDEX_DELAY);
            // Closed, or a bulk import began: stop (the kick stays pending for its end).
            if engine.closed.load(SeqCst) || engine.indexer.is_held() {
                engine.indexer.stop();
                break;
            }
            engine.indexer.take();
            let _ = engine.run_to_head(&mut SearchIndex::default());
            engine.indexer.stop();
            // A kick that came while running found it running: go round again for it.
            if engine.closed.load(SeqCst) || !engine.indexer.again() {
                break;
            }
        });
    }

    /// Hold the background indexer back until the returned guard drops: a bulk import
    /// ([`Engine::import_many`]) gets both cores, and the index is then built in one pass
    /// behind it. Searches are unaffected: they always catch the index up first.
    pub(crate) fn hold_indexer(&self) -> Hold<'_> {
        self.indexer.hold(self, Engine::index_in_background)
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
    use crate::{Error, Mnemo, Options};
    use std::time::{Duration, Instant};

    const SAMPLE: &[u8] = include_bytes!(
        "../../../examples/transcripts/specstory/2025-06-02_14-05-debugging-a-flaky-websocket-test.md"
    );

    /// How far the search index has caught up (0 before its first page).
    fn indexed_through(store: &Mnemo) -> u64 {
        match store.projection_status(super::SEARCH_INDEX) {
            Ok(status) => status.checkpoint,
            Err(Error::NotFound { .. }) => 0,
            Err(e) => panic!("status: {e}"),
        }
    }

    /// While a bulk import holds the indexer, imports do not start it; when the hold ends,
    /// it catches up on its own (no search needed).
    #[test]
    fn a_held_indexer_starts_when_the_hold_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = Mnemo::open(dir.path(), Options::default()).unwrap();
        let hold = store.engine().hold_indexer();
        store.import_bytes("a.md", SAMPLE).unwrap();
        let head = store.last_seq();
        // Ten times the indexer's wake-up delay: unheld, it would have indexed by now.
        std::thread::sleep(super::INDEX_DELAY * 10);
        assert_eq!(indexed_through(&store), 0);
        drop(hold);
        // A liveness check; the bound is generous, not a timing.
        let deadline = Instant::now() + Duration::from_secs(30);
        while indexed_through(&store) < head {
            assert!(Instant::now() < deadline, "the indexer never caught up");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
