//! The context views rebuilt from the log equal the views written inline, byte for byte;
//! a rebuild repairs a damaged view, runs beside writers, and survives a reopen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::events::EventData;
use crate::log::Expected;
use crate::model::WorkflowStep;
use crate::{Mnemo, Options};

#[test]
fn physical_names_round_trip() {
    for base in VIEW_CFS {
        for generation in [0, 1, 7, 4_000_000_000] {
            let name = physical_name(base, generation);
            assert_eq!(parse_physical(&name), Some((base, generation)));
        }
    }
    assert_eq!(parse_physical("log"), None);
    assert_eq!(parse_physical("sessions.gx"), None);
    assert_eq!(parse_physical("sessions.g"), None);
    assert_eq!(parse_physical("sessionsx"), None);
}

fn open(dir: &Path) -> Mnemo {
    let options = Options {
        sync_writes: false,
        ..Default::default()
    };
    Mnemo::open(dir, options).unwrap()
}

fn samples() -> PathBuf {
    crate::sample_transcripts()
}

/// Rows of one column family, in key order.
type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// Every key and value of the three view column families (active generation), by view.
fn dump(store: &Mnemo) -> BTreeMap<&'static str, Rows> {
    let g = store.engine().db().unwrap();
    VIEW_CFS
        .iter()
        .map(|base| {
            let rows = g
                .db()
                .iterator_cf(g.cf(base), rocksdb::IteratorMode::Start)
                .map(|item| {
                    let (k, v) = item.unwrap();
                    (k.to_vec(), v.to_vec())
                })
                .collect();
            (*base, rows)
        })
        .collect()
}

/// Sessions from the sample transcripts, two templates with versions and labels, a
/// workflow, and host events in between.
fn fill(store: &Mnemo) {
    let summary = store.import_paths(&[samples()], |_| {}).unwrap();
    assert!(summary.sessions_imported() > 0, "{summary:?}");
    for n in 1..=3 {
        store
            .add_prompt("review", &format!("v{n}: review {{{{file}}}}"))
            .unwrap();
        store
            .append(
                "orders",
                Expected::Any,
                vec![EventData::new("order.placed", format!("{n}"))],
            )
            .unwrap();
    }
    store.add_prompt("summarise", "Summarise {{text}}").unwrap();
    store.label_prompt("review", "production", 2).unwrap();
    store
        .add_workflow(
            "ship",
            vec![WorkflowStep {
                name: "check".into(),
                prompt: "review".into(),
                prompt_ref: Some("production".into()),
                values: BTreeMap::from([("file".into(), "main.rs".into())]),
            }],
        )
        .unwrap();
    // `stats()` takes its token count from the search index, which follows in the
    // background: settle it so counts compare.
    store.update_search_index().unwrap();
}

#[test]
fn a_rebuild_reproduces_the_inline_views_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store);
    let before = dump(&store);
    assert!(before.values().all(|rows| !rows.is_empty()));
    let counts = store.stats().unwrap().counters;

    let report = store.rebuild_context_views().unwrap();
    assert_eq!(report.generation, 1);
    assert_eq!(report.entries, store.last_seq());
    assert_eq!(report.sessions, counts.sessions);
    assert_eq!(store.context_views_generation().unwrap(), 1);
    assert_eq!(dump(&store), before);
    assert_eq!(store.stats().unwrap().counters, counts);

    // Reads go through the new generation; a second rebuild moves on again.
    let review = store.prompt("review", Some("production")).unwrap();
    assert_eq!(review.version, 2);
    assert_eq!(store.rebuild_context_views().unwrap().generation, 2);
    assert_eq!(dump(&store), before);
    let status = store.projection_status(CONTEXT_VIEWS).unwrap();
    assert_eq!((status.generation, status.lag()), (2, 0));
    assert_eq!(store.projections().unwrap()[0].name, CONTEXT_VIEWS);
}

#[test]
fn a_rebuild_repairs_damaged_rows_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store);
    let before = dump(&store);
    let counts = store.stats().unwrap().counters;
    let first_session = before[CF_SESSIONS][0].0.clone();
    {
        let g = store.engine().db().unwrap();
        g.db().delete_cf(g.cf(CF_SESSIONS), &first_session).unwrap();
        g.db()
            .put_cf(
                g.cf(CF_PROMPTS),
                crate::prompts::head_key("review"),
                b"junk",
            )
            .unwrap();
        store.engine().writer.lock().unwrap().stats.sessions = 0;
    }
    assert_ne!(dump(&store), before);
    store.rebuild_context_views().unwrap();
    assert_eq!(dump(&store), before);
    assert_eq!(store.stats().unwrap().counters, counts);
    assert_eq!(store.prompt("review", None).unwrap().version, 3);
}

#[test]
fn writers_keep_going_during_a_rebuild_and_nothing_they_write_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store);
    // Enough log for the rebuild to replay several pages online.
    for _ in 0..20 {
        let events = (0..500)
            .map(|i| EventData::new("tick", format!("{i}")))
            .collect();
        store.append("ticks", Expected::Any, events).unwrap();
    }
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for n in 0..200 {
                store
                    .add_prompt(&format!("p{n}"), &format!("body {n}"))
                    .unwrap();
            }
        })
    };
    let mut generation = 0;
    for _ in 0..3 {
        generation = store.rebuild_context_views().unwrap().generation;
    }
    writer.join().unwrap();
    assert_eq!(generation, 3);
    for n in 0..200 {
        assert_eq!(
            store.prompt(&format!("p{n}"), None).unwrap().body,
            format!("body {n}")
        );
    }
    let after = dump(&store);
    assert_eq!(store.stats().unwrap().counters.prompt_versions, 204);
    // One more rebuild, with nothing written meanwhile, changes nothing.
    store.rebuild_context_views().unwrap();
    assert_eq!(dump(&store), after);
}

#[test]
fn the_generation_survives_a_reopen_and_leftovers_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        fill(&store);
        store.rebuild_context_views().unwrap();
        // What a crash in the middle of the next rebuild would leave.
        store.engine().create_view_generation(2).unwrap();
        store.close();
    }
    let store = open(dir.path());
    assert_eq!(store.context_views_generation().unwrap(), 1);
    let names = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir.path()).unwrap();
    for base in VIEW_CFS {
        assert!(names.contains(&physical_name(base, 1)), "{names:?}");
        assert!(!names.contains(&physical_name(base, 0)), "{names:?}");
        assert!(!names.contains(&physical_name(base, 2)), "{names:?}");
    }
    assert_eq!(store.prompt("review", None).unwrap().version, 3);
    assert!(!store.list_sessions(&Default::default()).unwrap().is_empty());
    // Writes after the reopen land in generation 1 and the next rebuild keeps them.
    store.add_prompt("later", "x").unwrap();
    let before = dump(&store);
    assert_eq!(store.rebuild_context_views().unwrap().generation, 2);
    assert_eq!(dump(&store), before);
}

#[test]
fn run_and_rebuild_builtin_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store);
    let status = store.run_builtin(CONTEXT_VIEWS).unwrap();
    assert_eq!(
        (status.generation, status.checkpoint),
        (0, store.last_seq())
    );
    assert_eq!(store.rebuild_builtin(CONTEXT_VIEWS).unwrap().generation, 1);
    assert_eq!(store.rebuild_builtin("event-counts").unwrap().generation, 1);
    assert!(matches!(
        store.run_builtin("nope"),
        Err(Error::NotFound { .. })
    ));
}

/// One write the property test makes.
#[derive(Debug, Clone)]
enum Op {
    /// Import sample transcript `n` (mod the number of samples); repeats are no-ops.
    Import(usize),
    /// A new version of template `name` (of three).
    Prompt(usize, String),
    /// Move a label of template `name` to one of its versions (if it has any).
    Label(usize, usize),
    /// A new version of a workflow over template `name` (if it exists).
    Workflow(usize),
    /// A host event.
    Host(String),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0usize..64).prop_map(Op::Import),
        (0usize..3, "[a-z {}]{0,12}").prop_map(|(n, b)| Op::Prompt(n, b)),
        (0usize..3, 0usize..8).prop_map(|(n, v)| Op::Label(n, v)),
        (0usize..3).prop_map(Op::Workflow),
        "[a-z]{1,8}".prop_map(Op::Host),
    ]
}

fn sample_files() -> Vec<PathBuf> {
    // The walk `import_paths` makes; sorted so a generated index picks the same file.
    let mut files = crate::sessions::collect_files(&samples()).unwrap();
    files.sort();
    files
}

fn run(store: &Mnemo, files: &[PathBuf], op: &Op) {
    let names = ["alpha", "beta", "gamma"];
    match op {
        Op::Import(n) => {
            let path = &files[n % files.len()];
            // Samples that are not transcripts fail to import: that writes nothing.
            let _ = store.import_bytes(path, &std::fs::read(path).unwrap());
        }
        // Bodies with unbalanced braces are refused: that writes nothing either.
        Op::Prompt(n, body) => drop(store.add_prompt(names[*n], body)),
        Op::Label(n, v) => {
            if let Ok(versions) = store.prompt_versions(names[*n]) {
                if !versions.is_empty() {
                    let version = versions[v % versions.len()].version;
                    store
                        .label_prompt(names[*n], "production", version)
                        .unwrap();
                }
            }
        }
        Op::Workflow(n) => {
            let step = WorkflowStep {
                name: "only".into(),
                prompt: names[*n].into(),
                prompt_ref: None,
                values: BTreeMap::new(),
            };
            // Refused while the template does not exist.
            let _ = store.add_workflow("flow", vec![step]);
        }
        Op::Host(kind) => {
            store
                .append(
                    "host",
                    Expected::Any,
                    vec![EventData::new(kind.clone(), "")],
                )
                .unwrap();
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the writes, replaying the log gives the views the commits wrote inline.
    #[test]
    fn rebuilt_views_equal_inline_views(ops in proptest::collection::vec(op(), 1..40)) {
        let files = sample_files();
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        for op in &ops {
            run(&store, &files, op);
        }
        store.update_search_index().unwrap();
        let (before, counts) = (dump(&store), store.stats().unwrap().counters);
        store.rebuild_context_views().unwrap();
        proptest::prop_assert_eq!(dump(&store), before);
        proptest::prop_assert_eq!(store.stats().unwrap().counters, counts);
        store.close();
    }
}

#[test]
fn a_long_log_rebuilt_through_table_files_keeps_the_latest_rows() {
    // More than a page of entries, so most of the replay goes through sorted table files
    // (several, since unit tests ingest every 4 KiB), with the same head and label rows
    // rewritten many times within and across files.
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    fill(&store);
    for n in 0..3_000u32 {
        let name = format!("t{}", n % 5);
        let t = store.add_prompt(&name, &format!("v{n} {{{{x}}}}")).unwrap();
        if n % 7 == 0 {
            store.label_prompt(&name, "production", t.version).unwrap();
        }
    }
    let before = dump(&store);
    let counts = store.stats().unwrap().counters;
    let report = store.rebuild_context_views().unwrap();
    assert!(report.entries > 3_000);
    assert_eq!(dump(&store), before);
    assert_eq!(store.stats().unwrap().counters, counts);
    assert_eq!(store.prompt("t4", None).unwrap().body, "v2999 {{x}}");
    // Nothing is left in the store's folder once the files are ingested.
    assert!(!dir.path().join(rebuild::REBUILD_DIR).exists());
}
