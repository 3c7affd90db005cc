//! The change feed: [`Subscription`] (pull, blocking with a timeout, or async) and
//! [`LogWatch`] (push to a foreign [`LogListener`] from a background thread).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{ErrorInfo, MnemoError};
use crate::types::LogEntry;

/// How often a [`LogWatch`] thread with nothing to deliver checks whether it was stopped.
/// New entries are delivered as they commit, not on this period.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Reads the log in order from a position, waiting for new entries at the end.
///
/// `next` blocks: call it off the main thread, or use `nextAsync`. Calls on one
/// subscription are serialised.
#[derive(uniffi::Object)]
pub struct Subscription {
    store: mnemo::Mnemo,
    inner: Arc<Mutex<mnemo::Subscription>>,
}

/// Locks a subscription. A panic while holding the lock leaves the core subscription
/// consistent (it only advances after an entry is handed out), so a poisoned lock is
/// still usable.
fn lock(inner: &Mutex<mnemo::Subscription>) -> std::sync::MutexGuard<'_, mnemo::Subscription> {
    inner.lock().unwrap_or_else(|e| e.into_inner())
}

impl Subscription {
    pub(crate) fn new(store: mnemo::Mnemo, inner: mnemo::Subscription) -> Arc<Self> {
        Arc::new(Subscription {
            store,
            inner: Arc::new(Mutex::new(inner)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, mnemo::Subscription> {
        lock(&self.inner)
    }
}

#[uniffi::export]
impl Subscription {
    /// The next entry, waiting up to `timeout_ms` for one; none on timeout. `Closed` when
    /// the store is closed. Blocks the calling thread: never call it on the main thread.
    pub fn next(&self, timeout_ms: u64) -> Result<Option<LogEntry>, MnemoError> {
        Ok(self
            .lock()
            .next_timeout(Duration::from_millis(timeout_ms))?
            .map(Into::into))
    }

    /// The next entry, waiting as long as needed without holding a thread (Kotlin
    /// `suspend`, Swift `async`); `Closed` when the store closes. Reads run on a background
    /// pool. Cancelling it while an entry is being read may consume that entry: do not
    /// `checkpoint()` a named subscription after a cancelled `nextAsync`.
    pub async fn next_async(&self) -> Result<LogEntry, MnemoError> {
        loop {
            let inner = self.inner.clone();
            let (entry, position) = crate::asynchronous::offload(move || {
                let mut s = lock(&inner);
                Ok((s.next_timeout(Duration::ZERO)?, s.position()))
            })
            .await?;
            if let Some(entry) = entry {
                return Ok(entry.into());
            }
            // Nothing at or after `position` yet: wait for the log to grow past it.
            self.store
                .wait_for_async(position.saturating_sub(1))
                .await?;
        }
    }

    /// The sequence number this subscription will read from next.
    pub fn position(&self) -> u64 {
        self.lock().position()
    }

    /// Persist the position of a named subscription: a subscription opened later with the
    /// same name resumes here. Durable on return. `InvalidInput` for an unnamed one.
    pub fn checkpoint(&self) -> Result<(), MnemoError> {
        Ok(self.lock().checkpoint()?)
    }

    /// `checkpoint` without blocking the caller (the write is durable when it resumes).
    pub async fn checkpoint_async(self: Arc<Self>) -> Result<(), MnemoError> {
        crate::asynchronous::offload(move || self.checkpoint()).await
    }
}

/// Receives the entries of a [`LogWatch`], on the watch's own background thread.
/// Implementations must not throw (an exception ends the watch's thread without `onEnd`).
#[uniffi::export(callback_interface)]
pub trait LogListener: Send + Sync {
    /// One entry, in log order. Return false to stop the watch.
    fn on_entry(&self, entry: LogEntry) -> bool;
    /// Called once when the watch ends: `error` is none when it was stopped (by `stop()`
    /// or `onEntry` returning false), else why it ended (`closed` when the store closed).
    fn on_end(&self, error: Option<ErrorInfo>);
}

/// A running push subscription: delivers entries to a [`LogListener`] from a background
/// thread. Stopped by `stop()`, or when this object is freed (Kotlin `close()`, Swift
/// `deinit`).
#[derive(uniffi::Object)]
pub struct LogWatch {
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LogWatch {
    pub(crate) fn start(
        mut subscription: mnemo::Subscription,
        listener: Box<dyn LogListener>,
    ) -> Result<Arc<Self>, MnemoError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("mnemo-watch".into())
            .spawn(move || {
                let end = loop {
                    if flag.load(Ordering::SeqCst) {
                        break None;
                    }
                    match subscription.next_timeout(STOP_POLL) {
                        Ok(Some(entry)) => {
                            if !listener.on_entry(entry.into()) {
                                break None;
                            }
                        }
                        Ok(None) => {}
                        Err(e) => break Some(ErrorInfo::from(&e)),
                    }
                };
                listener.on_end(end);
            })
            .map_err(|e| MnemoError::Storage(format!("cannot start the watch thread: {e}")))?;
        Ok(Arc::new(LogWatch {
            stop,
            thread: Mutex::new(Some(thread)),
        }))
    }
}

#[uniffi::export]
impl LogWatch {
    /// Stop delivering and wait for the watch thread to finish (it calls `onEnd` first).
    /// Returns at once when called from the listener itself. Idempotent.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            if handle.thread().id() == std::thread::current().id() {
                return; // Joining itself would never return; the loop ends after this call.
            }
            let _ = handle.join();
        }
    }

    /// Whether the watch thread is still delivering.
    pub fn is_running(&self) -> bool {
        self.thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|h| !h.is_finished())
    }
}

impl Drop for LogWatch {
    fn drop(&mut self) {
        // Do not join here: the last reference may be dropped on the watch thread itself.
        self.stop.store(true, Ordering::SeqCst);
    }
}
