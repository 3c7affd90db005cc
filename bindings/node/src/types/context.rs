//! Sessions, imports, search results, prompt templates and workflows as JS objects.

use std::collections::BTreeMap;

use napi_derive::napi;

use super::num;

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
    /// Human title: the file's, else the first line of the first user message (then
    /// `metadata["title_source"]` is `first user message`), else none.
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
