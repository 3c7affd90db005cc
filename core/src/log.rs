//! The log: one ordered sequence of events, the spine of the engine.
//!
//! Every mutation is an event with a global sequence number and a per-stream version (for
//! optimistic concurrency). Current-state views are projections written in the same
//! atomic `WriteBatch` as the events that cause them. This module owns the entry format,
//! the commit path and reading the log back (the change feed).

use std::time::Duration;

use rocksdb::{IteratorMode, WriteBatch, DB};
use serde::{Deserialize, Serialize};

use crate::codec::ContentKind;
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
    pub payload: Vec<u8>,
    /// Host metadata (opaque bytes, often JSON); empty for Mnemo's own events.
    pub metadata: Vec<u8>,
    /// BLAKE3 over the previous entry's hash and this entry: the log's hash chain.
    pub hash: [u8; 32],
}

impl LogEntry {
    /// The hash this entry must carry, given the previous entry's hash.
    pub fn chained_hash(&self, previous: &[u8; 32]) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"mnemo/log/v1\0");
        h.update(previous);
        h.update(&self.seq.to_be_bytes());
        for field in [
            self.stream.as_bytes(),
            self.kind.as_bytes(),
            &self.payload,
            &self.metadata,
        ] {
            h.update(&(field.len() as u64).to_be_bytes());
            h.update(field);
        }
        h.update(&self.version.to_be_bytes());
        h.update(&self.schema.to_be_bytes());
        h.update(&self.timestamp.to_be_bytes());
        *h.finalize().as_bytes()
    }
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

/// Key of the stream index: `(stream, version)` → sequence number.
pub(crate) fn stream_index_key(stream: &str, version: u64) -> Vec<u8> {
    crate::keys::KeyBuilder::new()
        .str(stream)
        .u64(version)
        .finish()
}

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
        let mut entries = Vec::with_capacity(events.len());
        let mut versions: std::collections::HashMap<String, Option<u64>> = Default::default();
        let timestamp = now_millis();
        let mut seq = writer.next_seq;
        let mut head = writer.head_hash;
        for ev in events {
            if ev.payload.len() > MAX_PAYLOAD_LEN {
                return Err(Error::TooLarge {
                    what: "event payload",
                    size: ev.payload.len() as u64,
                    limit: MAX_PAYLOAD_LEN as u64,
                });
            }
            let current = match versions.get(&ev.stream) {
                Some(v) => *v,
                None => stream_version(&g, &ev.stream)?,
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
            versions.insert(ev.stream.clone(), Some(version));
            let mut entry = LogEntry {
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
            entry.hash = entry.chained_hash(&head);
            head = entry.hash;
            let raw = postcard::to_stdvec(&entry)
                .map_err(|e| Error::Storage(format!("encoding log entry: {e}")))?;
            let frame = self.encode_sampled(ContentKind::Record, &raw)?;
            writer.stats.log_stored_bytes += frame.len() as u64;
            batch.put_cf(g.cf(CF_LOG), seq_key(seq), frame);
            batch.put_cf(
                g.cf(CF_STREAM_INDEX),
                stream_index_key(&entry.stream, version),
                seq.to_be_bytes(),
            );
            entries.push(entry);
            seq += 1;
        }
        // Each stream's new version, once per commit however many of its events it holds.
        for (stream, version) in &versions {
            if let Some(v) = version {
                batch.put_cf(g.cf(CF_STREAMS), stream.as_bytes(), v.to_be_bytes());
            }
        }
        let out = project(&g, writer, &mut batch, &entries)?;
        g.db().write_opt(batch, &self.write_options())?;
        writer.next_seq = seq;
        writer.head_hash = head;
        Ok((entries, out))
    }

    /// Current version of a stream (`None` when it has no events).
    pub(crate) fn stream_version(&self, stream: &str) -> Result<Option<u64>> {
        let g = self.db()?;
        stream_version(&g, stream)
    }

    /// Decode one stored log value.
    pub(crate) fn decode_entry(&self, frame: &[u8]) -> Result<LogEntry> {
        let raw = self.codec.decode(frame)?;
        postcard::from_bytes(&raw).map_err(|e| Error::corrupted("log entry", e))
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
