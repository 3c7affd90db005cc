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
    println!(
        "{{\"prompt\": {prompt:.1}, \"session\": {session:.1}, \"session_info\": {session_info:.1}, \"export_session\": {export:.1}, \"last_seq\": {last_seq:.2}, \"import_bytes\": {import:.1}, \"add_prompt\": {add_prompt:.1}}}"
    );
    Ok(())
}
