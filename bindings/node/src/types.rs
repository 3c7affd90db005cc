//! The plain JavaScript objects the binding hands out and takes in.
//!
//! Each `#[napi(object)]` struct here is built from the matching core type (on a libuv
//! worker thread, so the main thread only copies fields into JS objects) and becomes a
//! plain JS object with camelCase keys; `Option` fields become `null`. Numbers that are
//! `u64` in the core (sequence numbers, byte counts, times) are JS numbers: exact up to
//! 2^53, far beyond what a store reaches. This module holds no logic, only field copies.

use std::collections::BTreeMap;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// Converts a core `u64` to the `i64` napi turns into a JS number.
pub(crate) fn num(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Converts a JS-side integer (already checked non-negative by `index.js`) to `u64`.
pub(crate) fn unum(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Converts a JS-side size (checked non-negative by `index.js`) to `usize`.
fn usize_of(v: i64) -> usize {
    usize::try_from(v).unwrap_or(0)
}

/// Options of `Mnemo.open`; absent fields keep the core defaults.
#[napi(object)]
#[derive(Default)]
pub struct OpenOptions {
    /// Create the directory and store when missing (default `true`).
    pub create_if_missing: Option<bool>,
    /// fsync the write-ahead log on every commit (default `true`).
    pub sync_writes: Option<bool>,
    /// zstd level for values (default 3).
    pub compression_level: Option<i32>,
    /// Train dictionaries once this many sample bytes of a kind accumulated (default 1 MiB;
    /// 0 disables automatic training).
    pub dictionary_training_bytes: Option<i64>,
    /// RocksDB block cache size in bytes (default 64 MiB).
    pub block_cache_bytes: Option<i64>,
    /// Largest payload plus metadata of one host event (default 4 MiB).
    pub max_event_bytes: Option<i64>,
    /// Memory for decompressed session blobs (default 64 MiB; 0 disables).
    pub blob_cache_bytes: Option<i64>,
}

impl From<OpenOptions> for mnemo::Options {
    fn from(o: OpenOptions) -> Self {
        let d = mnemo::Options::default();
        mnemo::Options {
            create_if_missing: o.create_if_missing.unwrap_or(d.create_if_missing),
            sync_writes: o.sync_writes.unwrap_or(d.sync_writes),
            compression_level: o.compression_level.unwrap_or(d.compression_level),
            dictionary_training_bytes: o
                .dictionary_training_bytes
                .map_or(d.dictionary_training_bytes, usize_of),
            block_cache_bytes: o.block_cache_bytes.map_or(d.block_cache_bytes, usize_of),
            max_event_bytes: o.max_event_bytes.map_or(d.max_event_bytes, usize_of),
            blob_cache_bytes: o.blob_cache_bytes.map_or(d.blob_cache_bytes, usize_of),
            ..d
        }
    }
}

/// Filters for `listSessions` and `search`; absent fields match everything.
#[napi(object)]
#[derive(Default)]
pub struct SessionFilter {
    /// Only sessions from this tool (`cursor`, `aider`, ...).
    pub source_tool: Option<String>,
    /// Only sessions whose project contains this text.
    pub project: Option<String>,
    /// Only sessions started at or after this time (ms since the Unix epoch).
    pub since: Option<i64>,
    /// Only sessions started before this time (ms since the Unix epoch).
    pub until: Option<i64>,
    /// At most this many results.
    pub limit: Option<u32>,
}

impl From<SessionFilter> for mnemo::SessionFilter {
    fn from(f: SessionFilter) -> Self {
        mnemo::SessionFilter {
            source_tool: f.source_tool,
            project: f.project,
            since: f.since,
            until: f.until,
            limit: f.limit.map(|l| l as usize),
        }
    }
}

/// A session's metadata.
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Stable id (hex).
    pub id: String,
    /// The AI tool that produced it (`cursor`, `claude-code`, `aider`, `swe-agent`, ...).
    pub source_tool: String,
    /// The transcript format it was imported from.
    pub format: String,
    /// Project or repository, when known.
    pub project: Option<String>,
    /// Human title, when known.
    pub title: Option<String>,
    /// Start time (ms since the Unix epoch).
    pub started_at: Option<i64>,
    /// End time (ms since the Unix epoch).
    pub ended_at: Option<i64>,
    /// Files the session read or changed.
    pub files_touched: Vec<String>,
    /// Free-form metadata from the source (model name, agent id, ...).
    pub metadata: BTreeMap<String, String>,
    /// Number of messages.
    pub message_count: u32,
    /// Length in bytes of the original transcript bytes of this session.
    pub raw_len: i64,
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
            metadata: s.metadata,
            message_count: s.message_count,
            raw_len: num(s.raw_len),
        }
    }
}

/// A tool invocation made by the assistant inside a message.
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    /// Tool-assigned call id, when the source format has one.
    pub id: Option<String>,
    /// Tool name (`Read`, `Bash`, `edit_file`, ...).
    pub name: String,
    /// The call's input as the source recorded it (usually JSON text).
    pub input: String,
}

/// One message of a session.
#[napi(object, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// `user`, `assistant`, `system` or `tool`.
    pub role: String,
    /// The message text (for tool results: the tool's output).
    pub text: String,
    /// When it was said (ms since the Unix epoch), if the source records it.
    pub timestamp: Option<i64>,
    /// Tool calls the assistant made in this message.
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` message: the id of the call it answers, when known.
    pub tool_call_id: Option<String>,
}

impl From<mnemo::Message> for Message {
    fn from(m: mnemo::Message) -> Self {
        Message {
            role: m.role.as_str().to_string(),
            text: m.text,
            timestamp: m.timestamp,
            tool_calls: m
                .tool_calls
                .into_iter()
                .map(|c| ToolCall {
                    id: c.id,
                    name: c.name,
                    input: c.input,
                })
                .collect(),
            tool_call_id: m.tool_call_id,
        }
    }
}

/// A session with all its messages.
#[napi(object)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
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
            messages: s.messages.into_iter().map(Message::from).collect(),
        }
    }
}

/// What importing one file did.
#[napi(object)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedFile {
    /// BLAKE3 of the file, hex: the id for `exportSource`.
    pub source_id: String,
    /// Detected format.
    pub format: String,
    /// Ids of the sessions added by this import.
    pub imported: Vec<String>,
    /// Sessions of the file that were already stored.
    pub already_stored: u32,
    /// File size in bytes.
    pub bytes: i64,
}

impl From<mnemo::ImportedFile> for ImportedFile {
    fn from(f: mnemo::ImportedFile) -> Self {
        ImportedFile {
            source_id: f.source_id,
            format: f.format,
            imported: f.imported,
            already_stored: u32::try_from(f.already_stored).unwrap_or(u32::MAX),
            bytes: num(f.bytes),
        }
    }
}

/// An error as data (inside a multi-file import report); `index.js` turns it into a
/// `MnemoError` subclass.
#[napi(object)]
pub struct ErrorInfo {
    /// `Error::code()` of the core error (`unknown_format`, `import`, `io`, ...).
    pub code: String,
    /// The error message.
    pub message: String,
}

impl From<&mnemo::Error> for ErrorInfo {
    fn from(e: &mnemo::Error) -> Self {
        ErrorInfo {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// The outcome of importing one file of `importPaths`.
#[napi(object, use_nullable = true)]
pub struct FileReport {
    /// The file.
    pub path: String,
    /// What the import did, when it succeeded.
    pub result: Option<ImportedFile>,
    /// Why it failed, when it failed.
    pub error: Option<ErrorInfo>,
}

/// The outcome of `importPaths`.
#[napi(object)]
pub struct ImportSummary {
    /// One report per file, in order.
    pub files: Vec<FileReport>,
    /// Sessions added.
    pub sessions_imported: u32,
    /// Sessions that were already stored.
    pub sessions_already_stored: u32,
}

impl From<mnemo::ImportSummary> for ImportSummary {
    fn from(s: mnemo::ImportSummary) -> Self {
        let sessions_imported = u32::try_from(s.sessions_imported()).unwrap_or(u32::MAX);
        let sessions_already_stored =
            u32::try_from(s.sessions_already_stored()).unwrap_or(u32::MAX);
        ImportSummary {
            files: s
                .files
                .into_iter()
                .map(|f| {
                    let path = f.path.display().to_string();
                    match f.outcome {
                        Ok(r) => FileReport {
                            path,
                            result: Some(r.into()),
                            error: None,
                        },
                        Err(e) => FileReport {
                            path,
                            result: None,
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

/// Progress of `importPaths`, passed to `onProgress` after each file.
#[napi(object)]
pub struct ImportProgress {
    /// Files done so far.
    pub done: u32,
    /// Files in all.
    pub total: u32,
    /// The file just done.
    pub path: String,
}

/// A message that matched a search.
#[napi(object)]
pub struct MessageMatch {
    /// Index in the session.
    pub index: u32,
    /// Who spoke.
    pub role: String,
    /// BM25 score.
    pub score: f64,
    /// A short excerpt around the first matching term.
    pub snippet: String,
}

/// A session that matched a search, with its best messages.
#[napi(object)]
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
                    role: m.role.as_str().to_string(),
                    score: m.score,
                    snippet: m.snippet,
                })
                .collect(),
        }
    }
}

/// A prompt template version.
#[napi(object)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptTemplate {
    /// Template name.
    pub name: String,
    /// Version number, from 1.
    pub version: u32,
    /// The template text with `{{variable}}` placeholders.
    pub body: String,
    /// Variables the body uses, in order of first appearance.
    pub variables: Vec<String>,
    /// When this version was added (ms since the Unix epoch).
    pub created_at: i64,
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

/// One step of a workflow.
#[napi(object, use_nullable = true)]
pub struct WorkflowStep {
    /// Step name, unique within the workflow.
    pub name: String,
    /// The prompt template this step renders.
    pub prompt: String,
    /// A label (`production`) or version number (`"3"`) of that prompt; `null` = `latest`.
    pub prompt_ref: Option<String>,
    /// Values bound for this step.
    pub values: BTreeMap<String, String>,
}

/// A workflow step as given to `addWorkflow` (`promptRef` and `values` may be left out).
#[napi(object)]
pub struct WorkflowStepInput {
    /// Step name, unique within the workflow.
    pub name: String,
    /// The prompt template this step renders.
    pub prompt: String,
    /// A label or version number of that prompt; absent = `latest`.
    pub prompt_ref: Option<String>,
    /// Values bound for this step.
    pub values: Option<BTreeMap<String, String>>,
}

impl From<WorkflowStepInput> for mnemo::WorkflowStep {
    fn from(s: WorkflowStepInput) -> Self {
        mnemo::WorkflowStep {
            name: s.name,
            prompt: s.prompt,
            prompt_ref: s.prompt_ref,
            values: s.values.unwrap_or_default(),
        }
    }
}

/// A workflow version.
#[napi(object)]
pub struct Workflow {
    /// Workflow name.
    pub name: String,
    /// Version number, from 1.
    pub version: u32,
    /// Ordered steps.
    pub steps: Vec<WorkflowStep>,
    /// When this version was added (ms since the Unix epoch).
    pub created_at: i64,
}

impl From<mnemo::Workflow> for Workflow {
    fn from(w: mnemo::Workflow) -> Self {
        Workflow {
            name: w.name,
            version: w.version,
            steps: w
                .steps
                .into_iter()
                .map(|s| WorkflowStep {
                    name: s.name,
                    prompt: s.prompt,
                    prompt_ref: s.prompt_ref,
                    values: s.values,
                })
                .collect(),
            created_at: w.created_at,
        }
    }
}

/// One rendered step of a workflow.
#[napi(object)]
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
    fn from(s: mnemo::workflows::RenderedStep) -> Self {
        RenderedStep {
            step: s.step,
            prompt: s.prompt,
            prompt_version: s.prompt_version,
            text: s.text,
        }
    }
}

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

/// Running totals of a store.
#[napi(object)]
pub struct Counters {
    /// Sessions stored.
    pub sessions: i64,
    /// Messages stored.
    pub messages: i64,
    /// Distinct source files imported.
    pub sources: i64,
    /// Bytes of the imported source files (each distinct file counted once).
    pub raw_bytes: i64,
    /// Distinct session blobs stored.
    pub blobs: i64,
    /// Uncompressed bytes of the distinct blobs.
    pub blob_bytes: i64,
    /// Bytes of the stored blob frames (after compression).
    pub blob_stored_bytes: i64,
    /// Bytes of log entries written (after compression).
    pub log_stored_bytes: i64,
    /// Blob bytes not stored because the same content was already stored.
    pub dedup_bytes: i64,
    /// Indexed tokens over all messages.
    pub tokens: i64,
    /// Prompt template versions stored.
    pub prompt_versions: i64,
    /// Workflow versions stored.
    pub workflow_versions: i64,
}

/// Size of one column family on disk.
#[napi(object)]
pub struct ColumnFamilySize {
    /// Column family name.
    pub name: String,
    /// Bytes in SST files plus memtables.
    pub bytes: i64,
}

/// A snapshot of the store's statistics.
#[napi(object)]
pub struct Stats {
    /// Running counters.
    pub counters: Counters,
    /// Last log sequence number.
    pub last_seq: i64,
    /// Trained dictionaries.
    pub dictionaries: u32,
    /// Bytes stored for context content: compressed session blobs plus compressed log entries.
    pub stored_content_bytes: i64,
    /// Raw imported bytes divided by stored content bytes (higher is better).
    pub compression_ratio: f64,
    /// Total bytes over all column families.
    pub disk_bytes: i64,
    /// Per column family sizes on disk (SST + memtable).
    pub column_families: Vec<ColumnFamilySize>,
}

impl From<mnemo::Stats> for Stats {
    fn from(s: mnemo::Stats) -> Self {
        let compression_ratio = s.compression_ratio();
        let disk_bytes = num(s.disk_bytes());
        let c = s.counters;
        Stats {
            counters: Counters {
                sessions: num(c.sessions),
                messages: num(c.messages),
                sources: num(c.sources),
                raw_bytes: num(c.raw_bytes),
                blobs: num(c.blobs),
                blob_bytes: num(c.blob_bytes),
                blob_stored_bytes: num(c.blob_stored_bytes),
                log_stored_bytes: num(c.log_stored_bytes),
                dedup_bytes: num(c.dedup_bytes),
                tokens: num(c.tokens),
                prompt_versions: num(c.prompt_versions),
                workflow_versions: num(c.workflow_versions),
            },
            last_seq: num(s.last_seq),
            dictionaries: s.dictionaries,
            stored_content_bytes: num(s.stored_content_bytes),
            compression_ratio,
            disk_bytes,
            column_families: s
                .column_families
                .into_iter()
                .map(|c| ColumnFamilySize {
                    name: c.name,
                    bytes: num(c.bytes),
                })
                .collect(),
        }
    }
}

/// A dictionary trained by `retrainDictionaries`.
#[napi(object)]
pub struct TrainedDictionary {
    /// Content kind: `transcript`, `record`, `prompt` or `other`.
    pub kind: String,
    /// The new dictionary's id.
    pub dictionary_id: u32,
}

impl From<(mnemo::codec::ContentKind, u32)> for TrainedDictionary {
    fn from((kind, id): (mnemo::codec::ContentKind, u32)) -> Self {
        use mnemo::codec::ContentKind;
        let kind = match kind {
            ContentKind::Transcript => "transcript",
            ContentKind::Record => "record",
            ContentKind::Prompt => "prompt",
            ContentKind::Other => "other",
        };
        TrainedDictionary {
            kind: kind.to_string(),
            dictionary_id: id,
        }
    }
}

/// What `compact` did.
#[napi(object)]
pub struct CompactionReport {
    /// Blobs examined.
    pub blobs: i64,
    /// Blobs rewritten (their new frame was smaller).
    pub rewritten: i64,
    /// Stored bytes of the examined blobs before.
    pub bytes_before: i64,
    /// Stored bytes of the examined blobs after.
    pub bytes_after: i64,
}

impl From<mnemo::compaction::CompactionReport> for CompactionReport {
    fn from(r: mnemo::compaction::CompactionReport) -> Self {
        CompactionReport {
            blobs: num(r.blobs),
            rewritten: num(r.rewritten),
            bytes_before: num(r.bytes_before),
            bytes_after: num(r.bytes_after),
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
