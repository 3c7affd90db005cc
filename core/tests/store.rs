//! Integration tests of the store's public API on small inline transcripts.

use std::time::Duration;

use mnemo::{Error, Expected, Mnemo, Options, SessionFilter};

mod common;
use common::{open, AIDER};

#[test]
fn import_is_byte_exact_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let r = store
        .import_bytes("aider.chat.history.md", AIDER.as_bytes())
        .unwrap();
    assert_eq!(r.imported.len(), 2, "two aider sessions");
    assert_eq!(r.format, "aider-chat-history");
    // The whole file comes back byte-exact, and so does the concatenation of sessions.
    assert_eq!(store.export_source(&r.source_id).unwrap(), AIDER.as_bytes());
    let joined: Vec<u8> = r
        .imported
        .iter()
        .flat_map(|id| store.export_session(id).unwrap())
        .collect();
    assert_eq!(joined, AIDER.as_bytes());
    // Importing again stores nothing new.
    let again = store.import_bytes("copy.md", AIDER.as_bytes()).unwrap();
    assert!(again.imported.is_empty());
    assert_eq!(again.already_stored, 2);
    assert_eq!(store.stats().unwrap().counters.sessions, 2);
}

#[test]
fn sessions_read_back_with_messages() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let r = store.import_bytes("a.md", AIDER.as_bytes()).unwrap();
    let s = store.session(&r.imported[0]).unwrap();
    assert_eq!(s.info.source_tool, "aider");
    assert!(s.messages.iter().any(|m| m.text.contains("retry loop")));
    // A unique prefix resolves; a bad id is a typed error.
    let by_prefix = store.session(&r.imported[0][..8]).unwrap();
    assert_eq!(by_prefix.info.id, s.info.id);
    assert!(matches!(store.session("zz"), Err(Error::NotFound { .. })));
    assert!(matches!(store.session(""), Err(Error::NotFound { .. })));
    let listed = store.list_sessions(&SessionFilter::default()).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].started_at >= listed[1].started_at, "newest first");
    let only_cursor = SessionFilter {
        source_tool: Some("cursor".into()),
        ..Default::default()
    };
    assert!(store.list_sessions(&only_cursor).unwrap().is_empty());
}

#[test]
fn search_ranks_the_matching_session_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let r = store.import_bytes("a.md", AIDER.as_bytes()).unwrap();
    let hits = store
        .search("config loader", &SessionFilter::default(), 10)
        .unwrap();
    assert!(!hits.is_empty());
    assert_eq!(hits[0].session.id, r.imported[1]);
    assert!(hits[0].messages[0]
        .snippet
        .to_lowercase()
        .contains("config"));
    let hits = store
        .search("retry backoff", &SessionFilter::default(), 10)
        .unwrap();
    assert_eq!(hits[0].session.id, r.imported[0]);
    assert!(store
        .search("nonexistentword", &SessionFilter::default(), 10)
        .unwrap()
        .is_empty());
}

#[test]
fn unknown_format_is_typed_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.import_bytes("a.md", AIDER.as_bytes()).unwrap();
    let before = store.stats().unwrap().counters;
    match store.import_bytes("notes.txt", b"just some notes, not a transcript") {
        Err(Error::UnknownFormat { path }) => assert_eq!(path, std::path::Path::new("notes.txt")),
        other => panic!("expected UnknownFormat, got {other:?}"),
    }
    assert!(store
        .import_bytes("bin", &[0xff, 0x00, 0xfe, 0x12])
        .is_err());
    assert_eq!(store.stats().unwrap().counters, before);
}

#[test]
fn second_open_is_locked_and_close_releases() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    match Mnemo::open(dir.path(), Options::default()) {
        Err(Error::Locked { .. }) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
    store.close();
    assert!(matches!(store.stats(), Err(Error::Closed)));
    let reopened = open(dir.path());
    reopened.stats().unwrap();
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = open(dir.path());
        let r = store.import_bytes("a.md", AIDER.as_bytes()).unwrap();
        store.add_prompt("fix", "Fix {{bug}}").unwrap();
        r.imported[0].clone()
    };
    let store = open(dir.path());
    assert!(store.session(&id).is_ok());
    assert_eq!(store.prompt("fix", None).unwrap().version, 1);
    assert_eq!(store.stats().unwrap().counters.sessions, 2);
    // Sequence numbers continue after reopen.
    let before = store.last_seq();
    store.add_prompt("fix", "Fix {{bug}} now").unwrap();
    assert_eq!(store.last_seq(), before + 1);
}

#[test]
fn change_feed_reads_and_waits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.last_seq(), 0);
    let writer = store.clone();
    let t = std::thread::spawn(move || {
        writer.add_prompt("a", "one").unwrap();
        writer.add_prompt("a", "two").unwrap();
    });
    let mut sub = store.subscribe(1);
    let first = sub
        .next_timeout(Duration::from_secs(10))
        .unwrap()
        .expect("entry");
    let second = sub
        .next_timeout(Duration::from_secs(10))
        .unwrap()
        .expect("entry");
    t.join().unwrap();
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_eq!(first.stream, "prompt/a");
    assert_eq!((first.version, second.version), (1, 2));
    assert_eq!(first.kind, "prompt.added");
    assert!(sub
        .next_timeout(Duration::from_millis(10))
        .unwrap()
        .is_none());
    assert_eq!(store.read_log(2, 10).unwrap(), vec![second]);
    // Closing wakes a waiter with Closed.
    let waiter = store.clone();
    let t = std::thread::spawn(move || waiter.wait_for(100, Duration::from_secs(30)));
    std::thread::sleep(Duration::from_millis(50));
    store.close();
    assert!(matches!(t.join().unwrap(), Err(Error::Closed)));
}

#[test]
fn export_session_if_cached_answers_only_from_the_caches() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let r = store
        .import_bytes("aider.chat.history.md", AIDER.as_bytes())
        .unwrap();
    let id = &r.imported[0];
    let bytes = store.export_session(id).unwrap();
    assert_eq!(store.export_session_if_cached(id).unwrap(), bytes);
    assert_eq!(
        store
            .export_session_if_cached(&id.to_ascii_uppercase())
            .unwrap(),
        bytes,
        "a full id in either case"
    );
    assert!(
        store.export_session_if_cached(&id[..8]).is_none(),
        "a prefix needs the store"
    );
    assert!(store.export_session_if_cached("not an id").is_none());
    let other = &r.imported[1];
    assert!(
        store.export_session_if_cached(other).is_none(),
        "never read"
    );
    assert_eq!(
        store.export_session(other).unwrap().len(),
        store.export_session_if_cached(other).unwrap().len()
    );
    store.close();
    assert!(store.export_session_if_cached(id).is_none(), "closed");
}

#[test]
fn feed_waiters_wake_for_every_commit() {
    // The writer commits only once every waiter has seen its last commit, so a waiter starts
    // waiting sometimes before and sometimes after the commit it waits for; a lost wake
    // leaves it asleep (until its 60 s timeout) and the writer gives up after 30 s.
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_unsynced(dir.path());
    const COMMITS: u64 = 300;
    const WAITERS: usize = 3;
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<u64>();
    for _ in 0..WAITERS {
        let (store, seen_tx) = (store.clone(), seen_tx.clone());
        std::thread::spawn(move || {
            let mut seen = 0;
            while seen < COMMITS {
                seen = store.wait_for(seen, Duration::from_secs(60)).unwrap();
                seen_tx.send(seen).unwrap();
            }
        });
    }
    for commit in 1..=COMMITS {
        store
            .append(
                "ticks",
                Expected::Any,
                vec![mnemo::EventData::new("tick", &b""[..])],
            )
            .unwrap();
        for _ in 0..WAITERS {
            let seen = seen_rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("a waiter missed commit {commit}"));
            assert_eq!(seen, commit);
        }
    }
}

#[test]
#[cfg(feature = "tokio")]
fn async_change_feed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut sub = store.subscribe(1);
        let writer = store.clone();
        let w = tokio::task::spawn_blocking(move || writer.add_prompt("x", "body").unwrap());
        let e = sub.next_async().await.unwrap();
        assert_eq!(e.kind, "prompt.added");
        w.await.unwrap();
    });
}

#[test]
fn expected_version_display() {
    assert_eq!(Expected::Exact(3).to_string(), "3");
    assert_eq!(Expected::NoStream.to_string(), "no stream");
}

#[test]
fn handle_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Mnemo>();
}

#[test]
fn values_stay_readable_across_dictionary_generations() {
    let dir = tempfile::tempdir().unwrap();
    // A low training threshold so the first dictionary is trained on this small input.
    let options = || Options {
        dictionary_training_bytes: 2 << 10,
        ..Options::default()
    };
    let mut files = Vec::new();
    {
        let store = Mnemo::open(dir.path(), options()).unwrap();
        for i in 0..40 {
            let text = AIDER
                .replace("2025-03-01", &format!("2025-03-{:02}", i % 28 + 1))
                .replace("fetch_data", &format!("fetch_data_{i}"));
            let r = store
                .import_bytes(format!("f{i}.md"), text.as_bytes())
                .unwrap();
            files.push((r.source_id, text));
        }
        store.flush().unwrap(); // waits for background dictionary training
        assert!(
            store.stats().unwrap().dictionaries >= 1,
            "first dictionary trained"
        );
        let trained = store.retrain_dictionaries().unwrap();
        assert!(!trained.is_empty(), "retraining produced new dictionaries");
        let before = store.stats().unwrap().dictionaries;
        let text = AIDER.replace("fetch_data", "fetch_after_retrain");
        let r = store.import_bytes("after.md", text.as_bytes()).unwrap();
        files.push((r.source_id, text));
        assert_eq!(store.stats().unwrap().dictionaries, before);
    }
    // Reopen: values written under every dictionary generation read back byte-exact.
    let store = Mnemo::open(dir.path(), options()).unwrap();
    for (id, text) in &files {
        assert_eq!(store.export_source(id).unwrap(), text.as_bytes());
    }
}

#[test]
fn last_seq_never_goes_backwards_under_concurrent_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_unsynced(dir.path());
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let s = store.clone();
            std::thread::spawn(move || {
                let mut seen = 0;
                for i in 0..50 {
                    s.add_prompt(&format!("p{t}"), &format!("v{i}")).unwrap();
                    let now = s.last_seq();
                    assert!(now >= seen, "last_seq went from {seen} to {now}");
                    seen = now;
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(store.last_seq(), 200);
}

#[test]
fn every_session_read_accepts_a_full_id_in_either_case_or_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let r = store.import_bytes("a.md", AIDER.as_bytes()).unwrap();
    let id = &r.imported[1];
    let forms = [id.clone(), id.to_ascii_uppercase(), id[..6].to_string()];
    for form in &forms {
        assert_eq!(store.session(form).unwrap().info.id, *id, "{form}");
        assert_eq!(store.session_info(form).unwrap().id, *id, "{form}");
        assert_eq!(
            store.export_session(form).unwrap(),
            store.export_session(id).unwrap()
        );
        assert_eq!(store.session_source(form).unwrap(), r.source_id);
    }
    // A full id that is not stored, and a 32-character non-hex string: NotFound naming it.
    let unknown = "0".repeat(32);
    let not_hex = format!("{}zz", &id[..30]);
    for bad in [&unknown, &not_hex] {
        for result in [
            store.session(bad).map(|_| ()),
            store.session_info(bad).map(|_| ()),
            store.export_session(bad).map(|_| ()),
            store.session_source(bad).map(|_| ()),
        ] {
            match result {
                Err(Error::NotFound { kind, key }) => {
                    assert_eq!((kind, key.as_str()), ("session", bad.as_str()))
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}

#[test]
fn repeated_exports_stay_byte_exact_and_a_closed_store_answers_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let r = store.import_bytes("a.md", AIDER.as_bytes()).unwrap();
    let clone = store.clone();
    for _ in 0..3 {
        // The first read of each session fills the handle's session cache, shared by clones.
        let joined: Vec<u8> = r
            .imported
            .iter()
            .flat_map(|id| clone.export_session(id).unwrap())
            .collect();
        assert_eq!(joined, AIDER.as_bytes());
        for id in &r.imported {
            assert_eq!(store.session_source(id).unwrap(), r.source_id);
        }
    }
    store.close();
    for id in &r.imported {
        assert!(matches!(clone.export_session(id), Err(Error::Closed)));
        assert!(matches!(clone.session_source(id), Err(Error::Closed)));
        assert!(matches!(clone.export_session(&id[..5]), Err(Error::Closed)));
    }
    // Reopened (a new, empty cache), the store reads the same bytes.
    let store = open(dir.path());
    assert_eq!(store.export_source(&r.source_id).unwrap(), AIDER.as_bytes());
    assert!(matches!(clone.session(&r.imported[0]), Err(Error::Closed)));
}

#[test]
fn search_index_is_a_rebuildable_projection() {
    use mnemo::search::{SearchIndex, SEARCH_INDEX};
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .import_bytes("aider.chat.history.md", AIDER.as_bytes())
        .unwrap();
    // A search right after an import sees it: the index is caught up first.
    let before = store
        .search("config loader", &SessionFilter::default(), 10)
        .unwrap();
    assert_eq!(before.len(), 1);
    let status = store.projection_status(SEARCH_INDEX).unwrap();
    assert_eq!(status.lag(), 0, "{status:?}");
    assert!(store.stats().unwrap().counters.tokens > 0);
    // Rebuilt blue-green from the log: a new generation answers the same.
    let rebuilt = store
        .rebuild_projection(&mut SearchIndex::default())
        .unwrap();
    assert_eq!(rebuilt.generation, status.generation + 1);
    assert!(rebuilt.rebuilding.is_none());
    let after = store
        .search("config loader", &SessionFilter::default(), 10)
        .unwrap();
    assert_eq!(
        before.iter().map(|r| &r.session.id).collect::<Vec<_>>(),
        after.iter().map(|r| &r.session.id).collect::<Vec<_>>()
    );
    assert!(store
        .projections()
        .unwrap()
        .iter()
        .any(|p| p.name == SEARCH_INDEX));
}

#[test]
fn dropping_the_last_handle_closes_while_indexing_runs() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..5 {
        let store = open(dir.path());
        let text = AIDER.replace("client.py", &format!("client{round}.py"));
        store.import_bytes("a.md", text.as_bytes()).unwrap();
        // The background indexer may still be at work: the directory must be free anyway.
        drop(store);
    }
    let store = open(dir.path());
    // Every import is searchable after reopening, indexed or not when the store closed.
    let hits = store
        .search("client3", &SessionFilter::default(), 10)
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(store.update_search_index().unwrap().lag(), 0);
}

#[test]
fn the_background_indexer_catches_up_without_a_search() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for i in 0..3 {
        let text = AIDER.replace("client.py", &format!("client_bg{i}.py"));
        store.import_bytes("a.md", text.as_bytes()).unwrap();
    }
    let head = store.last_seq();
    // No search, no `update_search_index`: the indexer woken by the imports gets there on
    // its own (a liveness check; the bound is generous, not a timing).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        // Not found until the indexer's first page records its state.
        let at = match store.projection_status(mnemo::search::SEARCH_INDEX) {
            Ok(status) => status.checkpoint,
            Err(Error::NotFound { .. }) => 0,
            Err(e) => panic!("status: {e}"),
        };
        if at >= head {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the indexer stayed at {at} of {head}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
