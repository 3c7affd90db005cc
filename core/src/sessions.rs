//! Sessions as stored: the session record (the payload of a `session.imported` event), the
//! `sessions` and `sources` projection rows, and reading sessions back (messages, export).
//!
//! A session's text is not stored twice: messages point into the session's original bytes
//! (stored in the session's content-addressed blob) wherever the parser could locate them. Writing is
//! `ingest`'s job.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::blobs::BlobRef;
use crate::engine::{DbGuard, Engine, CF_SESSIONS, CF_SOURCES};
use crate::error::{Error, Result};

use crate::model::{Message, Role, SessionInfo, ToolCall};

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

pub(crate) fn session_id(raw: &[u8]) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    h.update(b"mnemo/session/v1\0");
    h.update(raw);
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    id
}

pub(crate) fn locate_text(
    raw: &[u8],
    span: &Range<usize>,
    text: &str,
    at: Option<&Range<usize>>,
) -> StoredText {
    let inline = || StoredText::Inline(text.to_string());
    let Some(r) = at else { return inline() };
    if r.start < span.start || r.end > span.end || r.start > r.end {
        return inline();
    }
    let (Ok(start), Ok(len)) = (u32::try_from(r.start - span.start), u32::try_from(r.len())) else {
        return inline();
    };
    let Some(slice) = raw.get(r.clone()) else {
        return inline();
    };
    if slice == text.as_bytes() {
        StoredText::Verbatim { start, len }
    } else if serde_json::from_slice::<String>(slice).ok().as_deref() == Some(text) {
        StoredText::Json { start, len }
    } else {
        inline()
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

impl Engine {
    pub(crate) fn session_row(&self, g: &DbGuard<'_>, id: &[u8]) -> Result<Option<SessionRow>> {
        match g.db().get_pinned_cf(g.cf(CF_SESSIONS), id)? {
            None => Ok(None),
            Some(v) => postcard::from_bytes(&v)
                .map(Some)
                .map_err(|e| Error::corrupted("session row", e)),
        }
    }

    /// Resolve a full id or a unique id prefix (hex) to a session's binary id.
    pub(crate) fn resolve_session(&self, id_or_prefix: &str) -> Result<[u8; 16]> {
        let not_found = || Error::NotFound {
            kind: "session",
            key: id_or_prefix.to_string(),
        };
        let lower = id_or_prefix.to_ascii_lowercase();
        if lower.is_empty() || lower.len() > 32 || !lower.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let g = self.db()?;
        if lower.len() == 32 {
            // A full id: one point read.
            let id: [u8; 16] = hex_to_bytes(&lower)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(not_found)?;
            return match g.db().get_pinned_cf(g.cf(CF_SESSIONS), id)? {
                Some(_) => Ok(id),
                None => Err(not_found()),
            };
        }
        // Scan with the even-length byte prefix, then filter on the full hex prefix.
        let even = &lower[..lower.len() - lower.len() % 2];
        let prefix = hex_to_bytes(even).ok_or_else(not_found)?;
        let mut found: Vec<[u8; 16]> = Vec::new();
        let it = g.db().iterator_cf(
            g.cf(CF_SESSIONS),
            rocksdb::IteratorMode::From(&prefix, rocksdb::Direction::Forward),
        );
        for item in it {
            let (k, _) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            if id_to_hex(&k).starts_with(&lower) {
                let id: [u8; 16] = k
                    .as_ref()
                    .try_into()
                    .map_err(|_| Error::corrupted("session key", "not 16 bytes"))?;
                found.push(id);
                if found.len() > 1 && lower.len() == 32 {
                    break;
                }
            }
        }
        match found.len() {
            0 => Err(not_found()),
            1 => Ok(found[0]),
            count => Err(Error::Ambiguous {
                kind: "session",
                prefix: id_or_prefix.to_string(),
                count,
            }),
        }
    }

    /// The binary id of a session by id or unique id prefix: a full id without any read
    /// (whether it exists is up to the caller's next read), a prefix by a scan.
    fn session_id_of(&self, id_or_prefix: &str) -> Result<[u8; 16]> {
        match full_id(id_or_prefix) {
            Some(id) => Ok(id),
            None => self.resolve_session(id_or_prefix),
        }
    }

    /// The `sessions` row of session `id`, decoded by `decode`: one point read;
    /// [`Error::NotFound`] naming `asked` (what the caller passed) when there is none.
    fn row_with<T>(
        &self,
        id: &[u8; 16],
        asked: &str,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<T> {
        let g = self.db()?;
        let row = g
            .db()
            .get_pinned_cf(g.cf(CF_SESSIONS), id)?
            .ok_or_else(|| Error::NotFound {
                kind: "session",
                key: asked.to_string(),
            })?;
        decode(&row)
    }

    /// The `sessions` row of a session by id or unique id prefix, decoded by `decode`: a
    /// full id is one point read (no separate existence check), a prefix a scan first.
    fn find_session<T>(
        &self,
        id_or_prefix: &str,
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<T> {
        let id = self.session_id_of(id_or_prefix)?;
        self.row_with(&id, id_or_prefix, decode)
    }

    /// The record of a session (the payload of its `session.imported` event at `seq`).
    fn record_at(&self, seq: u64) -> Result<SessionRecord> {
        let entry = self
            .entry(seq)?
            .ok_or_else(|| Error::corrupted("session", "log entry missing"))?;
        postcard::from_bytes(&entry.payload).map_err(|e| Error::corrupted("session record", e))
    }

    fn session_record(&self, id: &[u8; 16]) -> Result<SessionRecord> {
        let row = {
            let g = self.db()?;
            self.session_row(&g, id)?.ok_or_else(|| Error::NotFound {
                kind: "session",
                key: id_to_hex(id),
            })?
        };
        self.record_at(row.seq)
    }

    /// A whole session by id or unique id prefix: its `sessions` row (the summary), and its
    /// bytes and message index from its blob, found through `cache` (or its record).
    pub(crate) fn session(&self, id_or_prefix: &str, cache: &SessionCache) -> Result<Session> {
        let id = self.session_id_of(id_or_prefix)?;
        let row: SessionRow = self.row_with(&id, id_or_prefix, |v| {
            postcard::from_bytes(v).map_err(|e| Error::corrupted("session row", e))
        })?;
        let refs = match cache.0.get(&id) {
            Some(refs) => refs,
            None => {
                let refs = SessionRefs::from(&self.record_at(row.seq)?);
                cache.0.insert(id, refs);
                refs
            }
        };
        let blob = self.read_blob(&refs.blob)?;
        let (raw, stored) = message_index(&blob, refs.raw_len)?;
        let messages = stored
            .into_iter()
            .map(|m| {
                Ok(Message {
                    role: m.role,
                    text: resolve_text(raw, &m.text)?,
                    timestamp: m.timestamp,
                    tool_calls: m.tool_calls,
                    tool_call_id: m.tool_call_id,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // The row's summary is the record's: both are written from the same `SessionInfo`
        // in one batch (`ingest`).
        Ok(Session {
            info: row.info,
            messages,
        })
    }

    /// The message texts of a stored session, in order (for indexing).
    pub(crate) fn session_texts(&self, rec: &SessionRecord) -> Result<Vec<String>> {
        let blob = self.read_blob_for_scan(&rec.blob)?;
        let (raw, stored) = message_index(&blob, rec.raw_len)?;
        stored.iter().map(|m| resolve_text(raw, &m.text)).collect()
    }

    /// Session metadata only (no message bodies): one point read for a full id.
    pub(crate) fn session_info(&self, id_or_prefix: &str) -> Result<SessionInfo> {
        self.find_session(id_or_prefix, |v| {
            postcard::from_bytes::<SessionRow>(v)
                .map(|row| row.info)
                .map_err(|e| Error::corrupted("session row", e))
        })
    }

    /// Where the bytes of a session (by id or unique id prefix) are: from `cache` for a full
    /// id read before, else from its record (then cached).
    fn session_refs(&self, id_or_prefix: &str, cache: &SessionCache) -> Result<SessionRefs> {
        let id = self.session_id_of(id_or_prefix)?;
        if let Some(refs) = cache.0.get(&id) {
            // A closed store answers nothing, whatever is cached.
            drop(self.db()?);
            return Ok(refs);
        }
        let seq = self.row_with(&id, id_or_prefix, row_seq)?;
        let refs = SessionRefs::from(&self.record_at(seq)?);
        cache.0.insert(id, refs);
        Ok(refs)
    }

    /// The original bytes the session was imported from, byte-exact.
    pub(crate) fn export_session(
        &self,
        id_or_prefix: &str,
        cache: &SessionCache,
    ) -> Result<Vec<u8>> {
        let refs = self.session_refs(id_or_prefix, cache)?;
        self.original_bytes(&refs.blob, refs.raw_len)
    }

    /// The first `raw_len` bytes of a session blob: the session's original bytes.
    fn original_bytes(&self, blob: &BlobRef, raw_len: u32) -> Result<Vec<u8>> {
        let blob = self.read_blob(blob)?;
        Ok(split_blob(&blob, raw_len)?.0.to_vec())
    }

    /// The whole original file with the given source id (hex BLAKE3), byte-exact.
    pub(crate) fn export_source(&self, source_hex: &str) -> Result<Vec<u8>> {
        let not_found = || Error::NotFound {
            kind: "source",
            key: source_hex.to_string(),
        };
        let key = hex_to_bytes(&source_hex.to_ascii_lowercase())
            .filter(|k| k.len() == 32)
            .ok_or_else(not_found)?;
        let rec: SourceRecord = {
            let g = self.db()?;
            let v = g
                .db()
                .get_pinned_cf(g.cf(CF_SOURCES), &key)?
                .ok_or_else(not_found)?;
            postcard::from_bytes(&v).map_err(|e| Error::corrupted("source row", e))?
        };
        let mut out = Vec::with_capacity(rec.len as usize);
        for id in &rec.sessions {
            let s = self.session_record(id)?;
            out.extend_from_slice(&self.original_bytes(&s.blob, s.raw_len)?);
        }
        if out.len() as u64 != rec.len {
            return Err(Error::corrupted(
                "source",
                "length differs from the imported file",
            ));
        }
        Ok(out)
    }

    /// The source id (hex) a session was imported from.
    pub(crate) fn session_source(
        &self,
        id_or_prefix: &str,
        cache: &SessionCache,
    ) -> Result<String> {
        Ok(id_to_hex(
            &self.session_refs(id_or_prefix, cache)?.source_id,
        ))
    }

    /// Every session summary, in id order.
    pub(crate) fn all_sessions(&self) -> Result<Vec<SessionInfo>> {
        let g = self.db()?;
        let mut out = Vec::new();
        for item in g
            .db()
            .iterator_cf(g.cf(CF_SESSIONS), rocksdb::IteratorMode::Start)
        {
            let (_, v) = item?;
            let row: SessionRow =
                postcard::from_bytes(&v).map_err(|e| Error::corrupted("session row", e))?;
            out.push(row.info);
        }
        Ok(out)
    }

    /// Summaries of the given sessions (binary ids), missing ones skipped.
    pub(crate) fn session_infos(&self, ids: &[Vec<u8>]) -> Result<BTreeMap<Vec<u8>, SessionInfo>> {
        let g = self.db()?;
        let mut out = BTreeMap::new();
        for id in ids {
            if let Some(row) = self.session_row(&g, id)? {
                out.insert(id.clone(), row.info);
            }
        }
        Ok(out)
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
    use super::*;

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
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/transcripts");
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
