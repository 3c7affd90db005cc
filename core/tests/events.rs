//! The event store on host streams: appends with optimistic concurrency, stream and log
//! reads, subscriptions with checkpoints, counters of host events. Projections, snapshots
//! and upcasters are in `projections.rs`, the hash chain in `log_integrity.rs`.

mod common;

use std::time::Duration;

use common::{ev, open, with_raw_db};
use mnemo::{
    Error, EventData, EventFilter, Expected, LogEntry, Mnemo, Options, ReadDirection,
    SubscribeOptions,
};

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
