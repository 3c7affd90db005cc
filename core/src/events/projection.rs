//! Host projections: read models built from the log by host code, with exactly-once effect.
//!
//! A [`Projection`] gets each event (upcast, filtered) and writes its read model through a
//! [`ViewBatch`]. The runner commits a page of view writes together with the projection's
//! checkpoint in one atomic `WriteBatch`, so after a crash it resumes exactly after the last
//! committed event: every event's writes are applied once. A failing event stops the
//! projection there with a visible error; the next run starts again at that event, so
//! nothing is skipped.
//!
//! Read models are kept per generation under `(name, generation) ++ key` in the `views`
//! column family. [`Mnemo::rebuild_projection`] builds generation `n + 1` from the start of
//! the log while generation `n` keeps serving reads (and may keep advancing between pages),
//! then switches readers to it atomically and drops the old one (blue-green read models).
//!
//! Mnemo's search index is a projection run by this same machinery (`search::SearchIndex`):
//! it lags the log, is caught up before every search, and rebuilds blue-green like any
//! other. The other context views (sessions, sources, prompts, workflows) are projections
//! of the same log written inline, in the same batch as their events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, CF_META, CF_VIEWS};
use crate::error::{Error, Result};
use crate::events::EventFilter;
use crate::keys::{prefix_end, KeyBuilder};
use crate::log::LogEntry;
use crate::Mnemo;

/// Events applied per committed batch.
const PAGE: usize = 512;

/// Host code that turns events into a read model.
pub trait Projection {
    /// Unique name; the read model and checkpoint are stored under it.
    fn name(&self) -> &str;
    /// Which events the projection wants (default: all).
    fn filter(&self) -> EventFilter {
        EventFilter::default()
    }
    /// Apply one event. An `Err` stops the projection at this event (its writes are
    /// discarded) until a later run succeeds on it.
    fn apply(
        &mut self,
        event: &LogEntry,
        view: &mut ViewBatch<'_>,
    ) -> std::result::Result<(), String>;
    /// Called once per page after the page's events were applied, before its writes commit:
    /// a projection that aggregates several events into one write (the search index merges
    /// the postings of a page per term) writes here. An `Err` stops the projection at the
    /// page's first event and discards the page's writes. Default: nothing.
    fn end_page(&mut self, view: &mut ViewBatch<'_>) -> std::result::Result<(), String> {
        let _ = view;
        Ok(())
    }
}

/// Pending read-model writes of one page, readable before they commit.
pub struct ViewBatch<'a> {
    engine: &'a Engine,
    prefix: Vec<u8>,
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    latest: HashMap<Vec<u8>, usize>,
}

impl ViewBatch<'_> {
    /// Set `key` to `value` in the read model.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.latest.insert(key.to_vec(), self.ops.len());
        self.ops.push((key.to_vec(), Some(value.to_vec())));
    }

    /// Remove `key` from the read model.
    pub fn delete(&mut self, key: &[u8]) {
        self.latest.insert(key.to_vec(), self.ops.len());
        self.ops.push((key.to_vec(), None));
    }

    /// The current value of `key`, including writes not committed yet.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(&i) = self.latest.get(key) {
            return Ok(self.ops[i].1.clone());
        }
        let g = self.engine.db()?;
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        Ok(g.db().get_cf(g.cf(CF_VIEWS), k)?)
    }

    /// The engine the projection runs on, for built-in projections that read the store.
    pub(crate) fn engine(&self) -> &Engine {
        self.engine
    }

    fn rollback_to(&mut self, mark: usize) {
        self.ops.truncate(mark);
        self.latest.clear();
        for (i, (k, _)) in self.ops.iter().enumerate() {
            self.latest.insert(k.clone(), i);
        }
    }
}

/// A projection's failure, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectionError {
    /// The event it failed on.
    pub seq: u64,
    /// What the projection reported.
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub active: u32,
    checkpoint: u64,
    building: Option<(u32, u64)>,
    error: Option<ProjectionError>,
}

/// Where a projection stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectionStatus {
    /// Projection name.
    pub name: String,
    /// The generation readers see.
    pub generation: u32,
    /// Last event applied to that generation.
    pub checkpoint: u64,
    /// A generation being rebuilt and its checkpoint, if a rebuild is under way.
    pub rebuilding: Option<(u32, u64)>,
    /// The failure that stopped it, if any.
    pub error: Option<ProjectionError>,
    /// The log's last sequence number when the status was read.
    pub head: u64,
}

impl ProjectionStatus {
    /// Events the active generation has not applied yet.
    pub fn lag(&self) -> u64 {
        self.head.saturating_sub(self.checkpoint)
    }
}

fn state_key(name: &str) -> Vec<u8> {
    let mut k = b"proj/".to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

pub(crate) fn generation_prefix(name: &str, generation: u32) -> Vec<u8> {
    KeyBuilder::new().str(name).u32(generation).finish()
}

/// Which generation a run advances.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Active,
    Building,
}

impl Engine {
    /// Apply every event not yet applied to `p`'s active read model.
    pub(crate) fn run_to_head(&self, p: &mut dyn Projection) -> Result<()> {
        while !self.advance(p, Target::Active)? {}
        Ok(())
    }

    fn projection_lock(&self, name: &str) -> Arc<Mutex<()>> {
        self.projection_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    pub(crate) fn load_state(&self, name: &str) -> Result<State> {
        let g = self.db()?;
        let value = g.db().get_pinned_cf(g.cf(CF_META), state_key(name))?;
        match value {
            None => Ok(State::default()),
            Some(v) => {
                postcard::from_bytes(&v).map_err(|e| Error::corrupted("projection state", e))
            }
        }
    }

    fn status_of(&self, name: &str, s: State) -> ProjectionStatus {
        ProjectionStatus {
            name: name.to_string(),
            generation: s.active,
            checkpoint: s.checkpoint,
            rebuilding: s.building,
            error: s.error,
            head: self.feed.last_seq.load(std::sync::atomic::Ordering::SeqCst),
        }
    }

    /// Apply up to one page of events to `target`; returns whether it reached the head.
    fn advance(&self, p: &mut dyn Projection, target: Target) -> Result<bool> {
        let name = p.name().to_string();
        let lock = self.projection_lock(&name);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.load_state(&name)?;
        let (generation, checkpoint) = match (target, state.building) {
            (Target::Active, _) => (state.active, state.checkpoint),
            (Target::Building, Some(b)) => b,
            (Target::Building, None) => return Ok(true),
        };
        let entries = self.read_log(checkpoint + 1, PAGE)?;
        let caught_up = entries.len() < PAGE;
        let filter = p.filter();
        let mut view = ViewBatch {
            engine: self,
            prefix: generation_prefix(&name, generation),
            ops: Vec::new(),
            latest: HashMap::new(),
        };
        let mut done = checkpoint;
        let mut failure = None;
        for e in &entries {
            if filter.matches(e) {
                let mark = view.ops.len();
                if let Err(reason) = p.apply(e, &mut view) {
                    view.rollback_to(mark);
                    failure = Some(ProjectionError { seq: e.seq, reason });
                    break;
                }
            }
            done = e.seq;
        }
        if let Err(reason) = p.end_page(&mut view) {
            // Nothing of this page commits: the projection stops at its first event.
            view.rollback_to(0);
            done = checkpoint;
            failure = Some(ProjectionError {
                seq: entries.first().map_or(checkpoint + 1, |e| e.seq),
                reason,
            });
        }
        let g = self.db()?;
        let mut batch = rocksdb::WriteBatch::default();
        // Only each key's last write of the page reaches the batch: a projection that updates
        // one counter per event writes it once per page, not once per event.
        let mut last_writes: Vec<usize> = view.latest.values().copied().collect();
        last_writes.sort_unstable();
        for i in last_writes {
            let (k, v) = &view.ops[i];
            let mut key = view.prefix.clone();
            key.extend_from_slice(k);
            match v {
                Some(v) => batch.put_cf(g.cf(CF_VIEWS), key, v),
                None => batch.delete_cf(g.cf(CF_VIEWS), key),
            }
        }
        match target {
            Target::Active => state.checkpoint = done,
            Target::Building => state.building = Some((generation, done)),
        }
        state.error = failure.clone();
        let mut switched_from = None;
        if target == Target::Building && failure.is_none() && caught_up {
            // The new generation has every event: switch readers to it and drop the old one.
            switched_from = Some(state.active);
            state.active = generation;
            state.checkpoint = done;
            state.building = None;
        }
        if let Some(old) = switched_from {
            let from = generation_prefix(&name, old);
            if let Some(to) = prefix_end(&from) {
                batch.delete_range_cf(g.cf(CF_VIEWS), from, to);
            }
        }
        let encoded = postcard::to_stdvec(&state).map_err(|e| Error::Storage(e.to_string()))?;
        batch.put_cf(g.cf(CF_META), state_key(&name), encoded);
        g.db().write_opt(batch, &self.write_options())?;
        match failure {
            Some(f) => Err(Error::ProjectionFailed {
                name,
                seq: f.seq,
                reason: f.reason,
            }),
            None => Ok(caught_up),
        }
    }
}

/// Reads a projection's read model (the active generation).
#[derive(Debug)]
pub struct ViewReader {
    store: Mnemo,
    name: String,
}

impl ViewReader {
    fn prefix(&self) -> Result<Vec<u8>> {
        let state = self.store.engine().load_state(&self.name)?;
        Ok(generation_prefix(&self.name, state.active))
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut k = self.prefix()?;
        k.extend_from_slice(key);
        let engine = self.store.engine();
        let g = engine.db()?;
        Ok(g.db().get_cf(g.cf(CF_VIEWS), k)?)
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let base = self.prefix()?;
        let mut start = base.clone();
        start.extend_from_slice(prefix);
        let engine = self.store.engine();
        let g = engine.db()?;
        let mut out = Vec::new();
        for item in g.db().prefix_iterator_cf(g.cf(CF_VIEWS), &start) {
            let (k, v) = item?;
            if !k.starts_with(&start) {
                break;
            }
            out.push((k[base.len()..].to_vec(), v.to_vec()));
        }
        Ok(out)
    }
}

impl Mnemo {
    /// Apply every event not yet applied to projection `p`'s active read model, committing
    /// view writes and checkpoint together page by page. On a failing event: that event's
    /// writes are discarded, everything before it is committed, the error is recorded in the
    /// status and returned as [`Error::ProjectionFailed`].
    pub fn run_projection(&self, p: &mut dyn Projection) -> Result<ProjectionStatus> {
        while !self.engine().advance(p, Target::Active)? {}
        self.projection_status(p.name())
    }

    /// Keep `p` up to date with the log until `stop` returns true or the store closes
    /// (then returns [`Error::Closed`]); waits on the change feed between runs, checking
    /// `stop` at least every `poll`.
    pub fn follow_projection(
        &self,
        p: &mut dyn Projection,
        poll: Duration,
        stop: impl Fn() -> bool,
    ) -> Result<()> {
        while !stop() {
            let status = self.run_projection(p)?;
            self.wait_for(status.checkpoint, poll)?;
        }
        Ok(())
    }

    /// Rebuild `p` from the start of the log into a new generation while the current one
    /// keeps serving reads, then switch readers to the new one atomically and delete the
    /// old one. A rebuild interrupted (crash, error) resumes where it stopped on the next call.
    pub fn rebuild_projection(&self, p: &mut dyn Projection) -> Result<ProjectionStatus> {
        let engine = self.engine();
        {
            let lock = engine.projection_lock(p.name());
            let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let mut state = engine.load_state(p.name())?;
            if state.building.is_none() {
                state.building = Some((state.active + 1, 0));
                let g = engine.db()?;
                let encoded =
                    postcard::to_stdvec(&state).map_err(|e| Error::Storage(e.to_string()))?;
                g.db().put_cf_opt(
                    g.cf(CF_META),
                    state_key(p.name()),
                    encoded,
                    &engine.write_options(),
                )?;
            }
        }
        while !engine.advance(p, Target::Building)? {}
        self.projection_status(p.name())
    }

    /// Where projection `name` stands ([`Error::NotFound`] if it never ran).
    pub fn projection_status(&self, name: &str) -> Result<ProjectionStatus> {
        let engine = self.engine();
        let g = engine.db()?;
        if g.db()
            .get_pinned_cf(g.cf(CF_META), state_key(name))?
            .is_none()
        {
            return Err(Error::NotFound {
                kind: "projection",
                key: name.to_string(),
            });
        }
        drop(g);
        Ok(engine.status_of(name, engine.load_state(name)?))
    }

    /// Every host projection that has run, by name.
    pub fn projections(&self) -> Result<Vec<ProjectionStatus>> {
        let engine = self.engine();
        let g = engine.db()?;
        let mut out = Vec::new();
        for item in g.db().prefix_iterator_cf(g.cf(CF_META), b"proj/") {
            let (k, v) = item?;
            if !k.starts_with(b"proj/") {
                break;
            }
            let name = String::from_utf8_lossy(&k[5..]).into_owned();
            let state: State =
                postcard::from_bytes(&v).map_err(|e| Error::corrupted("projection state", e))?;
            out.push(engine.status_of(&name, state));
        }
        Ok(out)
    }

    /// The read model of projection `name`.
    pub fn view(&self, name: &str) -> ViewReader {
        ViewReader {
            store: self.clone(),
            name: name.to_string(),
        }
    }
}
