//! Cross-format tests: detection, typed errors on bad input, the span invariants, and the
//! Claude Code JSONL fixtures under `core/tests/fixtures/claude-jsonl/`.

use super::*;
use crate::model::Role;

/// Checks the contract on a parsed file: spans tile the file; text spans spell the text.
fn check_invariants(bytes: &[u8], file: &ParsedFile) {
    if let Err(e) = file.verify(bytes) {
        panic!("{e}");
    }
}

#[test]
fn verify_catches_broken_spans() {
    let bytes = b"# aider chat started at 2025-01-01 00:00:00\n\n#### hi  \n";
    let mut file = parse(bytes).unwrap();
    assert_eq!(file.verify(bytes), Ok(()));
    file.sessions[0].messages[0].text_span = Some(0..3);
    assert!(file.verify(bytes).is_err());
    file.sessions[0].messages[0].text_span = Some(0..1000);
    assert!(file.verify(bytes).is_err());
    file.sessions[0].span = 1..bytes.len();
    assert!(file.verify(bytes).is_err());
}

fn parse_checked(bytes: &[u8]) -> ParsedFile {
    let file = parse(bytes).unwrap();
    check_invariants(bytes, &file);
    file
}

const SIGNUP: &[u8] = include_bytes!("../../tests/fixtures/claude-jsonl/signup-validation.jsonl");
const RESUMED: &[u8] =
    include_bytes!("../../tests/fixtures/claude-jsonl/resumed-two-sessions.jsonl");
const AGENT: &[u8] = include_bytes!("../../tests/fixtures/claude-jsonl/agent-a1b2c3d4.jsonl");
const TRUNCATED: &[u8] =
    include_bytes!("../../tests/fixtures/claude-jsonl/truncated-last-line.jsonl");

#[test]
fn jsonl_fixture_single_session() {
    let file = parse_checked(SIGNUP);
    assert_eq!(file.format, Format::ClaudeCodeJsonl);
    assert_eq!(file.sessions.len(), 1);
    let s = &file.sessions[0];
    assert_eq!(s.source_tool, "claude-code");
    assert_eq!(s.title.as_deref(), Some("Signup form email validation"));
    assert_eq!(s.project.as_deref(), Some("/home/dev/projects/webapp"));
    assert_eq!(s.metadata["git_branch"], "feature/signup-validation");
    assert_eq!(s.metadata["model"], "claude-sonnet-4-20250514");
    assert_eq!(s.metadata["claude_code_version"], "1.0.98");
    assert_eq!(
        s.started_at,
        time::parse_rfc3339("2025-09-03T14:01:58.120Z")
    );
    assert_eq!(s.ended_at, time::parse_rfc3339("2025-09-03T14:02:40.552Z"));
    assert_eq!(
        s.files_touched,
        vec!["/home/dev/projects/webapp/src/components/SignupForm.tsx"]
    );
    let roles: Vec<Role> = s.messages.iter().map(|m| m.message.role).collect();
    use Role::*;
    assert_eq!(
        roles,
        vec![
            System, User, Assistant, Assistant, Assistant, Tool, Assistant, Tool, Assistant, Tool,
            System, Assistant
        ]
    );
    let names: Vec<&str> = s
        .messages
        .iter()
        .flat_map(|m| &m.message.tool_calls)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, vec!["Read", "Edit", "Bash"]);
    let result = &s.messages[5].message;
    assert_eq!(
        result.tool_call_id.as_deref(),
        Some("toolu_01A9fKx2LqP3mZr7TbWc4NdE")
    );
    assert!(result.text.contains("useState"));
    assert!(s.messages.iter().all(|m| m.message.timestamp.is_some()));
    // Thinking-only line keeps its thinking as text.
    assert!(s.messages[2].message.text.starts_with("I should read"));
}

#[test]
fn jsonl_fixture_resumed_and_agent() {
    let file = parse_checked(RESUMED);
    assert_eq!(file.sessions.len(), 2);
    assert_ne!(
        file.sessions[0].metadata["session_id"],
        file.sessions[1].metadata["session_id"]
    );
    assert_eq!(file.sessions[1].files_touched, vec!["src/net/retry.ts"]);
    let agent = parse_checked(AGENT);
    let s = &agent.sessions[0];
    assert_eq!(s.metadata["agent_id"], "a1b2c3d4");
    assert_eq!(s.metadata["sidechain"], "true");
    assert_eq!(s.messages.len(), 4);
    assert_eq!(s.messages[1].message.tool_calls[0].name, "Grep");
    assert_eq!(s.files_touched, vec!["src"]);
}

#[test]
fn jsonl_fixture_cut_off_last_line_is_a_write_in_progress() {
    // The fixture's last line was cut mid-write (no newline): the complete lines import,
    // the partial line stays in the span (byte-exact export) and the session is flagged.
    let parsed = parse(TRUNCATED).expect("complete lines import");
    let last = parsed.sessions.last().unwrap();
    assert_eq!(last.span.end, TRUNCATED.len());
    assert_eq!(
        last.metadata.get("truncated_tail").map(String::as_str),
        Some("true")
    );
    // The same damage followed by more lines is malformed, naming the line.
    let mut damaged = TRUNCATED.to_vec();
    damaged.extend_from_slice(b"\n");
    damaged.extend_from_slice(TRUNCATED.split(|&b| b == b'\n').next().unwrap());
    damaged.push(b'\n');
    match parse(&damaged) {
        Err(ImportError::Malformed { format, reason }) => {
            assert_eq!(format, Format::ClaudeCodeJsonl.name());
            assert!(reason.starts_with("line 6:"), "{reason}");
        }
        other => panic!("expected malformed, got {other:?}"),
    }
}

#[test]
fn detection_picks_each_format() {
    let cases: [(&[u8], Format); 5] = [
        (SIGNUP, Format::ClaudeCodeJsonl),
        (b"{\n  \"history\": []\n}", Format::SweAgentTrajectory),
        (
            b"<!-- Generated by SpecStory -->\n\n_**User**_\n\nhi\n",
            Format::SpecStory,
        ),
        (
            b"# Claude Session Export\n\n### User\n> 1/1/2025, 1:00:00 PM\n\nhi\n",
            Format::ClaudeExportMarkdown,
        ),
        (
            b"# aider chat started at 2025-01-01 00:00:00\n\n#### hi  \n",
            Format::AiderHistory,
        ),
    ];
    for (bytes, format) in cases {
        assert_eq!(
            detect(bytes),
            Some(format),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        check_invariants(bytes, &parse(bytes).unwrap());
    }
    // Turn markers alone still say SpecStory.
    assert_eq!(
        detect(b"intro\n\n_**User**_\n\nhi\n"),
        Some(Format::SpecStory)
    );
}

#[test]
fn unknown_inputs_are_typed_errors() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for bytes in [
        &b""[..],
        b"   \n\n",
        b"# Just a note\n\nSome text.\n",
        &garbage,
        b"\xff\xfe\x00\x01",
    ] {
        assert_eq!(parse(bytes), Err(ImportError::UnknownFormat));
    }
}

#[test]
fn malformed_inputs_are_typed_errors() {
    let cases: [(&[u8], &str); 6] = [
        (
            b"{\"history\": [{\"role\": \"user\", \"content\": \"trunc",
            "swe-agent-trajectory",
        ),
        (b"<!-- Generated by SpecStory -->\n", "specstory-markdown"),
        (
            b"<!-- Generated by SpecStory -->\n\n# Title (2025-01-01 00:00:00)\n\n---\n",
            "specstory-markdown",
        ),
        (
            b"# Claude Session Export\n\n## Session Information\n",
            "claude-export-markdown",
        ),
        (
            b"{\"sessionId\":\"a\",\"type\":\"user\"}\nnot json\n",
            "claude-code-jsonl",
        ),
        (
            b"{\"sessionId\":\"a\",\"type\":\"user\",\"message\":{\"content\":\"x\"}}\n\xff\xfe\n",
            "claude-code-jsonl",
        ),
    ];
    for (bytes, name) in cases {
        match parse(bytes) {
            Err(ImportError::Malformed { format, .. }) => assert_eq!(format, name),
            other => panic!(
                "{:?}: expected malformed, got {other:?}",
                String::from_utf8_lossy(bytes)
            ),
        }
    }
}

#[test]
fn parse_as_rejects_other_formats() {
    for format in Format::ALL {
        assert!(matches!(
            parse_as(format, b""),
            Err(ImportError::Malformed { .. })
        ));
        assert!(matches!(
            parse_as(format, b"\x00\x9f garbage"),
            Err(ImportError::Malformed { .. })
        ));
    }
}

#[test]
fn invalid_utf8_in_markdown_keeps_offsets() {
    let bytes = b"# aider chat started at 2025-01-01 00:00:00\n\n#### caf\xe9  \n\nreply\n\n# aider chat started at 2025-01-02 00:00:00\n";
    let file = parse_checked(bytes);
    assert_eq!(file.sessions.len(), 2);
    let user = &file.sessions[0].messages[0];
    assert_eq!(user.message.text, "caf\u{fffd}");
    assert!(user.text_span.is_none());
}

#[test]
fn pathological_inputs_stay_fast() {
    let many_markers = "_**User**_\n".repeat(50_000);
    assert_eq!(
        parse_checked(many_markers.as_bytes()).sessions[0]
            .messages
            .len(),
        50_000
    );
    let headers = "# aider chat started at 2025-01-01 00:00:00\n".repeat(50_000);
    assert_eq!(parse_checked(headers.as_bytes()).sessions.len(), 50_000);
    let reads: String = (0..100_000).map(|i| format!("Read file: f{i}\n")).collect();
    let file = parse_checked(format!("_**Assistant**_\n\n{reads}").as_bytes());
    assert_eq!(file.sessions[0].files_touched.len(), 100_000);
    let deep = format!("{{\"history\": {}", "[".repeat(100_000));
    assert!(parse(deep.as_bytes()).is_err());
    let long_line = format!(
        "# Claude Session Export\n\n### User\n> d\n\n{}",
        "x".repeat(2_000_000)
    );
    assert_eq!(
        parse_checked(long_line.as_bytes()).sessions[0].messages[0]
            .message
            .text
            .len(),
        2_000_000
    );
}
