//! The engine handle: opening a store directory, its column families, the single writer and
//! the change-feed notifier.
//!
//! This module owns the RocksDB instance and the write path's serialisation. Every mutation
//! goes through [`Engine::commit`], which appends events to the log and writes their
//! projections in one atomic `WriteBatch` (see `log`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, DBCompressionType, WriteOptions, DB};

use crate::codec::{Codec, Plaintext, Seal};
use crate::context_views::{parse_physical, physical_name, VIEW_CFS};
use crate::dictionaries::Sampler;
use crate::error::{Error, Result};

/// Column family: the ordered log in blocks of consecutive entries of one commit, key = the
/// sequence number of the block's last entry (u64 BE); see `log::block`.
pub(crate) const CF_LOG: &str = "log";
/// Column family: session id → session summary (projection).
pub(crate) const CF_SESSIONS: &str = "sessions";
/// Column family: source file hash → the sessions it holds (projection).
pub(crate) const CF_SOURCES: &str = "sources";
/// Column family: content hash → compressed chunk (content-addressed, deduplicated).
pub(crate) const CF_BLOBS: &str = "blobs";
/// Column family: prompt templates and workflows (projection).
pub(crate) const CF_PROMPTS: &str = "prompts";
/// Column family: `(stream, first version)` → a run of the stream's sequence numbers, for
/// reading one stream (see `log::IndexRun`).
pub(crate) const CF_STREAM_INDEX: &str = "stream_index";
/// Column family: projections' read models (host projections and the search index),
/// `(projection, generation) ++ key`.
pub(crate) const CF_VIEWS: &str = "views";
/// Column family: dictionaries, counters and other engine metadata.
pub(crate) const CF_META: &str = "meta";

pub(crate) const ALL_CFS: [&str; 8] = [
    CF_LOG,
    CF_STREAM_INDEX,
    CF_VIEWS,
    CF_SESSIONS,
    CF_SOURCES,
    CF_BLOBS,
    CF_PROMPTS,
    CF_META,
];

/// Column families RocksDB must not compress: their values Mnemo already compresses.
const UNCOMPRESSED: [&str; 2] = [CF_LOG, CF_BLOBS];

/// Past this much write-ahead log, RocksDB flushes the column families that keep its oldest
/// file alive.
const MAX_TOTAL_WAL_BYTES: u64 = 256 << 20;

/// How a store is opened.
#[derive(Clone)]
pub struct Options {
    /// Create the directory and store when missing (default `true`).
    pub create_if_missing: bool,
    /// fsync the write-ahead log on every commit (default `true`). With `false` a crash of
    /// the machine (not of the process) can lose the last commits; a process crash loses
    /// nothing either way because RocksDB's WAL is written before a commit returns.
    pub sync_writes: bool,
    /// zstd level for values as they are written (default 1, the fastest of zstd's regular
    /// levels: imported sessions are recompressed at `recompress_level` behind the writes, so
    /// the write level only sets how fast an import runs and how large a store is until the
    /// recompression has caught up); [`crate::Mnemo::compact`] recompresses at once.
    pub compression_level: i32,
    /// zstd level for imported sessions' bytes as they are written, while the background
    /// recompression is on (default −30, one of zstd's fast levels: about twice the speed of
    /// level 1 at about 2.5 times the size, which the recompression takes down to its compact
    /// size once imports pause). With the recompression off, sessions are written at
    /// `compression_level` like every other value.
    pub blob_write_level: i32,
    /// The sealing step for values (default plaintext; encryption at rest plugs in here).
    pub seal: Arc<dyn Seal>,
    /// Train per-kind dictionaries once this many sample bytes of a kind have accumulated
    /// (default 1 MiB; 0 disables automatic training).
    pub dictionary_training_bytes: usize,
    /// RocksDB block cache size in bytes (default 64 MiB).
    pub block_cache_bytes: usize,
    /// Largest payload plus metadata of one host event (default 4 MiB).
    pub max_event_bytes: usize,
    /// Memory for decompressed session blobs, so repeated reads of a session skip
    /// decompression (default 64 MiB; 0 disables).
    pub blob_cache_bytes: usize,
    /// zstd level at which a background thread recompresses imported sessions once imports
    /// pause (default 15: about a quarter smaller than level 1 on the shared transcripts, at
    /// ~10 MB/s of one core, on a low-priority thread). 0, or a level not above
    /// `compression_level`, turns it off; [`crate::Mnemo::compact`] does the same at once.
    pub recompress_level: i32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create_if_missing: true,
            sync_writes: true,
            compression_level: 1,
            blob_write_level: -30,
            seal: Arc::new(Plaintext),
            dictionary_training_bytes: 1 << 20,
            block_cache_bytes: 64 << 20,
            max_event_bytes: 4 << 20,
            blob_cache_bytes: 64 << 20,
            recompress_level: 15,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("create_if_missing", &self.create_if_missing)
            .field("sync_writes", &self.sync_writes)
            .field("compression_level", &self.compression_level)
            .field("blob_write_level", &self.blob_write_level)
            .field("seal_id", &self.seal.id())
            .field("dictionary_training_bytes", &self.dictionary_training_bytes)
            .field("block_cache_bytes", &self.block_cache_bytes)
            .field("max_event_bytes", &self.max_event_bytes)
            .field("blob_cache_bytes", &self.blob_cache_bytes)
            .field("recompress_level", &self.recompress_level)
            .finish()
    }
}

/// State only the writer touches, behind one mutex.
pub(crate) struct WriterState {
    /// Next log sequence number to assign.
    pub next_seq: u64,
    /// Hash of the last log entry (the chain head).
    pub head_hash: [u8; 32],
    /// Running totals, persisted with every commit that changes them.
    pub stats: crate::stats::Counters,
    /// Current versions of recently written streams, so a commit checks expected versions
    /// without a read. Only holds committed versions; bounded by [`STREAM_VERSION_CACHE`].
    pub stream_versions: rustc_hash::FxHashMap<String, u64>,
    /// Newest version of recently written prompt templates, with their stream's version
    /// (`prompts::PromptHead`), so adding a version reads nothing; bounded like
    /// `stream_versions`.
    pub prompt_heads: rustc_hash::FxHashMap<String, crate::prompts::PromptHead>,
    /// Commits since the counters were last saved (see `stats::Counters::load`).
    pub unsaved_commits: u32,
}

/// Most stream versions [`WriterState`] remembers before it starts over.
const STREAM_VERSION_CACHE: usize = 1 << 16;

impl WriterState {
    /// Add the counters, which include the log's stored bytes up to entry `through`, to
    /// `batch`, and count them as saved (see `stats::Counters::load`).
    pub fn save_stats(
        &mut self,
        g: &DbGuard<'_>,
        batch: &mut rocksdb::WriteBatch,
        through: u64,
    ) -> Result<()> {
        self.stats.save(g, batch, through)?;
        self.unsaved_commits = 0;
        Ok(())
    }

    /// Remember the versions a successful commit left its streams at.
    pub fn remember_versions(&mut self, versions: rustc_hash::FxHashMap<String, Option<u64>>) {
        if self.stream_versions.len() + versions.len() > STREAM_VERSION_CACHE {
            self.stream_versions.clear();
        }
        for (stream, version) in versions {
            if let Some(v) = version {
                self.stream_versions.insert(stream, v);
            }
        }
    }
}

/// The shared core behind every clone of a [`crate::Mnemo`] handle.
pub(crate) struct Engine {
    /// A weak handle to itself, for background work (dictionary training).
    pub me: std::sync::Weak<Engine>,
    /// Dictionary trainings running in the background.
    pub training: crate::dictionaries::Training,
    /// The search index's background catch-up.
    pub indexer: crate::background::Task,
    /// The background recompression of imported sessions (`compaction`).
    pub recompressor: crate::compaction::Recompressor,
    /// Its zstd level; `None` when off.
    pub recompress_level: Option<i32>,
    /// zstd level of session blobs as they are written (`Options::blob_write_level` while
    /// the recompression is on, else `Options::compression_level`).
    pub blob_write_level: i32,
    db: RwLock<Option<OpenDb>>,
    /// The block cache every column family shares (also those a rebuild creates).
    block_cache: rocksdb::Cache,
    /// One context-views rebuild at a time.
    pub views_rebuild: Mutex<()>,
    pub path: PathBuf,
    pub codec: Codec,
    pub writer: Mutex<WriterState>,
    pub sampler: Mutex<Sampler>,
    pub dict_lock: Mutex<()>,
    pub feed: crate::feed::Feed,
    pub closed: AtomicBool,
    /// Moves on when a context-views rebuild switches generations: every view row may have
    /// been rewritten then. With [`Engine::prompt_epochs`] it tags cached templates
    /// (`prompts::PromptCache`).
    pub views_epoch: AtomicU64,
    /// Two epochs per stripe of template names (`prompts::epoch_slot`), one for new versions
    /// and one for moved labels: each moves on after every commit that made that change to
    /// a template of that stripe, after the rows are visible and before the commit is
    /// acknowledged. A template cached at one value of the epoch its read depends on (and of
    /// `views_epoch`) stays valid while both hold, whatever else is written meanwhile
    /// (sessions, other templates, host events, labels for a read of the newest version).
    pub prompt_epochs: Box<[AtomicU64]>,
    pub max_event_bytes: usize,
    pub blob_cache: Option<crate::blobs::BlobCache>,
    pub upcasters: crate::events::upcast::Upcasters,
    /// One lock per host projection, so two runners never apply the same events twice.
    pub projection_locks: Mutex<std::collections::HashMap<String, Arc<Mutex<()>>>>,
    /// Group commit of durable writes (`log::GroupSync`).
    pub group_sync: crate::log::GroupSync,
    write_opts_sync: bool,
}

/// The open database and which generation of the context views readers use.
struct OpenDb {
    db: DB,
    /// Active generation of the context views (see `context_views`).
    views_generation: u32,
    /// The physical column family of each of `context_views::VIEW_CFS` in that generation.
    view_names: [String; 3],
}

impl OpenDb {
    fn new(db: DB, views_generation: u32) -> Self {
        OpenDb {
            db,
            views_generation,
            view_names: VIEW_CFS.map(|base| physical_name(base, views_generation)),
        }
    }
}

/// A read guard on the open database.
pub(crate) struct DbGuard<'a>(RwLockReadGuard<'a, Option<OpenDb>>);

impl DbGuard<'_> {
    fn open(&self) -> &OpenDb {
        // Constructed only when `Some` (see `Engine::db`).
        self.0.as_ref().expect("DbGuard holds an open database")
    }

    pub fn db(&self) -> &DB {
        &self.open().db
    }

    /// Column family `name`; a context view resolves to its active generation.
    pub fn cf(&self, name: &str) -> &ColumnFamily {
        let open = self.open();
        let physical = match VIEW_CFS.iter().position(|base| *base == name) {
            Some(i) => open.view_names[i].as_str(),
            None => name,
        };
        open.db
            .cf_handle(physical)
            .expect("all column families are created at open")
    }

    /// Active generation of the context views.
    pub fn views_generation(&self) -> u32 {
        self.open().views_generation
    }
}

/// Share of a memtable's size given to its bloom filter (~10 bits per key for small rows;
/// 0.6 MiB per memtable at the default 64 MiB).
const MEMTABLE_BLOOM_RATIO: f64 = 0.01;
/// Column families whose keys writes look up before writing, mostly in vain.
const EXISTENCE_CHECKED: [&str; 4] = [CF_SOURCES, CF_SESSIONS, CF_BLOBS, CF_STREAM_INDEX];

/// Options of column family `name` (a base name or a context view's generation).
fn cf_options(name: &str, cache: &rocksdb::Cache) -> rocksdb::Options {
    let base = parse_physical(name).map_or(name, |(base, _)| base);
    let mut o = rocksdb::Options::default();
    let mut block = rocksdb::BlockBasedOptions::default();
    block.set_block_cache(cache);
    block.set_bloom_filter(10.0, false);
    block.set_cache_index_and_filter_blocks(true);
    o.set_block_based_table_factory(&block);
    if EXISTENCE_CHECKED.contains(&base) {
        // A bloom filter over the memtable's whole keys: the existence checks of a write (is
        // this file, session, blob or stream stored yet?) mostly miss, and without it each
        // miss walked the memtable's skip list.
        o.set_memtable_whole_key_filtering(true);
        o.set_memtable_prefix_bloom_ratio(MEMTABLE_BLOOM_RATIO);
    }
    if UNCOMPRESSED.contains(&base) {
        o.set_compression_type(DBCompressionType::None);
    } else {
        o.set_compression_type(DBCompressionType::Zstd);
    }
    o
}

impl Engine {
    pub fn open(path: &Path, options: Options) -> Result<Arc<Engine>> {
        if options.create_if_missing {
            std::fs::create_dir_all(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let cache = rocksdb::Cache::new_lru_cache(options.block_cache_bytes);
        let mut db_opts = rocksdb::Options::default();
        db_opts.create_if_missing(options.create_if_missing);
        db_opts.create_missing_column_families(true);
        db_opts.set_max_background_jobs(2);
        db_opts.set_keep_log_file_num(4);
        // The WAL is shared by every column family and a file is deleted only once all of
        // them have flushed what it holds; the small ones (stream index, counters) rarely
        // fill a memtable, so without a cap the WAL grew to the default 4 × the memtables'
        // total (GBs under a stream of appends), all replayed at the next open.
        db_opts.set_max_total_wal_size(MAX_TOTAL_WAL_BYTES);
        // Every column family on disk must be opened: the fixed ones (created when missing),
        // plus the context views' generations that exist. Generation 0's plain names are
        // created only in a new store, so a store past its first rebuild does not create
        // and drop them again at every open.
        let existing = DB::list_cf(&db_opts, path).ok();
        let mut names: Vec<String> = ALL_CFS
            .iter()
            .filter(|name| existing.is_none() || !VIEW_CFS.contains(name))
            .map(|name| name.to_string())
            .collect();
        for name in existing.into_iter().flatten() {
            if name != "default" && !names.contains(&name) {
                names.push(name);
            }
        }
        let cfs = names
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(name, cf_options(name, &cache)));
        let mut db = DB::open_cf_descriptors(&db_opts, path, cfs).map_err(|e| {
            let msg = e.into_string();
            if msg.contains("lock") || msg.contains("LOCK") {
                Error::Locked {
                    path: path.to_path_buf(),
                }
            } else if msg.contains("does not exist") {
                Error::NotFound {
                    kind: "store",
                    key: path.display().to_string(),
                }
            } else {
                Error::Storage(msg)
            }
        })?;
        let views_generation = crate::context_views::load_generation(&db)?;
        crate::context_views::remove_leftovers(path);
        // Drop what an interrupted rebuild (or the switch before a crash) left behind.
        for name in &names {
            if let Some((_, generation)) = parse_physical(name) {
                if generation != views_generation {
                    db.drop_cf(name)?;
                }
            }
        }
        for base in VIEW_CFS {
            let name = physical_name(base, views_generation);
            if db.cf_handle(&name).is_none() {
                return Err(Error::corrupted(
                    "store",
                    format!("column family {name} of the active context views is missing"),
                ));
            }
        }
        let codec = Codec::new(options.compression_level, options.seal.clone());
        crate::dictionaries::load(&db, &codec, options.compression_level)?;
        let (last_seq, head_hash) = crate::log::log_head(&db)?;
        let stats = crate::stats::Counters::load(&db, last_seq)?;
        let has_sessions = stats.sessions > 0;
        let sampler = Sampler::new(options.dictionary_training_bytes);
        let recompress_level = (options.recompress_level != 0
            && options.recompress_level > options.compression_level)
            .then_some(options.recompress_level);
        let engine = Arc::new_cyclic(|me| Engine {
            me: me.clone(),
            training: Default::default(),
            indexer: Default::default(),
            recompressor: Default::default(),
            recompress_level,
            blob_write_level: if recompress_level.is_some() {
                options.blob_write_level
            } else {
                options.compression_level
            },
            db: RwLock::new(Some(OpenDb::new(db, views_generation))),
            block_cache: cache,
            views_rebuild: Mutex::new(()),
            path: path.to_path_buf(),
            codec,
            write_opts_sync: options.sync_writes,
            writer: Mutex::new(WriterState {
                next_seq: last_seq + 1,
                head_hash,
                stats,
                stream_versions: Default::default(),
                prompt_heads: Default::default(),
                unsaved_commits: 0,
            }),
            sampler: Mutex::new(sampler),
            dict_lock: Mutex::new(()),
            feed: crate::feed::Feed::new(last_seq),
            closed: AtomicBool::new(false),
            views_epoch: AtomicU64::new(0),
            prompt_epochs: (0..crate::prompts::EPOCH_SLOTS)
                .map(|_| AtomicU64::new(0))
                .collect(),
            max_event_bytes: options.max_event_bytes,
            blob_cache: crate::blobs::blob_cache(options.blob_cache_bytes),
            upcasters: Default::default(),
            projection_locks: Mutex::new(Default::default()),
            group_sync: Default::default(),
        });
        // Sessions imported while the store was last open may still wait for their
        // background recompression (the process ended first): resume it. (A store of host
        // events only has nothing for it to do.)
        if engine.recompress_level.is_some()
            && has_sessions
            && engine
                .recompressed_through()
                .is_ok_and(|through| through < last_seq)
        {
            engine.recompress_in_background();
        }
        Ok(engine)
    }

    /// The open database, or [`Error::Closed`].
    pub fn db(&self) -> Result<DbGuard<'_>> {
        let g = self.db.read().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            return Err(Error::Closed);
        }
        Ok(DbGuard(g))
    }

    pub fn write_options(&self) -> WriteOptions {
        let mut w = WriteOptions::default();
        w.set_sync(self.write_opts_sync);
        w
    }

    /// Whether commits are acknowledged only once durable (`Options::sync_writes`).
    pub fn sync_writes(&self) -> bool {
        self.write_opts_sync
    }

    /// Close the database: flushes, releases the directory lock, wakes feed waiters.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        // A dictionary training in flight persists its dictionary before the database
        // closes (its samples live only in memory; a CLI `mnemo import` closes the moment the
        // import ends, when the training it deferred starts).
        self.training.wait_idle();
        // Take the writer lock so no commit is half-way through.
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if w.unsaved_commits > 0 {
            // Save the counters so the next open has nothing to recount; if this fails, the
            // next open recounts the log bytes instead.
            if let Ok(g) = self.db() {
                let mut batch = rocksdb::WriteBatch::default();
                let through = w.next_seq - 1;
                if w.save_stats(&g, &mut batch, through).is_ok() {
                    let _ = g.db().write_opt(batch, &self.write_options());
                }
            }
        }
        let mut g = self.db.write().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = g.take() {
            if open.db.flush_wal(true).is_ok() {
                self.group_sync.all_durable();
            }
            drop(open);
        }
        self.feed.wake_all();
    }

    /// Options for table files written outside the database for column family `name`
    /// (they must match the family's own).
    pub fn table_options(&self, name: &str) -> rocksdb::Options {
        cf_options(name, &self.block_cache)
    }

    /// Create empty column families for context-view generation `generation` (replacing
    /// any left from an earlier attempt).
    pub fn create_view_generation(&self, generation: u32) -> Result<()> {
        let mut g = self.db.write().unwrap_or_else(|e| e.into_inner());
        let open = g.as_mut().ok_or(Error::Closed)?;
        for base in VIEW_CFS {
            let name = physical_name(base, generation);
            if open.db.cf_handle(&name).is_some() {
                open.db.drop_cf(&name)?;
            }
            open.db
                .create_cf(&name, &cf_options(&name, &self.block_cache))?;
        }
        Ok(())
    }

    /// Drop the column families of context-view generation `generation`.
    pub fn drop_view_generation(&self, generation: u32) -> Result<()> {
        let mut g = self.db.write().unwrap_or_else(|e| e.into_inner());
        let open = g.as_mut().ok_or(Error::Closed)?;
        if generation == open.views_generation {
            return Err(Error::InvalidInput(
                "the active context views cannot be dropped".into(),
            ));
        }
        for base in VIEW_CFS {
            let name = physical_name(base, generation);
            if open.db.cf_handle(&name).is_some() {
                open.db.drop_cf(&name)?;
            }
        }
        Ok(())
    }

    /// Point readers at context-view generation `generation` and drop the previous one.
    /// The caller recorded the switch in `meta` and holds the writer lock.
    pub fn switch_view_generation(&self, generation: u32) -> Result<()> {
        let mut g = self.db.write().unwrap_or_else(|e| e.into_inner());
        let open = g.take().ok_or(Error::Closed)?;
        let previous = open.views_generation;
        let mut open = OpenDb::new(open.db, generation);
        let mut result = Ok(());
        for base in VIEW_CFS {
            let name = physical_name(base, previous);
            if open.db.cf_handle(&name).is_some() {
                if let Err(e) = open.db.drop_cf(&name) {
                    // Harmless: the next open drops it.
                    result = Err(e.into());
                }
            }
        }
        *g = Some(open);
        // Readers now see the new generation's rows.
        self.views_epoch
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        result
    }
}
