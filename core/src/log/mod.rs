//! The log: one ordered sequence of events, the spine of the engine.
//!
//! Every mutation is an event with a global sequence number and a per-stream version (for
//! optimistic concurrency). Current-state views are projections written in the same
//! atomic `WriteBatch` as the events that cause them. This module owns the entry format,
//! the commit path and reading the log back (the change feed); `commits` owns the record
//! each commit writes (its sequence range, timestamp and chain hash).
//!
//! Stored layout: `log` maps a sequence number (u64 BE) to a codec frame of one entry's own
//! fields (stream, version, type, schema, payload, metadata); the sequence number is the
//! key, and the timestamp and chain hash, shared by every entry of a commit, are in the
//! commit's record in `commits` (see [`commits::CommitRecord`]).

pub mod commits;

use std::time::Duration;

use rocksdb::{IteratorMode, WriteBatch, DB};
use serde::{Deserialize, Serialize};

use rustc_hash::FxHashMap;

use crate::codec::{ContentKind, HEADER_LEN};
use crate::engine::{DbGuard, Engine, WriterState, CF_COMMITS, CF_LOG, CF_STREAM_INDEX};
use crate::error::{Error, Result};
use crate::events::{AppendResult, EventData};
use crate::model::Millis;
pub use commits::CommitRecord;
pub(crate) use commits::{commit_hash, CommitCursor};

/// Largest event payload accepted: 64 MiB.
pub const MAX_PAYLOAD_LEN: usize = 64 << 20;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Global sequence number, from 1, gap-free.
    pub seq: u64,
    /// The stream the event belongs to (`session/<id>`, `prompt/<name>`, ...).
    pub stream: String,
    /// The stream's version after this event, from 1.
    pub version: u64,
    /// Event type (`session.imported`, `prompt.added`, ...).
    pub kind: String,
    /// Schema version of the payload, for upcasting old events on read (from 1).
    pub schema: u32,
    /// When it was committed.
    pub timestamp: Millis,
    /// Event body; its encoding depends on `kind`.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
    /// Host metadata (opaque bytes, often JSON); empty for Mnemo's own events.
    #[serde(with = "serde_bytes")]
    pub metadata: Vec<u8>,
    /// The log's hash chain: BLAKE3 over the previous commit's hash and every entry of the
    /// commit holding this entry (see [`CommitRecord`]). All entries of one commit carry the
    /// same hash; the newest commit's hash commits to the whole log up to it.
    pub hash: [u8; 32],
}

/// What the log stores of an entry (borrowed, for writing): the fields that are neither
/// in its key (the sequence number) nor in its commit's record (timestamp, hash).
#[derive(Serialize)]
struct EntryBody<'a> {
    stream: &'a str,
    version: u64,
    kind: &'a str,
    schema: u32,
    #[serde(with = "serde_bytes")]
    payload: &'a [u8],
    #[serde(with = "serde_bytes")]
    metadata: &'a [u8],
}

/// [`EntryBody`] decoded (owned).
#[derive(Deserialize)]
struct StoredEntry {
    stream: String,
    version: u64,
    kind: String,
    schema: u32,
    #[serde(with = "serde_bytes")]
    payload: Vec<u8>,
    #[serde(with = "serde_bytes")]
    metadata: Vec<u8>,
}

/// First byte of a log value stored without a codec frame: [`BARE_ENTRY`] then the entry's
/// body. Small entries of a plaintext store are stored so (a codec header would add 11 bytes
/// to a ~200-byte event for nothing); codec frames start with their version (at least 1), so
/// the two cannot be confused. An encrypted store never writes or accepts bare entries.
pub const BARE_ENTRY: u8 = 0;

/// Append the canonical frame of an entry to `buf` ([`BARE_ENTRY`], then the stored body);
/// returns its range. The commit's hash covers these frames, and they are what the log
/// stores for a small entry of a plaintext store.
fn push_frame(body: &EntryBody<'_>, buf: &mut Vec<u8>) -> Result<std::ops::Range<usize>> {
    let start = buf.len();
    buf.push(BARE_ENTRY);
    postcard::to_io(body, &mut *buf)
        .map_err(|e| Error::Storage(format!("encoding log entry: {e}")))?;
    if buf.len() - start - 1 > crate::codec::MAX_VALUE_LEN {
        return Err(Error::TooLarge {
            what: "log entry",
            size: (buf.len() - start - 1) as u64,
            limit: crate::codec::MAX_VALUE_LEN as u64,
        });
    }
    Ok(start..buf.len())
}

/// Push the canonical frame of a stored body `raw` (as [`push_frame`] made it) to `buf`.
pub(crate) fn push_canonical(raw: &[u8], buf: &mut Vec<u8>) {
    buf.push(BARE_ENTRY);
    buf.extend_from_slice(raw);
}

/// Call `f` with the stored body of log value `value`: a bare entry's bytes after its
/// marker, or a codec frame's decoded bytes.
pub(crate) fn with_entry_body<T>(
    codec: &crate::codec::Codec,
    value: &[u8],
    f: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<T> {
    match value.split_first() {
        Some((&BARE_ENTRY, body)) => {
            if !codec.is_plaintext() {
                return Err(Error::corrupted(
                    "log entry",
                    "an unsealed entry in an encrypted store",
                ));
            }
            f(body)
        }
        _ => codec.decode_with(value, f),
    }
}

impl<'a> EntryBody<'a> {
    /// The stored body of `event`, appended to `stream` at `version`.
    fn of(stream: &'a str, version: u64, event: &'a EventData) -> Self {
        EntryBody {
            stream,
            version,
            kind: &event.kind,
            schema: event.schema,
            payload: &event.payload,
            metadata: &event.metadata,
        }
    }
}

/// Decode a value of the `log` column family (a codec frame of an entry's stored body) with
/// `codec`, which must hold the dictionaries the store's values were compressed with; `seq`
/// is the value's key and `commit` the record of the commit holding it.
pub fn decode_entry(
    codec: &crate::codec::Codec,
    seq: u64,
    frame: &[u8],
    commit: &CommitRecord,
) -> Result<LogEntry> {
    if !commit.contains(seq) {
        return Err(Error::corrupted(
            "log",
            format!("entry {seq} read with the wrong commit record"),
        ));
    }
    let e: StoredEntry = with_entry_body(codec, frame, decode_body)?;
    Ok(LogEntry {
        seq,
        stream: e.stream,
        version: e.version,
        kind: e.kind,
        schema: e.schema,
        timestamp: commit.timestamp,
        payload: e.payload,
        metadata: e.metadata,
        hash: commit.hash,
    })
}

/// Decode an entry's stored body (a frame's raw bytes); the whole of `raw` must be used.
fn decode_body(raw: &[u8]) -> Result<StoredEntry> {
    let (e, rest) = postcard::take_from_bytes(raw).map_err(|e| Error::corrupted("log entry", e))?;
    if !rest.is_empty() {
        return Err(Error::corrupted("log entry", "bytes after the entry"));
    }
    Ok(e)
}

/// Check that `raw` is a well-formed stored entry (for verifying the log).
pub(crate) fn check_body(raw: &[u8]) -> Result<()> {
    decode_body(raw).map(|_| ())
}

/// The sequence number a `log` key holds.
pub(crate) fn key_seq(key: &[u8]) -> Result<u64> {
    let key: [u8; 8] = key
        .try_into()
        .map_err(|_| Error::corrupted("log", "key is not 8 bytes"))?;
    Ok(u64::from_be_bytes(key))
}

/// The hash before the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// What version a stream must be at for an append to succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must be at exactly this version.
    Exact(u64),
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Any => f.write_str("any"),
            Expected::NoStream => f.write_str("no stream"),
            Expected::Exact(v) => write!(f, "{v}"),
        }
    }
}

/// Events to append to one stream, in order: the stream must be at `expected` before the
/// first of them. Validated by the caller (names, sizes); `commit` checks versions.
#[derive(Debug, Clone)]
pub(crate) struct NewBatch {
    pub stream: String,
    pub expected: Expected,
    pub events: Vec<EventData>,
}

impl NewBatch {
    /// One of Mnemo's own events (schema 1, no metadata).
    pub fn internal(stream: String, expected: Expected, kind: &str, payload: Vec<u8>) -> Self {
        NewBatch {
            stream,
            expected,
            events: vec![EventData {
                kind: kind.to_string(),
                payload,
                metadata: Vec::new(),
                schema: 1,
            }],
        }
    }
}

/// Key of the stream index: `(stream, first version)` of a run of a stream's events that
/// one commit appended with consecutive sequence numbers; the value is [`IndexRun`].
pub(crate) fn stream_index_key(stream: &str, version: u64) -> Vec<u8> {
    let mut key = stream_index_prefix(stream);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// The part of every [`stream_index_key`] of `stream` before the version.
pub(crate) fn stream_index_prefix(stream: &str) -> Vec<u8> {
    crate::keys::KeyBuilder::new().str(stream).finish()
}

/// A run of one stream's events in the log: versions `first_version..first_version + len`
/// are at sequence numbers `first_seq..first_seq + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexRun {
    /// Version of the run's first event.
    pub first_version: u64,
    /// Sequence number of the run's first event.
    pub first_seq: u64,
    /// Number of events in the run (at least 1).
    pub len: u64,
}

impl IndexRun {
    /// The stored value: first sequence number and length, big-endian.
    pub fn value(&self) -> [u8; 16] {
        let mut v = [0u8; 16];
        v[..8].copy_from_slice(&self.first_seq.to_be_bytes());
        v[8..].copy_from_slice(&self.len.to_be_bytes());
        v
    }

    /// Read a run back from its key's version and its value.
    pub fn decode(first_version: u64, value: &[u8]) -> Result<Self> {
        let bad = || Error::corrupted("stream index", "run value is not 16 bytes");
        let value: [u8; 16] = value.try_into().map_err(|_| bad())?;
        let (seq, len) = value.split_at(8);
        let first_seq = u64::from_be_bytes(seq.try_into().map_err(|_| bad())?);
        let len = u64::from_be_bytes(len.try_into().map_err(|_| bad())?);
        if len == 0 {
            return Err(Error::corrupted("stream index", "empty run"));
        }
        if first_seq.checked_add(len).is_none() || first_version.checked_add(len).is_none() {
            return Err(Error::corrupted(
                "stream index",
                "run past the end of the log",
            ));
        }
        Ok(IndexRun {
            first_version,
            first_seq,
            len,
        })
    }

    /// Version of the run's last event.
    pub fn last_version(&self) -> u64 {
        self.first_version + self.len - 1
    }

    /// Sequence number of `version`, which must lie in the run.
    pub fn seq_of(&self, version: u64) -> u64 {
        self.first_seq + (version - self.first_version)
    }
}

/// Log entries whose encoding is shorter than this are stored without compression: zstd
/// costs more per small entry than it saves (host events of a few hundred bytes), and the
/// append path is the event store's hot path. Longer entries (Mnemo's session records,
/// large host payloads) are compressed with the log's trained dictionary.
pub(crate) const LOG_COMPRESS_MIN: usize = 512;

pub(crate) fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Highest sequence number in the log (0 when empty) and the chain hash after it, from the
/// newest commit record. A log with entries but no commit records was written by a Mnemo
/// before commit records (log format v2): a typed corruption error says so.
pub(crate) fn log_head(db: &DB) -> Result<(u64, [u8; 32])> {
    let cf = |name| {
        db.cf_handle(name)
            .ok_or_else(|| Error::corrupted("store", format!("{name} column family missing")))
    };
    let last_entry = match db.iterator_cf(cf(CF_LOG)?, IteratorMode::End).next() {
        None => None,
        Some(item) => Some(key_seq(&item?.0)?),
    };
    let last_commit = match db.iterator_cf(cf(CF_COMMITS)?, IteratorMode::End).next() {
        None => None,
        Some(item) => {
            let (k, v) = item?;
            Some(CommitRecord::decode(&k, &v)?)
        }
    };
    match (last_entry, last_commit) {
        (None, None) => Ok((0, GENESIS_HASH)),
        (Some(_), None) => Err(Error::corrupted(
            "store",
            "the log has no commit records: it was written by an older Mnemo (log format \
             v2), which this version cannot read; export with that version and import again",
        )),
        (Some(seq), Some(c)) if seq == c.last_seq => Ok((c.last_seq, c.hash)),
        (seq, Some(c)) => Err(Error::corrupted(
            "log",
            format!(
                "the newest commit record ends at entry {} but the log ends at {}",
                c.last_seq,
                seq.unwrap_or(0)
            ),
        )),
    }
}

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

/// Commits after which the counters are saved even when only their log bytes changed (host
/// appends); what a crash leaves unsaved is recounted at open ([`stored_bytes_from`]).
const STATS_SAVE_EVERY: u32 = 64;

/// Stored bytes of the log's values from entry `from` on (what `Counters::log_stored_bytes`
/// counts), for counters saved before the last commits.
pub(crate) fn stored_bytes_from(db: &DB, from: u64) -> Result<u64> {
    let cf = db
        .cf_handle(CF_LOG)
        .ok_or_else(|| Error::corrupted("store", "log column family missing"))?;
    let start = seq_key(from);
    let mut total = 0u64;
    for item in db.iterator_cf(cf, IteratorMode::From(&start, rocksdb::Direction::Forward)) {
        total += item?.1.len() as u64;
    }
    Ok(total)
}

pub(crate) fn now_millis() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// A stream's current version: the last version of its last stream-index run (a stream
/// exists once its first run is written, in the commit of its first event). No separate
/// version key is kept: writing one per stream per commit into a memtable full of that
/// key's earlier versions cost a single-event append a quarter of its time.
fn stream_version(g: &DbGuard<'_>, stream: &str) -> Result<Option<u64>> {
    let prefix = stream_index_prefix(stream);
    let mut it = g.db().raw_iterator_cf(g.cf(CF_STREAM_INDEX));
    it.seek_for_prev(stream_index_key(stream, u64::MAX));
    let run = current_run(&it, &prefix)?;
    it.status()?;
    Ok(run.map(|r| r.last_version()))
}

/// The stream-index run under `it`, if it belongs to the stream whose key prefix is
/// `prefix`.
pub(crate) fn current_run(
    it: &rocksdb::DBRawIterator<'_>,
    prefix: &[u8],
) -> Result<Option<IndexRun>> {
    let (Some(key), Some(value)) = (it.key(), it.value()) else {
        return Ok(None);
    };
    if !key.starts_with(prefix) || key.len() != prefix.len() + 8 {
        return Ok(None);
    }
    let mut version = [0u8; 8];
    version.copy_from_slice(&key[prefix.len()..]);
    IndexRun::decode(u64::from_be_bytes(version), value).map(Some)
}

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
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let saved_stats = writer.stats.clone();
        match self.commit_locked(&mut writer, batches, project) {
            Ok((landed, out)) => {
                // Publish under the writer lock so the feed's position only moves forward.
                if let Some(last) = landed.last() {
                    self.feed.publish(last.last_seq);
                }
                drop(writer);
                Ok((landed, out))
            }
            Err(e) => {
                writer.stats = saved_stats;
                Err(e)
            }
        }
    }

    fn commit_locked<T>(
        &self,
        writer: &mut WriterState,
        batches: Vec<NewBatch>,
        project: impl FnOnce(&DbGuard<'_>, &mut WriterState, &mut WriteBatch) -> Result<T>,
    ) -> Result<(Vec<AppendResult>, T)> {
        let g = self.db()?;
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
        let mut batch = WriteBatch::with_capacity_bytes(buf.len() + 64 * frames.len() + 4096);
        let head = if count == 0 {
            writer.head_hash
        } else {
            let lengths: Vec<u32> = frames.iter().map(|r| r.len() as u32).collect();
            let head = commit_hash(&writer.head_hash, first_seq, timestamp, &lengths, &buf);
            let record = CommitRecord {
                first_seq,
                last_seq: seq - 1,
                timestamp,
                hash: head,
            };
            batch.put_cf(g.cf(CF_COMMITS), record.key(), record.value());
            head
        };
        let mut log_bytes = 0u64;
        let log = g.cf(CF_LOG);
        for (at, range) in frames.into_iter().enumerate() {
            let frame = &buf[range];
            let raw = &frame[1..];
            let key = seq_key(first_seq + at as u64);
            if raw.len() >= LOG_COMPRESS_MIN {
                let encoded = self.encode_sampled(ContentKind::Record, raw)?;
                log_bytes += encoded.len() as u64;
                batch.put_cf(log, key, encoded);
            } else if self.codec.is_plaintext() {
                log_bytes += frame.len() as u64;
                batch.put_cf(log, key, frame);
            } else {
                let mut unsealed = Vec::with_capacity(HEADER_LEN + raw.len());
                unsealed.resize(HEADER_LEN, 0);
                unsealed.extend_from_slice(raw);
                let sealed = self.codec.frame_uncompressed(unsealed)?;
                log_bytes += sealed.len() as u64;
                batch.put_cf(log, key, sealed);
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
        g.db().write_opt(batch, &self.write_options())?;
        writer.next_seq = seq;
        writer.head_hash = head;
        writer.remember_versions(versions);
        Ok((landed, out))
    }

    /// Current version of a stream (`None` when it has no events).
    pub(crate) fn stream_version(&self, stream: &str) -> Result<Option<u64>> {
        let g = self.db()?;
        stream_version(&g, stream)
    }

    /// Decode the stored log value of entry `seq`, whose commit `commits` finds.
    pub(crate) fn decode_entry(
        &self,
        seq: u64,
        frame: &[u8],
        commits: &mut CommitCursor<'_>,
    ) -> Result<LogEntry> {
        let commit = commits.commit_of(seq)?;
        decode_entry(&self.codec, seq, frame, &commit)
    }

    /// The entry at `seq`, if any.
    pub(crate) fn entry(&self, seq: u64) -> Result<Option<LogEntry>> {
        let g = self.db()?;
        let Some(value) = g.db().get_pinned_cf(g.cf(CF_LOG), seq_key(seq))? else {
            return Ok(None);
        };
        let mut commits = CommitCursor::new(g.db().raw_iterator_cf(g.cf(CF_COMMITS)));
        self.decode_entry(seq, &value, &mut commits).map(Some)
    }

    /// Up to `limit` entries with `seq >= from`, in order.
    pub(crate) fn read_log(&self, from: u64, limit: usize) -> Result<Vec<LogEntry>> {
        let g = self.db()?;
        let start = seq_key(from.max(1));
        let it = g.db().iterator_cf(
            g.cf(CF_LOG),
            IteratorMode::From(&start, rocksdb::Direction::Forward),
        );
        let mut commits = CommitCursor::new(g.db().raw_iterator_cf(g.cf(CF_COMMITS)));
        let mut out = Vec::new();
        for item in it.take(limit) {
            let (k, v) = item?;
            let entry = self.decode_entry(key_seq(&k)?, &v, &mut commits)?;
            out.push(self.upcast(entry)?);
        }
        Ok(out)
    }

    /// Block until an entry with `seq > after` exists or `timeout` passes; returns the last
    /// committed sequence. Errors with [`Error::Closed`] when the store is closed.
    pub(crate) fn wait_for(&self, after: u64, timeout: Duration) -> Result<u64> {
        let last = self.feed.wait(after, timeout, &self.closed);
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Closed);
        }
        Ok(last)
    }
}
