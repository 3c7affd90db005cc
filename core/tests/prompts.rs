//! Integration tests of prompt templates and workflows through the public API: versions,
//! labels, rendering, concurrent writers, and the prompt read cache never serving what a
//! completed write replaced.

use std::collections::BTreeMap;

use mnemo::{Error, Expected, WorkflowStep};

mod common;
use common::{open, AIDER};

#[test]
fn prompts_version_label_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let v1 = store
        .add_prompt("review", "Review {{file}} for {{concern}}.")
        .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.variables, ["file", "concern"]);
    let v2 = store
        .add_prompt("review", "Review {{file}} carefully for {{concern}}.")
        .unwrap();
    assert_eq!(v2.version, 2);
    store.label_prompt("review", "production", 1).unwrap();
    assert_eq!(
        store.prompt("review", Some("production")).unwrap().version,
        1
    );
    assert_eq!(store.prompt("review", None).unwrap().version, 2);
    assert_eq!(store.prompt("review", Some("latest")).unwrap().version, 2);
    assert_eq!(store.prompt("review", Some("1")).unwrap().body, v1.body);
    let labels = store.prompt_labels("review").unwrap();
    assert_eq!(labels.get("production"), Some(&1));
    assert_eq!(labels.get("latest"), Some(&2));
    let mut values = BTreeMap::new();
    values.insert("file".to_string(), "lib.rs".to_string());
    match store.render_prompt("review", None, &values) {
        Err(Error::MissingVariable { name }) => assert_eq!(name, "concern"),
        other => panic!("expected MissingVariable, got {other:?}"),
    }
    values.insert("concern".to_string(), "races".to_string());
    assert_eq!(
        store
            .render_prompt("review", Some("production"), &values)
            .unwrap(),
        "Review lib.rs for races."
    );
    assert!(matches!(
        store.label_prompt("review", "production", 9),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.prompt("review", Some("staging")),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.add_prompt("", "x"),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        store.add_prompt("bad", "{{oops"),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(store.prompt_names().unwrap(), ["review"]);
}

#[test]
fn concurrent_prompt_versions_are_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let s = store.clone();
            std::thread::spawn(move || s.add_prompt("p", &format!("body {i}")).unwrap().version)
        })
        .collect();
    let mut versions: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    versions.sort();
    assert_eq!(versions, (1..=8).collect::<Vec<_>>());
}

#[test]
fn versions_stay_distinct_while_labels_and_adds_interleave_across_threads() {
    // Labels move a template's stream without a new version; the version a writer remembers
    // for the next add must follow, and a stale one may only cost a retry.
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_unsynced(dir.path());
    let handles: Vec<_> = (0..6)
        .map(|t| {
            let s = store.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..60 {
                    let name = format!("p{}", i % 3);
                    let added = s.add_prompt(&name, &format!("body {t} {i}")).unwrap();
                    // Read right after the add (through the cache it may have filled): never
                    // older than what this thread just added.
                    let read = s.prompt(&name, None).unwrap();
                    assert!(
                        read.version >= added.version,
                        "{name}: {read:?} after {added:?}"
                    );
                    if i % 4 == 0 {
                        s.label_prompt(&name, &format!("t{t}"), added.version)
                            .unwrap();
                    }
                    mine.push((name, added.version));
                }
                mine
            })
        })
        .collect();
    let mut by_name: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    for h in handles {
        for (name, v) in h.join().unwrap() {
            by_name.entry(name).or_default().push(v);
        }
    }
    for (name, mut versions) in by_name {
        versions.sort();
        let n = versions.len() as u32;
        assert_eq!(versions, (1..=n).collect::<Vec<_>>(), "{name}");
        assert_eq!(store.prompt(&name, None).unwrap().version, n);
        assert_eq!(store.prompt_versions(&name).unwrap().len(), n as usize);
    }
    // After a reopen (nothing remembered) the next version follows on.
    let path = dir.path().to_path_buf();
    store.close();
    drop(store);
    let store = common::open_unsynced(&path);
    assert_eq!(store.add_prompt("p0", "again").unwrap().version, 121);
    store.label_prompt("p0", "x", 3).unwrap();
    assert_eq!(store.add_prompt("p0", "and again").unwrap().version, 122);
    assert_eq!(store.prompt("p0", None).unwrap().body, "and again");
}

#[test]
fn prompt_if_cached_answers_only_what_the_cache_holds_valid() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert!(
        store.prompt_if_cached("p", None).is_none(),
        "nothing stored"
    );
    store.add_prompt("p", "one {{x}}").unwrap();
    store.add_prompt("q", "other").unwrap();
    // The version just added is cached as the newest.
    assert_eq!(store.prompt_if_cached("p", None).unwrap().body, "one {{x}}");
    assert!(
        store.prompt_if_cached("p", Some("1")).is_none(),
        "never read by number"
    );
    assert_eq!(store.prompt("p", Some("1")).unwrap().version, 1);
    assert_eq!(store.prompt_if_cached("p", Some("1")).unwrap().version, 1);
    // Moving a label leaves what it now names cached for reads by that label; moving
    // another label of the template drops it, and leaves the newest version and version
    // numbers cached.
    store.label_prompt("p", "production", 1).unwrap();
    assert_eq!(
        store.prompt_if_cached("p", Some("production")).unwrap(),
        store.prompt("p", Some("1")).unwrap()
    );
    store.label_prompt("p", "staging", 1).unwrap();
    assert!(store.prompt_if_cached("p", Some("production")).is_none());
    assert_eq!(store.prompt("p", Some("production")).unwrap().version, 1);
    assert_eq!(
        store.prompt_if_cached("p", Some("production")).unwrap(),
        store.prompt("p", Some("production")).unwrap()
    );
    assert_eq!(
        store
            .prompt_if_cached("p", Some("staging"))
            .unwrap()
            .version,
        1
    );
    assert_eq!(store.prompt_if_cached("p", None).unwrap().version, 1);
    assert_eq!(store.prompt_if_cached("p", Some("1")).unwrap().version, 1);
    // A label spelled as a number is stored, but a read by that text names a version: the
    // label's move leaves nothing under it in the cache.
    store.label_prompt("p", "7", 1).unwrap();
    assert!(store.prompt_if_cached("p", Some("7")).is_none());
    assert!(matches!(
        store.prompt("p", Some("7")),
        Err(Error::NotFound { .. })
    ));
    // A new version drops the cached newest (and version numbers), not the labels.
    assert_eq!(store.prompt("p", Some("staging")).unwrap().version, 1);
    let v2 = store.add_prompt("p", "two").unwrap();
    assert!(store.prompt_if_cached("p", Some("1")).is_none());
    assert_eq!(
        store
            .prompt_if_cached("p", Some("staging"))
            .unwrap()
            .version,
        1
    );
    assert_eq!(store.prompt_if_cached("p", None).unwrap(), v2);
    assert_eq!(store.prompt_if_cached("p", Some("latest")).unwrap(), v2);
    store.close();
    assert!(store.prompt_if_cached("p", None).is_none(), "closed");
}

#[test]
fn workflows_reference_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .add_prompt("plan", "Plan the change to {{file}}")
        .unwrap();
    store
        .add_prompt("test", "Write tests for {{file}}")
        .unwrap();
    let step = |name: &str, prompt: &str| WorkflowStep {
        name: name.into(),
        prompt: prompt.into(),
        prompt_ref: None,
        values: BTreeMap::new(),
    };
    let w = store
        .add_workflow("feature", vec![step("plan", "plan"), step("test", "test")])
        .unwrap();
    assert_eq!(w.version, 1);
    let mut values = BTreeMap::new();
    values.insert("file".to_string(), "db.rs".to_string());
    let rendered = store.render_workflow("feature", None, &values).unwrap();
    assert_eq!(rendered.len(), 2);
    assert_eq!(rendered[1].text, "Write tests for db.rs");
    assert!(matches!(
        store.add_workflow("broken", vec![step("a", "missing")]),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.add_workflow("dup", vec![step("a", "plan"), step("a", "test")]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        store.workflow("feature", Some(5)),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn latest_prompt_among_many_versions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_prompt("a", "first").unwrap();
    for i in 0..300 {
        store.add_prompt("ab", &format!("v{i}")).unwrap();
    }
    store.add_prompt("b", "other").unwrap();
    // "a" must not see "ab"'s versions, and latest is one reverse seek.
    assert_eq!(store.prompt("a", None).unwrap().version, 1);
    assert_eq!(store.prompt("ab", None).unwrap().body, "v299");
    assert_eq!(store.prompt_labels("ab").unwrap()["latest"], 300);
    assert!(!store.is_closed());
    store.close();
    assert!(store.is_closed());
}

#[test]
fn repeated_prompt_reads_see_every_completed_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_prompt("review", "v1 {{file}}").unwrap();
    for _ in 0..3 {
        assert_eq!(store.prompt("review", None).unwrap().version, 1);
    }
    // A new version, a moved label, and the label's old target read again.
    store.add_prompt("review", "v2 {{file}}").unwrap();
    assert_eq!(store.prompt("review", None).unwrap().body, "v2 {{file}}");
    assert_eq!(store.prompt("review", Some("latest")).unwrap().version, 2);
    store.label_prompt("review", "production", 1).unwrap();
    assert_eq!(
        store.prompt("review", Some("production")).unwrap().version,
        1
    );
    assert_eq!(
        store.prompt("review", Some("production")).unwrap().version,
        1
    );
    store.label_prompt("review", "production", 2).unwrap();
    assert_eq!(
        store.prompt("review", Some("production")).unwrap().version,
        2
    );
    assert_eq!(store.prompt("review", Some("1")).unwrap().version, 1);
    // An empty selector is a label that does not exist, not the newest version, cached or not.
    for _ in 0..2 {
        assert_eq!(store.prompt("review", None).unwrap().version, 2);
        assert!(matches!(
            store.prompt("review", Some("")),
            Err(Error::NotFound { kind: "label", .. })
        ));
    }
    let mut values = BTreeMap::new();
    values.insert("file".to_string(), "a.rs".to_string());
    assert_eq!(
        store.render_prompt("review", None, &values).unwrap(),
        "v2 a.rs"
    );
    // Unrelated writes change nothing.
    store.import_bytes("a.md", AIDER.as_bytes()).unwrap();
    assert_eq!(store.prompt("review", None).unwrap().version, 2);
    store.close();
    assert!(matches!(store.prompt("review", None), Err(Error::Closed)));
}

#[test]
fn prompt_reads_racing_a_writer_never_go_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_unsynced(dir.path());
    store.add_prompt("hot", "v").unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<u32>();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            let mut last = 0;
            let mut done = None;
            loop {
                let v = store.prompt("hot", None).unwrap().version;
                assert!(v >= last, "read version {v} after {last}");
                last = v;
                // Once the writer reports a completed add, every later read sees it.
                while let Ok(added) = rx.try_recv() {
                    let now = store.prompt("hot", None).unwrap().version;
                    assert!(now >= added, "read {now} after {added} was added");
                    done = Some(added);
                }
                if done == Some(200) {
                    return last;
                }
            }
        })
    };
    for _ in 2..=200 {
        let t = store.add_prompt("hot", "v").unwrap();
        tx.send(t.version).unwrap();
    }
    let last = reader.join().unwrap();
    assert!(last <= 200);
    assert_eq!(store.prompt("hot", None).unwrap().version, 200);
}

#[test]
fn label_reads_racing_a_writer_never_go_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_unsynced(dir.path());
    for _ in 0..100 {
        store.add_prompt("hot", "v").unwrap();
    }
    store.label_prompt("hot", "prod", 1).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<u32>();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            let mut last = 0;
            loop {
                let v = store.prompt("hot", Some("prod")).unwrap().version;
                assert!(v >= last, "label read version {v} after {last}");
                last = v;
                // Once the writer reports a completed move, every later read sees it.
                while let Ok(moved) = rx.try_recv() {
                    let now = store.prompt("hot", Some("prod")).unwrap().version;
                    assert!(now >= moved, "read {now} after the label moved to {moved}");
                    if moved == 100 {
                        return;
                    }
                }
            }
        })
    };
    for v in 2..=100 {
        store.label_prompt("hot", "prod", v).unwrap();
        tx.send(v).unwrap();
        // Moving a label leaves the newest version as it was.
        assert_eq!(store.prompt("hot", None).unwrap().version, 100);
    }
    reader.join().unwrap();
}

#[test]
fn a_cached_prompt_never_outlives_a_write_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.add_prompt("p", "first {{x}}").unwrap();
    assert_eq!(store.prompt("p", None).unwrap().version, 1);
    // Host events leave the views alone: the cached template is still the answer.
    for _ in 0..3 {
        store
            .append(
                "host-stream",
                Expected::Any,
                vec![mnemo::EventData::new("noted", &b"{}"[..])],
            )
            .unwrap();
        assert_eq!(store.prompt("p", None).unwrap().body, "first {{x}}");
    }
    // Every write to the template shows at once, through the same cache.
    store.add_prompt("p", "second {{x}}").unwrap();
    assert_eq!(store.prompt("p", None).unwrap().body, "second {{x}}");
    store.label_prompt("p", "production", 1).unwrap();
    assert_eq!(store.prompt("p", Some("production")).unwrap().version, 1);
    store.label_prompt("p", "production", 2).unwrap();
    assert_eq!(store.prompt("p", Some("production")).unwrap().version, 2);
    // A rebuild switches readers to rows it wrote afresh: the answers stay the same.
    store.rebuild_context_views().unwrap();
    assert_eq!(store.prompt("p", Some("production")).unwrap().version, 2);
    store.add_prompt("p", "third {{x}}").unwrap();
    assert_eq!(store.prompt("p", None).unwrap().version, 3);
}

#[test]
fn writes_to_some_templates_leave_no_other_template_stale() {
    // More names than the cache has epoch stripes: some share a stripe, most do not, and
    // either way every read answers each template's newest version.
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let names: Vec<String> = (0..600).map(|i| format!("t{i}")).collect();
    for n in &names {
        store.add_prompt(n, "v {{x}}").unwrap();
    }
    let mut versions = vec![1u32; names.len()];
    for round in 0..4 {
        for (n, v) in names.iter().zip(&versions) {
            assert_eq!(store.prompt(n, None).unwrap().version, *v, "{n}");
        }
        for i in (round..names.len()).step_by(7) {
            store.add_prompt(&names[i], "next {{x}}").unwrap();
            versions[i] += 1;
        }
    }
    for (n, v) in names.iter().zip(&versions) {
        assert_eq!(store.prompt(n, None).unwrap().version, *v, "{n}");
    }
}

#[test]
fn a_label_moved_by_racing_threads_is_read_where_it_last_went() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_unsynced(dir.path());
    for _ in 0..4 {
        store.add_prompt("hot", "v").unwrap();
    }
    // 1,500 rounds of two threads moving the same label at once. A move leaves its target in the
    // cache only when no other move came in between, so once a round is over the cached
    // read by label is where the label went last (the store's label row says where).
    for round in 0..1500u32 {
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let movers: Vec<_> = (0..2u32)
            .map(|t| {
                let (store, start) = (store.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for i in 0..3u32 {
                        store
                            .label_prompt("hot", "prod", 1 + (round + t * 2 + i) % 4)
                            .unwrap();
                    }
                })
            })
            .collect();
        for m in movers {
            m.join().unwrap();
        }
        let truth = store.prompt_labels("hot").unwrap()["prod"];
        assert_eq!(
            store.prompt("hot", Some("prod")).unwrap().version,
            truth,
            "round {round}"
        );
    }
    // A fresh handle (nothing cached) agrees.
    let truth = store.prompt_labels("hot").unwrap()["prod"];
    let path = dir.path().to_path_buf();
    store.close();
    drop(store);
    let store = common::open_unsynced(&path);
    assert_eq!(store.prompt("hot", Some("prod")).unwrap().version, truth);
}
