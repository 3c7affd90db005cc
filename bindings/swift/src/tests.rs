//! Rust-side tests of the exported API (the same calls the generated Kotlin and Swift make,
//! minus the FFI): argument and result conversion and error mapping on a real store.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use super::*;

const AIDER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/transcripts/aider/aider.chat.history.md"
);

fn open() -> (tempfile::TempDir, Arc<MnemoStore>) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = default_store_options();
    options.sync_writes = false;
    let store =
        MnemoStore::open_with_options(dir.path().to_string_lossy().into_owned(), options).unwrap();
    (dir, store)
}

#[test]
fn sessions_prompts_and_errors() {
    let (dir, store) = open();
    let bytes = std::fs::read(AIDER).unwrap();
    let imported = store
        .import_bytes("aider.chat.history.md".into(), bytes.clone())
        .unwrap();
    assert_eq!(imported.format, "aider-chat-history");
    assert!(!imported.imported.is_empty());

    let sessions = store.list_sessions(None).unwrap();
    assert_eq!(sessions.len(), imported.imported.len());
    let limited = store
        .list_sessions(Some(SessionFilter {
            limit: Some(1),
            ..Default::default()
        }))
        .unwrap();
    assert_eq!(limited.len(), 1);
    let session = store.session(sessions[0].id.clone()).unwrap();
    assert_eq!(session.messages.len() as u32, session.info.message_count);
    assert_eq!(store.export_source(imported.source_id).unwrap(), bytes);

    assert!(matches!(
        store.session("ffffffffffff".into()),
        Err(MnemoError::NotFound(_))
    ));
    assert!(matches!(
        MnemoStore::open(dir.path().to_string_lossy().into_owned()),
        Err(MnemoError::Locked(_))
    ));

    store
        .add_prompt("review".into(), "Review {{file}} for {{concern}}".into())
        .unwrap();
    let values = HashMap::from([
        ("file".to_string(), "db.rs".to_string()),
        ("concern".to_string(), "races".to_string()),
    ]);
    assert_eq!(
        store.render_prompt("review".into(), None, values).unwrap(),
        "Review db.rs for races"
    );
    let missing = HashMap::from([("file".to_string(), "db.rs".to_string())]);
    match store.render_prompt("review".into(), None, missing) {
        Err(MnemoError::MissingVariable(m)) => assert!(m.contains("concern"), "{m}"),
        other => panic!("expected MissingVariable, got {other:?}"),
    }

    store.close_store();
    assert!(matches!(store.stats(), Err(MnemoError::Closed(_))));
}

#[test]
fn events_feed_and_projections() {
    let (_dir, store) = open();
    let event = |kind: &str| EventData {
        kind: kind.into(),
        payload: b"{}".to_vec(),
        metadata: Vec::new(),
        schema: 1,
    };
    let first = store
        .append(
            "orders/1".into(),
            ExpectedVersion::NoStream,
            vec![event("order.placed")],
        )
        .unwrap();
    assert_eq!(first.version, 1);
    assert!(matches!(
        store.append(
            "orders/1".into(),
            ExpectedVersion::NoStream,
            vec![event("order.placed")]
        ),
        Err(MnemoError::Conflict(_))
    ));
    store
        .append(
            "orders/1".into(),
            ExpectedVersion::Exact { version: 1 },
            vec![event("order.paid")],
        )
        .unwrap();
    let stream = store
        .read_stream("orders/1".into(), 1, ReadDirection::Forward, 10)
        .unwrap();
    assert_eq!(
        stream.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["order.placed", "order.paid"]
    );
    assert_eq!(stream[0].hash.len(), 32);

    let sub = store.subscribe(1);
    assert_eq!(sub.next(1000).unwrap().unwrap().seq, 1);
    assert_eq!(sub.next(1000).unwrap().unwrap().seq, 2);
    assert_eq!(sub.next(10).unwrap(), None);

    let status = store.run_projection("event-counts".into()).unwrap();
    assert_eq!(status.checkpoint, 2);
    let count = store
        .view("event-counts".into())
        .get(b"order.paid".to_vec())
        .unwrap();
    assert_eq!(count, Some(1u64.to_be_bytes().to_vec()));
    assert!(matches!(
        store.run_projection("mine".into()),
        Err(MnemoError::NotFound(_))
    ));
    assert_eq!(store.verify_log().unwrap().entries, 2);

    // The push feed delivers live entries, then reports the close.
    struct Listener(mpsc::Sender<Result<u64, Option<ErrorInfo>>>);
    impl LogListener for Listener {
        fn on_entry(&self, entry: LogEntry) -> bool {
            self.0.send(Ok(entry.seq)).is_ok()
        }
        fn on_end(&self, error: Option<ErrorInfo>) {
            let _ = self.0.send(Err(error));
        }
    }
    let (tx, rx) = mpsc::channel();
    let watch = store
        .watch(
            SubscribeOptions {
                from: Some(3),
                ..Default::default()
            },
            Box::new(Listener(tx)),
        )
        .unwrap();
    store
        .append(
            "orders/2".into(),
            ExpectedVersion::AnyVersion,
            vec![event("order.placed")],
        )
        .unwrap();
    let wait = Duration::from_secs(10);
    assert_eq!(rx.recv_timeout(wait).unwrap(), Ok(3));
    store.close_store();
    match rx.recv_timeout(wait).unwrap() {
        Err(Some(e)) => assert_eq!(e.code, "closed"),
        other => panic!("expected the end of the watch, got {other:?}"),
    }
    watch.stop();
    assert!(!watch.is_running());
    assert!(matches!(sub.next(10), Err(MnemoError::Closed(_))));
}

/// Counts events per stream; fails on payload "boom" while `broken` is set.
struct PerStream(std::sync::atomic::AtomicBool);

impl HostProjection for PerStream {
    fn apply(&self, event: LogEntry, view: Arc<ViewBatch>) -> Result<(), CallbackError> {
        let key = event.stream.into_bytes();
        let n = view
            .get(key.clone())
            .unwrap()
            .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
        view.put(key, (n + 1).to_be_bytes().to_vec()).unwrap();
        if event.payload == b"boom" && self.0.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CallbackError::Failed {
                reason: "cannot handle boom".into(),
            });
        }
        Ok(())
    }
}

#[test]
fn host_projections_upcasters_and_async_calls() {
    let (_dir, store) = open();
    let event = |kind: &str, payload: &str| EventData {
        kind: kind.into(),
        payload: payload.as_bytes().to_vec(),
        metadata: Vec::new(),
        schema: 1,
    };
    store
        .append_many(vec![
            AppendBatch {
                stream: "carts/1".into(),
                expected: ExpectedVersion::AnyVersion,
                events: vec![event("add", "a"), event("add", "boom")],
            },
            AppendBatch {
                stream: "other".into(),
                expected: ExpectedVersion::AnyVersion,
                events: vec![event("add", "x")],
            },
        ])
        .unwrap();
    let filter = || {
        Some(EventFilter {
            stream_prefix: Some("carts/".into()),
            kinds: vec![],
        })
    };
    let p = Arc::new(PerStream(true.into()));
    struct Shared(Arc<PerStream>);
    impl HostProjection for Shared {
        fn apply(&self, event: LogEntry, view: Arc<ViewBatch>) -> Result<(), CallbackError> {
            self.0.apply(event, view)
        }
    }
    match store.run_host_projection("carts".into(), Box::new(Shared(p.clone())), filter()) {
        Err(MnemoError::ProjectionFailed(m)) => assert!(m.contains("cannot handle boom"), "{m}"),
        other => panic!("expected ProjectionFailed, got {other:?}"),
    }
    let status = store.projection_status("carts".into()).unwrap();
    assert_eq!((status.checkpoint, status.error.unwrap().seq), (1, 2));
    let view = store.view("carts".into());
    assert_eq!(
        view.get(b"carts/1".to_vec()).unwrap(),
        Some(1u64.to_be_bytes().to_vec())
    );
    p.0.store(false, std::sync::atomic::Ordering::SeqCst);
    let status = store
        .run_host_projection("carts".into(), Box::new(Shared(p.clone())), filter())
        .unwrap();
    assert_eq!((status.lag, status.error), (0, None));
    assert_eq!(
        view.get(b"carts/1".to_vec()).unwrap(),
        Some(2u64.to_be_bytes().to_vec())
    );
    assert_eq!(view.get(b"other".to_vec()).unwrap(), None);

    struct Suffix;
    impl Upcaster for Suffix {
        fn upcast(&self, payload: Vec<u8>) -> Result<Vec<u8>, CallbackError> {
            Ok([payload, b"+v2".to_vec()].concat())
        }
    }
    store.register_upcaster("add".into(), 1, Box::new(Suffix));
    let read = store
        .read_stream("carts/1".into(), 1, ReadDirection::Forward, 1)
        .unwrap();
    assert_eq!(
        (read[0].schema, read[0].payload.as_slice()),
        (2, &b"a+v2"[..])
    );

    // The async forms, polled by an executor that is not the library's runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let appended = store
            .clone()
            .append_async(
                "jobs/1".into(),
                ExpectedVersion::NoStream,
                vec![event("queued", "1")],
            )
            .await
            .unwrap();
        let sub = store.subscribe(appended.last_seq);
        assert_eq!(sub.next_async().await.unwrap().stream, "jobs/1");
        let last = store.last_seq();
        assert_eq!(store.clone().wait_for_async(last, 10).await.unwrap(), last);
        let waiting = tokio::spawn({
            let sub = sub.clone();
            async move { sub.next_async().await }
        });
        store
            .clone()
            .append_async(
                "jobs/2".into(),
                ExpectedVersion::AnyVersion,
                vec![event("queued", "2")],
            )
            .await
            .unwrap();
        assert_eq!(waiting.await.unwrap().unwrap().stream, "jobs/2");
        store.close_store();
        assert!(matches!(sub.next_async().await, Err(MnemoError::Closed(_))));
        assert!(matches!(
            store.clone().stats_async().await,
            Err(MnemoError::Closed(_))
        ));
    });
}

#[test]
fn context_views_rebuild_and_aggregate_loads() {
    let (_dir, store) = open();
    store
        .import_bytes(
            "aider.chat.history.md".into(),
            std::fs::read(AIDER).unwrap(),
        )
        .unwrap();
    let sessions = store.list_sessions(None).unwrap();
    let report = store.rebuild_context_views().unwrap();
    assert_eq!(report.generation, 1);
    assert_eq!(report.sessions, sessions.len() as u64);
    let status = store.rebuild_projection("context-views".into()).unwrap();
    assert_eq!(status.generation, 2);
    assert_eq!(store.list_sessions(None).unwrap(), sessions);
    assert_eq!(store.update_search_index().unwrap().lag, 0);

    let added = EventData {
        kind: "added".into(),
        payload: Vec::new(),
        metadata: Vec::new(),
        schema: 1,
    };
    let empty = store.snapshot_and_tail("cart".into()).unwrap();
    assert_eq!(
        (empty.snapshot, empty.events.len(), empty.version),
        (None, 0, 0)
    );
    for _ in 0..3 {
        store
            .append(
                "cart".into(),
                ExpectedVersion::AnyVersion,
                vec![added.clone()],
            )
            .unwrap();
    }
    assert!(!store.snapshot_due("cart".into(), 3, 5).unwrap());
    store
        .save_snapshot("cart".into(), 2, b"2".to_vec())
        .unwrap();
    let load = store.snapshot_and_tail("cart".into()).unwrap();
    assert_eq!(load.snapshot.map(|s| s.version), Some(2));
    assert_eq!(
        load.events.iter().map(|e| e.version).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(load.version, 3);
}
