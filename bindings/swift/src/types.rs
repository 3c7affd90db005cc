//! Owned, FFI-friendly mirrors of the core's data types (uniffi records and enums) and the
//! conversions between them. No behaviour lives here: every field is copied from or to the
//! core type of the same name; `BTreeMap`s become `HashMap`s (Kotlin `Map`, Swift
//! `Dictionary`), `usize` becomes `u64`/`u32`, and paths become strings.

use std::collections::HashMap;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// A count or size from the foreign side as the core's `usize` (saturating on 32-bit
/// targets, where a larger value could not be honoured anyway).
pub(crate) fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// How a store is opened (the core's `Options` without the sealing step, which stays the
/// default plaintext seal). Start from [`crate::default_store_options`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreOptions {
    /// Create the directory and store when missing.
    pub create_if_missing: bool,
    /// fsync the write-ahead log on every commit (a machine crash then loses nothing).
    pub sync_writes: bool,
    /// zstd level for values as they are written.
    pub compression_level: i32,
    /// Train per-kind dictionaries once this many sample bytes accumulated (0 = never).
    pub dictionary_training_bytes: u64,
    /// RocksDB block cache size in bytes.
    pub block_cache_bytes: u64,
    /// Largest payload plus metadata of one host event.
    pub max_event_bytes: u64,
}

impl From<&mnemo::Options> for StoreOptions {
    fn from(o: &mnemo::Options) -> Self {
        StoreOptions {
            create_if_missing: o.create_if_missing,
            sync_writes: o.sync_writes,
            compression_level: o.compression_level,
            dictionary_training_bytes: o.dictionary_training_bytes as u64,
            block_cache_bytes: o.block_cache_bytes as u64,
            max_event_bytes: o.max_event_bytes as u64,
        }
    }
}

impl From<StoreOptions> for mnemo::Options {
    fn from(o: StoreOptions) -> Self {
        mnemo::Options {
            create_if_missing: o.create_if_missing,
            sync_writes: o.sync_writes,
            compression_level: o.compression_level,
            dictionary_training_bytes: to_usize(o.dictionary_training_bytes),
            block_cache_bytes: to_usize(o.block_cache_bytes),
            max_event_bytes: to_usize(o.max_event_bytes),
            ..mnemo::Options::default()
        }
    }
}

/// Who spoke a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// The developer.
    User,
    /// The AI assistant.
    Assistant,
    /// System or tool-harness text.
    System,
    /// The result of a tool call, fed back to the assistant.
    Tool,
}

impl From<mnemo::Role> for Role {
    fn from(r: mnemo::Role) -> Self {
        match r {
            mnemo::Role::User => Role::User,
            mnemo::Role::Assistant => Role::Assistant,
            mnemo::Role::System => Role::System,
            mnemo::Role::Tool => Role::Tool,
        }
    }
}

/// A tool invocation made by the assistant inside a message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ToolCall {
    /// Tool-assigned call id, when the source format has one.
    pub id: Option<String>,
    /// Tool name (`Read`, `Bash`, `edit_file`, ...).
    pub name: String,
    /// The call's input as the source recorded it (usually JSON text).
    pub input: String,
}

impl From<mnemo::ToolCall> for ToolCall {
    fn from(t: mnemo::ToolCall) -> Self {
        ToolCall {
            id: t.id,
            name: t.name,
            input: t.input,
        }
    }
}

/// One message of a session.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Message {
    /// Who spoke.
    pub role: Role,
    /// The message text (for tool results: the tool's output).
    pub text: String,
    /// When it was said, if the source records it.
    pub timestamp: Option<Millis>,
    /// Tool calls the assistant made in this message.
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message: the id of the call it answers, when known.
    pub tool_call_id: Option<String>,
}

impl From<mnemo::Message> for Message {
    fn from(m: mnemo::Message) -> Self {
        Message {
            role: m.role.into(),
            text: m.text,
            timestamp: m.timestamp,
            tool_calls: m.tool_calls.into_iter().map(Into::into).collect(),
            tool_call_id: m.tool_call_id,
        }
    }
}

/// A session's metadata.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionInfo {
    /// Stable id (hex); any unique prefix also names the session.
    pub id: String,
    /// The AI tool that produced it (`cursor`, `claude-code`, `aider`, `swe-agent`, ...).
    pub source_tool: String,
    /// The transcript format it was imported from.
    pub format: String,
    /// Project or repository the session worked on, when known.
    pub project: Option<String>,
    /// Human title, when known.
    pub title: Option<String>,
    /// Start time.
    pub started_at: Option<Millis>,
    /// End time.
    pub ended_at: Option<Millis>,
    /// Files the session read or changed, as named by its tool calls.
    pub files_touched: Vec<String>,
    /// Free-form metadata from the source (model name, agent id, ...).
    pub metadata: HashMap<String, String>,
    /// Number of messages.
    pub message_count: u32,
    /// Length in bytes of the original transcript bytes of this session.
    pub raw_len: u64,
}

impl From<mnemo::SessionInfo> for SessionInfo {
    fn from(s: mnemo::SessionInfo) -> Self {
        SessionInfo {
            id: s.id,
            source_tool: s.source_tool,
            format: s.format,
            project: s.project,
            title: s.title,
            started_at: s.started_at,
            ended_at: s.ended_at,
            files_touched: s.files_touched,
            metadata: s.metadata.into_iter().collect(),
            message_count: s.message_count,
            raw_len: s.raw_len,
        }
    }
}

/// A session with all its messages.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Session {
    /// Metadata.
    pub info: SessionInfo,
    /// Messages in order.
    pub messages: Vec<Message>,
}

impl From<mnemo::Session> for Session {
    fn from(s: mnemo::Session) -> Self {
        Session {
            info: s.info.into(),
            messages: s.messages.into_iter().map(Into::into).collect(),
        }
    }
}

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportedFile {
    /// BLAKE3 of the file, hex: the id for `exportSource`.
    pub source_id: String,
    /// Detected format.
    pub format: String,
    /// Ids of the sessions added by this import.
    pub imported: Vec<String>,
    /// Sessions of the file that were already stored.
    pub already_stored: u64,
    /// File size in bytes.
    pub bytes: u64,
}

impl From<mnemo::ImportedFile> for ImportedFile {
    fn from(f: mnemo::ImportedFile) -> Self {
        ImportedFile {
            source_id: f.source_id,
            format: f.format,
            imported: f.imported,
            already_stored: f.already_stored as u64,
            bytes: f.bytes,
        }
    }
}

/// The outcome of importing one file of a multi-file import: `file` on success, `error`
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FileReport {
    /// The file.
    pub path: String,
    /// What the import did, when it succeeded.
    pub file: Option<ImportedFile>,
    /// Why it failed, when it did.
    pub error: Option<crate::ErrorInfo>,
}

/// The outcome of a multi-file import.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportSummary {
    /// One report per file, in order.
    pub files: Vec<FileReport>,
    /// Sessions added.
    pub sessions_imported: u64,
    /// Sessions that were already stored.
    pub sessions_already_stored: u64,
}

impl From<mnemo::ImportSummary> for ImportSummary {
    fn from(s: mnemo::ImportSummary) -> Self {
        let sessions_imported = s.sessions_imported() as u64;
        let sessions_already_stored = s.sessions_already_stored() as u64;
        ImportSummary {
            files: s
                .files
                .into_iter()
                .map(|f| {
                    let path = f.path.to_string_lossy().into_owned();
                    match f.outcome {
                        Ok(file) => FileReport {
                            path,
                            file: Some(file.into()),
                            error: None,
                        },
                        Err(e) => FileReport {
                            path,
                            file: None,
                            error: Some((&e).into()),
                        },
                    }
                })
                .collect(),
            sessions_imported,
            sessions_already_stored,
        }
    }
}

/// Filters for listing and searching sessions. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct SessionFilter {
    /// Only sessions from this tool (`cursor`, `aider`, ...).
    #[uniffi(default = None)]
    pub source_tool: Option<String>,
    /// Only sessions whose project contains this text.
    #[uniffi(default = None)]
    pub project: Option<String>,
    /// Only sessions started at or after this time.
    #[uniffi(default = None)]
    pub since: Option<Millis>,
    /// Only sessions started before this time.
    #[uniffi(default = None)]
    pub until: Option<Millis>,
    /// At most this many results (newest first); `null`/`nil` = all. Ignored by `search`,
    /// which has its own limit.
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

impl From<SessionFilter> for mnemo::SessionFilter {
    fn from(f: SessionFilter) -> Self {
        mnemo::SessionFilter {
            source_tool: f.source_tool,
            project: f.project,
            since: f.since,
            until: f.until,
            limit: f.limit.map(|n| n as usize),
        }
    }
}

/// A message that matched a search.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MessageMatch {
    /// Index in the session.
    pub index: u32,
    /// Who spoke.
    pub role: Role,
    /// BM25 score.
    pub score: f64,
    /// A short excerpt around the first matching term.
    pub snippet: String,
}

/// A session that matched a search, with its best messages.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SearchResult {
    /// The session.
    pub session: SessionInfo,
    /// Relevance (higher is better).
    pub score: f64,
    /// Best matching messages.
    pub messages: Vec<MessageMatch>,
}

impl From<mnemo::SearchResult> for SearchResult {
    fn from(r: mnemo::SearchResult) -> Self {
        SearchResult {
            session: r.session.into(),
            score: r.score,
            messages: r
                .messages
                .into_iter()
                .map(|m| MessageMatch {
                    index: m.index,
                    role: m.role.into(),
                    score: m.score,
                    snippet: m.snippet,
                })
                .collect(),
        }
    }
}

/// A prompt template version: a named text with `{{variable}}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PromptTemplate {
    /// Template name.
    pub name: String,
    /// Version number, from 1, assigned by the store.
    pub version: u32,
    /// The template text.
    pub body: String,
    /// Variables the body uses, in order of first appearance.
    pub variables: Vec<String>,
    /// When this version was added.
    pub created_at: Millis,
}

impl From<mnemo::PromptTemplate> for PromptTemplate {
    fn from(t: mnemo::PromptTemplate) -> Self {
        PromptTemplate {
            name: t.name,
            version: t.version,
            body: t.body,
            variables: t.variables,
            created_at: t.created_at,
        }
    }
}

/// One step of a workflow: a prompt template to render, with fixed values.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkflowStep {
    /// Step name, unique within the workflow.
    pub name: String,
    /// The prompt template this step renders.
    pub prompt: String,
    /// A label (`production`) or version number (`3`) of that prompt; none means `latest`.
    #[uniffi(default = None)]
    pub prompt_ref: Option<String>,
    /// Values bound for this step.
    pub values: HashMap<String, String>,
}

impl From<mnemo::WorkflowStep> for WorkflowStep {
    fn from(s: mnemo::WorkflowStep) -> Self {
        WorkflowStep {
            name: s.name,
            prompt: s.prompt,
            prompt_ref: s.prompt_ref,
            values: s.values.into_iter().collect(),
        }
    }
}

impl From<WorkflowStep> for mnemo::WorkflowStep {
    fn from(s: WorkflowStep) -> Self {
        mnemo::WorkflowStep {
            name: s.name,
            prompt: s.prompt,
            prompt_ref: s.prompt_ref,
            values: s.values.into_iter().collect(),
        }
    }
}

/// A workflow version: a named, ordered list of steps.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Workflow {
    /// Workflow name.
    pub name: String,
    /// Version number, from 1, assigned by the store.
    pub version: u32,
    /// Ordered steps.
    pub steps: Vec<WorkflowStep>,
    /// When this version was added.
    pub created_at: Millis,
}

impl From<mnemo::Workflow> for Workflow {
    fn from(w: mnemo::Workflow) -> Self {
        Workflow {
            name: w.name,
            version: w.version,
            steps: w.steps.into_iter().map(Into::into).collect(),
            created_at: w.created_at,
        }
    }
}

/// One rendered step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RenderedStep {
    /// Step name.
    pub step: String,
    /// Template name.
    pub prompt: String,
    /// Version of the template used.
    pub prompt_version: u32,
    /// The rendered text.
    pub text: String,
}

impl From<mnemo::workflows::RenderedStep> for RenderedStep {
    fn from(r: mnemo::workflows::RenderedStep) -> Self {
        RenderedStep {
            step: r.step,
            prompt: r.prompt,
            prompt_version: r.prompt_version,
            text: r.text,
        }
    }
}

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

/// Running totals of a store.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Counters {
    /// Sessions stored.
    pub sessions: u64,
    /// Messages stored.
    pub messages: u64,
    /// Distinct source files imported.
    pub sources: u64,
    /// Bytes of the imported source files (each distinct file counted once).
    pub raw_bytes: u64,
    /// Distinct session blobs stored.
    pub blobs: u64,
    /// Uncompressed bytes of the distinct blobs.
    pub blob_bytes: u64,
    /// Bytes of the stored blob frames (after compression).
    pub blob_stored_bytes: u64,
    /// Bytes of log entries written (after compression).
    pub log_stored_bytes: u64,
    /// Blob bytes not stored because the same content was already stored.
    pub dedup_bytes: u64,
    /// Indexed tokens over all messages.
    pub tokens: u64,
    /// Prompt template versions stored.
    pub prompt_versions: u64,
    /// Workflow versions stored.
    pub workflow_versions: u64,
}

impl From<mnemo::Counters> for Counters {
    fn from(c: mnemo::Counters) -> Self {
        Counters {
            sessions: c.sessions,
            messages: c.messages,
            sources: c.sources,
            raw_bytes: c.raw_bytes,
            blobs: c.blobs,
            blob_bytes: c.blob_bytes,
            blob_stored_bytes: c.blob_stored_bytes,
            log_stored_bytes: c.log_stored_bytes,
            dedup_bytes: c.dedup_bytes,
            tokens: c.tokens,
            prompt_versions: c.prompt_versions,
            workflow_versions: c.workflow_versions,
        }
    }
}

/// Size of one column family on disk.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ColumnFamilySize {
    /// Column family name.
    pub name: String,
    /// Bytes in SST files plus memtables.
    pub bytes: u64,
}

/// A snapshot of the store's statistics.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stats {
    /// Running counters.
    pub counters: Counters,
    /// Last log sequence number.
    pub last_seq: u64,
    /// Trained dictionaries.
    pub dictionaries: u32,
    /// Bytes stored for context content (compressed blobs plus compressed log entries).
    pub stored_content_bytes: u64,
    /// Per column family sizes on disk.
    pub column_families: Vec<ColumnFamilySize>,
    /// Raw imported bytes divided by stored content bytes (the core's `compression_ratio`).
    pub compression_ratio: f64,
    /// Total bytes over all column families (the core's `disk_bytes`).
    pub disk_bytes: u64,
}

impl From<mnemo::Stats> for Stats {
    fn from(s: mnemo::Stats) -> Self {
        let compression_ratio = s.compression_ratio();
        let disk_bytes = s.disk_bytes();
        Stats {
            counters: s.counters.into(),
            last_seq: s.last_seq,
            dictionaries: s.dictionaries,
            stored_content_bytes: s.stored_content_bytes,
            column_families: s
                .column_families
                .into_iter()
                .map(|c| ColumnFamilySize {
                    name: c.name,
                    bytes: c.bytes,
                })
                .collect(),
            compression_ratio,
            disk_bytes,
        }
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct CompactionReport {
    /// Blobs examined.
    pub blobs: u64,
    /// Blobs rewritten (their new frame was smaller).
    pub rewritten: u64,
    /// Stored bytes of the examined blobs before.
    pub bytes_before: u64,
    /// Stored bytes of the examined blobs after.
    pub bytes_after: u64,
}

impl From<mnemo::compaction::CompactionReport> for CompactionReport {
    fn from(r: mnemo::compaction::CompactionReport) -> Self {
        CompactionReport {
            blobs: r.blobs,
            rewritten: r.rewritten,
            bytes_before: r.bytes_before,
            bytes_after: r.bytes_after,
        }
    }
}

/// The kind of content a compression dictionary is trained for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ContentKind {
    /// Raw transcript bytes.
    Transcript,
    /// Structured records (session metadata, log entries).
    Record,
    /// Prompt template and workflow bodies.
    Prompt,
    /// Anything else.
    Other,
}

impl From<mnemo::codec::ContentKind> for ContentKind {
    fn from(k: mnemo::codec::ContentKind) -> Self {
        match k {
            mnemo::codec::ContentKind::Transcript => ContentKind::Transcript,
            mnemo::codec::ContentKind::Record => ContentKind::Record,
            mnemo::codec::ContentKind::Prompt => ContentKind::Prompt,
            mnemo::codec::ContentKind::Other => ContentKind::Other,
        }
    }
}

/// A dictionary trained by `retrainDictionaries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TrainedDictionary {
    /// The content kind it compresses.
    pub kind: ContentKind,
    /// Its new dictionary id.
    pub id: u32,
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
