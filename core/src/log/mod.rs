//! The log: one ordered sequence of events, the spine of the engine.
//!
//! Every mutation is an event with a global sequence number and a per-stream version (for
//! optimistic concurrency). Current-state views are projections written in the same
//! atomic `WriteBatch` as the events that cause them. This module owns the entry format
//! and the stream index; `append` owns the commit path, `read` reading the log back (the
//! change feed), `block` how entries are packed into RocksDB values, and `commits` the
//! record each commit carries (its sequence range, timestamp and chain hash).
//!
//! Stored layout: `log` maps the sequence number of a block's last entry (u64 BE) to a block
//! of consecutive entries of one commit (see [`block`]); each entry stores its own fields
//! (stream, version, type, schema, payload, metadata), and the timestamp and chain hash,
//! shared by every entry of a commit, are in the block's header.

mod append;
pub mod block;
pub mod commits;
mod group_sync;
mod read;
mod verify;

pub(crate) use append::PendingSync;
pub(crate) use group_sync::GroupSync;

use rocksdb::{IteratorMode, DB};
use serde::{Deserialize, Serialize};

use crate::engine::{DbGuard, CF_LOG, CF_STREAM_INDEX};
use crate::error::{Error, Result};
use crate::events::EventData;
use crate::model::Millis;
pub(crate) use commits::commit_hash;
pub use commits::CommitRecord;
pub(crate) use read::{stored_bytes_from, BlockReader};

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

/// Decode an entry's stored value (a bare entry or a codec frame of its body, as a log block
/// holds it) with `codec`, which must hold the dictionaries the store's values were
/// compressed with; `seq` is the entry's sequence number and `commit` the record of the
/// commit holding it.
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

/// Column family of the log format before blocks (v3), whose presence marks a store this
/// version cannot read.
const OLD_COMMITS_CF: &str = "commits";

/// Highest sequence number in the log (0 when empty) and the chain hash after it, from the
/// newest block. A store written before log blocks (log format v3 or earlier) gets a typed
/// corruption error saying so.
pub(crate) fn log_head(db: &DB) -> Result<(u64, [u8; 32])> {
    let old_format = || {
        Error::corrupted(
            "store",
            "the log was written by an older Mnemo (log format v3 or before), which this \
             version cannot read; export with that version and import again",
        )
    };
    if db.cf_handle(OLD_COMMITS_CF).is_some() {
        return Err(old_format());
    }
    let cf = db
        .cf_handle(CF_LOG)
        .ok_or_else(|| Error::corrupted("store", "log column family missing"))?;
    let Some(item) = db.iterator_cf(cf, IteratorMode::End).next() else {
        return Ok((0, GENESIS_HASH));
    };
    let (key, value) = item?;
    // A value that is not a block (log format v2) is refused by `parse`, saying so.
    let last = block::LogBlock::parse(&key, &value)?;
    if last.last_seq != last.commit.last_seq {
        return Err(Error::corrupted(
            "log",
            format!(
                "the newest block ends at entry {} inside its commit of entries {}-{}",
                last.last_seq, last.commit.first_seq, last.commit.last_seq
            ),
        ));
    }
    Ok((last.last_seq, last.commit.hash))
}

pub(crate) fn now_millis() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// A stream's current version: the last version of its last stream-index run (a stream
/// exists once its first run is written, in the commit of its first event). No separate
/// version key is kept: writing one per stream per commit into a memtable full of that
/// key's earlier versions cost a single-event append a quarter of its time.
fn stream_version(g: &DbGuard<'_>, stream: &str) -> Result<Option<u64>> {
    // Every stream's first run starts at version 1 and runs are never removed: one point
    // read (bloom filters, no iterator) answers "no events yet", the common case for the
    // streams an import creates, where a seek would build an iterator over every level.
    let first = g
        .db()
        .get_pinned_cf(g.cf(CF_STREAM_INDEX), stream_index_key(stream, 1))?;
    if first.is_none() {
        return Ok(None);
    }
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
