//! Reading the log back: finding an entry's block, scanning forward, the change feed's wait.

use std::time::Duration;

use rocksdb::{DBRawIterator, IteratorMode, DB};

use super::block::LogBlock;
use super::{decode_entry, seq_key, CommitRecord, LogEntry};
use crate::engine::{DbGuard, Engine, CF_LOG};
use crate::error::{Error, Result};

/// Stored bytes of the log's blocks holding entry `from` and after (what
/// `Counters::log_stored_bytes` counts), for counters saved before the last commits; `from`
/// is the first entry of a commit.
pub(crate) fn stored_bytes_from(db: &DB, from: u64) -> Result<u64> {
    let cf = db
        .cf_handle(CF_LOG)
        .ok_or_else(|| Error::corrupted("store", "log column family missing"))?;
    let start = seq_key(from);
    let mut total = 0u64;
    for item in db.iterator_cf(cf, IteratorMode::From(&start, rocksdb::Direction::Forward)) {
        total += item?.1.len() as u64;
    }
    Ok(total)
}

/// Reads entries through an iterator over the log's blocks, moving to the next block when
/// reading on and seeking only when an entry lies elsewhere.
pub(crate) struct BlockReader<'a> {
    it: DBRawIterator<'a>,
}

impl<'a> BlockReader<'a> {
    /// A reader over the log of `g`.
    pub fn new(g: &'a DbGuard<'_>) -> Self {
        BlockReader {
            it: g.db().raw_iterator_cf(g.cf(CF_LOG)),
        }
    }

    /// The block under the iterator, if any.
    fn current(&self) -> Result<Option<LogBlock<'_>>> {
        match (self.it.key(), self.it.value()) {
            (Some(k), Some(v)) => LogBlock::parse(k, v).map(Some),
            _ => Ok(None),
        }
    }

    /// Put the iterator on the block holding `seq`, or on the first block after it (or past
    /// the end) when no block holds it.
    fn position(&mut self, seq: u64) -> Result<()> {
        let here = self.current()?.map(|b| (b.contains(seq), b.last_seq < seq));
        match here {
            Some((true, _)) => return Ok(()),
            Some((false, true)) => {
                // Reading on: the entry is most likely in the next block.
                self.it.next();
                if self.current()?.is_some_and(|b| b.contains(seq)) {
                    return Ok(());
                }
            }
            _ => {}
        }
        self.it.seek(seq_key(seq));
        self.it.status()?;
        Ok(())
    }

    /// Call `f` with the commit and stored value of each entry from `from` on, in order,
    /// while it returns `true`.
    pub fn scan(
        &mut self,
        from: u64,
        mut f: impl FnMut(&CommitRecord, u64, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        self.position(from)?;
        let mut expected: Option<u64> = None;
        while let Some(block) = self.current()? {
            if let Some(next) = expected.filter(|&n| n != block.first_seq) {
                return Err(Error::corrupted(
                    "log",
                    format!(
                        "entries {}-{} follow entry {}: the entries between are missing",
                        block.first_seq,
                        block.last_seq,
                        next - 1
                    ),
                ));
            }
            expected = Some(block.last_seq + 1);
            for item in block.entries_from(from.max(block.first_seq))? {
                let (seq, stored) = item?;
                if !f(&block.commit, seq, stored)? {
                    return Ok(());
                }
            }
            self.it.next();
        }
        self.it.status()?;
        Ok(())
    }

    /// Call `f` with the commit and stored value of entries `first..first + len`, all of
    /// which must exist (a missing one is a corruption error).
    pub fn range(
        &mut self,
        first: u64,
        len: u64,
        mut f: impl FnMut(&CommitRecord, u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let end = first + len;
        let mut next = first;
        while next < end {
            self.position(next)?;
            let Some(block) = self.current()?.filter(|b| b.contains(next)) else {
                return Err(Error::corrupted("log", format!("entry {next} is missing")));
            };
            for item in block.entries_from(next)? {
                let (seq, stored) = item?;
                if seq >= end {
                    break;
                }
                f(&block.commit, seq, stored)?;
            }
            // The block holds `next`, so this moves on.
            next = block.last_seq.saturating_add(1);
        }
        Ok(())
    }
}

impl Engine {
    /// Decode the stored value of entry `seq` of `commit`.
    pub(crate) fn decode_stored(
        &self,
        commit: &CommitRecord,
        seq: u64,
        stored: &[u8],
    ) -> Result<LogEntry> {
        decode_entry(&self.codec, seq, stored, commit)
    }

    /// The entry at `seq`, if any.
    pub(crate) fn entry(&self, seq: u64) -> Result<Option<LogEntry>> {
        let g = self.db()?;
        let mut reader = BlockReader::new(&g);
        reader.position(seq)?;
        let Some(block) = reader.current()?.filter(|b| b.contains(seq)) else {
            return Ok(None);
        };
        let stored = block.stored(seq)?;
        self.decode_stored(&block.commit, seq, stored).map(Some)
    }

    /// Up to `limit` entries with `seq >= from`, in order.
    pub(crate) fn read_log(&self, from: u64, limit: usize) -> Result<Vec<LogEntry>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let g = self.db()?;
        BlockReader::new(&g).scan(from.max(1), |commit, seq, stored| {
            let entry = self.decode_stored(commit, seq, stored)?;
            out.push(self.upcast(entry)?);
            Ok(out.len() < limit)
        })?;
        Ok(out)
    }

    /// Block until an entry with `seq > after` exists or `timeout` passes; returns the last
    /// committed sequence. Errors with [`Error::Closed`] when the store is closed.
    pub(crate) fn wait_for(&self, after: u64, timeout: Duration) -> Result<u64> {
        let last = self.feed.wait(after, timeout, &self.closed);
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Closed);
        }
        Ok(last)
    }
}
