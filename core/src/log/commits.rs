//! Commit records: what one commit of the log shares across its entries.
//!
//! Every commit writes one record to the `commits` column family, in the same batch as its
//! entries, keyed by the commit's last sequence number (u64 big-endian). The record holds
//! the commit's first sequence number, its timestamp and its chain hash, so none of these
//! is repeated in each entry: a batched append of small events stores each event's own
//! fields only. The chain hash is BLAKE3 over the previous commit's hash and this commit's
//! entries (see [`commit_hash`]); the newest record's hash commits to the whole log.
//!
//! Value layout (fixed, 48 bytes): first seq (u64 BE), timestamp in ms (i64 BE), hash.

use rocksdb::DBRawIterator;

use super::seq_key;
use crate::error::{Error, Result};
use crate::model::Millis;

/// Domain separation for the chain hash (v3: entries without seq and hash, one record per
/// commit).
const CHAIN_DOMAIN: &[u8] = b"mnemo/log/v3\0";

/// Size of a stored commit record.
pub const COMMIT_RECORD_LEN: usize = 48;

/// One commit of the log: entries `first_seq..=last_seq`, committed together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitRecord {
    /// Sequence number of the commit's first entry.
    pub first_seq: u64,
    /// Sequence number of the commit's last entry (the record's key).
    pub last_seq: u64,
    /// When it was committed (ms since the Unix epoch).
    pub timestamp: Millis,
    /// The chain hash after this commit.
    pub hash: [u8; 32],
}

impl CommitRecord {
    /// The record's key: its last sequence number.
    pub fn key(&self) -> [u8; 8] {
        seq_key(self.last_seq)
    }

    /// The stored value.
    pub fn value(&self) -> [u8; COMMIT_RECORD_LEN] {
        let mut v = [0u8; COMMIT_RECORD_LEN];
        v[..8].copy_from_slice(&self.first_seq.to_be_bytes());
        v[8..16].copy_from_slice(&self.timestamp.to_be_bytes());
        v[16..].copy_from_slice(&self.hash);
        v
    }

    /// Read a record back from its key and value.
    pub fn decode(key: &[u8], value: &[u8]) -> Result<Self> {
        let bad = |why: &str| Error::corrupted("commit record", why.to_string());
        let key: [u8; 8] = key.try_into().map_err(|_| bad("key is not 8 bytes"))?;
        let value: &[u8; COMMIT_RECORD_LEN] =
            value.try_into().map_err(|_| bad("value is not 48 bytes"))?;
        let mut u = [0u8; 8];
        u.copy_from_slice(&value[..8]);
        let first_seq = u64::from_be_bytes(u);
        u.copy_from_slice(&value[8..16]);
        let timestamp = i64::from_be_bytes(u);
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&value[16..]);
        let last_seq = u64::from_be_bytes(key);
        if first_seq == 0 || first_seq > last_seq {
            return Err(bad("first entry after the last"));
        }
        Ok(CommitRecord {
            first_seq,
            last_seq,
            timestamp,
            hash,
        })
    }

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

/// Finds the commit records of entries read in order (forward or backward), seeking only
/// when an entry lies outside the commit found last.
pub(crate) struct CommitCursor<'a> {
    it: DBRawIterator<'a>,
    current: Option<CommitRecord>,
}

impl<'a> CommitCursor<'a> {
    /// A cursor over the `commits` column family's iterator `it`.
    pub fn new(it: DBRawIterator<'a>) -> Self {
        CommitCursor { it, current: None }
    }

    /// The commit holding entry `seq`; a typed corruption error when there is none.
    pub fn commit_of(&mut self, seq: u64) -> Result<CommitRecord> {
        if let Some(c) = self.current.filter(|c| c.contains(seq)) {
            return Ok(c);
        }
        // A forward scan moves one record on; anything else seeks to the first record
        // whose last seq is at or after `seq`.
        let mut found = None;
        if self.current.is_some_and(|c| c.last_seq < seq) && self.it.valid() {
            self.it.next();
            found = self.current_record()?.filter(|c| c.contains(seq));
        }
        if found.is_none() {
            self.it.seek(seq_key(seq));
            found = self.current_record()?.filter(|c| c.contains(seq));
        }
        self.it.status()?;
        self.current = found;
        found.ok_or_else(|| Error::corrupted("log", format!("entry {seq} has no commit record")))
    }

    fn current_record(&self) -> Result<Option<CommitRecord>> {
        match (self.it.key(), self.it.value()) {
            (Some(k), Some(v)) => CommitRecord::decode(k, v).map(Some),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_rejects_bad_values() {
        let r = CommitRecord {
            first_seq: 7,
            last_seq: 9,
            timestamp: -5,
            hash: [3; 32],
        };
        assert_eq!(CommitRecord::decode(&r.key(), &r.value()).unwrap(), r);
        assert_eq!(r.entries(), 3);
        assert!(r.contains(7) && r.contains(9) && !r.contains(10) && !r.contains(6));
        assert!(CommitRecord::decode(&r.key(), &r.value()[1..]).is_err());
        assert!(CommitRecord::decode(&r.key()[1..], &r.value()).is_err());
        // First after last.
        assert!(CommitRecord::decode(&seq_key(6), &r.value()).is_err());
        let mut zero = r.value();
        zero[..8].copy_from_slice(&0u64.to_be_bytes());
        assert!(CommitRecord::decode(&r.key(), &zero).is_err());
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
