//! Tool uses inside SpecStory assistant turns, as SpecStory renders them for Cursor:
//! `Tool use: **name**` lines, `<details><summary>Searched codebase "q" • …</summary>`
//! blocks, `Read file: path` lines and MCP `*Called tool*: server - tool:` blocks. A turn is
//! cut into chunks at `---` / `_****_` lines; a chunk holds at most one explicitly named tool
//! use, or any number of recognised descriptions.

use std::ops::Range;

use super::specstory::find;
use super::text::{lines, lossy, push_item, trim};
use crate::model::ToolCall;

/// Tool calls found in the assistant turn body `bytes[range]`; files they name are added to
/// `files`.
pub(crate) fn chunk_tool_calls(
    bytes: &[u8],
    range: Range<usize>,
    files: &mut Vec<String>,
) -> Vec<ToolCall> {
    let body = bytes.get(range).unwrap_or_default();
    // Where the body's `<summary>`s are, found in one pass: only lines holding one are
    // searched for its text. Its first one is also the first of the checks below.
    let mut summaries = SUMMARY.find_iter(body).peekable();
    if summaries.peek().is_none() && !may_hold_other_calls(body) {
        return Vec::new();
    }
    let mut calls = Vec::new();
    let mut chunk = Chunk::default();
    for line in lines(body) {
        while summaries.next_if(|&at| at < line.start).is_some() {}
        let summary = summaries.peek().is_some_and(|&at| at < line.end);
        let t = trim(line.text);
        if t == b"---" || t == b"_****_" {
            chunk.finish(&mut calls, files);
        } else {
            chunk.read(line.text, t, summary, &mut calls, files);
        }
    }
    chunk.finish(&mut calls, files);
    calls
}

/// False when `body` holds none of the texts every tool rendering without a `<summary>`
/// contains (an explicit `Tool use: **`, `Read file: ` or `*Called tool*: `). With no
/// `<summary>` either, a turn holds no tool call: most assistant turns are prose, and a few
/// whole-body searches cost far less than reading them line by line.
fn may_hold_other_calls(body: &[u8]) -> bool {
    static OTHERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 3]> =
        std::sync::LazyLock::new(|| {
            [
                b"Tool use: **".as_slice(),
                b"Read file: ",
                b"*Called tool*: ",
            ]
            .map(memchr::memmem::Finder::new)
        });
    OTHERS.iter().any(|m| m.find(body).is_some())
}

/// Finds `<summary>`; built once, not per call.
static SUMMARY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"<summary>"));

/// True when the file shows tool renderings only SpecStory's Cursor export produces.
pub(crate) fn has_cursor_markers(bytes: &[u8]) -> bool {
    static MARKERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 2]> =
        std::sync::LazyLock::new(|| {
            [b"_****_".as_slice(), b"Read file: "].map(memchr::memmem::Finder::new)
        });
    // Every marker line holds one of these: most files are ruled out without reading
    // them line by line.
    if SUMMARY.find(bytes).is_none() && MARKERS.iter().all(|m| m.find(bytes).is_none()) {
        return false;
    }
    lines(bytes).any(|l| {
        let t = trim(l.text);
        t == b"_****_"
            || t.starts_with(b"Read file: ")
            || summary_text(t).is_some_and(|s| {
                [
                    "Searched codebase",
                    "Listed directory",
                    "Listed current directory",
                    "Grep search for",
                ]
                .iter()
                .any(|p| s.starts_with(p))
            })
    })
}

/// A tool use recognised from its rendering: name, input, and the file it names.
struct Found {
    name: String,
    input: String,
    file: Option<String>,
}

/// State of the first fenced code block of a chunk (a terminal command's text).
#[derive(Default)]
enum Fence {
    #[default]
    NotSeen,
    Inside(String),
    Done(String),
}

/// What has been read of the current chunk.
#[derive(Default)]
struct Chunk {
    explicit: Option<String>,
    found: Vec<Found>,
    fence: Fence,
    params: Option<Vec<String>>,
}

impl Chunk {
    /// Reads one line (`raw`, and `t` trimmed); `summary`: whether it holds a `<summary>`.
    fn read(
        &mut self,
        raw: &[u8],
        t: &[u8],
        summary: bool,
        calls: &mut Vec<ToolCall>,
        files: &mut Vec<String>,
    ) {
        if let Some(name) = tool_use_name(t) {
            if self.explicit.is_some() {
                self.finish(calls, files);
            }
            self.explicit = Some(name);
            return;
        }
        if self.read_fence(raw, t) || self.read_params(t) {
            return;
        }
        let described = summary
            .then(|| summary_text(t))
            .flatten()
            .and_then(|s| describe(&s))
            .or_else(|| describe_line(t));
        self.found.extend(described);
    }

    /// Tracks the first fenced block; true when the line belonged to it.
    fn read_fence(&mut self, raw: &[u8], t: &[u8]) -> bool {
        let is_fence = t.starts_with(b"```");
        match &mut self.fence {
            Fence::NotSeen if is_fence => self.fence = Fence::Inside(String::new()),
            Fence::Inside(text) if is_fence => self.fence = Fence::Done(std::mem::take(text)),
            Fence::Inside(text) => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&lossy(raw));
            }
            _ => return false,
        }
        true
    }

    /// Collects an MCP call's `*Parameters*:` list; true when the line belonged to it.
    fn read_params(&mut self, t: &[u8]) -> bool {
        if t == b"*Parameters*:" {
            self.params = Some(Vec::new());
            return true;
        }
        let Some(params) = &mut self.params else {
            return false;
        };
        if t.starts_with(b"* ") {
            params.push(lossy(t.get(2..).unwrap_or_default()));
            return true;
        }
        if t.is_empty() {
            return true;
        }
        self.apply_params();
        false
    }

    /// Gives collected parameters to the last MCP call that has no input yet.
    fn apply_params(&mut self) {
        let Some(params) = self.params.take() else {
            return;
        };
        if let Some(last) = self.found.last_mut() {
            if last.input.is_empty() {
                last.input = params.join("\n");
            }
        }
    }

    /// Ends the chunk: emits its tool calls and resets.
    fn finish(&mut self, calls: &mut Vec<ToolCall>, files: &mut Vec<String>) {
        self.apply_params();
        let chunk = std::mem::take(self);
        for f in chunk.found.iter().filter_map(|f| f.file.as_deref()) {
            push_item(files, f);
        }
        match chunk.explicit {
            Some(name) => {
                let input = match (chunk.found.into_iter().next(), chunk.fence) {
                    (Some(f), _) => f.input,
                    (None, Fence::Done(cmd) | Fence::Inside(cmd)) => cmd,
                    (None, Fence::NotSeen) => String::new(),
                };
                calls.push(call(name, input));
            }
            None => calls.extend(chunk.found.into_iter().map(|f| call(f.name, f.input))),
        }
    }
}

/// A tool call without id.
fn call(name: String, input: String) -> ToolCall {
    ToolCall {
        id: None,
        name,
        input,
    }
}

/// `Tool use: **name**` → name.
fn tool_use_name(t: &[u8]) -> Option<String> {
    let name = t.strip_prefix(b"Tool use: **")?.strip_suffix(b"**")?;
    Some(lossy(name)).filter(|n| !n.is_empty())
}

/// The text between `<summary>` and `</summary>` on a line.
fn summary_text(t: &[u8]) -> Option<String> {
    let open = SUMMARY.find(t)? + b"<summary>".len();
    let rest = t.get(open..)?;
    let close = find(rest, b"</summary>").unwrap_or(rest.len());
    Some(lossy(rest.get(..close)?))
}

/// Recognises tool lines outside `<summary>`: `Read file: …` and `*Called tool*: …`.
fn describe_line(t: &[u8]) -> Option<Found> {
    if t.starts_with(b"Read file: ") {
        return describe(&lossy(t));
    }
    let called = t.strip_prefix(b"*Called tool*: ")?;
    let called = lossy(called);
    let head = called.split(": ").next().unwrap_or_default();
    let name: Vec<&str> = head.split(" - ").map(str::trim).collect();
    Some(Found {
        name: format!("mcp_{}", name.join("_")),
        input: String::new(),
        file: None,
    })
}

/// Recognises a tool rendering such as `Searched codebase "q" • **6** results`.
fn describe(summary: &str) -> Option<Found> {
    const KINDS: [(&str, &str, bool); 8] = [
        ("Searched codebase ", "codebase_search", false),
        ("Grep search for ", "grep_search", false),
        ("Grep for ", "grep_search", false),
        ("Searched web ", "web_search", false),
        ("Listed current directory", "list_dir", false),
        ("Listed directory ", "list_dir", false),
        ("Edit file: ", "edit_file", true),
        ("Read file: ", "read_file", true),
    ];
    let summary = summary.trim();
    KINDS.iter().find_map(|(prefix, name, names_file)| {
        let rest = summary.strip_prefix(prefix)?;
        let arg = argument(rest);
        let input = if arg.is_empty() && *name == "list_dir" {
            ".".to_owned()
        } else {
            arg
        };
        let file = names_file.then(|| input.clone());
        Some(Found {
            name: (*name).to_owned(),
            input,
            file,
        })
    })
}

/// The argument of a rendering: up to ` • `, without the quotes or backticks around it
/// when it is a single quoted string.
fn argument(rest: &str) -> String {
    let arg = rest.split(" \u{2022} ").next().unwrap_or_default().trim();
    let unquoted = ['"', '`'].into_iter().find_map(|q| {
        let inner = arg.strip_prefix(q)?.strip_suffix(q)?;
        (!inner.contains(q)).then_some(inner)
    });
    unquoted.unwrap_or(arg).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(body: &str) -> (Vec<ToolCall>, Vec<String>) {
        let mut files = Vec::new();
        let c = chunk_tool_calls(body.as_bytes(), 0..body.len(), &mut files);
        (c, files)
    }

    #[test]
    fn cursor_renderings() {
        let body = "<details>\n            <summary>Searched codebase \"session cd\" \u{2022} **6** results</summary>\n</details>\n\n---\n\n_****_\n\n<details><summary>Edit file: .gitignore</summary>\n</details>\n\n---\n\n<details>\n<summary>Listed current directory \u{2022} **4** results</summary>\n</details>\n";
        let (c, files) = calls(body);
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.name.as_str(), c.input.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("codebase_search", "session cd"),
                ("edit_file", ".gitignore"),
                ("list_dir", ".")
            ]
        );
        assert_eq!(files, vec![".gitignore"]);
    }

    #[test]
    fn explicit_tool_use_with_mcp_parameters() {
        let body = "Tool use: **mcp_brightdata_search_engine**\n\n<details>\n          <summary>MCP tool call</summary>\n\n*Called tool*: brightdata - search_engine: Scrape search results\n\n*Parameters*:\n  * query: cursor ignore\n  * engine: google\n\n*Result*:\nstuff\n</details>\n";
        let (c, _) = calls(body);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "mcp_brightdata_search_engine");
        assert_eq!(c[0].input, "query: cursor ignore\nengine: google");
        let (c, _) = calls("*Called tool*: srv - tool: does\n\n*Parameters*:\n  * a: 1\n");
        assert_eq!(
            (c[0].name.as_str(), c[0].input.as_str()),
            ("mcp_srv_tool", "a: 1")
        );
    }

    #[test]
    fn bodies_without_markers_and_summaries_anywhere_on_a_line() {
        assert!(calls("Just prose.\n\n```rust\nfn main() {}\n```\n")
            .0
            .is_empty());
        let (c, files) =
            calls("Some text <summary>Read file: src/a.rs</summary>\nRead file: b.rs\n");
        let got: Vec<_> = c.iter().map(|c| c.input.as_str()).collect();
        assert_eq!(got, vec!["src/a.rs", "b.rs"]);
        assert_eq!(files, vec!["src/a.rs", "b.rs"]);
        // A `<summary>` on the last line, without a line end.
        let (c, _) = calls("prose\n<summary>Listed directory src \u{2022} **2** results</summary>");
        assert_eq!(
            (c[0].name.as_str(), c[0].input.as_str()),
            ("list_dir", "src")
        );
    }

    #[test]
    fn thought_process_is_not_a_tool() {
        let (c, _) =
            calls("<think><details><summary>Thought Process</summary>hmm</details></think>\n");
        assert!(c.is_empty());
        let (c, _) = calls("<summary>Grep for \"^a$\" in \"b\" \u{2022} 0 matches</summary>\n");
        assert_eq!(c[0].input, "\"^a$\" in \"b\"");
        assert!(!has_cursor_markers(b"plain\ntext\n"));
        assert!(has_cursor_markers(b"a\n_****_\n"));
    }
}
