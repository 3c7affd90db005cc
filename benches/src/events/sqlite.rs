//! The event store's peer on SQLite: [`SqliteEventStore`], one `events` table in WAL mode,
//! appends that check the stream's version in their transaction, and a projection kept in
//! SQLite the way a user would rebuild one.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use mnemo::{EventData, Expected};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::Result;

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

const EVENTS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    metadata BLOB NOT NULL,
    ts INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events(stream, version);
-- The counterpart of Mnemo's projection state and `event-counts` read model: one row per
-- projection (the generation readers see, its checkpoint, and a generation being rebuilt),
-- counts kept per generation so a rebuild does not disturb readers (blue-green).
CREATE TABLE IF NOT EXISTS projections(
    name TEXT PRIMARY KEY,
    active INTEGER NOT NULL,
    checkpoint INTEGER NOT NULL,
    building INTEGER,
    building_checkpoint INTEGER
);
CREATE TABLE IF NOT EXISTS event_counts(
    generation INTEGER NOT NULL,
    kind TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY(generation, kind)
) WITHOUT ROWID;
";

/// Events applied per committed transaction by [`SqliteEventStore::rebuild_event_counts`]
/// (Mnemo's projection runner commits a rebuild in pages of 4,096 events too).
pub const PROJECTION_PAGE: usize = 4096;

/// An event read back from [`SqliteEventStore`]: every column, owned (the counterpart of
/// Mnemo's `LogEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Global sequence number (`seq`, the rowid).
    pub seq: u64,
    /// Stream name.
    pub stream: String,
    /// The stream's version after this event, from 1.
    pub version: u64,
    /// Event type.
    pub kind: String,
    /// Payload bytes.
    pub payload: Vec<u8>,
    /// Metadata bytes.
    pub metadata: Vec<u8>,
    /// Commit time, milliseconds since the Unix epoch.
    pub ts: i64,
}

fn stored_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: r.get::<_, i64>(0)? as u64,
        stream: r.get(1)?,
        version: r.get::<_, i64>(2)? as u64,
        kind: r.get(3)?,
        payload: r.get(4)?,
        metadata: r.get(5)?,
        ts: r.get(6)?,
    })
}

/// Where a SQLite append landed (as Mnemo's `AppendResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteAppend {
    /// Sequence number of the first event appended.
    pub first_seq: u64,
    /// Sequence number of the last event appended.
    pub last_seq: u64,
    /// The stream's version after the append.
    pub version: u64,
}

/// The SQLite peer of Mnemo's event store (see the module documentation).
///
/// Opened with `journal_mode=WAL`, `synchronous=FULL` (durable) or `OFF`, and a 64 MiB page
/// cache (the size of Mnemo's default block cache).
pub struct SqliteEventStore {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteEventStore")
            .field("path", &self.path)
            .finish()
    }
}

/// Inserts `events` as the next versions of `stream` after checking `expected` against the
/// stream's current version, through `conn`, which is inside a transaction.
fn append_in(
    conn: &Connection,
    stream: &str,
    expected: Expected,
    events: &[EventData],
    ts: i64,
) -> Result<SqliteAppend> {
    if events.is_empty() {
        return Err(format!("no events to append to {stream}").into());
    }
    let current: Option<i64> = conn
        .prepare_cached("SELECT max(version) FROM events WHERE stream = ?1")?
        .query_row([stream], |r| r.get(0))?;
    let ok = match expected {
        Expected::Any => true,
        Expected::NoStream => current.is_none(),
        Expected::Exact(v) => current == Some(v as i64),
    };
    if !ok {
        return Err(
            format!("conflict on {stream}: expected {expected}, current {current:?}").into(),
        );
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO events(stream, version, kind, payload, metadata, ts) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut version = current.unwrap_or(0);
    let mut first_seq = 0;
    for (i, e) in events.iter().enumerate() {
        version += 1;
        insert.execute(params![stream, version, e.kind, e.payload, e.metadata, ts])?;
        if i == 0 {
            first_seq = conn.last_insert_rowid() as u64;
        }
    }
    Ok(SqliteAppend {
        first_seq,
        last_seq: conn.last_insert_rowid() as u64,
        version: version as u64,
    })
}

impl SqliteEventStore {
    /// Opens (or creates) the database file `path`; `durable` selects `synchronous=FULL`
    /// (fsync per commit) over `synchronous=OFF`.
    pub fn open(path: impl AsRef<Path>, durable: bool) -> Result<SqliteEventStore> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!("journal_mode is {mode}, not wal").into());
        }
        conn.execute_batch("PRAGMA cache_size=-65536; PRAGMA busy_timeout=5000;")?;
        conn.execute_batch(EVENTS_SCHEMA)?;
        let store = SqliteEventStore { conn, path };
        store.set_durable(durable)?;
        Ok(store)
    }

    /// A second connection to the same database, for a reader thread (WAL lets it read while
    /// the writer commits).
    pub fn open_reader(&self) -> Result<SqliteEventStore> {
        let conn = Connection::open(&self.path)?;
        conn.execute_batch("PRAGMA cache_size=-65536; PRAGMA busy_timeout=5000;")?;
        Ok(SqliteEventStore {
            conn,
            path: self.path.clone(),
        })
    }

    /// Switches between `synchronous=FULL` (`durable`) and `synchronous=OFF`.
    pub fn set_durable(&self, durable: bool) -> Result<()> {
        self.conn.execute_batch(if durable {
            "PRAGMA synchronous=FULL;"
        } else {
            "PRAGMA synchronous=OFF;"
        })?;
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `events` to `stream` in one transaction if the stream is at `expected`
    /// (otherwise an error, and nothing is written).
    pub fn append(
        &mut self,
        stream: &str,
        expected: Expected,
        events: &[EventData],
    ) -> Result<SqliteAppend> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = append_in(&tx, stream, expected, events, now_millis())?;
        tx.commit()?;
        Ok(out)
    }

    /// Appends to several streams in one transaction: every expected version must hold, or
    /// nothing is written (the counterpart of `Mnemo::append_many`).
    pub fn append_many(
        &mut self,
        batches: &[(&str, Expected, &[EventData])],
    ) -> Result<Vec<SqliteAppend>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ts = now_millis();
        let out = batches
            .iter()
            .map(|(stream, expected, events)| append_in(&tx, stream, *expected, events, ts))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(out)
    }

    /// The current version of `stream` (`None` when it has no events).
    pub fn stream_version(&self, stream: &str) -> Result<Option<u64>> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(version) FROM events WHERE stream = ?1")?
            .query_row([stream], |r| r.get(0))?;
        Ok(v.map(|v| v as u64))
    }

    /// Up to `limit` events of `stream` from version `from` up, in version order.
    pub fn read_stream(&self, stream: &str, from: u64, limit: usize) -> Result<Vec<StoredEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, stream, version, kind, payload, metadata, ts FROM events \
             WHERE stream = ?1 AND version >= ?2 ORDER BY version LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![stream, from as i64, limit as i64], stored_event)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Up to `limit` events with `seq > after`, in order (one page of a whole-log scan).
    pub fn read_all(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, stream, version, kind, payload, metadata, ts FROM events \
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], stored_event)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// `(seq, payload)` of every event with `seq > after`, in order: what a poller fetches.
    pub fn poll(&self, after: u64) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, payload FROM events WHERE seq > ?1 ORDER BY seq")?;
        let rows = stmt.query_map([after as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Checkpoints the WAL into the database file (`wal_checkpoint(TRUNCATE)`) and returns
    /// the size of the database file plus whatever is left in the WAL.
    pub fn checkpointed_bytes(&self) -> Result<u64> {
        crate::checkpointed_bytes(&self.conn, &self.path)
    }

    /// The highest sequence number (0 when empty).
    pub fn last_seq(&self) -> Result<u64> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT max(seq) FROM events", [], |r| r.get(0))?;
        Ok(v.unwrap_or(0) as u64)
    }

    /// Rebuilds the `event-counts` read model (events per type) from the start of the log, the
    /// counterpart of `Mnemo::rebuild_projection(&mut EventCounts)`: a new generation is
    /// built page by page, each page of [`PROJECTION_PAGE`] events (every column selected,
    /// as Mnemo decodes whole entries) applied one event at a time (an upsert of its type's
    /// count) in one transaction with the rebuild's checkpoint; the transaction of the last
    /// page also switches readers to the new generation and deletes the old one. Returns the
    /// events applied.
    pub fn rebuild_event_counts(&mut self) -> Result<u64> {
        const NAME: &str = "event-counts";
        let state: Option<(i64, Option<i64>, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT active, building, building_checkpoint FROM projections WHERE name = ?1",
                [NAME],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (active, building, mut checkpoint) = match state {
            None => {
                self.conn.execute(
                    "INSERT INTO projections(name, active, checkpoint, building, \
                     building_checkpoint) VALUES (?1, 0, 0, 1, 0)",
                    [NAME],
                )?;
                (0, 1, 0)
            }
            Some((active, Some(b), Some(c))) => (active, b, c),
            Some((active, _, _)) => {
                self.conn.execute(
                    "UPDATE projections SET building = ?2, building_checkpoint = 0 \
                     WHERE name = ?1",
                    params![NAME, active + 1],
                )?;
                (active, active + 1, 0)
            }
        };
        // Like Mnemo: the pages of the new generation (read by nobody until the switch) are
        // committed without fsync; the switch is a durable commit, whose WAL sync makes every
        // page before it durable too. A crash mid-rebuild resumes from a checkpoint.
        let durable: i64 = self
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        let durable = durable >= 2;
        self.set_durable(false)?;
        let mut applied = 0;
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let page = {
                let mut select = tx.prepare_cached(
                    "SELECT seq, stream, version, kind, payload, metadata, ts FROM events \
                     WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?;
                let rows =
                    select.query_map(params![checkpoint, PROJECTION_PAGE as i64], stored_event)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO event_counts(generation, kind, n) VALUES (?1, ?2, 1) \
                     ON CONFLICT(generation, kind) DO UPDATE SET n = n + 1",
                )?;
                for e in &page {
                    upsert.execute(params![building, e.kind])?;
                    checkpoint = e.seq as i64;
                }
            }
            applied += page.len() as u64;
            tx.execute(
                "UPDATE projections SET building_checkpoint = ?2 WHERE name = ?1",
                params![NAME, checkpoint],
            )?;
            tx.commit()?;
            if page.len() < PROJECTION_PAGE {
                break;
            }
        }
        self.set_durable(durable)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM event_counts WHERE generation = ?1", [active])?;
        tx.execute(
            "UPDATE projections SET active = ?2, checkpoint = ?3, building = NULL, \
             building_checkpoint = NULL WHERE name = ?1",
            params![NAME, building, checkpoint],
        )?;
        tx.commit()?;
        Ok(applied)
    }

    /// The active `event-counts` read model: `(event type, count)` in type order.
    pub fn event_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.kind, c.n FROM event_counts c JOIN projections p \
             ON p.name = 'event-counts' AND c.generation = p.active ORDER BY c.kind",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::event;

    #[test]
    fn sqlite_event_store_checks_versions_and_rebuilds_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteEventStore::open(dir.path().join("events.sqlite"), false).unwrap();
        let batch: Vec<EventData> = (0..3).map(event).collect();
        let r = s.append("a", Expected::NoStream, &batch).unwrap();
        assert_eq!((r.first_seq, r.last_seq, r.version), (1, 3, 3));
        assert!(s.append("a", Expected::Exact(2), &batch[..1]).is_err());
        assert!(s.append("a", Expected::NoStream, &batch[..1]).is_err());
        let many = s
            .append_many(&[
                ("a", Expected::Exact(3), &batch[..1]),
                ("b", Expected::Any, &batch[..2]),
            ])
            .unwrap();
        assert_eq!(many[0].version, 4);
        assert_eq!(many[1].version, 2);
        assert_eq!(s.stream_version("b").unwrap(), Some(2));
        assert_eq!(s.stream_version("c").unwrap(), None);
        assert!(s
            .append_many(&[
                ("c", Expected::Any, &batch[..1]),
                ("a", Expected::Exact(1), &batch[..1]),
            ])
            .is_err());
        assert_eq!(s.stream_version("c").unwrap(), None, "rolled back");
        let a = s.read_stream("a", 2, 10).unwrap();
        assert_eq!(
            a.iter().map(|e| e.version).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(s.read_all(0, 100).unwrap().len(), 6);
        assert_eq!(s.read_all(4, 100).unwrap()[0].seq, 5);
        assert_eq!(s.last_seq().unwrap(), 6);
        let reader = s.open_reader().unwrap();
        assert_eq!(reader.poll(5).unwrap().len(), 1);

        let mut expected = std::collections::BTreeMap::new();
        for e in s.read_all(0, 100).unwrap() {
            *expected.entry(e.kind).or_insert(0u64) += 1;
        }
        let expected: Vec<(String, u64)> = expected.into_iter().collect();
        assert_eq!(s.rebuild_event_counts().unwrap(), 6);
        assert_eq!(s.event_counts().unwrap(), expected);
        // A second rebuild (more than a page) replaces the first generation.
        let more: Vec<EventData> = (0..1_200).map(event).collect();
        s.append("c", Expected::NoStream, &more).unwrap();
        assert_eq!(s.rebuild_event_counts().unwrap(), 1_206);
        let counts = s.event_counts().unwrap();
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 1_206);
        let generations: i64 = s
            .conn
            .query_row(
                "SELECT count(DISTINCT generation) FROM event_counts",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(generations, 1);
    }
}
