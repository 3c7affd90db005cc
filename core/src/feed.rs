//! The change feed: reading the log from a sequence number and waiting for new entries.
//! A host uses it to sync devices or update caches in real time.

use std::collections::VecDeque;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::log::LogEntry;
use crate::Mnemo;

const PAGE: usize = 256;

/// Reads the log in order from a position, waiting for new entries at the end.
#[derive(Debug)]
pub struct Subscription {
    store: Mnemo,
    next: u64,
    buffer: VecDeque<LogEntry>,
}

impl Subscription {
    pub(crate) fn new(store: Mnemo, from: u64) -> Self {
        Subscription {
            store,
            next: from.max(1),
            buffer: VecDeque::new(),
        }
    }

    /// The sequence number of the next entry this subscription will return.
    pub fn position(&self) -> u64 {
        self.next
    }

    fn fill(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            self.buffer.extend(self.store.read_log(self.next, PAGE)?);
        }
        Ok(())
    }

    fn pop(&mut self) -> Option<LogEntry> {
        let e = self.buffer.pop_front()?;
        self.next = e.seq + 1;
        Some(e)
    }

    /// The next entry, waiting up to `timeout` for one; `Ok(None)` on timeout.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<LogEntry>> {
        self.fill()?;
        if let Some(e) = self.pop() {
            return Ok(Some(e));
        }
        self.store.wait_for(self.next - 1, timeout)?;
        self.fill()?;
        Ok(self.pop())
    }

    /// The next entry, waiting as long as needed ([`Error::Closed`] when the store closes).
    #[cfg(feature = "tokio")]
    pub async fn next_async(&mut self) -> Result<LogEntry> {
        loop {
            self.fill()?;
            if let Some(e) = self.pop() {
                return Ok(e);
            }
            self.store.wait_for_async(self.next - 1).await?;
        }
    }
}

impl Iterator for Subscription {
    type Item = Result<LogEntry>;

    /// Blocks until the next entry exists; ends when the store is closed.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.next_timeout(Duration::from_secs(3600)) {
                Ok(Some(e)) => return Some(Ok(e)),
                Ok(None) => continue,
                Err(Error::Closed) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
