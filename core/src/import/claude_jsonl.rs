//! Claude Code's native JSONL project logs (`~/.claude/projects/<project>/<session>.jsonl`).
//!
//! This module owns the log layout: one JSON object per line with `type` (`user`,
//! `assistant`, `system`, `summary`, others ignored), `sessionId`, `timestamp` (RFC 3339),
//! `cwd`, `gitBranch`, `version`, and `message: {role, content, model}` whose content is a
//! string or Claude content blocks. Consecutive lines of one `sessionId` form a session
//! (lines without one join the current session); a file normally holds one. A line that is
//! not valid JSON makes the whole file malformed, naming the line.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{as_string, convert_content, message, string_with_span};
use super::text::{dedup_in_order, lines, push_item, trim};
use super::time::parse_rfc3339;
use super::{Format, ImportError, ParsedSession};
use crate::model::{Millis, Role};

/// How many leading non-blank lines detection looks at.
const PROBE_LINES: usize = 5;

/// The fields of a log line that Mnemo reads.
#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(rename = "sessionId", borrow, default)]
    session_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    cwd: Option<&'a RawValue>,
    #[serde(rename = "gitBranch", borrow, default)]
    git_branch: Option<&'a RawValue>,
    #[serde(borrow, default)]
    version: Option<&'a RawValue>,
    #[serde(rename = "isMeta", borrow, default)]
    is_meta: Option<&'a RawValue>,
    #[serde(rename = "isSidechain", borrow, default)]
    is_sidechain: Option<&'a RawValue>,
    #[serde(rename = "agentId", borrow, default)]
    agent_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    summary: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
    #[serde(rename = "leafUuid", borrow, default)]
    leaf_uuid: Option<&'a RawValue>,
    #[serde(borrow, default)]
    uuid: Option<&'a RawValue>,
}

/// The `message` object of a user or assistant line.
#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
}

/// True when one of the first lines is a Claude Code log line.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    lines(bytes)
        .map(|l| trim(l.text))
        .filter(|t| !t.is_empty())
        .take(PROBE_LINES)
        .any(is_log_line)
}

/// A JSON object with `sessionId`, or with `type` and a message / uuid.
fn is_log_line(t: &[u8]) -> bool {
    if t.first() != Some(&b'{') {
        return false;
    }
    let parsed = std::str::from_utf8(t)
        .ok()
        .and_then(|s| serde_json::from_str::<RawLine>(s).ok());
    match parsed {
        Some(l) => {
            l.session_id.is_some()
                || (l.kind.is_some()
                    && (l.message.is_some() || l.leaf_uuid.is_some() || l.uuid.is_some()))
        }
        None => super::specstory::find(t, b"\"sessionId\"").is_some(),
    }
}

/// A session being built from consecutive lines.
struct Run {
    session_id: Option<String>,
    session: ParsedSession,
    models: Vec<String>,
}

/// Parses a log into its sessions.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
    let mut runs: Vec<Run> = Vec::new();
    let mut truncated_tail = false;
    for (index, line) in lines(bytes).enumerate() {
        if trim(line.text).is_empty() {
            continue;
        }
        let raw = match parse_line(line.text) {
            Ok(raw) => raw,
            // A last line with no newline that does not parse is a write in progress (Claude
            // Code appends to the log while a session runs): keep its bytes in the last
            // session's span, flag it, and import the complete lines.
            Err(_) if line.next == bytes.len() && line.end == bytes.len() && !runs.is_empty() => {
                truncated_tail = true;
                continue;
            }
            Err(e) => return Err(malformed(format!("line {}: {e}", index + 1))),
        };
        let sid = as_string(raw.session_id);
        let new_session = match (runs.last(), &sid) {
            (None, _) => true,
            (Some(run), Some(sid)) => run.session_id.as_ref().is_some_and(|cur| cur != sid),
            _ => false,
        };
        if new_session {
            let start = if runs.is_empty() { 0 } else { line.start };
            runs.push(Run {
                session_id: None,
                session: super::empty_session("claude-code", start..bytes.len()),
                models: Vec::new(),
            });
        }
        if let Some(run) = runs.last_mut() {
            run.session_id = run.session_id.take().or(sid);
            add_line(bytes, &raw, run);
        }
    }
    if runs.is_empty() {
        return Err(malformed("no JSON lines".into()));
    }
    let mut sessions = finish(runs, bytes.len());
    if truncated_tail {
        if let Some(last) = sessions.last_mut() {
            last.metadata.insert("truncated_tail".into(), "true".into());
        }
    }
    Ok(sessions)
}

/// A malformed-log error.
fn malformed(reason: String) -> ImportError {
    ImportError::Malformed {
        format: Format::ClaudeCodeJsonl.name(),
        reason,
    }
}

/// Parses one line as a JSON object.
fn parse_line(text: &[u8]) -> Result<RawLine<'_>, String> {
    let s = std::str::from_utf8(text).map_err(|e| format!("not UTF-8: {e}"))?;
    if !s.trim_start().starts_with('{') {
        return Err("not a JSON object".into());
    }
    serde_json::from_str(s).map_err(|e| e.to_string())
}

/// Applies one line to the session it belongs to.
fn add_line(bytes: &[u8], raw: &RawLine, run: &mut Run) {
    let timestamp = as_string(raw.timestamp).and_then(|t| parse_rfc3339(&t));
    let s = &mut run.session;
    if let Some(ts) = timestamp {
        s.started_at = Some(s.started_at.map_or(ts, |v| v.min(ts)));
        s.ended_at = Some(s.ended_at.map_or(ts, |v| v.max(ts)));
    }
    read_line_metadata(raw, s);
    match as_string(raw.kind).as_deref() {
        Some("summary") if s.title.is_none() => s.title = as_string(raw.summary),
        Some("system") => {
            if let Some((text, span)) = string_with_span(bytes, raw.content) {
                s.messages.push(message(
                    Role::System,
                    text,
                    span,
                    Vec::new(),
                    None,
                    timestamp,
                ));
            }
        }
        Some("user") => add_message(bytes, raw, user_role(raw), timestamp, run),
        Some("assistant") => add_message(bytes, raw, Role::Assistant, timestamp, run),
        _ => {}
    }
}

/// `isMeta` user lines are harness text (caveats, command output), not the developer.
fn user_role(raw: &RawLine) -> Role {
    match raw.is_meta.map(RawValue::get) {
        Some("true") => Role::System,
        _ => Role::User,
    }
}

/// Adds the messages of a user or assistant line.
fn add_message(bytes: &[u8], raw: &RawLine, role: Role, timestamp: Option<Millis>, run: &mut Run) {
    let Some(msg) = raw
        .message
        .and_then(|m| serde_json::from_str::<RawMessage>(m.get()).ok())
    else {
        return;
    };
    if let Some(model) = as_string(msg.model) {
        push_item(&mut run.models, &model);
    }
    let converted = msg
        .content
        .and_then(|c| convert_content(bytes, role, c, timestamp));
    if let Some(c) = converted {
        for f in &c.files {
            push_item(&mut run.session.files_touched, f);
        }
        run.session.messages.extend(c.messages);
    }
}

/// Reads project, branch, version and agent fields (first value wins).
fn read_line_metadata(raw: &RawLine, s: &mut ParsedSession) {
    if s.project.is_none() {
        s.project = as_string(raw.cwd);
    }
    let m = &mut s.metadata;
    set_once(m, "session_id", as_string(raw.session_id));
    set_once(m, "git_branch", as_string(raw.git_branch));
    set_once(m, "claude_code_version", as_string(raw.version));
    set_once(m, "agent_id", as_string(raw.agent_id));
    if raw.is_sidechain.map(RawValue::get) == Some("true") {
        m.insert("sidechain".into(), "true".into());
    }
}

/// Inserts `value` under `key` unless a value is already there.
fn set_once(m: &mut BTreeMap<String, String>, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        m.entry(key.to_owned()).or_insert(v);
    }
}

/// Closes the runs: each span ends where the next starts; models go to metadata.
fn finish(runs: Vec<Run>, len: usize) -> Vec<ParsedSession> {
    let starts: Vec<usize> = runs.iter().map(|r| r.session.span.start).collect();
    let ends = starts.into_iter().skip(1).chain(std::iter::once(len));
    runs.into_iter()
        .zip(ends)
        .map(|(run, end)| {
            let mut s = run.session;
            s.span.end = end;
            if !run.models.is_empty() {
                let models = dedup_in_order(run.models);
                s.metadata.insert("model".into(), models.join(", "));
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses through the public entry point, as callers do.
    fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
        super::super::parse_as(Format::ClaudeCodeJsonl, bytes).map(|f| f.sessions)
    }

    fn line(sid: &str, kind: &str, content: &str) -> String {
        format!(
            r#"{{"sessionId":"{sid}","type":"{kind}","timestamp":"2025-09-03T14:02:11.482Z","message":{{"role":"{kind}","content":{content}}}}}"#
        )
    }

    #[test]
    fn groups_consecutive_session_ids() {
        let src = [
            r#"{"type":"summary","summary":"Fix login","leafUuid":"u1"}"#.to_owned(),
            line("a", "user", r#""hello""#),
            line("a", "assistant", r#"[{"type":"text","text":"hi"}]"#),
            line("b", "user", r#""again""#),
        ]
        .join("\n");
        let s = parse(src.as_bytes()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].title.as_deref(), Some("Fix login"));
        assert_eq!(s[0].metadata["session_id"], "a");
        assert_eq!(s[0].messages.len(), 2);
        assert_eq!(s[0].span.start, 0);
        assert_eq!(s[0].span.end, s[1].span.start);
        assert_eq!(s[1].span.end, src.len());
        assert_eq!(&src[s[1].span.clone()], line("b", "user", r#""again""#));
        let m = &s[0].messages[0];
        assert_eq!(&src[m.text_span.clone().unwrap()], "\"hello\"");
        assert_eq!(s[0].started_at, parse_rfc3339("2025-09-03T14:02:11.482Z"));
    }

    #[test]
    fn bad_line_is_named() {
        let src = format!("{}\n{{\"type\":\"user\",\n", line("a", "user", "\"x\""));
        match parse(src.as_bytes()) {
            Err(ImportError::Malformed { format, reason }) => {
                assert_eq!(format, "claude-code-jsonl");
                assert!(reason.starts_with("line 2:"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(parse(b"\n\n").is_err());
        assert!(parse(b"[1,2]").is_err());
    }

    #[test]
    fn detection_needs_log_fields() {
        assert!(looks_like(line("a", "user", "\"x\"").as_bytes()));
        assert!(looks_like(
            b"{\"type\":\"summary\",\"summary\":\"s\",\"leafUuid\":\"x\"}\n"
        ));
        assert!(looks_like(b"{\"sessionId\": \"broken"));
        assert!(!looks_like(b"{\"history\": []}"));
        assert!(!looks_like(b"{\n  \"history\": []\n}"));
    }
}
