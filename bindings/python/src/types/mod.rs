//! The data classes: read-only Python views of the core's value types.
//!
//! Each class wraps the Rust value and converts a field when it is read, so returning one
//! from a call costs a single allocation. Sequences read as fresh `list`s, maps as fresh
//! `dict`s, times as `int` milliseconds since the Unix epoch (UTC), byte strings as `bytes`.
//! Classes whose Rust type compares by value also compare by value in Python (`==`).
//! [`Session`] and [`SearchResult`] convert their nested objects once, when built.
//!
//! By concept: `sessions` (sessions, messages, imports, search results), `prompts` (prompt
//! templates and workflows); the log entry and the store's statistics here.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

mod prompts;
mod sessions;

pub use prompts::*;
pub use sessions::*;

fn role(r: mnemo::Role) -> &'static str {
    r.as_str()
}

/// `s` as Python writes a `str` literal (`'text'`).
pub(crate) fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push('"'),
            c => out.extend(c.escape_debug()),
        }
    }
    out.push('\'');
    out
}

/// An optional string as Python writes it (`None` or `'text'`).
fn qo(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), q)
}

/// A list of strings as Python writes it.
fn ql(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

/// One entry of the log (the change feed).
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct LogEntry(pub mnemo::LogEntry);

#[pymethods]
impl LogEntry {
    /// Global sequence number, from 1, gap-free.
    #[getter]
    fn seq(&self) -> u64 {
        self.0.seq
    }
    /// The stream the event belongs to (`session/<id>`, `prompt/<name>`, a host stream...).
    #[getter]
    fn stream(&self) -> &str {
        &self.0.stream
    }
    /// The stream's version after this event, from 1.
    #[getter]
    fn version(&self) -> u64 {
        self.0.version
    }
    /// Event type (`session.imported`, `prompt.added`, a host event type...).
    #[getter]
    fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Schema version of the payload.
    #[getter]
    fn schema(&self) -> u32 {
        self.0.schema
    }
    /// When it was committed (ms since the epoch).
    #[getter]
    fn timestamp(&self) -> i64 {
        self.0.timestamp
    }
    /// Event body; its encoding depends on `kind`.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.payload)
    }
    /// Host metadata (opaque bytes); empty for Mnemo's own events.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.metadata)
    }
    /// The hash chain link of the commit holding this entry (32 bytes, BLAKE3; shared by
    /// every entry of one commit).
    #[getter]
    fn hash<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.hash)
    }
    fn __repr__(&self) -> String {
        format!(
            "LogEntry(seq={}, stream={}, version={}, kind={})",
            self.0.seq,
            q(&self.0.stream),
            self.0.version,
            q(&self.0.kind)
        )
    }
}

/// Running totals of a store.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Counters(pub mnemo::Counters);

macro_rules! counter_getters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        #[pymethods]
        impl Counters {
            $(
                $(#[$doc])*
                #[getter]
                fn $name(&self) -> u64 {
                    self.0.$name
                }
            )*
            fn __repr__(&self) -> String {
                let fields: Vec<String> = vec![$(format!("{}={}", stringify!($name), self.0.$name)),*];
                format!("Counters({})", fields.join(", "))
            }
        }
    };
}

counter_getters!(
    /// Sessions stored.
    sessions,
    /// Messages stored.
    messages,
    /// Distinct source files imported.
    sources,
    /// Bytes of the imported source files (each distinct file counted once).
    raw_bytes,
    /// Distinct session blobs stored.
    blobs,
    /// Uncompressed bytes of the distinct blobs.
    blob_bytes,
    /// Bytes of the stored blob frames (after compression).
    blob_stored_bytes,
    /// Bytes of log entries written (after compression).
    log_stored_bytes,
    /// Blob bytes not stored because the same content was already stored.
    dedup_bytes,
    /// Indexed tokens over all messages.
    tokens,
    /// Prompt template versions stored.
    prompt_versions,
    /// Workflow versions stored.
    workflow_versions,
);

/// A snapshot of a store's statistics.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Stats(pub mnemo::Stats);

#[pymethods]
impl Stats {
    /// Running counters.
    #[getter]
    fn counters(&self) -> Counters {
        Counters(self.0.counters.clone())
    }
    /// Last log sequence number.
    #[getter]
    fn last_seq(&self) -> u64 {
        self.0.last_seq
    }
    /// Trained dictionaries.
    #[getter]
    fn dictionaries(&self) -> u32 {
        self.0.dictionaries
    }
    /// Log sequence number through which imported sessions were recompressed in the
    /// background; equal to `last_seq` once caught up.
    #[getter]
    fn recompressed_through(&self) -> u64 {
        self.0.recompressed_through
    }
    /// Bytes stored for context content: compressed session blobs plus compressed log entries.
    #[getter]
    fn stored_content_bytes(&self) -> u64 {
        self.0.stored_content_bytes
    }
    /// On-disk bytes (SST files + memtables) per column family.
    #[getter]
    fn column_families(&self) -> BTreeMap<&str, u64> {
        self.0
            .column_families
            .iter()
            .map(|c| (c.name.as_str(), c.bytes))
            .collect()
    }
    /// Raw imported bytes divided by stored content bytes (higher is better).
    #[getter]
    fn compression_ratio(&self) -> f64 {
        self.0.compression_ratio()
    }
    /// Total on-disk bytes over all column families.
    #[getter]
    fn disk_bytes(&self) -> u64 {
        self.0.disk_bytes()
    }
    fn __repr__(&self) -> String {
        format!(
            "Stats(sessions={}, last_seq={}, compression_ratio={:.2}, disk_bytes={})",
            self.0.counters.sessions,
            self.0.last_seq,
            self.0.compression_ratio(),
            self.0.disk_bytes()
        )
    }
}
