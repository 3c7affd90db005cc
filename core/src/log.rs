//! The log: one ordered sequence of events, the spine of the engine.
//!
//! Every mutation is an event with a global sequence number and a per-stream version (for
//! optimistic concurrency). Current-state views are projections written in the same
//! atomic `WriteBatch` as the events that cause them. This module owns the entry format,
//! the commit path and reading the log back (the change feed).

use std::time::Duration;

use rocksdb::{IteratorMode, WriteBatch, DB};
use serde::{Deserialize, Serialize};

use rustc_hash::FxHashMap;

use crate::codec::{ContentKind, HEADER_LEN};
use crate::engine::{DbGuard, Engine, WriterState, CF_LOG, CF_STREAMS, CF_STREAM_INDEX};
use crate::error::{Error, Result};
use crate::model::Millis;

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
    /// commit holding this entry (see [`commit_hash`]). All entries of one commit carry the
    /// same hash; the last entry's hash commits to the whole log up to it.
    pub hash: [u8; 32],
}

/// The fields of a [`LogEntry`] that its hash covers, borrowed, in the stored order: the
/// stored value is this body's encoding followed by the 32 hash bytes, which is exactly the
/// encoding of the whole `LogEntry`.
#[derive(Serialize)]
struct EntryBody<'a> {
    seq: u64,
    stream: &'a str,
    version: u64,
    kind: &'a str,
    schema: u32,
    timestamp: Millis,
    #[serde(with = "serde_bytes")]
    payload: &'a [u8],
    #[serde(with = "serde_bytes")]
    metadata: &'a [u8],
}

/// Domain separation for the chain hash.
const CHAIN_DOMAIN: &[u8] = b"mnemo/log/v2\0";

/// The chain hash of one commit: BLAKE3 over a domain tag, the previous commit's hash, the
/// number of entries and their canonical frames, concatenated. An entry's canonical frame
/// is its uncompressed, unsealed frame ([`crate::codec::plain_header`] and the encoded
/// entry) with the 32 hash bytes zeroed; it is what the log stores for a small entry of a
/// plaintext store. One hash per commit over contiguous bytes lets BLAKE3 hash many chunks
/// at once, where a hash per small entry cost more than the rest of an append.
pub(crate) fn commit_hash(previous: &[u8; 32], entries: u64, frames: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(CHAIN_DOMAIN);
    h.update(previous);
    h.update(&entries.to_be_bytes());
    h.update(frames);
    *h.finalize().as_bytes()
}

/// Append the canonical frame of `entry` (its hash zeroed) to `buf`; returns its range.
pub(crate) fn push_canonical_frame(
    entry: &LogEntry,
    buf: &mut Vec<u8>,
) -> Result<std::ops::Range<usize>> {
    let start = buf.len();
    buf.resize(start + HEADER_LEN, 0);
    postcard::to_io(&entry.body(), &mut *buf)
        .map_err(|e| Error::Storage(format!("encoding log entry: {e}")))?;
    buf.extend_from_slice(&GENESIS_HASH);
    let raw_len = buf.len() - start - HEADER_LEN;
    buf[start..start + HEADER_LEN].copy_from_slice(&crate::codec::plain_header(raw_len)?);
    Ok(start..buf.len())
}

impl LogEntry {
    fn body(&self) -> EntryBody<'_> {
        EntryBody {
            seq: self.seq,
            stream: &self.stream,
            version: self.version,
            kind: &self.kind,
            schema: self.schema,
            timestamp: self.timestamp,
            payload: &self.payload,
            metadata: &self.metadata,
        }
    }
}

/// Decode a value of the `log` column family (a codec frame of a [`LogEntry`]) with `codec`,
/// which must hold the dictionaries the store's values were compressed with.
pub fn decode_entry(codec: &crate::codec::Codec, frame: &[u8]) -> Result<LogEntry> {
    codec.decode_with(frame, |raw| {
        postcard::from_bytes(raw).map_err(|e| Error::corrupted("log entry", e))
    })
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

/// An event to append.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub stream: String,
    pub expected: Expected,
    pub kind: String,
    pub schema: u32,
    pub payload: Vec<u8>,
    pub metadata: Vec<u8>,
}

impl NewEvent {
    /// One of Mnemo's own events (schema 1, no metadata).
    pub fn internal(stream: String, expected: Expected, kind: &str, payload: Vec<u8>) -> Self {
        NewEvent {
            stream,
            expected,
            kind: kind.to_string(),
            schema: 1,
            payload,
            metadata: Vec::new(),
        }
    }
}

/// Key of the stream index: `(stream, first version)` of a run of a stream's events that
/// one commit appended with consecutive sequence numbers; the value is [`IndexRun`].
pub(crate) fn stream_index_key(stream: &str, version: u64) -> Vec<u8> {
    crate::keys::KeyBuilder::new()
        .str(stream)
        .u64(version)
        .finish()
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

/// Highest sequence number in the log (0 when empty) and the hash of that entry.
pub(crate) fn log_head(db: &DB, codec: &crate::codec::Codec) -> Result<(u64, [u8; 32])> {
    let cf = db
        .cf_handle(CF_LOG)
        .ok_or_else(|| Error::corrupted("store", "log column family missing"))?;
    let mut it = db.iterator_cf(cf, IteratorMode::End);
    match it.next() {
        None => Ok((0, GENESIS_HASH)),
        Some(item) => {
            let (_, v) = item?;
            let raw = codec.decode(&v)?;
            let e: LogEntry =
                postcard::from_bytes(&raw).map_err(|e| Error::corrupted("log entry", e))?;
            Ok((e.seq, e.hash))
        }
    }
}

pub(crate) fn now_millis() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

fn stream_version(g: &DbGuard<'_>, stream: &str) -> Result<Option<u64>> {
    match g.db().get_pinned_cf(g.cf(CF_STREAMS), stream.as_bytes())? {
        None => Ok(None),
        Some(v) => {
            let arr: [u8; 8] = v
                .as_ref()
                .try_into()
                .map_err(|_| Error::corrupted("stream version", "not 8 bytes"))?;
            Ok(Some(u64::from_be_bytes(arr)))
        }
    }
}

fn put_run(g: &DbGuard<'_>, batch: &mut WriteBatch, stream: &str, run: &IndexRun) {
    batch.put_cf(
        g.cf(CF_STREAM_INDEX),
        stream_index_key(stream, run.first_version),
        run.value(),
    );
}

impl Engine {
    /// Append `events` atomically and write their projections: `project` adds the view
    /// writes to the same batch. Returns the committed entries. Either everything is
    /// durable (per `Options::sync_writes`) or nothing is written.
    pub(crate) fn commit<T>(
        &self,
        events: Vec<NewEvent>,
        project: impl FnOnce(&DbGuard<'_>, &mut WriterState, &mut WriteBatch, &[LogEntry]) -> Result<T>,
    ) -> Result<(Vec<LogEntry>, T)> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let saved_stats = writer.stats.clone();
        match self.commit_locked(&mut writer, events, project) {
            Ok((entries, out)) => {
                // Publish under the writer lock so the feed's position only moves forward.
                if let Some(last) = entries.last() {
                    self.feed.publish(last.seq);
                }
                drop(writer);
                Ok((entries, out))
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
        events: Vec<NewEvent>,
        project: impl FnOnce(&DbGuard<'_>, &mut WriterState, &mut WriteBatch, &[LogEntry]) -> Result<T>,
    ) -> Result<(Vec<LogEntry>, T)> {
        let g = self.db()?;
        let mut batch = WriteBatch::default();
        let mut entries: Vec<LogEntry> = Vec::with_capacity(events.len());
        // Each stream's version as this commit moves it (None: no events yet).
        let mut versions: FxHashMap<String, Option<u64>> = FxHashMap::default();
        let timestamp = now_millis();
        let mut seq = writer.next_seq;
        // The run of one stream's consecutive events being built, flushed to the index when
        // the stream changes.
        let mut run: Option<(usize, IndexRun)> = None;
        // The canonical frames of the commit's entries, back to back (see `commit_hash`).
        let mut buf = Vec::with_capacity(
            events
                .iter()
                .map(|e| {
                    HEADER_LEN
                        + 64
                        + e.stream.len()
                        + e.kind.len()
                        + e.payload.len()
                        + e.metadata.len()
                })
                .sum(),
        );
        let mut frames = Vec::with_capacity(events.len());
        for ev in events {
            if ev.payload.len() > MAX_PAYLOAD_LEN {
                return Err(Error::TooLarge {
                    what: "event payload",
                    size: ev.payload.len() as u64,
                    limit: MAX_PAYLOAD_LEN as u64,
                });
            }
            let current = match versions.get(ev.stream.as_str()) {
                Some(v) => *v,
                None => {
                    let v = match writer.stream_versions.get(ev.stream.as_str()) {
                        Some(v) => Some(*v),
                        None => stream_version(&g, &ev.stream)?,
                    };
                    versions.insert(ev.stream.clone(), v);
                    v
                }
            };
            let ok = match ev.expected {
                Expected::Any => true,
                Expected::NoStream => current.is_none(),
                Expected::Exact(v) => current == Some(v),
            };
            if !ok {
                return Err(Error::Conflict {
                    stream: ev.stream,
                    expected: ev.expected.to_string(),
                    current,
                });
            }
            let version = current.unwrap_or(0) + 1;
            if let Some(v) = versions.get_mut(ev.stream.as_str()) {
                *v = Some(version);
            }
            let entry = LogEntry {
                seq,
                stream: ev.stream,
                version,
                kind: ev.kind,
                schema: ev.schema,
                timestamp,
                payload: ev.payload,
                metadata: ev.metadata,
                hash: GENESIS_HASH,
            };
            frames.push(push_canonical_frame(&entry, &mut buf)?);
            run = match run {
                Some((at, r))
                    if entries[at].stream == entry.stream && r.first_seq + r.len == seq =>
                {
                    Some((
                        at,
                        IndexRun {
                            len: r.len + 1,
                            ..r
                        },
                    ))
                }
                previous => {
                    if let Some((at, r)) = previous {
                        put_run(&g, &mut batch, &entries[at].stream, &r);
                    }
                    Some((
                        entries.len(),
                        IndexRun {
                            first_version: version,
                            first_seq: seq,
                            len: 1,
                        },
                    ))
                }
            };
            entries.push(entry);
            seq += 1;
        }
        if let Some((at, r)) = run {
            put_run(&g, &mut batch, &entries[at].stream, &r);
        }
        let head = if entries.is_empty() {
            writer.head_hash
        } else {
            commit_hash(&writer.head_hash, entries.len() as u64, &buf)
        };
        let mut log_bytes = 0u64;
        for (entry, range) in entries.iter_mut().zip(frames) {
            entry.hash = head;
            buf[range.end - head.len()..range.end].copy_from_slice(&head);
            let frame = &buf[range];
            let raw = &frame[HEADER_LEN..];
            let key = seq_key(entry.seq);
            if raw.len() >= LOG_COMPRESS_MIN {
                let encoded = self.encode_sampled(ContentKind::Record, raw)?;
                log_bytes += encoded.len() as u64;
                batch.put_cf(g.cf(CF_LOG), key, encoded);
            } else if self.codec.is_plaintext() {
                log_bytes += frame.len() as u64;
                batch.put_cf(g.cf(CF_LOG), key, frame);
            } else {
                let sealed = self.codec.frame_uncompressed(frame.to_vec())?;
                log_bytes += sealed.len() as u64;
                batch.put_cf(g.cf(CF_LOG), key, sealed);
            }
        }
        // Each stream's new version, once per commit however many of its events it holds.
        for (stream, version) in &versions {
            if let Some(v) = version {
                batch.put_cf(g.cf(CF_STREAMS), stream.as_bytes(), v.to_be_bytes());
            }
        }
        writer.stats.log_stored_bytes += log_bytes;
        let views_changed =
            crate::context_views::apply_inline(&g, &mut batch, &mut writer.stats, &entries)?;
        let out = project(&g, writer, &mut batch, &entries)?;
        if views_changed {
            writer.stats.save(&g, &mut batch)?;
        }
        g.db().write_opt(batch, &self.write_options())?;
        writer.next_seq = seq;
        writer.head_hash = head;
        writer.remember_versions(versions);
        Ok((entries, out))
    }

    /// Current version of a stream (`None` when it has no events).
    pub(crate) fn stream_version(&self, stream: &str) -> Result<Option<u64>> {
        let g = self.db()?;
        stream_version(&g, stream)
    }

    /// Decode one stored log value.
    pub(crate) fn decode_entry(&self, frame: &[u8]) -> Result<LogEntry> {
        decode_entry(&self.codec, frame)
    }

    /// The entry at `seq`, if any.
    pub(crate) fn entry(&self, seq: u64) -> Result<Option<LogEntry>> {
        let g = self.db()?;
        let value = g.db().get_pinned_cf(g.cf(CF_LOG), seq_key(seq))?;
        value.map(|v| self.decode_entry(&v)).transpose()
    }

    /// Up to `limit` entries with `seq >= from`, in order.
    pub(crate) fn read_log(&self, from: u64, limit: usize) -> Result<Vec<LogEntry>> {
        let g = self.db()?;
        let start = seq_key(from.max(1));
        let it = g.db().iterator_cf(
            g.cf(CF_LOG),
            IteratorMode::From(&start, rocksdb::Direction::Forward),
        );
        let mut out = Vec::new();
        for item in it.take(limit) {
            let (_, v) = item?;
            out.push(self.upcast(self.decode_entry(&v)?)?);
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
