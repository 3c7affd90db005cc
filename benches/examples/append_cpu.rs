//! CPU cost of batched appends, for `perf stat -e task-clock` (CPU time is steadier than
//! wall time on a shared machine): `append_cpu mnemo|rocksdb|mnemo-single|rocksdb-single|none [events]` (`none` only builds
//! the events; `-single`: one event per commit) appends `events`
//! (default 200,000) in commits of 1,000 to one stream, without fsync, and prints the
//! wall time.

use mnemo::{Expected, Mnemo};
use mnemo_benches::events::{event, RawRocks};

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "mnemo".into());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    // `SYNC=1` in the environment: fsync every commit (the default durability).
    let sync = std::env::var("SYNC").is_ok_and(|v| v == "1");
    let dir = tempfile::tempdir().expect("tempdir");
    let events: Vec<_> = (0..n).map(event).collect();
    let copies: Vec<Vec<_>> = events.chunks(1000).map(|c| c.to_vec()).collect();
    let (t, cpu) = (std::time::Instant::now(), mnemo_benches::process_cpu());
    match which.as_str() {
        "mnemo" => {
            let s = open_mnemo(dir.path(), sync);
            for (i, chunk) in copies.into_iter().enumerate() {
                let expected = if i == 0 {
                    Expected::NoStream
                } else {
                    Expected::Exact(i as u64 * 1000)
                };
                s.append("order-1", expected, chunk).expect("append");
            }
        }
        "mnemo-single" | "rocksdb-single" => {
            // One event per commit.
            let one: Vec<Vec<_>> = events.iter().map(|e| vec![e.clone()]).collect();
            if which == "mnemo-single" {
                let s = open_mnemo(dir.path(), sync);
                for (i, ev) in one.into_iter().enumerate() {
                    let expected = if i == 0 {
                        Expected::NoStream
                    } else {
                        Expected::Exact(i as u64)
                    };
                    s.append("order-1", expected, ev).expect("append");
                }
            } else {
                let mut r = RawRocks::open(dir.path(), sync).expect("open");
                for e in &one {
                    r.append(e.iter().map(|e| e.payload.as_slice()))
                        .expect("append");
                }
            }
        }
        "none" => {
            std::hint::black_box(copies);
        }
        _ => {
            let mut r = RawRocks::open(dir.path(), sync).expect("open");
            for chunk in events.chunks(1000) {
                r.append(chunk.iter().map(|e| e.payload.as_slice()))
                    .expect("append");
            }
        }
    }
    let (wall, cpu) = (t.elapsed(), mnemo_benches::process_cpu() - cpu);
    println!(
        "{which}: {n} events in {wall:?} wall, {cpu:?} CPU (all threads): {:.0} ns CPU per event",
        cpu.as_nanos() as f64 / n as f64
    );
}

/// A fresh store in `dir`, fsyncing every commit when `sync`.
fn open_mnemo(dir: &std::path::Path, sync: bool) -> Mnemo {
    Mnemo::open(dir, mnemo_benches::mnemo_options(sync)).expect("open")
}
