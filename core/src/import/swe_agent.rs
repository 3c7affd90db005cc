//! SWE-agent trajectories (`*.traj`): one agent run per JSON file.
//!
//! This module owns the trajectory layout: `history` (the messages the model saw and said,
//! each with `role`, `content`, and for the assistant `action` / `tool_calls`), `trajectory`
//! (steps of action and observation, used when `history` is empty), `info` (exit status,
//! model stats, submission patch) and `replay_config` (model, problem statement, repo).
//! Message texts keep the span of their JSON string literal in the file.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{
    as_string, compact, content_text, files_in_input, message, string_with_span, to_text,
};
use super::text::{dedup_in_order, push_item};
use super::{Format, ImportError, ParsedMessage, ParsedSession};
use crate::model::{Role, ToolCall};

/// True when the file is a JSON object with a `history` or `trajectory` key.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let is_object = start.and_then(|i| bytes.get(i)) == Some(&b'{');
    is_object && (has_key(bytes, b"\"history\"") || has_key(bytes, b"\"trajectory\""))
}

/// Whether `quoted` occurs followed by optional whitespace and a colon (an object key).
fn has_key(bytes: &[u8], quoted: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, quoted).any(|i| {
        let rest = bytes.get(i + quoted.len()..).unwrap_or_default();
        rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':')
    })
}

/// The top-level object.
#[derive(Deserialize)]
struct Traj<'a> {
    #[serde(borrow, default)]
    history: Option<Vec<Entry<'a>>>,
    #[serde(borrow, default)]
    trajectory: Option<Vec<Step<'a>>>,
    #[serde(borrow, default)]
    info: Option<&'a RawValue>,
    #[serde(borrow, default)]
    environment: Option<&'a RawValue>,
    #[serde(borrow, default)]
    replay_config: Option<&'a RawValue>,
}

/// One `history` entry.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    role: Option<&'a RawValue>,
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
    #[serde(borrow, default)]
    agent: Option<&'a RawValue>,
    #[serde(borrow, default)]
    action: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_calls: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_call_ids: Option<&'a RawValue>,
}

/// One `trajectory` step.
#[derive(Deserialize)]
struct Step<'a> {
    #[serde(borrow, default)]
    action: Option<&'a RawValue>,
    #[serde(borrow, default)]
    observation: Option<&'a RawValue>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
}

/// An OpenAI-style function call in `tool_calls`.
#[derive(Deserialize)]
struct RawCall<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    function: Option<RawFunction<'a>>,
}

/// The function part of a [`RawCall`].
#[derive(Deserialize)]
struct RawFunction<'a> {
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
}

/// Parses a trajectory into its single session.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
    let malformed = |reason: String| ImportError::Malformed {
        format: Format::SweAgentTrajectory.name(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(format!("not UTF-8: {e}")))?;
    if !text.trim_start().starts_with('{') {
        return Err(malformed("not a JSON object".into()));
    }
    let traj: Traj =
        serde_json::from_str(text).map_err(|e| malformed(format!("invalid JSON: {e}")))?;
    if traj.history.is_none() && traj.trajectory.is_none() {
        return Err(malformed("no `history` or `trajectory`".into()));
    }
    let mut session = super::empty_session("swe-agent", 0..bytes.len());
    let history = traj.history.as_deref().unwrap_or_default();
    if history.is_empty() {
        let steps = traj.trajectory.as_deref().unwrap_or_default();
        session.messages = steps.iter().flat_map(|s| step_messages(bytes, s)).collect();
    } else {
        session.messages = history.iter().map(|e| entry_message(bytes, e)).collect();
    }
    let calls = session.messages.iter().flat_map(|m| &m.message.tool_calls);
    let mut files: Vec<String> = Vec::new();
    for call in calls {
        for f in call_files(call) {
            push_item(&mut files, &f);
        }
    }
    session.files_touched = files;
    read_context(&traj, history, &mut session);
    Ok(vec![session])
}

/// The message of one `history` entry.
fn entry_message(base: &[u8], e: &Entry) -> ParsedMessage {
    let role = match as_string(e.role).as_deref() {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool") => Role::Tool,
        _ => Role::System,
    };
    let (text, span) = e.content.map(|c| content_text(base, c)).unwrap_or_default();
    let mut calls = e.tool_calls.map(function_calls).unwrap_or_default();
    if calls.is_empty() && role == Role::Assistant {
        calls.extend(as_string(e.action).and_then(|a| action_call(&a)));
    }
    let call_id = e
        .tool_call_ids
        .and_then(|ids| serde_json::from_str::<Vec<String>>(ids.get()).ok())
        .and_then(|ids| ids.into_iter().next());
    message(role, text, span, calls, call_id, None)
}

/// The assistant and tool messages of one `trajectory` step.
fn step_messages(base: &[u8], s: &Step) -> Vec<ParsedMessage> {
    let (text, span) = string_with_span(base, s.response).unwrap_or_default();
    let calls: Vec<ToolCall> = as_string(s.action)
        .and_then(|a| action_call(&a))
        .into_iter()
        .collect();
    let (obs, obs_span) = string_with_span(base, s.observation).unwrap_or_default();
    vec![
        message(Role::Assistant, text, span, calls, None, None),
        message(Role::Tool, obs, obs_span, Vec::new(), None, None),
    ]
}

/// Function calls of an assistant entry's `tool_calls`.
fn function_calls(raw: &RawValue) -> Vec<ToolCall> {
    let Ok(calls) = serde_json::from_str::<Vec<RawCall>>(raw.get()) else {
        return Vec::new();
    };
    calls
        .into_iter()
        .map(|c| {
            let f = c.function;
            ToolCall {
                id: as_string(c.id),
                name: f
                    .as_ref()
                    .and_then(|f| as_string(f.name))
                    .unwrap_or_default(),
                input: f.and_then(|f| f.arguments).map(to_text).unwrap_or_default(),
            }
        })
        .collect()
}

/// A tool call for a plain-text action: the command's first word is the tool.
fn action_call(action: &str) -> Option<ToolCall> {
    let action = action.trim();
    let name = action.split_whitespace().next()?;
    Some(ToolCall {
        id: None,
        name: name.to_owned(),
        input: action.to_owned(),
    })
}

/// Files a call names: `path`-like JSON arguments, or the file of `open` / `create` /
/// `str_replace_editor <command> <path>` commands.
fn call_files(call: &ToolCall) -> Vec<String> {
    if call.input.starts_with('{') {
        return serde_json::from_str::<&RawValue>(&call.input)
            .map(files_in_input)
            .unwrap_or_default();
    }
    let words: Vec<&str> = call.input.split_whitespace().collect();
    let file = match words.as_slice() {
        ["open" | "create", file, ..] => Some(*file),
        ["str_replace_editor", _, file, ..] => Some(*file),
        _ => None,
    };
    file.map(|f| f.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .into_iter()
        .collect()
}

/// Metadata, title and project from `info`, `environment`, `replay_config` and the agents.
fn read_context(traj: &Traj, history: &[Entry], session: &mut ParsedSession) {
    let m = &mut session.metadata;
    if let Some(env) = traj.environment.and_then(|e| as_string(Some(e))) {
        m.insert("environment".into(), env);
    }
    let mut agents: Vec<String> = Vec::new();
    for agent in history.iter().filter_map(|e| as_string(e.agent)) {
        push_item(&mut agents, &agent);
    }
    if !agents.is_empty() {
        m.insert("agent".into(), dedup_in_order(agents).join(", "));
    }
    if let Some(info) = traj.info {
        read_info(info, m, &mut session.files_touched);
    }
    if let Some(rc) = traj.replay_config.and_then(object_of) {
        let ps = rc.get("problem_statement");
        let id = ps.and_then(|p| p.get("id")).and_then(|v| v.as_str());
        if let Some(id) = id {
            m.insert("instance_id".into(), id.to_owned());
            session.title = Some(id.to_owned());
        }
        let model = rc.pointer("/agent/model/name").and_then(|v| v.as_str());
        if let Some(model) = model {
            m.insert("model".into(), model.to_owned());
        }
        let repo = rc
            .pointer("/env/repo/github_url")
            .or_else(|| rc.pointer("/env/repo/repo_name"));
        session.project = repo.and_then(|v| v.as_str()).map(str::to_owned);
    }
}

/// `replay_config` as a JSON value: an object, or a string holding one.
fn object_of(raw: &RawValue) -> Option<serde_json::Value> {
    let value: serde_json::Value = match as_string(Some(raw)) {
        Some(inner) => serde_json::from_str(&inner).ok()?,
        None => serde_json::from_str(raw.get()).ok()?,
    };
    value.is_object().then_some(value)
}

/// Exit status, model stats and version from `info`; files changed by the submission patch.
fn read_info(info: &RawValue, m: &mut BTreeMap<String, String>, files: &mut Vec<String>) {
    #[derive(Deserialize)]
    struct Info<'a> {
        #[serde(borrow, default)]
        exit_status: Option<&'a RawValue>,
        #[serde(borrow, default)]
        model_stats: Option<&'a RawValue>,
        #[serde(borrow, default)]
        submission: Option<&'a RawValue>,
        #[serde(borrow, default)]
        swe_agent_version: Option<&'a RawValue>,
    }
    let Ok(info) = serde_json::from_str::<Info>(info.get()) else {
        return;
    };
    if let Some(s) = as_string(info.exit_status) {
        m.insert("exit_status".into(), s);
    }
    if let Some(stats) = info.model_stats {
        m.insert("model_stats".into(), compact(stats.get()));
    }
    if let Some(v) = as_string(info.swe_agent_version) {
        m.insert("swe_agent_version".into(), v);
    }
    for line in as_string(info.submission).unwrap_or_default().lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/") {
            let file = rest.split(" b/").next().unwrap_or(rest);
            push_item(files, file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses through the public entry point, as callers do.
    fn parse(bytes: &[u8]) -> Result<Vec<ParsedSession>, ImportError> {
        super::super::parse_as(Format::SweAgentTrajectory, bytes).map(|f| f.sessions)
    }

    const SAMPLE: &str = r#"{
  "environment": "swe_main",
  "history": [
    {"role": "system", "content": "SETTING: you are", "agent": "main"},
    {"role": "user", "content": [{"type": "text", "text": "Fix \"bug\""}], "agent": "main"},
    {"role": "assistant", "content": "Look first", "thought": "Look first", "action": "open \"src/a.py\"\n", "agent": "main"},
    {"role": "assistant", "content": "Edit", "action": "ignored", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "str_replace_editor", "arguments": "{\"command\":\"view\",\"path\":\"/repo/b.py\"}"}}]},
    {"role": "tool", "content": "ok", "tool_call_ids": ["call_1"]}
  ],
  "info": {"exit_status": "submitted", "model_stats": {"api_calls": 3}, "submission": "diff --git a/src/a.py b/src/a.py\n"},
  "replay_config": "{\"problem_statement\": {\"id\": \"repo__1\"}, \"agent\": {\"model\": {\"name\": \"gpt-4o\"}}}"
}"#;

    #[test]
    fn parses_history_tools_and_context() {
        let s = &parse(SAMPLE.as_bytes()).unwrap()[0];
        let roles: Vec<Role> = s.messages.iter().map(|m| m.message.role).collect();
        assert_eq!(
            roles,
            vec![
                Role::System,
                Role::User,
                Role::Assistant,
                Role::Assistant,
                Role::Tool
            ]
        );
        let user = &s.messages[1];
        assert_eq!(user.message.text, "Fix \"bug\"");
        assert_eq!(&SAMPLE[user.text_span.clone().unwrap()], r#""Fix \"bug\"""#);
        let open = &s.messages[2].message.tool_calls[0];
        assert_eq!(
            (open.name.as_str(), open.input.as_str()),
            ("open", "open \"src/a.py\"")
        );
        let fc = &s.messages[3].message.tool_calls;
        assert_eq!(fc.len(), 1);
        assert_eq!(fc[0].id.as_deref(), Some("call_1"));
        assert_eq!(fc[0].input, r#"{"command":"view","path":"/repo/b.py"}"#);
        assert_eq!(
            s.messages[4].message.tool_call_id.as_deref(),
            Some("call_1")
        );
        assert_eq!(s.files_touched, vec!["src/a.py", "/repo/b.py"]);
        assert_eq!(s.title.as_deref(), Some("repo__1"));
        assert_eq!(s.metadata["model"], "gpt-4o");
        assert_eq!(s.metadata["exit_status"], "submitted");
        assert_eq!(s.metadata["model_stats"], r#"{"api_calls":3}"#);
        assert_eq!(s.metadata["agent"], "main");
    }

    #[test]
    fn trajectory_only_and_errors() {
        let src =
            r#"{"trajectory": [{"action": "ls -F\n", "observation": "a b", "response": "list"}]}"#;
        let s = &parse(src.as_bytes()).unwrap()[0];
        assert_eq!(s.messages.len(), 2);
        assert_eq!(s.messages[0].message.tool_calls[0].name, "ls");
        assert_eq!(s.messages[1].message.text, "a b");
        assert!(!looks_like(b"{\"name\": \"history\"}"));
        assert!(looks_like(b" {\"history\" : []}"));
        for bad in [
            &b"{\"history\": [ {\"role\":"[..],
            b"{\"other\": 1}",
            b"{\"history\": 3}",
            b"{\"history\":[]} \xff",
        ] {
            assert!(matches!(
                parse(bad),
                Err(ImportError::Malformed {
                    format: "swe-agent-trajectory",
                    ..
                })
            ));
        }
    }
}
