//! The context model: what AI coding tools produce, as Mnemo stores it.
//!
//! This module owns the plain data types (sessions, messages, tool calls, prompt templates,
//! workflows). It holds no storage logic; `store` persists these types and `import` builds
//! them from transcript files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// Who spoke a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The developer.
    User,
    /// The AI assistant.
    Assistant,
    /// System or tool-harness text (setup banners, instructions).
    System,
    /// The result of a tool call, fed back to the assistant.
    Tool,
}

impl Role {
    /// Lower-case name, as used in the CLI and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
            Role::Tool => "tool",
        }
    }
}

/// A tool invocation made by the assistant inside a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Tool-assigned call id, when the source format has one.
    pub id: Option<String>,
    /// Tool name (`Read`, `Bash`, `edit_file`, ...).
    pub name: String,
    /// The call's input as the source recorded it (usually JSON text).
    pub input: String,
}

/// One message of a session, as produced by an importer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who spoke.
    pub role: Role,
    /// The message text (for tool results: the tool's output).
    pub text: String,
    /// When it was said, if the source records it.
    pub timestamp: Option<Millis>,
    /// Tool calls the assistant made in this message.
    pub tool_calls: Vec<ToolCall>,
    /// For a `Role::Tool` message: the id of the call it answers, when known.
    pub tool_call_id: Option<String>,
}

/// A conversation between a developer and an AI coding tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Stable id: derived from the source bytes and the session's position in them.
    pub id: String,
    /// The AI tool that produced it (`cursor`, `claude-code`, `aider`, `swe-agent`, ...).
    pub source_tool: String,
    /// The transcript format it was imported from (see [`crate::import::Format`]).
    pub format: String,
    /// Project or repository the session worked on, when known.
    pub project: Option<String>,
    /// Human title: the one the file gives, else the first line of the first user message
    /// (metadata `title_source` then says `first user message`); none for a session with
    /// no words of the developer.
    pub title: Option<String>,
    /// Start time.
    pub started_at: Option<Millis>,
    /// End time.
    pub ended_at: Option<Millis>,
    /// Files the session read or changed, as named by its tool calls.
    pub files_touched: Vec<String>,
    /// Free-form metadata from the source (model name, agent id, ...).
    pub metadata: BTreeMap<String, String>,
    /// Number of messages.
    pub message_count: u32,
    /// Length in bytes of the original transcript bytes this session was imported from.
    pub raw_len: u64,
}

/// A prompt template: a named, versioned text with `{{variable}}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplate {
    /// Template name (unique key together with `version`).
    pub name: String,
    /// Version number, starting at 1, assigned by the store.
    pub version: u32,
    /// The template text.
    pub body: String,
    /// Variables the body uses, in order of first appearance.
    pub variables: Vec<String>,
    /// When this version was added.
    pub created_at: Millis,
}

/// One step of a workflow: a prompt template to render, with fixed values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowStep {
    /// Step name, unique within the workflow.
    pub name: String,
    /// The prompt template this step renders.
    pub prompt: String,
    /// A label (`production`) or version number (`3`) of that prompt; `None` means `latest`.
    pub prompt_ref: Option<String>,
    /// Values bound for this step.
    pub values: BTreeMap<String, String>,
}

/// A workflow: a named, versioned, ordered list of steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    /// Workflow name.
    pub name: String,
    /// Version number, starting at 1, assigned by the store.
    pub version: u32,
    /// Ordered steps.
    pub steps: Vec<WorkflowStep>,
    /// When this version was added.
    pub created_at: Millis,
}
