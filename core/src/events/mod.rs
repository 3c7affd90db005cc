//! The event store: host-defined streams on Mnemo's log.
//!
//! A host appends events (type, payload bytes, metadata, schema version) to its own streams
//! with optimistic concurrency, reads a stream forward or backward, reads the whole log with
//! filters, subscribes with persisted checkpoints (`subscription`), runs projections whose
//! read-model writes commit atomically with their checkpoint (`projection`), keeps aggregate
//! snapshots (`snapshot`) and upcasts old event schemas on read (`upcast`). The log's hash
//! chain makes it tamper-evident (`verify_log`).
//!
//! Host streams live in the same log as Mnemo's own events; the prefixes `session/`,
//! `source/`, `prompt/` and `workflow/` are reserved for those.

pub mod builtin;
pub mod projection;
pub mod snapshot;
pub mod subscription;
pub mod upcast;

use serde::Serialize;

use crate::engine::{Engine, CF_STREAM_INDEX};
use crate::error::{Error, Result};
use crate::log::{
    current_run, stream_index_key, stream_index_prefix, BlockReader, Expected, LogEntry, NewBatch,
};

/// Stream-name prefixes reserved for Mnemo's own events.
pub const RESERVED_PREFIXES: [&str; 4] = ["session/", "source/", "prompt/", "workflow/"];
/// Longest stream name accepted.
pub const MAX_STREAM_LEN: usize = 256;
/// Longest event type accepted.
pub const MAX_KIND_LEN: usize = 128;

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventData {
    /// Event type, e.g. `order.placed`.
    pub kind: String,
    /// Body bytes (JSON, protobuf, ... — opaque to Mnemo).
    pub payload: Vec<u8>,
    /// Host metadata bytes (correlation ids, user, ...); may be empty.
    pub metadata: Vec<u8>,
    /// Schema version of the payload (from 1); upcasters turn old versions into new ones.
    pub schema: u32,
}

impl EventData {
    /// An event with a byte payload, schema 1 and no metadata.
    pub fn new(kind: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        EventData {
            kind: kind.into(),
            payload: payload.into(),
            metadata: Vec::new(),
            schema: 1,
        }
    }

    /// An event whose payload is `value` serialised as JSON.
    pub fn json(kind: impl Into<String>, value: &impl Serialize) -> Result<Self> {
        let payload =
            serde_json::to_vec(value).map_err(|e| Error::InvalidInput(format!("payload: {e}")))?;
        Ok(Self::new(kind, payload))
    }

    /// Set the metadata bytes.
    pub fn with_metadata(mut self, metadata: impl Into<Vec<u8>>) -> Self {
        self.metadata = metadata.into();
        self
    }

    /// Set the payload schema version.
    pub fn with_schema(mut self, schema: u32) -> Self {
        self.schema = schema;
        self
    }
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppendResult {
    /// Sequence number of the first event appended.
    pub first_seq: u64,
    /// Sequence number of the last event appended.
    pub last_seq: u64,
    /// The stream's version after the append.
    pub version: u64,
}

/// Selects events when reading the whole log or subscribing. Empty fields match all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only streams starting with this prefix.
    pub stream_prefix: Option<String>,
    /// Only these event types.
    pub kinds: Vec<String>,
}

impl EventFilter {
    /// Whether an entry passes.
    pub fn matches(&self, e: &LogEntry) -> bool {
        self.stream_prefix
            .as_deref()
            .is_none_or(|p| e.stream.starts_with(p))
            && (self.kinds.is_empty() || self.kinds.contains(&e.kind))
    }
}

/// Reading direction within a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadDirection {
    /// Oldest first, from the given version up.
    Forward,
    /// Newest first, from the given version down.
    Backward,
}

/// Result of checking the log's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogVerification {
    /// Entries checked.
    pub entries: u64,
    /// Hash of the last entry (hex), which commits to the whole log.
    pub head: String,
}

fn check_stream(stream: &str) -> Result<()> {
    if stream.is_empty() || stream.len() > MAX_STREAM_LEN {
        return Err(Error::InvalidInput(format!(
            "stream name must be 1-{MAX_STREAM_LEN} bytes"
        )));
    }
    if let Some(p) = RESERVED_PREFIXES.iter().find(|p| stream.starts_with(**p)) {
        return Err(Error::InvalidInput(format!(
            "stream prefix {p:?} is reserved for Mnemo's own events"
        )));
    }
    Ok(())
}

impl Engine {
    /// Append batches to host streams atomically: all of them or none.
    pub(crate) fn append_events(
        &self,
        batches: Vec<(String, Expected, Vec<EventData>)>,
    ) -> Result<Vec<AppendResult>> {
        let mut checked = Vec::with_capacity(batches.len());
        for (stream, expected, events) in batches {
            check_stream(&stream)?;
            if events.is_empty() {
                return Err(Error::InvalidInput(format!(
                    "no events to append to {stream}"
                )));
            }
            for e in &events {
                if e.kind.is_empty() || e.kind.len() > MAX_KIND_LEN {
                    return Err(Error::InvalidInput(format!(
                        "event type must be 1-{MAX_KIND_LEN} bytes"
                    )));
                }
                if e.schema == 0 {
                    return Err(Error::InvalidInput("event schema starts at 1".into()));
                }
                let size = e.payload.len() + e.metadata.len();
                if size > self.max_event_bytes {
                    return Err(Error::TooLarge {
                        what: "event payload and metadata",
                        size: size as u64,
                        limit: self.max_event_bytes as u64,
                    });
                }
            }
            checked.push(NewBatch {
                stream,
                expected,
                events,
            });
        }
        let (landed, ()) = self.commit(checked, |_, _, _| Ok(()))?;
        Ok(landed)
    }

    /// Up to `limit` events of `stream` starting at version `from` in `direction`.
    pub(crate) fn read_stream(
        &self,
        stream: &str,
        from: u64,
        direction: ReadDirection,
        limit: usize,
    ) -> Result<Vec<LogEntry>> {
        if self.stream_version(stream)?.is_none() {
            return Err(Error::NotFound {
                kind: "stream",
                key: stream.to_string(),
            });
        }
        let prefix = stream_index_prefix(stream);
        let g = self.db()?;
        let mut index = g.db().raw_iterator_cf(g.cf(CF_STREAM_INDEX));
        // The run holding `from`, or the nearest one before it.
        index.seek_for_prev(stream_index_key(stream, from));
        if direction == ReadDirection::Forward && current_run(&index, &prefix)?.is_none() {
            index.seek(stream_index_key(stream, from));
        }
        // The ranges of sequence numbers wanted, in reading order, from the runs: (first
        // seq, count).
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        let mut wanted = 0usize;
        while wanted < limit {
            let Some(run) = current_run(&index, &prefix)? else {
                break;
            };
            let want = (limit - wanted) as u64;
            match direction {
                ReadDirection::Forward => {
                    if run.last_version() >= from {
                        let first = from.max(run.first_version);
                        let n = (run.last_version() - first + 1).min(want);
                        ranges.push((run.seq_of(first), n));
                        wanted += n as usize;
                    }
                    index.next();
                }
                ReadDirection::Backward => {
                    let top = from.min(run.last_version());
                    let n = (top - run.first_version + 1).min(want);
                    ranges.push((run.seq_of(top) + 1 - n, n));
                    wanted += n as usize;
                    index.prev();
                }
            }
        }
        index.status()?;
        // A stream's events may be scattered through the log: one block lookup per range.
        let mut reader = BlockReader::new(&g);
        let mut out = Vec::with_capacity(wanted);
        for (first, n) in ranges {
            let start = out.len();
            reader.range(first, n, |commit, seq, stored| {
                out.push(self.upcast(self.decode_stored(commit, seq, stored)?)?);
                Ok(())
            })?;
            if direction == ReadDirection::Backward {
                out[start..].reverse();
            }
        }
        Ok(out)
    }

    /// Up to `limit` entries with `seq >= from` passing `filter`, in order. Scans at most
    /// `limit * 64` entries past `from` so a selective filter cannot stall a caller forever;
    /// returns the entries found and the next position to scan from.
    pub(crate) fn read_filtered(
        &self,
        from: u64,
        limit: usize,
        filter: &EventFilter,
    ) -> Result<(Vec<LogEntry>, u64)> {
        let mut out = Vec::new();
        let mut next = from.max(1);
        let budget = limit.saturating_mul(64).max(1024);
        let mut scanned = 0;
        while out.len() < limit && scanned < budget {
            let page = self.read_log(next, 512)?;
            let Some(last) = page.last() else { break };
            next = last.seq + 1;
            scanned += page.len();
            out.extend(page.into_iter().filter(|e| filter.matches(e)));
        }
        out.truncate(limit);
        if let Some(last) = out.last() {
            if out.len() == limit {
                next = last.seq + 1;
            }
        }
        Ok((out, next))
    }
}

impl crate::Mnemo {
    /// Append `events` to host stream `stream` atomically, if the stream is at `expected`;
    /// otherwise [`Error::Conflict`] carrying the current version, and nothing is written.
    pub fn append(
        &self,
        stream: &str,
        expected: Expected,
        events: Vec<EventData>,
    ) -> Result<AppendResult> {
        let mut r = self
            .engine()
            .append_events(vec![(stream.to_string(), expected, events)])?;
        r.pop()
            .ok_or_else(|| Error::Storage("append returned nothing".into()))
    }

    /// Append to several streams in one atomic commit: every expected version must hold,
    /// or nothing is written.
    pub fn append_many(
        &self,
        batches: Vec<(String, Expected, Vec<EventData>)>,
    ) -> Result<Vec<AppendResult>> {
        self.engine().append_events(batches)
    }

    /// Up to `limit` events of `stream` from version `from` (inclusive), forward or
    /// backward; [`Error::NotFound`] for a stream with no events.
    pub fn read_stream(
        &self,
        stream: &str,
        from: u64,
        direction: ReadDirection,
        limit: usize,
    ) -> Result<Vec<LogEntry>> {
        self.engine().read_stream(stream, from, direction, limit)
    }

    /// Up to `limit` log entries with `seq >= from` passing `filter`, in order.
    pub fn read_all(&self, from: u64, limit: usize, filter: &EventFilter) -> Result<Vec<LogEntry>> {
        let mut out = Vec::new();
        let mut next = from;
        while out.len() < limit {
            let (page, after) = self
                .engine()
                .read_filtered(next, limit - out.len(), filter)?;
            if page.is_empty() && after == next {
                break;
            }
            out.extend(page);
            if after == next {
                break;
            }
            next = after;
            if next > self.last_seq() {
                break;
            }
        }
        Ok(out)
    }

    /// The current version of a stream (`None` when it has no events).
    pub fn stream_version(&self, stream: &str) -> Result<Option<u64>> {
        self.engine().stream_version(stream)
    }

    /// Register an upcaster turning payloads of event type `kind` at schema `from_schema`
    /// into schema `from_schema + 1` on every read of this handle.
    pub fn register_upcaster(
        &self,
        kind: &str,
        from_schema: u32,
        upcaster: impl Fn(&[u8]) -> std::result::Result<Vec<u8>, String> + Send + Sync + 'static,
    ) {
        self.engine()
            .upcasters
            .register(kind, from_schema, std::sync::Arc::new(upcaster));
    }

    /// Check the whole log: gap-free sequence numbers and an unbroken hash chain. Any
    /// change to a stored entry is [`Error::Corrupted`] naming the first bad entry.
    pub fn verify_log(&self) -> Result<LogVerification> {
        self.engine().verify_log()
    }
}
