//! Shared code of the event-store benchmarks (`benches/benches/events/`): the events they
//! append, and the stores Mnemo's event store is compared with.
//!
//! - [`event`]: realistic small events, a JSON payload of about 200 bytes (an order-handling
//!   domain: eight event types), no metadata, deterministic from an index. Streams are spread
//!   over [`STREAMS`] names ([`stream_name`]).
//! - [`SqliteEventStore`] (`sqlite.rs`): the peer, an event store on SQLite as a user would write one: one
//!   `events` table in WAL mode, `seq INTEGER PRIMARY KEY` as the global order, a UNIQUE index
//!   on `(stream, version)`, an append is one transaction that checks the stream's current
//!   version (`SELECT max(version)`) before inserting. Same durability as Mnemo:
//!   `synchronous=FULL` when Mnemo fsyncs each commit, `synchronous=OFF` when it does not.
//! - [`RawRocks`]: the floor, RocksDB used directly: one `WriteBatch` per commit putting each
//!   event's payload bytes under its sequence number, nothing else (no stream index, no
//!   version check, no encoding, no hash chain).

use std::path::Path;

use mnemo::EventData;

use crate::Result;

mod sqlite;

pub use sqlite::*;

/// Stream names events are spread over.
pub const STREAMS: usize = 1_000;

/// The event types, in the order [`event`] weights them (more item and payment events than
/// cancellations).
pub const KINDS: [&str; 8] = [
    "order.placed",
    "order.item_added",
    "order.item_removed",
    "order.address_changed",
    "order.paid",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
];

/// Name of stream `i` (`order-0000` ... `order-0999` for `i < STREAMS`).
pub fn stream_name(i: usize) -> String {
    format!("order-{i:04}")
}

/// splitmix64: a fixed, fast source of varied field values.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Event number `i`: a JSON payload of about 200 bytes, schema 1, no metadata. The same `i`
/// always gives the same event.
pub fn event(i: u64) -> EventData {
    let r = mix(i);
    // Weights 3,4,1,1,3,2,2,1 of 17 over the eight types.
    let kind = match r % 17 {
        0..=2 => 0,
        3..=6 => 1,
        7 => 2,
        8 => 3,
        9..=11 => 4,
        12..=13 => 5,
        14..=15 => 6,
        _ => 7,
    };
    const WAREHOUSES: [&str; 4] = ["FRA-2", "AMS-1", "DUB-3", "WAW-1"];
    const CHANNELS: [&str; 3] = ["web", "ios", "android"];
    let secs = (r >> 8) % 86_400;
    let payload = format!(
        concat!(
            r#"{{"order_id":"ord-{:07}","customer_id":"cus-{:06}","sku":"SKU-{:05}","#,
            r#""quantity":{},"unit_price_cents":{},"currency":"EUR","warehouse":"{}","#,
            r#""channel":"{}","at":"2026-11-25T{:02}:{:02}:{:02}.{:03}Z"}}"#
        ),
        (r >> 12) % 10_000_000,
        (r >> 20) % 1_000_000,
        (r >> 28) % 100_000,
        1 + (r >> 36) % 5,
        199 + (r >> 40) % 20_000,
        WAREHOUSES[((r >> 50) % 4) as usize],
        CHANNELS[((r >> 52) % 3) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        (r >> 54) % 1000,
    );
    EventData::new(KINDS[kind], payload)
}

/// The payload of a latency probe: `{"sent_ns":<n>,...}` padded to about 200 bytes like
/// [`event`]'s, where `n` is the send time in nanoseconds since a start shared by writer and
/// reader.
pub fn probe_payload(sent_ns: u64) -> Vec<u8> {
    format!(
        r#"{{"sent_ns":{sent_ns},"order_id":"ord-0000042","customer_id":"cus-000042","sku":"SKU-00042","quantity":1,"unit_price_cents":1999,"currency":"EUR","warehouse":"FRA-2","channel":"web"}}"#
    )
    .into_bytes()
}

/// The send time written by [`probe_payload`].
pub fn probe_sent_ns(payload: &[u8]) -> Result<u64> {
    let v: serde_json::Value = serde_json::from_slice(payload)?;
    v["sent_ns"]
        .as_u64()
        .ok_or_else(|| "probe payload without sent_ns".into())
}

/// RocksDB used directly: the same bytes as the events' payloads, key = sequence number
/// (u64 big-endian), value = payload, one `WriteBatch` per commit. Opened like Mnemo's `log`
/// column family is: no RocksDB compression (Mnemo compresses log values itself), a 64 MiB
/// block cache, bloom filters, two background jobs; otherwise RocksDB's defaults.
pub struct RawRocks {
    db: rocksdb::DB,
    sync: bool,
    next_seq: u64,
}

impl std::fmt::Debug for RawRocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRocks")
            .field("path", &self.db.path())
            .field("sync", &self.sync)
            .finish()
    }
}

impl RawRocks {
    /// Opens (or creates) a database in `path`; `durable` fsyncs the WAL on every write.
    pub fn open(path: impl AsRef<Path>, durable: bool) -> Result<RawRocks> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.set_max_background_jobs(2);
        opts.set_compression_type(rocksdb::DBCompressionType::None);
        let mut block = rocksdb::BlockBasedOptions::default();
        block.set_block_cache(&rocksdb::Cache::new_lru_cache(64 << 20));
        block.set_bloom_filter(10.0, false);
        block.set_cache_index_and_filter_blocks(true);
        opts.set_block_based_table_factory(&block);
        let db = rocksdb::DB::open(&opts, path)?;
        Ok(RawRocks {
            db,
            sync: durable,
            next_seq: 1,
        })
    }

    /// Writes `payloads` in one `WriteBatch` under the next sequence numbers; returns the
    /// last one.
    pub fn append<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<u64> {
        let mut batch = rocksdb::WriteBatch::default();
        for p in payloads {
            batch.put(self.next_seq.to_be_bytes(), p);
            self.next_seq += 1;
        }
        let mut w = rocksdb::WriteOptions::default();
        w.set_sync(self.sync);
        self.db.write_opt(batch, &w)?;
        Ok(self.next_seq - 1)
    }

    /// Flushes the memtable to an SST file (so reads come from files, as after a reopen).
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// Reads every value in key order, copying each out (as the event stores materialise
    /// their events); returns `(values, bytes)`.
    pub fn scan(&self) -> Result<(u64, u64)> {
        let (mut n, mut bytes) = (0, 0);
        for item in self.db.iterator(rocksdb::IteratorMode::Start) {
            let (_, v) = item?;
            let owned = std::hint::black_box(v.to_vec());
            n += 1;
            bytes += owned.len() as u64;
        }
        Ok((n, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_small_json_of_every_kind() {
        let events: Vec<EventData> = (0..10_000).map(event).collect();
        let mean = events.iter().map(|e| e.payload.len()).sum::<usize>() / events.len();
        assert!((180..=220).contains(&mean), "mean payload {mean} bytes");
        for e in &events[..100] {
            let _: serde_json::Value = serde_json::from_slice(&e.payload).unwrap();
        }
        for k in KINDS {
            assert!(events.iter().any(|e| e.kind == k), "{k} never drawn");
        }
        assert_eq!(event(7), event(7));
        assert_eq!(stream_name(999), "order-0999");
        for sent in [0, 123_456_789, u64::MAX] {
            let probe = probe_payload(sent);
            assert!((160..=220).contains(&probe.len()), "{} bytes", probe.len());
            assert_eq!(probe_sent_ns(&probe).unwrap(), sent);
        }
    }

    #[test]
    fn raw_rocks_writes_and_scans() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = RawRocks::open(dir.path(), false).unwrap();
        let events: Vec<EventData> = (0..10).map(event).collect();
        assert_eq!(r.append(events.iter().map(|e| &e.payload[..])).unwrap(), 10);
        assert_eq!(r.append([&b"x"[..]]).unwrap(), 11);
        let bytes: u64 = events.iter().map(|e| e.payload.len() as u64).sum::<u64>() + 1;
        assert_eq!(r.scan().unwrap(), (11, bytes));
    }
}
