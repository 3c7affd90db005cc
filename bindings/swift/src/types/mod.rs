//! Owned, FFI-friendly mirrors of the core's data types (uniffi records and enums) and the
//! conversions between them. No behaviour lives here: every field is copied from or to the
//! core type of the same name; `BTreeMap`s become `HashMap`s (Kotlin `Map`, Swift
//! `Dictionary`), `usize` becomes `u64`/`u32`, and paths become strings.
//!
//! By concept: `context` (sessions, imports, search, prompts, workflows), `events` (the log
//! and the event store); the store's options and statistics here.

mod context;
mod events;

pub use context::*;
pub use events::*;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// A count or size from the foreign side as the core's `usize` (saturating on 32-bit
/// targets, where a larger value could not be honoured anyway).
pub(crate) fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// How a store is opened (the core's `Options` without the sealing step, which stays the
/// default plaintext seal). Start from [`crate::default_store_options`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreOptions {
    /// Create the directory and store when missing.
    pub create_if_missing: bool,
    /// fsync the write-ahead log on every commit (a machine crash then loses nothing).
    pub sync_writes: bool,
    /// zstd level for values as they are written.
    pub compression_level: i32,
    /// zstd level of imported sessions as written while the background recompression is
    /// on (a fast level; the recompression takes them to their compact size).
    pub blob_write_level: i32,
    /// Train per-kind dictionaries once this many sample bytes accumulated (0 = never).
    pub dictionary_training_bytes: u64,
    /// RocksDB block cache size in bytes.
    pub block_cache_bytes: u64,
    /// Largest payload plus metadata of one host event.
    pub max_event_bytes: u64,
    /// zstd level at which imported sessions are recompressed in the background once
    /// imports pause (0 = never).
    pub recompress_level: i32,
}

impl From<&mnemo::Options> for StoreOptions {
    fn from(o: &mnemo::Options) -> Self {
        StoreOptions {
            create_if_missing: o.create_if_missing,
            sync_writes: o.sync_writes,
            compression_level: o.compression_level,
            blob_write_level: o.blob_write_level,
            dictionary_training_bytes: o.dictionary_training_bytes as u64,
            block_cache_bytes: o.block_cache_bytes as u64,
            max_event_bytes: o.max_event_bytes as u64,
            recompress_level: o.recompress_level,
        }
    }
}

impl From<StoreOptions> for mnemo::Options {
    fn from(o: StoreOptions) -> Self {
        mnemo::Options {
            create_if_missing: o.create_if_missing,
            sync_writes: o.sync_writes,
            compression_level: o.compression_level,
            blob_write_level: o.blob_write_level,
            dictionary_training_bytes: to_usize(o.dictionary_training_bytes),
            block_cache_bytes: to_usize(o.block_cache_bytes),
            max_event_bytes: to_usize(o.max_event_bytes),
            recompress_level: o.recompress_level,
            ..mnemo::Options::default()
        }
    }
}

/// Running totals of a store.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Counters {
    /// Sessions stored.
    pub sessions: u64,
    /// Messages stored.
    pub messages: u64,
    /// Distinct source files imported.
    pub sources: u64,
    /// Bytes of the imported source files (each distinct file counted once).
    pub raw_bytes: u64,
    /// Distinct session blobs stored.
    pub blobs: u64,
    /// Uncompressed bytes of the distinct blobs.
    pub blob_bytes: u64,
    /// Bytes of the stored blob frames (after compression).
    pub blob_stored_bytes: u64,
    /// Bytes of log entries written (after compression).
    pub log_stored_bytes: u64,
    /// Blob bytes not stored because the same content was already stored.
    pub dedup_bytes: u64,
    /// Indexed tokens over all messages.
    pub tokens: u64,
    /// Prompt template versions stored.
    pub prompt_versions: u64,
    /// Workflow versions stored.
    pub workflow_versions: u64,
}

impl From<mnemo::Counters> for Counters {
    fn from(c: mnemo::Counters) -> Self {
        Counters {
            sessions: c.sessions,
            messages: c.messages,
            sources: c.sources,
            raw_bytes: c.raw_bytes,
            blobs: c.blobs,
            blob_bytes: c.blob_bytes,
            blob_stored_bytes: c.blob_stored_bytes,
            log_stored_bytes: c.log_stored_bytes,
            dedup_bytes: c.dedup_bytes,
            tokens: c.tokens,
            prompt_versions: c.prompt_versions,
            workflow_versions: c.workflow_versions,
        }
    }
}

/// Size of one column family on disk.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ColumnFamilySize {
    /// Column family name.
    pub name: String,
    /// Bytes in SST files plus memtables.
    pub bytes: u64,
}

/// A snapshot of the store's statistics.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stats {
    /// Running counters.
    pub counters: Counters,
    /// Last log sequence number.
    pub last_seq: u64,
    /// Trained dictionaries.
    pub dictionaries: u32,
    /// Log sequence number through which imported sessions were recompressed in the
    /// background; equal to `last_seq` once caught up.
    pub recompressed_through: u64,
    /// Bytes stored for context content (compressed blobs plus compressed log entries).
    pub stored_content_bytes: u64,
    /// Per column family sizes on disk.
    pub column_families: Vec<ColumnFamilySize>,
    /// Raw imported bytes divided by stored content bytes (the core's `compression_ratio`).
    pub compression_ratio: f64,
    /// Total bytes over all column families (the core's `disk_bytes`).
    pub disk_bytes: u64,
}

impl From<mnemo::Stats> for Stats {
    fn from(s: mnemo::Stats) -> Self {
        let compression_ratio = s.compression_ratio();
        let disk_bytes = s.disk_bytes();
        Stats {
            counters: s.counters.into(),
            last_seq: s.last_seq,
            dictionaries: s.dictionaries,
            recompressed_through: s.recompressed_through,
            stored_content_bytes: s.stored_content_bytes,
            column_families: s
                .column_families
                .into_iter()
                .map(|c| ColumnFamilySize {
                    name: c.name,
                    bytes: c.bytes,
                })
                .collect(),
            compression_ratio,
            disk_bytes,
        }
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
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

impl From<mnemo::compaction::CompactionReport> for CompactionReport {
    fn from(r: mnemo::compaction::CompactionReport) -> Self {
        CompactionReport {
            blobs: r.blobs,
            rewritten: r.rewritten,
            bytes_before: r.bytes_before,
            bytes_after: r.bytes_after,
        }
    }
}

/// The kind of content a compression dictionary is trained for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ContentKind {
    /// Raw transcript bytes.
    Transcript,
    /// Structured records (session metadata, log entries).
    Record,
    /// Prompt template and workflow bodies.
    Prompt,
    /// Anything else.
    Other,
}

impl From<mnemo::codec::ContentKind> for ContentKind {
    fn from(k: mnemo::codec::ContentKind) -> Self {
        match k {
            mnemo::codec::ContentKind::Transcript => ContentKind::Transcript,
            mnemo::codec::ContentKind::Record => ContentKind::Record,
            mnemo::codec::ContentKind::Prompt => ContentKind::Prompt,
            mnemo::codec::ContentKind::Other => ContentKind::Other,
        }
    }
}

/// A dictionary trained by `retrainDictionaries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TrainedDictionary {
    /// The content kind it compresses.
    pub kind: ContentKind,
    /// Its new dictionary id.
    pub id: u32,
}
