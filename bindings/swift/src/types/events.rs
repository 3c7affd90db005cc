//! The log's entries and the event store's records.

use super::Millis;

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogEntry {
    /// Global sequence number, from 1, gap-free.
    pub seq: u64,
    /// The stream the event belongs to (`session/<id>`, `prompt/<name>`, host streams...).
    pub stream: String,
    /// The stream's version after this event, from 1.
    pub version: u64,
    /// Event type (`session.imported`, `prompt.added`, host types...).
    pub kind: String,
    /// Schema version of the payload (from 1).
    pub schema: u32,
    /// When it was committed.
    pub timestamp: Millis,
    /// Event body; its encoding depends on `kind`.
    pub payload: Vec<u8>,
    /// Host metadata (opaque bytes); empty for Mnemo's own events.
    pub metadata: Vec<u8>,
    /// The log's hash chain (32 bytes): BLAKE3 of the commit holding this entry, chained to the
    /// previous commit's hash; every entry of one commit carries the same value.
    pub hash: Vec<u8>,
}

impl From<mnemo::LogEntry> for LogEntry {
    fn from(e: mnemo::LogEntry) -> Self {
        LogEntry {
            seq: e.seq,
            stream: e.stream,
            version: e.version,
            kind: e.kind,
            schema: e.schema,
            timestamp: e.timestamp,
            payload: e.payload,
            metadata: e.metadata,
            hash: e.hash.to_vec(),
        }
    }
}

/// Converts a list of core log entries.
pub(crate) fn entries(v: Vec<mnemo::LogEntry>) -> Vec<LogEntry> {
    v.into_iter().map(Into::into).collect()
}

/// An event to append to a host stream.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventData {
    /// Event type, e.g. `order.placed` (1-128 bytes).
    pub kind: String,
    /// Body bytes (JSON, protobuf, ... — opaque to Mnemo).
    pub payload: Vec<u8>,
    /// Host metadata bytes (correlation ids, user, ...); may be empty.
    pub metadata: Vec<u8>,
    /// Schema version of the payload, from 1.
    #[uniffi(default = 1)]
    pub schema: u32,
}

impl From<EventData> for mnemo::EventData {
    fn from(e: EventData) -> Self {
        mnemo::EventData {
            kind: e.kind,
            payload: e.payload,
            metadata: e.metadata,
            schema: e.schema,
        }
    }
}

/// Converts a list of events to append.
pub(crate) fn events(v: Vec<EventData>) -> Vec<mnemo::EventData> {
    v.into_iter().map(Into::into).collect()
}

/// What version a stream must be at for an append to succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ExpectedVersion {
    /// No check (the core's `Expected::Any`).
    AnyVersion,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must be at exactly this version.
    Exact {
        /// The version.
        version: u64,
    },
}

impl From<ExpectedVersion> for mnemo::Expected {
    fn from(e: ExpectedVersion) -> Self {
        match e {
            ExpectedVersion::AnyVersion => mnemo::Expected::Any,
            ExpectedVersion::NoStream => mnemo::Expected::NoStream,
            ExpectedVersion::Exact { version } => mnemo::Expected::Exact(version),
        }
    }
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct AppendResult {
    /// Sequence number of the first event appended.
    pub first_seq: u64,
    /// Sequence number of the last event appended.
    pub last_seq: u64,
    /// The stream's version after the append.
    pub version: u64,
}

impl From<mnemo::AppendResult> for AppendResult {
    fn from(r: mnemo::AppendResult) -> Self {
        AppendResult {
            first_seq: r.first_seq,
            last_seq: r.last_seq,
            version: r.version,
        }
    }
}

/// Events for one stream of an `appendMany`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AppendBatch {
    /// The host stream.
    pub stream: String,
    /// The version it must be at.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<EventData>,
}

/// Reading direction within a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReadDirection {
    /// Oldest first, from the given version up.
    Forward,
    /// Newest first, from the given version down.
    Backward,
}

impl From<ReadDirection> for mnemo::ReadDirection {
    fn from(d: ReadDirection) -> Self {
        match d {
            ReadDirection::Forward => mnemo::ReadDirection::Forward,
            ReadDirection::Backward => mnemo::ReadDirection::Backward,
        }
    }
}

/// Selects events when reading the whole log or subscribing. Empty fields match all.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct EventFilter {
    /// Only streams starting with this prefix.
    #[uniffi(default = None)]
    pub stream_prefix: Option<String>,
    /// Only these event types.
    #[uniffi(default = [])]
    pub kinds: Vec<String>,
}

impl From<EventFilter> for mnemo::EventFilter {
    fn from(f: EventFilter) -> Self {
        mnemo::EventFilter {
            stream_prefix: f.stream_prefix,
            kinds: f.kinds,
        }
    }
}

/// How to start a subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct SubscribeOptions {
    /// First sequence number to deliver (default 1). Ignored when `name` has a persisted
    /// checkpoint: the subscription resumes after it instead.
    #[uniffi(default = None)]
    pub from: Option<u64>,
    /// Only entries passing this filter are delivered (none = every entry).
    #[uniffi(default = None)]
    pub filter: Option<EventFilter>,
    /// Persist the position under this name (see `Subscription.checkpoint`).
    #[uniffi(default = None)]
    pub name: Option<String>,
}

impl From<SubscribeOptions> for mnemo::SubscribeOptions {
    fn from(o: SubscribeOptions) -> Self {
        mnemo::SubscribeOptions {
            from: o.from,
            filter: o.filter.map(Into::into).unwrap_or_default(),
            name: o.name,
        }
    }
}

/// Result of checking the log's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogVerification {
    /// Entries checked.
    pub entries: u64,
    /// Hash of the last entry (hex), which commits to the whole log.
    pub head: String,
}

impl From<mnemo::LogVerification> for LogVerification {
    fn from(v: mnemo::LogVerification) -> Self {
        LogVerification {
            entries: v.entries,
            head: v.head,
        }
    }
}

/// A generation of a projection being rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct RebuildProgress {
    /// The generation being built.
    pub generation: u32,
    /// Last event applied to it.
    pub checkpoint: u64,
}

/// A projection's recorded failure.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProjectionError {
    /// The event it failed on.
    pub seq: u64,
    /// What the projection reported.
    pub reason: String,
}

/// Where a projection stands.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProjectionStatus {
    /// Projection name.
    pub name: String,
    /// The generation readers see.
    pub generation: u32,
    /// Last event applied to that generation.
    pub checkpoint: u64,
    /// A generation being rebuilt, if a rebuild is under way.
    pub rebuilding: Option<RebuildProgress>,
    /// The failure that stopped it, if any.
    pub error: Option<ProjectionError>,
    /// The log's last sequence number when the status was read.
    pub head: u64,
    /// Events the active generation has not applied yet (the core's `lag`).
    pub lag: u64,
}

impl From<mnemo::events::projection::ProjectionStatus> for ProjectionStatus {
    fn from(s: mnemo::events::projection::ProjectionStatus) -> Self {
        let lag = s.lag();
        ProjectionStatus {
            name: s.name,
            generation: s.generation,
            checkpoint: s.checkpoint,
            rebuilding: s
                .rebuilding
                .map(|(generation, checkpoint)| RebuildProgress {
                    generation,
                    checkpoint,
                }),
            error: s.error.map(|e| ProjectionError {
                seq: e.seq,
                reason: e.reason,
            }),
            head: s.head,
            lag,
        }
    }
}

/// One key and value of a projection's read model.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ViewEntry {
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
}

/// A stored aggregate snapshot.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Snapshot {
    /// The stream version the state reflects.
    pub version: u64,
    /// The aggregate's state bytes.
    pub state: Vec<u8>,
}

impl From<mnemo::events::snapshot::Snapshot> for Snapshot {
    fn from(s: mnemo::events::snapshot::Snapshot) -> Self {
        Snapshot {
            version: s.version,
            state: s.state,
        }
    }
}

/// A stream's newest snapshot and the events after it (`snapshotAndTail`): fold `events`
/// over the snapshot's state (or the initial state without one) to load the aggregate at
/// `version`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AggregateLoad {
    /// The newest snapshot, if any.
    pub snapshot: Option<Snapshot>,
    /// The events after the snapshot's version (all of them without one), upcast, oldest
    /// first.
    pub events: Vec<LogEntry>,
    /// The stream version the events reach (the snapshot's when none follows it, 0 for a
    /// stream with no events).
    pub version: u64,
}

impl From<mnemo::events::snapshot::AggregateLoad> for AggregateLoad {
    fn from(l: mnemo::events::snapshot::AggregateLoad) -> Self {
        AggregateLoad {
            snapshot: l.snapshot.map(Into::into),
            events: entries(l.events),
            version: l.version,
        }
    }
}

/// What a rebuild of the context views (sessions, sources, prompts, workflows) did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ContextRebuild {
    /// The generation readers see now.
    pub generation: u32,
    /// Log entries replayed.
    pub entries: u64,
    /// Sessions in the rebuilt views.
    pub sessions: u64,
    /// Sources (imported files) in the rebuilt views.
    pub sources: u64,
    /// Prompt template versions in the rebuilt views.
    pub prompt_versions: u64,
    /// Workflow versions in the rebuilt views.
    pub workflow_versions: u64,
}

impl From<mnemo::context_views::ContextRebuild> for ContextRebuild {
    fn from(r: mnemo::context_views::ContextRebuild) -> Self {
        ContextRebuild {
            generation: r.generation,
            entries: r.entries,
            sessions: r.sessions,
            sources: r.sources,
            prompt_versions: r.prompt_versions,
            workflow_versions: r.workflow_versions,
        }
    }
}
