//! Error mapping: every [`mnemo::Error`] becomes the [`MnemoError`] variant of the same name,
//! carrying the core error's message.
//!
//! `MnemoError` is a uniffi "flat" error: the foreign side sees the variant and its message.
//! In Swift it is `enum MnemoError: Error` with cases such as `.NotFound(message:)`; in Kotlin
//! a sealed `MnemoException` with subclasses such as `MnemoException.NotFound`, whose
//! `message` is the core's message.

/// Everything that can go wrong in Mnemo; one variant per [`mnemo::Error`] variant, each
/// holding the core error's message (its `Display` text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum MnemoError {
    /// Another handle (this process or another) already has the store open.
    #[error("{0}")]
    Locked(String),
    /// The file is in no transcript format Mnemo knows.
    #[error("{0}")]
    UnknownFormat(String),
    /// A transcript file could not be imported (malformed).
    #[error("{0}")]
    Import(String),
    /// Reading or writing a file outside the store failed.
    #[error("{0}")]
    Io(String),
    /// The storage engine reported an error.
    #[error("{0}")]
    Storage(String),
    /// Stored bytes failed to decode: the store is damaged or was written by a newer version.
    #[error("{0}")]
    Corrupted(String),
    /// A session, prompt, workflow, label, stream or projection that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An id prefix that matches several items.
    #[error("{0}")]
    Ambiguous(String),
    /// Rendering a prompt template without a value for one of its variables.
    #[error("{0}")]
    MissingVariable(String),
    /// An append whose expected stream version did not match; nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// An argument that is not acceptable (empty name, bad template, reserved stream...).
    #[error("{0}")]
    InvalidInput(String),
    /// A value larger than the store accepts.
    #[error("{0}")]
    TooLarge(String),
    /// A projection failed on an event; it stopped there and resumes from that event.
    #[error("{0}")]
    ProjectionFailed(String),
    /// An upcaster failed to turn an old event schema into the next one.
    #[error("{0}")]
    Upcast(String),
    /// The store was closed (or closed while a caller waited on the change feed).
    #[error("{0}")]
    Closed(String),
}

impl From<mnemo::Error> for MnemoError {
    fn from(e: mnemo::Error) -> Self {
        use mnemo::Error as E;
        let message = e.to_string();
        match e {
            E::Locked { .. } => MnemoError::Locked(message),
            E::UnknownFormat { .. } => MnemoError::UnknownFormat(message),
            E::Import { .. } => MnemoError::Import(message),
            E::Io { .. } => MnemoError::Io(message),
            E::Storage(_) => MnemoError::Storage(message),
            E::Corrupted { .. } => MnemoError::Corrupted(message),
            E::NotFound { .. } => MnemoError::NotFound(message),
            E::Ambiguous { .. } => MnemoError::Ambiguous(message),
            E::MissingVariable { .. } => MnemoError::MissingVariable(message),
            E::Conflict { .. } => MnemoError::Conflict(message),
            E::InvalidInput(_) => MnemoError::InvalidInput(message),
            E::TooLarge { .. } => MnemoError::TooLarge(message),
            E::ProjectionFailed { .. } => MnemoError::ProjectionFailed(message),
            E::Upcast { .. } => MnemoError::Upcast(message),
            E::Closed => MnemoError::Closed(message),
            // `mnemo::Error` is non-exhaustive: a variant added to the core later is reported
            // as a storage error prefixed with its stable code until it gets its own variant.
            other => MnemoError::Storage(format!("{}: {message}", other.code())),
        }
    }
}

/// An error as plain data, where it is a value rather than thrown: the outcome of one file
/// of a multi-file import, or why a [`crate::LogWatch`] ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorInfo {
    /// The core's stable code (`not_found`, `closed`, ...; see `mnemo::Error::code`).
    pub code: String,
    /// The human-readable message.
    pub message: String,
}

impl From<&mnemo::Error> for ErrorInfo {
    fn from(e: &mnemo::Error) -> Self {
        ErrorInfo {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each core variant maps to the binding variant of the same name (compared through the
    /// core's stable code), with the core's message.
    /// A core error and a check that its mapping is the variant of the same name.
    type Case = (mnemo::Error, fn(&MnemoError) -> bool);

    #[test]
    fn every_core_variant_maps_to_its_namesake() {
        use mnemo::Error as E;
        let cases: Vec<Case> = vec![
            (E::Locked { path: "/s".into() }, |e| {
                matches!(e, MnemoError::Locked(_))
            }),
            (E::UnknownFormat { path: "/f".into() }, |e| {
                matches!(e, MnemoError::UnknownFormat(_))
            }),
            (
                E::Import {
                    path: "/f".into(),
                    source: mnemo::import::ImportError::Malformed {
                        format: "aider",
                        reason: "r".into(),
                    },
                },
                |e| matches!(e, MnemoError::Import(_)),
            ),
            (
                E::Io {
                    path: "/f".into(),
                    source: std::io::Error::other("boom"),
                },
                |e| matches!(e, MnemoError::Io(_)),
            ),
            (E::Storage("x".into()), |e| {
                matches!(e, MnemoError::Storage(_))
            }),
            (
                E::Corrupted {
                    what: "log",
                    reason: "bad".into(),
                },
                |e| matches!(e, MnemoError::Corrupted(_)),
            ),
            (
                E::NotFound {
                    kind: "session",
                    key: "ab".into(),
                },
                |e| matches!(e, MnemoError::NotFound(_)),
            ),
            (
                E::Ambiguous {
                    kind: "session",
                    prefix: "a".into(),
                    count: 2,
                },
                |e| matches!(e, MnemoError::Ambiguous(_)),
            ),
            (E::MissingVariable { name: "v".into() }, |e| {
                matches!(e, MnemoError::MissingVariable(_))
            }),
            (
                E::Conflict {
                    stream: "s".into(),
                    expected: "no stream".into(),
                    current: Some(1),
                },
                |e| matches!(e, MnemoError::Conflict(_)),
            ),
            (E::InvalidInput("x".into()), |e| {
                matches!(e, MnemoError::InvalidInput(_))
            }),
            (
                E::TooLarge {
                    what: "event",
                    size: 2,
                    limit: 1,
                },
                |e| matches!(e, MnemoError::TooLarge(_)),
            ),
            (
                E::ProjectionFailed {
                    name: "p".into(),
                    seq: 1,
                    reason: "r".into(),
                },
                |e| matches!(e, MnemoError::ProjectionFailed(_)),
            ),
            (
                E::Upcast {
                    kind: "k".into(),
                    schema: 1,
                    reason: "r".into(),
                },
                |e| matches!(e, MnemoError::Upcast(_)),
            ),
            (E::Closed, |e| matches!(e, MnemoError::Closed(_))),
        ];
        for (core, is_namesake) in cases {
            let message = core.to_string();
            let code = core.code();
            let mapped = MnemoError::from(core);
            assert!(is_namesake(&mapped), "{code} mapped to {mapped:?}");
            assert_eq!(mapped.to_string(), message);
        }
    }
}
