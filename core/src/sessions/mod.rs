//! Sessions as stored: the session record (the payload of a `session.imported` event), the
//! `sessions` and `sources` projection rows, and reading sessions back (messages, export).
//!
//! A session's text is not stored twice: messages point into the session's original bytes
//! (stored in the session's content-addressed blob) wherever the parser could locate them. Writing is
//! `ingest`'s job; reading whole sessions, exports and listings is in `read.rs`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::blobs::BlobRef;
use crate::error::{Error, Result};

use crate::model::{Message, Role, SessionInfo, ToolCall};

mod read;

/// Event type of a session import.
pub const SESSION_IMPORTED: &str = "session.imported";
/// Event type of a source file import.
pub const SOURCE_IMPORTED: &str = "source.imported";

/// A session with its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// Metadata.
    pub info: SessionInfo,
    /// Messages in order.
    pub messages: Vec<Message>,
}

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedFile {
    /// BLAKE3 of the file, hex: the id for `export_source`.
    pub source_id: String,
    /// Detected format.
    pub format: String,
    /// Ids of the sessions added by this import.
    pub imported: Vec<String>,
    /// Sessions of the file that were already stored.
    pub already_stored: usize,
    /// File size in bytes.
    pub bytes: u64,
}

/// How a message's text is found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StoredText {
    /// Verbatim bytes of the session's raw bytes.
    Verbatim { start: u32, len: u32 },
    /// A JSON string literal in the session's raw bytes.
    Json { start: u32, len: u32 },
    /// Stored inline.
    Inline(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredMessage {
    pub role: Role,
    pub timestamp: Option<i64>,
    pub text: StoredText,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
}

/// The payload of a `session.imported` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    pub info: SessionInfo,
    pub source_id: [u8; 32],
    /// The session's blob: its original bytes (`raw_len` of them) then its message index.
    pub blob: BlobRef,
    pub raw_len: u32,
}

/// Lay out a session blob: the original bytes, then the encoded message index.
pub(crate) fn session_blob(raw: &[u8], messages: &[StoredMessage]) -> Result<Vec<u8>> {
    let mut blob = raw.to_vec();
    postcard::to_io(messages, &mut blob).map_err(|e| Error::Storage(format!("encoding: {e}")))?;
    Ok(blob)
}

/// Where a stored session's bytes are: what `export_session` and `session_source` need from
/// its record, without reading and decoding its log entry again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionRefs {
    pub blob: BlobRef,
    pub raw_len: u32,
    pub source_id: [u8; 32],
}

impl From<&SessionRecord> for SessionRefs {
    fn from(r: &SessionRecord) -> Self {
        SessionRefs {
            blob: r.blob,
            raw_len: r.raw_len,
            source_id: r.source_id,
        }
    }
}

/// Sessions recently read by full id, and where their bytes are. A session is immutable
/// once imported and never deleted (compaction rewrites a blob's frame, not its hash), so
/// an entry never goes stale; the cache only saves the point reads and decoding of the
/// `sessions` row and the log entry. Bounded to [`SessionCache::CAPACITY`] sessions
/// (about 100 bytes each).
pub(crate) struct SessionCache(quick_cache::sync::Cache<[u8; 16], SessionRefs>);

impl SessionCache {
    /// Sessions kept: 64 Ki.
    pub const CAPACITY: usize = 1 << 16;

    pub fn new() -> Self {
        SessionCache(quick_cache::sync::Cache::new(Self::CAPACITY))
    }
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("len", &self.0.len())
            .finish()
    }
}

/// Projection row in `sessions`: where the record is, plus the summary for listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionRow {
    /// First field: `row_seq` reads it without decoding the rest.
    pub seq: u64,
    pub info: SessionInfo,
}

/// The payload of a `source.imported` event and its projection row in `sources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SourceRecord {
    pub format: String,
    pub len: u64,
    pub path: Option<String>,
    pub sessions: Vec<[u8; 16]>,
}

/// Hex form of a binary id.
pub(crate) fn id_to_hex(id: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(id.len() * 2);
    for &b in id {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The binary id a full 32-digit hex id names (either case), or `None` for anything else
/// (a prefix, or not hex).
fn full_id(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 {
        return None;
    }
    let mut id = [0u8; 16];
    for (i, pair) in hex.as_bytes().chunks_exact(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        id[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(id)
}

/// The log sequence number of a `sessions` row without decoding its `SessionInfo`: `seq`
/// is the row's first field (see [`SessionRow`]).
fn row_seq(row: &[u8]) -> Result<u64> {
    postcard::take_from_bytes::<u64>(row)
        .map(|(seq, _)| seq)
        .map_err(|e| Error::corrupted("session row", e))
}

/// Bytes of a lower- or upper-case hex string (`None` if it is not hex of whole bytes).
pub(crate) fn hex_to_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

/// The full 32-byte hash behind a session's id: BLAKE3 of a domain tag and the session's
/// bytes. Its first 16 bytes are the id ([`id_of_hash`]); all 32 key the session's blob
/// ([`crate::blobs::session_blob_key`]).
pub(crate) fn session_hash(raw: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"mnemo/session/v1\0");
    h.update(raw);
    *h.finalize().as_bytes()
}

/// A session's id: the first 16 bytes of its [`session_hash`].
pub(crate) fn id_of_hash(hash: &[u8; 32]) -> [u8; 16] {
    let mut id = [0u8; 16];
    id.copy_from_slice(&hash[..16]);
    id
}

/// How message text `text` is stored: as a range of the session's bytes `raw[span]` when
/// `at` names one that spells it (verbatim or as a JSON string literal), else inline.
pub(crate) fn locate_text(
    raw: &[u8],
    span: &Range<usize>,
    text: String,
    at: Option<&Range<usize>>,
) -> StoredText {
    let Some(r) = at else {
        return StoredText::Inline(text);
    };
    if r.start < span.start || r.end > span.end || r.start > r.end {
        return StoredText::Inline(text);
    }
    let (Ok(start), Ok(len)) = (u32::try_from(r.start - span.start), u32::try_from(r.len())) else {
        return StoredText::Inline(text);
    };
    let Some(slice) = raw.get(r.clone()) else {
        return StoredText::Inline(text);
    };
    if slice == text.as_bytes() {
        StoredText::Verbatim { start, len }
    } else if crate::import::literal_decodes_to(slice, &text) {
        StoredText::Json { start, len }
    } else {
        StoredText::Inline(text)
    }
}

/// Split a session blob into its original bytes and its message index.
fn split_blob(blob: &[u8], raw_len: u32) -> Result<(&[u8], &[u8])> {
    if raw_len as usize > blob.len() {
        return Err(Error::corrupted("session", "blob shorter than its bytes"));
    }
    Ok(blob.split_at(raw_len as usize))
}

/// A session blob's original bytes and its decoded message index.
fn message_index(blob: &[u8], raw_len: u32) -> Result<(&[u8], Vec<StoredMessage>)> {
    let (raw, index) = split_blob(blob, raw_len)?;
    let stored = postcard::from_bytes(index).map_err(|e| Error::corrupted("message index", e))?;
    Ok((raw, stored))
}

fn resolve_text(raw: &[u8], text: &StoredText) -> Result<String> {
    let slice = |start: u32, len: u32| {
        raw.get(start as usize..start as usize + len as usize)
            .ok_or_else(|| Error::corrupted("session", "text reference out of range"))
    };
    match text {
        StoredText::Inline(s) => Ok(s.clone()),
        StoredText::Verbatim { start, len } => String::from_utf8(slice(*start, *len)?.to_vec())
            .map_err(|_| Error::corrupted("session", "text is not UTF-8")),
        StoredText::Json { start, len } => {
            serde_json::from_slice(slice(*start, *len)?).map_err(|e| Error::corrupted("session", e))
        }
    }
}

/// Files under `path` worth trying to import: `path` itself when it is a file; otherwise
/// files below it with a transcript-like extension (`md`, `markdown`, `traj`, `jsonl`,
/// `json`), sorted.
pub fn collect_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                // By name suffix, so a file named just `.md` counts too.
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if [".md", ".markdown", ".traj", ".jsonl", ".json"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
                {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::Engine;

    #[test]
    fn hex_ids_are_lower_case_two_digits_per_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(id_to_hex(&bytes), expected);
        assert_eq!(id_to_hex(&[]), "");
    }

    #[test]
    fn full_ids_parse_in_either_case_and_nothing_else_does() {
        let id = [0xab; 16];
        assert_eq!(full_id(&id_to_hex(&id)), Some(id));
        assert_eq!(full_id(&id_to_hex(&id).to_ascii_uppercase()), Some(id));
        assert_eq!(full_id(&"ab".repeat(15)), None); // a prefix
        assert_eq!(full_id(&format!("{}zz", "ab".repeat(15))), None);
        assert_eq!(full_id(&format!("{}é", "a".repeat(30))), None); // 32 bytes, not hex
    }

    #[test]
    fn row_seq_reads_the_first_field_of_a_row() {
        let row = SessionRow {
            seq: 300_000_000_123,
            info: SessionInfo {
                id: "ab".repeat(16),
                source_tool: "aider".into(),
                format: "aider".into(),
                project: None,
                title: Some("t".into()),
                started_at: Some(1),
                ended_at: None,
                files_touched: vec!["a.rs".into()],
                metadata: BTreeMap::new(),
                message_count: 2,
                raw_len: 10,
            },
        };
        let bytes = postcard::to_stdvec(&row).unwrap();
        assert_eq!(row_seq(&bytes).unwrap(), row.seq);
        assert!(matches!(row_seq(&[0xff]), Err(Error::Corrupted { .. })));
    }

    #[test]
    fn the_sessions_row_summarizes_exactly_the_record() {
        // `session` takes the summary from the row and the rest through the record.
        let dir = tempfile::tempdir().unwrap();
        let options = crate::Options {
            sync_writes: false,
            ..Default::default()
        };
        let e = Engine::open(&dir.path().join("store"), options).unwrap();
        let root = crate::sample_transcripts();
        let cache = SessionCache::new();
        let mut checked = 0;
        for file in collect_files(&root).unwrap() {
            let bytes = std::fs::read(&file).unwrap();
            let Ok(imported) = e.import_bytes(&file, &bytes) else {
                continue;
            };
            for id in &imported.imported {
                let bin = full_id(id).unwrap();
                let row = e.session_row(&e.db().unwrap(), &bin).unwrap().unwrap();
                let rec = e.record_at(row.seq).unwrap();
                assert_eq!(row.info, rec.info);
                let s = e.session(id, &cache).unwrap();
                assert_eq!(s.info, rec.info);
                assert_eq!(e.session(id, &cache).unwrap(), s); // from the cache now
                checked += 1;
            }
        }
        assert!(checked >= 5, "{checked} sessions checked");
        e.close();
    }
}
