//! The change feed's notifier: the log's last committed sequence number, and the waking of
//! the readers waiting for it to grow (threads on a condvar, async readers on a watch
//! channel). The engine publishes every commit here once it may be read.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Wakes change-feed readers when the log grows.
pub(crate) struct Feed {
    /// Highest committed sequence number (0 = empty log).
    pub last_seq: AtomicU64,
    lock: Mutex<()>,
    cond: Condvar,
    /// Threads in [`Feed::wait`]: a commit wakes the condvar only when there are some (a
    /// wake is a system call even with nobody waiting).
    waiters: AtomicUsize,
    #[cfg(feature = "tokio")]
    pub watch: tokio::sync::watch::Sender<u64>,
}

/// Counts a thread in [`Feed::wait`] for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Feed {
    pub(crate) fn new(last: u64) -> Self {
        Feed {
            last_seq: AtomicU64::new(last),
            lock: Mutex::new(()),
            cond: Condvar::new(),
            waiters: AtomicUsize::new(0),
            #[cfg(feature = "tokio")]
            watch: tokio::sync::watch::Sender::new(last),
        }
    }

    pub(crate) fn publish(&self, last: u64) {
        let newest = self.last_seq.fetch_max(last, Ordering::SeqCst).max(last);
        // A waiter counts itself (under the lock) before it reads `last_seq`: either it sees
        // `newest`, or this sees it counted and wakes it once it waits (the lock orders it).
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.cond.notify_all();
        }
        // Only ever forward, whatever order concurrent commits publish in.
        #[cfg(feature = "tokio")]
        self.watch.send_if_modified(|seen| {
            let newer = newest > *seen;
            if newer {
                *seen = newest;
            }
            newer
        });
        #[cfg(not(feature = "tokio"))]
        let _ = newest;
    }

    /// Block until the log's last sequence exceeds `after`, `closed` is set, or the timeout
    /// passes. Returns the last sequence seen.
    pub(crate) fn wait(&self, after: u64, timeout: Duration, closed: &AtomicBool) -> u64 {
        let deadline = std::time::Instant::now() + timeout;
        let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiters);
        loop {
            let last = self.last_seq.load(Ordering::SeqCst);
            if last > after || closed.load(Ordering::SeqCst) {
                return last;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return last;
            }
            g = self
                .cond
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub(crate) fn wake_all(&self) {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.cond.notify_all();
        #[cfg(feature = "tokio")]
        self.watch.send_modify(|_| {});
    }
}
