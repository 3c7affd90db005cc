//! Transcript importers: turn the files AI coding tools leave behind into sessions.
//!
//! This module owns format detection and parsing. It is pure (bytes in, parsed sessions out)
//! and never touches storage; `store` persists what it returns together with the original
//! bytes, so that an export gives the file back byte-exact.

use std::ops::Range;

use crate::model::{Message, Millis};

mod aider;
mod claude_export;
mod claude_jsonl;
mod discover;
mod json;
/// Whether bytes are exactly a JSON string literal decoding to a text; public for the fuzz
/// target `json_literal` only.
#[doc(hidden)]
pub use json::literal_decodes_to;
mod specstory;
mod specstory_tools;
mod swe_agent;
mod text;
mod time;
mod title;

#[cfg(test)]
mod tests;

pub use discover::discover;

/// A transcript format Mnemo can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// SpecStory markdown export (`.specstory/history/*.md`) of Cursor / Claude Code / Copilot chats.
    SpecStory,
    /// aider's `.aider.chat.history.md`: many sessions appended in one file.
    AiderHistory,
    /// Claude Code session exported to markdown ("Claude Session Export").
    ClaudeExportMarkdown,
    /// SWE-agent trajectory (`*.traj` JSON).
    SweAgentTrajectory,
    /// Claude Code's native JSONL project log (`~/.claude/projects/*/*.jsonl`).
    ClaudeCodeJsonl,
}

impl Format {
    /// Every format, in detection order.
    pub const ALL: [Format; 5] = [
        Format::ClaudeCodeJsonl,
        Format::SweAgentTrajectory,
        Format::SpecStory,
        Format::ClaudeExportMarkdown,
        Format::AiderHistory,
    ];

    /// Stable lower-case name, stored with each session.
    pub fn name(self) -> &'static str {
        match self {
            Format::SpecStory => "specstory-markdown",
            Format::AiderHistory => "aider-chat-history",
            Format::ClaudeExportMarkdown => "claude-export-markdown",
            Format::SweAgentTrajectory => "swe-agent-trajectory",
            Format::ClaudeCodeJsonl => "claude-code-jsonl",
        }
    }
}

/// A message as parsed, with where its text sits in the source bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    /// The message.
    pub message: Message,
    /// Byte range in the file whose bytes spell `message.text`, either verbatim or as a
    /// JSON string literal (quotes included) that decodes to it. `None` when the text is
    /// not a single such range. The store uses it to avoid storing the text twice.
    pub text_span: Option<Range<usize>>,
}

/// One session found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSession {
    /// The AI tool that produced it (`cursor`, `claude-code`, `copilot`, `aider`, `swe-agent`, ...).
    pub source_tool: String,
    /// Project or repository, when the file says.
    pub project: Option<String>,
    /// Title: the file's, else the first line of the first user message (then metadata
    /// `title_source` is `first user message`), else none.
    pub title: Option<String>,
    /// Start time.
    pub started_at: Option<Millis>,
    /// End time.
    pub ended_at: Option<Millis>,
    /// Files read or changed by tool calls, deduplicated, in first-seen order.
    pub files_touched: Vec<String>,
    /// Other metadata (model, agent id, ...).
    pub metadata: std::collections::BTreeMap<String, String>,
    /// The bytes of the file this session covers. The spans of all sessions of one file are
    /// in order, do not overlap, and together cover the whole file (`0..len`).
    pub span: Range<usize>,
    /// Ordered messages.
    pub messages: Vec<ParsedMessage>,
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    /// The detected format.
    pub format: Format,
    /// Sessions in file order (at least one).
    pub sessions: Vec<ParsedSession>,
}

/// Why a file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// No importer recognises the bytes.
    #[error("unknown transcript format")]
    UnknownFormat,
    /// The file looks like `format` but is malformed.
    #[error("malformed {format} transcript: {reason}")]
    Malformed {
        /// The format name.
        format: &'static str,
        /// What is wrong, for a person.
        reason: String,
    },
}

/// Detects the format of `bytes` from their content and parses them.
///
/// Returns [`ImportError::UnknownFormat`] when no importer recognises the bytes, and
/// [`ImportError::Malformed`] when they look like a format but cannot be read as it.
pub fn parse(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    let format = detect(bytes).ok_or(ImportError::UnknownFormat)?;
    parse_as(format, bytes)
}

/// The format `bytes` look like, if any: the first of [`Format::ALL`] whose signature
/// matches, else SpecStory when some line is a SpecStory turn marker.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    Format::ALL
        .into_iter()
        .find(|&format| looks_like(format, bytes))
        .or_else(|| specstory::has_turn_markers(bytes).then_some(Format::SpecStory))
}

/// Whether `bytes` carry the signature of `format`.
fn looks_like(format: Format, bytes: &[u8]) -> bool {
    match format {
        Format::ClaudeCodeJsonl => claude_jsonl::looks_like(bytes),
        Format::SweAgentTrajectory => swe_agent::looks_like(bytes),
        Format::SpecStory => specstory::looks_like(bytes),
        Format::ClaudeExportMarkdown => claude_export::looks_like(bytes),
        Format::AiderHistory => aider::looks_like(bytes),
    }
}

/// Parses `bytes` as `format`, without detection.
pub fn parse_as(format: Format, bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    let sessions = match format {
        Format::ClaudeCodeJsonl => claude_jsonl::parse(bytes)?,
        Format::SweAgentTrajectory => swe_agent::parse(bytes)?,
        Format::SpecStory => specstory::parse(bytes)?,
        Format::ClaudeExportMarkdown => claude_export::parse(bytes)?,
        Format::AiderHistory => aider::parse(bytes)?,
    };
    let sessions: Vec<ParsedSession> = sessions
        .into_iter()
        .map(|mut s| {
            s.files_touched = text::dedup_in_order(std::mem::take(&mut s.files_touched));
            if s.title.is_none() {
                s.title = title::from_messages(&s.messages);
                if s.title.is_some() {
                    let (key, value) = title::TITLE_SOURCE;
                    s.metadata.insert(key.to_owned(), value.to_owned());
                }
            }
            s
        })
        .collect();
    debug_assert!(
        spans_cover(&sessions, bytes.len()),
        "{format:?}: session spans must tile the file"
    );
    if sessions.is_empty() {
        return Err(ImportError::Malformed {
            format: format.name(),
            reason: "no session found".into(),
        });
    }
    Ok(ParsedFile { format, sessions })
}

impl ParsedFile {
    /// Checks the importer contract for a parse of `bytes`: at least one session; session
    /// spans in order, disjoint and covering `0..bytes.len()`; every `text_span` inside the
    /// file and spelling its message text, verbatim or as a JSON string literal.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), String> {
        if self.sessions.is_empty() {
            return Err("no session".into());
        }
        if !spans_cover(&self.sessions, bytes.len()) {
            return Err("session spans do not tile the file".into());
        }
        let messages = self.sessions.iter().flat_map(|s| s.messages.iter());
        for (i, m) in messages.enumerate() {
            if let Some(span) = &m.text_span {
                if !spells(bytes.get(span.clone()), &m.message.text) {
                    return Err(format!(
                        "message {i}: text_span {span:?} does not spell its text"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether `raw` is `text` verbatim, or a JSON string literal decoding to it.
fn spells(raw: Option<&[u8]>, text: &str) -> bool {
    let Some(raw) = raw else {
        return false;
    };
    raw == text.as_bytes()
        || (raw.first() == Some(&b'"')
            && serde_json::from_slice::<String>(raw).is_ok_and(|decoded| decoded == text))
}

/// Whether the sessions' spans are in order, disjoint, and cover `0..len`.
fn spans_cover(sessions: &[ParsedSession], len: usize) -> bool {
    let mut at = 0;
    for s in sessions {
        if s.span.start != at || s.span.end < s.span.start {
            return false;
        }
        at = s.span.end;
    }
    sessions.is_empty() || at == len
}

/// A session of `source_tool` covering `span`, with nothing else filled in.
fn empty_session(source_tool: &str, span: Range<usize>) -> ParsedSession {
    ParsedSession {
        source_tool: source_tool.to_owned(),
        project: None,
        title: None,
        started_at: None,
        ended_at: None,
        files_touched: Vec::new(),
        metadata: std::collections::BTreeMap::new(),
        span,
        messages: Vec::new(),
    }
}
