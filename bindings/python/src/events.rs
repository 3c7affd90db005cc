//! The event store: host streams (`EventData`, `Expected`, `AppendResult`), projections
//! (`ProjectionStatus`, `ViewReader`, and `ViewBatch` with [`HostProjection`] for projections
//! written in Python), snapshots and upcasters. The `Mnemo` methods using them are in
//! `store`; this module holds the classes and conversions.
//!
//! Python code runs inside core calls in two places, each time with the interpreter
//! attached only for the callback: a host projection's `apply(event, view)` and an
//! upcaster. Both turn a Python exception into the core's `Err(String)` (the exception's
//! text); a projection keeps the exception so it becomes the `__cause__` of the
//! `ProjectionFailedError` the call raises.

use std::sync::{Mutex, MutexGuard};

use mnemo::events::builtin;
use mnemo::events::projection::{self as proj, Projection};
use mnemo::events::snapshot;
use pyo3::exceptions::{PyException, PyOverflowError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyList, PyMapping, PyString, PyTuple};

use crate::errors::{blocking, to_py};
use crate::types::{q, LogEntry};

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

/// The failure that stopped a projection, as recorded in its status.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct ProjectionFailure(pub proj::ProjectionError);

#[pymethods]
impl ProjectionFailure {
    /// The event it failed on.
    #[getter]
    fn seq(&self) -> u64 {
        self.0.seq
    }
    /// What the projection reported (for a Python projection: the exception's text).
    #[getter]
    fn reason(&self) -> &str {
        &self.0.reason
    }
    fn __repr__(&self) -> String {
        format!(
            "ProjectionFailure(seq={}, reason={})",
            self.0.seq,
            q(&self.0.reason)
        )
    }
}

/// Where a projection stands.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct ProjectionStatus(pub proj::ProjectionStatus);

#[pymethods]
impl ProjectionStatus {
    /// Projection name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// The generation readers see.
    #[getter]
    fn generation(&self) -> u32 {
        self.0.generation
    }
    /// Last event applied to that generation.
    #[getter]
    fn checkpoint(&self) -> u64 {
        self.0.checkpoint
    }
    /// `(generation, checkpoint)` of a rebuild under way, else `None`.
    #[getter]
    fn rebuilding(&self) -> Option<(u32, u64)> {
        self.0.rebuilding
    }
    /// The failure that stopped it, if any.
    #[getter]
    fn error(&self) -> Option<ProjectionFailure> {
        self.0.error.clone().map(ProjectionFailure)
    }
    /// The log's last sequence number when the status was read.
    #[getter]
    fn head(&self) -> u64 {
        self.0.head
    }
    /// Events the active generation has not applied yet.
    #[getter]
    fn lag(&self) -> u64 {
        self.0.lag()
    }
    fn __repr__(&self) -> String {
        format!(
            "ProjectionStatus(name={}, generation={}, checkpoint={}, head={}, error={})",
            q(&self.0.name),
            self.0.generation,
            self.0.checkpoint,
            self.0.head,
            self.0.error.as_ref().map_or_else(
                || "None".into(),
                |e| format!("ProjectionFailure(seq={}, reason={})", e.seq, q(&e.reason))
            )
        )
    }
}

/// The read model of a projection (its active generation), from `Mnemo.view(name)`.
#[pyclass(frozen, module = "mnemo")]
pub struct ViewReader {
    inner: proj::ViewReader,
    name: String,
}

impl ViewReader {
    pub(crate) fn new(inner: proj::ViewReader, name: String) -> Self {
        ViewReader { inner, name }
    }
}

#[pymethods]
impl ViewReader {
    /// The projection's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }
    /// The value of `key`, or `None`.
    fn get<'py>(&self, py: Python<'py>, key: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let v = blocking(py, || self.inner.get(key))?;
        Ok(v.map(|v| PyBytes::new(py, &v)))
    }
    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    #[pyo3(signature = (prefix = &b""[..]), text_signature = "($self, /, prefix=b'')")]
    fn scan<'py>(
        &self,
        py: Python<'py>,
        prefix: &[u8],
    ) -> PyResult<Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)>> {
        let items = blocking(py, || self.inner.scan(prefix))?;
        Ok(items
            .iter()
            .map(|(k, v)| (PyBytes::new(py, k), PyBytes::new(py, v)))
            .collect())
    }
    fn __repr__(&self) -> String {
        format!("ViewReader({})", q(&self.name))
    }
}

/// The core's batch for the duration of one `apply` call.
struct BatchPtr(*mut proj::ViewBatch<'static>);

// SAFETY: the pointer is only dereferenced under `ViewBatch::batch`'s mutex while the
// `apply` call that lent the batch is running (it clears the pointer before returning),
// and `proj::ViewBatch` itself may move between threads.
unsafe impl Send for BatchPtr {}

/// A projection's pending read-model writes, passed to `apply(event, view)`: valid only
/// during that call (afterwards every method raises `RuntimeError`).
#[pyclass(frozen, module = "mnemo")]
pub struct ViewBatch {
    batch: Mutex<Option<BatchPtr>>,
}

impl ViewBatch {
    fn lock(&self) -> MutexGuard<'_, Option<BatchPtr>> {
        self.batch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the lent batch; `RuntimeError` once the `apply` call has returned.
    fn with<T>(&self, f: impl FnOnce(&mut proj::ViewBatch<'_>) -> T) -> PyResult<T> {
        let mut guard = self.lock();
        let ptr = guard.as_mut().ok_or_else(|| {
            PyRuntimeError::new_err(
                "a ViewBatch is only usable during the apply call it was passed to",
            )
        })?;
        // SAFETY: set only while the core's `&mut ViewBatch` is lent to the running
        // `apply` (which waits for the Python callback), and the mutex gives this thread
        // the only access to it.
        Ok(f(unsafe { &mut *ptr.0 }))
    }
}

#[pymethods]
impl ViewBatch {
    /// The current value of `key`, including writes of this run not committed yet.
    fn get<'py>(&self, py: Python<'py>, key: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        // The mutex is taken detached: a thread holding it never waits for the interpreter.
        let v = py.detach(|| self.with(|b| b.get(key)))?;
        let v = v.map_err(|e| to_py(py, e))?;
        Ok(v.map(|v| PyBytes::new(py, &v)))
    }
    /// Set `key` to `value` in the read model.
    fn put(&self, key: &[u8], value: &[u8]) -> PyResult<()> {
        self.with(|b| b.put(key, value))
    }
    /// Remove `key` from the read model.
    fn delete(&self, key: &[u8]) -> PyResult<()> {
        self.with(|b| b.delete(key))
    }
    fn __repr__(&self) -> &'static str {
        if self.lock().is_some() {
            "ViewBatch(active)"
        } else {
            "ViewBatch(done)"
        }
    }
}

/// Clears a `ViewBatch`'s pointer when the `apply` call ends, however it ends.
struct Lent<'a>(&'a ViewBatch);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        *self.0.lock() = None;
    }
}

/// A projection written in Python: an object with `name`, `apply(event, view)` and an
/// optional `filter` (a `(stream_prefix, kinds)` tuple, or a method returning one).
pub(crate) struct HostProjection {
    name: String,
    apply: Py<PyAny>,
    filter: mnemo::EventFilter,
    /// The exception of the `apply` call that failed, if one did.
    error: Option<PyErr>,
}

impl HostProjection {
    fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let wrong = |what: &str| {
            PyTypeError::new_err(format!(
                "a projection is a built-in projection's name or an object with {what}, not {}",
                type_name(obj)
            ))
        };
        let name = obj
            .getattr_opt("name")?
            .and_then(|n| n.extract::<String>().ok())
            .ok_or_else(|| wrong("a str `name`"))?;
        let apply = obj
            .getattr_opt("apply")?
            .filter(|a| a.is_callable())
            .ok_or_else(|| wrong("an `apply(event, view)` method"))?;
        let filter = match obj.getattr_opt("filter")? {
            None => mnemo::EventFilter::default(),
            Some(f) => {
                let f = if f.is_callable() { f.call0()? } else { f };
                if f.is_none() {
                    mnemo::EventFilter::default()
                } else {
                    let (prefix, kinds): (Option<String>, Option<Vec<String>>) =
                        f.extract().map_err(|_| {
                            PyTypeError::new_err(
                                "a projection's filter is a (stream_prefix, kinds) tuple: \
                                 (str or None, list of str or None)",
                            )
                        })?;
                    event_filter(prefix, kinds)
                }
            }
        };
        Ok(HostProjection {
            name,
            apply: apply.unbind(),
            filter,
            error: None,
        })
    }
}

impl Projection for HostProjection {
    fn name(&self) -> &str {
        &self.name
    }

    fn filter(&self) -> mnemo::EventFilter {
        self.filter.clone()
    }

    fn apply(
        &mut self,
        event: &mnemo::LogEntry,
        view: &mut proj::ViewBatch<'_>,
    ) -> std::result::Result<(), String> {
        let ptr = (view as *mut proj::ViewBatch<'_>).cast::<proj::ViewBatch<'static>>();
        Python::attach(|py| {
            let result = Py::new(
                py,
                ViewBatch {
                    batch: Mutex::new(Some(BatchPtr(ptr))),
                },
            )
            .and_then(|batch| {
                let _lent = Lent(batch.get());
                let event = Py::new(py, LogEntry(event.clone()))?;
                self.apply.call1(py, (event, batch.clone_ref(py)))
            });
            result.map(drop).map_err(|e| {
                let reason = e.to_string();
                self.error = Some(e);
                reason
            })
        })
    }
}

/// A projection argument: a built-in projection's name or a Python projection object.
pub(crate) enum ProjectionArg {
    Builtin(String),
    Host(HostProjection),
}

impl<'a, 'py> FromPyObject<'a, 'py> for ProjectionArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(name) = ob.cast::<PyString>() {
            return Ok(ProjectionArg::Builtin(name.to_str()?.to_string()));
        }
        HostProjection::new(&ob).map(ProjectionArg::Host)
    }
}

/// Runs a projection, detached: a built-in one by name through `builtin` (`run_builtin` or
/// `rebuild_builtin`), a Python one through `run` (`run_projection` or
/// `rebuild_projection`). A Python projection's failure raises `ProjectionFailedError`
/// with the exception `apply` raised as its `__cause__`; an exception that is not an
/// `Exception` (`KeyboardInterrupt`, `SystemExit`) is raised as it is, after the core has
/// recorded it.
pub(crate) fn run_projection<B, F>(
    py: Python<'_>,
    projection: ProjectionArg,
    builtin: B,
    run: F,
) -> PyResult<ProjectionStatus>
where
    B: Send + FnOnce(&str) -> mnemo::Result<proj::ProjectionStatus>,
    F: Send + FnOnce(&mut dyn Projection) -> mnemo::Result<proj::ProjectionStatus>,
{
    match projection {
        ProjectionArg::Builtin(name) => blocking(py, || builtin(&name)).map(ProjectionStatus),
        ProjectionArg::Host(mut p) => match py.detach(|| run(&mut p)) {
            Ok(status) => Ok(ProjectionStatus(status)),
            Err(e) => {
                let failed = matches!(e, mnemo::Error::ProjectionFailed { .. });
                match p.error.take() {
                    Some(cause) if failed => {
                        if !cause.is_instance_of::<PyException>(py) {
                            return Err(cause);
                        }
                        let err = to_py(py, e);
                        err.set_cause(py, Some(cause));
                        Err(err)
                    }
                    _ => Err(to_py(py, e)),
                }
            }
        },
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
