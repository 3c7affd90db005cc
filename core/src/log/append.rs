//! The commit path: checking expected versions, building a commit's entries, blocks,
//! stream-index runs and projections, and writing them in one atomic `WriteBatch`.

use rocksdb::WriteBatch;
use rustc_hash::FxHashMap;

use super::block::BlockBuilder;
use super::{
    commit_hash, now_millis, push_frame, stream_index_key, stream_version, CommitRecord, EntryBody,
    Expected, IndexRun, LogEntry, NewBatch, LOG_COMPRESS_MIN, MAX_PAYLOAD_LEN,
};
use crate::codec::{ContentKind, HEADER_LEN};
use crate::engine::{DbGuard, Engine, WriterState, CF_LOG, CF_STREAM_INDEX};
use crate::error::{Error, Result};
use crate::events::AppendResult;
use crate::model::Millis;

/// The entries of the batches on Mnemo's own streams (the context views' input), as
/// committed: `landed` says where each batch went.
fn context_entries(
    batches: Vec<NewBatch>,
    landed: &[AppendResult],
    timestamp: Millis,
    hash: [u8; 32],
) -> Vec<LogEntry> {
    let mut out = Vec::new();
    let nonempty = batches.into_iter().filter(|b| !b.events.is_empty());
    for (b, at) in nonempty.zip(landed) {
        if !crate::context_views::is_context_stream(&b.stream) {
            continue;
        }
        let first_version = at.version + 1 - b.events.len() as u64;
        for (i, e) in b.events.into_iter().enumerate() {
            out.push(LogEntry {
                seq: at.first_seq + i as u64,
                stream: b.stream.clone(),
                version: first_version + i as u64,
                kind: e.kind,
                schema: e.schema,
                timestamp,
                payload: e.payload,
                metadata: e.metadata,
                hash,
            });
        }
    }
    out
}

/// A written commit not yet known durable (see [`Engine::commit_unsynced`]); nothing to
/// wait for when writes are not synced.
#[derive(Debug, Default, Clone, Copy)]
#[must_use = "a commit is acknowledged only once awaited durable"]
pub(crate) struct PendingSync {
    /// The write's ticket in `log::group_sync`, when it must be synced.
    ticket: Option<u64>,
    /// The commit's last sequence number, published to the change feed once durable.
    last_seq: Option<u64>,
}

/// Commits after which the counters are saved even when only their log bytes changed (host
/// appends); what a crash leaves unsaved is recounted at open ([`stored_bytes_from`]).
const STATS_SAVE_EVERY: u32 = 64;

impl Engine {
    /// Append `batches` atomically and write their projections: the context views of
    /// Mnemo's own events, and whatever `project` adds to the same batch. Returns where each
    /// batch landed. Either everything is durable (per `Options::sync_writes`) or nothing
    /// is written.
    pub(crate) fn commit<T>(
        &self,
        batches: Vec<NewBatch>,
        project: impl FnOnce(&DbGuard<'_>, &mut WriterState, &mut WriteBatch) -> Result<T>,
    ) -> Result<(Vec<AppendResult>, T)> {
        let (landed, out, pending) = self.commit_unsynced(batches, 0, project)?;
        self.await_durable(pending)?;
        Ok((landed, out))
    }

    /// [`Engine::commit`] without waiting for durability: the commit is written (and
    /// visible to readers) but, with `Options::sync_writes`, acknowledged to nobody until
    /// the returned [`PendingSync`] is passed to [`Engine::await_durable`]. Lets a bulk
    /// import write its next group while the previous one syncs. `project_bytes` is about
    /// how many bytes `project` adds, so the batch is sized once (growing a batch of
    /// megabytes copies it over and over).
    pub(crate) fn commit_unsynced<T>(
        &self,
        batches: Vec<NewBatch>,
        project_bytes: usize,
        project: impl FnOnce(&DbGuard<'_>, &mut WriterState, &mut WriteBatch) -> Result<T>,
    ) -> Result<(Vec<AppendResult>, T, PendingSync)> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let saved_stats = writer.stats.clone();
        match self.commit_locked(&mut writer, batches, project_bytes, project) {
            Ok((landed, out)) if !self.sync_writes() => {
                // Publish under the writer lock so the feed's position only moves forward.
                if let Some(last) = landed.last() {
                    self.feed.publish(last.last_seq);
                }
                drop(writer);
                Ok((landed, out, PendingSync::default()))
            }
            Ok((landed, out)) => {
                // Written without a sync: synced outside the writer lock, so commits behind
                // this one write meanwhile and share the next sync (`log::group_sync`).
                let pending = PendingSync {
                    ticket: Some(self.group_sync.written()),
                    last_seq: landed.last().map(|l| l.last_seq),
                };
                drop(writer);
                Ok((landed, out, pending))
            }
            Err(e) => {
                writer.stats = saved_stats;
                Err(e)
            }
        }
    }

    /// Wait until a commit of [`Engine::commit_unsynced`] is durable (syncing the log if no
    /// one else has since), then publish it to the change feed.
    pub(crate) fn await_durable(&self, pending: PendingSync) -> Result<()> {
        let Some(ticket) = pending.ticket else {
            return Ok(());
        };
        self.sync_through(ticket)?;
        // Published once durable; `publish` keeps the highest of concurrent ones, and a
        // durable commit implies every earlier one is.
        if let Some(last) = pending.last_seq {
            self.feed.publish(last);
        }
        Ok(())
    }

    fn commit_locked<T>(
        &self,
        writer: &mut WriterState,
        batches: Vec<NewBatch>,
        project_bytes: usize,
        project: impl FnOnce(&DbGuard<'_>, &mut WriterState, &mut WriteBatch) -> Result<T>,
    ) -> Result<(Vec<AppendResult>, T)> {
        let g = self.db()?;
        self.group_sync.check()?;
        // Each stream's version as this commit moves it (None: no events yet).
        let mut versions: FxHashMap<String, Option<u64>> = FxHashMap::default();
        let timestamp = now_millis();
        let first_seq = writer.next_seq;
        let mut seq = first_seq;
        // Where each batch landed, and the stream-index runs (adjacent batches of one
        // stream make one run).
        let mut landed = Vec::with_capacity(batches.len());
        let mut runs: Vec<(usize, IndexRun)> = Vec::with_capacity(batches.len());
        // The canonical frames of the commit's entries, back to back (see `commit_hash`).
        let size: usize = batches
            .iter()
            .flat_map(|b| b.events.iter().map(move |e| (b, e)))
            .map(|(b, e)| 24 + b.stream.len() + e.kind.len() + e.payload.len() + e.metadata.len())
            .sum();
        let mut buf = Vec::with_capacity(size);
        let mut frames = Vec::with_capacity(batches.iter().map(|b| b.events.len()).sum());
        for (bi, b) in batches.iter().enumerate() {
            if let Some(e) = b.events.iter().find(|e| e.payload.len() > MAX_PAYLOAD_LEN) {
                return Err(Error::TooLarge {
                    what: "event payload",
                    size: e.payload.len() as u64,
                    limit: MAX_PAYLOAD_LEN as u64,
                });
            }
            if b.events.is_empty() {
                continue;
            }
            let current = match versions.get(b.stream.as_str()) {
                Some(v) => *v,
                None => {
                    let v = match writer.stream_versions.get(b.stream.as_str()) {
                        Some(v) => Some(*v),
                        None => stream_version(&g, &b.stream)?,
                    };
                    versions.insert(b.stream.clone(), v);
                    v
                }
            };
            let ok = match b.expected {
                Expected::Any => true,
                Expected::NoStream => current.is_none(),
                Expected::Exact(v) => current == Some(v),
            };
            if !ok {
                return Err(Error::Conflict {
                    stream: b.stream.clone(),
                    expected: b.expected.to_string(),
                    current,
                });
            }
            let first_version = current.unwrap_or(0) + 1;
            for (i, e) in b.events.iter().enumerate() {
                let body = EntryBody::of(&b.stream, first_version + i as u64, e);
                frames.push(push_frame(&body, &mut buf)?);
            }
            let len = b.events.len() as u64;
            let last_version = first_version + len - 1;
            if let Some(v) = versions.get_mut(b.stream.as_str()) {
                *v = Some(last_version);
            }
            landed.push(AppendResult {
                first_seq: seq,
                last_seq: seq + len - 1,
                version: last_version,
            });
            match runs.last_mut() {
                Some((at, r)) if batches[*at].stream == b.stream && r.first_seq + r.len == seq => {
                    r.len += len;
                }
                _ => runs.push((
                    bi,
                    IndexRun {
                        first_version,
                        first_seq: seq,
                        len,
                    },
                )),
            }
            seq += len;
        }
        let count = seq - first_seq;
        let mut batch = WriteBatch::with_capacity_bytes(
            (buf.len() + 2 * frames.len() + 4096).saturating_add(project_bytes),
        );
        let head = if count == 0 {
            writer.head_hash
        } else {
            let lengths: Vec<u32> = frames.iter().map(|r| r.len() as u32).collect();
            commit_hash(&writer.head_hash, first_seq, timestamp, &lengths, &buf)
        };
        let mut log_bytes = 0u64;
        if count > 0 {
            let record = CommitRecord {
                first_seq,
                last_seq: seq - 1,
                timestamp,
                hash: head,
            };
            let mut blocks = BlockBuilder::new(record, buf.len() + 2 * frames.len());
            for range in frames {
                let frame = &buf[range];
                let raw = &frame[1..];
                if raw.len() >= LOG_COMPRESS_MIN {
                    blocks.push(&self.encode_sampled(ContentKind::Record, raw)?);
                } else if self.codec.is_plaintext() {
                    blocks.push(frame);
                } else {
                    let mut unsealed = Vec::with_capacity(HEADER_LEN + raw.len());
                    unsealed.resize(HEADER_LEN, 0);
                    unsealed.extend_from_slice(raw);
                    blocks.push(&self.codec.frame_uncompressed(unsealed)?);
                }
            }
            let log = g.cf(CF_LOG);
            for (key, value) in blocks.finish() {
                log_bytes += value.len() as u64;
                batch.put_cf(log, key, value);
            }
        }
        // The index runs (which also give each stream's version), in key order: RocksDB's
        // memtable inserts keys that arrive in order next to the previous one instead of
        // searching from the top, which is most of the cost of a commit that touches many
        // streams.
        let mut index: Vec<(Vec<u8>, [u8; 16])> = runs
            .iter()
            .map(|(at, run)| {
                let key = stream_index_key(&batches[*at].stream, run.first_version);
                (key, run.value())
            })
            .collect();
        index.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, value) in &index {
            batch.put_cf(g.cf(CF_STREAM_INDEX), key, value);
        }
        writer.stats.log_stored_bytes += log_bytes;
        // Mnemo's own events (reserved streams) become rows of the context views here;
        // host events have none, so no entry is built for them.
        let context = context_entries(batches, &landed, timestamp, head);
        let views_changed =
            crate::context_views::apply_inline(&g, &mut batch, &mut writer.stats, &context)?;
        let out = project(&g, writer, &mut batch)?;
        writer.unsaved_commits += 1;
        if views_changed || writer.unsaved_commits >= STATS_SAVE_EVERY {
            writer.save_stats(&g, &mut batch, seq - 1)?;
        }
        // Durable commits sync after the writer lock is released (`log::group_sync`).
        g.db().write_opt(batch, &rocksdb::WriteOptions::default())?;
        // After the rows are visible, before the commit is acknowledged: templates cached
        // before this commit are no longer served (`prompts::PromptCache`).
        self.note_template_changes(&mut writer.prompt_heads, &context);
        writer.next_seq = seq;
        writer.head_hash = head;
        writer.remember_versions(versions);
        Ok((landed, out))
    }

    /// Current version of a stream (`None` when it has no events). A stream this handle
    /// committed to recently is in the writer's cache, which is read when no commit holds
    /// the writer (a reader never waits behind a commit's fsync); otherwise one seek.
    pub(crate) fn stream_version(&self, stream: &str) -> Result<Option<u64>> {
        if let Ok(writer) = self.writer.try_lock() {
            if let Some(&v) = writer.stream_versions.get(stream) {
                return Ok(Some(v));
            }
        }
        let g = self.db()?;
        stream_version(&g, stream)
    }
}
