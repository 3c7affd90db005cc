//! The native store class, `NativeMnemo`: one method per public core method.
//!
//! `index.js` wraps it in the exported `Mnemo` class (argument checks, error subclasses,
//! async iterator, `Symbol.dispose`). Each method here only converts arguments, calls the
//! core on libuv's pool (see `task`) and converts the result; the `*_sync` reads and writes
//! call it on the JS thread instead (see `NativeMnemo::now`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{
    AsyncTask, Buffer, BufferSlice, Either, Function, Object, ToNapiValue, TypeName, Uint8Array,
};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Env;
use napi_derive::napi;
use tokio::sync::watch;

use crate::error::core_error;
use crate::feed::NativeSubscription;
use crate::host::NativeProjectionPage;
use crate::task::Call;
use crate::types::*;

/// Log entries returned by `readLog` when no limit is given.
const DEFAULT_LOG_LIMIT: u32 = 256;
/// Events returned by `readStream` and `readAll` when no limit is given.
const DEFAULT_EVENT_LIMIT: u32 = 1000;
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
    inner: mnemo::Mnemo,
    closed: Arc<AtomicBool>,
    /// Set when this object is finalized (garbage collected, or its worker thread torn
    /// down): pending `waitFor`s end, so they do not keep the store open and locked.
    dropped: watch::Sender<bool>,
}

impl Drop for NativeMnemo {
    fn drop(&mut self) {
        self.dropped.send_replace(true);
    }
}

impl NativeMnemo {
    /// Runs `f` on a clone of the handle on libuv's pool; once this handle is closed, every
    /// call fails with `Error::Closed` (whatever the core would check first).
    fn run<T: ToNapiValue + TypeName + Send + 'static>(
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
    /// commit on the JS thread (as with better-sqlite3). Fails with `Error::Closed` once this handle is closed; a panic in
    /// the core becomes an `internal` error, as in [`Call`].
    ///
    /// Objects are returned as JSON text (see [`json`]), which `index.js` parses.
    fn now<T>(
        &self,
        env: &Env,
        f: impl FnOnce(&mnemo::Mnemo) -> mnemo::Result<T>,
    ) -> napi::Result<T> {
        self.check_open(env)?;
        crate::error::guard(|| f(&self.inner)).map_err(|e| e.into_napi(env))
    }

    /// `Error::Closed` once `close` was called (for the methods that do not reach the core).
    fn check_open(&self, env: &Env) -> napi::Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(core_error(env, mnemo::Error::Closed));
        }
        Ok(())
    }
}

/// `value` as JSON text with the same fields as its N-API conversion (camelCase, `null`
/// for `None`): one string crosses into JS and `JSON.parse` builds the object there, which
/// is several times cheaper than setting each property through N-API.
fn json<T: serde::Serialize>(value: &T) -> mnemo::Result<String> {
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

    /// Up to `limit` (default 256) log entries with sequence number `>= from` (default 1).
    #[napi(ts_return_type = "Promise<Array<LogEntry>>")]
    pub fn read_log(
        &self,
        from: Option<i64>,
        limit: Option<u32>,
    ) -> AsyncTask<Call<Vec<LogEntry>>> {
        let from = unum(from.unwrap_or(1));
        let limit = limit.unwrap_or(DEFAULT_LOG_LIMIT) as usize;
        self.run(move |s| {
            s.read_log(from, limit)
                .map(|v| v.into_iter().map(LogEntry::from).collect())
        })
    }

    /// The last committed sequence number (0 for an empty log). Synchronous: an atomic read.
    #[napi]
    pub fn last_seq(&self, env: &Env) -> napi::Result<i64> {
        self.check_open(env)?;
        Ok(num(self.inner.last_seq()))
    }

    /// Resolves with the last sequence number once the log has an entry after `after`, or
    /// after `timeoutMs` (then with the current last sequence number). Rejects with
    /// `closed` when the store closes while waiting. Waits off the JS thread and pool.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn wait_for<'env>(
        &self,
        env: &'env Env,
        after: i64,
        timeout_ms: Option<f64>,
    ) -> napi::Result<Object<'env>> {
        let timeout = timeout_ms.map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0));
        crate::feed::wait_for(
            env,
            self.inner.clone(),
            unum(after),
            timeout,
            self.dropped.subscribe(),
        )
    }

    /// A change feed from `options.from` (default 1 = the beginning), filtered by
    /// `streamPrefix` and `kinds`; with a `name`, its position persists (`checkpoint()`)
    /// and it resumes after the saved checkpoint, read on the feed thread.
    #[napi]
    pub fn subscribe(
        &self,
        env: &Env,
        options: Option<SubscribeInput>,
    ) -> napi::Result<NativeSubscription> {
        self.check_open(env)?;
        let options: mnemo::SubscribeOptions = options.unwrap_or_default().into();
        if options.name.is_some() {
            return NativeSubscription::open(self.inner.clone(), options);
        }
        // An unnamed subscription opens without I/O.
        self.inner
            .subscribe_with(options)
            .map(NativeSubscription::new)
            .map_err(|e| core_error(env, e))
    }

    /// The persisted checkpoint (last sequence number done) of a named subscription, or
    /// `null` if it never checkpointed.
    #[napi(ts_return_type = "Promise<number | null>")]
    pub fn subscription_checkpoint(&self, name: String) -> AsyncTask<Call<Option<i64>>> {
        self.run(move |s| s.subscription_checkpoint(&name).map(|c| c.map(num)))
    }

    /// Appends `events` to host stream `stream` atomically if it is at `expected`
    /// (`"any"`, `"no_stream"` or a version); otherwise `conflict` and nothing is written.
    #[napi(ts_return_type = "Promise<AppendResult>")]
    pub fn append(
        &self,
        stream: String,
        events: Vec<EventInput>,
        #[napi(ts_arg_type = "'any' | 'no_stream' | number | undefined | null")] expected: Option<
            napi::Either<String, i64>,
        >,
    ) -> AsyncTask<Call<AppendResult>> {
        let events: Vec<mnemo::EventData> = events.into_iter().map(Into::into).collect();
        self.run(move |s| {
            s.append(&stream, crate::types::expected(expected)?, events)
                .map(AppendResult::from)
        })
    }

    /// `append` on the calling thread (the JS thread waits for the commit).
    #[napi]
    pub fn append_sync(
        &self,
        env: &Env,
        stream: String,
        events: Vec<EventInput>,
        #[napi(ts_arg_type = "'any' | 'no_stream' | number | undefined | null")] expected: Option<
            napi::Either<String, i64>,
        >,
    ) -> napi::Result<AppendResult> {
        let events: Vec<mnemo::EventData> = events.into_iter().map(Into::into).collect();
        self.now(env, |s| {
            s.append(&stream, crate::types::expected(expected)?, events)
                .map(AppendResult::from)
        })
    }

    /// Appends to several streams in one atomic commit: every expected version must hold,
    /// or nothing is written.
    #[napi(ts_return_type = "Promise<Array<AppendResult>>")]
    pub fn append_many(&self, batches: Vec<AppendBatch>) -> AsyncTask<Call<Vec<AppendResult>>> {
        let batches: Vec<_> = batches
            .into_iter()
            .map(|b| {
                let events: Vec<mnemo::EventData> = b.events.into_iter().map(Into::into).collect();
                (b.stream, b.expected, events)
            })
            .collect();
        self.run(move |s| {
            let mut core = Vec::with_capacity(batches.len());
            for (stream, expected, events) in batches {
                core.push((stream, crate::types::expected(expected)?, events));
            }
            s.append_many(core)
                .map(|v| v.into_iter().map(AppendResult::from).collect())
        })
    }

    /// Up to `limit` events of `stream` from version `fromVersion` (default: the first, or
    /// the last when `backward`), oldest or newest first; `not_found` for an empty stream.
    #[napi(ts_return_type = "Promise<Array<LogEntry>>")]
    pub fn read_stream(
        &self,
        stream: String,
        from_version: Option<i64>,
        backward: Option<bool>,
        limit: Option<u32>,
    ) -> AsyncTask<Call<Vec<LogEntry>>> {
        let (direction, from) = if backward.unwrap_or(false) {
            (
                mnemo::ReadDirection::Backward,
                from_version.map_or(u64::MAX, unum),
            )
        } else {
            (mnemo::ReadDirection::Forward, from_version.map_or(1, unum))
        };
        let limit = limit.unwrap_or(DEFAULT_EVENT_LIMIT) as usize;
        self.run(move |s| {
            s.read_stream(&stream, from, direction, limit)
                .map(|v| v.into_iter().map(LogEntry::from).collect())
        })
    }

    /// Up to `limit` log entries with sequence number `>= fromSeq` passing `filter`.
    #[napi(ts_return_type = "Promise<Array<LogEntry>>")]
    pub fn read_all(
        &self,
        from_seq: Option<i64>,
        limit: Option<u32>,
        filter: Option<EventFilterInput>,
    ) -> AsyncTask<Call<Vec<LogEntry>>> {
        let from = from_seq.map_or(1, unum);
        let limit = limit.unwrap_or(DEFAULT_EVENT_LIMIT) as usize;
        let filter: mnemo::EventFilter = filter.unwrap_or_default().into();
        self.run(move |s| {
            s.read_all(from, limit, &filter)
                .map(|v| v.into_iter().map(LogEntry::from).collect())
        })
    }

    /// The current version of a stream, or `null` when it has no events.
    #[napi(ts_return_type = "Promise<number | null>")]
    pub fn stream_version(&self, stream: String) -> AsyncTask<Call<Option<i64>>> {
        self.run(move |s| s.stream_version(&stream).map(|v| v.map(num)))
    }

    /// Checks the whole log's sequence numbers and hash chain (`corrupted` if broken).
    #[napi(ts_return_type = "Promise<LogVerification>")]
    pub fn verify_log(&self) -> AsyncTask<Call<LogVerification>> {
        self.run(|s| s.verify_log().map(LogVerification::from))
    }

    /// Brings built-in projection `name` up to date (`not_found` for another name;
    /// projections written in JS run through `projectionPage`).
    #[napi(ts_return_type = "Promise<ProjectionStatus>")]
    pub fn run_projection(&self, name: String) -> AsyncTask<Call<ProjectionStatus>> {
        self.run(move |s| s.run_builtin(&name).map(ProjectionStatus::from))
    }

    /// Rebuilds built-in projection `name` into a new generation, then switches to it.
    #[napi(ts_return_type = "Promise<ProjectionStatus>")]
    pub fn rebuild_projection(&self, name: String) -> AsyncTask<Call<ProjectionStatus>> {
        self.run(move |s| s.rebuild_builtin(&name).map(ProjectionStatus::from))
    }

    /// Rebuilds the context views (sessions, sources, prompts, workflows) from the log into
    /// a new generation while the current one serves, then switches readers to it.
    #[napi(ts_return_type = "Promise<ContextRebuild>")]
    pub fn rebuild_context_views(&self) -> AsyncTask<Call<ContextRebuild>> {
        self.run(|s| s.rebuild_context_views().map(ContextRebuild::from))
    }

    /// Brings the search index up to date with every imported session now.
    #[napi(ts_return_type = "Promise<ProjectionStatus>")]
    pub fn update_search_index(&self) -> AsyncTask<Call<ProjectionStatus>> {
        self.run(|s| s.update_search_index().map(ProjectionStatus::from))
    }

    /// The next page of events for projection `name`, applied by JavaScript (`index.js`
    /// runs `apply` for each event and commits the page); with `rebuild`, a page of a
    /// rebuild into a new generation (started unless one is under way).
    #[napi(ts_return_type = "Promise<NativeProjectionPage>")]
    pub fn projection_page(
        &self,
        name: String,
        filter: Option<EventFilterInput>,
        rebuild: bool,
    ) -> AsyncTask<Call<NativeProjectionPage>> {
        let filter: mnemo::EventFilter = filter.unwrap_or_default().into();
        self.run(move |s| {
            s.projection_page(&name, filter, rebuild)
                .map(NativeProjectionPage::new)
        })
    }

    /// Registers `upcaster` (called on the JS thread with the payload; returns the new
    /// payload as a Buffer or the failure's reason as a string) for events of type `kind`
    /// at schema `fromSchema`, on every read of this store.
    #[napi]
    pub fn register_upcaster(
        &self,
        env: &Env,
        kind: String,
        from_schema: u32,
        upcaster: Function<Buffer, Either<Buffer, String>>,
    ) -> napi::Result<()> {
        self.check_open(env)?;
        let f = crate::host::upcaster(upcaster, self.closed.clone())?;
        self.inner.register_upcaster(&kind, from_schema, f);
        Ok(())
    }

    /// Where projection `name` stands (`not_found` if it never ran).
    #[napi(ts_return_type = "Promise<ProjectionStatus>")]
    pub fn projection_status(&self, name: String) -> AsyncTask<Call<ProjectionStatus>> {
        self.run(move |s| s.projection_status(&name).map(ProjectionStatus::from))
    }

    /// Every projection that has run, by name.
    #[napi(ts_return_type = "Promise<Array<ProjectionStatus>>")]
    pub fn projections(&self) -> AsyncTask<Call<Vec<ProjectionStatus>>> {
        self.run(|s| {
            s.projections()
                .map(|v| v.into_iter().map(ProjectionStatus::from).collect())
        })
    }

    /// The read model of projection `name` (reads go to the generation active then).
    #[napi]
    pub fn view(&self, env: &Env, name: String) -> napi::Result<NativeView> {
        self.check_open(env)?;
        Ok(NativeView {
            store: NativeMnemo {
                inner: self.inner.clone(),
                closed: self.closed.clone(),
                dropped: watch::Sender::new(false),
            },
            name,
        })
    }

    /// Stores `state` as the snapshot of `stream` at `version` (replacing an older one).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn save_snapshot(
        &self,
        stream: String,
        version: i64,
        state: Uint8Array,
    ) -> AsyncTask<Call<()>> {
        let state = state.to_vec();
        self.run(move |s| s.save_snapshot(&stream, unum(version), &state))
    }

    /// The newest snapshot of `stream`, or `null`.
    #[napi(ts_return_type = "Promise<Snapshot | null>")]
    pub fn load_snapshot(&self, stream: String) -> AsyncTask<Call<Option<Snapshot>>> {
        self.run(move |s| s.load_snapshot(&stream).map(|v| v.map(Snapshot::from)))
    }

    /// The newest snapshot of `stream` and the upcast events after it.
    #[napi(ts_return_type = "Promise<AggregateLoad>")]
    pub fn snapshot_and_tail(&self, stream: String) -> AsyncTask<Call<AggregateLoad>> {
        self.run(move |s| s.snapshot_and_tail(&stream).map(AggregateLoad::from))
    }

    /// `snapshot_and_tail` on the calling thread.
    #[napi]
    pub fn snapshot_and_tail_sync(&self, env: &Env, stream: String) -> napi::Result<AggregateLoad> {
        self.now(env, |s| {
            s.snapshot_and_tail(&stream).map(AggregateLoad::from)
        })
    }

    /// Whether at least `every` events have passed since the newest snapshot of `stream`
    /// at `version` (never when `every` is 0).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn snapshot_due(&self, stream: String, version: i64, every: i64) -> AsyncTask<Call<bool>> {
        self.run(move |s| s.snapshot_due(&stream, unum(version), unum(every)))
    }

    /// `snapshot_due` on the calling thread.
    #[napi]
    pub fn snapshot_due_sync(
        &self,
        env: &Env,
        stream: String,
        version: i64,
        every: i64,
    ) -> napi::Result<bool> {
        self.now(env, |s| s.snapshot_due(&stream, unum(version), unum(every)))
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

/// The read model of one projection (the native half of the JS `View` class).
#[napi]
pub struct NativeView {
    store: NativeMnemo,
    name: String,
}

#[napi]
impl NativeView {
    /// The projection's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The value of `key`, or `null`.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn get(&self, key: Uint8Array) -> AsyncTask<Call<Option<Buffer>>> {
        let key = key.to_vec();
        let name = self.name.clone();
        self.store
            .run(move |s| s.view(&name).get(&key).map(|v| v.map(Buffer::from)))
    }

    /// Every entry whose key starts with `prefix`, in key order.
    #[napi(ts_return_type = "Promise<Array<ViewEntry>>")]
    pub fn scan(&self, prefix: Uint8Array) -> AsyncTask<Call<Vec<ViewEntry>>> {
        let prefix = prefix.to_vec();
        let name = self.name.clone();
        self.store.run(move |s| {
            s.view(&name).scan(&prefix).map(|v| {
                v.into_iter()
                    .map(|(k, v)| ViewEntry {
                        key: k.into(),
                        value: v.into(),
                    })
                    .collect()
            })
        })
    }
}
