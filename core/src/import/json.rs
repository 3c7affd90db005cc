//! JSON helpers shared by the importers that read JSON: where a raw value sits in the file,
//! string decoding, compacting tool inputs, and Claude-style content blocks
//! (`text`, `tool_use`, `tool_result`, `thinking`) as both Claude Code's JSONL logs and its
//! markdown exports carry them.

use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::text::push_item;
use super::ParsedMessage;
use crate::model::{Message, Millis, Role, ToolCall};

/// Byte range of `part` inside `base`, when `part` is a sub-slice of it.
pub(crate) fn span_in(base: &[u8], part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (base.get(start..end)? == part.as_bytes()).then_some(start..end)
}

/// The decoded string, when `raw` is a JSON string literal.
pub(crate) fn as_string(raw: Option<&RawValue>) -> Option<String> {
    let raw = raw?;
    if !raw.get().starts_with('"') {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

/// The decoded string and the span of its literal (quotes included) in `base`.
pub(crate) fn string_with_span(
    base: &[u8],
    raw: Option<&RawValue>,
) -> Option<(String, Option<Range<usize>>)> {
    let raw = raw?;
    let text = as_string(Some(raw))?;
    Some((text, span_in(base, raw.get())))
}

/// `raw` as text: decoded when it is a string, compact JSON otherwise.
pub(crate) fn to_text(raw: &RawValue) -> String {
    as_string(Some(raw)).unwrap_or_else(|| compact(raw.get()))
}

/// JSON text with insignificant whitespace removed; key order and escapes are kept as
/// written.
pub(crate) fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Paths a tool input names under `file_path`, `path`, `notebook_path` or `filename`, in
/// that order.
pub(crate) fn files_in_input(input: &RawValue) -> Vec<String> {
    #[derive(Deserialize)]
    struct FileArgs<'a> {
        #[serde(borrow, default)]
        file_path: Option<&'a RawValue>,
        #[serde(borrow, default)]
        path: Option<&'a RawValue>,
        #[serde(borrow, default)]
        notebook_path: Option<&'a RawValue>,
        #[serde(borrow, default)]
        filename: Option<&'a RawValue>,
    }
    if !input.get().starts_with('{') {
        return Vec::new();
    }
    let Ok(args) = serde_json::from_str::<FileArgs>(input.get()) else {
        return Vec::new();
    };
    [args.file_path, args.path, args.notebook_path, args.filename]
        .into_iter()
        .filter_map(as_string)
        .collect()
}

/// One Claude content block, fields kept raw so that odd shapes never fail the parse.
#[derive(Deserialize)]
struct RawBlock<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    text: Option<&'a RawValue>,
    #[serde(borrow, default)]
    thinking: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_use_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
}

/// A text with the span of its JSON literal, when it is a single one.
pub(crate) type Spanned = (String, Option<Range<usize>>);

/// The messages one Claude message (a role plus content) turns into, and the files its tool
/// calls name.
#[derive(Default)]
pub(crate) struct Converted {
    /// Messages in order: the message itself, then one `Role::Tool` message per tool result.
    pub messages: Vec<ParsedMessage>,
    /// Files named by tool-call inputs.
    pub files: Vec<String>,
}

/// Accumulates the parts of one content array.
#[derive(Default)]
struct Parts {
    texts: Vec<Spanned>,
    thinking: Vec<String>,
    calls: Vec<ToolCall>,
    results: Vec<(Option<String>, Spanned)>,
    files: Vec<String>,
}

/// Converts Claude `content` (a string or an array of blocks) said by `role`.
/// Returns `None` when `content` is neither.
pub(crate) fn convert_content(
    base: &[u8],
    role: Role,
    content: &RawValue,
    timestamp: Option<Millis>,
) -> Option<Converted> {
    let raw = content.get();
    if raw.starts_with('"') {
        let (text, span) = string_with_span(base, Some(content))?;
        let message = message(role, text, span, Vec::new(), None, timestamp);
        return Some(Converted {
            messages: vec![message],
            files: Vec::new(),
        });
    }
    let blocks: Vec<&RawValue> = serde_json::from_str(raw).ok()?;
    Some(convert_blocks(base, role, blocks, timestamp))
}

/// Converts an array of Claude content blocks said by `role` (the array case of
/// [`convert_content`], for callers that parsed the array themselves).
pub(crate) fn convert_blocks(
    base: &[u8],
    role: Role,
    blocks: Vec<&RawValue>,
    timestamp: Option<Millis>,
) -> Converted {
    let mut parts = Parts::default();
    for block in blocks {
        add_block(base, block, &mut parts);
    }
    assemble(role, parts, timestamp)
}

/// Sorts one block into `parts`; blocks of unknown type (images, ...) are ignored.
fn add_block(base: &[u8], block: &RawValue, parts: &mut Parts) {
    let Ok(b) = serde_json::from_str::<RawBlock>(block.get()) else {
        return;
    };
    match as_string(b.kind).as_deref() {
        Some("text") => {
            if let Some(t) = string_with_span(base, b.text) {
                parts.texts.push(t);
            }
        }
        Some("thinking") => parts.thinking.extend(as_string(b.thinking)),
        Some("tool_use") | Some("server_tool_use") => {
            let input = b.input.map(|i| compact(i.get())).unwrap_or_default();
            if let Some(i) = b.input {
                for f in files_in_input(i) {
                    push_item(&mut parts.files, &f);
                }
            }
            parts.calls.push(ToolCall {
                id: as_string(b.id),
                name: as_string(b.name).unwrap_or_default(),
                input,
            });
        }
        Some("tool_result") => {
            let text = b.content.map(|c| content_text(base, c)).unwrap_or_default();
            parts.results.push((as_string(b.tool_use_id), text));
        }
        _ => {}
    }
}

/// The text of a message or `tool_result` content: a string, or the text blocks of an array
/// (joined by newlines); the span survives for a string or a single text block.
pub(crate) fn content_text(base: &[u8], content: &RawValue) -> Spanned {
    if let Some(t) = string_with_span(base, Some(content)) {
        return t;
    }
    let Ok(blocks) = serde_json::from_str::<Vec<&RawValue>>(content.get()) else {
        return (compact(content.get()), None);
    };
    let mut texts: Vec<Spanned> = Vec::new();
    for block in blocks {
        if let Ok(b) = serde_json::from_str::<RawBlock>(block.get()) {
            if as_string(b.kind).as_deref() == Some("text") {
                texts.extend(string_with_span(base, b.text));
            }
        }
    }
    join(texts, "\n")
}

/// Joins texts; the span survives only when there is exactly one.
fn join(mut texts: Vec<Spanned>, sep: &str) -> Spanned {
    if texts.len() == 1 {
        return texts.pop().unwrap_or_default();
    }
    let joined: Vec<String> = texts.into_iter().map(|(t, _)| t).collect();
    (joined.join(sep), None)
}

/// Builds the messages from the sorted parts of one content array.
fn assemble(role: Role, parts: Parts, timestamp: Option<Millis>) -> Converted {
    let mut out = Converted {
        files: parts.files,
        ..Converted::default()
    };
    let (mut text, mut span) = join(parts.texts, "\n\n");
    if text.is_empty() && parts.calls.is_empty() && !parts.thinking.is_empty() {
        (text, span) = (parts.thinking.join("\n\n"), None);
    }
    let has_main = !text.is_empty() || !parts.calls.is_empty();
    if has_main || parts.results.is_empty() {
        out.messages
            .push(message(role, text, span, parts.calls, None, timestamp));
    }
    for (id, (text, span)) in parts.results {
        out.messages
            .push(message(Role::Tool, text, span, Vec::new(), id, timestamp));
    }
    out
}

/// A parsed message; an empty text never carries a span.
pub(crate) fn message(
    role: Role,
    text: String,
    span: Option<Range<usize>>,
    tool_calls: Vec<ToolCall>,
    tool_call_id: Option<String>,
    timestamp: Option<Millis>,
) -> ParsedMessage {
    let text_span = if text.is_empty() { None } else { span };
    ParsedMessage {
        message: Message {
            role,
            text,
            timestamp,
            tool_calls,
            tool_call_id,
        },
        text_span,
    }
}

/// Whether `literal` is exactly a JSON string literal (quotes included, nothing around
/// them) that decodes to `text`, compared as it is decoded, without building the string.
/// Never says yes where `serde_json` would not decode `literal` to `text`; it may say no to
/// a literal `serde_json` accepts with surrounding whitespace (the caller then keeps the text
/// itself, which is only less compact).
pub fn literal_decodes_to(literal: &[u8], text: &str) -> bool {
    let Some(inner) = literal
        .strip_prefix(b"\"")
        .and_then(|l| l.strip_suffix(b"\""))
    else {
        return false;
    };
    let mut want = text.as_bytes();
    let mut i = 0;
    while i < inner.len() {
        // A run of bytes that stand for themselves.
        let run = inner[i..]
            .iter()
            .position(|&b| b == b'\\' || b == b'"' || b < 0x20)
            .unwrap_or(inner.len() - i);
        let Some(rest) = want.strip_prefix(&inner[i..i + run]) else {
            return false;
        };
        want = rest;
        i += run;
        if i == inner.len() {
            break;
        }
        // An unescaped quote or control character is not valid inside a literal.
        if inner[i] != b'\\' {
            return false;
        }
        let Some(&kind) = inner.get(i + 1) else {
            return false;
        };
        i += 2;
        let byte = match kind {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let Some(c) = unicode_escape(inner, &mut i) else {
                    return false;
                };
                let mut buf = [0u8; 4];
                let Some(rest) = want.strip_prefix(c.encode_utf8(&mut buf).as_bytes()) else {
                    return false;
                };
                want = rest;
                continue;
            }
            _ => return false,
        };
        let Some(rest) = want.strip_prefix(&[byte]) else {
            return false;
        };
        want = rest;
    }
    // Every raw run matched bytes of `text` and every escape a whole character, so the
    // decoded bytes are `text`'s, which is UTF-8: the runs were valid UTF-8 too.
    want.is_empty()
}

/// The character of a `\u` escape whose four hex digits start at `inner[*i]` (with the
/// low half of a surrogate pair when it is one), moving `*i` past it. `None` for bad hex
/// or a lone surrogate, which `serde_json` rejects too.
fn unicode_escape(inner: &[u8], i: &mut usize) -> Option<char> {
    let hex4 = |at: usize| -> Option<u32> {
        let digits = inner.get(at..at + 4)?;
        let s = std::str::from_utf8(digits).ok()?;
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(s, 16).ok()
    };
    let first = hex4(*i)?;
    *i += 4;
    match first {
        0xD800..=0xDBFF => {
            if inner.get(*i..*i + 2)? != b"\\u" {
                return None;
            }
            let low = hex4(*i + 2)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            *i += 6;
            char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00))
        }
        0xDC00..=0xDFFF => None,
        c => char::from_u32(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> &RawValue {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn literals_compare_as_decoded() {
        for (lit, text, same) in [
            (r#""plain""#, "plain", true),
            (
                r#""a\"b\\c\/d\n\t\r\b\f""#,
                "a\"b\\c/d\n\t\r\u{8}\u{c}",
                true,
            ),
            (r#""\u00e9\u20AC \ud83d\ude00""#, "é€ 😀", true),
            (r#""é""#, "é", true),
            (r#""plain""#, "plai", false),
            (r#""plai""#, "plain", false),
            (r#" "plain""#, "plain", false),
            (r#""\ud83d""#, "\u{fffd}", false),
            (r#""\ude00x""#, "x", false),
            (r#""\ud83d\u0041""#, "A", false),
            (r#""\x""#, "x", false),
            (r#""\u12""#, "\u{12}", false),
            ("\"tab\there\"", "tab\there", false),
            (r#""a"b""#, "a\"b", false),
            (r#""""#, "", true),
            (r#"""#, "", false),
            (r#""\""#, "\\", false),
        ] {
            assert_eq!(
                literal_decodes_to(lit.as_bytes(), text),
                same,
                "{lit} vs {text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn literals_agree_with_serde_json(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "a", "é", "😀", "\"", "\\", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\b",
                "\\u0041", "\\u00E9", "\\ud83d", "\\ude00", "\\uD83D\\uDE00", "\\u12",
                "\\x", "\n", "\u{1}", " ", "\u{7f}",
            ]), 0..12), tweak in 0usize..4) {
            let lit = format!("\"{}\"", parts.concat());
            let decoded: Option<String> = serde_json::from_str(&lit).ok();
            if let Some(text) = &decoded {
                // What serde decodes, the comparer accepts; and nothing else.
                proptest::prop_assert!(literal_decodes_to(lit.as_bytes(), text));
                let mut other = text.clone();
                match tweak {
                    0 => other.push('a'),
                    1 => { other.pop(); }
                    2 => other.insert(0, 'é'),
                    _ => other = other.replace('a', "b"),
                }
                if other != *text {
                    proptest::prop_assert!(!literal_decodes_to(lit.as_bytes(), &other));
                }
            } else {
                // A literal serde rejects matches no text, not even its naive reading.
                proptest::prop_assert!(!literal_decodes_to(lit.as_bytes(), &parts.concat()));
                proptest::prop_assert!(!literal_decodes_to(lit.as_bytes(), ""));
            }
            // The canonical encoding of any text is recognised.
            let text = parts.concat();
            let canonical = serde_json::to_string(&text).unwrap();
            proptest::prop_assert!(literal_decodes_to(canonical.as_bytes(), &text));
        }
    }

    #[test]
    fn compact_keeps_strings_and_order() {
        assert_eq!(
            compact("{ \"b\" : 1,\n  \"a\": \"x y\\\" z\" }"),
            "{\"b\":1,\"a\":\"x y\\\" z\"}"
        );
    }

    #[test]
    fn span_in_finds_literal() {
        let base = br#"{"content": "hi\nthere"}"#;
        let s = std::str::from_utf8(base).unwrap();
        #[derive(Deserialize)]
        struct T<'a> {
            #[serde(borrow)]
            content: &'a RawValue,
        }
        let t: T = serde_json::from_str(s).unwrap();
        let span = span_in(base, t.content.get()).unwrap();
        assert_eq!(&base[span], br#""hi\nthere""#);
        assert!(span_in(b"other", "x").is_none());
    }

    #[test]
    fn converts_blocks_into_messages() {
        let src = r#"[{"type":"text","text":"Reading"},{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/a.rs"}},{"type":"tool_result","tool_use_id":"t0","content":[{"type":"text","text":"ok"}]}]"#;
        let base = src.as_bytes();
        let content: &RawValue = serde_json::from_str(src).unwrap();
        let c = convert_content(base, Role::Assistant, content, Some(5)).unwrap();
        assert_eq!(c.messages.len(), 2);
        let m = &c.messages[0];
        assert_eq!(m.message.text, "Reading");
        assert_eq!(&src[m.text_span.clone().unwrap()], "\"Reading\"");
        assert_eq!(m.message.tool_calls[0].input, r#"{"file_path":"/a.rs"}"#);
        assert_eq!(c.messages[1].message.role, Role::Tool);
        assert_eq!(c.messages[1].message.tool_call_id.as_deref(), Some("t0"));
        assert_eq!(c.files, vec!["/a.rs"]);
        assert!(convert_content(base, Role::User, raw("12"), None).is_none());
    }
}
