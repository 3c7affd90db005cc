//! Ingest: turning transcript files into committed sessions.
//!
//! Work is split in two so the writer lock is held only for the cheap part:
//! 1. `prepare_file` (any thread, no lock): parse, lay out and compress each new session's
//!    blob, build the session records.
//! 2. `commit_files` (writer lock): one atomic commit for a group of prepared files, with one
//!    `session.imported` event per new session and one `source.imported` event per file,
//!    whose projections write blobs, rows and counters in the same batch. The search index
//!    follows behind (`search::SearchIndex`, caught up in the background and before any
//!    search).
//!
//! `import_paths` runs both as a pipeline: worker threads prepare files while the caller's
//! thread commits groups of them (group commit: one fsync for several files, each file still
//! all-or-nothing), and a syncing thread waits for each written group's fsync while the next
//! group is written; no file is reported (or passed to the progress callback) before its
//! group is durable.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::blobs::{session_blob_key, PreparedBlob};
use crate::engine::{Engine, CF_BLOBS, CF_SOURCES};
use crate::error::{Error, Result};
use crate::import::{self, Format, ParsedSession};
use crate::log::{Expected, NewBatch, PendingSync};
use crate::model::SessionInfo;
use crate::sessions::{
    id_of_hash, id_to_hex, locate_text, session_blob, session_hash, ImportedFile, SessionRecord,
    SourceRecord, StoredMessage, SESSION_IMPORTED, SOURCE_IMPORTED,
};

/// Most bytes of source files committed in one group.
const GROUP_BYTES: u64 = 8 << 20;
/// Most files committed in one group.
const GROUP_FILES: usize = 64;
/// Most prepared files waiting for the committing thread. Two groups' worth, so the workers
/// keep preparing while a group commits and syncs (with a smaller queue they stalled for
/// 15–25 ms of a 100 ms import, waiting to hand over files).
const PREPARED_AHEAD: usize = 2 * GROUP_FILES;

/// A session ready to commit.
struct PreparedSession {
    id: [u8; 16],
    record: Vec<u8>,
    blob: PreparedBlob,
}

/// A file ready to commit.
pub(crate) struct PreparedFile {
    source_id: [u8; 32],
    format: Format,
    len: u64,
    path: PathBuf,
    /// Every session of the file, in file order (new or not).
    all_ids: Vec<[u8; 16]>,
    /// The sessions not stored yet.
    sessions: Vec<PreparedSession>,
}

/// What preparing a file found.
pub(crate) enum Prepared {
    /// The same bytes were imported before.
    Known(ImportedFile),
    /// New content to commit.
    New(PreparedFile),
}

/// The stored description of parsed session `p`, and its messages.
fn build_info(
    p: ParsedSession,
    id: &[u8; 16],
    format: Format,
) -> (SessionInfo, Vec<import::ParsedMessage>) {
    let info = SessionInfo {
        id: id_to_hex(id),
        source_tool: p.source_tool,
        format: format.name().to_string(),
        project: p.project,
        title: p.title,
        started_at: p.started_at,
        ended_at: p.ended_at,
        files_touched: p.files_touched,
        metadata: p.metadata,
        message_count: p.messages.len() as u32,
        raw_len: p.span.len() as u64,
    };
    (info, p.messages)
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    postcard::to_stdvec(v).map_err(|e| Error::Storage(format!("encoding: {e}")))
}

impl Engine {
    /// Parse and prepare one file without taking the writer lock.
    pub(crate) fn prepare_file(&self, path: &Path, bytes: &[u8]) -> Result<Prepared> {
        let source_id = *blake3::hash(bytes).as_bytes();
        let g = self.db()?;
        if let Some(v) = g.db().get_pinned_cf(g.cf(CF_SOURCES), source_id)? {
            let rec: SourceRecord =
                postcard::from_bytes(&v).map_err(|e| Error::corrupted("source row", e))?;
            return Ok(Prepared::Known(ImportedFile {
                source_id: id_to_hex(&source_id),
                format: rec.format,
                imported: Vec::new(),
                already_stored: rec.sessions.len(),
                bytes: bytes.len() as u64,
            }));
        }
        let parsed = import::parse(bytes).map_err(|e| match e {
            import::ImportError::UnknownFormat => Error::UnknownFormat {
                path: path.to_path_buf(),
            },
            other => Error::Import {
                path: path.to_path_buf(),
                source: other,
            },
        })?;
        let format = parsed.format;
        let mut seen_blobs = HashSet::new();
        let mut seen_sessions = HashSet::new();
        let mut all_ids = Vec::with_capacity(parsed.sessions.len());
        let mut sessions = Vec::new();
        // Consumed: each message's text, tool calls and metadata move into what is stored.
        for p in parsed.sessions {
            let raw = bytes.get(p.span.clone()).ok_or_else(|| Error::Import {
                path: path.to_path_buf(),
                source: import::ImportError::Malformed {
                    format: format.name(),
                    reason: "session span outside the file".into(),
                },
            })?;
            let hash = session_hash(raw);
            let id = id_of_hash(&hash);
            all_ids.push(id);
            if !seen_sessions.insert(id) || self.session_row(&g, &id)?.is_some() {
                continue;
            }
            let span = p.span.clone();
            let (info, parsed_messages) = build_info(p, &id, format);
            let messages: Vec<StoredMessage> = parsed_messages
                .into_iter()
                .map(|m| StoredMessage {
                    role: m.message.role,
                    timestamp: m.message.timestamp,
                    text: locate_text(bytes, &span, m.message.text, m.text_span.as_ref()),
                    tool_calls: m.message.tool_calls,
                    tool_call_id: m.message.tool_call_id,
                })
                .collect();
            let blob_bytes = session_blob(raw, &messages)?;
            let index = blob_bytes.get(raw.len()..).unwrap_or_default();
            let key = session_blob_key(&hash, index);
            let blob = self.prepare_blob(&g, &blob_bytes, key, &mut seen_blobs)?;
            let raw_len = raw.len() as u32;
            let record = encode(&SessionRecord {
                info,
                source_id,
                blob: blob.blob,
                raw_len,
            })?;
            sessions.push(PreparedSession { id, record, blob });
        }
        Ok(Prepared::New(PreparedFile {
            source_id,
            format,
            len: bytes.len() as u64,
            path: path.to_path_buf(),
            all_ids,
            sessions,
        }))
    }

    /// Commit prepared files in one atomic batch. Sessions or files repeated within the
    /// group are committed once. On a conflict with a concurrent writer nothing is written
    /// and [`Error::Conflict`] is returned.
    pub(crate) fn commit_files(&self, files: &[PreparedFile]) -> Result<Vec<ImportedFile>> {
        let (reports, pending) = self.commit_files_unsynced(files)?;
        self.await_durable(pending)?;
        Ok(reports)
    }

    /// [`Engine::commit_files`] without waiting for durability: the reports hold until
    /// `pending` is awaited durable ([`Engine::await_durable`]).
    fn commit_files_unsynced(
        &self,
        files: &[PreparedFile],
    ) -> Result<(Vec<ImportedFile>, PendingSync)> {
        let mut events = Vec::new();
        // For each file committed: its index and the indices of its sessions that are new.
        let mut plan: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut group_sources = HashSet::new();
        let mut group_sessions = HashSet::new();
        for (fi, f) in files.iter().enumerate() {
            if !group_sources.insert(f.source_id) {
                continue;
            }
            let mut new = Vec::new();
            for (si, s) in f.sessions.iter().enumerate() {
                if group_sessions.insert(s.id) {
                    events.push(NewBatch::internal(
                        format!("session/{}", id_to_hex(&s.id)),
                        Expected::NoStream,
                        SESSION_IMPORTED,
                        s.record.clone(),
                    ));
                    new.push(si);
                }
            }
            let source = SourceRecord {
                format: f.format.name().to_string(),
                len: f.len,
                path: Some(f.path.display().to_string()),
                sessions: f.all_ids.clone(),
            };
            events.push(NewBatch::internal(
                format!("source/{}", id_to_hex(&f.source_id)),
                Expected::NoStream,
                SOURCE_IMPORTED,
                encode(&source)?,
            ));
            plan.push((fi, new));
        }
        let new_sessions = plan.iter().any(|(_, new)| !new.is_empty());
        // The sessions and sources rows are written by `context_views` in the same batch;
        // here only the blobs the new sessions reference.
        // What the blobs add to the batch: key, frame and RocksDB's few bytes of framing.
        let blob_bytes: usize = files
            .iter()
            .flat_map(|f| &f.sessions)
            .filter_map(|s| s.blob.frame.as_ref())
            .map(|frame| frame.len() + 48)
            .sum();
        let (_, (), pending) = self.commit_unsynced(events, blob_bytes, |g, w, batch| {
            let mut batch_blobs = HashSet::new();
            for (fi, new) in &plan {
                let f = &files[*fi];
                for &si in new {
                    let s = &f.sessions[si];
                    let len = u64::from(s.blob.blob.len);
                    let hash = s.blob.blob.hash;
                    let stored = !batch_blobs.insert(hash)
                        || g.db().get_pinned_cf(g.cf(CF_BLOBS), hash)?.is_some();
                    if stored {
                        w.stats.dedup_bytes += len;
                    } else {
                        let frame = s.blob.frame.as_ref().ok_or_else(|| {
                            Error::corrupted("blob", "a referenced blob is not stored")
                        })?;
                        batch.put_cf(g.cf(CF_BLOBS), hash, frame);
                        w.stats.blobs += 1;
                        w.stats.blob_bytes += len;
                        w.stats.blob_stored_bytes += frame.len() as u64;
                    }
                }
            }
            Ok(())
        })?;
        if new_sessions {
            self.index_in_background();
            self.recompress_in_background();
        }
        let new_by_file: std::collections::HashMap<usize, &Vec<usize>> =
            plan.iter().map(|(fi, new)| (*fi, new)).collect();
        let reports = files
            .iter()
            .enumerate()
            .map(|(fi, f)| {
                let imported: Vec<String> = new_by_file
                    .get(&fi)
                    .map(|new| {
                        new.iter()
                            .map(|&si| id_to_hex(&f.sessions[si].id))
                            .collect()
                    })
                    .unwrap_or_default();
                ImportedFile {
                    source_id: id_to_hex(&f.source_id),
                    format: f.format.name().to_string(),
                    already_stored: f.all_ids.len() - imported.len(),
                    imported,
                    bytes: f.len,
                }
            })
            .collect();
        Ok((reports, pending))
    }

    /// Import one file's bytes in its own commit.
    pub(crate) fn import_bytes(&self, path: &Path, bytes: &[u8]) -> Result<ImportedFile> {
        loop {
            let file = match self.prepare_file(path, bytes)? {
                Prepared::Known(r) => return Ok(r),
                Prepared::New(f) => f,
            };
            match self.commit_files(std::slice::from_ref(&file)) {
                Ok(mut r) => return r.pop().ok_or_else(|| Error::Storage("no result".into())),
                // A concurrent writer stored part of it first: prepare again.
                Err(Error::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Import many files: workers prepare, the calling thread commits groups, and a
    /// syncing thread waits for each group to be durable while the next one is written.
    /// Results come back in input order; `done` is called once per file as its outcome is
    /// known (for a committed file, once it is durable).
    pub(crate) fn import_many(
        &self,
        files: &[PathBuf],
        mut done: impl FnMut(usize, &Path),
    ) -> Vec<Result<ImportedFile>> {
        let _indexer = self.hold_indexer();
        let _recompression = self.hold_recompression();
        let _training = self.training.defer();
        let mut results: Vec<Option<Result<ImportedFile>>> =
            (0..files.len()).map(|_| None).collect();
        let next = AtomicUsize::new(0);
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let mut finished = 0usize;
        let mut settle = |i: usize, outcome: Result<ImportedFile>| {
            results[i] = Some(outcome);
            finished += 1;
            done(finished, &files[i]);
        };
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<(usize, Result<Prepared>)>(PREPARED_AHEAD);
            for _ in 0..workers {
                let tx = tx.clone();
                let next = &next;
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(path) = files.get(i) else { break };
                    let prepared = std::fs::read(path)
                        .map_err(|source| Error::Io {
                            path: path.clone(),
                            source,
                        })
                        .and_then(|bytes| self.prepare_file(path, &bytes));
                    if tx.send((i, prepared)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            // Groups written but not yet durable go to the syncing thread, which hands them
            // back once they are.
            let (to_sync, syncing) = mpsc::channel::<WrittenGroup>();
            let (synced_tx, synced) = mpsc::channel::<SyncedGroup>();
            scope.spawn(move || {
                for (indices, reports, pending) in syncing {
                    let outcome = self.await_durable(pending).map(|()| reports);
                    if synced_tx.send((indices, outcome)).is_err() {
                        break;
                    }
                }
            });
            let mut group: Vec<(usize, PreparedFile)> = Vec::new();
            let mut group_bytes = 0u64;
            for (i, prepared) in rx.iter() {
                match prepared {
                    Ok(Prepared::New(f)) => {
                        group_bytes += f.len;
                        group.push((i, f));
                    }
                    Ok(Prepared::Known(r)) => settle(i, Ok(r)),
                    Err(e) => settle(i, Err(e)),
                }
                if group.len() >= GROUP_FILES || group_bytes >= GROUP_BYTES {
                    self.commit_group(&mut group, files, &to_sync, &mut settle);
                    group_bytes = 0;
                }
                for (indices, outcome) in synced.try_iter() {
                    settle_group(indices, outcome, &mut settle);
                }
            }
            self.commit_group(&mut group, files, &to_sync, &mut settle);
            drop(to_sync);
            for (indices, outcome) in synced.iter() {
                settle_group(indices, outcome, &mut settle);
            }
        });
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Storage("file was not processed".into()))))
            .collect()
    }

    /// Write `group` in one commit and hand it to the syncing thread (`to_sync`); when that
    /// commit fails, commit its files one by one (each synced before it is settled) so one
    /// bad file cannot sink the others.
    fn commit_group(
        &self,
        group: &mut Vec<(usize, PreparedFile)>,
        files: &[PathBuf],
        to_sync: &mpsc::Sender<WrittenGroup>,
        settle: &mut impl FnMut(usize, Result<ImportedFile>),
    ) {
        if group.is_empty() {
            return;
        }
        let (indices, prepared): (Vec<usize>, Vec<PreparedFile>) = group.drain(..).unzip();
        match self.commit_files_unsynced(&prepared) {
            Ok((reports, pending)) => {
                if let Err(mpsc::SendError((indices, reports, pending))) =
                    to_sync.send((indices, reports, pending))
                {
                    // The syncing thread is gone (it cannot be, while this one runs): wait
                    // here instead.
                    let outcome = self.await_durable(pending).map(|()| reports);
                    settle_group(indices, outcome, settle);
                }
            }
            Err(_) => {
                for (i, f) in indices.iter().zip(&prepared) {
                    let r = match self.commit_files(std::slice::from_ref(f)) {
                        Ok(mut r) => r.pop().ok_or_else(|| Error::Storage("no result".into())),
                        Err(Error::Conflict { .. }) => std::fs::read(&files[*i])
                            .map_err(|source| Error::Io {
                                path: files[*i].clone(),
                                source,
                            })
                            .and_then(|b| self.import_bytes(&files[*i], &b)),
                        Err(e) => Err(e),
                    };
                    settle(*i, r);
                }
            }
        }
    }
}

/// A group committed without waiting for durability: its files' indices, their reports
/// and what to await.
type WrittenGroup = (Vec<usize>, Vec<ImportedFile>, PendingSync);
/// A group whose sync ended: its files' indices and their reports, or the sync's error.
type SyncedGroup = (Vec<usize>, Result<Vec<ImportedFile>>);

/// Settle each file of a synced group: its report, or the sync's error (the files are then
/// not known to be durable, so none is reported imported).
fn settle_group(
    indices: Vec<usize>,
    outcome: Result<Vec<ImportedFile>>,
    settle: &mut impl FnMut(usize, Result<ImportedFile>),
) {
    match outcome {
        Ok(reports) => {
            for (i, r) in indices.into_iter().zip(reports) {
                settle(i, Ok(r));
            }
        }
        Err(e) => {
            let reason = e.to_string();
            for i in indices {
                settle(
                    i,
                    Err(Error::Storage(format!(
                        "syncing the write-ahead log: {reason}"
                    ))),
                );
            }
        }
    }
}
