//! Running blocking core calls for the `*Async` methods (Kotlin `suspend`, Swift `async`).
//!
//! uniffi polls an exported `async fn` from the foreign side's executor (a Kotlin coroutine,
//! a Swift task). The core's calls block on disk I/O, so each async method hands its call
//! to the blocking pool of one process-wide tokio runtime (started on first use) and awaits
//! the result through a oneshot channel, which needs no runtime on the polling side; the
//! caller's thread (even the main thread) never waits on disk. Waits on the change feed
//! (`waitForAsync`, `Subscription.nextAsync`) hold no thread while idle.
//!
//! Cancelling the foreign task drops the future; a call already started runs to its end
//! and its result is discarded.

use std::sync::OnceLock;

use crate::error::MnemoError;

/// The runtime whose blocking pool runs the async methods' calls, and whose timer serves
/// `waitForAsync`'s timeout.
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime, MnemoError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .max_blocking_threads(64)
                .thread_name("mnemo-ffi")
                .enable_time()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| MnemoError::Storage(format!("cannot start the async runtime: {e}")))
}

/// Runs `f` on the runtime's blocking pool and awaits its result. A panic in `f` is
/// reported as a `Storage` error naming it (the blocking methods report a panic as
/// uniffi's internal error).
pub(crate) async fn offload<T, F>(f: F) -> Result<T, MnemoError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, MnemoError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    runtime()?.spawn_blocking(move || {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(MnemoError::Storage(format!(
                "internal error in mnemo: {what}"
            )))
        });
        // The receiver is gone when the foreign task was cancelled: nothing to report to.
        let _ = tx.send(out);
    });
    rx.await
        .unwrap_or_else(|_| Err(MnemoError::Storage("the async call was dropped".into())))
}

/// Runs `fut` on the runtime (for futures that need its timer) and awaits its output.
pub(crate) async fn on_runtime<T, F>(fut: F) -> Result<T, MnemoError>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T, MnemoError>> + Send + 'static,
{
    match runtime()?.spawn(fut).await {
        Ok(out) => out,
        Err(e) => Err(MnemoError::Storage(format!("internal error in mnemo: {e}"))),
    }
}
