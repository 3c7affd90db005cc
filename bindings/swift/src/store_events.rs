//! The event store part of [`MnemoStore`]: host streams, the whole log, projections (built-in
//! and host-written), upcasters and snapshots. Same rules as `store`: each method converts its
//! arguments, calls the core and converts the result or error.

use std::sync::Arc;

use crate::asynchronous::offload;
use crate::error::MnemoError;
use crate::host::{Adapter, HostProjection, Upcaster};
use crate::store::MnemoStore;
use crate::types::*;

type Result<T, E = MnemoError> = std::result::Result<T, E>;

#[uniffi::export]
impl MnemoStore {
    /// Append `events` to host stream `stream` atomically if the stream is at `expected`;
    /// otherwise `Conflict` and nothing is written. The prefixes `session/`, `source/`,
    /// `prompt/` and `workflow/` are reserved.
    pub fn append(
        &self,
        stream: String,
        expected: ExpectedVersion,
        events: Vec<EventData>,
    ) -> Result<AppendResult> {
        Ok(self
            .inner
            .append(&stream, expected.into(), crate::types::events(events))?
            .into())
    }

    /// Append to several streams in one atomic commit: every expected version must hold,
    /// or nothing is written.
    pub fn append_many(&self, batches: Vec<AppendBatch>) -> Result<Vec<AppendResult>> {
        let batches = batches
            .into_iter()
            .map(|b| (b.stream, b.expected.into(), crate::types::events(b.events)))
            .collect();
        Ok(self
            .inner
            .append_many(batches)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Up to `limit` events of `stream` from version `from` (inclusive), forward or
    /// backward; `NotFound` for a stream with no events.
    pub fn read_stream(
        &self,
        stream: String,
        from: u64,
        direction: ReadDirection,
        limit: u32,
    ) -> Result<Vec<LogEntry>> {
        Ok(entries(self.inner.read_stream(
            &stream,
            from,
            direction.into(),
            limit as usize,
        )?))
    }

    /// Up to `limit` log entries with `seq >= from` passing `filter` (none = all), in order.
    #[uniffi::method(default(filter = None))]
    pub fn read_all(
        &self,
        from: u64,
        limit: u32,
        filter: Option<EventFilter>,
    ) -> Result<Vec<LogEntry>> {
        let filter = filter.unwrap_or_default().into();
        Ok(entries(self.inner.read_all(
            from,
            limit as usize,
            &filter,
        )?))
    }

    /// The current version of a stream (none when it has no events).
    pub fn stream_version(&self, stream: String) -> Result<Option<u64>> {
        Ok(self.inner.stream_version(&stream)?)
    }

    /// Check the whole log: gap-free sequence numbers and an unbroken hash chain. A
    /// changed entry is `Corrupted` naming the first bad entry.
    pub fn verify_log(&self) -> Result<LogVerification> {
        Ok(self.inner.verify_log()?.into())
    }

    /// Bring built-in projection `name` (see `builtinProjections()`) up to date;
    /// `NotFound` for another name, `ProjectionFailed` if it fails on an event.
    pub fn run_projection(&self, name: String) -> Result<ProjectionStatus> {
        Ok(self.inner.run_builtin(&name)?.into())
    }

    /// Rebuild built-in projection `name` from the start of the log into a new generation
    /// while the current one keeps serving reads, then switch readers to it.
    pub fn rebuild_projection(&self, name: String) -> Result<ProjectionStatus> {
        Ok(self.inner.rebuild_builtin(&name)?.into())
    }

    /// Rebuild the context views (sessions, sources, prompts, workflows) from the log into
    /// a new generation while the current one keeps serving reads and writes, then switch
    /// readers to it (what `rebuildProjection("context-views")` does). Costs a replay of
    /// the whole log.
    pub fn rebuild_context_views(&self) -> Result<ContextRebuild> {
        Ok(self.inner.rebuild_context_views()?.into())
    }

    /// Bring the search index up to date with every imported session now (searches do
    /// this themselves first); returns where the `search-index` projection stands.
    pub fn update_search_index(&self) -> Result<ProjectionStatus> {
        Ok(self.inner.update_search_index()?.into())
    }

    /// Apply every event not yet applied to projection `name`, written in Kotlin or Swift:
    /// `projection.apply(event, view)` is called for each event passing `filter` (none =
    /// all), on this thread; its view writes commit together with the checkpoint, page by
    /// page. When `apply` throws, the events before it stay applied, the failure is
    /// recorded in `projectionStatus(name).error`, and this call fails with
    /// `ProjectionFailed`; the next run retries that event.
    #[uniffi::method(default(filter = None))]
    pub fn run_host_projection(
        &self,
        name: String,
        projection: Box<dyn HostProjection>,
        filter: Option<EventFilter>,
    ) -> Result<ProjectionStatus> {
        let mut p = Adapter::new(name, filter, projection.as_ref());
        Ok(self.inner.run_projection(&mut p)?.into())
    }

    /// Rebuild host projection `name` from the start of the log into a new generation
    /// while the current one keeps serving reads, then switch readers to it. An
    /// interrupted rebuild resumes where it stopped on the next call.
    #[uniffi::method(default(filter = None))]
    pub fn rebuild_host_projection(
        &self,
        name: String,
        projection: Box<dyn HostProjection>,
        filter: Option<EventFilter>,
    ) -> Result<ProjectionStatus> {
        let mut p = Adapter::new(name, filter, projection.as_ref());
        Ok(self.inner.rebuild_projection(&mut p)?.into())
    }

    /// Register `upcaster`, turning payloads of event type `kind` at schema `fromSchema`
    /// into schema `fromSchema + 1` on every read of this handle (stored events are never
    /// rewritten). It is called on the thread doing the read; a throw fails that read
    /// with `Upcast`.
    pub fn register_upcaster(&self, kind: String, from_schema: u32, upcaster: Box<dyn Upcaster>) {
        self.inner
            .register_upcaster(&kind, from_schema, crate::host::upcaster(upcaster));
    }

    /// Where projection `name` stands (`NotFound` if it never ran).
    pub fn projection_status(&self, name: String) -> Result<ProjectionStatus> {
        Ok(self.inner.projection_status(&name)?.into())
    }

    /// Every projection that has run, by name.
    pub fn projections(&self) -> Result<Vec<ProjectionStatus>> {
        Ok(self
            .inner
            .projections()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The read model of projection `name`.
    pub fn view(&self, name: String) -> Arc<ProjectionView> {
        Arc::new(ProjectionView {
            inner: self.inner.view(&name),
        })
    }

    /// Store `state` as the snapshot of `stream` at `version` (replacing an older one).
    pub fn save_snapshot(&self, stream: String, version: u64, state: Vec<u8>) -> Result<()> {
        Ok(self.inner.save_snapshot(&stream, version, &state)?)
    }

    /// The newest snapshot of `stream`, if any.
    pub fn load_snapshot(&self, stream: String) -> Result<Option<Snapshot>> {
        Ok(self.inner.load_snapshot(&stream)?.map(Into::into))
    }

    /// The newest snapshot of `stream` and the events after it (upcast, oldest first), to
    /// fold into an aggregate. A stream with no events gives no snapshot, no events and
    /// version 0.
    pub fn snapshot_and_tail(&self, stream: String) -> Result<AggregateLoad> {
        Ok(self.inner.snapshot_and_tail(&stream)?.into())
    }

    /// Whether a snapshot of `stream` at `version` is due: at least `every` events since
    /// its newest snapshot (or since the start without one); never when `every` is 0.
    pub fn snapshot_due(&self, stream: String, version: u64, every: u64) -> Result<bool> {
        Ok(self.inner.snapshot_due(&stream, version, every)?)
    }
}

/// The read model of one projection (its active generation).
#[derive(uniffi::Object)]
pub struct ProjectionView {
    inner: mnemo::events::projection::ViewReader,
}

#[uniffi::export]
impl ProjectionView {
    /// The value of `key`, if any.
    pub fn get(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.get(&key)?)
    }

    /// `get` without blocking the caller.
    pub async fn get_async(self: Arc<Self>, key: Vec<u8>) -> Result<Option<Vec<u8>>> {
        offload(move || self.get(key)).await
    }

    /// Every key and value whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: Vec<u8>) -> Result<Vec<ViewEntry>> {
        Ok(self
            .inner
            .scan(&prefix)?
            .into_iter()
            .map(|(key, value)| ViewEntry { key, value })
            .collect())
    }

    /// `scan` without blocking the caller.
    pub async fn scan_async(self: Arc<Self>, prefix: Vec<u8>) -> Result<Vec<ViewEntry>> {
        offload(move || self.scan(prefix)).await
    }
}
