//! The event store: host streams (`EventData`, `Expected`, `AppendResult`), projections
//! (`ProjectionStatus`, `ViewReader`, and `ViewBatch` with [`HostProjection`] for projections
//! written in Python), snapshots and upcasters. The `Mnemo` methods using them are in
//! `store`; this module holds the classes and conversions, the projections' own in
//! `projections`.
//!
//! Python code runs inside core calls in two places, each time with the interpreter
//! attached only for the callback: a host projection's `apply(event, view)` and an
//! upcaster. Both turn a Python exception into the core's `Err(String)` (the exception's
//! text); a projection keeps the exception so it becomes the `__cause__` of the
//! `ProjectionFailedError` the call raises.

use mnemo::events::builtin;
use mnemo::events::snapshot;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyList, PyMapping, PyString, PyTuple};

use crate::types::{q, LogEntry};

mod projections;

pub use projections::*;

/// The type name of `ob`, for error messages.
fn type_name(ob: &Bound<'_, PyAny>) -> String {
    ob.get_type()
        .name()
        .map_or_else(|_| "?".into(), |n| n.to_string())
}

/// `value` as compact JSON (the shape `serde_json::to_vec` writes): `json.dumps` with no
/// spaces, UTF-8 kept as is, and NaN/Infinity refused.
fn json_bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = value.py();
    let dumps = DUMPS.import(py, "json", "dumps")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("separators", (",", ":"))?;
    kwargs.set_item("ensure_ascii", false)?;
    kwargs.set_item("allow_nan", false)?;
    let text = dumps.call((value,), Some(&kwargs))?;
    Ok(text.cast::<PyString>()?.to_str()?.as_bytes().to_vec())
}

/// Event bytes as given from Python: `bytes` or `bytearray` as they are, `None` as no
/// bytes, any other value as its JSON text (`TypeError` when `json` cannot serialise it).
#[derive(Default)]
pub(crate) struct Payload(pub Vec<u8>);

impl<'a, 'py> FromPyObject<'a, 'py> for Payload {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(b) = ob.cast::<PyBytes>() {
            return Ok(Payload(b.as_bytes().to_vec()));
        }
        if let Ok(b) = ob.cast::<PyByteArray>() {
            return Ok(Payload(b.to_vec()));
        }
        if ob.is_none() {
            return Ok(Payload::default());
        }
        json_bytes(&ob).map(Payload)
    }
}

/// An event to append: its type (`kind`), payload, metadata and payload schema version.
///
/// `payload` and `metadata` are `bytes` (or `bytearray`), `None` (empty), or any other
/// value `json.dumps` accepts (a `dict`, a `list`, a `str`, ...), stored as its compact
/// JSON text.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct EventData(pub mnemo::EventData);

#[pymethods]
impl EventData {
    #[new]
    #[pyo3(
        signature = (kind, payload, metadata = Payload::default(), schema = 1),
        text_signature = "(kind, payload, metadata=b'', schema=1)"
    )]
    fn new(kind: String, payload: Payload, metadata: Payload, schema: u32) -> Self {
        EventData(mnemo::EventData {
            kind,
            payload: payload.0,
            metadata: metadata.0,
            schema,
        })
    }
    /// Event type, e.g. `order.placed`.
    #[getter]
    fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Body bytes.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.payload)
    }
    /// Host metadata bytes (may be empty).
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.metadata)
    }
    /// Schema version of the payload, from 1.
    #[getter]
    fn schema(&self) -> u32 {
        self.0.schema
    }
    fn __repr__(&self) -> String {
        format!(
            "EventData(kind={}, payload=<{} bytes>, schema={})",
            q(&self.0.kind),
            self.0.payload.len(),
            self.0.schema
        )
    }
}

/// An event as given to `Mnemo.append`: an `EventData`, or a mapping with its keys
/// (`kind`, `payload`, optional `metadata` and `schema`).
pub(crate) struct EventArg(pub mnemo::EventData);

impl<'a, 'py> FromPyObject<'a, 'py> for EventArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(e) = ob.cast::<EventData>() {
            return Ok(EventArg(e.get().0.clone()));
        }
        let map = ob.cast::<PyMapping>().map_err(|_| {
            PyTypeError::new_err(format!(
                "an event must be an EventData or a mapping, not {}",
                type_name(&ob)
            ))
        })?;
        let get = |key: &str| -> PyResult<Option<Bound<'py, PyAny>>> {
            if map.contains(key)? {
                Ok(Some(map.get_item(key)?))
            } else {
                Ok(None)
            }
        };
        let required = |key: &str| {
            get(key)?.ok_or_else(|| {
                PyTypeError::new_err(format!("an event mapping needs a {key:?} key"))
            })
        };
        let kind: String = required("kind")?.extract()?;
        let payload: Payload = required("payload")?.extract()?;
        let metadata: Payload = get("metadata")?
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or_default();
        let schema: u32 = get("schema")?
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or(1);
        Ok(EventArg(mnemo::EventData {
            kind,
            payload: payload.0,
            metadata: metadata.0,
            schema,
        }))
    }
}

/// The expected version of a stream for an append: `mnemo.ANY` (no check) or
/// `mnemo.NO_STREAM` (the stream must not exist); a version number is given as an `int`.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Expected(pub mnemo::Expected);

#[pymethods]
impl Expected {
    fn __repr__(&self) -> String {
        match self.0 {
            mnemo::Expected::Any => "mnemo.ANY".into(),
            mnemo::Expected::NoStream => "mnemo.NO_STREAM".into(),
            mnemo::Expected::Exact(v) => format!("Expected({v})"),
        }
    }
}

/// An expected version as given from Python: an `Expected` or an `int` version.
pub(crate) struct ExpectedArg(pub mnemo::Expected);

impl<'a, 'py> FromPyObject<'a, 'py> for ExpectedArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(e) = ob.cast::<Expected>() {
            return Ok(ExpectedArg(e.get().0));
        }
        let wrong = || {
            PyTypeError::new_err(format!(
                "expected must be mnemo.ANY, mnemo.NO_STREAM or a stream version (int), not {}",
                type_name(&ob)
            ))
        };
        if ob.is_instance_of::<PyBool>() {
            return Err(wrong());
        }
        match ob.extract::<u64>() {
            Ok(v) => Ok(ExpectedArg(mnemo::Expected::Exact(v))),
            Err(e) if e.is_instance_of::<PyOverflowError>(ob.py()) => Err(e),
            Err(_) => Err(wrong()),
        }
    }
}

/// The event filter of `stream_prefix` and `kinds` arguments (`None`: no restriction).
pub(crate) fn event_filter(
    stream_prefix: Option<String>,
    kinds: Option<Vec<String>>,
) -> mnemo::EventFilter {
    mnemo::EventFilter {
        stream_prefix,
        kinds: kinds.unwrap_or_default(),
    }
}

/// Where an append landed.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct AppendResult(pub mnemo::AppendResult);

#[pymethods]
impl AppendResult {
    /// Sequence number of the first event appended.
    #[getter]
    fn first_seq(&self) -> u64 {
        self.0.first_seq
    }
    /// Sequence number of the last event appended.
    #[getter]
    fn last_seq(&self) -> u64 {
        self.0.last_seq
    }
    /// The stream's version after the append.
    #[getter]
    fn version(&self) -> u64 {
        self.0.version
    }
    fn __repr__(&self) -> String {
        format!(
            "AppendResult(first_seq={}, last_seq={}, version={})",
            self.0.first_seq, self.0.last_seq, self.0.version
        )
    }
}

/// The result of `Mnemo.verify_log`: the log's hash chain is intact.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct LogVerification(pub mnemo::LogVerification);

#[pymethods]
impl LogVerification {
    /// Entries checked.
    #[getter]
    fn entries(&self) -> u64 {
        self.0.entries
    }
    /// Hash of the last entry (hex), which commits to the whole log.
    #[getter]
    fn head(&self) -> &str {
        &self.0.head
    }
    fn __repr__(&self) -> String {
        format!(
            "LogVerification(entries={}, head={})",
            self.0.entries,
            q(&self.0.head)
        )
    }
}

/// A stored aggregate snapshot.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Snapshot(pub snapshot::Snapshot);

#[pymethods]
impl Snapshot {
    /// The stream version the state reflects.
    #[getter]
    fn version(&self) -> u64 {
        self.0.version
    }
    /// The aggregate's state, as saved.
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.state)
    }
    fn __repr__(&self) -> String {
        format!(
            "Snapshot(version={}, state=<{} bytes>)",
            self.0.version,
            self.0.state.len()
        )
    }
}

/// A stream's newest snapshot and the events after it, from `Mnemo.snapshot_and_tail`:
/// fold `events` over the snapshot's state (or the initial state without one) to load the
/// aggregate at `version`.
#[pyclass(frozen, module = "mnemo")]
pub struct AggregateLoad {
    snapshot: Option<Py<Snapshot>>,
    events: Vec<Py<LogEntry>>,
    version: u64,
}

impl AggregateLoad {
    pub(crate) fn new(py: Python<'_>, load: snapshot::AggregateLoad) -> PyResult<Self> {
        let snapshot = load
            .snapshot
            .map(|s| Py::new(py, Snapshot(s)))
            .transpose()?;
        let events = load
            .events
            .into_iter()
            .map(|e| Py::new(py, LogEntry(e)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(AggregateLoad {
            snapshot,
            events,
            version: load.version,
        })
    }
}

#[pymethods]
impl AggregateLoad {
    /// The newest snapshot, or `None`.
    #[getter]
    fn snapshot(&self, py: Python<'_>) -> Option<Py<Snapshot>> {
        self.snapshot.as_ref().map(|s| s.clone_ref(py))
    }
    /// The events after the snapshot's version (all of them without one), upcast, oldest
    /// first.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, &self.events)
    }
    /// The stream version the events reach (the snapshot's when none follows it, 0 for a
    /// stream with no events).
    #[getter]
    fn version(&self) -> u64 {
        self.version
    }
    fn __repr__(&self) -> String {
        format!(
            "AggregateLoad(snapshot={}, events=<{} events>, version={})",
            self.snapshot
                .as_ref()
                .map_or_else(|| "None".into(), |s| s.get().__repr__()),
            self.events.len(),
            self.version
        )
    }
}

/// What a rebuild of the context views (sessions, sources, prompts, workflows) did, from
/// `Mnemo.rebuild_context_views`.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct ContextRebuild(pub mnemo::context_views::ContextRebuild);

#[pymethods]
impl ContextRebuild {
    /// The generation readers see now.
    #[getter]
    fn generation(&self) -> u32 {
        self.0.generation
    }
    /// Log entries replayed.
    #[getter]
    fn entries(&self) -> u64 {
        self.0.entries
    }
    /// Sessions in the rebuilt views.
    #[getter]
    fn sessions(&self) -> u64 {
        self.0.sessions
    }
    /// Sources (imported files) in the rebuilt views.
    #[getter]
    fn sources(&self) -> u64 {
        self.0.sources
    }
    /// Prompt template versions in the rebuilt views.
    #[getter]
    fn prompt_versions(&self) -> u64 {
        self.0.prompt_versions
    }
    /// Workflow versions in the rebuilt views.
    #[getter]
    fn workflow_versions(&self) -> u64 {
        self.0.workflow_versions
    }
    fn __repr__(&self) -> String {
        let r = &self.0;
        format!(
            "ContextRebuild(generation={}, entries={}, sessions={}, sources={}, \
             prompt_versions={}, workflow_versions={})",
            r.generation, r.entries, r.sessions, r.sources, r.prompt_versions, r.workflow_versions
        )
    }
}

/// A core upcaster calling the Python function `f(payload: bytes)`, which returns the
/// payload of the next schema (`bytes`, or a value stored as JSON like `EventData`'s).
/// Its exception becomes the `UpcastError`'s reason.
pub(crate) fn upcaster(
    f: Bound<'_, PyAny>,
) -> PyResult<impl Fn(&[u8]) -> std::result::Result<Vec<u8>, String> + Send + Sync + 'static> {
    if !f.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "an upcaster must be callable, not {}",
            type_name(&f)
        )));
    }
    let f = f.unbind();
    Ok(move |payload: &[u8]| {
        Python::attach(|py| {
            f.call1(py, (PyBytes::new(py, payload),))
                .and_then(|out| out.extract::<Payload>(py))
                .map(|p| p.0)
                .map_err(|e| e.to_string())
        })
    })
}

/// Adds the module constants: `ANY`, `NO_STREAM` and `BUILTIN_PROJECTIONS`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ANY", Expected(mnemo::Expected::Any))?;
    m.add("NO_STREAM", Expected(mnemo::Expected::NoStream))?;
    m.add(
        "BUILTIN_PROJECTIONS",
        PyTuple::new(m.py(), builtin::BUILTIN)?,
    )?;
    Ok(())
}
