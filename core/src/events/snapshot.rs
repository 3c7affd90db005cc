//! Aggregate snapshots: the state of a stream's aggregate at a version, so loading it reads
//! the latest snapshot plus the events after it instead of the whole stream.
//!
//! One snapshot per stream is kept (the newest), in the `meta` column family under
//! `snap/<stream>`; a snapshot is a cache of what the events already say, so losing one
//! never loses data.

use serde::{Deserialize, Serialize};

use crate::engine::CF_META;
use crate::error::{Error, Result};
use crate::events::ReadDirection;
use crate::log::LogEntry;
use crate::Mnemo;

/// A stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The stream version the state reflects.
    pub version: u64,
    /// The aggregate's state, as its [`Aggregate::to_snapshot`] wrote it.
    pub state: Vec<u8>,
}

/// A host aggregate rebuilt from a stream's events.
pub trait Aggregate: Sized {
    /// The state before any event.
    fn initial() -> Self;
    /// Apply one event (already upcast to the current schema).
    fn apply(&mut self, event: &LogEntry) -> std::result::Result<(), String>;
    /// Serialise the state for a snapshot.
    fn to_snapshot(&self) -> Vec<u8>;
    /// Restore the state from a snapshot.
    fn from_snapshot(bytes: &[u8]) -> std::result::Result<Self, String>;
}

/// A stream's newest snapshot and the events after it ([`Mnemo::snapshot_and_tail`]): the
/// form of [`Mnemo::load_aggregate`] for hosts that fold the events themselves (bindings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateLoad {
    /// The newest snapshot, if any.
    pub snapshot: Option<Snapshot>,
    /// The events after the snapshot's version (all of them without one), upcast, oldest
    /// first.
    pub events: Vec<LogEntry>,
    /// The stream version the events reach: the last event's, the snapshot's when no event
    /// follows it, 0 for a stream with no events.
    pub version: u64,
}

fn snapshot_key(stream: &str) -> Vec<u8> {
    let mut k = b"snap/".to_vec();
    k.extend_from_slice(stream.as_bytes());
    k
}

/// Events read per stream read while loading an aggregate.
const PAGE: usize = 1024;

impl Mnemo {
    /// Store `state` as the snapshot of `stream` at `version` (replacing an older one).
    pub fn save_snapshot(&self, stream: &str, version: u64, state: &[u8]) -> Result<()> {
        let current = self.stream_version(stream)?.unwrap_or(0);
        if version == 0 || version > current {
            return Err(Error::InvalidInput(format!(
                "snapshot version {version} is not in 1..={current} for stream {stream}"
            )));
        }
        let value = postcard::to_stdvec(&Snapshot {
            version,
            state: state.to_vec(),
        })
        .map_err(|e| Error::Storage(e.to_string()))?;
        let engine = self.engine();
        let frame = engine
            .codec
            .encode(crate::codec::ContentKind::Other, &value)?;
        let g = engine.db()?;
        g.db().put_cf_opt(
            g.cf(CF_META),
            snapshot_key(stream),
            frame,
            &engine.write_options(),
        )?;
        Ok(())
    }

    /// The newest snapshot of `stream`, if any.
    pub fn load_snapshot(&self, stream: &str) -> Result<Option<Snapshot>> {
        let engine = self.engine();
        let g = engine.db()?;
        let value = g.db().get_pinned_cf(g.cf(CF_META), snapshot_key(stream))?;
        value
            .map(|v| {
                let raw = engine.codec.decode(&v)?;
                postcard::from_bytes(&raw).map_err(|e| Error::corrupted("snapshot", e))
            })
            .transpose()
    }

    /// The newest snapshot of `stream` and the events after it (upcast, oldest first): what
    /// a host folding its own aggregate needs to load it. Costs one point read plus one
    /// stream read per 1024 events of the tail.
    pub fn snapshot_and_tail(&self, stream: &str) -> Result<AggregateLoad> {
        let snapshot = self.load_snapshot(stream)?;
        let mut events = Vec::new();
        let version = self.tail_pages(stream, snapshot.as_ref(), |page| {
            events.extend(page);
            Ok(())
        })?;
        Ok(AggregateLoad {
            snapshot,
            events,
            version,
        })
    }

    /// Whether a snapshot of `stream` at `version` is due: at least `every` events have
    /// passed since its newest snapshot (or since the start without one). Never due when
    /// `every` is 0. Costs one point read.
    pub fn snapshot_due(&self, stream: &str, version: u64, every: u64) -> Result<bool> {
        if every == 0 {
            return Ok(false);
        }
        let last = self.load_snapshot(stream)?.map_or(0, |s| s.version);
        Ok(version >= last.saturating_add(every))
    }

    /// Rebuild aggregate `A` of `stream`: the newest snapshot, then the events after it.
    /// Returns the aggregate and the version it reflects (0 for a stream with no events).
    pub fn load_aggregate<A: Aggregate>(&self, stream: &str) -> Result<(A, u64)> {
        let snapshot = self.load_snapshot(stream)?;
        let mut agg = match &snapshot {
            Some(s) => A::from_snapshot(&s.state).map_err(|e| Error::corrupted("snapshot", e))?,
            None => A::initial(),
        };
        let version = self.tail_pages(stream, snapshot.as_ref(), |page| {
            for e in &page {
                agg.apply(e).map_err(|reason| Error::ProjectionFailed {
                    name: format!("aggregate {stream}"),
                    seq: e.seq,
                    reason,
                })?;
            }
            Ok(())
        })?;
        Ok((agg, version))
    }

    /// Save a snapshot of `aggregate` at `version` when at least `every` events have passed
    /// since the last snapshot ([`Mnemo::snapshot_due`]). Returns whether one was written.
    pub fn snapshot_if_due<A: Aggregate>(
        &self,
        stream: &str,
        aggregate: &A,
        version: u64,
        every: u64,
    ) -> Result<bool> {
        if !self.snapshot_due(stream, version, every)? {
            return Ok(false);
        }
        self.save_snapshot(stream, version, &aggregate.to_snapshot())?;
        Ok(true)
    }

    /// Passes the events of `stream` after `snapshot` to `page`, a page (up to [`PAGE`]
    /// events, upcast, oldest first) at a time. Returns the version the last event reached:
    /// the snapshot's version when no event follows it, 0 for a stream with no events.
    fn tail_pages(
        &self,
        stream: &str,
        snapshot: Option<&Snapshot>,
        mut page: impl FnMut(Vec<LogEntry>) -> Result<()>,
    ) -> Result<u64> {
        if self.stream_version(stream)?.is_none() {
            return Ok(0);
        }
        let mut version = snapshot.map_or(0, |s| s.version);
        loop {
            let events = self.read_stream(stream, version + 1, ReadDirection::Forward, PAGE)?;
            let Some(last) = events.last().map(|e| e.version) else {
                return Ok(version);
            };
            page(events)?;
            version = last;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventData, Expected, Options};

    /// Sums the decimal payloads of a stream's events.
    #[derive(Debug, PartialEq)]
    struct Sum(u64);

    impl Aggregate for Sum {
        fn initial() -> Self {
            Sum(0)
        }
        fn apply(&mut self, e: &LogEntry) -> std::result::Result<(), String> {
            let text = std::str::from_utf8(&e.payload).map_err(|e| e.to_string())?;
            self.0 += text.parse::<u64>().map_err(|e| e.to_string())?;
            Ok(())
        }
        fn to_snapshot(&self) -> Vec<u8> {
            self.0.to_be_bytes().to_vec()
        }
        fn from_snapshot(b: &[u8]) -> std::result::Result<Self, String> {
            Ok(Sum(u64::from_be_bytes(
                b.try_into().map_err(|_| "not 8 bytes")?,
            )))
        }
    }

    fn store(dir: &std::path::Path) -> Mnemo {
        let options = Options {
            sync_writes: false,
            ..Default::default()
        };
        Mnemo::open(dir.join("store"), options).unwrap()
    }

    fn deposit(s: &Mnemo, stream: &str, amounts: std::ops::RangeInclusive<u64>) {
        let events = amounts
            .map(|n| EventData::new("deposit", n.to_string().into_bytes()))
            .collect();
        s.append(stream, Expected::Any, events).unwrap();
    }

    fn versions(load: &AggregateLoad) -> Vec<u64> {
        load.events.iter().map(|e| e.version).collect()
    }

    #[test]
    fn the_tail_is_every_event_after_the_newest_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let none = s.snapshot_and_tail("acct").unwrap();
        assert_eq!(
            (none.snapshot, none.events.len(), none.version),
            (None, 0, 0)
        );

        deposit(&s, "acct", 1..=5);
        let all = s.snapshot_and_tail("acct").unwrap();
        assert_eq!((all.snapshot.clone(), all.version), (None, 5));
        assert_eq!(versions(&all), [1, 2, 3, 4, 5]);

        s.save_snapshot("acct", 3, &6u64.to_be_bytes()).unwrap();
        let tail = s.snapshot_and_tail("acct").unwrap();
        assert_eq!(tail.snapshot.as_ref().map(|s| s.version), Some(3));
        assert_eq!((versions(&tail), tail.version), (vec![4, 5], 5));

        s.save_snapshot("acct", 5, &15u64.to_be_bytes()).unwrap();
        let head = s.snapshot_and_tail("acct").unwrap();
        assert_eq!((head.events.len(), head.version), (0, 5));
    }

    #[test]
    fn the_tail_spans_pages_and_is_upcast() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        deposit(&s, "acct", 1..=(PAGE as u64 + 10));
        s.save_snapshot("acct", 5, &15u64.to_be_bytes()).unwrap();
        s.register_upcaster("deposit", 1, |p| {
            Ok(format!("{}0", std::str::from_utf8(p).unwrap()).into_bytes())
        });
        let load = s.snapshot_and_tail("acct").unwrap();
        assert_eq!(load.version, PAGE as u64 + 10);
        assert_eq!(versions(&load), (6..=PAGE as u64 + 10).collect::<Vec<_>>());
        assert_eq!(load.events[0].payload, b"60");
        assert_eq!(load.events[0].schema, 2);
    }

    #[test]
    fn a_snapshot_is_due_every_n_events_after_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        deposit(&s, "acct", 1..=12);
        assert!(!s.snapshot_due("acct", 12, 0).unwrap());
        assert!(!s.snapshot_due("acct", 4, 5).unwrap());
        assert!(s.snapshot_due("acct", 5, 5).unwrap());
        s.save_snapshot("acct", 5, &15u64.to_be_bytes()).unwrap();
        assert!(!s.snapshot_due("acct", 9, 5).unwrap());
        assert!(s.snapshot_due("acct", 10, 5).unwrap());
        assert!(!s.snapshot_due("acct", 12, u64::MAX).unwrap());
        assert!(s.snapshot_due("never-written", 1, 1).unwrap());
    }

    #[test]
    fn load_aggregate_folds_the_same_tail_over_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let mut written = 0;
        for n in 1..=23 {
            deposit(&s, "acct", n..=n);
            let (sum, version) = s.load_aggregate::<Sum>("acct").unwrap();
            assert_eq!((sum.0, version), (n * (n + 1) / 2, n));
            if s.snapshot_if_due("acct", &sum, version, 10).unwrap() {
                written += 1;
            }
        }
        assert_eq!(written, 2);
        let load = s.snapshot_and_tail("acct").unwrap();
        let snapshot = load.snapshot.unwrap();
        assert_eq!(snapshot.version, 20);
        let mut folded = Sum::from_snapshot(&snapshot.state).unwrap();
        for e in &load.events {
            folded.apply(e).unwrap();
        }
        assert_eq!((folded, load.version), (Sum(276), 23));
        assert_eq!(s.load_aggregate::<Sum>("none").unwrap(), (Sum(0), 0));
    }
}
