//! [`ProjectionPage`]: a page of events for host code that applies them itself (see the
//! module docs of `projection`), committed with its writes and checkpoint in one batch.

use super::{Overlay, ProjectionError, Target};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::events::EventFilter;
use crate::log::LogEntry;
use crate::Mnemo;

/// A page of events for a projection applied by host code outside the runner (see the
/// module docs and [`Mnemo::projection_page`]).
///
/// Take events with [`next_event`](Self::next_event), write each one's read-model changes
/// with [`put`](Self::put) / [`delete`](Self::delete) (readable with [`get`](Self::get)
/// before they commit), then end the page with [`commit`](Self::commit), or with
/// [`fail`](Self::fail) when the event last taken cannot be applied. A page dropped
/// without either commits nothing: the next page starts at the same event.
pub struct ProjectionPage {
    pub(super) store: Mnemo,
    pub(super) name: String,
    pub(super) target: Target,
    /// The generation and checkpoint the page starts from.
    pub(super) start: (u32, u64),
    pub(super) entries: std::vec::IntoIter<LogEntry>,
    pub(super) filter: EventFilter,
    /// The log had no more entries than this page.
    pub(super) caught_up: bool,
    pub(super) overlay: Overlay,
    /// Last event fully done (applied, or skipped by the filter).
    pub(super) done: u64,
    /// The event handed out last, not yet confirmed, and the write count before it.
    pub(super) current: Option<(u64, usize)>,
}

impl std::fmt::Debug for ProjectionPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectionPage")
            .field("name", &self.name)
            .field("rebuild", &(self.target == Target::Building))
            .field("start", &self.start)
            .field("done", &self.done)
            .field("current", &self.current.map(|c| c.0))
            .finish_non_exhaustive()
    }
}

impl ProjectionPage {
    /// The projection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next event matching the projection's filter (upcast), or `None` at the end of
    /// the page. Taking it confirms the previous one as applied.
    pub fn next_event(&mut self) -> Option<LogEntry> {
        if let Some((seq, _)) = self.current.take() {
            self.done = seq;
        }
        for e in self.entries.by_ref() {
            if self.filter.matches(&e) {
                self.current = Some((e.seq, self.overlay.ops.len()));
                return Some(e);
            }
            self.done = e.seq;
        }
        None
    }

    /// Set `key` to `value` in the read model.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.overlay.write(key, Some(value));
    }

    /// Remove `key` from the read model.
    pub fn delete(&mut self, key: &[u8]) {
        self.overlay.write(key, None);
    }

    /// The current value of `key` in the generation this page writes, including this
    /// page's writes not committed yet.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.overlay.get(self.store.engine(), key)
    }

    /// Commit the writes and the checkpoint of every event taken (the last one included),
    /// in one batch. Returns whether the projection has caught up with the log (for a
    /// rebuild: switched readers to the new generation); otherwise take another page.
    /// [`Error::Conflict`] (nothing written) when another runner advanced the projection
    /// since this page was taken.
    pub fn commit(mut self) -> Result<bool> {
        if let Some((seq, _)) = self.current.take() {
            self.done = seq;
        }
        let caught_up = self.caught_up && self.entries.as_slice().is_empty();
        self.finish(None, caught_up)
    }

    /// The event last taken failed with `reason`: its writes are discarded, the events
    /// before it commit, the failure is recorded in the projection's status, and the
    /// returned error is [`Error::ProjectionFailed`] (the next page starts at that event).
    /// Another error if the commit itself failed; [`Error::InvalidInput`] (nothing
    /// written) when no event was taken.
    pub fn fail(mut self, reason: impl Into<String>) -> Error {
        let Some((seq, mark)) = self.current.take() else {
            return Error::InvalidInput(format!(
                "projection {}: fail() without an event taken from the page",
                self.name
            ));
        };
        self.overlay.rollback_to(mark);
        let failure = ProjectionError {
            seq,
            reason: reason.into(),
        };
        match self.finish(Some(failure), false) {
            Err(e) => e,
            Ok(_) => Error::Storage("projection failure was not recorded".into()),
        }
    }

    fn finish(self, failure: Option<ProjectionError>, caught_up: bool) -> Result<bool> {
        let engine = self.store.engine();
        let lock = engine.projection_lock(&self.name);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let state = engine.load_state(&self.name)?;
        let now = Engine::position(&state, self.target);
        if now != Some(self.start) {
            return Err(Error::Conflict {
                stream: format!("projection {}", self.name),
                expected: format!("generation {} at checkpoint {}", self.start.0, self.start.1),
                current: now.map(|(_, checkpoint)| checkpoint),
            });
        }
        engine.commit_page(
            &self.name,
            state,
            self.target,
            self.overlay,
            self.done,
            failure,
            caught_up,
        )
    }
}
