//! Built-in projections, usable by name from the CLI and every binding: `event-counts`
//! (events per type), `stream-heads` (each stream's last version, sequence number and
//! event type) and `search-index` (Mnemo's keyword index, see `search`). Host code defines
//! its own with the [`Projection`] trait.

use crate::events::projection::{Projection, ViewBatch};
use crate::log::LogEntry;

/// Names of the built-in projections.
pub const BUILTIN: [&str; 3] = ["event-counts", "stream-heads", crate::search::SEARCH_INDEX];

/// A built-in projection by name.
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
