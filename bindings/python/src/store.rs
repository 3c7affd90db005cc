//! `mnemo.Mnemo`: the store handle.
//!
//! Each method converts its arguments, calls the same-named method of [`mnemo::Mnemo`]
//! detached from the interpreter (so other Python threads run while it does I/O), and
//! converts the result. The handle is shared freely between Python threads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::errors::blocking;
use crate::events::{
    self, event_filter, AggregateLoad, AppendResult, ContextRebuild, EventArg, ExpectedArg,
    LogVerification, ProjectionArg, ProjectionStatus, Snapshot, ViewReader,
};
use crate::feed::{Subscription, SLICE};
use crate::types::{
    ImportSummary, ImportedFile, LogEntry, PromptTemplate, RenderedStep, SearchResult, Selector,
    Session, SessionInfo, Stats, StepArg, Workflow,
};

/// A timeout in seconds as a [`Duration`]; negative, NaN or huge values are `ValueError`.
pub(crate) fn seconds(timeout: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(timeout)
        .map_err(|e| PyValueError::new_err(format!("invalid timeout {timeout}: {e}")))
}

fn filter(
    source_tool: Option<String>,
    project: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<usize>,
) -> mnemo::SessionFilter {
    mnemo::SessionFilter {
        source_tool,
        project,
        since,
        until,
        limit,
    }
}

/// A Mnemo store opened on a directory.
///
/// `Mnemo(path, *, create_if_missing=True, sync_writes=True, compression_level=1,
/// blob_write_level=-30, dictionary_training_bytes=1 MiB, block_cache_bytes=64 MiB, recompress_level=15)`;
/// options left out keep the engine's defaults. Use it as a context manager, or call `close()`.
#[pyclass(frozen, module = "mnemo")]
pub struct Mnemo {
    inner: mnemo::Mnemo,
}

#[pymethods]
impl Mnemo {
    #[new]
    #[pyo3(signature = (
        path,
        *,
        create_if_missing = None,
        sync_writes = None,
        compression_level = None,
        blob_write_level = None,
        dictionary_training_bytes = None,
        block_cache_bytes = None,
        recompress_level = None,
    ))]
    // One keyword argument per option, as Python callers expect.
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        create_if_missing: Option<bool>,
        sync_writes: Option<bool>,
        compression_level: Option<i32>,
        blob_write_level: Option<i32>,
        dictionary_training_bytes: Option<usize>,
        block_cache_bytes: Option<usize>,
        recompress_level: Option<i32>,
    ) -> PyResult<Self> {
        let mut options = mnemo::Options::default();
        if let Some(v) = create_if_missing {
            options.create_if_missing = v;
        }
        if let Some(v) = sync_writes {
            options.sync_writes = v;
        }
        if let Some(v) = compression_level {
            options.compression_level = v;
        }
        if let Some(v) = blob_write_level {
            options.blob_write_level = v;
        }
        if let Some(v) = dictionary_training_bytes {
            options.dictionary_training_bytes = v;
        }
        if let Some(v) = block_cache_bytes {
            options.block_cache_bytes = v;
        }
        if let Some(v) = recompress_level {
            options.recompress_level = v;
        }
        let inner = blocking(py, || mnemo::Mnemo::open(&path, options))?;
        Ok(Mnemo { inner })
    }

    /// The store's directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path().to_path_buf()
    }

    /// Close the store: later calls raise `ClosedError`, waiters on the change feed wake
    /// up, and the directory lock is released. Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close());
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the store; exceptions from the `with` body propagate.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        format!(
            "Mnemo({})",
            crate::types::q(&self.inner.path().to_string_lossy())
        )
    }

    /// Import one transcript from memory; `name` is kept as its source path and used in
    /// errors. Re-importing the same bytes stores nothing new.
    fn import_bytes(&self, py: Python<'_>, name: PathBuf, data: &[u8]) -> PyResult<ImportedFile> {
        blocking(py, || self.inner.import_bytes(&name, data)).map(ImportedFile)
    }

    /// Import one transcript file (format detected from its content).
    fn import_file(&self, py: Python<'_>, path: PathBuf) -> PyResult<ImportedFile> {
        blocking(py, || self.inner.import_file(&path)).map(ImportedFile)
    }

    /// Import files and folders (folders are walked for transcript-like files). A bad file
    /// is reported in the summary while the others go on. `progress(done, total, path)` is
    /// called once per file; if it raises, it is not called again and its exception is
    /// raised once the import has finished.
    #[pyo3(signature = (paths, progress = None))]
    fn import_paths(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<ImportSummary> {
        let mut callback_error: Option<PyErr> = None;
        let summary = blocking(py, || {
            self.inner.import_paths(&paths, |p| {
                let (Some(cb), None) = (&progress, &callback_error) else {
                    return;
                };
                if let Err(e) = Python::attach(|py| cb.call1(py, (p.done, p.total, p.path))) {
                    callback_error = Some(e);
                }
            })
        })?;
        if let Some(e) = callback_error {
            return Err(e);
        }
        ImportSummary::new(py, summary)
    }

    /// A session with all its messages, by id or unique id prefix.
    fn session(&self, py: Python<'_>, id: &str) -> PyResult<Session> {
        let s = blocking(py, || self.inner.session(id))?;
        Session::new(py, s)
    }

    /// A session's metadata only, by id or unique id prefix.
    fn session_info(&self, py: Python<'_>, id: &str) -> PyResult<SessionInfo> {
        blocking(py, || self.inner.session_info(id)).map(SessionInfo)
    }

    /// Sessions passing the filters, newest first. `since`/`until` are ms since the epoch.
    #[pyo3(signature = (*, source_tool = None, project = None, since = None, until = None, limit = None))]
    fn list_sessions(
        &self,
        py: Python<'_>,
        source_tool: Option<String>,
        project: Option<String>,
        since: Option<i64>,
        until: Option<i64>,
        limit: Option<usize>,
    ) -> PyResult<Vec<SessionInfo>> {
        let f = filter(source_tool, project, since, until, limit);
        let list = blocking(py, || self.inner.list_sessions(&f))?;
        Ok(list.into_iter().map(SessionInfo).collect())
    }

    /// Keyword search over message text, best sessions first: at most `limit` sessions,
    /// each with up to 3 best messages, restricted by the filters.
    #[pyo3(signature = (query, *, limit = 10, source_tool = None, project = None, since = None, until = None))]
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        py: Python<'_>,
        query: &str,
        limit: usize,
        source_tool: Option<String>,
        project: Option<String>,
        since: Option<i64>,
        until: Option<i64>,
    ) -> PyResult<Vec<SearchResult>> {
        let f = filter(source_tool, project, since, until, None);
        let hits = blocking(py, || self.inner.search(query, &f, limit))?;
        hits.into_iter().map(|h| SearchResult::new(py, h)).collect()
    }

    /// The original bytes of a session, byte-exact.
    fn export_session<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = blocking(py, || self.inner.export_session(id))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The whole original file a source id names, byte-exact.
    fn export_source<'py>(
        &self,
        py: Python<'py>,
        source_id: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = blocking(py, || self.inner.export_source(source_id))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The source id of the file a session came from.
    fn session_source(&self, py: Python<'_>, id: &str) -> PyResult<String> {
        blocking(py, || self.inner.session_source(id))
    }

    /// Add a new version of prompt template `name`; variables are `{{name}}` placeholders.
    fn add_prompt(&self, py: Python<'_>, name: &str, body: &str) -> PyResult<PromptTemplate> {
        blocking(py, || self.inner.add_prompt(name, body)).map(PromptTemplate)
    }

    /// Template `name` at a version number or label (`None` or `"latest"` = newest).
    #[pyo3(signature = (name, selector = None))]
    fn prompt(
        &self,
        py: Python<'_>,
        name: &str,
        selector: Option<Selector>,
    ) -> PyResult<PromptTemplate> {
        let selector = selector.map(Selector::into_string);
        blocking(py, || self.inner.prompt(name, selector.as_deref())).map(PromptTemplate)
    }

    /// Every version of template `name`, oldest first.
    fn prompt_versions(&self, py: Python<'_>, name: &str) -> PyResult<Vec<PromptTemplate>> {
        let v = blocking(py, || self.inner.prompt_versions(name))?;
        Ok(v.into_iter().map(PromptTemplate).collect())
    }

    /// Names of all prompt templates.
    fn prompt_names(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        blocking(py, || self.inner.prompt_names())
    }

    /// Point `label` (e.g. `"production"`) of template `name` at `version`.
    fn label_prompt(&self, py: Python<'_>, name: &str, label: &str, version: u32) -> PyResult<()> {
        blocking(py, || self.inner.label_prompt(name, label, version))
    }

    /// Labels of template `name` with their versions, `latest` included.
    fn prompt_labels(&self, py: Python<'_>, name: &str) -> PyResult<BTreeMap<String, u32>> {
        blocking(py, || self.inner.prompt_labels(name))
    }

    /// Render template `name` (at `selector`, default latest) with `values`; a variable
    /// without a value raises `MissingVariableError`.
    #[pyo3(signature = (name, values = None, *, selector = None))]
    fn render_prompt(
        &self,
        py: Python<'_>,
        name: &str,
        values: Option<BTreeMap<String, String>>,
        selector: Option<Selector>,
    ) -> PyResult<String> {
        let values = values.unwrap_or_default();
        let selector = selector.map(Selector::into_string);
        blocking(py, || {
            self.inner.render_prompt(name, selector.as_deref(), &values)
        })
    }

    /// Add a new version of workflow `name`; each step is a `WorkflowStep` or a mapping
    /// with its keys (`name`, `prompt`, optional `prompt_ref` and `values`).
    fn add_workflow(&self, py: Python<'_>, name: &str, steps: Vec<StepArg>) -> PyResult<Workflow> {
        let steps = steps.into_iter().map(|s| s.0).collect();
        blocking(py, || self.inner.add_workflow(name, steps)).map(Workflow)
    }

    /// Workflow `name` at `version` (`None` = newest).
    #[pyo3(signature = (name, version = None))]
    fn workflow(&self, py: Python<'_>, name: &str, version: Option<u32>) -> PyResult<Workflow> {
        blocking(py, || self.inner.workflow(name, version)).map(Workflow)
    }

    /// Every version of workflow `name`, oldest first.
    fn workflow_versions(&self, py: Python<'_>, name: &str) -> PyResult<Vec<Workflow>> {
        let v = blocking(py, || self.inner.workflow_versions(name))?;
        Ok(v.into_iter().map(Workflow).collect())
    }

    /// Render each step of a workflow in order; `values` override the steps' own values.
    #[pyo3(signature = (name, values = None, *, version = None))]
    fn render_workflow(
        &self,
        py: Python<'_>,
        name: &str,
        values: Option<BTreeMap<String, String>>,
        version: Option<u32>,
    ) -> PyResult<Vec<RenderedStep>> {
        let values = values.unwrap_or_default();
        let steps = blocking(py, || self.inner.render_workflow(name, version, &values))?;
        Ok(steps.into_iter().map(RenderedStep).collect())
    }

    /// Up to `limit` log entries with sequence number `>= from_seq`, in order.
    #[pyo3(signature = (from_seq = 1, limit = 1000))]
    fn read_log(&self, py: Python<'_>, from_seq: u64, limit: usize) -> PyResult<Vec<LogEntry>> {
        let v = blocking(py, || self.inner.read_log(from_seq, limit))?;
        Ok(v.into_iter().map(LogEntry).collect())
    }

    /// The last committed sequence number (0 for an empty log).
    fn last_seq(&self) -> u64 {
        self.inner.last_seq()
    }

    /// Block until the log has an entry after `after` or `timeout` seconds pass; returns
    /// the last sequence number. Raises `ClosedError` when the store closes meanwhile.
    fn wait_for(&self, py: Python<'_>, after: u64, timeout: f64) -> PyResult<u64> {
        // Waited in slices so that signals (Ctrl+C) are seen during a long wait.
        let deadline = Instant::now().checked_add(seconds(timeout)?);
        loop {
            let slice = deadline.map_or(SLICE, |d| {
                d.saturating_duration_since(Instant::now()).min(SLICE)
            });
            let last = blocking(py, || self.inner.wait_for(after, slice))?;
            if last > after || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(last);
            }
            py.check_signals()?;
        }
    }

    /// A change feed from sequence number `from_seq` (1 = the beginning): an iterator
    /// (blocking) and an async iterator of `LogEntry`, only of entries in streams starting
    /// with `stream_prefix` and of types in `kinds` when given. A `name` makes it durable:
    /// `sub.checkpoint()` persists its position and a later subscription with the same name
    /// resumes there (ignoring `from_seq`).
    #[pyo3(signature = (from_seq = 1, *, name = None, stream_prefix = None, kinds = None))]
    fn subscribe(
        &self,
        py: Python<'_>,
        from_seq: u64,
        name: Option<String>,
        stream_prefix: Option<String>,
        kinds: Option<Vec<String>>,
    ) -> PyResult<Subscription> {
        let options = mnemo::SubscribeOptions {
            from: Some(from_seq),
            filter: event_filter(stream_prefix, kinds),
            name: name.clone(),
        };
        let sub = blocking(py, || self.inner.subscribe_with(options))?;
        Ok(Subscription::new(self.inner.clone(), sub, name))
    }

    /// The persisted checkpoint (last sequence number done) of the named subscription, or
    /// `None` when it never checkpointed.
    fn subscription_checkpoint(&self, py: Python<'_>, name: &str) -> PyResult<Option<u64>> {
        blocking(py, || self.inner.subscription_checkpoint(name))
    }

    /// Append `events` (`EventData`s or mappings with their keys) to host stream `stream`
    /// atomically, if the stream is at `expected` (`ANY`, `NO_STREAM` or a version);
    /// otherwise `ConflictError` (with the stream's `current` version) and nothing is
    /// written. Streams starting with `session/`, `source/`, `prompt/` or `workflow/` are
    /// Mnemo's own (`InvalidInputError`).
    #[pyo3(signature = (stream, events, *, expected = ExpectedArg(mnemo::Expected::Any)))]
    fn append(
        &self,
        py: Python<'_>,
        stream: &str,
        events: Vec<EventArg>,
        expected: ExpectedArg,
    ) -> PyResult<AppendResult> {
        let events = events.into_iter().map(|e| e.0).collect();
        blocking(py, || self.inner.append(stream, expected.0, events)).map(AppendResult)
    }

    /// Append to several streams in one atomic commit: `batches` are `(stream, expected,
    /// events)` tuples; every expected version must hold, or nothing is written.
    fn append_many(
        &self,
        py: Python<'_>,
        batches: Vec<(String, ExpectedArg, Vec<EventArg>)>,
    ) -> PyResult<Vec<AppendResult>> {
        let batches = batches
            .into_iter()
            .map(|(stream, expected, events)| {
                (
                    stream,
                    expected.0,
                    events.into_iter().map(|e| e.0).collect(),
                )
            })
            .collect();
        let results = blocking(py, || self.inner.append_many(batches))?;
        Ok(results.into_iter().map(AppendResult).collect())
    }

    /// Up to `limit` events of `stream` from version `from_version` (inclusive; default:
    /// the first, or the last when `backward`), oldest first or newest first when
    /// `backward`. `NotFoundError` for a stream with no events.
    #[pyo3(signature = (stream, from_version = None, *, backward = false, limit = 1000))]
    fn read_stream(
        &self,
        py: Python<'_>,
        stream: &str,
        from_version: Option<u64>,
        backward: bool,
        limit: usize,
    ) -> PyResult<Vec<LogEntry>> {
        let (direction, from) = if backward {
            (
                mnemo::ReadDirection::Backward,
                from_version.unwrap_or(u64::MAX),
            )
        } else {
            (mnemo::ReadDirection::Forward, from_version.unwrap_or(1))
        };
        let v = blocking(py, || {
            self.inner.read_stream(stream, from, direction, limit)
        })?;
        Ok(v.into_iter().map(LogEntry).collect())
    }

    /// Up to `limit` log entries (every stream) with sequence number `>= from_seq`, in
    /// order, only of streams starting with `stream_prefix` and of types in `kinds` when
    /// given.
    #[pyo3(signature = (from_seq = 1, limit = 1000, *, stream_prefix = None, kinds = None))]
    fn read_all(
        &self,
        py: Python<'_>,
        from_seq: u64,
        limit: usize,
        stream_prefix: Option<String>,
        kinds: Option<Vec<String>>,
    ) -> PyResult<Vec<LogEntry>> {
        let f = event_filter(stream_prefix, kinds);
        let v = blocking(py, || self.inner.read_all(from_seq, limit, &f))?;
        Ok(v.into_iter().map(LogEntry).collect())
    }

    /// The current version of a stream, or `None` when it has no events.
    fn stream_version(&self, py: Python<'_>, stream: &str) -> PyResult<Option<u64>> {
        blocking(py, || self.inner.stream_version(stream))
    }

    /// Check the whole log: gap-free sequence numbers and an unbroken hash chain
    /// (`CorruptedError` naming the first bad entry).
    fn verify_log(&self, py: Python<'_>) -> PyResult<LogVerification> {
        blocking(py, || self.inner.verify_log()).map(LogVerification)
    }

    /// Apply every event not yet applied to a projection: a built-in one by name
    /// (`BUILTIN_PROJECTIONS`) or an object with `name`, `apply(event, view)` and optionally
    /// `filter`. View writes commit together with the checkpoint. If `apply` raises, the
    /// events before it stay applied, the failure is recorded in the status and
    /// `ProjectionFailedError` is raised (the exception as its `__cause__`); the next run
    /// retries that event.
    fn run_projection(
        &self,
        py: Python<'_>,
        projection: ProjectionArg,
    ) -> PyResult<ProjectionStatus> {
        events::run_projection(
            py,
            projection,
            |name| self.inner.run_builtin(name),
            |p| self.inner.run_projection(p),
        )
    }

    /// Rebuild a projection (as for `run_projection`) from the start of the log into a new
    /// generation while the current one keeps serving reads, then switch readers to it. An
    /// interrupted rebuild resumes where it stopped on the next call.
    fn rebuild_projection(
        &self,
        py: Python<'_>,
        projection: ProjectionArg,
    ) -> PyResult<ProjectionStatus> {
        events::run_projection(
            py,
            projection,
            |name| self.inner.rebuild_builtin(name),
            |p| self.inner.rebuild_projection(p),
        )
    }

    /// Rebuild the context views (sessions, sources, prompts, workflows) from the log into a
    /// new generation while the current one keeps serving reads and writes, then switch
    /// readers to it (what `rebuild_projection("context-views")` does). Costs a replay of
    /// the whole log.
    fn rebuild_context_views(&self, py: Python<'_>) -> PyResult<ContextRebuild> {
        blocking(py, || self.inner.rebuild_context_views()).map(ContextRebuild)
    }

    /// Bring the search index up to date with every imported session now (searches do this
    /// themselves first); returns where the `search-index` projection stands.
    fn update_search_index(&self, py: Python<'_>) -> PyResult<ProjectionStatus> {
        blocking(py, || self.inner.update_search_index()).map(ProjectionStatus)
    }

    /// Where projection `name` stands (`NotFoundError` if it never ran).
    fn projection_status(&self, py: Python<'_>, name: &str) -> PyResult<ProjectionStatus> {
        blocking(py, || self.inner.projection_status(name)).map(ProjectionStatus)
    }

    /// Every projection that has run, by name.
    fn projections(&self, py: Python<'_>) -> PyResult<Vec<ProjectionStatus>> {
        let v = blocking(py, || self.inner.projections())?;
        Ok(v.into_iter().map(ProjectionStatus).collect())
    }

    /// The read model of projection `name`.
    fn view(&self, name: String) -> ViewReader {
        ViewReader::new(self.inner.view(&name), name)
    }

    /// Store `state` as the snapshot of `stream` at `version` (replacing an older one);
    /// `version` must be one of the stream's (`InvalidInputError`).
    fn save_snapshot(
        &self,
        py: Python<'_>,
        stream: &str,
        version: u64,
        state: &[u8],
    ) -> PyResult<()> {
        blocking(py, || self.inner.save_snapshot(stream, version, state))
    }

    /// The newest snapshot of `stream`, or `None`.
    fn load_snapshot(&self, py: Python<'_>, stream: &str) -> PyResult<Option<Snapshot>> {
        let s = blocking(py, || self.inner.load_snapshot(stream))?;
        Ok(s.map(Snapshot))
    }

    /// The newest snapshot of `stream` and the events after it (upcast, oldest first), to
    /// fold into an aggregate: `AggregateLoad(snapshot, events, version)`. A stream with no
    /// events gives no snapshot, no events and version 0.
    fn snapshot_and_tail(&self, py: Python<'_>, stream: &str) -> PyResult<AggregateLoad> {
        let load = blocking(py, || self.inner.snapshot_and_tail(stream))?;
        AggregateLoad::new(py, load)
    }

    /// Whether a snapshot of `stream` at `version` is due: at least `every` events since
    /// its newest snapshot (or since the start without one); never when `every` is 0.
    fn snapshot_due(
        &self,
        py: Python<'_>,
        stream: &str,
        version: u64,
        every: u64,
    ) -> PyResult<bool> {
        blocking(py, || self.inner.snapshot_due(stream, version, every))
    }

    /// Register `upcaster(payload: bytes) -> bytes` turning payloads of event type `kind`
    /// at schema `from_schema` into schema `from_schema + 1` on every read of this handle
    /// (reads, subscriptions, projections). It may return a JSON-able value instead of
    /// bytes, as for `EventData`; an exception it raises fails the read with `UpcastError`.
    fn register_upcaster(
        &self,
        py: Python<'_>,
        kind: &str,
        from_schema: u32,
        upcaster: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let f = events::upcaster(upcaster)?;
        py.detach(|| self.inner.register_upcaster(kind, from_schema, f));
        Ok(())
    }

    /// Counters and on-disk sizes.
    fn stats(&self, py: Python<'_>) -> PyResult<Stats> {
        blocking(py, || self.inner.stats()).map(Stats)
    }

    /// Train new zstd dictionaries from the values already stored; returns the content
    /// kinds trained (`"transcript"`, `"record"`, `"prompt"`, `"other"`) with their new
    /// dictionary ids.
    fn retrain_dictionaries(&self, py: Python<'_>) -> PyResult<Vec<(String, u32)>> {
        let trained = blocking(py, || self.inner.retrain_dictionaries())?;
        Ok(trained
            .into_iter()
            .map(|(kind, id)| (format!("{kind:?}").to_lowercase(), id))
            .collect())
    }

    /// Recompress stored sessions at zstd `level` (default 15) with the newest dictionary;
    /// returns `{"blobs", "rewritten", "bytes_before", "bytes_after"}`.
    #[pyo3(signature = (level=15))]
    fn compact(
        &self,
        py: Python<'_>,
        level: i32,
    ) -> PyResult<std::collections::BTreeMap<&'static str, u64>> {
        let r = blocking(py, || self.inner.compact(level))?;
        Ok([
            ("blobs", r.blobs),
            ("rewritten", r.rewritten),
            ("bytes_before", r.bytes_before),
            ("bytes_after", r.bytes_after),
        ]
        .into_iter()
        .collect())
    }

    /// Flush memtables to disk so on-disk sizes in `stats()` are final.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || self.inner.flush())
    }
}
