//! Subscriptions: the change feed as a host consumes it — catch up from a position, then
//! follow live entries as they commit, optionally filtered, optionally named so that its
//! position (checkpoint) is persisted and a restarted subscriber resumes where it stopped.
//!
//! Back-pressure is built in: a subscription is pulled by its consumer and buffers at most
//! one page of entries, so a slow consumer never makes the store queue unbounded data.

use std::collections::VecDeque;
use std::time::Duration;

use crate::engine::CF_META;
use crate::error::{Error, Result};
use crate::events::EventFilter;
use crate::log::LogEntry;
use crate::Mnemo;

const PAGE: usize = 256;

fn checkpoint_key(name: &str) -> Vec<u8> {
    let mut k = b"sub/".to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

/// How to start a subscription.
#[derive(Debug, Clone, Default)]
pub struct SubscribeOptions {
    /// First sequence number to deliver (default 1, the beginning). Ignored when `name` has
    /// a persisted checkpoint: the subscription resumes after the checkpoint instead.
    pub from: Option<u64>,
    /// Only entries passing this filter are delivered.
    pub filter: EventFilter,
    /// Persist the position under this name (see [`Subscription::checkpoint`]).
    pub name: Option<String>,
}

/// Reads the log in order from a position, waiting for new entries at the end.
#[derive(Debug)]
pub struct Subscription {
    store: Mnemo,
    next: u64,
    filter: EventFilter,
    name: Option<String>,
    buffer: VecDeque<LogEntry>,
}

impl Subscription {
    pub(crate) fn open(store: Mnemo, options: SubscribeOptions) -> Result<Self> {
        let resume = match &options.name {
            Some(name) => {
                if name.is_empty() || name.len() > 256 {
                    return Err(Error::InvalidInput(
                        "subscription name must be 1-256 bytes".into(),
                    ));
                }
                store.subscription_checkpoint(name)?.map(|seq| seq + 1)
            }
            None => None,
        };
        Ok(Subscription {
            next: resume.or(options.from).unwrap_or(1).max(1),
            store,
            filter: options.filter,
            name: options.name,
            buffer: VecDeque::new(),
        })
    }

    /// The sequence number this subscription will read from next.
    pub fn position(&self) -> u64 {
        self.next
    }

    fn fill(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            let (entries, next) =
                self.store
                    .engine()
                    .read_filtered(self.next, PAGE, &self.filter)?;
            self.buffer.extend(entries);
            // Skip past what was scanned, even when the filter kept nothing.
            if self.buffer.is_empty() {
                self.next = self.next.max(next);
            }
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
        let deadline = std::time::Instant::now() + timeout;
        loop {
            self.fill()?;
            if let Some(e) = self.pop() {
                return Ok(Some(e));
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            self.store.wait_for(self.next - 1, deadline - now)?;
        }
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

    /// Persist the position: everything before [`Subscription::position`] is done, and a
    /// subscription opened later with the same name resumes here. Durable on return.
    pub fn checkpoint(&self) -> Result<()> {
        let name = self.name.as_deref().ok_or_else(|| {
            Error::InvalidInput("only a named subscription has a checkpoint".into())
        })?;
        let engine = self.store.engine();
        let g = engine.db()?;
        g.db().put_cf_opt(
            g.cf(CF_META),
            checkpoint_key(name),
            (self.next - 1).to_be_bytes(),
            &engine.write_options(),
        )?;
        Ok(())
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

impl Mnemo {
    /// The persisted checkpoint (last sequence number done) of a named subscription.
    pub fn subscription_checkpoint(&self, name: &str) -> Result<Option<u64>> {
        let engine = self.engine();
        let g = engine.db()?;
        let value = g.db().get_pinned_cf(g.cf(CF_META), checkpoint_key(name))?;
        value
            .map(|v| {
                let b: [u8; 8] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| Error::corrupted("checkpoint", "not 8 bytes"))?;
                Ok(u64::from_be_bytes(b))
            })
            .transpose()
    }
}
