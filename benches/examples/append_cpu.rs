//! CPU cost of batched appends, for `perf stat -e task-clock` (CPU time is steadier than
//! wall time on a shared machine): `append_cpu mnemo|rocksdb|none [events]` (`none` only builds the events) appends `events`
//! (default 200,000) in commits of 1,000 to one stream, without fsync, and prints the
//! wall time.

use mnemo::{Expected, Mnemo, Options};
use mnemo_benches::events::{event, RawRocks};

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "mnemo".into());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let events: Vec<_> = (0..n).map(event).collect();
    let copies: Vec<Vec<_>> = events.chunks(1000).map(|c| c.to_vec()).collect();
    let (t, cpu) = (std::time::Instant::now(), process_cpu());
    match which.as_str() {
        "mnemo" => {
            let s = Mnemo::open(
                dir.path(),
                Options {
                    sync_writes: false,
                    ..Options::default()
                },
            )
            .expect("open");
            for (i, chunk) in copies.into_iter().enumerate() {
                let expected = if i == 0 {
                    Expected::NoStream
                } else {
                    Expected::Exact(i as u64 * 1000)
                };
                s.append("order-1", expected, chunk).expect("append");
            }
        }
        "none" => {
            std::hint::black_box(copies);
        }
        _ => {
            let mut r = RawRocks::open(dir.path(), false).expect("open");
            for chunk in events.chunks(1000) {
                r.append(chunk.iter().map(|e| e.payload.as_slice()))
                    .expect("append");
            }
        }
    }
    let (wall, cpu) = (t.elapsed(), process_cpu() - cpu);
    println!(
        "{which}: {n} events in {wall:?} wall, {cpu:?} CPU (all threads): {:.0} ns CPU per event",
        cpu.as_nanos() as f64 / n as f64
    );
}

/// CPU time of the whole process so far (every thread, RocksDB's background ones too).
fn process_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
