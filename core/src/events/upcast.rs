//! Event schema evolution: upcasters turn an event type's payload from one schema version
//! to the next when it is read, so old events reach projections and readers in the
//! current shape. Registered per handle (they are code, not data); stored events are never
//! rewritten.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::log::LogEntry;

/// Turns a payload of schema `n` into schema `n + 1`.
pub type Upcaster = Arc<dyn Fn(&[u8]) -> std::result::Result<Vec<u8>, String> + Send + Sync>;

/// Upcasters by (event type, schema they read).
#[derive(Default)]
pub(crate) struct Upcasters(RwLock<HashMap<(String, u32), Upcaster>>);

impl Upcasters {
    pub fn register(&self, kind: &str, from_schema: u32, f: Upcaster) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((kind.to_string(), from_schema), f);
    }

    fn get(&self, kind: &str, schema: u32) -> Option<Upcaster> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        if map.is_empty() {
            return None;
        }
        map.get(&(kind.to_string(), schema)).cloned()
    }
}

impl Engine {
    /// Apply registered upcasters to an entry until none matches its schema.
    pub(crate) fn upcast(&self, mut e: LogEntry) -> Result<LogEntry> {
        // Bounded: a chain cannot be longer than the number of registered upcasters.
        for _ in 0..1024 {
            let Some(f) = self.upcasters.get(&e.kind, e.schema) else {
                return Ok(e);
            };
            e.payload = f(&e.payload).map_err(|reason| Error::Upcast {
                kind: e.kind.clone(),
                schema: e.schema,
                reason,
            })?;
            e.schema += 1;
        }
        Err(Error::Upcast {
            kind: e.kind,
            schema: e.schema,
            reason: "upcaster chain longer than 1024 steps".into(),
        })
    }
}
