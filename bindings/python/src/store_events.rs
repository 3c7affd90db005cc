//! `mnemo.Mnemo`, continued: the log, the change feed and the event store (streams,
//! projections, snapshots, upcasters). The same pattern as `store`: convert the arguments,
//! call the same-named core method detached from the interpreter, convert the result.

use std::time::Instant;

use pyo3::prelude::*;

use crate::errors::blocking;
use crate::events::{
    self, event_filter, AggregateLoad, AppendResult, ContextRebuild, EventArg, ExpectedArg,
    LogVerification, ProjectionArg, ProjectionStatus, Snapshot, ViewReader,
};
use crate::feed::{Subscription, SLICE};
use crate::store::{seconds, Mnemo};
use crate::types::LogEntry;

#[pymethods]
impl Mnemo {
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
}
