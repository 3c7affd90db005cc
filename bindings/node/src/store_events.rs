//! `NativeMnemo`'s event-store methods: the log and change feed, host streams,
//! projections and their views, snapshots. Like those in `store`, each only converts
//! arguments, calls the core (on libuv's pool, or on the JS thread for the `*_sync` forms)
//! and converts the result.

use std::time::Duration;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Function, Object, Uint8Array};
use napi::Env;
use napi_derive::napi;
use tokio::sync::watch;

use crate::error::core_error;
use crate::feed::NativeSubscription;
use crate::host::NativeProjectionPage;
use crate::store::{NativeMnemo, DEFAULT_EVENT_LIMIT, DEFAULT_LOG_LIMIT};
use crate::task::Call;
use crate::types::*;

#[napi]
impl NativeMnemo {
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
