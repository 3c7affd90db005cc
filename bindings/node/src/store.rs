//! The native store class, `NativeMnemo`: one method per public core method (the
//! event-store ones in `store_events`).
//!
//! `index.js` wraps it in the exported `Mnemo` class (argument checks, error subclasses,
//! async iterator, `Symbol.dispose`). Each method here only converts arguments, calls the
//! core on libuv's pool (see `task`) and converts the result; the `*_sync` reads and writes
//! call it on the JS thread instead (see `NativeMnemo::now`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::{
    AsyncTask, Buffer, BufferSlice, Function, ToNapiValue, TypeName, Uint8Array,
};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Env;
use napi_derive::napi;
use tokio::sync::watch;

use crate::error::core_error;
use crate::task::Call;
use crate::types::*;

/// Log entries returned by `readLog` when no limit is given.
pub(crate) const DEFAULT_LOG_LIMIT: u32 = 256;
/// Events returned by `readStream` and `readAll` when no limit is given.
pub(crate) const DEFAULT_EVENT_LIMIT: u32 = 1000;
/// Sessions returned by `search` when no limit is given.
const DEFAULT_SEARCH_LIMIT: u32 = 10;

/// Names of the built-in projections, runnable by name with `runProjection` (`index.js`
/// exports them frozen as `BUILTIN_PROJECTIONS`).
#[napi]
pub fn builtin_projections() -> Vec<String> {
    mnemo::events::builtin::BUILTIN
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// An open Mnemo store (the native half of the JS `Mnemo` class).
#[napi]
pub struct NativeMnemo {
    pub(crate) inner: mnemo::Mnemo,
    pub(crate) closed: Arc<AtomicBool>,
    /// Set when this object is finalized (garbage collected, or its worker thread torn
    /// down): pending `waitFor`s end, so they do not keep the store open and locked.
    pub(crate) dropped: watch::Sender<bool>,
}

impl Drop for NativeMnemo {
    fn drop(&mut self) {
        self.dropped.send_replace(true);
    }
}

impl NativeMnemo {
    /// Runs `f` on a clone of the handle on libuv's pool; once this handle is closed, every
    /// call fails with `Error::Closed` (whatever the core would check first).
    pub(crate) fn run<T: ToNapiValue + TypeName + Send + 'static>(
        &self,
        f: impl FnOnce(&mnemo::Mnemo) -> mnemo::Result<T> + Send + 'static,
    ) -> AsyncTask<Call<T>> {
        let store = self.inner.clone();
        let closed = self.closed.clone();
        Call::new(move || {
            if closed.load(Ordering::SeqCst) {
                return Err(mnemo::Error::Closed);
            }
            f(&store)
        })
    }

    /// Runs `f` on the calling (JS) thread: for the `*Sync` reads, which are served from
    /// RocksDB's memtables and caches in microseconds, less than a round trip through
    /// libuv's pool costs, and the `*Sync` writes, for hosts that accept waiting for a
    /// commit on the JS thread (as with better-sqlite3). Fails with `Error::Closed` once
    /// this handle is closed; a panic in the core becomes an `internal` error, as in
    /// [`Call`].
    ///
    /// Objects are returned as JSON text (see [`json`]), which `index.js` parses.
    pub(crate) fn now<T>(
        &self,
        env: &Env,
        f: impl FnOnce(&mnemo::Mnemo) -> mnemo::Result<T>,
    ) -> napi::Result<T> {
        self.check_open(env)?;
        crate::error::guard(|| f(&self.inner)).map_err(|e| e.into_napi(env))
    }

    /// `Error::Closed` once `close` was called (for the methods that do not reach the core).
    pub(crate) fn check_open(&self, env: &Env) -> napi::Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(core_error(env, mnemo::Error::Closed));
        }
        Ok(())
    }
}

/// `value` as JSON text with the same fields as its N-API conversion (camelCase, `null`
/// for `None`): one string crosses into JS and `JSON.parse` builds the object there, which
/// is several times cheaper than setting each property through N-API.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> mnemo::Result<String> {
    serde_json::to_string(value).map_err(|e| mnemo::Error::Storage(format!("to JSON: {e}")))
}

#[napi]
impl NativeMnemo {
    /// Opens (or creates) the store in `path`. A second open of the same directory while
    /// one is open (this process, a worker thread or another process) fails with `locked`.
    #[napi(ts_return_type = "Promise<NativeMnemo>")]
    pub fn open(path: String, options: Option<OpenOptions>) -> AsyncTask<Call<NativeMnemo>> {
        let options: mnemo::Options = options.unwrap_or_default().into();
        Call::new(move || {
            mnemo::Mnemo::open(path, options).map(|inner| NativeMnemo {
                inner,
                closed: Arc::new(AtomicBool::new(false)),
                dropped: watch::Sender::new(false),
            })
        })
    }

    /// The store's directory.
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.inner.path().display().to_string()
    }

    /// Whether `close` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Closes the store (flushes, releases the directory lock, ends subscriptions). Later
    /// calls fail with `closed`. Blocks the JS thread for the final WAL flush; see
    /// `closeAsync` for the non-blocking form. Closing twice is a no-op.
    #[napi]
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.inner.close();
    }

    /// `close` on libuv's pool.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close_async(&self) -> AsyncTask<Call<()>> {
        self.closed.store(true, Ordering::SeqCst);
        let store = self.inner.clone();
        Call::new(move || {
            store.close();
            Ok(())
        })
    }

    /// Imports one transcript from memory; `name` is kept as the source path.
    #[napi(ts_return_type = "Promise<ImportedFile>")]
    pub fn import_bytes(&self, name: String, bytes: Uint8Array) -> AsyncTask<Call<ImportedFile>> {
        let bytes = bytes.to_vec();
        self.run(move |s| s.import_bytes(name, &bytes).map(ImportedFile::from))
    }

    /// `import_bytes` on the calling thread (the JS thread waits for the commit), as JSON
    /// text.
    #[napi]
    pub fn import_bytes_sync(
        &self,
        env: &Env,
        name: String,
        bytes: Uint8Array,
    ) -> napi::Result<String> {
        self.now(env, |s| {
            json(&ImportedFile::from(s.import_bytes(name, &bytes)?))
        })
    }

    /// Imports one transcript file.
    #[napi(ts_return_type = "Promise<ImportedFile>")]
    pub fn import_file(&self, path: String) -> AsyncTask<Call<ImportedFile>> {
        self.run(move |s| s.import_file(path).map(ImportedFile::from))
    }

    /// Imports files and folders; `onProgress` is called after each file (the calls may
    /// arrive after the promise settles: `index.js` waits for them).
    #[napi(ts_return_type = "Promise<ImportSummary>")]
    pub fn import_paths(
        &self,
        paths: Vec<String>,
        on_progress: Option<Function<ImportProgress, ()>>,
    ) -> napi::Result<AsyncTask<Call<ImportSummary>>> {
        // Not weak: the queued progress calls keep Node alive until they are delivered
        // (the function is released when the import finishes, on the pool thread).
        let progress = match on_progress {
            Some(f) => Some(
                f.build_threadsafe_function::<ImportProgress>()
                    .callee_handled::<false>()
                    .build()?,
            ),
            None => None,
        };
        let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        Ok(self.run(move |s| {
            s.import_paths(&paths, |p| {
                if let Some(tsfn) = &progress {
                    tsfn.call(
                        ImportProgress {
                            done: u32::try_from(p.done).unwrap_or(u32::MAX),
                            total: u32::try_from(p.total).unwrap_or(u32::MAX),
                            path: p.path.display().to_string(),
                        },
                        ThreadsafeFunctionCallMode::NonBlocking,
                    );
                }
            })
            .map(ImportSummary::from)
        }))
    }

    /// A session with all its messages, by id or unique id prefix.
    #[napi(ts_return_type = "Promise<Session>")]
    pub fn session(&self, id: String) -> AsyncTask<Call<Session>> {
        self.run(move |s| s.session(&id).map(Session::from))
    }

    /// A session's metadata only, by id or unique id prefix.
    #[napi(ts_return_type = "Promise<SessionInfo>")]
    pub fn session_info(&self, id: String) -> AsyncTask<Call<SessionInfo>> {
        self.run(move |s| s.session_info(&id).map(SessionInfo::from))
    }

    /// `session` on the calling thread, as JSON text.
    #[napi]
    pub fn session_sync(&self, env: &Env, id: String) -> napi::Result<String> {
        self.now(env, |s| json(&Session::from(s.session(&id)?)))
    }

    /// `session_info` on the calling thread, as JSON text.
    #[napi]
    pub fn session_info_sync(&self, env: &Env, id: String) -> napi::Result<String> {
        self.now(env, |s| json(&SessionInfo::from(s.session_info(&id)?)))
    }

    /// Sessions passing `filter`, newest first.
    #[napi(ts_return_type = "Promise<Array<SessionInfo>>")]
    pub fn list_sessions(
        &self,
        filter: Option<SessionFilter>,
    ) -> AsyncTask<Call<Vec<SessionInfo>>> {
        let filter: mnemo::SessionFilter = filter.unwrap_or_default().into();
        self.run(move |s| {
            s.list_sessions(&filter)
                .map(|v| v.into_iter().map(SessionInfo::from).collect())
        })
    }

    /// Keyword search over message text, best sessions first (`limit` sessions, default 10).
    #[napi(ts_return_type = "Promise<Array<SearchResult>>")]
    pub fn search(
        &self,
        query: String,
        filter: Option<SessionFilter>,
        limit: Option<u32>,
    ) -> AsyncTask<Call<Vec<SearchResult>>> {
        let filter: mnemo::SessionFilter = filter.unwrap_or_default().into();
        let limit = limit.unwrap_or(DEFAULT_SEARCH_LIMIT) as usize;
        self.run(move |s| {
            s.search(&query, &filter, limit)
                .map(|v| v.into_iter().map(SearchResult::from).collect())
        })
    }

    /// The original bytes of a session, byte-exact.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn export_session(&self, id: String) -> AsyncTask<Call<Buffer>> {
        self.run(move |s| s.export_session(&id).map(Buffer::from))
    }

    /// `export_session` on the calling thread. The bytes are copied into a new JS buffer
    /// (cheaper than handing the Rust allocation over with a finalizer, for small ones).
    #[napi(ts_return_type = "Buffer")]
    pub fn export_session_sync<'env>(
        &self,
        env: &'env Env,
        id: String,
    ) -> napi::Result<BufferSlice<'env>> {
        let bytes = self.now(env, |s| s.export_session(&id))?;
        BufferSlice::copy_from(env, bytes)
    }

    /// `export_session` when the core's caches hold the session without reading the store
    /// (`Mnemo::export_session_if_cached`), else `null`.
    #[napi(ts_return_type = "Buffer | null")]
    pub fn export_session_if_cached<'env>(
        &self,
        env: &'env Env,
        id: String,
    ) -> napi::Result<Option<BufferSlice<'env>>> {
        if self.closed.load(Ordering::SeqCst) {
            return Ok(None);
        }
        match self.inner.export_session_if_cached(&id) {
            Some(bytes) => BufferSlice::copy_from(env, bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The whole original file a source id names, byte-exact.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn export_source(&self, source_id: String) -> AsyncTask<Call<Buffer>> {
        self.run(move |s| s.export_source(&source_id).map(Buffer::from))
    }

    /// The source id of the file a session came from.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn session_source(&self, id: String) -> AsyncTask<Call<String>> {
        self.run(move |s| s.session_source(&id))
    }

    /// Adds a new version of prompt template `name`.
    #[napi(ts_return_type = "Promise<PromptTemplate>")]
    pub fn add_prompt(&self, name: String, body: String) -> AsyncTask<Call<PromptTemplate>> {
        self.run(move |s| s.add_prompt(&name, &body).map(PromptTemplate::from))
    }

    /// `add_prompt` on the calling thread (the JS thread waits for the commit), as JSON
    /// text.
    #[napi]
    pub fn add_prompt_sync(&self, env: &Env, name: String, body: String) -> napi::Result<String> {
        self.now(env, |s| {
            json(&PromptTemplate::from(s.add_prompt(&name, &body)?))
        })
    }

    /// Template `name` at a version number or label (absent or `latest` = newest).
    #[napi(ts_return_type = "Promise<PromptTemplate>")]
    pub fn prompt(&self, name: String, at: Option<String>) -> AsyncTask<Call<PromptTemplate>> {
        self.run(move |s| s.prompt(&name, at.as_deref()).map(PromptTemplate::from))
    }

    /// `prompt` on the calling thread, as JSON text.
    #[napi]
    pub fn prompt_sync(&self, env: &Env, name: String, at: Option<String>) -> napi::Result<String> {
        self.now(env, |s| {
            json(&PromptTemplate::from(s.prompt(&name, at.as_deref())?))
        })
    }

    /// `prompt` as JSON text when the core's prompt cache can answer without reading the
    /// store (`Mnemo::prompt_if_cached`), else `null`.
    #[napi]
    pub fn prompt_if_cached(&self, name: String, at: Option<String>) -> Option<String> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        let t = self.inner.prompt_if_cached(&name, at.as_deref())?;
        json(&PromptTemplate::from(t)).ok()
    }

    /// Every version of template `name`, oldest first.
    #[napi(ts_return_type = "Promise<Array<PromptTemplate>>")]
    pub fn prompt_versions(&self, name: String) -> AsyncTask<Call<Vec<PromptTemplate>>> {
        self.run(move |s| {
            s.prompt_versions(&name)
                .map(|v| v.into_iter().map(PromptTemplate::from).collect())
        })
    }

    /// Names of all prompt templates.
    #[napi(ts_return_type = "Promise<Array<string>>")]
    pub fn prompt_names(&self) -> AsyncTask<Call<Vec<String>>> {
        self.run(|s| s.prompt_names())
    }

    /// Points `label` of template `name` at `version`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn label_prompt(&self, name: String, label: String, version: u32) -> AsyncTask<Call<()>> {
        self.run(move |s| s.label_prompt(&name, &label, version))
    }

    /// `label_prompt` on the calling thread.
    #[napi]
    pub fn label_prompt_sync(
        &self,
        env: &Env,
        name: String,
        label: String,
        version: u32,
    ) -> napi::Result<()> {
        self.now(env, |s| s.label_prompt(&name, &label, version))
    }

    /// Labels of template `name` with their versions, `latest` included.
    #[napi(ts_return_type = "Promise<Record<string, number>>")]
    pub fn prompt_labels(&self, name: String) -> AsyncTask<Call<BTreeMap<String, u32>>> {
        self.run(move |s| s.prompt_labels(&name))
    }

    /// `prompt_labels` on the calling thread.
    #[napi(ts_return_type = "Record<string, number>")]
    pub fn prompt_labels_sync(
        &self,
        env: &Env,
        name: String,
    ) -> napi::Result<BTreeMap<String, u32>> {
        self.now(env, |s| s.prompt_labels(&name))
    }

    /// `render_prompt` on the calling thread.
    #[napi]
    pub fn render_prompt_sync(
        &self,
        env: &Env,
        name: String,
        values: Option<BTreeMap<String, String>>,
        at: Option<String>,
    ) -> napi::Result<String> {
        let values = values.unwrap_or_default();
        self.now(env, |s| s.render_prompt(&name, at.as_deref(), &values))
    }

    /// Renders template `name` at `at` (label or version; absent = latest) with `values`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn render_prompt(
        &self,
        name: String,
        values: Option<BTreeMap<String, String>>,
        at: Option<String>,
    ) -> AsyncTask<Call<String>> {
        let values = values.unwrap_or_default();
        self.run(move |s| s.render_prompt(&name, at.as_deref(), &values))
    }

    /// Adds a new version of workflow `name`.
    #[napi(ts_return_type = "Promise<Workflow>")]
    pub fn add_workflow(
        &self,
        name: String,
        steps: Vec<WorkflowStepInput>,
    ) -> AsyncTask<Call<Workflow>> {
        let steps: Vec<mnemo::WorkflowStep> = steps.into_iter().map(Into::into).collect();
        self.run(move |s| s.add_workflow(&name, steps).map(Workflow::from))
    }

    /// Workflow `name` at `version` (absent = newest).
    #[napi(ts_return_type = "Promise<Workflow>")]
    pub fn workflow(&self, name: String, version: Option<u32>) -> AsyncTask<Call<Workflow>> {
        self.run(move |s| s.workflow(&name, version).map(Workflow::from))
    }

    /// Every version of workflow `name`, oldest first.
    #[napi(ts_return_type = "Promise<Array<Workflow>>")]
    pub fn workflow_versions(&self, name: String) -> AsyncTask<Call<Vec<Workflow>>> {
        self.run(move |s| {
            s.workflow_versions(&name)
                .map(|v| v.into_iter().map(Workflow::from).collect())
        })
    }

    /// Renders each step of workflow `name` (at `version`, absent = newest); `values`
    /// override the steps' own values.
    #[napi(ts_return_type = "Promise<Array<RenderedStep>>")]
    pub fn render_workflow(
        &self,
        name: String,
        values: Option<BTreeMap<String, String>>,
        version: Option<u32>,
    ) -> AsyncTask<Call<Vec<RenderedStep>>> {
        let values = values.unwrap_or_default();
        self.run(move |s| {
            s.render_workflow(&name, version, &values)
                .map(|v| v.into_iter().map(RenderedStep::from).collect())
        })
    }

    /// Counters and on-disk sizes.
    #[napi(ts_return_type = "Promise<Stats>")]
    pub fn stats(&self) -> AsyncTask<Call<Stats>> {
        self.run(|s| s.stats().map(Stats::from))
    }

    /// Trains new zstd dictionaries from the values already stored.
    #[napi(ts_return_type = "Promise<Array<TrainedDictionary>>")]
    pub fn retrain_dictionaries(&self) -> AsyncTask<Call<Vec<TrainedDictionary>>> {
        self.run(|s| {
            s.retrain_dictionaries()
                .map(|v| v.into_iter().map(TrainedDictionary::from).collect())
        })
    }

    /// Recompresses stored sessions at zstd `level` (e.g. 15) with the newest dictionary,
    /// keeping each blob's smaller frame.
    #[napi(ts_return_type = "Promise<CompactionReport>")]
    pub fn compact(&self, level: i32) -> AsyncTask<Call<CompactionReport>> {
        self.run(move |s| s.compact(level).map(CompactionReport::from))
    }

    /// Flushes memtables to disk so on-disk sizes are final.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn flush(&self) -> AsyncTask<Call<()>> {
        self.run(|s| s.flush())
    }
}
