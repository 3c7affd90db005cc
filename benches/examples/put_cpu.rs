//! CPU cost of small puts, for profiling the commit path: `put_cpu session|prompt|parse [n]`
//! imports `n` distinct copies of the 1.2 KB SpecStory sample (`session`), or adds `n`
//! prompt versions over 1,000 names (`prompt`), into a fresh store without fsync (`parse`:
//! only parses the session copies, nothing stored), and
//! prints the mean wall time per put and the process CPU time (all threads) per put.
//! `SYNC=1` in the environment: fsync per commit (the default durability); `THREADS=k`:
//! the puts split over `k` threads putting at once (durable commits then share fsyncs).

use std::time::Instant;

use mnemo::Mnemo;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/transcripts/specstory/2025-06-02_14-05-debugging-a-flaky-websocket-test.md"
);

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "session".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let sync = std::env::var("SYNC").is_ok_and(|v| v == "1");
    let threads: usize = std::env::var("THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let store = Mnemo::open(dir.path(), mnemo_benches::mnemo_options(sync)).expect("open");
    let text = std::fs::read_to_string(SAMPLE).expect("sample transcript");
    let marker = "Can you find out why?";
    let items: Vec<Vec<u8>> = match mode.as_str() {
        "session" | "parse" => (0..n)
            .map(|i| {
                text.replace(marker, &format!("{marker} ({i})"))
                    .into_bytes()
            })
            .collect(),
        _ => Vec::new(),
    };
    let body = "Review {{file}} for {{concern}} and report {{format}}.";
    let (start, cpu) = (Instant::now(), mnemo_benches::process_cpu());
    std::thread::scope(|s| {
        for t in 0..threads {
            let (store, items, mode) = (&store, &items, &mode);
            s.spawn(move || {
                if mode == "parse" {
                    for item in items.iter().skip(t).step_by(threads) {
                        std::hint::black_box(mnemo::import::parse(item).expect("parse"));
                    }
                } else if mode == "session" {
                    for item in items.iter().skip(t).step_by(threads) {
                        store.import_bytes("t.md", item).expect("import");
                    }
                } else {
                    for i in (t..n).step_by(threads) {
                        store
                            .add_prompt(&format!("p{}", i % 1000), body)
                            .expect("add_prompt");
                    }
                }
            });
        }
    });
    let (wall, cpu) = (start.elapsed(), mnemo_benches::process_cpu() - cpu);
    println!(
        "{mode}: {n} puts, {threads} thread(s), sync {sync}, {:.1} µs wall, {:.1} µs CPU per put",
        wall.as_secs_f64() * 1e6 / n as f64,
        cpu.as_secs_f64() * 1e6 / n as f64
    );
}
