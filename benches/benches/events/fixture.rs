//! The filled stores the read and rebuild benchmarks share: Mnemo, the SQLite event store
//! and raw RocksDB holding the same log.

use std::time::{Duration, Instant};

use mnemo::{EventData, Expected, Mnemo, Options};
use mnemo_benches::events::{event, RawRocks, SqliteEventStore, STREAMS};
use mnemo_benches::{mnemo_options, shuffle};
use tempfile::TempDir;

use super::{Scale, BATCH};

/// The three stores filled once (durable) with the same log, flushed to their files.
pub(crate) struct Filled {
    pub(crate) mnemo: Mnemo,
    pub(crate) sqlite: SqliteEventStore,
    pub(crate) rocks: RawRocks,
    /// The streams of exactly `scale.long_len` events.
    pub(crate) long: Vec<String>,
    pub(crate) events: u64,
    /// Time to fill Mnemo, SQLite, RocksDB (commits of 1,000 events, fsync each).
    pub(crate) fill: [Duration; 3],
    /// Last, so the stores close before their directory is removed.
    pub(crate) _dir: TempDir,
}

impl Filled {
    /// A log of `scale.total()` events: `scale.long_streams` streams of `scale.long_len`
    /// events and `scale.other_events` more over the remaining stream names, in a fixed
    /// shuffled order (so a stream's events are scattered through the log), appended in
    /// commits of 1,000 events (`append_many`, one entry per event, expected version `Any`).
    pub(crate) fn new(scale: &Scale, names: &[String]) -> Filled {
        let mut plan: Vec<usize> = (0..scale.long_streams)
            .flat_map(|s| std::iter::repeat_n(s, scale.long_len))
            .chain(
                (0..scale.other_events)
                    .map(|j| scale.long_streams + j % (STREAMS - scale.long_streams)),
            )
            .collect();
        shuffle(&mut plan, 0xe7e7);
        let events: Vec<EventData> = (0..plan.len() as u64).map(|i| event(1 << 32 | i)).collect();
        let dir = TempDir::new().expect("tempdir");

        let mnemo = Mnemo::open(dir.path().join("mnemo"), Options::default()).expect("mnemo");
        let start = Instant::now();
        for (p, e) in plan.chunks(BATCH).zip(events.chunks(BATCH)) {
            let batches = p
                .iter()
                .zip(e)
                .map(|(&s, e)| (names[s].clone(), Expected::Any, vec![e.clone()]))
                .collect();
            mnemo.append_many(batches).expect("mnemo fill");
        }
        let mnemo_fill = start.elapsed();
        mnemo.flush().expect("mnemo flush");

        let mut sqlite =
            SqliteEventStore::open(dir.path().join("events.sqlite"), true).expect("sqlite");
        let start = Instant::now();
        for (p, e) in plan.chunks(BATCH).zip(events.chunks(BATCH)) {
            let batches: Vec<(&str, Expected, &[EventData])> = p
                .iter()
                .zip(e)
                .map(|(&s, e)| (names[s].as_str(), Expected::Any, std::slice::from_ref(e)))
                .collect();
            sqlite.append_many(&batches).expect("sqlite fill");
        }
        let sqlite_fill = start.elapsed();
        sqlite.checkpointed_bytes().expect("sqlite checkpoint");

        let mut rocks = RawRocks::open(dir.path().join("rocksdb"), true).expect("rocksdb");
        let start = Instant::now();
        for e in events.chunks(BATCH) {
            rocks
                .append(e.iter().map(|e| &e.payload[..]))
                .expect("rocksdb fill");
        }
        let rocks_fill = start.elapsed();
        rocks.flush().expect("rocksdb flush");

        let long: Vec<String> = names[..scale.long_streams].to_vec();
        for s in &long {
            assert_eq!(
                mnemo.stream_version(s).expect("version"),
                Some(scale.long_len as u64)
            );
            assert_eq!(
                sqlite.stream_version(s).expect("version"),
                Some(scale.long_len as u64)
            );
        }
        Filled {
            mnemo,
            sqlite,
            rocks,
            long,
            events: plan.len() as u64,
            fill: [mnemo_fill, sqlite_fill, rocks_fill],
            _dir: dir,
        }
    }

    /// Closes Mnemo and opens it again with `durable` (fsync per commit or not), and sets
    /// SQLite's `synchronous` to match.
    pub(crate) fn reopen(&mut self, durable: bool) {
        let path = self.mnemo.path().to_path_buf();
        self.mnemo.close();
        self.mnemo = Mnemo::open(&path, mnemo_options(durable)).expect("reopen mnemo");
        self.sqlite
            .set_durable(durable)
            .expect("sqlite synchronous");
    }
}
