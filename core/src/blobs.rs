//! Content-addressed chunk storage: large bytes are cut into content-defined chunks
//! (FastCDC), each stored once under its BLAKE3 hash, so the same tool output or file body
//! imported twice is stored once.
//!
//! This module owns chunking and the `blobs` column family. Chunks are never deleted
//! (sessions are immutable once imported), so no reference counts are kept.

use std::collections::HashSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::codec::ContentKind;
use crate::engine::{DbGuard, Engine, CF_BLOBS};
use crate::error::{Error, Result};

/// Smallest chunk FastCDC cuts (except a final short one).
const MIN_CHUNK: u32 = 2 << 10;
/// Target average chunk size.
const AVG_CHUNK: u32 = 8 << 10;
/// Largest chunk.
const MAX_CHUNK: u32 = 64 << 10;

/// A reference to one stored chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct ChunkRef {
    /// BLAKE3 of the chunk bytes.
    pub hash: [u8; 32],
    /// Chunk length in bytes.
    pub len: u32,
}

/// A chunk ready to be written, with its frame when it is not stored yet.
pub(crate) struct PreparedChunk {
    pub chunk: ChunkRef,
    pub frame: Option<Vec<u8>>,
}

/// Cut `data` into content-defined chunk ranges.
pub(crate) fn cut(data: &[u8]) -> Vec<Range<usize>> {
    if data.len() <= MIN_CHUNK as usize {
        return std::iter::once(0..data.len()).collect();
    }
    fastcdc::v2020::FastCDC::new(data, MIN_CHUNK, AVG_CHUNK, MAX_CHUNK)
        .map(|c| c.offset..c.offset + c.length)
        .collect()
}

impl Engine {
    /// Chunk `data`, compressing only the chunks not already stored (nor in `seen`).
    pub(crate) fn prepare_chunks(
        &self,
        g: &DbGuard<'_>,
        data: &[u8],
        seen: &mut HashSet<[u8; 32]>,
    ) -> Result<Vec<PreparedChunk>> {
        let mut out = Vec::new();
        for range in cut(data) {
            let bytes = &data[range];
            let hash = *blake3::hash(bytes).as_bytes();
            let chunk = ChunkRef {
                hash,
                len: bytes.len() as u32,
            };
            let stored =
                !seen.insert(hash) || g.db().get_pinned_cf(g.cf(CF_BLOBS), hash)?.is_some();
            let frame = if stored {
                None
            } else {
                Some(self.encode_sampled(ContentKind::Transcript, bytes)?)
            };
            out.push(PreparedChunk { chunk, frame });
        }
        Ok(out)
    }

    /// Concatenate the chunks' bytes, checking each against its hash.
    pub(crate) fn read_chunks(&self, chunks: &[ChunkRef]) -> Result<Vec<u8>> {
        let g = self.db()?;
        let total: usize = chunks.iter().map(|c| c.len as usize).sum();
        let mut out = Vec::with_capacity(total);
        let keys: Vec<_> = chunks.iter().map(|c| (g.cf(CF_BLOBS), c.hash)).collect();
        for (chunk, value) in chunks.iter().zip(g.db().multi_get_cf(keys)) {
            let frame = value?.ok_or_else(|| Error::corrupted("chunk", "missing"))?;
            let bytes = self.codec.decode(&frame)?;
            if bytes.len() != chunk.len as usize || *blake3::hash(&bytes).as_bytes() != chunk.hash {
                return Err(Error::corrupted("chunk", "content does not match its hash"));
            }
            out.extend_from_slice(&bytes);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn chunks_cover_input(data in proptest::collection::vec(any::<u8>(), 0..200_000)) {
            let ranges = cut(&data);
            let mut pos = 0;
            for r in &ranges {
                prop_assert_eq!(r.start, pos);
                prop_assert!(r.end > r.start || data.is_empty());
                pos = r.end;
            }
            prop_assert_eq!(pos, data.len());
        }
    }
}
