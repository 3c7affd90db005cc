//! Host code written in JavaScript: projections and upcasters.
//!
//! Projections are pulled: `index.js` takes a page of events with
//! `NativeMnemo.projectionPage` (the core's [`ProjectionPage`]), calls the JS `apply` for
//! each event on the JS thread (it may be async), writes through the page, and ends the
//! page with `commit()` or `fail(reason)`. The core does the rest (filtering, upcasting,
//! the atomic commit of view writes with the checkpoint, failure recording), so a JS
//! projection behaves exactly like a Rust one, and no libuv thread ever waits for JS.
//!
//! Upcasters run inside the core's reads, on whichever thread reads (libuv's pool, the
//! feed thread). The core calls them synchronously, so the reading thread queues a call to
//! the JS thread (a napi threadsafe function) and waits for its result; the JS thread never
//! waits for the reader (every disk call is asynchronous), except in `close()`, which sets
//! the handle's closed flag first: a reader waiting for an upcaster then gives up at once
//! (an `upcast` error), so `close()` cannot deadlock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mnemo::events::projection::ProjectionPage;
use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Function, Uint8Array};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Env;
use napi_derive::napi;

use crate::error::core_error;
use crate::task::Call;
use crate::types::LogEntry;

/// How often a reader waiting for a JS upcaster checks whether the store was closed.
const CLOSE_POLL: Duration = Duration::from_millis(20);

type Page = Arc<Mutex<Option<ProjectionPage>>>;

fn lock(page: &Page) -> MutexGuard<'_, Option<ProjectionPage>> {
    page.lock().unwrap_or_else(|e| e.into_inner())
}

/// The error for a page used after `commit()` or `fail()`.
fn ended() -> mnemo::Error {
    mnemo::Error::InvalidInput("this projection page was already committed or failed".into())
}

/// One page of a projection applied by JavaScript (the native half of the projection
/// runner in `index.js`).
#[napi]
pub struct NativeProjectionPage {
    page: Page,
}

impl NativeProjectionPage {
    pub(crate) fn new(page: ProjectionPage) -> Self {
        NativeProjectionPage {
            page: Arc::new(Mutex::new(Some(page))),
        }
    }

    fn with<T>(&self, env: &Env, f: impl FnOnce(&mut ProjectionPage) -> T) -> napi::Result<T> {
        let mut guard = lock(&self.page);
        let page = guard.as_mut().ok_or_else(|| core_error(env, ended()))?;
        Ok(f(page))
    }
}

#[napi]
impl NativeProjectionPage {
    /// The next event to apply (upcast, passing the projection's filter), or `null` at
    /// the end of the page. Taking it confirms the previous one as applied. In memory.
    #[napi]
    pub fn next(&self, env: &Env) -> napi::Result<Option<LogEntry>> {
        self.with(env, |p| p.next_event().map(LogEntry::from))
    }

    /// Sets `key` to `value` in the read model (pending until the page commits).
    #[napi]
    pub fn put(&self, env: &Env, key: Uint8Array, value: Uint8Array) -> napi::Result<()> {
        self.with(env, |p| p.put(&key, &value))
    }

    /// Removes `key` from the read model (pending until the page commits).
    #[napi]
    pub fn delete(&self, env: &Env, key: Uint8Array) -> napi::Result<()> {
        self.with(env, |p| p.delete(&key))
    }

    /// The value of `key` in the generation this page writes, including pending writes.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn get(&self, key: Uint8Array) -> AsyncTask<Call<Option<Buffer>>> {
        let key = key.to_vec();
        let page = self.page.clone();
        Call::new(move || {
            let guard = lock(&page);
            let page = guard.as_ref().ok_or_else(ended)?;
            Ok(page.get(&key)?.map(Buffer::from))
        })
    }

    /// Commits the writes and checkpoint of every event taken; resolves whether the
    /// projection caught up with the log (otherwise the runner takes another page).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn commit(&self) -> AsyncTask<Call<bool>> {
        let page = self.page.clone();
        Call::new(move || {
            let page = lock(&page).take().ok_or_else(ended)?;
            page.commit()
        })
    }

    /// The event taken last failed with `reason`: commits the events before it, records
    /// the failure, and rejects with `projection_failed`.
    #[napi(ts_return_type = "Promise<never>")]
    pub fn fail(&self, reason: String) -> AsyncTask<Call<()>> {
        let page = self.page.clone();
        Call::new(move || {
            let page = lock(&page).take().ok_or_else(ended)?;
            Err(page.fail(reason))
        })
    }
}

/// A core upcaster calling the JS function `f` (from `index.js`: it returns the new payload
/// as a Buffer, or a string with the reason it failed). `closed` is the handle's closed flag.
pub(crate) fn upcaster(
    f: Function<'_, Buffer, Either<Buffer, String>>,
    closed: Arc<AtomicBool>,
) -> napi::Result<impl Fn(&[u8]) -> Result<Vec<u8>, String> + Send + Sync + 'static> {
    // Weak: a registered upcaster alone does not keep Node running.
    let tsfn = f
        .build_threadsafe_function::<Buffer>()
        .weak::<true>()
        .callee_handled::<false>()
        .build()?;
    let js_thread = std::thread::current().id();
    Ok(move |payload: &[u8]| {
        if std::thread::current().id() == js_thread {
            // Waiting here for a call queued to this very thread would never return.
            return Err("a JavaScript upcaster cannot run on the JavaScript thread".into());
        }
        let (tx, rx) = sync_channel::<Result<Vec<u8>, String>>(1);
        let status = tsfn.call_with_return_value(
            Buffer::from(payload.to_vec()),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |ret, _env| {
                let out = match ret {
                    Ok(Either::A(bytes)) => Ok(bytes.to_vec()),
                    Ok(Either::B(reason)) => Err(reason),
                    Err(e) => Err(e.reason.clone()),
                };
                let _ = tx.send(out);
                Ok(())
            },
        );
        if status != napi::Status::Ok {
            return Err(format!(
                "the upcaster's JavaScript thread cannot be called ({status})"
            ));
        }
        loop {
            match rx.recv_timeout(CLOSE_POLL) {
                Ok(out) => return out,
                Err(RecvTimeoutError::Timeout) if closed.load(Ordering::SeqCst) => {
                    return Err("the store was closed while waiting for the upcaster".into());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err("the upcaster's JavaScript thread is gone".into());
                }
            }
        }
    })
}
