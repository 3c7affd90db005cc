//! The public handle, [`Mnemo`]: one store opened on a directory.
//!
//! This module only shapes the public API; the work is done by the concept modules
//! (`sessions`, `search`, `prompts`, `workflows`, `log`). The handle is `Send + Sync` and
//! cheap to clone. Its methods block on disk I/O (RocksDB point reads take microseconds;
//! commits with `sync_writes` wait for an fsync): from async code call them through
//! `tokio::task::spawn_blocking`, or use the `*_async` change-feed methods.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::events::subscription::{SubscribeOptions, Subscription};
use crate::log::LogEntry;
use crate::model::{Millis, PromptTemplate, Role, SessionInfo, Workflow, WorkflowStep};
use crate::sessions::{ImportedFile, Session};
use crate::stats::Stats;
use crate::workflows::RenderedStep;
use crate::Options;

/// A Mnemo store. Clone it freely; all clones share one open database, which closes when
/// the last clone is dropped (or at [`Mnemo::close`]).
#[derive(Clone)]
pub struct Mnemo {
    engine: Arc<Engine>,
    /// Where recently read sessions' bytes are (shared by all clones).
    sessions: Arc<crate::sessions::SessionCache>,
    /// Recently read prompt templates, valid until the next write (shared by all clones).
    prompts: Arc<crate::prompts::PromptCache>,
    _open: Arc<OpenHandle>,
}

/// Closes the store when the last [`Mnemo`] clone goes, even while background work (the
/// search indexer, dictionary training) still holds the engine: the directory is free to
/// open again as soon as the drop returns.
struct OpenHandle(Arc<Engine>);

impl Drop for OpenHandle {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl std::fmt::Debug for Mnemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mnemo")
            .field("path", &self.engine.path)
            .finish()
    }
}

/// Filters for listing sessions. Empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Only sessions from this tool (`cursor`, `aider`, ...).
    pub source_tool: Option<String>,
    /// Only sessions whose project contains this text.
    pub project: Option<String>,
    /// Only sessions started at or after this time.
    pub since: Option<Millis>,
    /// Only sessions started before this time.
    pub until: Option<Millis>,
    /// At most this many results (newest first); `None` = all.
    pub limit: Option<usize>,
}

impl SessionFilter {
    /// Whether a session passes the filter (ignores `limit`).
    pub fn matches(&self, s: &SessionInfo) -> bool {
        self.source_tool
            .as_ref()
            .is_none_or(|t| &s.source_tool == t)
            && self.project.as_ref().is_none_or(|p| {
                s.project
                    .as_deref()
                    .is_some_and(|sp| sp.contains(p.as_str()))
            })
            && self
                .since
                .is_none_or(|t| s.started_at.is_some_and(|st| st >= t))
            && self
                .until
                .is_none_or(|t| s.started_at.is_some_and(|st| st < t))
    }
}

/// A message that matched a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageMatch {
    /// Index in the session.
    pub index: u32,
    /// Who spoke.
    pub role: Role,
    /// BM25 score.
    pub score: f64,
    /// A short excerpt around the first matching term.
    pub snippet: String,
}

/// A session that matched a search, with its best messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResult {
    /// The session.
    pub session: SessionInfo,
    /// Relevance (higher is better).
    pub score: f64,
    /// Best matching messages.
    pub messages: Vec<MessageMatch>,
}

/// Progress of a multi-file import, reported after each file.
#[derive(Debug, Clone)]
pub struct ImportProgress<'a> {
    /// Files done so far.
    pub done: usize,
    /// Files in all.
    pub total: usize,
    /// The file just done.
    pub path: &'a Path,
}

/// The outcome of importing one file.
#[derive(Debug)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// What happened.
    pub outcome: Result<ImportedFile>,
}

/// The outcome of a multi-file import.
#[derive(Debug, Default)]
pub struct ImportSummary {
    /// One report per file, in order.
    pub files: Vec<FileReport>,
}

impl ImportSummary {
    /// Sessions added.
    pub fn sessions_imported(&self) -> usize {
        self.files
            .iter()
            .filter_map(|f| f.outcome.as_ref().ok())
            .map(|f| f.imported.len())
            .sum()
    }

    /// Sessions that were already stored.
    pub fn sessions_already_stored(&self) -> usize {
        self.files
            .iter()
            .filter_map(|f| f.outcome.as_ref().ok())
            .map(|f| f.already_stored)
            .sum()
    }

    /// Files that failed, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = (&Path, &Error)> {
        self.files
            .iter()
            .filter_map(|f| f.outcome.as_ref().err().map(|e| (f.path.as_path(), e)))
    }
}

fn snippet(text: &str, query: &str) -> String {
    const WIDTH: usize = 160;
    let lower = text.to_lowercase();
    let at = crate::search::tokenize(query)
        .into_iter()
        .filter_map(|t| lower.find(&t))
        .min()
        .unwrap_or(0);
    // `lower` can differ in length from `text` for some scripts; clamp and snap to chars.
    let mut start = at.saturating_sub(WIDTH / 3).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + WIDTH).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut s: String = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if start > 0 {
        s.insert(0, '…');
    }
    if end < text.len() {
        s.push('…');
    }
    s
}

impl Mnemo {
    /// Open (or create) the store in `dir`. A second open of the same directory while this
    /// one is open, from this or another process, fails with [`Error::Locked`].
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<Mnemo> {
        let engine = Engine::open(dir.as_ref(), options)?;
        Ok(Mnemo {
            _open: Arc::new(OpenHandle(engine.clone())),
            engine,
            sessions: Arc::new(crate::sessions::SessionCache::new()),
            prompts: Arc::new(crate::prompts::PromptCache::new()),
        })
    }

    /// Whether [`Mnemo::close`] was called on this store (through any clone).
    pub fn is_closed(&self) -> bool {
        self.engine.closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.engine.path
    }

    /// Close the store: later calls on any clone fail with [`Error::Closed`], waiters on
    /// the change feed wake with [`Error::Closed`], and the directory lock is released.
    pub fn close(&self) {
        self.engine.close();
    }

    /// Import one transcript from memory. `name` is used in errors and kept as the source
    /// path. Re-importing the same bytes stores nothing new.
    pub fn import_bytes(&self, name: impl AsRef<Path>, bytes: &[u8]) -> Result<ImportedFile> {
        self.engine.import_bytes(name.as_ref(), bytes)
    }

    /// Import one transcript file.
    pub fn import_file(&self, path: impl AsRef<Path>) -> Result<ImportedFile> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.import_bytes(path, &bytes)
    }

    /// Import files and folders (folders are walked for transcript-like files). Files are
    /// prepared on worker threads and committed in groups (one fsync per group); each file
    /// is all-or-nothing, and a bad file is reported while the others go on. `progress` is
    /// called once per file as its outcome is known. Errors only when a given path cannot
    /// be read at all.
    pub fn import_paths(
        &self,
        paths: &[PathBuf],
        mut progress: impl FnMut(&ImportProgress<'_>),
    ) -> Result<ImportSummary> {
        let mut files = Vec::new();
        for p in paths {
            files.extend(crate::sessions::collect_files(p)?);
        }
        let total = files.len();
        let outcomes = self.engine.import_many(&files, |done, path| {
            progress(&ImportProgress { done, total, path })
        });
        Ok(ImportSummary {
            files: files
                .into_iter()
                .zip(outcomes)
                .map(|(path, outcome)| FileReport { path, outcome })
                .collect(),
        })
    }

    /// A session with all its messages, by id or unique id prefix.
    pub fn session(&self, id: &str) -> Result<Session> {
        self.engine.session(id, &self.sessions)
    }

    /// A session's metadata only (one point read), by id or unique id prefix.
    pub fn session_info(&self, id: &str) -> Result<SessionInfo> {
        self.engine.session_info(id)
    }

    /// Sessions passing `filter`, newest first.
    pub fn list_sessions(&self, filter: &SessionFilter) -> Result<Vec<SessionInfo>> {
        let mut all: Vec<SessionInfo> = self
            .engine
            .all_sessions()?
            .into_iter()
            .filter(|s| filter.matches(s))
            .collect();
        all.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
        if let Some(n) = filter.limit {
            all.truncate(n);
        }
        Ok(all)
    }

    /// Keyword search over message text, best sessions first; at most `limit` sessions,
    /// each with up to 3 best messages, restricted by `filter`.
    pub fn search(
        &self,
        query: &str,
        filter: &SessionFilter,
        limit: usize,
    ) -> Result<Vec<SearchResult>> {
        let hits = self.engine.search_index(query, &|_| true, 3)?;
        let ids: Vec<Vec<u8>> = hits.iter().map(|(id, _)| id.clone()).collect();
        let infos = self.engine.session_infos(&ids)?;
        let mut out = Vec::new();
        for (id, hit) in hits {
            if out.len() >= limit {
                break;
            }
            let Some(info) = infos.get(&id) else { continue };
            if !filter.matches(info) {
                continue;
            }
            let session = self.engine.session(&hit.session_id, &self.sessions)?;
            let messages = hit
                .messages
                .iter()
                .filter_map(|m| {
                    session
                        .messages
                        .get(m.index as usize)
                        .map(|msg| MessageMatch {
                            index: m.index,
                            role: msg.role,
                            score: m.score,
                            snippet: snippet(&msg.text, query),
                        })
                })
                .collect();
            out.push(SearchResult {
                session: info.clone(),
                score: hit.score,
                messages,
            });
        }
        Ok(out)
    }

    /// The original bytes of a session, byte-exact (for a one-session file: the file).
    pub fn export_session(&self, id: &str) -> Result<Vec<u8>> {
        self.engine.export_session(id, &self.sessions)
    }

    /// [`Mnemo::export_session`] when this handle's caches hold the session (a full id read
    /// recently): never reads the store, so it never waits for the disk or the writer.
    /// `None` otherwise (an id prefix, a session not read recently, a closed store);
    /// [`Mnemo::export_session`] then answers, or gives the error.
    pub fn export_session_if_cached(&self, id: &str) -> Option<Vec<u8>> {
        self.engine.export_session_if_cached(id, &self.sessions)
    }

    /// The whole original file a source id names, byte-exact.
    pub fn export_source(&self, source_id: &str) -> Result<Vec<u8>> {
        self.engine.export_source(source_id)
    }

    /// The source id of the file a session came from.
    pub fn session_source(&self, id: &str) -> Result<String> {
        self.engine.session_source(id, &self.sessions)
    }

    /// Add a new version of prompt template `name`; variables are `{{name}}` placeholders.
    pub fn add_prompt(&self, name: &str, body: &str) -> Result<PromptTemplate> {
        self.engine.add_prompt_cached(name, body, &self.prompts)
    }

    /// Template `name` at a version number or label (`None` or `latest` = newest).
    pub fn prompt(&self, name: &str, selector: Option<&str>) -> Result<PromptTemplate> {
        self.engine.prompt_cached(name, selector, &self.prompts)
    }

    /// [`Mnemo::prompt`] when this handle's cache of recently read templates can answer it
    /// (see `ARCHITECTURE.md`): never reads the store, so it never waits for the disk or
    /// the writer. `None` when the template is not cached (or was changed since), and when
    /// the store is closed; [`Mnemo::prompt`] then answers, or gives the error.
    pub fn prompt_if_cached(&self, name: &str, selector: Option<&str>) -> Option<PromptTemplate> {
        self.engine.prompt_if_cached(name, selector, &self.prompts)
    }

    /// Every version of template `name`, oldest first.
    pub fn prompt_versions(&self, name: &str) -> Result<Vec<PromptTemplate>> {
        self.engine.prompt_versions(name)
    }

    /// Names of all prompt templates.
    pub fn prompt_names(&self) -> Result<Vec<String>> {
        self.engine.prompt_names()
    }

    /// Point `label` (e.g. `production`) of template `name` at `version`.
    pub fn label_prompt(&self, name: &str, label: &str, version: u32) -> Result<()> {
        self.engine
            .label_prompt_cached(name, label, version, &self.prompts)
    }

    /// Labels of template `name` with their versions, `latest` included.
    pub fn prompt_labels(&self, name: &str) -> Result<BTreeMap<String, u32>> {
        self.engine.prompt_labels(name)
    }

    /// Render template `name` at `selector` with `values`; a variable without a value is
    /// [`Error::MissingVariable`].
    pub fn render_prompt(
        &self,
        name: &str,
        selector: Option<&str>,
        values: &BTreeMap<String, String>,
    ) -> Result<String> {
        let t = self.prompt(name, selector)?;
        crate::prompts::render_template(&t.body, values)
    }

    /// Add a new version of workflow `name`.
    pub fn add_workflow(&self, name: &str, steps: Vec<WorkflowStep>) -> Result<Workflow> {
        self.engine.add_workflow(name, steps)
    }

    /// Workflow `name` at `version` (`None` = newest).
    pub fn workflow(&self, name: &str, version: Option<u32>) -> Result<Workflow> {
        self.engine.workflow(name, version)
    }

    /// Every version of workflow `name`, oldest first.
    pub fn workflow_versions(&self, name: &str) -> Result<Vec<Workflow>> {
        self.engine.workflow_versions(name)
    }

    /// Render each step of a workflow in order; `values` override the steps' own values.
    pub fn render_workflow(
        &self,
        name: &str,
        version: Option<u32>,
        values: &BTreeMap<String, String>,
    ) -> Result<Vec<RenderedStep>> {
        self.engine.render_workflow(name, version, values)
    }

    /// Up to `limit` log entries with sequence number `>= from`, in order.
    pub fn read_log(&self, from: u64, limit: usize) -> Result<Vec<LogEntry>> {
        self.engine.read_log(from, limit)
    }

    /// The last committed sequence number (0 for an empty log).
    pub fn last_seq(&self) -> u64 {
        self.engine
            .feed
            .last_seq
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Block until the log has an entry after `after` or `timeout` passes; returns the last
    /// sequence number. [`Error::Closed`] when the store closes while waiting.
    pub fn wait_for(&self, after: u64, timeout: Duration) -> Result<u64> {
        self.engine.wait_for(after, timeout)
    }

    /// Async form of [`Mnemo::wait_for`] without a timeout: resolves when the log has an
    /// entry after `after`, or with [`Error::Closed`].
    #[cfg(feature = "tokio")]
    pub async fn wait_for_async(&self, after: u64) -> Result<u64> {
        let mut rx = self.engine.feed.watch.subscribe();
        loop {
            if self.engine.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(Error::Closed);
            }
            let last = *rx.borrow_and_update();
            if last > after {
                return Ok(last);
            }
            if rx.changed().await.is_err() {
                return Err(Error::Closed);
            }
        }
    }

    /// A change feed starting at sequence number `from` (1 = the beginning), every entry.
    pub fn subscribe(&self, from: u64) -> Subscription {
        Subscription::open(
            self.clone(),
            SubscribeOptions {
                from: Some(from),
                ..Default::default()
            },
        )
        .expect("an unnamed subscription opens without I/O")
    }

    /// A change feed with a filter and, when named, a persisted checkpoint to resume from.
    pub fn subscribe_with(&self, options: SubscribeOptions) -> Result<Subscription> {
        Subscription::open(self.clone(), options)
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Counters and on-disk sizes.
    pub fn stats(&self) -> Result<Stats> {
        self.engine.stats()
    }

    /// Train new zstd dictionaries from the values already stored, one per content kind
    /// with enough data; later writes use them, earlier values stay readable with the
    /// dictionary their frame names. Returns the kinds trained and their new dictionary ids.
    /// Costs one pass over up to 4 MiB of values per kind.
    pub fn retrain_dictionaries(&self) -> Result<Vec<(crate::codec::ContentKind, u32)>> {
        self.engine.retrain_dictionaries()
    }

    /// Recompress stored sessions at zstd `level` (e.g. 15; higher is smaller and slower)
    /// with the newest dictionary, keeping each blob's smaller frame. Safe to run while the
    /// store is in use and to interrupt. Costs one decompression and one compression per
    /// stored session. At `Options::recompress_level` or above it also does the background
    /// recompression's work for every session imported before the call.
    pub fn compact(&self, level: i32) -> Result<crate::compaction::CompactionReport> {
        self.engine.training.wait_idle();
        // The background recompression would repeat this work beside it: it waits.
        let _hold = self.engine.hold_recompression();
        let head = self
            .engine
            .feed
            .last_seq
            .load(std::sync::atomic::Ordering::SeqCst);
        let report = self.engine.compact_blobs(level)?;
        if self.engine.recompress_level.is_some_and(|l| level >= l) {
            self.engine.recompressed_at_least(head)?;
        }
        Ok(report)
    }

    /// Bring the search index up to date with every imported session now (searches do this
    /// themselves first; the index also follows imports in the background). Returns where
    /// the index projection stands.
    pub fn update_search_index(&self) -> Result<crate::events::projection::ProjectionStatus> {
        self.engine
            .run_to_head(&mut crate::search::SearchIndex::default())?;
        self.projection_status(crate::search::SEARCH_INDEX)
    }

    /// Wait for background dictionary training, then flush memtables to disk so on-disk
    /// sizes are final (used before measuring).
    pub fn flush(&self) -> Result<()> {
        self.engine.training.wait_idle();
        let g = self.engine.db()?;
        for name in crate::engine::ALL_CFS {
            g.db().flush_cf(g.cf(name))?;
        }
        Ok(())
    }
}
