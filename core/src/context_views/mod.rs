//! The context views — sessions, sources, prompt templates with their labels, workflows —
//! as one projection of the log.
//!
//! This module owns the rule that turns Mnemo's own log entries (`session.imported`,
//! `source.imported`, `prompt.added`, `prompt.labeled`, `workflow.added`) into rows of the
//! `sessions`, `sources` and `prompts` column families and into the counts of
//! [`crate::stats::Counters`]. The same rule runs in two places:
//!
//! - **inline**, inside every commit ([`apply_inline`]), so a view row is written in the same
//!   atomic `WriteBatch` as the event it comes from: a reader never sees an event without its
//!   row or a row without its event;
//! - **rebuild** ([`crate::Mnemo::rebuild_context_views`]): replays the whole log into a new
//!   generation of the three column families while the current generation keeps serving
//!   reads and taking writes, catches up under the writer lock, then switches readers to the
//!   new generation in one step and drops the old one (blue-green, like host projections).
//!
//! A generation `n > 0` lives in column families named `sessions.g<n>`, `sources.g<n>` and
//! `prompts.g<n>`; generation 0 keeps the plain names. The active generation is recorded in
//! `meta` under `context-views/generation`. A rebuild interrupted by a crash leaves only
//! unused column families (and table files not yet ingested) behind, which the next open
//! drops; the rebuild starts over. The rebuild itself is in `rebuild`.

use rocksdb::WriteBatch;
use serde::Deserialize;

use crate::engine::{DbGuard, CF_META, CF_PROMPTS, CF_SESSIONS, CF_SOURCES};
use crate::error::{Error, Result};
use crate::log::LogEntry;
use crate::sessions::{hex_to_bytes, SessionRecord, SessionRow};
use crate::stats::Counters;

/// Name of the context views among the built-in projections.
pub const CONTEXT_VIEWS: &str = "context-views";

/// The column families the context views own, by their generation-0 names.
pub(crate) const VIEW_CFS: [&str; 3] = [CF_SESSIONS, CF_SOURCES, CF_PROMPTS];

/// `meta` key of the active generation (u32 BE; absent = 0).
pub(crate) const GENERATION_KEY: &[u8] = b"context-views/generation";

/// The physical column family of view `base` in `generation`.
pub(crate) fn physical_name(base: &str, generation: u32) -> String {
    if generation == 0 {
        base.to_string()
    } else {
        format!("{base}.g{generation}")
    }
}

/// The view and generation a physical column family name belongs to, if it is one.
pub(crate) fn parse_physical(name: &str) -> Option<(&'static str, u32)> {
    VIEW_CFS.iter().find_map(|base| {
        if name == *base {
            return Some((*base, 0));
        }
        let generation = name.strip_prefix(base)?.strip_prefix(".g")?;
        generation.parse().ok().map(|g| (*base, g))
    })
}

/// The active generation recorded in `meta`.
pub(crate) fn load_generation(db: &rocksdb::DB) -> Result<u32> {
    let cf = db
        .cf_handle(CF_META)
        .ok_or_else(|| Error::corrupted("store", "meta column family missing"))?;
    match db.get_pinned_cf(cf, GENERATION_KEY)? {
        None => Ok(0),
        Some(v) => Ok(u32::from_be_bytes(v.as_ref().try_into().map_err(|_| {
            Error::corrupted("context views", "generation is not 4 bytes")
        })?)),
    }
}

/// What one entry changes in the views: rows, and how the counts move.
pub(crate) trait ViewSink {
    /// Write `value` at `key` of view `cf` (one of [`VIEW_CFS`]).
    fn put(&mut self, cf: &'static str, key: &[u8], value: &[u8]);
    /// The counts the views keep.
    fn counts(&mut self) -> &mut Counters;
}

/// The first fields of a `prompt.added` or `workflow.added` payload.
#[derive(Deserialize)]
struct Head {
    name: String,
    version: u32,
}

/// The payload of `prompt.labeled`.
#[derive(Deserialize)]
struct Label {
    label: String,
    version: u32,
}

fn decode<'a, T: Deserialize<'a>>(entry: &'a LogEntry) -> Result<T> {
    postcard::from_bytes(&entry.payload)
        .map_err(|e| Error::corrupted("log entry", format!("{} at {}: {e}", entry.kind, entry.seq)))
}

fn stream_id<const N: usize>(entry: &LogEntry, prefix: &str) -> Result<[u8; N]> {
    entry
        .stream
        .strip_prefix(prefix)
        .and_then(hex_to_bytes)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| {
            Error::corrupted(
                "log entry",
                format!("stream {:?} at {} names no id", entry.stream, entry.seq),
            )
        })
}

/// Apply one log entry to the context views. Entries of host streams change nothing.
pub(crate) fn apply(entry: &LogEntry, sink: &mut dyn ViewSink) -> Result<()> {
    match entry.kind.as_str() {
        crate::sessions::SESSION_IMPORTED if entry.stream.starts_with("session/") => {
            let id: [u8; 16] = stream_id(entry, "session/")?;
            let record: SessionRecord = decode(entry)?;
            let messages = u64::from(record.info.message_count);
            let row = postcard::to_stdvec(&SessionRow {
                seq: entry.seq,
                info: record.info,
            })
            .map_err(|e| Error::Storage(format!("encoding: {e}")))?;
            sink.put(CF_SESSIONS, &id, &row);
            let counts = sink.counts();
            counts.sessions += 1;
            counts.messages += messages;
        }
        crate::sessions::SOURCE_IMPORTED if entry.stream.starts_with("source/") => {
            let id: [u8; 32] = stream_id(entry, "source/")?;
            let record: crate::sessions::SourceRecord = decode(entry)?;
            sink.put(CF_SOURCES, &id, &entry.payload);
            let counts = sink.counts();
            counts.sources += 1;
            counts.raw_bytes += record.len;
        }
        crate::prompts::PROMPT_ADDED if entry.stream.starts_with("prompt/") => {
            let head: Head = decode(entry)?;
            sink.put(
                CF_PROMPTS,
                &crate::prompts::version_key(&head.name, head.version),
                &entry.payload,
            );
            sink.put(
                CF_PROMPTS,
                &crate::prompts::head_key(&head.name),
                &entry.payload,
            );
            sink.counts().prompt_versions += 1;
        }
        crate::prompts::PROMPT_LABELED if entry.stream.starts_with("prompt/") => {
            let name = &entry.stream["prompt/".len()..];
            let label: Label = decode(entry)?;
            sink.put(
                CF_PROMPTS,
                &crate::prompts::label_key(name, &label.label),
                &label.version.to_be_bytes(),
            );
        }
        crate::workflows::WORKFLOW_ADDED if entry.stream.starts_with("workflow/") => {
            let head: Head = decode(entry)?;
            sink.put(
                CF_PROMPTS,
                &crate::workflows::version_key(&head.name, head.version),
                &entry.payload,
            );
            sink.counts().workflow_versions += 1;
        }
        _ => {}
    }
    Ok(())
}

/// One row a log entry writes into a context view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewRow {
    /// The view: `sessions`, `sources` or `prompts` (prompts and workflows).
    pub view: &'static str,
    /// Row key.
    pub key: Vec<u8>,
    /// Row value.
    pub value: Vec<u8>,
}

struct RowSink {
    rows: Vec<ViewRow>,
    counts: Counters,
}

impl ViewSink for RowSink {
    fn put(&mut self, view: &'static str, key: &[u8], value: &[u8]) {
        self.rows.push(ViewRow {
            view,
            key: key.to_vec(),
            value: value.to_vec(),
        });
    }

    fn counts(&mut self) -> &mut Counters {
        &mut self.counts
    }
}

/// The rows `entry` writes into the context views (none for host events), for tools that
/// inspect a log; a malformed payload of one of Mnemo's own event types is
/// [`Error::Corrupted`].
pub fn view_rows(entry: &LogEntry) -> Result<Vec<ViewRow>> {
    let mut sink = RowSink {
        rows: Vec::new(),
        counts: Counters::default(),
    };
    if is_context_entry(entry) {
        apply(entry, &mut sink)?;
    }
    Ok(sink.rows)
}

/// Whether `entry` can change a context view (a cheap test before [`apply`]).
pub(crate) fn is_context_entry(entry: &LogEntry) -> bool {
    is_context_stream(&entry.stream)
}

/// Whether `stream` is one of Mnemo's own (a reserved prefix), whose events the context
/// views may turn into rows.
pub(crate) fn is_context_stream(stream: &str) -> bool {
    crate::events::RESERVED_PREFIXES
        .iter()
        .any(|p| stream.starts_with(p))
}

/// Writes into a commit's batch, in the active generation, and counts into the writer's
/// running totals.
struct BatchSink<'a, 'g> {
    g: &'a DbGuard<'g>,
    batch: &'a mut WriteBatch,
    counts: &'a mut Counters,
}

impl ViewSink for BatchSink<'_, '_> {
    fn put(&mut self, cf: &'static str, key: &[u8], value: &[u8]) {
        self.batch.put_cf(self.g.cf(cf), key, value);
    }

    fn counts(&mut self) -> &mut Counters {
        self.counts
    }
}

/// Apply a commit's entries to the active generation, in the commit's own batch. Returns
/// whether any entry changed a view (then the caller persists `counts`).
pub(crate) fn apply_inline(
    g: &DbGuard<'_>,
    batch: &mut WriteBatch,
    counts: &mut Counters,
    entries: &[LogEntry],
) -> Result<bool> {
    let mut changed = false;
    let mut sink = BatchSink { g, batch, counts };
    for entry in entries.iter().filter(|e| is_context_entry(e)) {
        apply(entry, &mut sink)?;
        changed = true;
    }
    Ok(changed)
}

mod rebuild;
pub(crate) use rebuild::remove_leftovers;
pub use rebuild::ContextRebuild;

#[cfg(test)]
mod tests;
