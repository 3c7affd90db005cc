//! Log blocks: how the `log` column family stores entries.
//!
//! A commit's entries are packed, in order, into one or more blocks of up to about
//! [`BLOCK_TARGET`] bytes (an entry is never split; one larger entry makes a block of its
//! own). Each block is one RocksDB value, keyed by the sequence number of its last entry
//! (u64 BE), so finding the block of entry `s` is one seek to the first key `>= s`. A batched
//! append of a thousand small events so costs RocksDB a handful of keys instead of a
//! thousand: the per-key work (memtable inserts, index entries, flush and compaction of many
//! small keys) was most of what an append cost beyond the bytes themselves.
//!
//! Value layout:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | [`BLOCK_MAGIC`] |
//! | 8 | the commit's first sequence number (u64 BE) |
//! | 8 | the commit's last sequence number (u64 BE) |
//! | 8 | the block's first sequence number (u64 BE) |
//! | 8 | the commit's timestamp, ms since the Unix epoch (i64 BE) |
//! | 32 | the commit's chain hash (see [`super::commit_hash`]) |
//! | … | per entry: its stored length (LEB128, minimal) and its stored value |
//!
//! An entry's stored value is a bare entry ([`super::BARE_ENTRY`] and its body) or a codec
//! frame (compressed and/or sealed). Every block of a commit repeats the commit's record
//! (first and last sequence number, timestamp, hash), so any block can be read alone.

use crate::error::{Error, Result};
use crate::log::CommitRecord;
use crate::model::Millis;

/// First byte of every log block. Values of the log written by earlier Mnemo versions start
/// with a codec frame's version (small) or [`super::BARE_ENTRY`] (0), never with this.
pub const BLOCK_MAGIC: u8 = 0xB4;

/// Size of a block's header.
pub const BLOCK_HEADER_LEN: usize = 1 + 8 + 8 + 8 + 8 + 32;

/// A block is closed once its entries take this many bytes: small enough that reading one
/// entry (a stream's event scattered through the log) reads little besides it, large
/// enough that a batch of small events is a few keys.
pub const BLOCK_TARGET: usize = 16 << 10;

/// One block of the log, borrowed from its stored value.
#[derive(Debug, Clone, Copy)]
pub struct LogBlock<'a> {
    /// The commit the block's entries belong to.
    pub commit: CommitRecord,
    /// Sequence number of the block's first entry.
    pub first_seq: u64,
    /// Sequence number of the block's last entry (its key).
    pub last_seq: u64,
    entries: &'a [u8],
}

impl<'a> LogBlock<'a> {
    /// Read a block's header from its key and value; its entries are checked as they are
    /// read ([`LogBlock::entries`]).
    pub fn parse(key: &[u8], value: &'a [u8]) -> Result<Self> {
        let bad = |why: &str| Error::corrupted("log block", why.to_string());
        let key: [u8; 8] = key.try_into().map_err(|_| bad("key is not 8 bytes"))?;
        let last_seq = u64::from_be_bytes(key);
        if value.len() < BLOCK_HEADER_LEN {
            return Err(bad("shorter than a block header"));
        }
        if value[0] != BLOCK_MAGIC {
            return Err(Error::corrupted(
                "log",
                format!(
                    "entry {last_seq} is not a log block: the store was written by an older \
                     Mnemo (log format v3 or before), which this version cannot read; export \
                     with that version and import again"
                ),
            ));
        }
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&value[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let (commit_first, commit_last, first_seq) = (u64_at(1), u64_at(9), u64_at(17));
        let timestamp = u64_at(25) as Millis;
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&value[33..BLOCK_HEADER_LEN]);
        if commit_first == 0 || commit_first > first_seq || first_seq > last_seq {
            return Err(bad("entries out of order"));
        }
        if last_seq > commit_last {
            return Err(bad("entries past the end of their commit"));
        }
        Ok(LogBlock {
            commit: CommitRecord {
                first_seq: commit_first,
                last_seq: commit_last,
                timestamp,
                hash,
            },
            first_seq,
            last_seq,
            entries: &value[BLOCK_HEADER_LEN..],
        })
    }

    /// Whether entry `seq` is in this block.
    pub fn contains(&self, seq: u64) -> bool {
        (self.first_seq..=self.last_seq).contains(&seq)
    }

    /// The block's entries in order: `(seq, stored value)`. A malformed length, a missing
    /// entry or bytes after the last one are a corruption error (the last item).
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            rest: self.entries,
            next: self.first_seq,
            last: self.last_seq,
            failed: false,
        }
    }

    /// The stored value of entry `seq`, which must be in this block.
    pub fn stored(&self, seq: u64) -> Result<&'a [u8]> {
        if !self.contains(seq) {
            return Err(Error::corrupted(
                "log",
                format!("entry {seq} looked up in the wrong block"),
            ));
        }
        let mut it = self.entries();
        for _ in self.first_seq..seq {
            it.next().transpose()?;
        }
        match it.next() {
            Some(Ok((_, v))) => Ok(v),
            Some(Err(e)) => Err(e),
            None => Err(Error::corrupted("log", format!("entry {seq} is missing"))),
        }
    }
}

/// Iterator over a block's entries (see [`LogBlock::entries`]).
#[derive(Debug)]
pub struct Entries<'a> {
    rest: &'a [u8],
    next: u64,
    last: u64,
    failed: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<(u64, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next > self.last {
            return None;
        }
        let seq = self.next;
        let item = read_len(self.rest).and_then(|(len, used)| {
            let end = used
                .checked_add(len)
                .filter(|&end| end <= self.rest.len())
                .ok_or_else(|| {
                    Error::corrupted("log block", format!("entry {seq} runs past the block"))
                })?;
            let value = &self.rest[used..end];
            self.rest = &self.rest[end..];
            if seq == self.last && !self.rest.is_empty() {
                return Err(Error::corrupted(
                    "log block",
                    format!("bytes after its last entry {seq}"),
                ));
            }
            Ok((seq, value))
        });
        self.failed = item.is_err();
        self.next += 1;
        Some(item)
    }
}

/// Append `len` as a minimal LEB128 varint.
fn push_len(len: usize, out: &mut Vec<u8>) {
    let mut v = len as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Read a minimal LEB128 length of at most 32 bits; returns it and the bytes it took.
fn read_len(bytes: &[u8]) -> Result<(usize, usize)> {
    let bad = || Error::corrupted("log block", "malformed entry length");
    let mut v: u64 = 0;
    for (i, &b) in bytes.iter().take(5).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if (b == 0 && i > 0) || v > u64::from(u32::MAX) {
                return Err(bad());
            }
            return Ok((v as usize, i + 1));
        }
    }
    Err(bad())
}

/// Builds the blocks of one commit: entries are added in order, and a block is closed once
/// it holds [`BLOCK_TARGET`] bytes of entries.
#[derive(Debug)]
pub(crate) struct BlockBuilder {
    commit: CommitRecord,
    /// Closed blocks: (key, value).
    blocks: Vec<([u8; 8], Vec<u8>)>,
    current: Vec<u8>,
    current_first: u64,
    next_seq: u64,
}

impl BlockBuilder {
    /// Blocks for `commit`, whose entries must then be added in order.
    pub fn new(commit: CommitRecord, capacity: usize) -> Self {
        let mut b = BlockBuilder {
            commit,
            blocks: Vec::new(),
            current: Vec::new(),
            current_first: commit.first_seq,
            next_seq: commit.first_seq,
        };
        b.start_block(capacity.min(BLOCK_TARGET + 4096));
        b
    }

    fn start_block(&mut self, capacity: usize) {
        let c = &self.commit;
        self.current = Vec::with_capacity(BLOCK_HEADER_LEN + capacity);
        self.current.push(BLOCK_MAGIC);
        self.current.extend_from_slice(&c.first_seq.to_be_bytes());
        self.current.extend_from_slice(&c.last_seq.to_be_bytes());
        self.current.extend_from_slice(&self.next_seq.to_be_bytes());
        self.current.extend_from_slice(&c.timestamp.to_be_bytes());
        self.current.extend_from_slice(&c.hash);
        self.current_first = self.next_seq;
    }

    /// Add the next entry's stored value.
    pub fn push(&mut self, stored: &[u8]) {
        if self.next_seq > self.current_first
            && self.current.len() >= BLOCK_HEADER_LEN + BLOCK_TARGET
        {
            self.close_block();
            self.start_block(BLOCK_TARGET + 4096);
        }
        push_len(stored.len(), &mut self.current);
        self.current.extend_from_slice(stored);
        self.next_seq += 1;
    }

    fn close_block(&mut self) {
        let key = super::seq_key(self.next_seq - 1);
        self.blocks.push((key, std::mem::take(&mut self.current)));
    }

    /// The commit's blocks, `(key, value)` in order; every entry of the commit must have
    /// been added.
    pub fn finish(mut self) -> Vec<([u8; 8], Vec<u8>)> {
        debug_assert_eq!(self.next_seq, self.commit.last_seq + 1);
        self.close_block();
        self.blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(first: u64, last: u64) -> CommitRecord {
        CommitRecord {
            first_seq: first,
            last_seq: last,
            timestamp: 42,
            hash: [7; 32],
        }
    }

    #[test]
    fn blocks_round_trip_and_split_at_the_target() {
        let values: Vec<Vec<u8>> = (0..100u8)
            .map(|i| vec![i; 200 + 50 * (i as usize % 7)])
            .collect();
        let c = commit(10, 109);
        let mut b = BlockBuilder::new(c, 1 << 20);
        for v in &values {
            b.push(v);
        }
        let blocks = b.finish();
        assert!(blocks.len() > 1, "{} blocks", blocks.len());
        let mut seen = Vec::new();
        let mut expected_first = 10;
        for (k, v) in &blocks {
            let block = LogBlock::parse(k, v).unwrap();
            assert_eq!(block.commit, c);
            assert_eq!(block.first_seq, expected_first);
            assert!(v.len() < BLOCK_HEADER_LEN + BLOCK_TARGET + 400);
            for item in block.entries() {
                let (seq, value) = item.unwrap();
                assert_eq!(block.stored(seq).unwrap(), value);
                seen.push((seq, value.to_vec()));
            }
            expected_first = block.last_seq + 1;
        }
        assert_eq!(expected_first, 110);
        let want: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (10 + i as u64, v.clone()))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn an_entry_larger_than_the_target_is_a_block_of_its_own() {
        let c = commit(1, 3);
        let mut b = BlockBuilder::new(c, 0);
        b.push(&[1; 10]);
        b.push(&vec![2; BLOCK_TARGET * 2]);
        b.push(&[3; 10]);
        let blocks = b.finish();
        let firsts: Vec<u64> = blocks
            .iter()
            .map(|(k, v)| LogBlock::parse(k, v).unwrap().first_seq)
            .collect();
        assert_eq!(firsts, vec![1, 3]);
        let block = LogBlock::parse(&blocks[0].0, &blocks[0].1).unwrap();
        assert_eq!(block.stored(2).unwrap().len(), BLOCK_TARGET * 2);
    }

    #[test]
    fn malformed_blocks_are_typed_errors() {
        let mut b = BlockBuilder::new(commit(1, 2), 0);
        b.push(b"ab");
        b.push(b"cd");
        let (key, value) = b.finish().pop().unwrap();
        let block = LogBlock::parse(&key, &value).unwrap();
        assert_eq!(block.entries().count(), 2);
        // Truncated, extended, wrong magic, wrong key.
        let cut = &value[..value.len() - 1];
        let last = LogBlock::parse(&key, cut)
            .unwrap()
            .entries()
            .last()
            .unwrap();
        assert!(matches!(last, Err(Error::Corrupted { .. })));
        let mut long = value.clone();
        long.push(0);
        let last = LogBlock::parse(&key, &long)
            .unwrap()
            .entries()
            .last()
            .unwrap();
        assert!(matches!(last, Err(Error::Corrupted { .. })));
        let mut magic = value.clone();
        magic[0] = 1;
        assert!(LogBlock::parse(&key, &magic).is_err());
        assert!(LogBlock::parse(&super::super::seq_key(3), &value).is_err());
        assert!(LogBlock::parse(&key[1..], &value).is_err());
        assert!(LogBlock::parse(&key, &value[..BLOCK_HEADER_LEN - 1]).is_err());
        assert!(block.stored(3).is_err());
    }

    #[test]
    fn lengths_are_minimal_leb128() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, u32::MAX as usize] {
            let mut out = Vec::new();
            push_len(len, &mut out);
            assert_eq!(read_len(&out).unwrap(), (len, out.len()));
        }
        assert!(read_len(&[0x80, 0x00]).is_err());
        assert!(read_len(&[0x80]).is_err());
        assert!(read_len(&[0xff, 0xff, 0xff, 0xff, 0x1f]).is_err());
        assert!(read_len(&[]).is_err());
    }
}
