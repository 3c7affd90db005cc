//! Imports every real transcript of the shared data set (`shared/data/transcripts/`) and
//! checks the importer contract on each: detected format, sessions whose spans tile the
//! file, text spans that spell their message text, and message counts cross-checked
//! against the files' own structure.
//!
//! The data folder is `$MNEMO_DATA` or `../../shared/data` from the crate. When it is
//! missing the test is skipped, except on CI (`CI=true`) where that is a failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mnemo::import::{detect, parse, Format, ImportError, ParsedFile};

/// Files in the data set that are not transcripts, and why they are `UnknownFormat`.
const NOT_TRANSCRIPTS: [(&str, &str); 4] = [
    (
        "edobry__minsky/process/tasks/349-analyze-cursor-chat-history-to-understand-agent-ooda-loop-logic.md",
        "a task note about chat histories, with no turns of any format",
    ),
    (
        "specstoryai__2025-02-Reddit-BMA/choose-my-dinner/specstory-history/.what-is-this.md",
        "the README SpecStory puts in its folder",
    ),
    (
        "OdyAsh__odyash-dev.to/specstory-history/random-todos.md",
        "a hand-written to-do list kept in the SpecStory folder",
    ),
    (
        "edobry__minsky/specstory-history/2025-05-21_improve-mcp-error-handling.md",
        "a hand-written summary titled `SpecStory: ...`, with no turns",
    ),
];

/// Files that are SpecStory's header alone (a chat opened but never used): they look like
/// SpecStory but hold no session, so they are `Malformed`, like any header without turns.
const EMPTY_CHATS: [&str; 1] =
    ["zchdoc__shadcn-ui-sidebar-08-admin-dev/specstory-history/untitled-1.md"];

/// The data folder, or `None` (after saying so) when it is absent outside CI.
fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MNEMO_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if dir.join("transcripts").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("data not found at {} (set MNEMO_DATA)", dir.display());
    }
    println!("skipped: data not found at {}", dir.display());
    None
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The format the data set's README gives for a file, from where it lies.
fn expected_format(rel: &str) -> Format {
    if rel.ends_with(".traj") {
        Format::SweAgentTrajectory
    } else if rel.ends_with("aider.chat.history.md") {
        Format::AiderHistory
    } else if rel.contains("/claude-prompts/") {
        Format::ClaudeExportMarkdown
    } else {
        assert!(rel.contains("/specstory-history/"), "unexpected file {rel}");
        Format::SpecStory
    }
}

/// Sessions tile the file; text spans spell their text (verbatim or as a JSON literal).
fn check_invariants(rel: &str, bytes: &[u8], file: &ParsedFile) {
    assert!(!file.sessions.is_empty(), "{rel}: no session");
    let mut at = 0;
    for s in &file.sessions {
        assert_eq!(s.span.start, at, "{rel}: spans not contiguous");
        assert!(s.span.end >= s.span.start, "{rel}: reversed span");
        at = s.span.end;
    }
    assert_eq!(at, bytes.len(), "{rel}: spans do not reach the end");
    for m in file.sessions.iter().flat_map(|s| &s.messages) {
        let Some(span) = m.text_span.clone() else {
            continue;
        };
        let raw = std::str::from_utf8(&bytes[span]).expect("span is UTF-8");
        let spelled = raw == m.message.text
            || serde_json::from_str::<String>(raw).ok().as_deref() == Some(m.message.text.as_str());
        assert!(spelled, "{rel}: span does not spell the message text");
    }
}

/// Lines of `bytes` for which `pred` holds.
fn count_lines(bytes: &[u8], pred: impl Fn(&str) -> bool) -> usize {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| pred(l))
        .count()
}

/// Cross-checks message and session counts against the file's own structure.
fn check_counts(rel: &str, bytes: &[u8], file: &ParsedFile) {
    let messages: usize = file.sessions.iter().map(|s| s.messages.len()).sum();
    assert!(messages > 0, "{rel}: no messages");
    match file.format {
        Format::AiderHistory => {
            let headers = count_lines(bytes, |l| l.starts_with("# aider chat started at "));
            assert_eq!(
                file.sessions.len(),
                headers,
                "{rel}: one session per header"
            );
        }
        Format::SpecStory => {
            let turns = count_lines(bytes, |l| {
                let l = l.trim();
                l.starts_with("_**User") || l.starts_with("_**Assistant")
            });
            assert_eq!(messages, turns, "{rel}: one message per turn");
        }
        Format::ClaudeExportMarkdown => {
            let headings = count_lines(bytes, |l| l == "### User" || l == "### Assistant");
            assert!(
                messages >= headings,
                "{rel}: {messages} messages < {headings} headings"
            );
        }
        Format::SweAgentTrajectory => {
            let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            let history = v["history"].as_array().map_or(0, Vec::len);
            assert_eq!(messages, history, "{rel}: one message per history entry");
        }
        Format::ClaudeCodeJsonl => {}
    }
}

/// Per-format totals: files, sessions, messages, tool calls, messages with a text span.
#[derive(Default, Debug)]
struct Totals {
    files: usize,
    sessions: usize,
    messages: usize,
    tool_calls: usize,
    spanned: usize,
    /// Sessions with a title from the file, with one derived from the first user message.
    titled: usize,
    derived_titles: usize,
}

/// A session without a title of its file gets one from its first user message, unless it
/// holds no words of the developer (a sub-agent's log of replies only).
fn check_title(rel: &str, s: &mnemo::import::ParsedSession) -> (bool, bool) {
    let derived = s.metadata.get("title_source").map(String::as_str) == Some("first user message");
    match &s.title {
        Some(title) => {
            assert!(
                !title.trim().is_empty() && !title.contains('\n'),
                "{rel}: title {title:?}"
            );
            if derived {
                assert!(title.chars().count() <= 81, "{rel}: long title {title:?}");
            }
            (true, derived)
        }
        None => {
            assert!(!derived, "{rel}: title_source without a title");
            let words_of_user = s.messages.iter().any(|m| {
                m.message.role == mnemo::Role::User
                    && m.message.text.chars().any(char::is_alphanumeric)
                    && !m.message.text.trim_start().starts_with('<')
                    && !m.message.text.starts_with("Caveat: ")
                    && !m.message.text.starts_with("[Request interrupted by user")
            });
            assert!(!words_of_user, "{rel}: untitled session with user words");
            (false, false)
        }
    }
}

#[test]
fn every_real_transcript_imports() {
    let Some(data) = data_dir() else {
        return;
    };
    let root = data.join("transcripts");
    let mut totals: BTreeMap<&'static str, Totals> = BTreeMap::new();
    let mut tools: BTreeMap<String, usize> = BTreeMap::new();
    let mut unknown = Vec::new();
    let files = files_under(&root);
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).unwrap();
        if let Some((_, why)) = NOT_TRANSCRIPTS.iter().find(|(f, _)| *f == rel) {
            assert_eq!(
                parse(&bytes),
                Err(ImportError::UnknownFormat),
                "{rel}: {why}"
            );
            unknown.push(rel);
            continue;
        }
        if EMPTY_CHATS.contains(&rel.as_str()) {
            let err = parse(&bytes).expect_err("header-only file");
            assert!(
                matches!(
                    err,
                    ImportError::Malformed {
                        format: "specstory-markdown",
                        ..
                    }
                ),
                "{rel}: {err}"
            );
            unknown.push(rel);
            continue;
        }
        let file = parse(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(file.format, expected_format(&rel), "{rel}: wrong format");
        assert_eq!(detect(&bytes), Some(file.format));
        check_invariants(&rel, &bytes, &file);
        check_counts(&rel, &bytes, &file);
        let t = totals.entry(file.format.name()).or_default();
        t.files += 1;
        t.sessions += file.sessions.len();
        for s in &file.sessions {
            *tools.entry(s.source_tool.clone()).or_default() += 1;
            t.messages += s.messages.len();
            t.tool_calls += s
                .messages
                .iter()
                .map(|m| m.message.tool_calls.len())
                .sum::<usize>();
            t.spanned += s.messages.iter().filter(|m| m.text_span.is_some()).count();
            let (titled, derived) = check_title(&rel, s);
            t.titled += usize::from(titled);
            t.derived_titles += usize::from(derived);
        }
    }
    assert_eq!(
        unknown.len(),
        NOT_TRANSCRIPTS.len() + EMPTY_CHATS.len(),
        "every listed file exists"
    );
    assert_eq!(files.len(), 457, "the data set has 457 transcript files");
    for (format, t) in &totals {
        println!("{format}: {t:?}");
    }
    // Titles derived from the first user message: aider 41 of 47 sessions (the others
    // hold only `<blank>` inputs), Claude Code exports 22 of 211 (the rest are sub-agent
    // logs of replies and tool results only), SWE-agent 14 of 19 (5 carry an instance id).
    let derived: usize = totals.values().map(|t| t.derived_titles).sum();
    assert_eq!(derived, 41 + 22 + 14, "derived titles");
    println!("sessions by source tool: {tools:?}");
}

#[test]
fn truncated_real_files_keep_the_contract() {
    let Some(data) = data_dir() else {
        return;
    };
    for path in files_under(&data.join("transcripts")) {
        let bytes = std::fs::read(&path).unwrap();
        for cut in (1..8).map(|k| bytes.len() * k / 8) {
            let prefix = &bytes[..cut];
            match parse(prefix) {
                Ok(file) => {
                    if let Err(e) = file.verify(prefix) {
                        panic!("{}[..{cut}]: {e}", path.display());
                    }
                }
                Err(ImportError::UnknownFormat | ImportError::Malformed { .. }) => {}
            }
        }
    }
}
