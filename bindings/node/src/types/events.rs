//! The event store's objects: log entries, appends, subscriptions, projections, snapshots.

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use super::{num, unum};

/// One entry of the log.
#[napi(object)]
pub struct LogEntry {
    /// Global sequence number, from 1, gap-free.
    pub seq: i64,
    /// The stream the event belongs to (`session/<id>`, `prompt/<name>`, ...).
    pub stream: String,
    /// The stream's version after this event, from 1.
    pub version: i64,
    /// Event type (`session.imported`, `prompt.added`, ...).
    pub kind: String,
    /// Schema version of the payload (from 1).
    pub schema: u32,
    /// When it was committed (ms since the Unix epoch).
    pub timestamp: i64,
    /// Event body; its encoding depends on `kind`.
    pub payload: Buffer,
    /// Host metadata bytes; empty for Mnemo's own events.
    pub metadata: Buffer,
    /// The hash chain link of the commit holding this entry (BLAKE3, hex).
    pub hash: String,
}

impl From<mnemo::LogEntry> for LogEntry {
    fn from(e: mnemo::LogEntry) -> Self {
        LogEntry {
            seq: num(e.seq),
            stream: e.stream,
            version: num(e.version),
            kind: e.kind,
            schema: e.schema,
            timestamp: e.timestamp,
            payload: e.payload.into(),
            metadata: e.metadata.into(),
            hash: e.hash.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// One event to append (`index.js` has turned a JSON payload into bytes).
#[napi(object)]
pub struct EventInput {
    /// Event type, e.g. `order.placed`.
    pub kind: String,
    /// Body bytes.
    pub payload: Buffer,
    /// Host metadata bytes (default none).
    pub metadata: Option<Buffer>,
    /// Schema version of the payload (default 1).
    pub schema: Option<u32>,
}

impl From<EventInput> for mnemo::EventData {
    fn from(e: EventInput) -> Self {
        let mut d = mnemo::EventData::new(e.kind, e.payload.to_vec());
        if let Some(m) = e.metadata {
            d = d.with_metadata(m.to_vec());
        }
        if let Some(s) = e.schema {
            d = d.with_schema(s);
        }
        d
    }
}

/// The expected version of an append: `"any"`, `"no_stream"` or a version number.
pub(crate) fn expected(v: Option<napi::Either<String, i64>>) -> mnemo::Result<mnemo::Expected> {
    match v {
        None => Ok(mnemo::Expected::Any),
        Some(napi::Either::A(s)) if s == "any" => Ok(mnemo::Expected::Any),
        Some(napi::Either::A(s)) if s == "no_stream" => Ok(mnemo::Expected::NoStream),
        Some(napi::Either::A(s)) => Err(mnemo::Error::InvalidInput(format!(
            "expected must be 'any', 'no_stream' or a version number, not {s:?}"
        ))),
        Some(napi::Either::B(n)) => Ok(mnemo::Expected::Exact(unum(n))),
    }
}

/// A batch of `appendMany`.
#[napi(object)]
pub struct AppendBatch {
    /// The host stream.
    pub stream: String,
    /// Its events, appended in order.
    pub events: Vec<EventInput>,
    /// `"any"` (default), `"no_stream"` or the version the stream must be at.
    #[napi(ts_type = "'any' | 'no_stream' | number")]
    pub expected: Option<napi::Either<String, i64>>,
}

/// Where an append landed.
#[napi(object)]
pub struct AppendResult {
    /// Sequence number of the first event appended.
    pub first_seq: i64,
    /// Sequence number of the last event appended.
    pub last_seq: i64,
    /// The stream's version after the append.
    pub version: i64,
}

impl From<mnemo::AppendResult> for AppendResult {
    fn from(r: mnemo::AppendResult) -> Self {
        AppendResult {
            first_seq: num(r.first_seq),
            last_seq: num(r.last_seq),
            version: num(r.version),
        }
    }
}

/// Selects events of `readAll` and `subscribe`; absent fields match everything.
#[napi(object)]
#[derive(Default)]
pub struct EventFilterInput {
    /// Only streams starting with this prefix.
    pub stream_prefix: Option<String>,
    /// Only these event types.
    pub kinds: Option<Vec<String>>,
}

impl From<EventFilterInput> for mnemo::EventFilter {
    fn from(f: EventFilterInput) -> Self {
        mnemo::EventFilter {
            stream_prefix: f.stream_prefix,
            kinds: f.kinds.unwrap_or_default(),
        }
    }
}

/// Options of the native `subscribeWith`.
#[napi(object)]
#[derive(Default)]
pub struct SubscribeInput {
    /// First sequence number (default 1); ignored when `name` has a checkpoint.
    pub from: Option<i64>,
    /// Persist the position under this name.
    pub name: Option<String>,
    /// Only streams starting with this prefix.
    pub stream_prefix: Option<String>,
    /// Only these event types.
    pub kinds: Option<Vec<String>>,
}

impl From<SubscribeInput> for mnemo::SubscribeOptions {
    fn from(o: SubscribeInput) -> Self {
        mnemo::SubscribeOptions {
            from: o.from.map(unum),
            name: o.name,
            filter: EventFilterInput {
                stream_prefix: o.stream_prefix,
                kinds: o.kinds,
            }
            .into(),
        }
    }
}

/// Result of checking the log's hash chain.
#[napi(object)]
pub struct LogVerification {
    /// Entries checked.
    pub entries: i64,
    /// Hash of the last entry (hex), which commits to the whole log.
    pub head: String,
}

impl From<mnemo::LogVerification> for LogVerification {
    fn from(v: mnemo::LogVerification) -> Self {
        LogVerification {
            entries: num(v.entries),
            head: v.head,
        }
    }
}

/// A generation being rebuilt.
#[napi(object)]
pub struct ProjectionRebuild {
    /// The generation being built.
    pub generation: u32,
    /// Last event applied to it.
    pub checkpoint: i64,
}

/// A projection's recorded failure.
#[napi(object)]
pub struct ProjectionErrorInfo {
    /// The event it failed on.
    pub seq: i64,
    /// What the projection reported.
    pub reason: String,
}

/// Where a projection stands.
#[napi(object, use_nullable = true)]
pub struct ProjectionStatus {
    /// Projection name.
    pub name: String,
    /// The generation readers see.
    pub generation: u32,
    /// Last event applied to that generation.
    pub checkpoint: i64,
    /// A rebuild under way, if any.
    pub rebuilding: Option<ProjectionRebuild>,
    /// The failure that stopped it, if any.
    pub error: Option<ProjectionErrorInfo>,
    /// The log's last sequence number when the status was read.
    pub head: i64,
    /// Events the active generation has not applied yet.
    pub lag: i64,
}

impl From<mnemo::events::projection::ProjectionStatus> for ProjectionStatus {
    fn from(s: mnemo::events::projection::ProjectionStatus) -> Self {
        ProjectionStatus {
            lag: num(s.lag()),
            name: s.name,
            generation: s.generation,
            checkpoint: num(s.checkpoint),
            rebuilding: s.rebuilding.map(|(generation, c)| ProjectionRebuild {
                generation,
                checkpoint: num(c),
            }),
            error: s.error.map(|e| ProjectionErrorInfo {
                seq: num(e.seq),
                reason: e.reason,
            }),
            head: num(s.head),
        }
    }
}

/// One entry of a read model.
#[napi(object)]
pub struct ViewEntry {
    /// The key.
    pub key: Buffer,
    /// The value.
    pub value: Buffer,
}

/// A stored aggregate snapshot.
#[napi(object)]
pub struct Snapshot {
    /// The stream version the state reflects.
    pub version: i64,
    /// The state bytes as saved.
    pub state: Buffer,
}

impl From<mnemo::events::snapshot::Snapshot> for Snapshot {
    fn from(s: mnemo::events::snapshot::Snapshot) -> Self {
        Snapshot {
            version: num(s.version),
            state: s.state.into(),
        }
    }
}

/// A stream's newest snapshot and the events after it (`snapshotAndTail`): fold `events`
/// over the snapshot's state (or the initial state without one) to load the aggregate at
/// `version`.
#[napi(object, use_nullable = true)]
pub struct AggregateLoad {
    /// The newest snapshot, or `null`.
    pub snapshot: Option<Snapshot>,
    /// The events after the snapshot's version (all of them without one), upcast, oldest
    /// first.
    pub events: Vec<LogEntry>,
    /// The stream version the events reach (the snapshot's when none follows it, 0 for a
    /// stream with no events).
    pub version: i64,
}

impl From<mnemo::events::snapshot::AggregateLoad> for AggregateLoad {
    fn from(l: mnemo::events::snapshot::AggregateLoad) -> Self {
        AggregateLoad {
            snapshot: l.snapshot.map(Snapshot::from),
            events: l.events.into_iter().map(LogEntry::from).collect(),
            version: num(l.version),
        }
    }
}

/// What a rebuild of the context views (sessions, sources, prompts, workflows) did.
#[napi(object)]
pub struct ContextRebuild {
    /// The generation readers see now.
    pub generation: u32,
    /// Log entries replayed.
    pub entries: i64,
    /// Sessions in the rebuilt views.
    pub sessions: i64,
    /// Sources (imported files) in the rebuilt views.
    pub sources: i64,
    /// Prompt template versions in the rebuilt views.
    pub prompt_versions: i64,
    /// Workflow versions in the rebuilt views.
    pub workflow_versions: i64,
}

impl From<mnemo::context_views::ContextRebuild> for ContextRebuild {
    fn from(r: mnemo::context_views::ContextRebuild) -> Self {
        ContextRebuild {
            generation: r.generation,
            entries: num(r.entries),
            sessions: num(r.sessions),
            sources: num(r.sources),
            prompt_versions: num(r.prompt_versions),
            workflow_versions: num(r.workflow_versions),
        }
    }
}
