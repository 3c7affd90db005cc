//! Mnemo: an embeddable engine for AI coding context.
//!
//! Open a [`Mnemo`] store on a directory; import transcripts of AI coding sessions (aider,
//! Claude Code, Cursor/Copilot via SpecStory, SWE-agent) byte-exact; read, list, search and
//! export sessions; keep versioned prompt templates and workflows; follow every change
//! through the log's change feed.
//!
//! ```no_run
//! use mnemo::{Mnemo, Options, SessionFilter};
//! let store = Mnemo::open("/tmp/mnemo-demo", Options::default())?;
//! store.import_file("transcript.md")?;
//! for hit in store.search("rocksdb lock error", &SessionFilter::default(), 5)? {
//!     println!("{} {:.2} {:?}", hit.session.id, hit.score, hit.session.title);
//! }
//! # Ok::<(), mnemo::Error>(())
//! ```
//!
//! See `ARCHITECTURE.md` for the data flow of a write and a read.
#![deny(missing_docs)]

pub mod codec;
pub mod error;
pub mod import;
pub mod keys;
pub mod model;

#[cfg(feature = "store")]
mod background;
#[cfg(feature = "store")]
mod blobs;
#[cfg(feature = "store")]
pub mod compaction;
#[cfg(feature = "store")]
pub mod context_views;
#[cfg(feature = "store")]
mod dictionaries;
#[cfg(feature = "store")]
mod engine;
#[cfg(feature = "store")]
pub mod events;
#[cfg(feature = "store")]
mod feed;
#[cfg(feature = "store")]
mod ingest;
#[cfg(feature = "store")]
pub mod log;
#[cfg(feature = "store")]
mod mnemo;
#[cfg(feature = "store")]
pub mod prompts;
#[cfg(feature = "store")]
pub mod search;
#[cfg(feature = "store")]
pub mod sessions;
#[cfg(feature = "store")]
pub mod stats;
#[cfg(feature = "store")]
pub mod workflows;

pub use error::{Error, Result};

/// The README's Rust examples, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
pub use model::*;

#[cfg(feature = "store")]
pub use engine::Options;
#[cfg(feature = "store")]
pub use events::subscription::{SubscribeOptions, Subscription};
#[cfg(feature = "store")]
pub use events::{AppendResult, EventData, EventFilter, LogVerification, ReadDirection};
#[cfg(feature = "store")]
pub use log::{Expected, LogEntry};
#[cfg(feature = "store")]
pub use mnemo::{
    FileReport, ImportProgress, ImportSummary, MessageMatch, Mnemo, SearchResult, SessionFilter,
};
#[cfg(feature = "store")]
pub use sessions::{ImportedFile, Session};
#[cfg(feature = "store")]
pub use stats::{Counters, Stats};

/// The sample transcripts shipped with the repository (`examples/transcripts`), for tests.
#[cfg(test)]
pub(crate) fn sample_transcripts() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/transcripts")
}
