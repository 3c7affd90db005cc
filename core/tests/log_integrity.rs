//! The log's integrity: the hash chain over every entry and commit, commit records,
//! commits spanning several blocks, tampering detected, and no bare entry in a sealed store.

mod common;

use common::{ev, open, with_raw_db};

use mnemo::log::block::{LogBlock, BLOCK_HEADER_LEN};
use mnemo::{Error, EventData, EventFilter, Expected, LogEntry, Mnemo, Options, ReadDirection};

#[test]
fn hash_chain_verifies_and_detects_tampering() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(dir.path());
        for i in 0..50 {
            s.append(
                "audit",
                Expected::Any,
                vec![ev("did", &format!("action {i}"))],
            )
            .unwrap();
        }
        let v = s.verify_log().unwrap();
        assert_eq!(v.entries, 50);
        assert_eq!(v.head.len(), 64);
    }
    // Tamper with entry 7 directly in RocksDB (same length, still decodes, so only the
    // chain can tell).
    with_raw_db(dir.path(), |db| {
        edit_block_of(db, 7, |block| {
            replace_bytes(block, b"action 6", b"forged!!")
        });
    });
    let s = open(dir.path());
    match s.verify_log() {
        Err(Error::Corrupted { reason, .. }) => assert!(reason.contains("entry 7"), "{reason}"),
        other => panic!("expected tampering detected, got {other:?}"),
    }
}

/// Rewrite the log block holding entry `seq` (found by seeking, as Mnemo does) with `edit`.
fn edit_block_of(db: &rocksdb::DB, seq: u64, edit: impl FnOnce(&[u8]) -> Vec<u8>) {
    let (key, value) = block_of(db, seq);
    db.put_cf(db.cf_handle("log").unwrap(), key, edit(&value))
        .unwrap();
}

/// Delete the log block holding entry `seq`.
fn delete_block_of(dir: &std::path::Path, seq: u64) {
    with_raw_db(dir, |db| {
        let (key, _) = block_of(db, seq);
        db.delete_cf(db.cf_handle("log").unwrap(), key).unwrap();
    });
}

/// Assert that `result` is a corruption error whose reason contains `needle`.
fn expect_corrupted<T: std::fmt::Debug>(result: mnemo::Result<T>, needle: &str) {
    match result {
        Err(Error::Corrupted { reason, .. }) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("expected corruption naming {needle:?}, got {other:?}"),
    }
}

/// The key and value of the log block holding entry `seq`.
fn block_of(db: &rocksdb::DB, seq: u64) -> (Vec<u8>, Vec<u8>) {
    let cf = db.cf_handle("log").unwrap();
    let mode = rocksdb::IteratorMode::From(&seq.to_be_bytes(), rocksdb::Direction::Forward);
    let (key, value) = db.iterator_cf(cf, mode).next().unwrap().unwrap();
    (key.to_vec(), value.to_vec())
}

/// `bytes` with the one occurrence of `from` replaced by `to` (same length).
fn replace_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("bytes to replace");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn hash_chain_covers_every_entry_of_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(dir.path());
        s.append("a", Expected::Any, vec![ev("x", "0")]).unwrap();
        s.append(
            "a",
            Expected::Any,
            (1..=4).map(|i| ev("x", &i.to_string())).collect(),
        )
        .unwrap();
        s.append("a", Expected::Any, vec![ev("x", "5")]).unwrap();
        let entries = s.read_all(1, 10, &EventFilter::default()).unwrap();
        // One hash per commit: entries 2-5 share theirs.
        assert!(entries[1..5].iter().all(|e| e.hash == entries[1].hash));
        assert_ne!(entries[0].hash, entries[1].hash);
        assert_eq!(s.verify_log().unwrap().entries, 6);
    }
    // Change one payload byte of entry 3, in the middle of the second commit.
    with_raw_db(dir.path(), |db| {
        // Entries 2-5 are one block; only entry 3's payload is "2".
        edit_block_of(db, 3, |block| {
            replace_bytes(block, b"x\x01\x012\x00", b"x\x01\x019\x00")
        });
    });
    let s = open(dir.path());
    match s.verify_log() {
        Err(Error::Corrupted { reason, .. }) => {
            assert!(reason.contains("entries 2-5"), "{reason}")
        }
        other => panic!("expected tampering detected, got {other:?}"),
    }
}

#[test]
fn commit_records_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let fill = |dir: &std::path::Path| {
        let s = open(dir);
        for i in 0..3 {
            s.append(
                "a",
                Expected::Any,
                vec![ev("x", &i.to_string()), ev("y", "z")],
            )
            .unwrap();
        }
        let head = s.verify_log().unwrap();
        assert_eq!(head.entries, 6);
        // Each entry carries its commit's timestamp and hash.
        let entries = s.read_all(1, 10, &EventFilter::default()).unwrap();
        assert_eq!(entries[2].hash, entries[3].hash);
        assert_eq!(entries[2].timestamp, entries[3].timestamp);
        assert_eq!(crate_hex(&entries[5].hash), head.head);
    };
    fill(dir.path());
    // A forged hash in the middle commit's block (the header's last byte).
    with_raw_db(dir.path(), |db| {
        edit_block_of(db, 3, |block| {
            let mut block = block.to_vec();
            block[BLOCK_HEADER_LEN - 1] ^= 1;
            block
        });
    });
    match open(dir.path()).verify_log() {
        Err(Error::Corrupted { reason, .. }) => assert!(reason.contains("entries 3-4"), "{reason}"),
        other => panic!("expected a forged commit detected, got {other:?}"),
    }
    // A block removed: the log has a gap, which verifying and reading name.
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path());
    delete_block_of(dir.path(), 3);
    let s = open(dir.path());
    expect_corrupted(s.verify_log(), "entries 5-6 follow entry 2");
    match s.read_all(1, 10, &EventFilter::default()) {
        Err(Error::Corrupted { reason, .. }) => {
            assert!(reason.contains("entries 5-6 follow entry 2"), "{reason}")
        }
        other => panic!("expected a missing commit detected, got {other:?}"),
    }
    assert!(s.read_stream("a", 3, ReadDirection::Forward, 10).is_err());
    drop(s);
    // A log written before blocks (its values are entries, not blocks) is refused at open
    // with a typed error, and nothing is changed.
    with_raw_db(dir.path(), |db| {
        let (key, value) = block_of(db, 6);
        // A block without its header: an entry, as log format v3 stored it.
        let entry = value[BLOCK_HEADER_LEN..].to_vec();
        assert_eq!(entry[0], mnemo::log::BARE_ENTRY);
        db.put_cf(db.cf_handle("log").unwrap(), key, entry).unwrap();
    });
    let refused = |dir: &std::path::Path| match Mnemo::open(dir, Options::default()) {
        Err(Error::Corrupted { reason, .. }) => assert!(reason.contains("older Mnemo"), "{reason}"),
        other => panic!("expected an old log refused, got {:?}", other.map(|_| ())),
    };
    refused(dir.path());
    with_raw_db(dir.path(), |db| {
        let cf = db.cf_handle("log").unwrap();
        assert_eq!(db.iterator_cf(cf, rocksdb::IteratorMode::Start).count(), 2);
    });
    // So is a store with the `commits` column family of log format v3.
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path());
    {
        let cfs = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir.path()).unwrap();
        let mut db = rocksdb::DB::open_cf(&rocksdb::Options::default(), dir.path(), cfs).unwrap();
        db.create_cf("commits", &rocksdb::Options::default())
            .unwrap();
    }
    refused(dir.path());
}

#[test]
fn commits_larger_than_a_block_span_several_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let payload = |i: usize| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "p".repeat(i % 300));
    let events = |from: usize, n: usize| -> Vec<EventData> {
        (from..from + n).map(|i| ev("x", &payload(i))).collect()
    };
    {
        let s = open(dir.path());
        s.append("big", Expected::NoStream, events(0, 400)).unwrap();
        // Another stream's commit, then more of the first stream: runs across blocks.
        s.append("other", Expected::Any, events(0, 3)).unwrap();
        s.append("big", Expected::Exact(400), events(400, 300))
            .unwrap();
        assert_eq!(s.verify_log().unwrap().entries, 703);
    }
    with_raw_db(dir.path(), |db| {
        let cf = db.cf_handle("log").unwrap();
        let blocks = db.iterator_cf(cf, rocksdb::IteratorMode::Start).count();
        assert!(blocks >= 6, "{blocks} blocks");
    });
    let s = open(dir.path());
    assert_eq!(s.verify_log().unwrap().entries, 703);
    let want: Vec<String> = (0..700).map(payload).collect();
    let got = |v: Vec<LogEntry>| -> Vec<String> {
        v.into_iter()
            .map(|e| String::from_utf8(e.payload).unwrap())
            .collect()
    };
    for from in [1u64, 2, 150, 399, 400, 401, 699, 700] {
        let fwd = s
            .read_stream("big", from, ReadDirection::Forward, 1000)
            .unwrap();
        assert_eq!(got(fwd), want[from as usize - 1..], "forward from {from}");
        let back = s
            .read_stream("big", from, ReadDirection::Backward, 1000)
            .unwrap();
        let mut expect = want[..from as usize].to_vec();
        expect.reverse();
        assert_eq!(got(back), expect, "backward from {from}");
    }
    let all = s.read_all(1, 10_000, &EventFilter::default()).unwrap();
    assert_eq!(all.len(), 703);
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // Every entry of one commit has its commit's hash, in whichever block it is.
    assert!(all[..400].iter().all(|e| e.hash == all[0].hash));
    for from in [1u64, 37, 200, 400, 401, 403, 404, 703, 704] {
        let page = s.read_log(from, 5).unwrap();
        let seqs: Vec<u64> = page.iter().map(|e| e.seq).collect();
        let expect: Vec<u64> = (from..(from + 5).min(704)).collect();
        assert_eq!(seqs, expect, "read_log from {from}");
    }
    drop(s);
    // A middle block of the first commit removed: named.
    delete_block_of(dir.path(), 200);
    let s = open(dir.path());
    expect_corrupted(s.verify_log(), "follow entry");
    assert!(s
        .read_stream("big", 1, ReadDirection::Forward, 1000)
        .is_err());
}

fn crate_hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A toy seal (XOR with a key byte, checked on open) standing in for encryption at rest:
/// what the log writes through a seal must come back through it.
struct XorSeal;

impl mnemo::codec::Seal for XorSeal {
    fn id(&self) -> u8 {
        7
    }
    fn seal(&self, _header: &[u8], plain: Vec<u8>) -> mnemo::Result<Vec<u8>> {
        let mut out: Vec<u8> = plain.into_iter().map(|b| b ^ 0x5a).collect();
        out.push(0xa5);
        Ok(out)
    }
    fn open(&self, _header: &[u8], sealed: &[u8]) -> mnemo::Result<Vec<u8>> {
        match sealed.split_last() {
            Some((0xa5, body)) => Ok(body.iter().map(|b| b ^ 0x5a).collect()),
            _ => Err(Error::Corrupted {
                what: "sealed value",
                reason: "bad tag".into(),
            }),
        }
    }
}

#[test]
fn sealed_store_never_stores_bare_entries() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = || Options {
        seal: std::sync::Arc::new(XorSeal),
        ..Options::default()
    };
    {
        let s = Mnemo::open(dir.path(), sealed()).unwrap();
        let big = "x".repeat(2_000);
        s.append("a", Expected::Any, vec![ev("small", "1"), ev("big", &big)])
            .unwrap();
        s.append("a", Expected::Any, vec![ev("small", "2")])
            .unwrap();
        let all = s.read_all(1, 10, &EventFilter::default()).unwrap();
        let payloads: Vec<&[u8]> = all.iter().map(|e| e.payload.as_slice()).collect();
        assert_eq!(payloads, [b"1".as_slice(), big.as_bytes(), b"2"]);
        assert_eq!(s.verify_log().unwrap().entries, 3);
    }
    with_raw_db(dir.path(), |db| {
        let cf = db.cf_handle("log").unwrap();
        for item in db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
            let (k, v) = item.unwrap();
            let block = LogBlock::parse(&k, &v).unwrap();
            for entry in block.entries() {
                let (_, stored) = entry.unwrap();
                assert_ne!(
                    stored[0],
                    mnemo::log::BARE_ENTRY,
                    "a bare entry in a sealed store"
                );
            }
        }
        // Swap entry 3 for a bare (unsealed) entry: the sealed store refuses it.
        let plain = tempfile::tempdir().unwrap();
        let p = open(plain.path());
        p.append("a", Expected::Any, vec![ev("small", "2")])
            .unwrap();
        drop(p);
        let mut bare = Vec::new();
        with_raw_db(plain.path(), |pdb| {
            let (k, v) = block_of(pdb, 1);
            let block = LogBlock::parse(&k, &v).unwrap();
            bare = block.stored(1).unwrap().to_vec();
        });
        assert_eq!(bare[0], mnemo::log::BARE_ENTRY);
        let (key, sealed_block) = block_of(db, 3);
        let mut forged = sealed_block[..BLOCK_HEADER_LEN].to_vec();
        forged.extend_from_slice(&bare);
        forged.extend_from_slice(&(bare.len() as u32).to_le_bytes());
        db.put_cf(cf, key, forged).unwrap();
    });
    let s = Mnemo::open(dir.path(), sealed()).unwrap();
    match s.read_all(3, 10, &EventFilter::default()) {
        Err(Error::Corrupted { reason, .. }) => assert!(reason.contains("unsealed"), "{reason}"),
        other => panic!("expected a bare entry refused, got {other:?}"),
    }
}
