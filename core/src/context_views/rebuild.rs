//! Rebuilding the context views from the log into a new generation, blue-green.
//!
//! The replay runs online: it reads the log in pages while writers keep committing to the
//! active generation, collects the rows each entry writes, and every 64 MiB sorts them per
//! view into a table file (RocksDB `SstFileWriter`) that it ingests into the new
//! generation's column family — no memtable, no WAL, no flush; a later file's rows win over
//! an earlier one's, as later events win in the log. Near the head it takes the writer lock,
//! replays the last entries into one batch together with the new generation number and the
//! recomputed counts, commits it synced, and switches readers.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use rocksdb::{IngestExternalFileOptions, SstFileWriter, WriteBatch};

use super::{
    apply, is_context_entry, physical_name, ViewSink, CONTEXT_VIEWS, GENERATION_KEY, VIEW_CFS,
};
use crate::engine::{Engine, CF_META};
use crate::error::{Error, Result};
use crate::events::projection::ProjectionStatus;
use crate::stats::Counters;
use crate::Mnemo;

/// Log entries read per page.
const PAGE: usize = 1024;
/// Rows collected (key and value bytes) before they are written to table files (small in
/// unit tests, so they ingest many files whose keys overlap).
const INGEST_BYTES: usize = if cfg!(test) { 4 << 10 } else { 64 << 20 };
/// Folder of the store where table files are written before they are ingested; removed at
/// open, so a crash leaves nothing behind.
pub(crate) const REBUILD_DIR: &str = "rebuild";

/// What a context-views rebuild did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContextRebuild {
    /// The generation readers see now.
    pub generation: u32,
    /// Log entries replayed.
    pub entries: u64,
    /// Sessions in the rebuilt views.
    pub sessions: u64,
    /// Sources in the rebuilt views.
    pub sources: u64,
    /// Prompt template versions in the rebuilt views.
    pub prompt_versions: u64,
    /// Workflow versions in the rebuilt views.
    pub workflow_versions: u64,
}

/// Rows of one view in log order: keys and values back to back in one buffer (no
/// allocation per row).
#[derive(Default)]
struct Rows {
    bytes: Vec<u8>,
    /// Each row's start in `bytes`, key length and value length.
    rows: Vec<(usize, u32, u32)>,
}

impl Rows {
    fn push(&mut self, key: &[u8], value: &[u8]) {
        self.rows
            .push((self.bytes.len(), key.len() as u32, value.len() as u32));
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value);
    }

    fn key(&self, row: usize) -> &[u8] {
        let (start, k, _) = self.rows[row];
        &self.bytes[start..start + k as usize]
    }

    fn value(&self, row: usize) -> &[u8] {
        let (start, k, v) = self.rows[row];
        &self.bytes[start + k as usize..start + k as usize + v as usize]
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.rows.clear();
    }
}

/// Rows of the generation being built, per view, until they are ingested.
#[derive(Default)]
struct Collected {
    views: [Rows; 3],
    /// Table files written so far (names them).
    files: u32,
}

impl Collected {
    fn bytes(&self) -> usize {
        self.views.iter().map(|v| v.bytes.len()).sum()
    }
}

/// Collects the rows of replayed entries.
struct CollectSink<'a> {
    collected: &'a mut Collected,
    counts: &'a mut Counters,
}

impl ViewSink for CollectSink<'_> {
    fn put(&mut self, view: &'static str, key: &[u8], value: &[u8]) {
        if let Some(i) = VIEW_CFS.iter().position(|v| *v == view) {
            self.collected.views[i].push(key, value);
        }
    }

    fn counts(&mut self) -> &mut Counters {
        self.counts
    }
}

/// Remove what an interrupted rebuild left in the store's folder.
pub(crate) fn remove_leftovers(store: &Path) {
    let _ = std::fs::remove_dir_all(store.join(REBUILD_DIR));
}

impl Engine {
    /// Sort the collected rows per view and ingest them into generation `generation` as one
    /// table file per view; a key written twice keeps its later value.
    fn ingest(&self, collected: &mut Collected, generation: u32) -> Result<()> {
        let dir = self.path.join(REBUILD_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for (view, rows) in VIEW_CFS.iter().zip(collected.views.iter_mut()) {
            if rows.rows.is_empty() {
                continue;
            }
            // By key, equal keys in log order: the last of each run is the one kept.
            let mut order: Vec<u32> = (0..rows.rows.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| {
                rows.key(a as usize)
                    .cmp(rows.key(b as usize))
                    .then(a.cmp(&b))
            });
            let name = physical_name(view, generation);
            let path: PathBuf = dir.join(format!("{name}-{}.sst", collected.files));
            collected.files += 1;
            let options = self.table_options(&name);
            let mut writer = SstFileWriter::create(&options);
            writer.open(&path)?;
            let mut rows_iter = order.iter().map(|&r| r as usize).peekable();
            while let Some(row) = rows_iter.next() {
                let key = rows.key(row);
                if rows_iter.peek().is_some_and(|&next| rows.key(next) == key) {
                    continue;
                }
                writer.put(key, rows.value(row))?;
            }
            writer.finish()?;
            let g = self.db()?;
            let cf = g.db().cf_handle(&name).ok_or_else(|| {
                Error::Storage(format!("column family {name} vanished during a rebuild"))
            })?;
            let mut ingest = IngestExternalFileOptions::default();
            ingest.set_move_files(true);
            g.db()
                .ingest_external_file_cf_opts(cf, &ingest, vec![&path])?;
            let _ = std::fs::remove_file(&path);
            rows.clear();
        }
        Ok(())
    }

    /// Replay entries `from..=to` into `collected` (ingesting into generation `generation`
    /// whenever it grows past [`INGEST_BYTES`]). Returns the next sequence number to replay.
    fn replay(
        &self,
        collected: &mut Collected,
        counts: &mut Counters,
        generation: u32,
        mut from: u64,
        to: u64,
    ) -> Result<u64> {
        while from <= to {
            if self.closed.load(Ordering::SeqCst) {
                return Err(Error::Closed);
            }
            let page = self.read_log(from, PAGE.min((to - from + 1) as usize))?;
            let Some(last) = page.last().map(|e| e.seq) else {
                break;
            };
            let mut sink = CollectSink {
                collected: &mut *collected,
                counts: &mut *counts,
            };
            for entry in page.iter().filter(|e| is_context_entry(e)) {
                apply(entry, &mut sink)?;
            }
            if collected.bytes() >= INGEST_BYTES {
                self.ingest(collected, generation)?;
            }
            from = last + 1;
        }
        Ok(from)
    }

    /// See [`Mnemo::rebuild_context_views`].
    fn rebuild_context_views(&self) -> Result<ContextRebuild> {
        let _one = self.views_rebuild.lock().unwrap_or_else(|e| e.into_inner());
        let next = self.db()?.views_generation() + 1;
        self.create_view_generation(next)?;
        let result = self.fill_view_generation(next);
        remove_leftovers(&self.path);
        if result.is_err() {
            // Leave nothing half-built behind; the active generation was never touched.
            let _ = self.drop_view_generation(next);
        }
        result
    }

    fn fill_view_generation(&self, next: u32) -> Result<ContextRebuild> {
        let mut counts = Counters::default();
        let mut collected = Collected::default();
        let mut from = 1;
        // Online: writers keep committing to the active generation meanwhile.
        loop {
            let head = self.feed.last_seq.load(Ordering::SeqCst);
            if head < from + PAGE as u64 {
                break;
            }
            from = self.replay(&mut collected, &mut counts, next, from, head)?;
        }
        self.ingest(&mut collected, next)?;
        // The last stretch under the writer lock, so no commit slips between the replay and
        // the switch: its rows, the new generation and the counts commit in one synced batch.
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let head = writer.next_seq - 1;
        from = self.replay(&mut collected, &mut counts, next, from, head)?;
        // Counts the views do not own stay as the writer kept them.
        let w = &writer.stats;
        counts.blobs = w.blobs;
        counts.blob_bytes = w.blob_bytes;
        counts.blob_stored_bytes = w.blob_stored_bytes;
        counts.log_stored_bytes = w.log_stored_bytes;
        counts.dedup_bytes = w.dedup_bytes;
        counts.tokens = w.tokens;
        let g = self.db()?;
        let mut batch = WriteBatch::default();
        for (view, rows) in VIEW_CFS.iter().zip(&collected.views) {
            // The rebuild created this column family before replaying.
            let Some(cf) = g.db().cf_handle(&physical_name(view, next)) else {
                continue;
            };
            // In log order: a later put of a key in the batch wins, as in the log.
            for row in 0..rows.rows.len() {
                batch.put_cf(cf, rows.key(row), rows.value(row));
            }
        }
        batch.put_cf(g.cf(CF_META), GENERATION_KEY, next.to_be_bytes());
        counts.save(&g, &mut batch, head)?;
        writer.unsaved_commits = 0;
        let mut sync = rocksdb::WriteOptions::default();
        sync.set_sync(true);
        g.db().write_opt(batch, &sync)?;
        // The switch takes the database lock: no read guard may be held across it.
        drop(g);
        writer.stats = counts.clone();
        // Switch readers and drop the old generation, still holding the writer lock.
        self.switch_view_generation(next)?;
        drop(writer);
        Ok(ContextRebuild {
            generation: next,
            entries: from - 1,
            sessions: counts.sessions,
            sources: counts.sources,
            prompt_versions: counts.prompt_versions,
            workflow_versions: counts.workflow_versions,
        })
    }
}

impl Mnemo {
    /// Rebuild the context views (sessions, sources, prompts, workflows and their counts)
    /// from the log into a new generation while the current one keeps serving reads and
    /// taking writes, then switch readers to it and drop the old one. Writers wait only
    /// for the last few entries' replay. An interrupted rebuild leaves the current
    /// generation untouched and starts over on the next call.
    pub fn rebuild_context_views(&self) -> Result<ContextRebuild> {
        self.engine().rebuild_context_views()
    }

    /// The generation of the context views readers see (0 until the first rebuild).
    pub fn context_views_generation(&self) -> Result<u32> {
        Ok(self.engine().db()?.views_generation())
    }

    /// The context views as a projection status: applied inline, so always at the head.
    pub fn context_views_status(&self) -> Result<ProjectionStatus> {
        let engine = self.engine();
        let generation = engine.db()?.views_generation();
        let head = engine.feed.last_seq.load(Ordering::SeqCst);
        Ok(ProjectionStatus {
            name: CONTEXT_VIEWS.to_string(),
            generation,
            checkpoint: head,
            rebuilding: None,
            error: None,
            head,
        })
    }
}
