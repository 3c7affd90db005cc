//! Compaction of stored sessions: recompress session blobs at a higher zstd level with the
//! newest dictionary, after they were written fast.
//!
//! The write path compresses at `Options::compression_level` (fast, default 1) so imports
//! stay quick. Two ways bring the blobs down to their compact size later:
//! - in the background ([`Engine::recompress_in_background`]): once imports have paused
//!   for [`RECOMPRESS_IDLE`], a low-priority thread follows the log's `session.imported`
//!   events and rewrites each new session's blob at `Options::recompress_level` (default
//!   15), saving how far it got (`meta` key `recompressed_through`) with each step, so it
//!   resumes there after a restart or a crash; bulk imports hold it back as they do the
//!   search indexer, and so does an explicit compaction (which does the same work);
//! - at once, for every stored blob, with [`crate::Mnemo::compact`].
//!
//! Either way a blob is rewritten only when its new frame is smaller than the one stored
//! at that moment (checked under the writer lock). A blob's key is the hash of its content,
//! not of its frame, so a rewrite is an idempotent put of the same content: a crash mid-way
//! leaves every blob readable, either in its old frame or its new one.

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::background::{Hold, Task};
use crate::codec::{parse_header, ContentKind};
use crate::engine::{DbGuard, Engine, CF_BLOBS, CF_META};
use crate::error::{Error, Result};
use crate::sessions::{SessionRecord, SESSION_IMPORTED};

/// Blobs rewritten per batch.
const PAGE: usize = 128;
/// How long imports must pause before the background recompression starts (or resumes).
pub(crate) const RECOMPRESS_IDLE: Duration = Duration::from_millis(500);
/// Log entries read per background step.
const STEP_ENTRIES: usize = 256;
/// Uncompressed blob bytes recompressed per background step (one cursor save each).
const STEP_BYTES: u64 = 4 << 20;
/// `meta` key: the log sequence number (u64 BE) through which the background recompression
/// has handled every `session.imported` event.
const RECOMPRESSED_KEY: &[u8] = b"recompressed_through";

/// What a compaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CompactionReport {
    /// Blobs examined.
    pub blobs: u64,
    /// Blobs rewritten (their new frame was smaller).
    pub rewritten: u64,
    /// Stored bytes of the examined blobs before.
    pub bytes_before: u64,
    /// Stored bytes of the examined blobs after.
    pub bytes_after: u64,
}

/// The background recompression's state (see [`Engine::recompress_in_background`]).
#[derive(Debug, Default)]
pub(crate) struct Recompressor {
    /// Kicks (new sessions to recompress once imports pause), its thread, and its holds
    /// (bulk imports; explicit compactions, which do the same work).
    task: Task,
    /// When the last kick came: the thread waits until [`RECOMPRESS_IDLE`] has passed since.
    last_kick: Mutex<Option<Instant>>,
}

impl Recompressor {
    fn kicked_at(&self) -> Option<Instant> {
        *self.last_kick.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Engine {
    /// Recompress every stored blob at `level` with the newest `Transcript` dictionary,
    /// keeping whichever frame is smaller.
    pub(crate) fn compact_blobs(&self, level: i32) -> Result<CompactionReport> {
        let mut report = CompactionReport::default();
        let mut start: Option<Vec<u8>> = None;
        loop {
            // Read a page without holding the writer lock.
            let page: Vec<(Vec<u8>, Vec<u8>)> = {
                let g = self.db()?;
                let mode = match &start {
                    None => rocksdb::IteratorMode::Start,
                    Some(k) => rocksdb::IteratorMode::From(k, rocksdb::Direction::Forward),
                };
                let mut page = Vec::with_capacity(PAGE);
                for item in g.db().iterator_cf_opt(g.cf(CF_BLOBS), scan_options(), mode) {
                    let (k, v) = item?;
                    if start.as_deref() == Some(&k[..]) {
                        continue;
                    }
                    page.push((k.to_vec(), v.to_vec()));
                    if page.len() == PAGE {
                        break;
                    }
                }
                page
            };
            let Some((last, _)) = page.last() else { break };
            start = Some(last.clone());
            let mut rewrites = Vec::new();
            for (key, frame) in &page {
                report.blobs += 1;
                report.bytes_before += frame.len() as u64;
                match self.smaller_frame(frame, level)? {
                    Some(new) => {
                        report.bytes_after += new.len() as u64;
                        rewrites.push((key.clone(), new));
                    }
                    None => report.bytes_after += frame.len() as u64,
                }
            }
            report.rewritten += self.rewrite_blobs(&rewrites, None)?;
        }
        Ok(report)
    }

    /// `frame` recompressed at `level` with the newest `Transcript` dictionary, when that
    /// is smaller and sealed the same way (never a frame older readers could not open).
    fn smaller_frame(&self, frame: &[u8], level: i32) -> Result<Option<Vec<u8>>> {
        let raw = self.codec.decode(frame)?;
        let new = self.codec.encode_at(ContentKind::Transcript, &raw, level)?;
        let same_seal = parse_header(&new)?.seal == parse_header(frame)?.seal;
        Ok((new.len() < frame.len() && same_seal).then_some(new))
    }

    /// Write each `(key, frame)` whose frame is smaller than the one stored now, with the
    /// counters and, when given, the background cursor (only ever moved forward), in one
    /// batch under the writer lock. Returns how many blobs were rewritten.
    fn rewrite_blobs(&self, rewrites: &[(Vec<u8>, Vec<u8>)], cursor: Option<u64>) -> Result<u64> {
        if rewrites.is_empty() && cursor.is_none() {
            return Ok(0);
        }
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let g = self.db()?;
        let mut batch = rocksdb::WriteBatch::default();
        let saved = writer.stats.clone();
        let mut rewritten = 0;
        for (key, new) in rewrites {
            // Another compaction may have rewritten it since it was read.
            let Some(current) = g.db().get_pinned_cf(g.cf(CF_BLOBS), key)? else {
                continue;
            };
            if new.len() >= current.len() {
                continue;
            }
            batch.put_cf(g.cf(CF_BLOBS), key, new);
            writer.stats.blob_stored_bytes = writer
                .stats
                .blob_stored_bytes
                .saturating_sub(current.len() as u64)
                .saturating_add(new.len() as u64);
            rewritten += 1;
        }
        if let Some(seq) = cursor {
            if seq > cursor_in(&g)? {
                batch.put_cf(g.cf(CF_META), RECOMPRESSED_KEY, seq.to_be_bytes());
            }
        }
        let through = writer.next_seq - 1;
        let result = writer
            .save_stats(&g, &mut batch, through)
            .and_then(|()| Ok(g.db().write_opt(batch, &self.write_options())?));
        if let Err(e) = result {
            writer.stats = saved;
            return Err(e);
        }
        Ok(rewritten)
    }

    /// The log sequence number through which the background recompression has handled
    /// every imported session (0 before its first step).
    pub(crate) fn recompressed_through(&self) -> Result<u64> {
        cursor_in(&self.db()?)
    }

    /// Move the background cursor to `through` unless it is past it already.
    pub(crate) fn recompressed_at_least(&self, through: u64) -> Result<()> {
        self.rewrite_blobs(&[], Some(through)).map(|_| ())
    }

    /// One background step: recompress the blobs of the sessions imported after the cursor,
    /// up to [`STEP_ENTRIES`] log entries or [`STEP_BYTES`] of blobs, then save the cursor.
    /// Returns whether it reached the end of the log.
    pub(crate) fn recompress_step(&self, level: i32) -> Result<bool> {
        let from = self.recompressed_through()? + 1;
        let entries = self.read_log(from, STEP_ENTRIES)?;
        let Some(last) = entries.last() else {
            return Ok(true);
        };
        let mut rewrites: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut done = from - 1;
        let mut bytes = 0u64;
        for e in &entries {
            if e.kind == SESSION_IMPORTED && e.stream.starts_with("session/") {
                let rec: SessionRecord = postcard::from_bytes(&e.payload)
                    .map_err(|err| Error::corrupted("session record", err))?;
                let frame = {
                    let g = self.db()?;
                    let value =
                        g.db()
                            .get_pinned_cf_opt(g.cf(CF_BLOBS), rec.blob.hash, &scan_options())?;
                    value.map(|f| f.to_vec())
                };
                // A blob imported twice in one step was rewritten by the first.
                if let Some(frame) = frame {
                    if let Some(new) = self.smaller_frame(&frame, level)? {
                        if !rewrites.iter().any(|(k, _)| k[..] == rec.blob.hash) {
                            rewrites.push((rec.blob.hash.to_vec(), new));
                        }
                    }
                }
                bytes += u64::from(rec.blob.len);
            }
            done = e.seq;
            if bytes >= STEP_BYTES || self.closed.load(SeqCst) {
                break;
            }
        }
        self.rewrite_blobs(&rewrites, Some(done))?;
        Ok(done == last.seq && entries.len() < STEP_ENTRIES)
    }

    /// Note that sessions were imported: once imports pause for [`RECOMPRESS_IDLE`], a
    /// low-priority thread recompresses their blobs at `Options::recompress_level`. Does
    /// nothing when that is off. A bulk import in progress holds it back until it ends.
    pub(crate) fn recompress_in_background(&self) {
        let Some(level) = self.recompress_level else {
            return;
        };
        *self
            .recompressor
            .last_kick
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        if !self.recompressor.task.kick() {
            return;
        }
        let Some(engine) = self.me.upgrade() else {
            self.recompressor.task.stop();
            return;
        };
        crate::background::spawn("mnemo-recompress", move || {
            engine.recompress_until_idle(level);
            engine.recompressor.task.stop();
            // A kick that came after the last check found it running: go again for it.
            if engine.recompressor.task.pending()
                && !engine.closed.load(SeqCst)
                && !engine.recompressor.task.is_held()
            {
                engine.recompress_in_background();
            }
        });
    }

    /// Hold the background recompression back until the returned guard drops (a bulk
    /// import, or an explicit [`crate::Mnemo::compact`], runs meanwhile); it starts when the
    /// last hold ends if imports kicked it meanwhile.
    pub(crate) fn hold_recompression(&self) -> Hold<'_> {
        self.recompressor
            .task
            .hold(self, Engine::recompress_in_background)
    }

    /// The background thread's work: wait for a pause in imports, then step until the log
    /// is handled, starting over when imports resume; stop at close, under a bulk import or
    /// an explicit compaction (their end starts it again), or on an error (the next kick
    /// retries).
    fn recompress_until_idle(&self, level: i32) {
        loop {
            if self.closed.load(SeqCst) {
                return;
            }
            if self.recompressor.task.is_held() {
                // What is left is done when the hold ends.
                self.recompressor.task.leave();
                return;
            }
            let since = self
                .recompressor
                .kicked_at()
                .map_or(RECOMPRESS_IDLE, |t| t.elapsed());
            if since < RECOMPRESS_IDLE {
                std::thread::sleep((RECOMPRESS_IDLE - since).min(Duration::from_millis(100)));
                continue;
            }
            self.recompressor.task.take();
            // Use the dictionary a running training is about to deliver.
            self.training.wait_idle();
            loop {
                match self.recompress_step(level) {
                    Ok(true) => return,
                    Ok(false) => {}
                    Err(_) => return,
                }
                if self.closed.load(SeqCst)
                    || self.recompressor.task.is_held()
                    || self.recompressor.task.pending()
                {
                    break;
                }
            }
        }
    }
}

/// The background cursor as stored.
fn cursor_in(g: &DbGuard<'_>) -> Result<u64> {
    let value = g.db().get_pinned_cf(g.cf(CF_META), RECOMPRESSED_KEY)?;
    match value {
        None => Ok(0),
        Some(v) => {
            let bytes: [u8; 8] = v[..]
                .try_into()
                .map_err(|_| Error::corrupted("recompression cursor", "not 8 bytes"))?;
            Ok(u64::from_be_bytes(bytes))
        }
    }
}

/// Read options for one-off passes over blobs: what they read does not push out of the
/// block cache what readers use.
fn scan_options() -> rocksdb::ReadOptions {
    let mut o = rocksdb::ReadOptions::default();
    o.fill_cache(false);
    o
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::{Mnemo, Options};

    #[test]
    fn a_hold_keeps_the_background_waiting_and_its_end_resumes_it() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            sync_writes: false,
            recompress_level: 19,
            ..Options::default()
        };
        let store = Mnemo::open(dir.path(), options).unwrap();
        let engine = store.engine();
        let hold = engine.hold_recompression();
        store
            .import_paths(&[crate::sample_transcripts()], |_| {})
            .unwrap();
        // Well past the pause after which it would have started.
        std::thread::sleep(Duration::from_millis(1200));
        assert_eq!(engine.recompressed_through().unwrap(), 0);
        drop(hold);
        let deadline = Instant::now() + Duration::from_secs(60);
        while engine.recompressed_through().unwrap() < store.last_seq() {
            assert!(
                Instant::now() < deadline,
                "not resumed after the hold ended"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
