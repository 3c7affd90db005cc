//! Claude Code sessions exported to markdown ("Claude Session Export").
//!
//! This module owns that layout: a `# Claude Session Export` title, a `## Session Information`
//! list (`- **Session ID**: ...`, first/last message dates, project path), then under
//! `## Conversation` one `### User` / `### Assistant` heading per message, each followed by a
//! `> date` line and the message body. A body is either plain text or the raw JSON array of
//! Claude content blocks (`text`, `tool_use`, `tool_result`, `thinking`); tool uses become
//! tool calls, tool results `Role::Tool` messages.

use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::value::RawValue;

use super::json::{convert_blocks, message};
use super::text::{
    first_nonblank_line, lines, lossy, push_item, strip_trailing_rules, text_of, trim, Line,
};
use super::time::parse_loose;
use super::{Format, ImportError, ParsedSession};
use crate::model::{Millis, Role};

/// The export's title line.
const TITLE: &[u8] = b"# Claude Session Export";

/// True when the file starts with the export title.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    first_nonblank_line(bytes) == Some(TITLE)
}

/// A message heading found in the file.
struct Heading {
    role: Role,
    timestamp: Option<Millis>,
    /// Start of the heading line (end of the previous body).
    start: usize,
    /// Start of the body (after the date line).
    body_start: usize,
}

/// Parses an export into its single session.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
    let all: Vec<Line> = lines(bytes).collect();
    let headings = find_headings(&all);
    if headings.is_empty() {
        return Err(ImportError::Malformed {
            format: Format::ClaudeExportMarkdown.name(),
            reason: "no `### User` / `### Assistant` message headings".into(),
        });
    }
    let mut session = super::empty_session("claude-code", 0..bytes.len());
    read_info(&all, &headings, &mut session);
    let ends = headings
        .iter()
        .skip(1)
        .map(|h| h.start)
        .chain(std::iter::once(bytes.len()));
    for (heading, end) in headings.iter().zip(ends) {
        add_body(bytes, heading, heading.body_start..end, &mut session);
    }
    Ok(vec![session])
}

/// Message headings: `### User` or `### Assistant` directly followed by a `> date` line.
fn find_headings(all: &[Line]) -> Vec<Heading> {
    all.windows(2)
        .filter_map(|pair| {
            let [head, date] = pair else { return None };
            let role = match trim(head.text) {
                b"### User" => Role::User,
                b"### Assistant" => Role::Assistant,
                _ => return None,
            };
            let date_text = date.text.strip_prefix(b"> ")?;
            Some(Heading {
                role,
                timestamp: parse_loose(&lossy(date_text)),
                start: head.start,
                body_start: date.next,
            })
        })
        .collect()
}

/// Reads the `- **Key**: value` lines before the first message.
fn read_info(all: &[Line], headings: &[Heading], session: &mut ParsedSession) {
    let first = headings.first().map_or(0, |h| h.start);
    for line in all.iter().take_while(|l| l.start < first) {
        let Some((key, value)) = info_entry(line.text) else {
            continue;
        };
        match key.as_str() {
            "Session ID" => {
                if value.starts_with("agent-") {
                    session.metadata.insert("agent_id".into(), value.clone());
                }
                session.metadata.insert("session_id".into(), value);
            }
            "Project Path" => session.project = Some(value),
            "First Message" => session.started_at = parse_loose(&value),
            "Last Message" => session.ended_at = parse_loose(&value),
            "Export Mode" => insert(&mut session.metadata, "export_mode", value),
            "Total Messages" => insert(&mut session.metadata, "total_messages", value),
            _ => {}
        }
    }
}

/// Inserts a metadata entry.
fn insert(metadata: &mut BTreeMap<String, String>, key: &str, value: String) {
    metadata.insert(key.to_owned(), value);
}

/// `- **Key**: value` (value possibly in backticks) → (key, value).
fn info_entry(line: &[u8]) -> Option<(String, String)> {
    let line = lossy(trim(line));
    let rest = line.strip_prefix("- **")?;
    let (key, value) = rest.split_once("**: ")?;
    let value = value.trim();
    let value = value
        .strip_prefix('`')
        .and_then(|v| v.strip_suffix('`'))
        .unwrap_or(value);
    Some((key.to_owned(), value.to_owned()))
}

/// Adds the messages of one body to the session.
fn add_body(bytes: &[u8], heading: &Heading, body: Range<usize>, session: &mut ParsedSession) {
    let range = strip_trailing_rules(bytes, body);
    let blocks = bytes
        .get(range.clone())
        .filter(|b| b.first() == Some(&b'['))
        .and_then(|b| std::str::from_utf8(b).ok())
        // Parsed straight into its blocks: one pass over the body, not a validating pass
        // and then another.
        .and_then(|s| serde_json::from_str::<Vec<&RawValue>>(s).ok())
        .map(|blocks| convert_blocks(bytes, heading.role, blocks, heading.timestamp));
    match blocks {
        Some(converted) => {
            for f in &converted.files {
                push_item(&mut session.files_touched, f);
            }
            session.messages.extend(converted.messages);
        }
        None => {
            let (text, span) = text_of(bytes, range);
            session.messages.push(message(
                heading.role,
                text,
                span,
                Vec::new(),
                None,
                heading.timestamp,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses through the public entry point, as callers do.
    fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
        super::super::parse_as(Format::ClaudeExportMarkdown, bytes).map(|f| f.sessions)
    }

    const SAMPLE: &str = r#"# Claude Session Export

## Session Information

- **Session ID**: `agent-0010650d`
- **Export Mode**: Full Conversation
- **First Message**: 11/29/2025, 4:51:13 PM
- **Last Message**: 11/29/2025, 4:52:00 PM
- **Project Path**: `/home/u/proj`

---

## Conversation

### User
> 11/29/2025, 4:51:13 PM

---
name: front matter
---
Do it

---

### Assistant
> 11/29/2025, 4:51:20 PM

[
  {
    "type": "tool_use",
    "id": "toolu_1",
    "name": "Read",
    "input": {
      "file_path": "/home/u/proj/a.md"
    }
  }
]

---

### User
> 11/29/2025, 4:51:21 PM

[
  {
    "tool_use_id": "toolu_1",
    "type": "tool_result",
    "content": "file body"
  }
]

---

### Assistant
> 11/29/2025, 4:52:00 PM

[
  {
    "type": "text",
    "text": "Done.\nBye"
  }
]
"#;

    #[test]
    fn parses_info_messages_and_tools() {
        let s = &parse(SAMPLE.as_bytes()).unwrap()[0];
        assert_eq!(s.source_tool, "claude-code");
        assert_eq!(s.project.as_deref(), Some("/home/u/proj"));
        assert_eq!(s.metadata["agent_id"], "agent-0010650d");
        assert_eq!(s.started_at, parse_loose("2025-11-29 16:51:13"));
        assert_eq!(s.ended_at, parse_loose("2025-11-29 16:52:00"));
        let roles: Vec<Role> = s.messages.iter().map(|m| m.message.role).collect();
        assert_eq!(
            roles,
            vec![Role::User, Role::Assistant, Role::Tool, Role::Assistant]
        );
        assert_eq!(
            s.messages[0].message.text,
            "---\nname: front matter\n---\nDo it"
        );
        let call = &s.messages[1].message.tool_calls[0];
        assert_eq!(
            (call.id.as_deref(), call.name.as_str()),
            (Some("toolu_1"), "Read")
        );
        assert_eq!(call.input, r#"{"file_path":"/home/u/proj/a.md"}"#);
        assert_eq!(
            s.messages[2].message.tool_call_id.as_deref(),
            Some("toolu_1")
        );
        assert_eq!(s.files_touched, vec!["/home/u/proj/a.md"]);
        let last = &s.messages[3];
        assert_eq!(last.message.text, "Done.\nBye");
        assert_eq!(&SAMPLE[last.text_span.clone().unwrap()], r#""Done.\nBye""#);
    }

    #[test]
    fn title_without_messages_is_malformed() {
        assert!(matches!(
            parse(b"# Claude Session Export\n\n## Conversation\n"),
            Err(ImportError::Malformed {
                format: "claude-export-markdown",
                ..
            })
        ));
    }

    #[test]
    fn broken_json_body_stays_text() {
        let src = "# Claude Session Export\n\n### Assistant\n> x\n\n[ not json\n";
        let s = &parse(src.as_bytes()).unwrap()[0];
        assert_eq!(s.messages[0].message.text, "[ not json");
        assert!(s.messages[0].message.timestamp.is_none());
    }
}
