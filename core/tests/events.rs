//! The event store on host streams: appends with optimistic concurrency, stream and log
//! reads, subscriptions with checkpoints, projections (exactly-once, failure and resume,
//! blue-green rebuild; run by the core or page by page by host code), snapshots, upcasters
//! and the hash chain.

use std::time::Duration;

use mnemo::events::projection::{Projection, ViewBatch};
use mnemo::events::snapshot::Aggregate;
use mnemo::log::block::{LogBlock, BLOCK_HEADER_LEN};
use mnemo::{
    Error, EventData, EventFilter, Expected, LogEntry, Mnemo, Options, ReadDirection,
    SubscribeOptions,
};

fn open(dir: &std::path::Path) -> Mnemo {
    Mnemo::open(dir, Options::default()).unwrap()
}

fn ev(kind: &str, payload: &str) -> EventData {
    EventData::new(kind, payload.as_bytes())
}

#[test]
fn append_checks_expected_versions() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    let r = s
        .append(
            "order-1",
            Expected::NoStream,
            vec![ev("placed", "{}"), ev("paid", "{}")],
        )
        .unwrap();
    assert_eq!((r.first_seq, r.last_seq, r.version), (1, 2, 2));
    match s.append("order-1", Expected::NoStream, vec![ev("x", "")]) {
        Err(Error::Conflict { current, .. }) => assert_eq!(current, Some(2)),
        other => panic!("expected conflict, got {other:?}"),
    }
    match s.append("order-1", Expected::Exact(1), vec![ev("x", "")]) {
        Err(Error::Conflict { current, .. }) => assert_eq!(current, Some(2)),
        other => panic!("expected conflict, got {other:?}"),
    }
    match s.append("order-9", Expected::Exact(3), vec![ev("x", "")]) {
        Err(Error::Conflict { current, .. }) => assert_eq!(current, None),
        other => panic!("expected conflict, got {other:?}"),
    }
    s.append("order-1", Expected::Exact(2), vec![ev("shipped", "{}")])
        .unwrap();
    s.append("order-1", Expected::Any, vec![ev("closed", "{}")])
        .unwrap();
    assert_eq!(s.stream_version("order-1").unwrap(), Some(4));
    // Nothing was written by the failed appends.
    assert_eq!(s.last_seq(), 4);
}

#[test]
fn batches_across_streams_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.append("a", Expected::NoStream, vec![ev("k", "1")])
        .unwrap();
    let failed = s.append_many(vec![
        ("b".into(), Expected::NoStream, vec![ev("k", "2")]),
        ("a".into(), Expected::NoStream, vec![ev("k", "3")]),
    ]);
    assert!(matches!(failed, Err(Error::Conflict { .. })));
    assert_eq!(
        s.stream_version("b").unwrap(),
        None,
        "b must not be written"
    );
    let ok = s
        .append_many(vec![
            ("b".into(), Expected::NoStream, vec![ev("k", "2")]),
            (
                "a".into(),
                Expected::Exact(1),
                vec![ev("k", "3"), ev("k", "4")],
            ),
        ])
        .unwrap();
    assert_eq!(ok[1].version, 3);
}

#[test]
fn bad_input_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let s = Mnemo::open(
        dir.path(),
        Options {
            max_event_bytes: 1024,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(matches!(
        s.append("", Expected::Any, vec![ev("k", "")]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        s.append("session/x", Expected::Any, vec![ev("k", "")]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        s.append("s", Expected::Any, vec![]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        s.append("s", Expected::Any, vec![ev("", "")]),
        Err(Error::InvalidInput(_))
    ));
    let big = EventData::new("k", vec![0u8; 2048]);
    assert!(matches!(
        s.append("s", Expected::Any, vec![big]),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        s.read_stream("nope", 1, ReadDirection::Forward, 10),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(s.last_seq(), 0, "nothing written");
}

#[test]
fn reads_forward_backward_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    for i in 1..=5 {
        s.append(
            "cart-1",
            Expected::Any,
            vec![ev("item.added", &i.to_string())],
        )
        .unwrap();
        s.append(
            "user-1",
            Expected::Any,
            vec![ev("user.seen", &i.to_string())],
        )
        .unwrap();
    }
    let fwd = s
        .read_stream("cart-1", 2, ReadDirection::Forward, 2)
        .unwrap();
    assert_eq!(fwd.iter().map(|e| e.version).collect::<Vec<_>>(), [2, 3]);
    let back = s
        .read_stream("cart-1", 5, ReadDirection::Backward, 10)
        .unwrap();
    assert_eq!(
        back.iter().map(|e| e.version).collect::<Vec<_>>(),
        [5, 4, 3, 2, 1]
    );
    assert_eq!(back[0].payload, b"5");
    let carts = s
        .read_all(
            1,
            100,
            &EventFilter {
                stream_prefix: Some("cart-".into()),
                kinds: vec![],
            },
        )
        .unwrap();
    assert_eq!(carts.len(), 5);
    let seen = s
        .read_all(
            4,
            100,
            &EventFilter {
                stream_prefix: None,
                kinds: vec!["user.seen".into()],
            },
        )
        .unwrap();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|e| e.seq >= 4 && e.kind == "user.seen"));
}

#[test]
fn named_subscription_resumes_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(dir.path());
        for i in 0..10 {
            s.append(
                &format!("s{}", i % 2),
                Expected::Any,
                vec![ev("tick", &i.to_string())],
            )
            .unwrap();
        }
        let mut sub = s
            .subscribe_with(SubscribeOptions {
                name: Some("mailer".into()),
                filter: EventFilter {
                    stream_prefix: Some("s0".into()),
                    kinds: vec![],
                },
                ..Default::default()
            })
            .unwrap();
        let first: Vec<LogEntry> = (0..3)
            .map(|_| sub.next_timeout(Duration::from_secs(5)).unwrap().unwrap())
            .collect();
        assert!(first.iter().all(|e| e.stream == "s0"));
        sub.checkpoint().unwrap();
        assert_eq!(
            s.subscription_checkpoint("mailer").unwrap(),
            Some(first[2].seq)
        );
    }
    let s = open(dir.path());
    let mut sub = s
        .subscribe_with(SubscribeOptions {
            name: Some("mailer".into()),
            filter: EventFilter {
                stream_prefix: Some("s0".into()),
                kinds: vec![],
            },
            ..Default::default()
        })
        .unwrap();
    let rest: Vec<LogEntry> =
        std::iter::from_fn(|| sub.next_timeout(Duration::from_millis(50)).unwrap()).collect();
    assert_eq!(rest.len(), 2, "5 events on s0, 3 done before the restart");
    // Live: a new event arrives while waiting.
    let writer = s.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        writer
            .append("s0", Expected::Any, vec![ev("tick", "live")])
            .unwrap();
    });
    let live = sub.next_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!(live.payload, b"live");
    t.join().unwrap();
    let unnamed = s.subscribe(1);
    assert!(matches!(unnamed.checkpoint(), Err(Error::InvalidInput(_))));
}

/// Counts events per type into the read model; fails on payload "boom" unless fixed.
struct Counter {
    name: String,
    fixed: bool,
}

impl Projection for Counter {
    fn name(&self) -> &str {
        &self.name
    }
    fn filter(&self) -> EventFilter {
        EventFilter {
            stream_prefix: Some("shop-".into()),
            kinds: vec![],
        }
    }
    fn apply(&mut self, e: &LogEntry, view: &mut ViewBatch<'_>) -> Result<(), String> {
        let n = view
            .get(e.kind.as_bytes())
            .map_err(|e| e.to_string())?
            .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
        view.put(e.kind.as_bytes(), &(n + 1).to_be_bytes());
        if e.payload == b"boom" && !self.fixed {
            return Err("cannot handle boom".into());
        }
        Ok(())
    }
}

fn count(s: &Mnemo, name: &str, kind: &str) -> u64 {
    s.view(name)
        .get(kind.as_bytes())
        .unwrap()
        .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()))
}

#[test]
fn projection_stops_on_failure_and_resumes_without_skipping() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    for i in 0..1200 {
        s.append("shop-1", Expected::Any, vec![ev("sale", &i.to_string())])
            .unwrap();
    }
    s.append("other", Expected::Any, vec![ev("sale", "ignored")])
        .unwrap();
    let boom = s
        .append("shop-2", Expected::Any, vec![ev("refund", "boom")])
        .unwrap();
    s.append("shop-2", Expected::Any, vec![ev("refund", "ok")])
        .unwrap();
    let mut p = Counter {
        name: "counts".into(),
        fixed: false,
    };
    match s.run_projection(&mut p) {
        Err(Error::ProjectionFailed { seq, .. }) => assert_eq!(seq, boom.first_seq),
        other => panic!("expected failure, got {other:?}"),
    }
    let status = s.projection_status("counts").unwrap();
    assert_eq!(status.checkpoint, boom.first_seq - 1);
    assert_eq!(status.error.as_ref().unwrap().seq, boom.first_seq);
    assert_eq!(
        count(&s, "counts", "sale"),
        1200,
        "other stream filtered out"
    );
    assert_eq!(
        count(&s, "counts", "refund"),
        0,
        "the failing event's writes are discarded"
    );
    // Running again without a fix fails at the same event: nothing skipped.
    assert!(s.run_projection(&mut p).is_err());
    p.fixed = true;
    let status = s.run_projection(&mut p).unwrap();
    assert!(status.error.is_none());
    assert_eq!(status.lag(), 0);
    assert_eq!(count(&s, "counts", "refund"), 2);
    // Exactly once: running again applies nothing twice.
    s.run_projection(&mut p).unwrap();
    assert_eq!(count(&s, "counts", "sale"), 1200);
    // The context views (always listed first), then the one host projection.
    let names: Vec<String> = s
        .projections()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["context-views", "counts"]);
}

#[test]
fn blue_green_rebuild_switches_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    for i in 0..700 {
        s.append("shop-1", Expected::Any, vec![ev("sale", &i.to_string())])
            .unwrap();
    }
    let mut p = Counter {
        name: "counts".into(),
        fixed: true,
    };
    s.run_projection(&mut p).unwrap();
    assert_eq!(s.projection_status("counts").unwrap().generation, 0);
    /// A new version of the projection: counts sales twice (a visible behaviour change).
    struct Doubler;
    impl Projection for Doubler {
        fn name(&self) -> &str {
            "counts"
        }
        fn apply(&mut self, e: &LogEntry, view: &mut ViewBatch<'_>) -> Result<(), String> {
            let n = view
                .get(e.kind.as_bytes())
                .map_err(|e| e.to_string())?
                .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
            view.put(e.kind.as_bytes(), &(n + 2).to_be_bytes());
            Ok(())
        }
    }
    // While the rebuild runs, readers keep seeing the old generation.
    let reader = s.clone();
    let t = std::thread::spawn(move || {
        for _ in 0..50 {
            let c = count(&reader, "counts", "sale");
            assert!(c == 700 || c == 1400, "reader saw a half-built model: {c}");
        }
    });
    let status = s.rebuild_projection(&mut Doubler).unwrap();
    t.join().unwrap();
    assert_eq!(status.generation, 1);
    assert!(status.rebuilding.is_none());
    assert_eq!(count(&s, "counts", "sale"), 1400);
}

/// Applies every page of `name` as a host would, counting events per type like `Counter`;
/// `boom` fails unless `fixed`. Returns the final result of the last page.
fn run_pages(s: &Mnemo, name: &str, rebuild: bool, step: u64, fixed: bool) -> mnemo::Result<()> {
    let filter = EventFilter {
        stream_prefix: Some("shop-".into()),
        kinds: vec![],
    };
    loop {
        let mut page = s.projection_page(name, filter.clone(), rebuild)?;
        while let Some(e) = page.next_event() {
            let n = page
                .get(e.kind.as_bytes())?
                .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
            page.put(e.kind.as_bytes(), &(n + step).to_be_bytes());
            if e.payload == b"boom" && !fixed {
                return Err(page.fail("cannot handle boom"));
            }
        }
        if page.commit()? {
            return Ok(());
        }
    }
}

#[test]
fn host_driven_pages_have_the_runner_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    for i in 0..1100 {
        s.append("shop-1", Expected::Any, vec![ev("sale", &i.to_string())])
            .unwrap();
    }
    s.append("other", Expected::Any, vec![ev("sale", "ignored")])
        .unwrap();
    let boom = s
        .append("shop-2", Expected::Any, vec![ev("refund", "boom")])
        .unwrap();
    s.append("shop-2", Expected::Any, vec![ev("refund", "ok")])
        .unwrap();

    // A failing event stops the projection there: earlier pages and events are committed,
    // its own writes are not, the status records it.
    match run_pages(&s, "pages", false, 1, false) {
        Err(Error::ProjectionFailed { name, seq, reason }) => {
            assert_eq!((name.as_str(), seq), ("pages", boom.first_seq));
            assert_eq!(reason, "cannot handle boom");
        }
        other => panic!("expected ProjectionFailed, got {other:?}"),
    }
    let status = s.projection_status("pages").unwrap();
    assert_eq!(status.checkpoint, boom.first_seq - 1);
    assert_eq!(status.error.as_ref().unwrap().seq, boom.first_seq);
    assert_eq!(
        count(&s, "pages", "sale"),
        1100,
        "other stream filtered out"
    );
    assert_eq!(count(&s, "pages", "refund"), 0);
    // Again without a fix: the same event fails, nothing is skipped.
    assert!(matches!(
        run_pages(&s, "pages", false, 1, false),
        Err(Error::ProjectionFailed { seq, .. }) if seq == boom.first_seq
    ));
    run_pages(&s, "pages", false, 1, true).unwrap();
    let status = s.projection_status("pages").unwrap();
    assert!(status.error.is_none());
    assert_eq!(status.lag(), 0);
    assert_eq!(count(&s, "pages", "refund"), 2);
    // Exactly once: another run applies nothing twice.
    run_pages(&s, "pages", false, 1, true).unwrap();
    assert_eq!(count(&s, "pages", "sale"), 1100);

    // A page dropped without commit writes nothing; a page taken before another runner
    // advanced the projection cannot commit over it.
    s.append("shop-3", Expected::Any, vec![ev("sale", "late")])
        .unwrap();
    let mut dropped = s
        .projection_page("pages", EventFilter::default(), false)
        .unwrap();
    assert!(dropped.next_event().is_some());
    dropped.put(b"sale", b"garbage");
    drop(dropped);
    let mut stale = s
        .projection_page("pages", EventFilter::default(), false)
        .unwrap();
    stale.put(b"sale", b"garbage");
    run_pages(&s, "pages", false, 1, true).unwrap();
    assert!(matches!(stale.commit(), Err(Error::Conflict { .. })));
    assert_eq!(count(&s, "pages", "sale"), 1101);
    // fail() needs an event taken.
    let page = s
        .projection_page("pages", EventFilter::default(), false)
        .unwrap();
    assert!(matches!(page.fail("x"), Error::InvalidInput(_)));

    // A rebuild by pages writes a new generation, readers keep the old one until the last
    // page commits, then switch.
    let mut page = s
        .projection_page("pages", EventFilter::default(), true)
        .unwrap();
    assert!(page.next_event().is_some());
    page.put(b"sale", &7u64.to_be_bytes());
    assert!(!page.commit().unwrap());
    let status = s.projection_status("pages").unwrap();
    assert_eq!(
        (status.generation, status.rebuilding.map(|r| r.0)),
        (0, Some(1))
    );
    assert_eq!(
        count(&s, "pages", "sale"),
        1101,
        "readers still see generation 0"
    );
    // The rebuild resumes where it stopped (the `7` written above stays: it was committed).
    run_pages(&s, "pages", true, 2, true).unwrap();
    let status = s.projection_status("pages").unwrap();
    assert_eq!((status.generation, status.rebuilding), (1, None));
    assert_eq!(count(&s, "pages", "refund"), 4);
}

#[derive(Debug, PartialEq)]
struct Balance(i64);

impl Aggregate for Balance {
    fn initial() -> Self {
        Balance(0)
    }
    fn apply(&mut self, e: &LogEntry) -> Result<(), String> {
        let v: i64 = std::str::from_utf8(&e.payload)
            .map_err(|e| e.to_string())?
            .parse()
            .map_err(|e: std::num::ParseIntError| e.to_string())?;
        self.0 += v;
        Ok(())
    }
    fn to_snapshot(&self) -> Vec<u8> {
        self.0.to_be_bytes().to_vec()
    }
    fn from_snapshot(b: &[u8]) -> Result<Self, String> {
        Ok(Balance(i64::from_be_bytes(
            b.try_into().map_err(|_| "bad snapshot")?,
        )))
    }
}

#[test]
fn snapshots_every_n_events_and_tail() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    let mut snapshots = 0;
    for i in 1..=25 {
        let r = s
            .append("acct-7", Expected::Any, vec![ev("deposit", &i.to_string())])
            .unwrap();
        let (agg, version) = s.load_aggregate::<Balance>("acct-7").unwrap();
        assert_eq!(version, r.version);
        if s.snapshot_if_due("acct-7", &agg, version, 10).unwrap() {
            snapshots += 1;
        }
    }
    assert_eq!(snapshots, 2);
    assert_eq!(s.load_snapshot("acct-7").unwrap().unwrap().version, 20);
    let (agg, version) = s.load_aggregate::<Balance>("acct-7").unwrap();
    assert_eq!((agg, version), (Balance(325), 25));
    assert!(matches!(
        s.save_snapshot("acct-7", 99, b"x"),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(
        s.load_aggregate::<Balance>("none").unwrap(),
        (Balance(0), 0)
    );
}

#[test]
fn upcasters_turn_old_schemas_into_new_ones_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.append(
        "u",
        Expected::Any,
        vec![EventData::new("renamed", b"ada".to_vec())],
    )
    .unwrap();
    s.append(
        "u",
        Expected::Any,
        vec![EventData::new("renamed", b"{\"name\":\"bob\"}".to_vec()).with_schema(2)],
    )
    .unwrap();
    s.register_upcaster("renamed", 1, |old| {
        let name = std::str::from_utf8(old).map_err(|e| e.to_string())?;
        Ok(format!("{{\"name\":\"{name}\"}}").into_bytes())
    });
    let events = s.read_stream("u", 1, ReadDirection::Forward, 10).unwrap();
    assert_eq!(events[0].schema, 2);
    assert_eq!(events[0].payload, b"{\"name\":\"ada\"}");
    assert_eq!(events[1].payload, b"{\"name\":\"bob\"}");
    s.register_upcaster("renamed", 2, |_| Err("no".into()));
    assert!(matches!(
        s.read_stream("u", 1, ReadDirection::Forward, 10),
        Err(Error::Upcast { .. })
    ));
}

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

/// Open the store's RocksDB directly (every column family) for tampering tests.
fn with_raw_db(dir: &std::path::Path, f: impl FnOnce(&rocksdb::DB)) {
    let cfs = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir).unwrap();
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, cfs).unwrap();
    f(&db);
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
fn counters_of_host_events_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let s = open(dir.path());
        s.append(
            "a",
            Expected::Any,
            (0..100).map(|i| ev("k", &i.to_string())).collect(),
        )
        .unwrap();
        let c = s.stats().unwrap().counters;
        assert!(c.log_stored_bytes > 0);
        c
    };
    let s = open(dir.path());
    assert_eq!(s.stats().unwrap().counters, before);
    assert_eq!(s.stream_version("a").unwrap(), Some(100));
}

mod stream_reads {
    //! `read_stream` against a model of the log: streams written in runs of several events
    //! per commit, interleaved with other streams in the same commit, read from every
    //! version in both directions with every limit.

    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn read_stream_matches_a_model(
            commits in proptest::collection::vec(
                proptest::collection::vec((0usize..3, 1usize..4), 1..4),
                1..6,
            ),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let s = Mnemo::open(dir.path(), Options { sync_writes: false, ..Options::default() }).unwrap();
            let names = ["a", "b", "c"];
            // (stream, version) -> payload, in version order per stream.
            let mut model: Vec<Vec<String>> = vec![Vec::new(); names.len()];
            for (ci, commit) in commits.iter().enumerate() {
                let batches: Vec<(String, Expected, Vec<EventData>)> = commit
                    .iter()
                    .enumerate()
                    .map(|(bi, &(stream, n))| {
                        let events = (0..n)
                            .map(|k| {
                                let p = format!("{ci}.{bi}.{k}");
                                model[stream].push(p.clone());
                                ev("e", &p)
                            })
                            .collect();
                        (names[stream].to_string(), Expected::Any, events)
                    })
                    .collect();
                s.append_many(batches).unwrap();
            }
            for (i, name) in names.iter().enumerate() {
                let want = &model[i];
                if want.is_empty() {
                    let missing = matches!(
                        s.read_stream(name, 1, ReadDirection::Forward, 10),
                        Err(Error::NotFound { .. })
                    );
                    prop_assert!(missing);
                    continue;
                }
                let n = want.len() as u64;
                for from in 0..=n + 1 {
                    for limit in [1usize, 2, 5, 100] {
                        let fwd = s.read_stream(name, from, ReadDirection::Forward, limit).unwrap();
                        let expect: Vec<u64> = (from.max(1)..=n).take(limit).collect();
                        prop_assert_eq!(fwd.iter().map(|e| e.version).collect::<Vec<_>>(), expect.clone());
                        for e in &fwd {
                            prop_assert_eq!(&e.payload, want[e.version as usize - 1].as_bytes());
                            prop_assert_eq!(&e.stream, name);
                        }
                        let back = s.read_stream(name, from, ReadDirection::Backward, limit).unwrap();
                        let expect: Vec<u64> = (1..=from.min(n)).rev().take(limit).collect();
                        prop_assert_eq!(back.iter().map(|e| e.version).collect::<Vec<_>>(), expect);
                        for e in &back {
                            prop_assert_eq!(&e.payload, want[e.version as usize - 1].as_bytes());
                        }
                    }
                }
            }
            prop_assert!(s.verify_log().is_ok());
        }
    }
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

#[test]
fn stream_versions_of_streams_whose_names_prefix_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    let names = ["a", "ab", "a/b", "a\0", "b"];
    for (i, name) in names.iter().enumerate() {
        let events = (0..=i).map(|k| ev("x", &k.to_string())).collect();
        s.append(name, Expected::NoStream, events).unwrap();
    }
    // Later appends in other commits extend the same streams.
    s.append("a", Expected::Exact(1), vec![ev("x", "again")])
        .unwrap();
    let want = [2u64, 2, 3, 4, 5];
    for reopened in [false, true] {
        let s = if reopened {
            drop(s.clone());
            s.close();
            open(dir.path())
        } else {
            s.clone()
        };
        for (name, version) in names.iter().zip(want) {
            assert_eq!(s.stream_version(name).unwrap(), Some(version), "{name:?}");
        }
        for missing in ["aa", "a/", "c", "ab/"] {
            assert_eq!(s.stream_version(missing).unwrap(), None, "{missing:?}");
        }
        // A writer that did not see the versions (a new handle) still checks them.
        assert!(matches!(
            s.append("ab", Expected::Exact(1), vec![ev("x", "stale")]),
            Err(Error::Conflict {
                current: Some(2),
                ..
            })
        ));
    }
}

#[test]
fn log_bytes_left_unsaved_are_recounted_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let s = open(dir.path());
        // More commits than the counters' save cadence, so some are saved and some not.
        for i in 0..150 {
            s.append("a", Expected::Any, vec![ev("x", &format!("event {i}"))])
                .unwrap();
        }
        s.stats().unwrap().counters
    };
    assert!(before.log_stored_bytes > 150 * 10);
    // As if the process died right after an early save: counters as of entry 10.
    with_raw_db(dir.path(), |db| {
        let meta = db.cf_handle("meta").unwrap();
        let log = db.cf_handle("log").unwrap();
        let early: u64 = db
            .iterator_cf(log, rocksdb::IteratorMode::Start)
            .take(10)
            .map(|item| item.unwrap().1.len() as u64)
            .sum();
        let stale = mnemo::Counters {
            log_stored_bytes: early,
            ..before.clone()
        };
        db.put_cf(
            meta,
            b"stats/counters",
            postcard::to_stdvec(&stale).unwrap(),
        )
        .unwrap();
        db.put_cf(meta, b"stats/through", 10u64.to_be_bytes())
            .unwrap();
    });
    let s = open(dir.path());
    assert_eq!(s.stats().unwrap().counters, before);
    // And once more after appends that a clean close saves.
    s.append("a", Expected::Any, vec![ev("x", "one more")])
        .unwrap();
    let after = s.stats().unwrap().counters;
    assert!(after.log_stored_bytes > before.log_stored_bytes);
    s.close();
    assert_eq!(open(dir.path()).stats().unwrap().counters, after);
}
