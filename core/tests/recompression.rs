//! Background recompression: imported sessions are rewritten at `Options::recompress_level`
//! once imports pause, stay byte-exact, resume after a reopen, and nothing happens when it
//! is off.

use std::path::Path;
use std::time::{Duration, Instant};

use mnemo::{Mnemo, Options, SessionFilter};

mod common;
use common::samples_dir as samples;

fn options(recompress_level: i32) -> Options {
    Options {
        sync_writes: false,
        recompress_level,
        ..Default::default()
    }
}

/// Every session's exported bytes, by id.
fn exports(store: &Mnemo) -> Vec<(String, Vec<u8>)> {
    store
        .list_sessions(&SessionFilter::default())
        .unwrap()
        .into_iter()
        .map(|s| {
            let bytes = store.export_session(&s.id).unwrap();
            (s.id, bytes)
        })
        .collect()
}

/// Wait until the background recompression has handled the whole log.
fn wait_caught_up(store: &Mnemo) -> mnemo::Stats {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stats = store.stats().unwrap();
        if stats.recompressed_through == stats.last_seq {
            return stats;
        }
        assert!(
            Instant::now() < deadline,
            "background recompression stuck at {} of {}",
            stats.recompressed_through,
            stats.last_seq
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The stats of `path` imported by `import_paths` into a fresh store opened with `options`
/// but the recompression off: the size as imported. (In a store with it on, it may already
/// have started by the time a first `stats()` returns on a busy machine.)
fn as_imported(options: Options, path: &Path) -> mnemo::Stats {
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(
        dir.path(),
        Options {
            recompress_level: 0,
            ..options
        },
    )
    .unwrap();
    store.import_paths(&[path.to_path_buf()], |_| {}).unwrap();
    store.stats().unwrap()
}

#[test]
fn imported_sessions_are_recompressed_in_the_background_and_stay_byte_exact() {
    let imported = as_imported(options(19), &samples());
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(dir.path(), options(19)).unwrap();
    let summary = store.import_paths(&[samples()], |_| {}).unwrap();
    assert!(summary.sessions_imported() > 0);
    let before = exports(&store);
    let after = wait_caught_up(&store);
    assert!(
        after.counters.blob_stored_bytes < imported.counters.blob_stored_bytes,
        "stored blob bytes {} -> {}",
        imported.counters.blob_stored_bytes,
        after.counters.blob_stored_bytes
    );
    assert_eq!(after.counters.blob_bytes, imported.counters.blob_bytes);
    assert_eq!(exports(&store), before);
    // The same after a reopen (frames read from disk, not from any cache).
    drop(store);
    let store = Mnemo::open(dir.path(), options(19)).unwrap();
    assert_eq!(exports(&store), before);
    assert_eq!(store.stats().unwrap().counters, after.counters);
}

#[test]
fn recompression_resumes_when_the_store_is_opened_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(dir.path(), options(0)).unwrap();
    store.import_paths(&[samples()], |_| {}).unwrap();
    let imported = store.stats().unwrap();
    assert_eq!(imported.recompressed_through, 0);
    drop(store);
    // Opened with recompression on and nothing new imported: it picks up the sessions
    // imported before.
    let store = Mnemo::open(dir.path(), options(19)).unwrap();
    let after = wait_caught_up(&store);
    assert!(after.counters.blob_stored_bytes < imported.counters.blob_stored_bytes);
}

#[test]
fn nothing_is_recompressed_when_it_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(dir.path(), options(0)).unwrap();
    store.import_paths(&[samples()], |_| {}).unwrap();
    let imported = store.stats().unwrap();
    // Well past the pause after which it would have started.
    std::thread::sleep(Duration::from_millis(1500));
    let later = store.stats().unwrap();
    assert_eq!(later.recompressed_through, 0);
    assert_eq!(later.counters, imported.counters);
    // A level not above the import level is off too.
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(
        dir.path(),
        Options {
            compression_level: 9,
            ..options(6)
        },
    )
    .unwrap();
    store.import_paths(&[samples()], |_| {}).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(store.stats().unwrap().recompressed_through, 0);
}

#[test]
fn explicit_compaction_beside_the_background_keeps_the_counters_right() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(dir.path(), options(12)).unwrap();
    store.import_paths(&[samples()], |_| {}).unwrap();
    let before = exports(&store);
    // Runs while the background one may be running (both rewrite only smaller frames).
    let report = store.compact(15).unwrap();
    let stats = wait_caught_up(&store);
    assert_eq!(exports(&store), before);
    drop(store);
    // The counters say what is stored: compacting again at the same level finds every frame
    // as small as it gets, and the examined bytes add up to the counter.
    let store = Mnemo::open(dir.path(), options(0)).unwrap();
    let again = store.compact(15).unwrap();
    assert_eq!(again.rewritten, 0);
    assert_eq!(again.blobs, report.blobs);
    assert_eq!(again.bytes_before, stats.counters.blob_stored_bytes);
}

#[test]
fn compacting_at_the_background_level_leaves_it_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(dir.path(), options(15)).unwrap();
    store.import_paths(&[samples()], |_| {}).unwrap();
    store.compact(15).unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(stats.recompressed_through, stats.last_seq);
}

#[test]
fn a_bulk_import_trains_its_dictionary_once_it_ends_and_the_recompression_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = tempfile::tempdir().unwrap();
    // Forty sessions alike enough to train on, different enough to be stored apart.
    for i in 0..40 {
        let text = common::AIDER
            .replace("2025-03-01", &format!("2025-03-{:02}", i % 28 + 1))
            .replace("fetch_data", &format!("fetch_data_{i}"));
        std::fs::write(inputs.path().join(format!("f{i}.md")), text).unwrap();
    }
    let options = || Options {
        // Low enough for these files to reach it during the import.
        dictionary_training_bytes: 2 << 10,
        ..options(19)
    };
    let imported = as_imported(options(), inputs.path());
    let store = Mnemo::open(dir.path(), options()).unwrap();
    let summary = store
        .import_paths(&[inputs.path().to_path_buf()], |_| {})
        .unwrap();
    assert!(summary.sessions_imported() >= 40);
    let after = wait_caught_up(&store);
    store.flush().unwrap(); // waits for any training still running
    assert!(
        store.stats().unwrap().dictionaries >= 1,
        "the training deferred during the import ran after it"
    );
    assert!(
        after.stored_content_bytes < imported.stored_content_bytes,
        "recompressed {} B, as imported {} B",
        after.stored_content_bytes,
        imported.stored_content_bytes
    );
}

#[test]
fn a_training_deferred_by_a_bulk_import_survives_an_immediate_close() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = tempfile::tempdir().unwrap();
    for i in 0..40 {
        let text = common::AIDER.replace("fetch_data", &format!("fetch_data_{i}"));
        std::fs::write(inputs.path().join(format!("f{i}.md")), text).unwrap();
    }
    let options = || Options {
        dictionary_training_bytes: 2 << 10,
        ..options(19)
    };
    {
        // As a CLI `mnemo import` does: import, then close at once. The training the import
        // deferred starts as it ends; the close lets it finish and persist.
        let store = Mnemo::open(dir.path(), options()).unwrap();
        store
            .import_paths(&[inputs.path().to_path_buf()], |_| {})
            .unwrap();
    }
    let store = Mnemo::open(dir.path(), options()).unwrap();
    assert!(
        store.stats().unwrap().dictionaries >= 1,
        "the dictionary trained at close is stored"
    );
}
