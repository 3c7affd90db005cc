//! Commit records: what one commit of the log shares across its entries.
//!
//! Every block of a commit carries the commit's record (see `block`): its first and last
//! sequence numbers, its timestamp and its chain hash, so none of these is repeated in
//! each entry. The chain hash is BLAKE3 over the previous commit's hash and this commit's
//! entries (see [`commit_hash`]); the newest commit's hash commits to the whole log.

use crate::model::Millis;

/// Domain separation for the chain hash (v3: entries without seq and hash, one record per
/// commit; unchanged by packing entries into blocks, which the hash does not see).
const CHAIN_DOMAIN: &[u8] = b"mnemo/log/v3\0";

/// One commit of the log: entries `first_seq..=last_seq`, committed together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitRecord {
    /// Sequence number of the commit's first entry.
    pub first_seq: u64,
    /// Sequence number of the commit's last entry.
    pub last_seq: u64,
    /// When it was committed (ms since the Unix epoch).
    pub timestamp: Millis,
    /// The chain hash after this commit.
    pub hash: [u8; 32],
}

impl CommitRecord {
    /// Number of entries in the commit.
    pub fn entries(&self) -> u64 {
        self.last_seq - self.first_seq + 1
    }

    /// Whether `seq` belongs to this commit.
    pub fn contains(&self, seq: u64) -> bool {
        (self.first_seq..=self.last_seq).contains(&seq)
    }
}

/// The chain hash of one commit: BLAKE3 over a domain tag, the previous commit's hash, the
/// commit's first sequence number, entry count and timestamp, the lengths of its entries'
/// canonical frames (u32 LE each), and those frames concatenated. An entry's canonical
/// frame is [`super::BARE_ENTRY`] and its stored body, which is exactly what the log stores
/// for a small entry of a plaintext store. One hash per commit over contiguous bytes lets
/// BLAKE3 hash many chunks at once, where a hash per small entry cost more than the rest of
/// an append.
pub(crate) fn commit_hash(
    previous: &[u8; 32],
    first_seq: u64,
    timestamp: Millis,
    lengths: &[u32],
    frames: &[u8],
) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(CHAIN_DOMAIN);
    h.update(previous);
    h.update(&first_seq.to_be_bytes());
    h.update(&(lengths.len() as u64).to_be_bytes());
    h.update(&timestamp.to_be_bytes());
    let mut lens = Vec::with_capacity(lengths.len() * 4);
    for l in lengths {
        lens.extend_from_slice(&l.to_le_bytes());
    }
    h.update(&lens);
    h.update(frames);
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_count_and_contain_their_entries() {
        let r = CommitRecord {
            first_seq: 7,
            last_seq: 9,
            timestamp: -5,
            hash: [3; 32],
        };
        assert_eq!(r.entries(), 3);
        assert!(r.contains(7) && r.contains(9) && !r.contains(10) && !r.contains(6));
    }

    #[test]
    fn hash_depends_on_every_field() {
        let base = commit_hash(&[0; 32], 1, 3, &[1, 1], b"ab");
        assert_ne!(base, commit_hash(&[1; 32], 1, 3, &[1, 1], b"ab"));
        assert_ne!(base, commit_hash(&[0; 32], 2, 3, &[1, 1], b"ab"));
        assert_ne!(base, commit_hash(&[0; 32], 1, 4, &[1, 1], b"ab"));
        assert_ne!(base, commit_hash(&[0; 32], 1, 3, &[1, 1], b"ac"));
        // The same bytes split into other entries hash differently.
        assert_ne!(base, commit_hash(&[0; 32], 1, 3, &[2], b"ab"));
        assert_ne!(base, commit_hash(&[0; 32], 1, 3, &[0, 2], b"ab"));
    }
}
