//! The one error type of the crate.
//!
//! Every fallible public function returns [`Result<T>`]. Variants are the cases a caller can
//! act on; messages never contain secrets or stored content.

use std::path::PathBuf;

use crate::import::ImportError;

/// Result alias used throughout Mnemo.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Mnemo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Another handle (this process or another) already has the store open.
    #[error("store at {path} is locked by another process or handle")]
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// The file is in no format Mnemo knows.
    #[error("{path}: unknown transcript format")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A transcript file could not be imported.
    #[error("{path}: {source}")]
    Import {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ImportError,
    },
    /// Reading or writing a file outside the store failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The storage engine reported an error.
    #[error("storage error: {0}")]
    Storage(String),
    /// Stored bytes failed to decode: the store is damaged or was written by a newer version.
    #[error("corrupted {what}: {reason}")]
    Corrupted {
        /// What was being read.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A session, prompt, workflow or label that does not exist.
    #[error("{kind} not found: {key}")]
    NotFound {
        /// `session`, `prompt`, `workflow`, `label`, ...
        kind: &'static str,
        /// What was looked up.
        key: String,
    },
    /// An id prefix that matches several items.
    #[error("{kind} id prefix {prefix} is ambiguous ({count} matches)")]
    Ambiguous {
        /// What kind of item.
        kind: &'static str,
        /// The prefix given.
        prefix: String,
        /// How many matched (at least 2).
        count: usize,
    },
    /// Rendering a prompt template without a value for one of its variables.
    #[error("missing value for template variable {name}")]
    MissingVariable {
        /// The variable.
        name: String,
    },
    /// An append whose expected stream version did not match.
    #[error("version conflict on stream {stream}: expected {expected}, current {}", current.map_or_else(|| "none (no stream)".to_string(), |v| v.to_string()))]
    Conflict {
        /// The stream.
        stream: String,
        /// What the caller expected.
        expected: String,
        /// The stream's current version (`None` when the stream does not exist).
        current: Option<u64>,
    },
    /// An argument that is not acceptable (empty name, value too large, bad template...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A value larger than the store accepts.
    #[error("{what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A host projection failed on an event; it stopped there and resumes from that event.
    #[error("projection {name} failed at event {seq}: {reason}")]
    ProjectionFailed {
        /// The projection.
        name: String,
        /// The event it failed on (not applied).
        seq: u64,
        /// What the projection reported.
        reason: String,
    },
    /// An upcaster failed to turn an old event schema into the next one.
    #[error("upcasting {kind} from schema {schema} failed: {reason}")]
    Upcast {
        /// Event type.
        kind: String,
        /// The schema it was upcast from.
        schema: u32,
        /// What the upcaster reported.
        reason: String,
    },
    /// The store was closed (or closed while a caller waited on the change feed).
    #[error("the store was closed")]
    Closed,
}

#[cfg(feature = "store")]
impl From<rocksdb::Error> for Error {
    fn from(e: rocksdb::Error) -> Self {
        Error::Storage(e.into_string())
    }
}

impl Error {
    /// A short stable code for bindings and scripts (`locked`, `not_found`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Locked { .. } => "locked",
            Error::UnknownFormat { .. } => "unknown_format",
            Error::Import { .. } => "import",
            Error::Io { .. } => "io",
            Error::Storage(_) => "storage",
            Error::Corrupted { .. } => "corrupted",
            Error::NotFound { .. } => "not_found",
            Error::Ambiguous { .. } => "ambiguous",
            Error::MissingVariable { .. } => "missing_variable",
            Error::Conflict { .. } => "conflict",
            Error::InvalidInput(_) => "invalid_input",
            Error::TooLarge { .. } => "too_large",
            Error::ProjectionFailed { .. } => "projection_failed",
            Error::Upcast { .. } => "upcast",
            Error::Closed => "closed",
        }
    }

    pub(crate) fn corrupted(what: &'static str, reason: impl ToString) -> Self {
        Error::Corrupted {
            what,
            reason: reason.to_string(),
        }
    }
}
