//! Error mapping: every [`mnemo::Error`] variant becomes one Python exception class.
//!
//! All classes derive from `mnemo.MnemoError`. Every raised instance has a `code` attribute
//! equal to [`mnemo::Error::code`] (also a class attribute of each subclass) and one
//! attribute per field of the Rust variant (`path`, `kind`, `key`, ...).

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{create_exception, IntoPyObjectExt, PyTypeInfo};

create_exception!(
    mnemo,
    MnemoError,
    PyException,
    "Base class of every error Mnemo raises; `code` is the stable error code."
);
create_exception!(
    mnemo,
    LockedError,
    MnemoError,
    "Another handle (this process or another) already has the store open."
);
create_exception!(
    mnemo,
    UnknownFormatError,
    MnemoError,
    "The transcript is in no format Mnemo knows."
);
create_exception!(
    mnemo,
    TranscriptImportError,
    MnemoError,
    "A transcript looks like a known format but could not be imported (`reason` says why)."
);
create_exception!(
    mnemo,
    IoError,
    MnemoError,
    "Reading or writing a file outside the store failed."
);
create_exception!(
    mnemo,
    StorageError,
    MnemoError,
    "The storage engine (RocksDB) reported an error."
);
create_exception!(
    mnemo,
    CorruptedError,
    MnemoError,
    "Stored bytes failed to decode: the store is damaged or was written by a newer version."
);
create_exception!(
    mnemo,
    NotFoundError,
    MnemoError,
    "A session, prompt, workflow, label or store that does not exist."
);
create_exception!(
    mnemo,
    AmbiguousError,
    MnemoError,
    "An id prefix that matches several items."
);
create_exception!(
    mnemo,
    MissingVariableError,
    MnemoError,
    "Rendering a prompt template without a value for one of its variables."
);
create_exception!(
    mnemo,
    ConflictError,
    MnemoError,
    "An append whose expected stream version did not match."
);
create_exception!(
    mnemo,
    InvalidInputError,
    MnemoError,
    "An argument the store does not accept (empty name, bad template, ...)."
);
create_exception!(
    mnemo,
    TooLargeError,
    MnemoError,
    "A value larger than the store accepts."
);
create_exception!(
    mnemo,
    ProjectionFailedError,
    MnemoError,
    "A host projection failed on an event."
);
create_exception!(
    mnemo,
    UpcastError,
    MnemoError,
    "An upcaster failed to turn an old event schema into the next one."
);
create_exception!(
    mnemo,
    ClosedError,
    MnemoError,
    "The store was closed (or closed while a caller waited on the change feed)."
);

/// Adds the exception classes to the module, each subclass with its `code` class attribute.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(Bound<'_, PyType>, Option<&str>); 16] = [
        (MnemoError::type_object(py), None),
        (LockedError::type_object(py), Some("locked")),
        (UnknownFormatError::type_object(py), Some("unknown_format")),
        (TranscriptImportError::type_object(py), Some("import")),
        (IoError::type_object(py), Some("io")),
        (StorageError::type_object(py), Some("storage")),
        (CorruptedError::type_object(py), Some("corrupted")),
        (NotFoundError::type_object(py), Some("not_found")),
        (AmbiguousError::type_object(py), Some("ambiguous")),
        (
            MissingVariableError::type_object(py),
            Some("missing_variable"),
        ),
        (ConflictError::type_object(py), Some("conflict")),
        (InvalidInputError::type_object(py), Some("invalid_input")),
        (TooLargeError::type_object(py), Some("too_large")),
        (
            ProjectionFailedError::type_object(py),
            Some("projection_failed"),
        ),
        (UpcastError::type_object(py), Some("upcast")),
        (ClosedError::type_object(py), Some("closed")),
    ];
    for (class, code) in classes {
        if let Some(code) = code {
            class.setattr("code", code)?;
        }
        m.add(class.name()?, class)?;
    }
    Ok(())
}

/// The Python exception for a Mnemo error, with `code` and the variant's fields set.
pub(crate) fn to_py(py: Python<'_>, e: mnemo::Error) -> PyErr {
    use mnemo::Error as E;
    let message = e.to_string();
    let code = e.code();
    let mut fields: Vec<(&str, Py<PyAny>)> = Vec::new();
    macro_rules! field {
        ($name:literal, $value:expr) => {
            if let Ok(v) = $value.into_py_any(py) {
                fields.push(($name, v));
            }
        };
    }
    let err = match e {
        E::Locked { path } => {
            field!("path", path);
            LockedError::new_err(message)
        }
        E::UnknownFormat { path } => {
            field!("path", path);
            UnknownFormatError::new_err(message)
        }
        E::Import { path, source } => {
            field!("path", path);
            field!("reason", source.to_string());
            TranscriptImportError::new_err(message)
        }
        E::Io { path, source } => {
            field!("path", path);
            field!("errno", source.raw_os_error());
            IoError::new_err(message)
        }
        E::Storage(reason) => {
            field!("reason", reason);
            StorageError::new_err(message)
        }
        E::Corrupted { what, reason } => {
            field!("what", what);
            field!("reason", reason);
            CorruptedError::new_err(message)
        }
        E::NotFound { kind, key } => {
            field!("kind", kind);
            field!("key", key);
            NotFoundError::new_err(message)
        }
        E::Ambiguous {
            kind,
            prefix,
            count,
        } => {
            field!("kind", kind);
            field!("prefix", prefix);
            field!("count", count);
            AmbiguousError::new_err(message)
        }
        E::MissingVariable { name } => {
            field!("name", name);
            MissingVariableError::new_err(message)
        }
        E::Conflict {
            stream,
            expected,
            current,
        } => {
            field!("stream", stream);
            field!("expected", expected);
            field!("current", current);
            ConflictError::new_err(message)
        }
        E::InvalidInput(reason) => {
            field!("reason", reason);
            InvalidInputError::new_err(message)
        }
        E::TooLarge { what, size, limit } => {
            field!("what", what);
            field!("size", size);
            field!("limit", limit);
            TooLargeError::new_err(message)
        }
        E::ProjectionFailed { name, seq, reason } => {
            field!("name", name);
            field!("seq", seq);
            field!("reason", reason);
            ProjectionFailedError::new_err(message)
        }
        E::Upcast {
            kind,
            schema,
            reason,
        } => {
            field!("kind", kind);
            field!("schema", schema);
            field!("reason", reason);
            UpcastError::new_err(message)
        }
        E::Closed => ClosedError::new_err(message),
        // A variant added to the core later: the base class, with the right code.
        _ => MnemoError::new_err(message),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail short of memory
    // exhaustion; the exception is raised either way.
    let _ = value.setattr("code", code);
    for (name, v) in fields {
        let _ = value.setattr(name, v);
    }
    err
}

/// Runs a blocking store call detached from the interpreter (other Python threads run
/// meanwhile) and maps its error.
pub(crate) fn blocking<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: Send + FnOnce() -> mnemo::Result<T>,
    T: Send,
{
    py.detach(f).map_err(|e| to_py(py, e))
}
