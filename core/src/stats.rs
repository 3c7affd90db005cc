//! Store statistics: running counters kept by the writer, and on-disk sizes read from
//! RocksDB. This module owns the counters' persistence (`meta` keys `stats/counters` and
//! `stats/through`).

use rocksdb::{WriteBatch, DB};
use serde::{Deserialize, Serialize};

use crate::engine::{DbGuard, Engine, ALL_CFS, CF_META};
use crate::error::{Error, Result};

const COUNTERS_KEY: &[u8] = b"stats/counters";
/// The last log entry whose stored bytes the saved counters include (u64 BE).
const THROUGH_KEY: &[u8] = b"stats/through";

/// Running totals, updated in the same batch as the writes they count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Bytes of log entries written (after compression): session records, prompts, events.
    pub log_stored_bytes: u64,
    /// Blob bytes not stored because the same content was already stored.
    pub dedup_bytes: u64,
    /// Tokens in the search index. The index follows imports in the background; `stats`
    /// catches it up first, as a search does, so this counts every session imported before.
    pub tokens: u64,
    /// Prompt template versions stored.
    pub prompt_versions: u64,
    /// Workflow versions stored.
    pub workflow_versions: u64,
}

impl Counters {
    /// The counters as of the log's entry `last_seq`. Host appends do not save the counters
    /// in every commit (only their log bytes change, and rewriting one key per append cost
    /// a single-event append a fifth of its time): the saved counters name the last entry
    /// whose bytes they include, and the stored bytes of the entries after it are added here.
    pub(crate) fn load(db: &DB, last_seq: u64) -> Result<Counters> {
        let cf = db
            .cf_handle(CF_META)
            .ok_or_else(|| Error::corrupted("store", "meta column family missing"))?;
        let mut counters: Counters = match db.get_pinned_cf(cf, COUNTERS_KEY)? {
            None => return Ok(Counters::default()),
            Some(v) => postcard::from_bytes(&v).map_err(|e| Error::corrupted("counters", e))?,
        };
        let through = match db.get_pinned_cf(cf, THROUGH_KEY)? {
            None => last_seq,
            Some(v) => {
                let v: [u8; 8] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| Error::corrupted("counters", "position is not 8 bytes"))?;
                u64::from_be_bytes(v)
            }
        };
        if through < last_seq {
            counters.log_stored_bytes += crate::log::stored_bytes_from(db, through + 1)?;
        }
        Ok(counters)
    }

    /// Save the counters, which include the stored bytes of the log up to entry `through`.
    pub(crate) fn save(&self, g: &DbGuard<'_>, batch: &mut WriteBatch, through: u64) -> Result<()> {
        let v = postcard::to_stdvec(self).map_err(|e| Error::Storage(e.to_string()))?;
        batch.put_cf(g.cf(CF_META), COUNTERS_KEY, v);
        batch.put_cf(g.cf(CF_META), THROUGH_KEY, through.to_be_bytes());
        Ok(())
    }
}

/// Size of one column family on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnFamilySize {
    /// Column family name.
    pub name: String,
    /// Bytes in SST files plus memtables.
    pub bytes: u64,
}

/// A snapshot of the store's statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Running counters.
    pub counters: Counters,
    /// Last log sequence number.
    pub last_seq: u64,
    /// Trained dictionaries.
    pub dictionaries: u32,
    /// The log sequence number through which the background recompression
    /// (`Options::recompress_level`) has rewritten imported sessions; equal to `last_seq`
    /// once it has caught up (0 while it is off or has not started).
    pub recompressed_through: u64,
    /// Bytes stored for context content: compressed session blobs plus compressed log entries.
    pub stored_content_bytes: u64,
    /// Per column family sizes on disk (SST + memtable).
    pub column_families: Vec<ColumnFamilySize>,
}

impl Stats {
    /// Raw imported bytes divided by stored content bytes (higher is better).
    pub fn compression_ratio(&self) -> f64 {
        if self.stored_content_bytes == 0 {
            return 0.0;
        }
        self.counters.raw_bytes as f64 / self.stored_content_bytes as f64
    }

    /// Total bytes over all column families.
    pub fn disk_bytes(&self) -> u64 {
        self.column_families.iter().map(|c| c.bytes).sum()
    }
}

impl Engine {
    pub(crate) fn stats(&self) -> Result<Stats> {
        let mut counters = self
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stats
            .clone();
        // Like a search, stats see every session imported before them: the index is caught
        // up first (a no-op when the background indexer already is).
        self.run_to_head(&mut crate::search::SearchIndex::default())?;
        counters.tokens = self.index_totals()?.1;
        let g = self.db()?;
        let mut column_families = Vec::new();
        for name in ALL_CFS {
            let cf = g.cf(name);
            let prop = |p: &str| {
                g.db()
                    .property_int_value_cf(cf, p)
                    .ok()
                    .flatten()
                    .unwrap_or(0)
            };
            column_families.push(ColumnFamilySize {
                name: name.to_string(),
                bytes: prop("rocksdb.total-sst-files-size") + prop("rocksdb.size-all-mem-tables"),
            });
        }
        Ok(Stats {
            stored_content_bytes: counters.blob_stored_bytes + counters.log_stored_bytes,
            counters,
            last_seq: self.feed.last_seq.load(std::sync::atomic::Ordering::SeqCst),
            dictionaries: self.codec.max_dictionary_id(),
            recompressed_through: self.recompressed_through()?,
            column_families,
        })
    }
}
