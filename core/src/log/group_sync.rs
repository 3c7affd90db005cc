//! Group commit of durable writes: concurrent committers share one WAL `fsync`.
//!
//! With `Options::sync_writes` a commit is acknowledged only once RocksDB's write-ahead log
//! holding it is on disk. Holding the writer lock across that `fsync` would make concurrent
//! committers (several threads, a Node or tokio host with many calls in flight) wait for one
//! `fsync` each, one after the other. Instead each commit is written under the writer lock
//! without syncing (in commit order, each batch atomic), the lock is released, and then the
//! committer waits here until the log is synced at least up to its own write. One `fsync`
//! (RocksDB's `SyncWAL`) covers every write before it, so whoever syncs syncs for all the
//! commits written so far: while one committer syncs, the next ones write and then find
//! their writes already durable, or sync together once.
//!
//! What stays true: nothing is acknowledged before it is durable, and the change feed only
//! publishes acknowledged sequence numbers. What is weaker than syncing inside the write:
//! for the time of one `fsync`, another thread's reads can see a commit that is not on disk
//! yet (a power loss in that window loses it, though it was never acknowledged). After a
//! failed `fsync` the state of the log on disk is unknown, so every later write fails until
//! the store is reopened.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use crate::engine::Engine;
use crate::error::{Error, Result};

/// The WAL sync state shared by committers (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct GroupSync {
    /// Tickets of writes done so far (one per committed batch), set under the writer lock.
    written: AtomicU64,
    /// Every write with a ticket up to this one is durable.
    durable: AtomicU64,
    /// Whether a committer is syncing now; those arriving meanwhile wait on `synced` (all
    /// woken at once when it is done) and sync together after it if still needed.
    syncing: Mutex<bool>,
    synced: Condvar,
    /// A sync failed: the log on disk may lack acknowledged-to-be writes; refuse more.
    failed: AtomicBool,
    /// WAL syncs done (one per group of commits).
    syncs: AtomicU64,
}

impl GroupSync {
    /// Fails once a sync has failed (call under the writer lock, before writing).
    pub(crate) fn check(&self) -> Result<()> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(failed());
        }
        Ok(())
    }

    /// A batch was written (call under the writer lock, once the write has returned, so a
    /// ticket counts only writes that are in the log); returns its ticket.
    pub(crate) fn written(&self) -> u64 {
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Everything written so far is durable (the store synced its log while closing).
    pub(crate) fn all_durable(&self) {
        self.durable
            .fetch_max(self.written.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

fn failed() -> Error {
    Error::Storage("an earlier sync of the write-ahead log failed; reopen the store".into())
}

impl Engine {
    /// Wait until the write with `ticket` is durable, syncing the WAL if no one else has
    /// since it was written.
    pub(crate) fn sync_through(&self, ticket: u64) -> Result<()> {
        let sync = &self.group_sync;
        let durable = || sync.durable.load(Ordering::SeqCst) >= ticket;
        let mut syncing = sync.syncing.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if durable() {
                return Ok(());
            }
            if sync.failed.load(Ordering::SeqCst) {
                return Err(failed());
            }
            if !*syncing {
                break;
            }
            syncing = sync.synced.wait(syncing).unwrap_or_else(|e| e.into_inner());
        }
        *syncing = true;
        drop(syncing);
        let outcome = self.sync_wal();
        let mut syncing = sync.syncing.lock().unwrap_or_else(|e| e.into_inner());
        *syncing = false;
        sync.synced.notify_all();
        drop(syncing);
        match outcome {
            Err(Error::Closed) if durable() => Ok(()),
            other => other,
        }
    }

    /// Sync the WAL: everything written so far becomes durable.
    fn sync_wal(&self) -> Result<()> {
        let sync = &self.group_sync;
        // Every write with a ticket up to `target` is in the log (a ticket is taken once its
        // write has returned), so one sync covers them all.
        let target = sync.written.load(Ordering::SeqCst);
        // When closed, closing synced the log before it let go of the database.
        let g = self.db()?;
        if let Err(e) = g.db().flush_wal(true) {
            sync.failed.store(true, Ordering::SeqCst);
            return Err(e.into());
        }
        sync.syncs.fetch_add(1, Ordering::Relaxed);
        sync.durable.fetch_max(target, Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::events::EventData;
    use crate::log::Expected;
    use crate::{Mnemo, Options};
    use std::sync::atomic::Ordering;

    /// Durable commits from many threads at once: every acknowledged one is in the log,
    /// the feed reaches the last, and the threads shared syncs.
    #[test]
    fn concurrent_durable_commits_share_syncs_and_lose_nothing() {
        const THREADS: usize = 8;
        const EACH: usize = 40;
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            sync_writes: true,
            ..Options::default()
        };
        let store = Mnemo::open(dir.path(), options.clone()).unwrap();
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let store = store.clone();
                s.spawn(move || {
                    for i in 0..EACH {
                        let e = EventData::new("tick", format!("{t}/{i}"));
                        let at = store
                            .append(&format!("thread-{t}"), Expected::Any, vec![e])
                            .unwrap();
                        assert_eq!(at.version, i as u64 + 1);
                        // Acknowledged, so published (the feed never runs behind an ack).
                        assert!(store.last_seq() >= at.last_seq);
                    }
                });
            }
        });
        let total = (THREADS * EACH) as u64;
        assert_eq!(store.last_seq(), total);
        let syncs = store.engine().group_sync.syncs.load(Ordering::Relaxed);
        assert!(
            syncs >= 1 && syncs < total,
            "{syncs} syncs for {total} commits"
        );
        drop(store);
        let store = Mnemo::open(dir.path(), options).unwrap();
        let entries = store.read_log(1, usize::MAX).unwrap();
        assert_eq!(entries.len() as u64, total);
        for t in 0..THREADS {
            let payloads: Vec<Vec<u8>> = entries
                .iter()
                .filter(|e| e.stream == format!("thread-{t}"))
                .map(|e| e.payload.clone())
                .collect();
            let expected: Vec<Vec<u8>> =
                (0..EACH).map(|i| format!("{t}/{i}").into_bytes()).collect();
            assert_eq!(payloads, expected);
        }
    }

    /// Without `sync_writes` nothing goes through the group sync.
    #[test]
    fn unsynced_commits_never_sync() {
        let dir = tempfile::tempdir().unwrap();
        let store = Mnemo::open(
            dir.path(),
            Options {
                sync_writes: false,
                ..Options::default()
            },
        )
        .unwrap();
        for i in 0..10 {
            let e = EventData::new("tick", format!("{i}"));
            store.append("s", Expected::Any, vec![e]).unwrap();
        }
        assert_eq!(store.last_seq(), 10);
        assert_eq!(store.engine().group_sync.syncs.load(Ordering::Relaxed), 0);
    }
}
