//! The `*Async` forms of [`MnemoStore`]'s methods (Kotlin `suspend`, Swift `async`): each
//! runs the blocking method of the same name on the background pool of `asynchronous`, so
//! the calling thread (the main thread included) never waits on disk.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::asynchronous::{offload, on_runtime};
use crate::error::MnemoError;
use crate::feed::Subscription;
use crate::host::HostProjection;
use crate::store::{ImportProgressListener, MnemoStore};
use crate::types::*;

type Result<T, E = MnemoError> = std::result::Result<T, E>;

/// The `*Async` forms: the same calls on a background pool, as Kotlin `suspend` and Swift
/// `async` functions; the calling thread (the main thread included) never blocks.
#[uniffi::export]
impl MnemoStore {
    /// `importBytes` without blocking the caller.
    pub async fn import_bytes_async(
        self: Arc<Self>,
        name: String,
        bytes: Vec<u8>,
    ) -> Result<ImportedFile> {
        offload(move || self.import_bytes(name, bytes)).await
    }

    /// `importFile` without blocking the caller.
    pub async fn import_file_async(self: Arc<Self>, path: String) -> Result<ImportedFile> {
        offload(move || self.import_file(path)).await
    }

    /// `importPaths` without blocking the caller (`progress` is called on a pool thread).
    #[uniffi::method(default(progress = None))]
    pub async fn import_paths_async(
        self: Arc<Self>,
        paths: Vec<String>,
        progress: Option<Box<dyn ImportProgressListener>>,
    ) -> Result<ImportSummary> {
        offload(move || self.import_paths(paths, progress)).await
    }

    /// `session` without blocking the caller.
    pub async fn session_async(self: Arc<Self>, id: String) -> Result<Session> {
        offload(move || self.session(id)).await
    }

    /// `sessionInfo` without blocking the caller.
    pub async fn session_info_async(self: Arc<Self>, id: String) -> Result<SessionInfo> {
        offload(move || self.session_info(id)).await
    }

    /// `listSessions` without blocking the caller.
    #[uniffi::method(default(filter = None))]
    pub async fn list_sessions_async(
        self: Arc<Self>,
        filter: Option<SessionFilter>,
    ) -> Result<Vec<SessionInfo>> {
        offload(move || self.list_sessions(filter)).await
    }

    /// `search` without blocking the caller.
    pub async fn search_async(
        self: Arc<Self>,
        query: String,
        filter: Option<SessionFilter>,
        limit: u32,
    ) -> Result<Vec<SearchResult>> {
        offload(move || self.search(query, filter, limit)).await
    }

    /// `exportSession` without blocking the caller.
    pub async fn export_session_async(self: Arc<Self>, id: String) -> Result<Vec<u8>> {
        offload(move || self.export_session(id)).await
    }

    /// `exportSource` without blocking the caller.
    pub async fn export_source_async(self: Arc<Self>, source_id: String) -> Result<Vec<u8>> {
        offload(move || self.export_source(source_id)).await
    }

    /// `sessionSource` without blocking the caller.
    pub async fn session_source_async(self: Arc<Self>, id: String) -> Result<String> {
        offload(move || self.session_source(id)).await
    }

    /// `addPrompt` without blocking the caller.
    pub async fn add_prompt_async(
        self: Arc<Self>,
        name: String,
        body: String,
    ) -> Result<PromptTemplate> {
        offload(move || self.add_prompt(name, body)).await
    }

    /// `prompt` without blocking the caller.
    #[uniffi::method(default(selector = None))]
    pub async fn prompt_async(
        self: Arc<Self>,
        name: String,
        selector: Option<String>,
    ) -> Result<PromptTemplate> {
        offload(move || self.prompt(name, selector)).await
    }

    /// `promptVersions` without blocking the caller.
    pub async fn prompt_versions_async(
        self: Arc<Self>,
        name: String,
    ) -> Result<Vec<PromptTemplate>> {
        offload(move || self.prompt_versions(name)).await
    }

    /// `promptNames` without blocking the caller.
    pub async fn prompt_names_async(self: Arc<Self>) -> Result<Vec<String>> {
        offload(move || self.prompt_names()).await
    }

    /// `labelPrompt` without blocking the caller.
    pub async fn label_prompt_async(
        self: Arc<Self>,
        name: String,
        label: String,
        version: u32,
    ) -> Result<()> {
        offload(move || self.label_prompt(name, label, version)).await
    }

    /// `promptLabels` without blocking the caller.
    pub async fn prompt_labels_async(
        self: Arc<Self>,
        name: String,
    ) -> Result<HashMap<String, u32>> {
        offload(move || self.prompt_labels(name)).await
    }

    /// `renderPrompt` without blocking the caller.
    pub async fn render_prompt_async(
        self: Arc<Self>,
        name: String,
        selector: Option<String>,
        values: HashMap<String, String>,
    ) -> Result<String> {
        offload(move || self.render_prompt(name, selector, values)).await
    }

    /// `addWorkflow` without blocking the caller.
    pub async fn add_workflow_async(
        self: Arc<Self>,
        name: String,
        steps: Vec<WorkflowStep>,
    ) -> Result<Workflow> {
        offload(move || self.add_workflow(name, steps)).await
    }

    /// `workflow` without blocking the caller.
    #[uniffi::method(default(version = None))]
    pub async fn workflow_async(
        self: Arc<Self>,
        name: String,
        version: Option<u32>,
    ) -> Result<Workflow> {
        offload(move || self.workflow(name, version)).await
    }

    /// `workflowVersions` without blocking the caller.
    pub async fn workflow_versions_async(self: Arc<Self>, name: String) -> Result<Vec<Workflow>> {
        offload(move || self.workflow_versions(name)).await
    }

    /// `renderWorkflow` without blocking the caller.
    pub async fn render_workflow_async(
        self: Arc<Self>,
        name: String,
        version: Option<u32>,
        values: HashMap<String, String>,
    ) -> Result<Vec<RenderedStep>> {
        offload(move || self.render_workflow(name, version, values)).await
    }

    /// `readLog` without blocking the caller.
    pub async fn read_log_async(self: Arc<Self>, from: u64, limit: u32) -> Result<Vec<LogEntry>> {
        offload(move || self.read_log(from, limit)).await
    }

    /// `subscribeWith` without blocking the caller (a named subscription reads its
    /// checkpoint).
    pub async fn subscribe_with_async(
        self: Arc<Self>,
        options: SubscribeOptions,
    ) -> Result<Arc<Subscription>> {
        offload(move || self.subscribe_with(options)).await
    }

    /// `subscriptionCheckpoint` without blocking the caller.
    pub async fn subscription_checkpoint_async(
        self: Arc<Self>,
        name: String,
    ) -> Result<Option<u64>> {
        offload(move || self.subscription_checkpoint(name)).await
    }

    /// Resumes once the log has an entry after `after` (returning the last sequence
    /// number), or after `timeoutMs` (returning the current one); `Closed` when the store
    /// closes. Holds no thread while it waits.
    pub async fn wait_for_async(self: Arc<Self>, after: u64, timeout_ms: u64) -> Result<u64> {
        let store = self.inner.clone();
        on_runtime(async move {
            let wait = store.wait_for_async(after);
            match tokio::time::timeout(Duration::from_millis(timeout_ms), wait).await {
                Ok(last) => Ok(last?),
                Err(_) => Ok(store.last_seq()),
            }
        })
        .await
    }

    /// `append` without blocking the caller.
    pub async fn append_async(
        self: Arc<Self>,
        stream: String,
        expected: ExpectedVersion,
        events: Vec<EventData>,
    ) -> Result<AppendResult> {
        offload(move || self.append(stream, expected, events)).await
    }

    /// `appendMany` without blocking the caller.
    pub async fn append_many_async(
        self: Arc<Self>,
        batches: Vec<AppendBatch>,
    ) -> Result<Vec<AppendResult>> {
        offload(move || self.append_many(batches)).await
    }

    /// `readStream` without blocking the caller.
    pub async fn read_stream_async(
        self: Arc<Self>,
        stream: String,
        from: u64,
        direction: ReadDirection,
        limit: u32,
    ) -> Result<Vec<LogEntry>> {
        offload(move || self.read_stream(stream, from, direction, limit)).await
    }

    /// `readAll` without blocking the caller.
    #[uniffi::method(default(filter = None))]
    pub async fn read_all_async(
        self: Arc<Self>,
        from: u64,
        limit: u32,
        filter: Option<EventFilter>,
    ) -> Result<Vec<LogEntry>> {
        offload(move || self.read_all(from, limit, filter)).await
    }

    /// `streamVersion` without blocking the caller.
    pub async fn stream_version_async(self: Arc<Self>, stream: String) -> Result<Option<u64>> {
        offload(move || self.stream_version(stream)).await
    }

    /// `verifyLog` without blocking the caller.
    pub async fn verify_log_async(self: Arc<Self>) -> Result<LogVerification> {
        offload(move || self.verify_log()).await
    }

    /// `runProjection` (a built-in projection) without blocking the caller.
    pub async fn run_projection_async(self: Arc<Self>, name: String) -> Result<ProjectionStatus> {
        offload(move || self.run_projection(name)).await
    }

    /// `rebuildProjection` (a built-in projection) without blocking the caller.
    pub async fn rebuild_projection_async(
        self: Arc<Self>,
        name: String,
    ) -> Result<ProjectionStatus> {
        offload(move || self.rebuild_projection(name)).await
    }

    /// `rebuildContextViews` without blocking the caller.
    pub async fn rebuild_context_views_async(self: Arc<Self>) -> Result<ContextRebuild> {
        offload(move || self.rebuild_context_views()).await
    }

    /// `updateSearchIndex` without blocking the caller.
    pub async fn update_search_index_async(self: Arc<Self>) -> Result<ProjectionStatus> {
        offload(move || self.update_search_index()).await
    }

    /// `runHostProjection` without blocking the caller: `projection.apply` is called on a
    /// pool thread.
    #[uniffi::method(default(filter = None))]
    pub async fn run_host_projection_async(
        self: Arc<Self>,
        name: String,
        projection: Box<dyn HostProjection>,
        filter: Option<EventFilter>,
    ) -> Result<ProjectionStatus> {
        offload(move || self.run_host_projection(name, projection, filter)).await
    }

    /// `rebuildHostProjection` without blocking the caller.
    #[uniffi::method(default(filter = None))]
    pub async fn rebuild_host_projection_async(
        self: Arc<Self>,
        name: String,
        projection: Box<dyn HostProjection>,
        filter: Option<EventFilter>,
    ) -> Result<ProjectionStatus> {
        offload(move || self.rebuild_host_projection(name, projection, filter)).await
    }

    /// `projectionStatus` without blocking the caller.
    pub async fn projection_status_async(
        self: Arc<Self>,
        name: String,
    ) -> Result<ProjectionStatus> {
        offload(move || self.projection_status(name)).await
    }

    /// `projections` without blocking the caller.
    pub async fn projections_async(self: Arc<Self>) -> Result<Vec<ProjectionStatus>> {
        offload(move || self.projections()).await
    }

    /// `saveSnapshot` without blocking the caller.
    pub async fn save_snapshot_async(
        self: Arc<Self>,
        stream: String,
        version: u64,
        state: Vec<u8>,
    ) -> Result<()> {
        offload(move || self.save_snapshot(stream, version, state)).await
    }

    /// `loadSnapshot` without blocking the caller.
    pub async fn load_snapshot_async(self: Arc<Self>, stream: String) -> Result<Option<Snapshot>> {
        offload(move || self.load_snapshot(stream)).await
    }

    /// `snapshotAndTail` without blocking the caller.
    pub async fn snapshot_and_tail_async(self: Arc<Self>, stream: String) -> Result<AggregateLoad> {
        offload(move || self.snapshot_and_tail(stream)).await
    }

    /// `snapshotDue` without blocking the caller.
    pub async fn snapshot_due_async(
        self: Arc<Self>,
        stream: String,
        version: u64,
        every: u64,
    ) -> Result<bool> {
        offload(move || self.snapshot_due(stream, version, every)).await
    }

    /// `stats` without blocking the caller.
    pub async fn stats_async(self: Arc<Self>) -> Result<Stats> {
        offload(move || self.stats()).await
    }

    /// `compact` without blocking the caller.
    pub async fn compact_async(self: Arc<Self>, level: i32) -> Result<CompactionReport> {
        offload(move || self.compact(level)).await
    }

    /// `retrainDictionaries` without blocking the caller.
    pub async fn retrain_dictionaries_async(self: Arc<Self>) -> Result<Vec<TrainedDictionary>> {
        offload(move || self.retrain_dictionaries()).await
    }

    /// `flush` without blocking the caller.
    pub async fn flush_async(self: Arc<Self>) -> Result<()> {
        offload(move || self.flush()).await
    }

    /// `closeStore` without blocking the caller (closing waits for background work and
    /// the final flush).
    pub async fn close_store_async(self: Arc<Self>) -> Result<()> {
        offload(move || {
            self.close_store();
            Ok(())
        })
        .await
    }
}
