//! Projections from Python: their status and failure, the read model (`ViewReader`), the
//! batch a Python `apply` writes into (`ViewBatch`), and running a [`HostProjection`].

use std::sync::{Mutex, MutexGuard};

use mnemo::events::projection::{self as proj, Projection};
use pyo3::exceptions::{PyException, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use super::{event_filter, type_name};
use crate::errors::{blocking, to_py};
use crate::types::{q, LogEntry};

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
