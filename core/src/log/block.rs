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
//! | … | the entries' stored values, back to back |
//! | 4 per entry | where each entry ends, counted from the first entry (u32 LE) |
//!
//! The table of ends lets a reader go straight to one entry (a stream's event in the middle
//! of a block) instead of walking the entries before it, which touched one cache line per
//! entry and was a third of reading a scattered stream.
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
    /// The entries' stored values, back to back.
    data: &'a [u8],
    /// Where each entry ends in `data` (u32 LE each).
    ends: &'a [u8],
}

impl<'a> LogBlock<'a> {
    /// Read a block's header and table from its key and value; each entry's bounds are
    /// checked as it is read.
    pub fn parse(key: &[u8], value: &'a [u8]) -> Result<Self> {
        let bad = |why: &str| Error::corrupted("log block", why.to_string());
        let key: [u8; 8] = key.try_into().map_err(|_| bad("key is not 8 bytes"))?;
        let last_seq = u64::from_be_bytes(key);
        if value.first().is_some_and(|&b| b != BLOCK_MAGIC) {
            return Err(Error::corrupted(
                "log",
                format!(
                    "entry {last_seq} is not a log block: the store was written by an older \
                     Mnemo (log format v3 or before), which this version cannot read; export \
                     with that version and import again"
                ),
            ));
        }
        if value.len() < BLOCK_HEADER_LEN {
            return Err(bad("shorter than a block header"));
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
        let body = &value[BLOCK_HEADER_LEN..];
        let count = last_seq - first_seq + 1;
        if count > (body.len() / 4) as u64 {
            return Err(bad("too short for its entries"));
        }
        let (data, ends) = body.split_at(body.len() - 4 * count as usize);
        if read_end(ends, count as usize - 1) != data.len() {
            return Err(bad("its entries do not end where its table says"));
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
            data,
            ends,
        })
    }

    /// Whether entry `seq` is in this block.
    pub fn contains(&self, seq: u64) -> bool {
        (self.first_seq..=self.last_seq).contains(&seq)
    }

    /// The block's entries in order: `(seq, stored value)`. Bounds out of order are a
    /// corruption error (the last item).
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            block: *self,
            index: 0,
            start: 0,
            failed: false,
        }
    }

    /// The block's entries from `seq` (which must be in this block) on.
    pub fn entries_from(&self, seq: u64) -> Result<Entries<'a>> {
        if !self.contains(seq) {
            return Err(Error::corrupted(
                "log",
                format!("entry {seq} looked up in the wrong block"),
            ));
        }
        let index = (seq - self.first_seq) as usize;
        let start = if index == 0 {
            0
        } else {
            read_end(self.ends, index - 1)
        };
        Ok(Entries {
            block: *self,
            index,
            start,
            failed: false,
        })
    }

    /// The stored value of entry `seq`, which must be in this block.
    pub fn stored(&self, seq: u64) -> Result<&'a [u8]> {
        match self.entries_from(seq)?.next() {
            Some(Ok((_, v))) => Ok(v),
            Some(Err(e)) => Err(e),
            None => Err(Error::corrupted("log", format!("entry {seq} is missing"))),
        }
    }

    /// Number of entries.
    fn count(&self) -> usize {
        self.ends.len() / 4
    }
}

/// Entry `index`'s end from a table of ends.
#[inline]
fn read_end(ends: &[u8], index: usize) -> usize {
    let mut b = [0u8; 4];
    b.copy_from_slice(&ends[4 * index..4 * index + 4]);
    u32::from_le_bytes(b) as usize
}

/// Iterator over a block's entries (see [`LogBlock::entries`]).
#[derive(Debug)]
pub struct Entries<'a> {
    block: LogBlock<'a>,
    index: usize,
    /// Where entry `index` starts.
    start: usize,
    failed: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<(u64, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.index >= self.block.count() {
            return None;
        }
        let seq = self.block.first_seq + self.index as u64;
        let end = read_end(self.block.ends, self.index);
        self.index += 1;
        match self.block.data.get(self.start..end) {
            Some(value) => {
                self.start = end;
                Some(Ok((seq, value)))
            }
            None => {
                self.failed = true;
                Some(Err(Error::corrupted(
                    "log block",
                    format!("entry {seq}'s bounds are out of order"),
                )))
            }
        }
    }
}

/// Builds the blocks of one commit: entries are added in order, and a block is closed once
/// it holds [`BLOCK_TARGET`] bytes of entries.
#[derive(Debug)]
pub(crate) struct BlockBuilder {
    commit: CommitRecord,
    /// Closed blocks: (key, value).
    blocks: Vec<([u8; 8], Vec<u8>)>,
    /// The open block: header and entries so far.
    current: Vec<u8>,
    /// The open block's table of ends.
    ends: Vec<u8>,
    current_first: u64,
    next_seq: u64,
}

impl BlockBuilder {
    /// Blocks for `commit`, whose entries (about `capacity` bytes) must then be added in
    /// order.
    pub fn new(commit: CommitRecord, capacity: usize) -> Self {
        let mut b = BlockBuilder {
            commit,
            blocks: Vec::new(),
            current: Vec::new(),
            ends: Vec::new(),
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
        self.ends.clear();
        self.current_first = self.next_seq;
    }

    /// Add the next entry's stored value (at most `u32::MAX` bytes, which
    /// [`crate::codec::MAX_VALUE_LEN`] ensures).
    pub fn push(&mut self, stored: &[u8]) {
        if self.next_seq > self.current_first
            && self.current.len() >= BLOCK_HEADER_LEN + BLOCK_TARGET
        {
            self.close_block();
            self.start_block(BLOCK_TARGET + 4096);
        }
        self.current.extend_from_slice(stored);
        let end = u32::try_from(self.current.len() - BLOCK_HEADER_LEN).unwrap_or(u32::MAX);
        self.ends.extend_from_slice(&end.to_le_bytes());
        self.next_seq += 1;
    }

    fn close_block(&mut self) {
        let key = super::seq_key(self.next_seq - 1);
        let mut value = std::mem::take(&mut self.current);
        value.extend_from_slice(&self.ends);
        self.blocks.push((key, value));
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
            let count = (block.last_seq - block.first_seq + 1) as usize;
            assert!(v.len() < BLOCK_HEADER_LEN + BLOCK_TARGET + 500 + 4 * count);
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
        // Truncated or extended: the table no longer ends where the entries do.
        assert!(LogBlock::parse(&key, &value[..value.len() - 1]).is_err());
        let mut long = value.clone();
        long.push(0);
        assert!(LogBlock::parse(&key, &long).is_err());
        // The first entry's end past the second's: its bounds are out of order.
        let mut swapped = value.clone();
        let table = swapped.len() - 8;
        swapped[table..table + 4].copy_from_slice(&5u32.to_le_bytes());
        let block = LogBlock::parse(&key, &swapped).unwrap();
        let items: Vec<_> = block.entries().collect();
        assert!(matches!(items[..], [Err(Error::Corrupted { .. })]));
        assert!(block.stored(2).is_err());
        // Wrong magic, wrong key, too short for its entries.
        let mut magic = value.clone();
        magic[0] = 1;
        assert!(LogBlock::parse(&key, &magic).is_err());
        assert!(LogBlock::parse(&super::super::seq_key(3), &value).is_err());
        assert!(LogBlock::parse(&key[1..], &value).is_err());
        assert!(LogBlock::parse(&key, &value[..BLOCK_HEADER_LEN - 1]).is_err());
        assert!(LogBlock::parse(&super::super::seq_key(u64::MAX), &value).is_err());
        assert!(block.stored(3).is_err());
    }

    proptest::proptest! {
        /// Any edit of a valid block (bytes changed, cut, inserted) reads back as entries or
        /// a typed error, never a panic, and every entry found is where `stored` finds it.
        #[test]
        fn edited_blocks_never_panic(
            sizes in proptest::collection::vec(0usize..300, 1..40),
            edits in proptest::collection::vec((0usize..20_000, 0u8..=255, 0u8..3), 1..6),
            cut in proptest::option::of(0usize..20_000),
        ) {
            let n = sizes.len() as u64;
            let mut b = BlockBuilder::new(commit(100, 99 + n), 0);
            for (i, size) in sizes.iter().enumerate() {
                b.push(&vec![i as u8; *size]);
            }
            for (key, mut value) in b.finish() {
                for &(at, byte, how) in &edits {
                    let at = at % (value.len() + 1);
                    match how {
                        0 if at < value.len() => value[at] = byte,
                        1 => value.insert(at, byte),
                        _ if at < value.len() => {
                            value.remove(at);
                        }
                        _ => {}
                    }
                }
                if let Some(cut) = cut {
                    value.truncate(cut % (value.len() + 1));
                }
                let Ok(block) = LogBlock::parse(&key, &value) else { continue };
                proptest::prop_assert!(block.commit.contains(block.first_seq));
                proptest::prop_assert!(block.commit.contains(block.last_seq));
                for item in block.entries() {
                    let Ok((seq, stored)) = item else { break };
                    proptest::prop_assert_eq!(block.stored(seq).ok(), Some(stored));
                }
            }
        }
    }
}
