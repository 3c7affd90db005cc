//! Built-in projections, usable by name from the CLI and every binding
//! ([`crate::Mnemo::run_builtin`], [`crate::Mnemo::rebuild_builtin`]): `event-counts`
//! (events per type), `stream-heads` (each stream's last version, sequence number and
//! event type), `search-index` (Mnemo's keyword index, see `search`) and `context-views`
//! (sessions, sources, prompts and workflows, applied inline with every commit; see
//! `context_views`). Host code defines its own with the [`Projection`] trait.

use crate::error::{Error, Result};
use crate::events::projection::{Projection, ProjectionStatus, ViewBatch};
use crate::log::LogEntry;

/// Names of the built-in projections.
pub const BUILTIN: [&str; 4] = [
    "event-counts",
    "stream-heads",
    crate::search::SEARCH_INDEX,
    crate::context_views::CONTEXT_VIEWS,
];

impl crate::Mnemo {
    /// Bring built-in projection `name` (one of [`BUILTIN`]) up to date.
    pub fn run_builtin(&self, name: &str) -> Result<ProjectionStatus> {
        if name == crate::context_views::CONTEXT_VIEWS {
            return self.context_views_status();
        }
        let mut p = by_name(name).ok_or_else(|| unknown(name))?;
        self.run_projection(p.as_mut())
    }

    /// Rebuild built-in projection `name` (one of [`BUILTIN`]) into a new generation while
    /// the current one serves, then switch to it.
    pub fn rebuild_builtin(&self, name: &str) -> Result<ProjectionStatus> {
        if name == crate::context_views::CONTEXT_VIEWS {
            self.rebuild_context_views()?;
            return self.context_views_status();
        }
        let mut p = by_name(name).ok_or_else(|| unknown(name))?;
        self.rebuild_projection(p.as_mut())
    }
}

fn unknown(name: &str) -> Error {
    Error::NotFound {
        kind: "built-in projection",
        key: format!("{name} (built-in: {})", BUILTIN.join(", ")),
    }
}

/// A built-in projection run by the projection runner, by name (`context-views`, applied
/// inline with every commit, is not one: use [`crate::Mnemo::run_builtin`]).
pub fn by_name(name: &str) -> Option<Box<dyn Projection + Send>> {
    match name {
        "event-counts" => Some(Box::new(EventCounts)),
        "stream-heads" => Some(Box::new(StreamHeads)),
        crate::search::SEARCH_INDEX => Some(Box::new(crate::search::SearchIndex::default())),
        _ => None,
    }
}

/// Counts events per type: key = event type, value = count (u64 big-endian).
#[derive(Debug, Default, Clone, Copy)]
pub struct EventCounts;

impl Projection for EventCounts {
    fn name(&self) -> &str {
        "event-counts"
    }

    fn apply(&mut self, e: &LogEntry, view: &mut ViewBatch<'_>) -> Result<(), String> {
        let current = view.get(e.kind.as_bytes()).map_err(|e| e.to_string())?;
        let n = match current {
            None => 0,
            Some(v) => u64::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| "counter is not 8 bytes".to_string())?,
            ),
        };
        view.put(e.kind.as_bytes(), &(n + 1).to_be_bytes());
        Ok(())
    }
}

/// Each stream's head: key = stream, value = JSON `{"version", "seq", "kind"}`.
#[derive(Debug, Default, Clone, Copy)]
pub struct StreamHeads;

impl Projection for StreamHeads {
    fn name(&self) -> &str {
        "stream-heads"
    }

    fn apply(&mut self, e: &LogEntry, view: &mut ViewBatch<'_>) -> Result<(), String> {
        let head = serde_json::json!({"version": e.version, "seq": e.seq, "kind": e.kind});
        view.put(e.stream.as_bytes(), head.to_string().as_bytes());
        Ok(())
    }
}
