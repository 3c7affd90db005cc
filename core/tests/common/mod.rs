//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use mnemo::{EventData, Mnemo, Options};

/// The shared data folder (`$MNEMO_DATA`, else `../shared/data` beside the repository).
/// `None` (with a printed reason) when absent outside CI; panics when absent under CI=true.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MNEMO_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if dir.join("transcripts").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "shared data not found at {} (set MNEMO_DATA); CI requires it",
            dir.display()
        );
    }
    eprintln!(
        "skipped: shared data not found at {} (set MNEMO_DATA to run the real-data tests)",
        dir.display()
    );
    None
}

/// The sample transcripts shipped with the repository (`examples/transcripts`).
pub fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/transcripts")
}

/// Every file below `dir`, sorted.
pub fn files_below(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Open the store's RocksDB directly (every column family) (tampering and
/// recount tests).
pub fn with_raw_db(dir: &std::path::Path, f: impl FnOnce(&rocksdb::DB)) {
    let cfs = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir).unwrap();
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, cfs).unwrap();
    f(&db);
}

/// A store in `dir` that does not fsync its commits (tests of concurrency, where fsyncs
/// only slow the run down).
pub fn open_unsynced(dir: &std::path::Path) -> Mnemo {
    Mnemo::open(
        dir,
        Options {
            sync_writes: false,
            ..Options::default()
        },
    )
    .unwrap()
}

/// A store in `dir` with the default options.
pub fn open(dir: &std::path::Path) -> Mnemo {
    Mnemo::open(dir, Options::default()).unwrap()
}

/// An event of type `kind` with `payload`'s bytes.
pub fn ev(kind: &str, payload: &str) -> EventData {
    EventData::new(kind, payload.as_bytes())
}

/// A small aider chat history holding two sessions.
pub const AIDER: &str = "\n# aider chat started at 2025-03-01 10:00:00\n\n> Aider v0.80.0\n> Model: gpt-4o\n\n#### Please add a retry loop to fetch_data in client.py  \n\nHere is the change with exponential backoff for the RocksDB lock error.\n\n# aider chat started at 2025-03-02 11:30:00\n\n#### Rename the config loader  \n\nDone: renamed load_cfg to load_config everywhere.\n";
