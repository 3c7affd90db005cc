//! `mnemo.Subscription`: the change feed as a Python iterator and async iterator.
//!
//! Blocking waits (here and in `Mnemo.wait_for`) are cut into slices of [`SLICE`] so that
//! Ctrl+C (`KeyboardInterrupt`) is seen while a thread waits for the next entry. Async iteration (`__anext__`) is the thin
//! Python helper `mnemo._aio.anext`, which waits on a worker thread via [`Subscription::wait`]
//! and takes entries on the event loop's thread with `next(0)`.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::errors::{blocking, to_py};
use crate::store::seconds;
use crate::types::LogEntry;

/// Longest time a blocking wait runs before checking for signals.
pub(crate) const SLICE: Duration = Duration::from_millis(200);

/// A change feed: iterate it (`for entry in sub`, blocking; ends when the store closes) or
/// `async for entry in sub`; `next(timeout)` waits at most `timeout` seconds.
#[pyclass(frozen, module = "mnemo")]
pub struct Subscription {
    store: mnemo::Mnemo,
    inner: Mutex<mnemo::Subscription>,
    name: Option<String>,
}

impl Subscription {
    pub(crate) fn new(
        store: mnemo::Mnemo,
        inner: mnemo::Subscription,
        name: Option<String>,
    ) -> Self {
        Subscription {
            store,
            inner: Mutex::new(inner),
            name,
        }
    }

    fn lock(&self) -> MutexGuard<'_, mnemo::Subscription> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next entry, waiting until `deadline` (`None`: as long as it takes) in slices,
    /// checking for signals between them. The outer error is a signal handler's exception.
    fn next_until(
        &self,
        py: Python<'_>,
        deadline: Option<Instant>,
    ) -> PyResult<mnemo::Result<Option<mnemo::LogEntry>>> {
        loop {
            let slice = deadline.map_or(SLICE, |d| {
                d.saturating_duration_since(Instant::now()).min(SLICE)
            });
            match py.detach(|| self.lock().next_timeout(slice)) {
                Ok(None) if deadline.is_none_or(|d| Instant::now() < d) => py.check_signals()?,
                other => return Ok(other),
            }
        }
    }
}

#[pymethods]
impl Subscription {
    /// The sequence number of the next entry this subscription will return.
    #[getter]
    fn position(&self, py: Python<'_>) -> u64 {
        py.detach(|| self.lock().position())
    }

    /// The name its checkpoint is persisted under, or `None` for an unnamed subscription.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Persist the position under the subscription's name: every entry before `position`
    /// is done, and a subscription opened later with this name resumes at `position`.
    /// Durable on return. `InvalidInputError` for an unnamed subscription.
    fn checkpoint(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || self.lock().checkpoint())
    }

    /// The next entry, waiting at most `timeout` seconds (`None`: as long as it takes);
    /// `None` on timeout. Raises `ClosedError` when the store is closed.
    #[pyo3(signature = (timeout = None))]
    fn next(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<LogEntry>> {
        let deadline = match timeout {
            // A timeout too long for the clock is no deadline.
            Some(t) => Instant::now().checked_add(seconds(t)?),
            None => None,
        };
        match self.next_until(py, deadline)? {
            Ok(entry) => Ok(entry.map(LogEntry)),
            Err(e) => Err(to_py(py, e)),
        }
    }

    /// Block until the log may hold an entry for this subscription, or `timeout` seconds
    /// pass, without taking it; returns whether the log grew past `position`. Raises
    /// `ClosedError` when the store is closed. Used by async iteration.
    fn wait(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        let timeout = seconds(timeout)?;
        blocking(py, || {
            let after = self.lock().position().saturating_sub(1);
            self.store.wait_for(after, timeout).map(|last| last > after)
        })
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next entry, waiting as long as it takes; iteration stops when the store closes.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<LogEntry>> {
        match self.next_until(py, None)? {
            Ok(entry) => Ok(entry.map(LogEntry)),
            Err(mnemo::Error::Closed) => Ok(None),
            Err(e) => Err(to_py(py, e)),
        }
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// An awaitable of the next entry (`StopAsyncIteration` when the store closes).
    fn __anext__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        static ANEXT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        ANEXT.import(slf.py(), "mnemo._aio", "anext")?.call1((slf,))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match &self.name {
            Some(name) => format!(
                "Subscription(name={}, position={})",
                crate::types::q(name),
                self.position(py)
            ),
            None => format!("Subscription(position={})", self.position(py)),
        }
    }
}
