//! The engine's own background threads (the search indexer, the recompression, dictionary
//! training): named so they show in profilers and `top -H`, and run at a lower CPU priority
//! than the host's threads, so catching up behind a burst of writes never takes a core from
//! the writes themselves or from the host. [`Task`] holds the flags the work that follows
//! writes (the indexer, the recompression) shares: kicks, its one running thread, holds.
//!
//! The priority is lowered with `setpriority(2)` on Linux and Android, where it applies to
//! the calling thread only; elsewhere the thread keeps the default priority.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use crate::engine::Engine;

/// The flags of one kind of work that follows the writes on its own thread: whether that
/// thread runs, whether work came since it last looked (a kick), and how many holds keep it
/// waiting (a bulk import, an explicit compaction).
#[derive(Debug, Default)]
pub(crate) struct Task {
    running: AtomicBool,
    again: AtomicBool,
    held: AtomicUsize,
}

impl Task {
    /// Note new work. True when the caller should start the thread now: nothing holds it and
    /// it was not running (it is marked running).
    pub fn kick(&self) -> bool {
        self.again.store(true, SeqCst);
        !self.is_held() && !self.running.swap(true, SeqCst)
    }

    /// Whether a hold keeps it waiting now.
    pub fn is_held(&self) -> bool {
        self.held.load(SeqCst) > 0
    }

    /// Whether work came since [`Task::take`].
    pub fn pending(&self) -> bool {
        self.again.load(SeqCst)
    }

    /// The thread starts on the work noted so far.
    pub fn take(&self) {
        self.again.store(false, SeqCst);
    }

    /// Note work left over (the thread stopped before finishing it).
    pub fn leave(&self) {
        self.again.store(true, SeqCst);
    }

    /// The thread stops.
    pub fn stop(&self) {
        self.running.store(false, SeqCst);
    }

    /// After [`Task::stop`]: true when the thread should go round again because a kick came
    /// meanwhile and no other thread started (it is marked running).
    pub fn again(&self) -> bool {
        self.pending() && !self.running.swap(true, SeqCst)
    }

    /// Keep the work waiting until the returned guard drops; when the last hold ends with
    /// work pending, `resume` is called.
    pub fn hold<'a>(&'a self, engine: &'a Engine, resume: fn(&Engine)) -> Hold<'a> {
        self.held.fetch_add(1, SeqCst);
        Hold {
            task: self,
            engine,
            resume,
        }
    }
}

/// Keeps a [`Task`] waiting while alive (see [`Task::hold`]).
pub(crate) struct Hold<'a> {
    task: &'a Task,
    engine: &'a Engine,
    resume: fn(&Engine),
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        if self.task.held.fetch_sub(1, SeqCst) == 1 && self.task.pending() {
            (self.resume)(self.engine);
        }
    }
}

/// How much lower than normal a background thread runs (a nice value; 0 is normal, 19 the
/// lowest). Ten gives a normal thread about nine tenths of a shared core.
const BACKGROUND_NICE: i32 = 10;

/// Start `work` on a named background thread at the lower priority. When no thread can be
/// started (the process is out of threads), `work` runs on the caller's thread instead, so
/// nothing that waits for it (a flush waiting for a training, say) waits forever; such
/// work can tell with [`on_own_thread`].
pub(crate) fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(work)));
    let theirs = slot.clone();
    let started = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            ON_OWN_THREAD.with(|own| own.set(true));
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

thread_local! {
    static ON_OWN_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is one [`spawn`] started (false when its work runs on the
/// caller's thread instead), so work that may wait for others knows whether it would block
/// a caller.
pub(crate) fn on_own_thread() -> bool {
    ON_OWN_THREAD.with(|own| own.get())
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
