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

fn snapshot_key(stream: &str) -> Vec<u8> {
    let mut k = b"snap/".to_vec();
    k.extend_from_slice(stream.as_bytes());
    k
}

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

    /// Rebuild aggregate `A` of `stream`: the newest snapshot, then the events after it.
    /// Returns the aggregate and the version it reflects (0 for a stream with no events).
    pub fn load_aggregate<A: Aggregate>(&self, stream: &str) -> Result<(A, u64)> {
        let (mut agg, mut version) = match self.load_snapshot(stream)? {
            Some(s) => (
                A::from_snapshot(&s.state).map_err(|e| Error::corrupted("snapshot", e))?,
                s.version,
            ),
            None => (A::initial(), 0),
        };
        if self.stream_version(stream)?.is_none() {
            return Ok((agg, 0));
        }
        loop {
            let page = self.read_stream(stream, version + 1, ReadDirection::Forward, PAGE)?;
            let Some(last) = page.last().map(|e| e.version) else {
                break;
            };
            for e in &page {
                agg.apply(e).map_err(|reason| Error::ProjectionFailed {
                    name: format!("aggregate {stream}"),
                    seq: e.seq,
                    reason,
                })?;
            }
            version = last;
        }
        Ok((agg, version))
    }

    /// Save a snapshot of `aggregate` at `version` when at least `every` events have passed
    /// since the last snapshot. Returns whether one was written.
    pub fn snapshot_if_due<A: Aggregate>(
        &self,
        stream: &str,
        aggregate: &A,
        version: u64,
        every: u64,
    ) -> Result<bool> {
        let last = self.load_snapshot(stream)?.map_or(0, |s| s.version);
        if every == 0 || version < last + every {
            return Ok(false);
        }
        self.save_snapshot(stream, version, &aggregate.to_snapshot())?;
        Ok(true)
    }
}
