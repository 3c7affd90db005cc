//! Host projections on the event store (exactly-once, failure and resume, blue-green
//! rebuild; run by the core or page by page by host code), snapshots and upcasters.

mod common;

use common::{ev, open};
use mnemo::events::projection::{Projection, ViewBatch};
use mnemo::events::snapshot::Aggregate;
use mnemo::{Error, EventData, EventFilter, Expected, LogEntry, Mnemo, ReadDirection};

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
