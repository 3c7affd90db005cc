//! Compaction of stored sessions: recompress session blobs at a higher zstd level with the
//! newest dictionary, after they were written fast.
//!
//! The write path compresses at `Options::compression_level` (fast, default 3) so imports
//! stay quick; [`crate::Mnemo::compact`] later rewrites each blob whose new frame is
//! smaller. A blob's key is the hash of its content, not of its frame, so a rewrite is an
//! idempotent put of the same content: a crash mid-way leaves every blob readable, either
//! in its old frame or its new one.

use serde::Serialize;

use crate::codec::{parse_header, ContentKind};
use crate::engine::{Engine, CF_BLOBS};
use crate::error::Result;

/// Blobs rewritten per batch.
const PAGE: usize = 128;

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
                for item in g.db().iterator_cf(g.cf(CF_BLOBS), mode) {
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
                let raw = self.codec.decode(frame)?;
                let new = self.codec.encode_at(ContentKind::Transcript, &raw, level)?;
                // Never rewrite to a frame older readers of this store could not read.
                let same_seal = parse_header(&new)?.seal == parse_header(frame)?.seal;
                if new.len() < frame.len() && same_seal {
                    report.bytes_after += new.len() as u64;
                    rewrites.push((key.clone(), frame.len() as u64, new));
                } else {
                    report.bytes_after += frame.len() as u64;
                }
            }
            if rewrites.is_empty() {
                continue;
            }
            let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let g = self.db()?;
            let mut batch = rocksdb::WriteBatch::default();
            let saved = writer.stats.clone();
            for (key, old_len, new) in &rewrites {
                batch.put_cf(g.cf(CF_BLOBS), key, new);
                writer.stats.blob_stored_bytes = writer
                    .stats
                    .blob_stored_bytes
                    .saturating_sub(*old_len)
                    .saturating_add(new.len() as u64);
                report.rewritten += 1;
            }
            let through = writer.next_seq - 1;
            let result = writer
                .save_stats(&g, &mut batch, through)
                .and_then(|()| Ok(g.db().write_opt(batch, &self.write_options())?));
            if let Err(e) = result {
                writer.stats = saved;
                return Err(e);
            }
        }
        Ok(report)
    }
}
