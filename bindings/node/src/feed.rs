//! The change feed: waiting for log entries without blocking the JS thread or libuv's pool.
//!
//! Waiting can last forever, so it must not hold one of libuv's four pool threads (a few
//! idle subscribers would starve every other async call). Waits run instead as tasks on
//! one process-wide background thread (a one-worker tokio runtime, started on first use)
//! through the core's async feed API (`Subscription::next_async`, `Mnemo::wait_for_async`);
//! each settles its JS promise through a napi deferred. Cancelling a subscription
//! (`cancel`, called by the JS iterator's `return()`) settles a pending `next()` at once,
//! so a `break` out of `for await` never leaves the process waiting.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use napi::bindgen_prelude::Object;
use napi::Env;
use napi_derive::napi;
use tokio::sync::{watch, Mutex};

use crate::error::{core_error, js_error, PANIC_CODE};
use crate::types::{num, LogEntry};

/// The background runtime that runs every wait of this process (all worker threads share
/// it; each promise is settled on its own thread through its deferred).
fn runtime() -> napi::Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            // The runtime thread outlives any one JS environment: keep this library loaded
            // even if the worker that loaded it first exits.
            napi::bindgen_prelude::retain_current_module_for_unload_safety();
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("mnemo-feed")
                .enable_time()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| napi::Error::from_reason(format!("cannot start the feed thread: {e}")))
}

/// Settles a deferred on the JS thread with the value or error it computes there.
type Settle<T> = Box<dyn FnOnce(Env) -> napi::Result<T> + Send>;

/// Runs `fut` on the background runtime; the returned promise settles with what `settle`
/// makes of its output on the JS thread.
pub(crate) fn spawn_wait<'env, T, O>(
    env: &'env Env,
    fut: impl std::future::Future<Output = O> + Send + 'static,
    settle: impl FnOnce(Env, O) -> napi::Result<T> + Send + 'static,
) -> napi::Result<Object<'env>>
where
    T: napi::bindgen_prelude::ToNapiValue + 'static,
    O: Send + 'static,
{
    let rt = runtime()?;
    let (deferred, promise) = env.create_deferred::<T, Settle<T>>()?;
    rt.spawn(async move {
        // A panic inside the core must not leave the promise pending forever.
        let out = tokio::task::spawn(fut).await;
        deferred.resolve(Box::new(move |env| match out {
            Ok(o) => settle(env, o),
            Err(e) => Err(js_error(
                &env,
                PANIC_CODE,
                format!("internal error in mnemo: {e}"),
            )),
        }));
    });
    Ok(promise)
}

/// Resolves with the last sequence number once the log has an entry after `after`, or
/// when `timeout` passes (then with the current last sequence number).
/// The wait also ends (with `Error::Closed`) when `dropped` turns true: the handle that
/// started it was finalized, so nobody can observe the result.
pub(crate) fn wait_for<'env>(
    env: &'env Env,
    store: mnemo::Mnemo,
    after: u64,
    timeout: Option<Duration>,
    mut dropped: watch::Receiver<bool>,
) -> napi::Result<Object<'env>> {
    let fut = async move {
        let wait = async {
            let wait = store.wait_for_async(after);
            match timeout {
                None => wait.await,
                Some(t) => match tokio::time::timeout(t, wait).await {
                    Ok(r) => r,
                    Err(_elapsed) => Ok(store.last_seq()),
                },
            }
        };
        tokio::select! {
            r = wait => r,
            _ = dropped.wait_for(|d| *d) => Err(mnemo::Error::Closed),
        }
    };
    spawn_wait(env, fut, |env, r: mnemo::Result<u64>| {
        r.map(num).map_err(|e| core_error(&env, e))
    })
}

/// A change feed reading the log in order from a position, waiting at the end. The JS
/// class `Subscription` (an async iterator) wraps it.
#[napi]
pub struct NativeSubscription {
    inner: Arc<Mutex<Opened>>,
    position: Arc<AtomicU64>,
    /// `next()` calls not settled yet.
    pending: Arc<AtomicUsize>,
    cancel: watch::Sender<bool>,
}

/// A subscription, or why opening it failed (reported by the first `next()`).
enum Opened {
    Open(mnemo::Subscription),
    Failed(Option<mnemo::Error>),
}

impl NativeSubscription {
    pub(crate) fn new(sub: mnemo::Subscription) -> Self {
        NativeSubscription {
            position: Arc::new(AtomicU64::new(sub.position())),
            inner: Arc::new(Mutex::new(Opened::Open(sub))),
            pending: Arc::default(),
            cancel: watch::Sender::new(false),
        }
    }

    /// Opens a subscription with options. A named one reads its checkpoint from disk: that
    /// runs on the feed runtime's blocking pool, holding the lock so that `next()` and
    /// `checkpoint()` wait for it.
    pub(crate) fn open(
        store: mnemo::Mnemo,
        options: mnemo::SubscribeOptions,
    ) -> napi::Result<Self> {
        let rt = runtime()?;
        let start = options.from.unwrap_or(1).max(1);
        let inner = Arc::new(Mutex::new(Opened::Failed(None)));
        let position = Arc::new(AtomicU64::new(start));
        let mut guard = inner
            .clone()
            .try_lock_owned()
            .map_err(|e| napi::Error::from_reason(e.to_string()))?;
        let pos = position.clone();
        rt.spawn_blocking(move || {
            *guard = match crate::error::guard(|| store.subscribe_with(options)) {
                Ok(sub) => {
                    pos.store(sub.position(), Ordering::SeqCst);
                    Opened::Open(sub)
                }
                Err(crate::error::Failure::Core(e)) => Opened::Failed(Some(e)),
                Err(crate::error::Failure::Panic(msg)) => {
                    Opened::Failed(Some(mnemo::Error::Storage(format!("panic: {msg}"))))
                }
            };
        });
        Ok(NativeSubscription {
            position,
            inner,
            pending: Arc::default(),
            cancel: watch::Sender::new(false),
        })
    }
}

impl Drop for NativeSubscription {
    /// Finalized (garbage collected, or its worker thread torn down): end a pending wait so
    /// it releases its handle on the store.
    fn drop(&mut self) {
        self.cancel.send_replace(true);
    }
}

#[napi]
impl NativeSubscription {
    /// The next entry, waiting as long as needed; `null` once the store is closed or the
    /// subscription cancelled. Concurrent calls are served in order.
    #[napi(ts_return_type = "Promise<LogEntry | null>")]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let inner = self.inner.clone();
        let position = self.position.clone();
        let mut cancelled = self.cancel.subscribe();
        let pending = self.pending.clone();
        pending.fetch_add(1, Ordering::SeqCst);
        let fut = async move {
            let r = async {
                if *cancelled.borrow_and_update() {
                    return None;
                }
                let next = async {
                    let mut opened = inner.lock().await;
                    match &mut *opened {
                        Opened::Open(sub) => {
                            let r = sub.next_async().await;
                            position.store(mnemo::Subscription::position(sub), Ordering::SeqCst);
                            r
                        }
                        Opened::Failed(e) => Err(e.take().unwrap_or(mnemo::Error::Closed)),
                    }
                };
                tokio::select! {
                    r = next => Some(r),
                    _ = cancelled.wait_for(|c| *c) => None,
                }
            }
            .await;
            pending.fetch_sub(1, Ordering::SeqCst);
            r
        };
        spawn_wait(
            env,
            fut,
            |env, r: Option<mnemo::Result<mnemo::LogEntry>>| match r {
                None | Some(Err(mnemo::Error::Closed)) => Ok(None),
                Some(Ok(e)) => Ok(Some(LogEntry::from(e))),
                Some(Err(e)) => Err(core_error(&env, e)),
            },
        )
    }

    /// Persists the position of a named subscription: every entry returned so far is done,
    /// and a subscription opened later with the same name resumes after it. Rejects with
    /// `invalid_input` for an unnamed subscription or while a `next()` is pending (its
    /// entry has not been handled yet).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn checkpoint<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let inner = self.inner.clone();
        let busy = self.pending.load(Ordering::SeqCst) > 0;
        let fut = async move {
            if busy {
                return Err(mnemo::Error::InvalidInput(
                    "cannot checkpoint while a next() call is pending".into(),
                ));
            }
            // Waits only for a named subscription still reading its checkpoint.
            let opened = inner.lock_owned().await;
            tokio::task::spawn_blocking(move || match &*opened {
                Opened::Open(sub) => sub.checkpoint(),
                Opened::Failed(_) => Err(mnemo::Error::Closed),
            })
            .await
            .unwrap_or_else(|e| Err(mnemo::Error::Storage(format!("checkpoint: {e}"))))
        };
        spawn_wait(env, fut, |env, r: mnemo::Result<()>| {
            r.map_err(|e| core_error(&env, e))
        })
    }

    /// Ends the subscription: a pending `next()` resolves `null` now, later ones at once.
    #[napi]
    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }

    /// The sequence number of the next entry this subscription will return.
    #[napi(getter)]
    pub fn position(&self) -> i64 {
        num(self.position.load(Ordering::SeqCst))
    }
}
