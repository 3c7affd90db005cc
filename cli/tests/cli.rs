//! End-to-end tests of the `mnemo` binary on the sample transcripts in `examples/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/transcripts")
}

fn mnemo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mnemo"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run mnemo")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = mnemo(dir, args);
    assert!(
        out.status.success(),
        "mnemo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, &all)).expect("valid JSON")
}

#[test]
fn import_list_search_export() {
    let dir = tempfile::tempdir().unwrap();
    let samples = samples();
    let report = json(dir.path(), &["import", samples.to_str().unwrap()]);
    assert_eq!(report["files_failed"], 0, "{report}");
    let imported = report["sessions_imported"].as_u64().unwrap();
    assert!(
        imported >= 6,
        "aider holds 2 sessions, 4 other files 1 each: {report}"
    );

    let list = json(dir.path(), &["sessions", "list"]);
    assert_eq!(list.as_array().unwrap().len() as u64, imported);
    let aider = json(dir.path(), &["sessions", "list", "--tool", "aider"]);
    assert_eq!(aider.as_array().unwrap().len(), 2);

    let hits = json(dir.path(), &["sessions", "search", "database locked"]);
    let first = &hits[0]["session"];
    assert_eq!(first["source_tool"], "claude-code", "{hits}");

    // Export byte-exact, by id prefix, and the whole file for the two-session aider history.
    let id = first["id"].as_str().unwrap();
    let out = dir.path().join("out.jsonl");
    ok(
        dir.path(),
        &["sessions", "export", &id[..10], "-o", out.to_str().unwrap()],
    );
    let original =
        std::fs::read(samples.join("claude-code/8c1f4e2a-3b5d-4e6f-9a7b-1c2d3e4f5a6b.jsonl"))
            .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), original);
    let aider_id = aider[0]["id"].as_str().unwrap();
    let whole = mnemo(
        dir.path(),
        &["sessions", "export", aider_id, "--whole-file"],
    );
    assert!(whole.status.success());
    assert_eq!(
        whole.stdout,
        std::fs::read(samples.join("aider/aider.chat.history.md")).unwrap()
    );

    // Re-import stores nothing new.
    let again = json(dir.path(), &["import", samples.to_str().unwrap()]);
    assert_eq!(again["sessions_imported"], 0);

    let stats = json(dir.path(), &["stats"]);
    assert_eq!(stats["sessions"].as_u64().unwrap(), imported);
    assert!(stats["raw_bytes"].as_u64().unwrap() > 0);
    let show = ok(dir.path(), &["sessions", "show", &id[..10]]);
    assert!(show.contains("claude-code"));
}

#[test]
fn prompts_and_workflows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "prompt",
            "add",
            "review",
            "--body",
            "Review {{file}} for {{concern}}",
        ],
    );
    ok(
        d,
        &[
            "prompt",
            "add",
            "review",
            "--body",
            "Carefully review {{file}} for {{concern}}",
        ],
    );
    ok(d, &["prompt", "label", "review", "production", "1"]);
    let text = ok(
        d,
        &[
            "prompt",
            "render",
            "review",
            "--at",
            "production",
            "--var",
            "file=db.rs",
            "--var",
            "concern=races",
        ],
    );
    assert_eq!(text.trim(), "Review db.rs for races");
    let missing = mnemo(d, &["prompt", "render", "review", "--var", "file=db.rs"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr)
        .contains("missing value for template variable concern"));
    let versions = json(d, &["prompt", "versions", "review"]);
    assert_eq!(versions["labels"]["production"], 1);
    assert_eq!(versions["labels"]["latest"], 2);
    ok(
        d,
        &[
            "workflow",
            "add",
            "ship",
            "--step",
            "review=review@production",
        ],
    );
    let steps = json(
        d,
        &[
            "workflow",
            "render",
            "ship",
            "--var",
            "file=a.rs",
            "--var",
            "concern=leaks",
        ],
    );
    assert_eq!(steps[0]["text"], "Review a.rs for leaks");
    let bad = mnemo(d, &["workflow", "add", "broken", "--step", "x=nope"]);
    assert_eq!(bad.status.code(), Some(1));
    // The log shows every change in order.
    let log = ok(d, &["log", "tail", "--from", "1"]);
    assert_eq!(log.lines().count(), 4, "{log}");
    assert!(log.contains("prompt.labeled"));
}

#[test]
fn bad_input_is_reported_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let junk = d.join("junk.md");
    std::fs::write(&junk, "just a note, not a transcript\n").unwrap();
    let samples = samples();
    let out = mnemo(
        d,
        &["import", junk.to_str().unwrap(), samples.to_str().unwrap()],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("skipped") && text.contains("unknown format"),
        "{text}"
    );
    let strict = mnemo(d, &["import", "--strict", junk.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1));
    let missing = mnemo(d, &["import", "/nonexistent/file.md"]);
    assert_eq!(missing.status.code(), Some(1));
    let unknown = mnemo(d, &["sessions", "show", "ffffffff"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
    // A second process on an open store gets a clear "locked" error.
    let store = mnemo::Mnemo::open(d, mnemo::Options::default()).unwrap();
    let locked = mnemo(d, &["stats"]);
    assert_eq!(locked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&locked.stderr).contains("locked"));
    drop(store);
    let stats = json(d, &["stats"]);
    assert!(stats["sessions"].as_u64().unwrap() >= 6);
    // `compact` at the default level does the background recompression's work too.
    assert!(mnemo(d, &["compact"]).status.success());
    let stats = json(d, &["stats"]);
    assert_eq!(stats["recompressed_through"], stats["last_seq"], "{stats}");
}

#[test]
fn discover_finds_tool_histories_in_their_usual_places() {
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let samples = samples();
    let copy = |from: &str, to: &Path| {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(samples.join(from), to).unwrap();
    };
    copy(
        "claude-code/8c1f4e2a-3b5d-4e6f-9a7b-1c2d3e4f5a6b.jsonl",
        &home
            .path()
            .join(".claude/projects/-home-dev-ledger/8c1f4e2a.jsonl"),
    );
    copy(
        "aider/aider.chat.history.md",
        &root.path().join("app/.aider.chat.history.md"),
    );
    copy(
        "specstory/2025-06-02_14-05-debugging-a-flaky-websocket-test.md",
        &root.path().join("web/.specstory/history/2025-06-02.md"),
    );
    // Noise that discovery must not pick up.
    copy(
        "aider/aider.chat.history.md",
        &root
            .path()
            .join("app/node_modules/x/.aider.chat.history.md"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_mnemo"))
        .env("HOME", home.path())
        .arg("--dir")
        .arg(store.path())
        .args(["--json", "import", "--discover", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(report["sessions_imported"], 4, "{report}");
}

#[test]
fn events_and_projections() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "events",
            "append",
            "orders-1",
            "placed",
            "--data",
            "{\"id\":1}",
            "--expected",
            "none",
        ],
    );
    ok(
        d,
        &["events", "append", "orders-1", "paid", "--expected", "1"],
    );
    let conflict = mnemo(
        d,
        &["events", "append", "orders-1", "paid", "--expected", "1"],
    );
    assert_eq!(conflict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&conflict.stderr).contains("current 2"));
    let reserved = mnemo(d, &["events", "append", "session/x", "k"]);
    assert_eq!(reserved.status.code(), Some(1));
    let back = ok(d, &["events", "read", "orders-1", "--backward"]);
    let kinds: Vec<&str> = back
        .lines()
        .map(|l| if l.contains("paid") { "paid" } else { "placed" })
        .collect();
    assert_eq!(kinds, ["paid", "placed"]);
    // A named subscription resumes after its checkpoint.
    let first = ok(d, &["events", "subscribe", "--name", "s", "--limit", "1"]);
    assert!(first.contains("placed"));
    let second = ok(
        d,
        &["events", "subscribe", "--name", "s", "--idle-timeout", "1"],
    );
    assert!(
        second.contains("paid") && !second.contains("placed"),
        "{second}"
    );
    ok(d, &["projections", "run", "event-counts"]);
    let counts = ok(d, &["projections", "show", "event-counts"]);
    assert!(
        counts.contains("paid  1") && counts.contains("placed  1"),
        "{counts}"
    );
    ok(d, &["events", "append", "orders-2", "placed"]);
    let rebuilt = json(d, &["projections", "rebuild", "event-counts"]);
    assert_eq!(rebuilt["generation"], 1);
    assert!(ok(d, &["projections", "show", "event-counts"]).contains("placed  2"));
    assert!(ok(d, &["projections", "list"]).contains("event-counts"));
    let unknown = mnemo(d, &["projections", "run", "mine"]);
    assert_eq!(unknown.status.code(), Some(1));
    // The context views rebuild blue-green from the log like any projection.
    ok(d, &["prompt", "add", "greet", "--body", "Hello {{name}}"]);
    let views = json(d, &["projections", "rebuild", "context-views"]);
    assert_eq!(views["generation"], 1, "{views}");
    assert!(ok(d, &["projections", "list"]).contains("context-views"));
    assert!(ok(d, &["prompt", "show", "greet"]).contains("Hello {{name}}"));
    let verify = json(d, &["log", "verify"]);
    assert_eq!(verify["entries"], 4);
}
