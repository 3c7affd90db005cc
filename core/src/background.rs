//! The engine's own background threads (the search indexer, dictionary training): named
//! so they show in profilers and `top -H`, and run at a lower CPU priority than the host's
//! threads, so catching up behind a burst of writes never takes a core from the writes
//! themselves or from the host.
//!
//! The priority is lowered with `setpriority(2)` on Linux and Android, where it applies to
//! the calling thread only; elsewhere the thread keeps the default priority.

/// How much lower than normal a background thread runs (a nice value; 0 is normal, 19 the
/// lowest). Ten gives a normal thread about nine tenths of a shared core.
const BACKGROUND_NICE: i32 = 10;

/// Start `work` on a named background thread at the lower priority. When no thread can be
/// started (the process is out of threads), `work` runs on the caller's thread instead, so
/// nothing that waits for it (a flush waiting for a training, say) waits forever.
pub(crate) fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(work)));
    let theirs = slot.clone();
    let started = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            lower_priority();
            let work = theirs.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(work) = work {
                work();
            }
        });
    if started.is_err() {
        let work = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(work) = work {
            work();
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn lower_priority() {
    // SAFETY: plain system call on the calling thread (who = 0), no pointers. Failure
    // (not expected when lowering) leaves the priority as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, BACKGROUND_NICE);
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn lower_priority() {
    let _ = BACKGROUND_NICE;
}
