//! aider's `.aider.chat.history.md`: many sessions appended to one file.
//!
//! This module owns the aider layout. Each session starts with
//! `# aider chat started at YYYY-MM-DD HH:MM:SS`; anything before the first header belongs to
//! the first session, so the sessions' spans cover the file. Inside a session aider writes
//! user input as `#### text  ` lines, its own tool output as `> text  ` lines (both with the
//! markdown line break of two trailing spaces), and the model's reply as plain markdown.

use std::collections::BTreeMap;
use std::ops::Range;

use super::json::message;
use super::text::{lines, lossy, push_item, text_of, trim_range, Line};
use super::time::parse_loose;
use super::{Format, ImportError, ParsedMessage, ParsedSession};
use crate::model::Role;

/// The line that starts a session.
const HEADER: &[u8] = b"# aider chat started at ";

/// True when some line is an aider session header.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    lines(bytes).any(|l| l.text.starts_with(HEADER))
}

/// Parses every session of the file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
    let starts: Vec<usize> = lines(bytes)
        .filter(|l| l.text.starts_with(HEADER))
        .map(|l| l.start)
        .collect();
    if starts.is_empty() {
        return Err(ImportError::Malformed {
            format: Format::AiderHistory.name(),
            reason: "no `# aider chat started at` header".into(),
        });
    }
    let ends = starts
        .iter()
        .skip(1)
        .copied()
        .chain(std::iter::once(bytes.len()));
    let sessions = starts
        .iter()
        .zip(ends)
        .enumerate()
        .map(|(i, (&start, end))| parse_session(bytes, if i == 0 { 0 } else { start }..end))
        .collect();
    Ok(sessions)
}

/// What a line of a session is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Header,
    User,
    Tool,
    Blank,
    Reply,
}

/// Classifies a line (without terminator).
fn kind(text: &[u8]) -> Kind {
    if text.starts_with(HEADER) {
        Kind::Header
    } else if text.iter().all(|b| b.is_ascii_whitespace()) {
        Kind::Blank
    } else if (text.starts_with(b"#### ") || text == b"####") && text.ends_with(b"  ") {
        Kind::User
    } else if text.starts_with(b"> ")
        || (text.starts_with(b">") && text.get(1..).is_some_and(|r| r.iter().all(|&b| b == b' ')))
    {
        Kind::Tool
    } else {
        Kind::Reply
    }
}

/// The content of a `#### ` or `> ` line: prefix and the two appended spaces removed.
fn content(line: &Line, prefix_len: usize) -> Range<usize> {
    let start = (line.start + prefix_len).min(line.end);
    let end = if line.text.ends_with(b"  ") {
        line.end.saturating_sub(2)
    } else {
        line.end
    };
    start..end.max(start)
}

/// A run of lines of one kind being collected into a message.
struct Block {
    kind: Kind,
    /// Content ranges of user/tool lines; for replies, the whole lines.
    parts: Vec<Range<usize>>,
}

/// Parses the session covering `span`.
fn parse_session(bytes: &[u8], span: Range<usize>) -> ParsedSession {
    let mut session = super::empty_session("aider", span.clone());
    let body = bytes.get(span.clone()).unwrap_or_default();
    let mut block: Option<Block> = None;
    let mut seen_user = false;
    for mut line in lines(body) {
        line.start += span.start;
        line.end += span.start;
        line.next += span.start;
        let k = kind(line.text);
        match k {
            Kind::Header => {
                let date = lossy(line.text.get(HEADER.len()..).unwrap_or_default());
                session.started_at = session.started_at.or_else(|| parse_loose(&date));
                flush(bytes, &mut block, &mut session, &mut seen_user);
            }
            Kind::Blank => {
                if block.as_ref().is_some_and(|b| b.kind != Kind::Reply) {
                    flush(bytes, &mut block, &mut session, &mut seen_user);
                }
            }
            _ => {
                if block.as_ref().is_some_and(|b| b.kind != k) {
                    flush(bytes, &mut block, &mut session, &mut seen_user);
                }
                let part = match k {
                    Kind::User => content(&line, 5),
                    Kind::Tool => content(&line, 2),
                    _ => line.start..line.end,
                };
                block
                    .get_or_insert(Block {
                        kind: k,
                        parts: Vec::new(),
                    })
                    .parts
                    .push(part);
            }
        }
    }
    flush(bytes, &mut block, &mut session, &mut seen_user);
    session
}

/// Turns the pending block into a message of `session`.
fn flush(
    bytes: &[u8],
    block: &mut Option<Block>,
    session: &mut ParsedSession,
    seen_user: &mut bool,
) {
    let Some(b) = block.take() else {
        return;
    };
    let role = match b.kind {
        Kind::User => Role::User,
        Kind::Tool if *seen_user => Role::Tool,
        Kind::Tool => Role::System,
        _ => Role::Assistant,
    };
    *seen_user |= role == Role::User;
    let (text, span) = block_text(bytes, &b);
    if b.kind == Kind::Tool {
        read_tool_output(&text, session);
    }
    session.messages.push(block_message(role, text, span));
}

/// The block's text: replies verbatim, user/tool lines joined without their markup.
fn block_text(bytes: &[u8], b: &Block) -> (String, Option<Range<usize>>) {
    let (Some(first), Some(last)) = (b.parts.first(), b.parts.last()) else {
        return (String::new(), None);
    };
    if b.kind == Kind::Reply || b.parts.len() == 1 {
        let range = if b.kind == Kind::Reply {
            trim_range(bytes, first.start..last.end)
        } else {
            first.clone()
        };
        return text_of(bytes, range);
    }
    let joined: Vec<String> = b
        .parts
        .iter()
        .map(|r| lossy(bytes.get(r.clone()).unwrap_or_default()))
        .collect();
    (joined.join("\n"), None)
}

/// A message without tool calls.
fn block_message(role: Role, text: String, span: Option<Range<usize>>) -> ParsedMessage {
    message(role, text, span, Vec::new(), None, None)
}

/// Takes metadata and touched files from aider's own output lines.
fn read_tool_output(text: &str, session: &mut ParsedSession) {
    for line in text.lines().map(str::trim) {
        read_banner_line(line, &mut session.metadata);
        if let Some(file) = touched_file(line) {
            push_item(&mut session.files_touched, file);
        }
        if session.project.is_none() {
            session.project = line.strip_prefix("Git working dir: ").map(str::to_owned);
        }
    }
}

/// Banner line prefixes, the metadata key they fill, and whether the value ends at ` with `.
const BANNER: [(&str, &str, bool); 7] = [
    ("Aider v", "aider_version", false),
    ("Main model: ", "model", true),
    ("Model: ", "model", true),
    ("Models: ", "model", true),
    ("Weak model: ", "weak_model", false),
    ("Editor model: ", "editor_model", true),
    ("Git repo: ", "git_repo", true),
];

/// Reads version, model and repository lines of aider's start-up banner.
fn read_banner_line(line: &str, metadata: &mut BTreeMap<String, String>) {
    let entry = BANNER.iter().find_map(|(prefix, key, cut)| {
        let rest = line.strip_prefix(prefix)?;
        let value = if *cut {
            rest.split(" with ").next().unwrap_or(rest)
        } else {
            rest
        };
        Some((*key, value.trim().to_owned()))
    });
    if let Some((key, value)) = entry {
        metadata.entry(key.to_owned()).or_insert(value);
    }
}

/// The file an aider output line says was edited or added to the chat.
fn touched_file(line: &str) -> Option<&str> {
    if let Some(f) = line.strip_prefix("Applied edit to ") {
        return Some(f.trim());
    }
    if let Some(f) = line.strip_prefix("Creating empty file ") {
        return Some(f.trim());
    }
    let rest = line.strip_prefix("Added ")?;
    let file = rest
        .strip_suffix(" to the chat.")
        .or_else(|| rest.strip_suffix(" to the chat (read-only)."))
        .or_else(|| rest.strip_suffix(" to the chat"))?;
    Some(file.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses through the public entry point, as callers do.
    fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
        super::super::parse_as(Format::AiderHistory, bytes).map(|f| f.sessions)
    }

    const SAMPLE: &str = "preamble\n\n# aider chat started at 2025-05-23 16:51:58\n\n\
> Aider v0.86.2  \n> Main model: gpt-4o with diff edit format  \n> Git working dir: /src/app  \n\n\
#### fix the bug  \n#### in main.py  \n\n\
Here is the fix:\n\nmain.py\n```python\nprint(1)\n```\n\n\
> Applied edit to main.py  \n\n\
# aider chat started at 2025-05-24 09:00:00\n\n#### hi  \n";

    #[test]
    fn splits_sessions_and_messages() {
        let sessions = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].span.start, 0);
        assert_eq!(sessions[0].span.end, sessions[1].span.start);
        assert_eq!(sessions[1].span.end, SAMPLE.len());
        let s = &sessions[0];
        assert_eq!(s.started_at, parse_loose("2025-05-23 16:51:58"));
        assert_eq!(s.metadata["aider_version"], "0.86.2");
        assert_eq!(s.metadata["model"], "gpt-4o");
        assert_eq!(s.project.as_deref(), Some("/src/app"));
        assert_eq!(s.files_touched, vec!["main.py"]);
        let roles: Vec<Role> = s.messages.iter().map(|m| m.message.role).collect();
        assert_eq!(
            roles,
            vec![
                Role::Assistant,
                Role::System,
                Role::User,
                Role::Assistant,
                Role::Tool
            ]
        );
        assert_eq!(s.messages[2].message.text, "fix the bug\nin main.py");
        let reply = &s.messages[3];
        assert!(
            reply.message.text.starts_with("Here is the fix:")
                && reply.message.text.ends_with("```")
        );
        assert_eq!(
            &SAMPLE[reply.text_span.clone().unwrap()],
            reply.message.text
        );
        let hi = &sessions[1].messages[0];
        assert_eq!(&SAMPLE[hi.text_span.clone().unwrap()], "hi");
    }

    #[test]
    fn empty_sessions_and_missing_header() {
        let s = parse(b"# aider chat started at 2025-01-01 00:00:00\n# aider chat started at x\n")
            .unwrap();
        assert_eq!(s.len(), 2);
        assert!(s[0].messages.is_empty() && s[1].started_at.is_none());
        assert!(matches!(
            parse(b"hello"),
            Err(ImportError::Malformed { .. })
        ));
    }

    #[test]
    fn reply_headings_stay_replies() {
        let s = parse(
            b"# aider chat started at 2025-01-01 00:00:00\n\n#### q  \n\n#### Heading\ntext\n",
        )
        .unwrap();
        let roles: Vec<Role> = s[0].messages.iter().map(|m| m.message.role).collect();
        assert_eq!(roles, vec![Role::User, Role::Assistant]);
    }
}
