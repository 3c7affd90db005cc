//! The plain JavaScript objects the binding hands out and takes in.
//!
//! Each `#[napi(object)]` struct here is built from the matching core type (on a libuv
//! worker thread, so the main thread only copies fields into JS objects) and becomes a
//! plain JS object with camelCase keys; `Option` fields become `null`. Numbers that are
//! `u64` in the core (sequence numbers, byte counts, times) are JS numbers: exact up to
//! 2^53, far beyond what a store reaches. This module holds no logic, only field copies.
//!
//! By concept: `context` (sessions, imports, search, prompts, workflows), `events` (the log,
//! appends, subscriptions, projections, snapshots); the store's options and statistics here.

use napi_derive::napi;

mod context;
mod events;

pub use context::*;
pub use events::*;

/// Converts a core `u64` to the `i64` napi turns into a JS number.
pub(crate) fn num(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Converts a JS-side integer (already checked non-negative by `index.js`) to `u64`.
pub(crate) fn unum(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Converts a JS-side size (checked non-negative by `index.js`) to `usize`.
fn usize_of(v: i64) -> usize {
    usize::try_from(v).unwrap_or(0)
}

/// Options of `Mnemo.open`; absent fields keep the core defaults.
#[napi(object)]
#[derive(Default)]
pub struct OpenOptions {
    /// Create the directory and store when missing (default `true`).
    pub create_if_missing: Option<bool>,
    /// fsync the write-ahead log on every commit (default `true`).
    pub sync_writes: Option<bool>,
    /// zstd level for values as written (default 1).
    pub compression_level: Option<i32>,
    /// zstd level of imported sessions as written while the background recompression is on
    /// (default -30, a fast level; the recompression takes them to their compact size).
    pub blob_write_level: Option<i32>,
    /// Train dictionaries once this many sample bytes of a kind accumulated (default 1 MiB;
    /// 0 disables automatic training).
    pub dictionary_training_bytes: Option<i64>,
    /// RocksDB block cache size in bytes (default 64 MiB).
    pub block_cache_bytes: Option<i64>,
    /// Largest payload plus metadata of one host event (default 4 MiB).
    pub max_event_bytes: Option<i64>,
    /// Memory for decompressed session blobs (default 64 MiB; 0 disables).
    pub blob_cache_bytes: Option<i64>,
    /// zstd level at which imported sessions are recompressed in the background once
    /// imports pause (default 15; 0 turns it off).
    pub recompress_level: Option<i32>,
}

impl From<OpenOptions> for mnemo::Options {
    fn from(o: OpenOptions) -> Self {
        let d = mnemo::Options::default();
        mnemo::Options {
            create_if_missing: o.create_if_missing.unwrap_or(d.create_if_missing),
            sync_writes: o.sync_writes.unwrap_or(d.sync_writes),
            compression_level: o.compression_level.unwrap_or(d.compression_level),
            blob_write_level: o.blob_write_level.unwrap_or(d.blob_write_level),
            dictionary_training_bytes: o
                .dictionary_training_bytes
                .map_or(d.dictionary_training_bytes, usize_of),
            block_cache_bytes: o.block_cache_bytes.map_or(d.block_cache_bytes, usize_of),
            max_event_bytes: o.max_event_bytes.map_or(d.max_event_bytes, usize_of),
            blob_cache_bytes: o.blob_cache_bytes.map_or(d.blob_cache_bytes, usize_of),
            recompress_level: o.recompress_level.unwrap_or(d.recompress_level),
            ..d
        }
    }
}

/// Running totals of a store.
#[napi(object)]
pub struct Counters {
    /// Sessions stored.
    pub sessions: i64,
    /// Messages stored.
    pub messages: i64,
    /// Distinct source files imported.
    pub sources: i64,
    /// Bytes of the imported source files (each distinct file counted once).
    pub raw_bytes: i64,
    /// Distinct session blobs stored.
    pub blobs: i64,
    /// Uncompressed bytes of the distinct blobs.
    pub blob_bytes: i64,
    /// Bytes of the stored blob frames (after compression).
    pub blob_stored_bytes: i64,
    /// Bytes of log entries written (after compression).
    pub log_stored_bytes: i64,
    /// Blob bytes not stored because the same content was already stored.
    pub dedup_bytes: i64,
    /// Indexed tokens over all messages.
    pub tokens: i64,
    /// Prompt template versions stored.
    pub prompt_versions: i64,
    /// Workflow versions stored.
    pub workflow_versions: i64,
}

/// Size of one column family on disk.
#[napi(object)]
pub struct ColumnFamilySize {
    /// Column family name.
    pub name: String,
    /// Bytes in SST files plus memtables.
    pub bytes: i64,
}

/// A snapshot of the store's statistics.
#[napi(object)]
pub struct Stats {
    /// Running counters.
    pub counters: Counters,
    /// Last log sequence number.
    pub last_seq: i64,
    /// Trained dictionaries.
    pub dictionaries: u32,
    /// Log sequence number through which imported sessions were recompressed in the
    /// background; equal to `lastSeq` once caught up.
    pub recompressed_through: i64,
    /// Bytes stored for context content: compressed session blobs plus compressed log entries.
    pub stored_content_bytes: i64,
    /// Raw imported bytes divided by stored content bytes (higher is better).
    pub compression_ratio: f64,
    /// Total bytes over all column families.
    pub disk_bytes: i64,
    /// Per column family sizes on disk (SST + memtable).
    pub column_families: Vec<ColumnFamilySize>,
}

impl From<mnemo::Stats> for Stats {
    fn from(s: mnemo::Stats) -> Self {
        let compression_ratio = s.compression_ratio();
        let disk_bytes = num(s.disk_bytes());
        let c = s.counters;
        Stats {
            counters: Counters {
                sessions: num(c.sessions),
                messages: num(c.messages),
                sources: num(c.sources),
                raw_bytes: num(c.raw_bytes),
                blobs: num(c.blobs),
                blob_bytes: num(c.blob_bytes),
                blob_stored_bytes: num(c.blob_stored_bytes),
                log_stored_bytes: num(c.log_stored_bytes),
                dedup_bytes: num(c.dedup_bytes),
                tokens: num(c.tokens),
                prompt_versions: num(c.prompt_versions),
                workflow_versions: num(c.workflow_versions),
            },
            last_seq: num(s.last_seq),
            dictionaries: s.dictionaries,
            recompressed_through: num(s.recompressed_through),
            stored_content_bytes: num(s.stored_content_bytes),
            compression_ratio,
            disk_bytes,
            column_families: s
                .column_families
                .into_iter()
                .map(|c| ColumnFamilySize {
                    name: c.name,
                    bytes: num(c.bytes),
                })
                .collect(),
        }
    }
}

/// A dictionary trained by `retrainDictionaries`.
#[napi(object)]
pub struct TrainedDictionary {
    /// Content kind: `transcript`, `record`, `prompt` or `other`.
    pub kind: String,
    /// The new dictionary's id.
    pub dictionary_id: u32,
}

impl From<(mnemo::codec::ContentKind, u32)> for TrainedDictionary {
    fn from((kind, id): (mnemo::codec::ContentKind, u32)) -> Self {
        use mnemo::codec::ContentKind;
        let kind = match kind {
            ContentKind::Transcript => "transcript",
            ContentKind::Record => "record",
            ContentKind::Prompt => "prompt",
            ContentKind::Other => "other",
        };
        TrainedDictionary {
            kind: kind.to_string(),
            dictionary_id: id,
        }
    }
}

/// What `compact` did.
#[napi(object)]
pub struct CompactionReport {
    /// Blobs examined.
    pub blobs: i64,
    /// Blobs rewritten (their new frame was smaller).
    pub rewritten: i64,
    /// Stored bytes of the examined blobs before.
    pub bytes_before: i64,
    /// Stored bytes of the examined blobs after.
    pub bytes_after: i64,
}

impl From<mnemo::compaction::CompactionReport> for CompactionReport {
    fn from(r: mnemo::compaction::CompactionReport) -> Self {
        CompactionReport {
            blobs: num(r.blobs),
            rewritten: num(r.rewritten),
            bytes_before: num(r.bytes_before),
            bytes_after: num(r.bytes_after),
        }
    }
}
