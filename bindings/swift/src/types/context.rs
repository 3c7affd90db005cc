//! Sessions, imports, search results, prompt templates and workflows.

use std::collections::HashMap;

use super::Millis;

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
    /// Human title: the file's, else the first line of the first user message (then
    /// `metadata["title_source"]` is `first user message`), else none.
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
