//! Reading sessions back: rows and records by id or prefix, whole sessions with their
//! messages, exports of the original bytes, listings.

use std::collections::BTreeMap;

use super::*;
use crate::engine::{DbGuard, Engine, CF_SESSIONS, CF_SOURCES};

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
    pub(super) fn record_at(&self, seq: u64) -> Result<SessionRecord> {
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

    /// [`Engine::export_session`] when the caches hold both where the session is and its
    /// blob, reading nothing from the store (sessions never change once stored). `None`
    /// otherwise: for an id prefix (resolving one reads the store), an id not read
    /// recently, or a closed store.
    pub(crate) fn export_session_if_cached(
        &self,
        id: &str,
        cache: &SessionCache,
    ) -> Option<Vec<u8>> {
        drop(self.db().ok()?);
        let refs = cache.0.get(&full_id(id)?)?;
        let blob = self.cached_blob(&refs.blob)?;
        Some(split_blob(&blob, refs.raw_len).ok()?.0.to_vec())
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
