//! Content-addressed blob storage: each session's bytes (its original transcript bytes
//! followed by its message index) are stored once under a BLAKE3 key of their content,
//! compressed with the newest `Transcript` dictionary (at `Options::blob_write_level`, then
//! recompressed behind the writes, see `compaction`), so the same session imported from
//! two files, or twice, is stored once. The key is [`session_blob_key`]: BLAKE3 over the
//! session's own hash and the index, so an import hashes the transcript bytes once for the
//! session id and the blob instead of twice. Blobs stored before that key (BLAKE3 of the
//! blob bytes) stay where they are: a blob is always found by the key its session's record
//! names.
//!
//! One blob per session (not small chunks): zstd finds the long-range repetition inside a
//! transcript (tool outputs quoted again, files re-read) only within one frame, and a
//! session is always read whole. Integrity on read is RocksDB's block checksum plus zstd's
//! own frame checks; the hash is the identity, not re-verified on every read.
//! Blobs are never deleted (sessions are immutable once imported), so no reference counts.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::codec::ContentKind;
use crate::engine::{DbGuard, Engine, CF_BLOBS};
use crate::error::{Error, Result};

/// A reference to one stored blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct BlobRef {
    /// The blob's key: [`session_blob_key`] (BLAKE3 of the blob bytes in stores written
    /// before that key).
    pub hash: [u8; 32],
    /// Blob length in bytes (uncompressed).
    pub len: u32,
}

/// A blob ready to be written, with its frame when it is not stored yet.
pub(crate) struct PreparedBlob {
    pub blob: BlobRef,
    pub frame: Option<Vec<u8>>,
}

/// The key of a session's blob (its bytes `raw` followed by its message index `index`),
/// from `session_hash` = [`crate::sessions::session_hash`]`(raw)`: BLAKE3 over a domain
/// tag, that hash and the index. As collision resistant as BLAKE3: equal keys mean equal
/// transcript bytes (through the session hash) and an equal index, so equal blobs.
pub(crate) fn session_blob_key(session_hash: &[u8; 32], index: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"mnemo/blob/v2\0");
    h.update(session_hash);
    h.update(index);
    *h.finalize().as_bytes()
}

impl Engine {
    /// Compress blob `bytes`, keyed `hash` (see [`session_blob_key`]), unless already
    /// stored (or in `seen`).
    pub(crate) fn prepare_blob(
        &self,
        g: &DbGuard<'_>,
        bytes: &[u8],
        hash: [u8; 32],
        seen: &mut HashSet<[u8; 32]>,
    ) -> Result<PreparedBlob> {
        let len = u32::try_from(bytes.len()).map_err(|_| Error::TooLarge {
            what: "session",
            size: bytes.len() as u64,
            limit: u64::from(u32::MAX),
        })?;
        let stored = !seen.insert(hash) || g.db().get_pinned_cf(g.cf(CF_BLOBS), hash)?.is_some();
        let frame = if stored {
            None
        } else {
            Some(self.encode_sampled_at(ContentKind::Transcript, bytes, self.blob_write_level)?)
        };
        Ok(PreparedBlob {
            blob: BlobRef { hash, len },
            frame,
        })
    }

    /// The bytes of a blob if the cache of decompressed blobs holds them (no read).
    pub(crate) fn cached_blob(&self, blob: &BlobRef) -> Option<Arc<Vec<u8>>> {
        self.blob_cache.as_ref()?.get(&blob.hash)
    }

    /// The bytes of a stored blob, from the cache of decompressed blobs when there.
    pub(crate) fn read_blob(&self, blob: &BlobRef) -> Result<Arc<Vec<u8>>> {
        if let Some(hit) = self.cached_blob(blob) {
            return Ok(hit);
        }
        let bytes = Arc::new(self.read_blob_uncached(blob)?);
        if let Some(cache) = &self.blob_cache {
            cache.insert(blob.hash, bytes.clone());
        }
        Ok(bytes)
    }

    /// The bytes of a stored blob for a one-off pass over many blobs (indexing): from the
    /// cache when there, but not added to it, so a scan does not evict what readers use.
    pub(crate) fn read_blob_for_scan(&self, blob: &BlobRef) -> Result<Arc<Vec<u8>>> {
        if let Some(hit) = self.cached_blob(blob) {
            return Ok(hit);
        }
        Ok(Arc::new(self.read_blob_uncached(blob)?))
    }

    fn read_blob_uncached(&self, blob: &BlobRef) -> Result<Vec<u8>> {
        let g = self.db()?;
        let frame = g
            .db()
            .get_pinned_cf(g.cf(CF_BLOBS), blob.hash)?
            .ok_or_else(|| Error::corrupted("blob", "missing"))?;
        let bytes = self.codec.decode(&frame)?;
        if bytes.len() != blob.len as usize {
            return Err(Error::corrupted(
                "blob",
                "length differs from its reference",
            ));
        }
        Ok(bytes)
    }
}

/// Weighs cached blobs by their size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlobWeighter;

impl quick_cache::Weighter<[u8; 32], Arc<Vec<u8>>> for BlobWeighter {
    fn weight(&self, _key: &[u8; 32], blob: &Arc<Vec<u8>>) -> u64 {
        blob.len() as u64 + 64
    }
}

/// Decompressed session blobs, most useful first (S3-FIFO), bounded in bytes.
pub(crate) type BlobCache = quick_cache::sync::Cache<[u8; 32], Arc<Vec<u8>>, BlobWeighter>;

/// A cache holding about `bytes` of decompressed blobs, or none for 0.
pub(crate) fn blob_cache(bytes: usize) -> Option<BlobCache> {
    (bytes > 0)
        .then(|| BlobCache::with_weighter((bytes / (32 << 10)).max(16), bytes as u64, BlobWeighter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::session_hash;

    #[test]
    fn blob_keys_tell_apart_bytes_and_index_and_stay_fixed() {
        let a = session_blob_key(&session_hash(b"raw"), b"index");
        assert_ne!(a, session_blob_key(&session_hash(b"raw2"), b"index"));
        assert_ne!(a, session_blob_key(&session_hash(b"raw"), b"index2"));
        // Keys are stored: the definition must not change under existing stores.
        assert_eq!(crate::sessions::id_to_hex(&a[..8]), "5a7518f1811c54e3");
    }
}
