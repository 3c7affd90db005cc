//! The Rust side of `bench/bench.py`: the same calls the Python benchmark makes, timed in
//! Rust, so the difference is the binding's per-call cost. Prints one JSON object of
//! nanoseconds per call.
//!
//! `cargo run --release -p mnemo-python --example rust_baseline -- <transcript file>`

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Nanoseconds per call of `f`, best of 5 rounds of at least 200 ms each.
fn ns_per_call(mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let mut n = 0u64;
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(200) {
            for _ in 0..100 {
                f();
            }
            n += 100;
        }
        best = best.min(start.elapsed().as_nanos() as f64 / n as f64);
    }
    best
}

fn main() -> mnemo::Result<()> {
    let transcript = std::env::args()
        .nth(1)
        .expect("usage: rust_baseline <transcript file>");
    let dir = std::env::temp_dir().join(format!("mnemo-rust-baseline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = mnemo::Options {
        sync_writes: false,
        ..Default::default()
    };
    let store = mnemo::Mnemo::open(&dir, options)?;
    let imported = store.import_file(&transcript)?;
    let id = imported.imported[0].clone();
    store.add_prompt(
        "review",
        "Review {{file}} for {{concern}} and report {{format}}.",
    )?;

    let prompt = ns_per_call(|| {
        black_box(store.prompt(black_box("review"), None).unwrap());
    });
    let session = ns_per_call(|| {
        black_box(store.session(black_box(&id)).unwrap());
    });
    let session_info = ns_per_call(|| {
        black_box(store.session_info(black_box(&id)).unwrap());
    });
    let export = ns_per_call(|| {
        black_box(store.export_session(black_box(&id)).unwrap());
    });
    let last_seq = ns_per_call(|| {
        black_box(store.last_seq());
    });
    // Puts: distinct transcripts (the sample with its first question varied), best of 3
    // rounds of 2000 imports.
    let base = std::fs::read(&transcript).expect("read transcript");
    let text = String::from_utf8(base).expect("UTF-8 transcript");
    let marker = "Can you find out why?";
    assert!(text.contains(marker), "the sample's marker line");
    let mut import = f64::INFINITY;
    for round in 0..3 {
        let items: Vec<Vec<u8>> = (0..2000)
            .map(|i| {
                text.replace(marker, &format!("{marker} (rust {round}-{i})"))
                    .into_bytes()
            })
            .collect();
        let start = Instant::now();
        for item in &items {
            black_box(store.import_bytes("t.md", item)?);
        }
        import = import.min(start.elapsed().as_nanos() as f64 / items.len() as f64);
    }
    // Prompt puts as the Python benchmark makes them: 1,000 names in turn, so each put
    // after the first thousand adds a version.
    let body = "Review {{file}} for {{concern}} and report {{format}}.";
    let mut next = 0u64;
    let add_prompt = ns_per_call(|| {
        black_box(
            store
                .add_prompt(&format!("p{}", next % 1000), body)
                .unwrap(),
        );
        next += 1;
    });
    store.close();
    let _ = std::fs::remove_dir_all(&dir);
    let (floor_session, floor_prompt) = rocksdb_floor(&text, body);
    println!(
        "{{\"prompt\": {prompt:.1}, \"session\": {session:.1}, \"session_info\": {session_info:.1}, \"export_session\": {export:.1}, \"last_seq\": {last_seq:.2}, \"import_bytes\": {import:.1}, \"add_prompt\": {add_prompt:.1}, \"rocksdb_put_session\": {floor_session:.1}, \"rocksdb_put_prompt\": {floor_prompt:.1}}}"
    );
    Ok(())
}

/// The floor under any put of a store built on RocksDB: one `put` of the same bytes under
/// one key in a plain RocksDB (default options, the WAL written without fsync, as Mnemo's
/// `sync_writes: false`), with no parsing, log, index or projection. ns per put of the
/// 1.2 KB transcript (distinct keys) and of the prompt body (1,000 keys in turn, as the
/// benchmark's prompt puts).
fn rocksdb_floor(transcript: &str, body: &str) -> (f64, f64) {
    let dir = std::env::temp_dir().join(format!("mnemo-rocksdb-floor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut options = rocksdb::Options::default();
    options.create_if_missing(true);
    let db = rocksdb::DB::open(&options, &dir).expect("open a plain RocksDB");
    // Best of 3 rounds of 20,000 puts (a fixed count: timed rounds of 1.2 KB puts would
    // write hundreds of MB on a fast machine).
    let mut next = 0u64;
    let mut timed = |key: &dyn Fn(u64) -> String, value: &[u8]| {
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let start = Instant::now();
            for _ in 0..20_000 {
                db.put(key(next), value).expect("put");
                next += 1;
            }
            best = best.min(start.elapsed().as_nanos() as f64 / 20_000.0);
        }
        best
    };
    let session = timed(&|i| format!("s{i}"), transcript.as_bytes());
    let prompt = timed(&|i| format!("p{}", i % 1000), body.as_bytes());
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    (session, prompt)
}
