//! The store handle, [`MnemoStore`]: one method per public method of `mnemo::Mnemo`, each
//! converting its arguments, calling the core and converting the result or error.
//!
//! Every method blocks on disk I/O (point reads take microseconds; commits wait for an
//! fsync by default): call them off the UI/main thread (Kotlin: `Dispatchers.IO`; Swift: a
//! background `Task` or queue), or use their `*Async` forms (Kotlin `suspend`, Swift
//! `async`; in `store_async`), which run the same call on a background pool. The handle
//! is thread-safe.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::asynchronous::offload;
use crate::error::MnemoError;
use crate::feed::{LogListener, LogWatch, Subscription};
use crate::types::*;

type Result<T, E = MnemoError> = std::result::Result<T, E>;

/// The options `MnemoStore.open` uses (the core's defaults), to adjust and pass to
/// `MnemoStore.openWithOptions`.
#[uniffi::export]
pub fn default_store_options() -> StoreOptions {
    (&mnemo::Options::default()).into()
}

/// Names of the built-in projections, runnable by name with `runProjection`.
#[uniffi::export]
pub fn builtin_projections() -> Vec<String> {
    mnemo::events::builtin::BUILTIN
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// `MnemoStore.openWithOptions` (`options` none: the defaults) without blocking the
/// caller: Kotlin `suspend`, Swift `async`.
#[uniffi::export]
pub async fn open_store_async(
    path: String,
    options: Option<StoreOptions>,
) -> Result<Arc<MnemoStore>> {
    offload(move || {
        let options = options.map_or_else(mnemo::Options::default, Into::into);
        Ok(Arc::new(MnemoStore {
            inner: mnemo::Mnemo::open(path, options)?,
        }))
    })
    .await
}

/// Called once per file by `importPaths`, on the calling thread, as each file's outcome is
/// known.
#[uniffi::export(callback_interface)]
pub trait ImportProgressListener: Send + Sync {
    /// `done` of `total` files are done; `path` is the one just done.
    fn on_file(&self, done: u64, total: u64, path: String);
}

/// A Mnemo store opened on a directory.
///
/// Closing: `closeStore()` closes it at once (later calls fail with `Closed`, waiting
/// subscriptions wake with `Closed`, the directory lock is released). Dropping the last
/// reference does the same: Kotlin's `close()` (`AutoCloseable`, also used by `use {}`)
/// and Swift's `deinit` free the handle, which closes the store; so keep the store
/// referenced while its subscriptions, views and watches are in use.
#[derive(uniffi::Object)]
pub struct MnemoStore {
    pub(crate) inner: mnemo::Mnemo,
}

impl Drop for MnemoStore {
    fn drop(&mut self) {
        self.inner.close();
    }
}

#[uniffi::export]
impl MnemoStore {
    /// Open (or create) the store in directory `path` with the default options. A second
    /// open of the same directory while this one is open, from this or another process,
    /// fails with `Locked`.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>> {
        Ok(Arc::new(MnemoStore {
            inner: mnemo::Mnemo::open(path, mnemo::Options::default())?,
        }))
    }

    /// Open (or create) the store in directory `path` with `options`.
    #[uniffi::constructor]
    pub fn open_with_options(path: String, options: StoreOptions) -> Result<Arc<Self>> {
        Ok(Arc::new(MnemoStore {
            inner: mnemo::Mnemo::open(path, options.into())?,
        }))
    }

    /// The store's directory.
    pub fn path(&self) -> String {
        self.inner.path().to_string_lossy().into_owned()
    }

    /// Close the store: later calls on this handle and on its subscriptions fail with
    /// `Closed`, waiters on the change feed wake with `Closed`, and the directory lock is
    /// released. Idempotent.
    pub fn close_store(&self) {
        self.inner.close();
    }

    // ----- sessions -----

    /// Import one transcript from memory; the format is detected from the content. `name`
    /// is used in errors and kept as the source path. Re-importing the same bytes stores
    /// nothing new.
    pub fn import_bytes(&self, name: String, bytes: Vec<u8>) -> Result<ImportedFile> {
        Ok(self.inner.import_bytes(name, &bytes)?.into())
    }

    /// Import one transcript file.
    pub fn import_file(&self, path: String) -> Result<ImportedFile> {
        Ok(self.inner.import_file(path)?.into())
    }

    /// Import files and folders (folders are walked for transcript-like files). Each file
    /// is all-or-nothing; a bad file is reported in the summary while the others go on.
    /// Fails only when a given path cannot be read at all.
    #[uniffi::method(default(progress = None))]
    pub fn import_paths(
        &self,
        paths: Vec<String>,
        progress: Option<Box<dyn ImportProgressListener>>,
    ) -> Result<ImportSummary> {
        let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        let summary = self.inner.import_paths(&paths, |p| {
            if let Some(listener) = &progress {
                listener.on_file(
                    p.done as u64,
                    p.total as u64,
                    p.path.to_string_lossy().into_owned(),
                );
            }
        })?;
        Ok(summary.into())
    }

    /// A session with all its messages, by id or unique id prefix.
    pub fn session(&self, id: String) -> Result<Session> {
        Ok(self.inner.session(&id)?.into())
    }

    /// A session's metadata only, by id or unique id prefix.
    pub fn session_info(&self, id: String) -> Result<SessionInfo> {
        Ok(self.inner.session_info(&id)?.into())
    }

    /// Sessions passing `filter` (none = all), newest first.
    #[uniffi::method(default(filter = None))]
    pub fn list_sessions(&self, filter: Option<SessionFilter>) -> Result<Vec<SessionInfo>> {
        let filter = filter.unwrap_or_default().into();
        Ok(self
            .inner
            .list_sessions(&filter)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Keyword search over message text, best sessions first: at most `limit` sessions,
    /// each with up to 3 best messages, restricted by `filter` (none = all sessions).
    pub fn search(
        &self,
        query: String,
        filter: Option<SessionFilter>,
        limit: u32,
    ) -> Result<Vec<SearchResult>> {
        let filter = filter.unwrap_or_default().into();
        Ok(self
            .inner
            .search(&query, &filter, limit as usize)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The original bytes of a session, byte-exact (for a one-session file: the file).
    pub fn export_session(&self, id: String) -> Result<Vec<u8>> {
        Ok(self.inner.export_session(&id)?)
    }

    /// The whole original file a source id names, byte-exact.
    pub fn export_source(&self, source_id: String) -> Result<Vec<u8>> {
        Ok(self.inner.export_source(&source_id)?)
    }

    /// The source id of the file a session came from.
    pub fn session_source(&self, id: String) -> Result<String> {
        Ok(self.inner.session_source(&id)?)
    }

    // ----- prompts and workflows -----

    /// Add a new version of prompt template `name`; variables are `{{name}}` placeholders.
    pub fn add_prompt(&self, name: String, body: String) -> Result<PromptTemplate> {
        Ok(self.inner.add_prompt(&name, &body)?.into())
    }

    /// Template `name` at a version number or label (none or `latest` = newest).
    #[uniffi::method(default(selector = None))]
    pub fn prompt(&self, name: String, selector: Option<String>) -> Result<PromptTemplate> {
        Ok(self.inner.prompt(&name, selector.as_deref())?.into())
    }

    /// Every version of template `name`, oldest first.
    pub fn prompt_versions(&self, name: String) -> Result<Vec<PromptTemplate>> {
        Ok(self
            .inner
            .prompt_versions(&name)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Names of all prompt templates.
    pub fn prompt_names(&self) -> Result<Vec<String>> {
        Ok(self.inner.prompt_names()?)
    }

    /// Point `label` (e.g. `production`) of template `name` at `version`.
    pub fn label_prompt(&self, name: String, label: String, version: u32) -> Result<()> {
        Ok(self.inner.label_prompt(&name, &label, version)?)
    }

    /// Labels of template `name` with their versions, `latest` included.
    pub fn prompt_labels(&self, name: String) -> Result<HashMap<String, u32>> {
        Ok(self.inner.prompt_labels(&name)?.into_iter().collect())
    }

    /// Render template `name` at `selector` (none = latest) with `values`; a variable
    /// without a value is `MissingVariable`.
    pub fn render_prompt(
        &self,
        name: String,
        selector: Option<String>,
        values: HashMap<String, String>,
    ) -> Result<String> {
        let values = values.into_iter().collect();
        Ok(self
            .inner
            .render_prompt(&name, selector.as_deref(), &values)?)
    }

    /// Add a new version of workflow `name`.
    pub fn add_workflow(&self, name: String, steps: Vec<WorkflowStep>) -> Result<Workflow> {
        let steps = steps.into_iter().map(Into::into).collect();
        Ok(self.inner.add_workflow(&name, steps)?.into())
    }

    /// Workflow `name` at `version` (none = newest).
    #[uniffi::method(default(version = None))]
    pub fn workflow(&self, name: String, version: Option<u32>) -> Result<Workflow> {
        Ok(self.inner.workflow(&name, version)?.into())
    }

    /// Every version of workflow `name`, oldest first.
    pub fn workflow_versions(&self, name: String) -> Result<Vec<Workflow>> {
        Ok(self
            .inner
            .workflow_versions(&name)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Render each step of a workflow in order; `values` override the steps' own values.
    pub fn render_workflow(
        &self,
        name: String,
        version: Option<u32>,
        values: HashMap<String, String>,
    ) -> Result<Vec<RenderedStep>> {
        let values = values.into_iter().collect();
        Ok(self
            .inner
            .render_workflow(&name, version, &values)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    // ----- the log and change feed -----

    /// Up to `limit` log entries with sequence number `>= from`, in order.
    pub fn read_log(&self, from: u64, limit: u32) -> Result<Vec<LogEntry>> {
        Ok(entries(self.inner.read_log(from, limit as usize)?))
    }

    /// The last committed sequence number (0 for an empty log).
    pub fn last_seq(&self) -> u64 {
        self.inner.last_seq()
    }

    /// Block until the log has an entry after `after` or `timeout_ms` passes; returns the
    /// last sequence number. `Closed` when the store closes while waiting. Blocking: call
    /// it off the main thread.
    pub fn wait_for(&self, after: u64, timeout_ms: u64) -> Result<u64> {
        Ok(self
            .inner
            .wait_for(after, Duration::from_millis(timeout_ms))?)
    }

    /// A change feed of every entry from sequence number `from` (1 = the beginning).
    pub fn subscribe(&self, from: u64) -> Arc<Subscription> {
        Subscription::new(self.inner.clone(), self.inner.subscribe(from))
    }

    /// A change feed with a filter and, when named, a persisted checkpoint to resume from.
    pub fn subscribe_with(&self, options: SubscribeOptions) -> Result<Arc<Subscription>> {
        Ok(Subscription::new(
            self.inner.clone(),
            self.inner.subscribe_with(options.into())?,
        ))
    }

    /// Deliver the change feed described by `options` to `listener` on a background thread
    /// until `LogWatch.stop()`, until `onEntry` returns false, or until the store closes or
    /// fails; `onEnd` is then called once on that thread.
    pub fn watch(
        &self,
        options: SubscribeOptions,
        listener: Box<dyn LogListener>,
    ) -> Result<Arc<LogWatch>> {
        let subscription = self.inner.subscribe_with(options.into())?;
        LogWatch::start(subscription, listener)
    }

    /// The persisted checkpoint (last sequence number done) of a named subscription.
    pub fn subscription_checkpoint(&self, name: String) -> Result<Option<u64>> {
        Ok(self.inner.subscription_checkpoint(&name)?)
    }

    // ----- maintenance -----

    /// Counters and on-disk sizes.
    pub fn stats(&self) -> Result<Stats> {
        Ok(self.inner.stats()?.into())
    }

    /// Recompress stored sessions at zstd `level` (e.g. 15) with the newest dictionary.
    /// Safe while the store is in use and to interrupt.
    pub fn compact(&self, level: i32) -> Result<CompactionReport> {
        Ok(self.inner.compact(level)?.into())
    }

    /// Train new zstd dictionaries from the values already stored; returns the kinds
    /// trained and their new dictionary ids.
    pub fn retrain_dictionaries(&self) -> Result<Vec<TrainedDictionary>> {
        Ok(self
            .inner
            .retrain_dictionaries()?
            .into_iter()
            .map(|(kind, id)| TrainedDictionary {
                kind: kind.into(),
                id,
            })
            .collect())
    }

    /// Wait for background dictionary training, then flush memtables so on-disk sizes
    /// are final.
    pub fn flush(&self) -> Result<()> {
        Ok(self.inner.flush()?)
    }
}
