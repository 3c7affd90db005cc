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
//! Host code that cannot run inside the runner's call (a JavaScript event loop, an `async`
//! callback) drives a projection with [`Mnemo::projection_page`] instead: it takes a
//! [`ProjectionPage`] of events, applies them one by one ([`ProjectionPage::next_event`],
//! writing through the page's [`ProjectionPage::put`] / [`ProjectionPage::delete`]), and
//! ends the page with [`ProjectionPage::commit`] or, when an event fails,
//! [`ProjectionPage::fail`]: the same atomic commit of writes and checkpoint, failure
//! recording and resume-at-the-failed-event semantics as [`Mnemo::run_projection`].
//!
//! Mnemo's search index is a projection run by this same machinery (`search::SearchIndex`):
//! it lags the log, is caught up before every search, and rebuilds blue-green like any
//! other. The other context views (sessions, sources, prompts, workflows) are one
//! projection of the same log (`context_views`) applied inline, in the same batch as their
//! events, and rebuilt blue-green by [`Mnemo::rebuild_context_views`].

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

mod page;

pub use page::ProjectionPage;

/// Events applied per committed batch while following the log.
const PAGE: usize = 512;
/// Events applied per committed batch while rebuilding into a new generation: nobody reads
/// it until the switch, so larger pages (fewer commits, fewer fsyncs) only cost memory.
const REBUILD_PAGE: usize = 4096;

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

/// Pending read-model writes of one page: the writes in order, and the index of each key's
/// latest write.
#[derive(Default)]
struct Overlay {
    prefix: Vec<u8>,
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    latest: HashMap<Vec<u8>, usize>,
}

impl Overlay {
    fn new(prefix: Vec<u8>) -> Self {
        Overlay {
            prefix,
            ..Default::default()
        }
    }

    fn write(&mut self, key: &[u8], value: Option<&[u8]>) {
        self.latest.insert(key.to_vec(), self.ops.len());
        self.ops.push((key.to_vec(), value.map(<[u8]>::to_vec)));
    }

    fn get(&self, engine: &Engine, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(&i) = self.latest.get(key) {
            return Ok(self.ops[i].1.clone());
        }
        let g = engine.db()?;
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        Ok(g.db().get_cf(g.cf(CF_VIEWS), k)?)
    }

    fn rollback_to(&mut self, mark: usize) {
        self.ops.truncate(mark);
        self.latest.clear();
        for (i, (k, _)) in self.ops.iter().enumerate() {
            self.latest.insert(k.clone(), i);
        }
    }
}

/// Pending read-model writes of one page, readable before they commit.
pub struct ViewBatch<'a> {
    engine: &'a Engine,
    overlay: Overlay,
}

impl ViewBatch<'_> {
    /// The engine the projection runs on, for built-in projections that read the store.
    pub(crate) fn engine(&self) -> &Engine {
        self.engine
    }

    /// Set `key` to `value` in the read model.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.overlay.write(key, Some(value));
    }

    /// Remove `key` from the read model.
    pub fn delete(&mut self, key: &[u8]) {
        self.overlay.write(key, None);
    }

    /// The current value of `key`, including writes not committed yet.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.overlay.get(self.engine, key)
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

    /// The generation and checkpoint `target` advances from in `state` (`None`: no rebuild
    /// under way).
    fn position(state: &State, target: Target) -> Option<(u32, u64)> {
        match target {
            Target::Active => Some((state.active, state.checkpoint)),
            Target::Building => state.building,
        }
    }

    /// Apply up to one page of events to `target`; returns whether it reached the head.
    fn advance(&self, p: &mut dyn Projection, target: Target) -> Result<bool> {
        let name = p.name().to_string();
        let lock = self.projection_lock(&name);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let state = self.load_state(&name)?;
        let Some((generation, checkpoint)) = Self::position(&state, target) else {
            return Ok(true);
        };
        let page = match target {
            Target::Active => PAGE,
            Target::Building => REBUILD_PAGE,
        };
        let entries = self.read_log(checkpoint + 1, page)?;
        let caught_up = entries.len() < page;
        let filter = p.filter();
        let mut view = ViewBatch {
            engine: self,
            overlay: Overlay::new(generation_prefix(&name, generation)),
        };
        let mut done = checkpoint;
        let mut failure = None;
        for e in &entries {
            if filter.matches(e) {
                let mark = view.overlay.ops.len();
                if let Err(reason) = p.apply(e, &mut view) {
                    view.overlay.rollback_to(mark);
                    failure = Some(ProjectionError { seq: e.seq, reason });
                    break;
                }
            }
            done = e.seq;
        }
        if let Err(reason) = p.end_page(&mut view) {
            // Nothing of this page commits: the projection stops at its first event.
            view.overlay.rollback_to(0);
            done = checkpoint;
            failure = Some(ProjectionError {
                seq: entries.first().map_or(checkpoint + 1, |e| e.seq),
                reason,
            });
        }
        self.commit_page(&name, state, target, view.overlay, done, failure, caught_up)
    }

    /// Commit a page's view writes with `target`'s new checkpoint `done` (and `failure`, if
    /// an event failed) in one batch, switching generations when a rebuild `caught_up`.
    /// The caller holds the projection's lock and loaded `state` under it.
    #[allow(clippy::too_many_arguments)]
    fn commit_page(
        &self,
        name: &str,
        mut state: State,
        target: Target,
        overlay: Overlay,
        done: u64,
        failure: Option<ProjectionError>,
        caught_up: bool,
    ) -> Result<bool> {
        let Some((generation, _)) = Self::position(&state, target) else {
            return Ok(true);
        };
        let g = self.db()?;
        let mut batch = rocksdb::WriteBatch::default();
        // Only each key's last write of the page reaches the batch: a projection that updates
        // one counter per event writes it once per page, not once per event.
        let mut last_writes: Vec<usize> = overlay.latest.values().copied().collect();
        last_writes.sort_unstable();
        for i in last_writes {
            let (k, v) = &overlay.ops[i];
            let mut key = overlay.prefix.clone();
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
            let from = generation_prefix(name, old);
            if let Some(to) = prefix_end(&from) {
                batch.delete_range_cf(g.cf(CF_VIEWS), from, to);
            }
        }
        let encoded = postcard::to_stdvec(&state).map_err(|e| Error::Storage(e.to_string()))?;
        batch.put_cf(g.cf(CF_META), state_key(name), encoded);
        // Pages are written without fsync: a projection is derived from the log, which is
        // durable on its own, and each page carries its checkpoint in the same batch, so a
        // machine crash leaves some earlier page and its checkpoint, and the projection
        // replays the events after it. (With `sync_writes`, the next synced commit makes
        // every page before it durable too.) The switch to a rebuilt generation and a
        // recorded failure are written as every commit is.
        let mut options = self.write_options();
        if switched_from.is_none() && failure.is_none() {
            options.set_sync(false);
        }
        g.db().write_opt(batch, &options)?;
        match failure {
            Some(f) => Err(Error::ProjectionFailed {
                name: name.to_string(),
                seq: f.seq,
                reason: f.reason,
            }),
            None => Ok(caught_up),
        }
    }

    /// Start a rebuild of `name` (a new generation from the start of the log) unless one
    /// is under way.
    fn start_rebuild(&self, name: &str) -> Result<()> {
        let lock = self.projection_lock(name);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.load_state(name)?;
        if state.building.is_none() {
            state.building = Some((state.active + 1, 0));
            let g = self.db()?;
            let encoded = postcard::to_stdvec(&state).map_err(|e| Error::Storage(e.to_string()))?;
            g.db().put_cf_opt(
                g.cf(CF_META),
                state_key(name),
                encoded,
                &self.write_options(),
            )?;
        }
        Ok(())
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
        engine.start_rebuild(p.name())?;
        while !engine.advance(p, Target::Building)? {}
        self.projection_status(p.name())
    }

    /// The next page of events for projection `name` whose events host code applies
    /// itself (see [`ProjectionPage`]): up to 512 log entries after its checkpoint, of which
    /// [`ProjectionPage::next_event`] hands out those passing `filter`. With `rebuild`, the
    /// page belongs to a rebuild of the projection into a new generation (started here
    /// unless one is under way; readers keep the current generation until the rebuild's
    /// last page commits). Repeat until [`ProjectionPage::commit`] returns `true`.
    pub fn projection_page(
        &self,
        name: &str,
        filter: EventFilter,
        rebuild: bool,
    ) -> Result<ProjectionPage> {
        let engine = self.engine();
        let target = if rebuild {
            engine.start_rebuild(name)?;
            Target::Building
        } else {
            Target::Active
        };
        let state = engine.load_state(name)?;
        let start = Engine::position(&state, target).unwrap_or((state.active, state.checkpoint));
        let entries = engine.read_log(start.1 + 1, PAGE)?;
        Ok(ProjectionPage {
            store: self.clone(),
            name: name.to_string(),
            target,
            start,
            caught_up: entries.len() < PAGE,
            entries: entries.into_iter(),
            filter,
            overlay: Overlay::new(generation_prefix(name, start.0)),
            done: start.1,
            current: None,
        })
    }

    /// Where projection `name` stands ([`Error::NotFound`] if it never ran).
    pub fn projection_status(&self, name: &str) -> Result<ProjectionStatus> {
        if name == crate::context_views::CONTEXT_VIEWS {
            return self.context_views_status();
        }
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

    /// The context views, then every projection that has run, by name.
    pub fn projections(&self) -> Result<Vec<ProjectionStatus>> {
        let mut out = vec![self.context_views_status()?];
        let engine = self.engine();
        let g = engine.db()?;
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
