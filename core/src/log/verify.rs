//! Checking the whole log: gap-free sequence numbers, well-formed blocks and entries, and an
//! unbroken hash chain.

use rocksdb::IteratorMode;

use super::block::LogBlock;
use super::{check_body, commit_hash, push_canonical, with_entry_body, CommitRecord, GENESIS_HASH};
use crate::engine::{Engine, CF_LOG};
use crate::error::{Error, Result};
use crate::events::LogVerification;

impl Engine {
    /// Walk the whole log block by block: blocks follow each other without gaps, every block
    /// of a commit carries the same commit record, every entry decodes, and each commit's
    /// entries hash (chained to the previous commit) to the hash its record holds.
    pub(crate) fn verify_log(&self) -> Result<LogVerification> {
        let g = self.db()?;
        let mut previous = GENESIS_HASH;
        let mut expected_seq = 1;
        // The commit being checked, its entries' canonical frames back to back, and their
        // lengths.
        let mut open: Option<CommitRecord> = None;
        let mut frames = Vec::new();
        let mut lengths = Vec::new();
        for item in g.db().iterator_cf(g.cf(CF_LOG), IteratorMode::Start) {
            let (key, value) = item?;
            let block = LogBlock::parse(&key, &value)?;
            if block.first_seq != expected_seq {
                return Err(Error::corrupted(
                    "log",
                    format!(
                        "entries {}-{} follow entry {}",
                        block.first_seq,
                        block.last_seq,
                        expected_seq - 1
                    ),
                ));
            }
            let commit = match open {
                None => {
                    if block.commit.first_seq != block.first_seq {
                        return Err(Error::corrupted(
                            "log",
                            format!(
                                "entries {}-{} start inside a commit whose first entries are \
                                 missing",
                                block.first_seq, block.last_seq
                            ),
                        ));
                    }
                    frames.clear();
                    lengths.clear();
                    block.commit
                }
                Some(c) if c == block.commit => c,
                Some(c) => {
                    return Err(Error::corrupted(
                        "log",
                        format!(
                            "entries {}-{} carry another commit's record than entries {}-{} \
                             of their commit",
                            block.first_seq,
                            block.last_seq,
                            c.first_seq,
                            block.first_seq - 1
                        ),
                    ))
                }
            };
            for entry in block.entries() {
                let (_, stored) = entry?;
                with_entry_body(&self.codec, stored, |raw| {
                    check_body(raw)?;
                    let start = frames.len();
                    push_canonical(raw, &mut frames);
                    lengths.push((frames.len() - start) as u32);
                    Ok(())
                })?;
            }
            expected_seq = block.last_seq + 1;
            if block.last_seq < commit.last_seq {
                open = Some(commit);
                continue;
            }
            open = None;
            let hash = commit_hash(
                &previous,
                commit.first_seq,
                commit.timestamp,
                &lengths,
                &frames,
            );
            if hash != commit.hash {
                let which = if commit.entries() == 1 {
                    format!("entry {}", commit.first_seq)
                } else {
                    format!("entries {}-{}", commit.first_seq, commit.last_seq)
                };
                return Err(Error::corrupted(
                    "log",
                    format!("{which} (one commit) do not match the hash chain"),
                ));
            }
            previous = commit.hash;
        }
        if let Some(c) = open {
            return Err(Error::corrupted(
                "log",
                format!(
                    "the commit of entries {}-{} ends at entry {}: the rest is missing",
                    c.first_seq,
                    c.last_seq,
                    expected_seq - 1
                ),
            ));
        }
        Ok(LogVerification {
            entries: expected_seq - 1,
            head: crate::sessions::id_to_hex(&previous),
        })
    }
}
