//! Host code the core calls: projections and upcasters written in Kotlin or Swift.
//!
//! Both are uniffi callback interfaces ([`HostProjection`], [`Upcaster`]) called
//! synchronously on the thread doing the work (the caller's thread for blocking calls, a
//! pool thread for `*Async` calls). The core's runner does everything else — pages,
//! filtering, the atomic commit of read-model writes with the checkpoint, failure
//! recording — exactly as for a Rust [`Projection`]: a callback that throws stops the
//! projection at that event with `ProjectionFailed` (its writes discarded, the events
//! before it committed), and the next run retries that event.

use std::sync::{Arc, Mutex, MutexGuard};

use mnemo::events::projection::{self as proj, Projection};

use crate::error::MnemoError;
use crate::types::{EventFilter, LogEntry};

/// How host code reports a failure from a callback. Throwing any other exception works
/// too: its text becomes the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum CallbackError {
    /// The callback failed; `reason` is recorded (a projection's status) or reported (an
    /// `Upcast` error).
    #[error("{reason}")]
    Failed {
        /// Why.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CallbackError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CallbackError::Failed { reason: e.reason }
    }
}

/// A projection written in Kotlin or Swift: turns each event into read-model writes.
#[uniffi::export(callback_interface)]
pub trait HostProjection: Send + Sync {
    /// Apply one event (upcast, passing the projection's filter) through `view`. Throwing
    /// stops the projection at this event: its writes are discarded and the event is
    /// retried by the next run.
    fn apply(&self, event: LogEntry, view: Arc<ViewBatch>) -> Result<(), CallbackError>;
}

/// An upcaster written in Kotlin or Swift: turns a payload of one schema into the next.
#[uniffi::export(callback_interface)]
pub trait Upcaster: Send + Sync {
    /// The payload in the next schema. Throwing makes the read fail with `Upcast`.
    fn upcast(&self, payload: Vec<u8>) -> Result<Vec<u8>, CallbackError>;
}

/// The core's batch for the duration of one `apply` call.
struct BatchPtr(*mut proj::ViewBatch<'static>);

// SAFETY: the pointer is only dereferenced under `ViewBatch::batch`'s mutex while the
// `apply` call that lent the batch is running (`Lent` clears it before that call returns),
// and `proj::ViewBatch` itself may move between threads.
unsafe impl Send for BatchPtr {}

/// A projection's pending read-model writes, passed to `HostProjection.apply`: usable only
/// during that call (afterwards every method fails with `InvalidInput`).
#[derive(uniffi::Object)]
pub struct ViewBatch {
    batch: Mutex<Option<BatchPtr>>,
}

impl ViewBatch {
    fn lock(&self) -> MutexGuard<'_, Option<BatchPtr>> {
        self.batch.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with<T>(&self, f: impl FnOnce(&mut proj::ViewBatch<'_>) -> T) -> Result<T, MnemoError> {
        let mut guard = self.lock();
        let ptr = guard.as_mut().ok_or_else(|| {
            MnemoError::InvalidInput(
                "a ViewBatch is only usable during the apply call it was passed to".into(),
            )
        })?;
        // SAFETY: set only while the core's `&mut ViewBatch` is lent to the running
        // `apply` (which waits for the callback), and the mutex gives one thread access.
        Ok(f(unsafe { &mut *ptr.0 }))
    }
}

#[uniffi::export]
impl ViewBatch {
    /// The current value of `key`, including writes of this run not committed yet.
    pub fn get(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, MnemoError> {
        Ok(self.with(|b| b.get(&key))??)
    }

    /// Set `key` to `value` in the read model.
    pub fn put(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), MnemoError> {
        self.with(|b| b.put(&key, &value))
    }

    /// Remove `key` from the read model.
    pub fn delete(&self, key: Vec<u8>) -> Result<(), MnemoError> {
        self.with(|b| b.delete(&key))
    }
}

/// Clears a `ViewBatch`'s pointer when the `apply` call ends, however it ends.
struct Lent<'a>(&'a ViewBatch);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        *self.0.lock() = None;
    }
}

/// A [`HostProjection`] as the core's [`Projection`].
pub(crate) struct Adapter<'a> {
    pub name: String,
    pub filter: mnemo::EventFilter,
    pub callback: &'a dyn HostProjection,
}

impl<'a> Adapter<'a> {
    /// Host projection `callback` under `name`, over the events passing `filter` (none = all).
    pub fn new(
        name: String,
        filter: Option<EventFilter>,
        callback: &'a dyn HostProjection,
    ) -> Self {
        Adapter {
            name,
            filter: filter.unwrap_or_default().into(),
            callback,
        }
    }
}

impl Projection for Adapter<'_> {
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
        let batch = Arc::new(ViewBatch {
            batch: Mutex::new(Some(BatchPtr(ptr))),
        });
        let _lent = Lent(&batch);
        self.callback
            .apply(event.clone().into(), batch.clone())
            .map_err(|e| e.to_string())
    }
}

/// A core upcaster calling `upcaster`; its failure text becomes the `Upcast` reason.
pub(crate) fn upcaster(
    upcaster: Box<dyn Upcaster>,
) -> impl Fn(&[u8]) -> std::result::Result<Vec<u8>, String> + Send + Sync + 'static {
    move |payload: &[u8]| upcaster.upcast(payload.to_vec()).map_err(|e| e.to_string())
}
