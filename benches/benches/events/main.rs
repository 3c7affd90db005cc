//! Mnemo's event store side by side with an event store on SQLite
//! (`mnemo_benches::events::SqliteEventStore`) and with RocksDB used directly
//! (`mnemo_benches::events::RawRocks`, the floor: the same payload bytes in one `WriteBatch`),
//! then a subscription latency report that criterion cannot express.
//!
//! Events are `mnemo_benches::events::event`: ~200-byte JSON payloads of eight types, no
//! metadata, spread over 1,000 stream names. Groups (benchmark ids name the store; `_nosync`
//! = without fsync per commit, `Options::sync_writes = false` / `synchronous=OFF` /
//! `WriteOptions::set_sync(false)`):
//! - `append_single`: one event per commit, to streams in turn, with an exact expected version.
//! - `append_batched`: 1,000 events per commit. `mnemo` / `sqlite`: all to one stream
//!   (`Mnemo::append`); `mnemo_many` / `sqlite_many`: one event to each of the 1,000 streams,
//!   each with its expected version (`Mnemo::append_many`); `rocksdb`: 1,000 puts.
//! - `read_stream`: a whole 1,000-event stream, forward, its events interleaved with others'
//!   in a 200,000-event log.
//! - `read_all`: the whole 200,000-event log in pages of 1,000 (every event decoded and
//!   owned); `rocksdb`: an iterator over the same payloads, each copied out.
//! - `projection_rebuild`: `Mnemo::rebuild_projection(EventCounts)` over the 200,000 events,
//!   against the same read model kept by SQLite (pages of 4,096 events per transaction). Both
//!   write the new generation's pages without fsync and make the switch a durable commit
//!   (without `_nosync`), whose WAL sync makes the pages before it durable too.
//!
//! After them: the sizes of the filled stores, durable single appends and batched appends
//! (with and without fsync) to the three stores taken in turn (so all see the same disk),
//! and end-to-end subscription latency (a writer
//! thread appends probe events carrying their send time; Mnemo's subscriber waits in
//! `Subscription::next_timeout`, SQLite's poller selects new rows every millisecond); those
//! reports are in `reports.rs`.
//!
//! `cargo bench -p mnemo-benches --bench events` runs everything. In test mode
//! (`cargo test --benches`, or `-- --test`) every benchmark runs once on a 3,000-event log and
//! the reports take 20 to 50 events, so the test suite stays fast.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use mnemo::events::builtin::EventCounts;
use mnemo::{EventData, EventFilter, Expected, Mnemo, ReadDirection};
use mnemo_benches::events::{
    event, probe_payload, probe_sent_ns, stream_name, RawRocks, SqliteEventStore, STREAMS,
};
use mnemo_benches::{dir_bytes, mnemo_options, percentile};
use tempfile::TempDir;

mod fixture;
mod reports;
use fixture::Filled;
use reports::{
    report_batched_interleaved, report_durable_interleaved, report_filled, report_latency,
};

/// Events per commit in `append_batched` (and in filling the read benchmarks' stores).
const BATCH: usize = 1_000;
/// Distinct prepared events the append benchmarks cycle through.
const POOL: usize = 10_000;
/// Events per page when scanning the whole log.
const SCAN_PAGE: usize = 1_000;
/// Minimum time between the starts of two probe appends in the latency report.
const PROBE_SPACING: Duration = Duration::from_micros(200);

/// The expected version of a stream at `version` (0 = no events yet).
fn expected(version: u64) -> Expected {
    if version == 0 {
        Expected::NoStream
    } else {
        Expected::Exact(version)
    }
}

fn suffix(durable: bool) -> &'static str {
    if durable {
        ""
    } else {
        "_nosync"
    }
}

/// How big a run is.
#[derive(Debug, Clone, Copy)]
struct Scale {
    /// Streams of exactly `long_len` events in the filled log (`read_stream` reads them).
    long_streams: usize,
    long_len: usize,
    /// Further events, spread over the other stream names.
    other_events: usize,
    /// Probe events in the latency report.
    probes: usize,
    /// Rounds of the interleaved durable append report.
    interleaved: usize,
    /// Rounds (commits of [`BATCH`] events per store) of the interleaved batched report.
    batched_rounds: usize,
}

impl Scale {
    fn new(full: bool) -> Scale {
        if full {
            Scale {
                long_streams: 100,
                long_len: 1_000,
                other_events: 100_000,
                probes: 5_000,
                interleaved: 2_000,
                batched_rounds: 400,
            }
        } else {
            Scale {
                long_streams: 2,
                long_len: 1_000,
                other_events: 1_000,
                probes: 50,
                interleaved: 20,
                batched_rounds: 3,
            }
        }
    }

    fn total(&self) -> usize {
        self.long_streams * self.long_len + self.other_events
    }
}

/// Write back every dirty page on the machine before a contender starts, so its fsyncs do not
/// also wait for what the benchmark before it left in the page cache (the order of the
/// contenders would otherwise favour whoever runs after the lightest writer).
fn settle() {
    // SAFETY: sync(2) takes no arguments and has no failure mode.
    unsafe { libc::sync() };
}

fn bench_append_single(c: &mut Criterion, names: &[String], pool: &[EventData]) {
    let mut g = c.benchmark_group("append_single");
    g.throughput(Throughput::Elements(1))
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    // Event n goes to stream n * 617 mod 1,000 (617 is prime to 1,000: every stream in turn,
    // in a scattered order).
    let stream_of = |n: usize| n * 617 % STREAMS;
    for durable in [true, false] {
        let dir = TempDir::new().expect("tempdir");
        let store =
            Mnemo::open(dir.path().join("mnemo"), mnemo_options(durable)).expect("open mnemo");
        let (mut n, mut versions) = (0, vec![0u64; STREAMS]);
        settle();
        g.bench_function(format!("mnemo{}", suffix(durable)), |b| {
            b.iter_batched(
                || {
                    let s = stream_of(n);
                    let input = (s, expected(versions[s]), vec![pool[n % POOL].clone()]);
                    versions[s] += 1;
                    n += 1;
                    input
                },
                |(s, exp, events)| store.append(&names[s], exp, events).expect("mnemo append"),
                BatchSize::SmallInput,
            )
        });
        drop(store);

        let mut sqlite =
            SqliteEventStore::open(dir.path().join("events.sqlite"), durable).expect("sqlite");
        let (mut n, mut versions) = (0, vec![0u64; STREAMS]);
        settle();
        g.bench_function(format!("sqlite{}", suffix(durable)), |b| {
            b.iter(|| {
                let s = stream_of(n);
                let r = sqlite
                    .append(
                        &names[s],
                        expected(versions[s]),
                        std::slice::from_ref(&pool[n % POOL]),
                    )
                    .expect("sqlite append");
                versions[s] = r.version;
                n += 1;
                r
            })
        });
        drop(sqlite);

        let mut raw = RawRocks::open(dir.path().join("rocksdb"), durable).expect("rocksdb");
        let mut n = 0;
        settle();
        g.bench_function(format!("rocksdb{}", suffix(durable)), |b| {
            b.iter(|| {
                let seq = raw.append([&pool[n % POOL].payload[..]]).expect("rocksdb");
                n += 1;
                seq
            })
        });
    }
    g.finish();
}

fn bench_append_batched(c: &mut Criterion, names: &[String], pool: &[EventData]) {
    let mut g = c.benchmark_group("append_batched");
    g.throughput(Throughput::Elements(BATCH as u64))
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    // Batch k holds pool events [k * BATCH, (k + 1) * BATCH) (mod POOL).
    let batch_of = |k: usize| {
        let start = k * BATCH % POOL;
        &pool[start..start + BATCH]
    };
    for durable in [true, false] {
        let dir = TempDir::new().expect("tempdir");
        let store =
            Mnemo::open(dir.path().join("mnemo"), mnemo_options(durable)).expect("open mnemo");
        // One stream per batch: batch k goes to stream k mod 1,000.
        let (mut k, mut versions) = (0, vec![0u64; STREAMS]);
        settle();
        g.bench_function(format!("mnemo{}", suffix(durable)), |b| {
            b.iter_batched(
                || {
                    let s = k % STREAMS;
                    let input = (s, expected(versions[s]), batch_of(k).to_vec());
                    versions[s] += BATCH as u64;
                    k += 1;
                    input
                },
                |(s, exp, events)| store.append(&names[s], exp, events).expect("mnemo append"),
                BatchSize::SmallInput,
            )
        });
        // One event to each stream per batch, every stream with its expected version (after
        // k such batches every stream is at version k).
        let (mut k, mut many_version) = (0, 0u64);
        let many = names
            .iter()
            .map(|s| format!("many-{s}"))
            .collect::<Vec<_>>();
        settle();
        g.bench_function(format!("mnemo_many{}", suffix(durable)), |b| {
            b.iter_batched(
                || {
                    let input: Vec<(String, Expected, Vec<EventData>)> = batch_of(k)
                        .iter()
                        .zip(&many)
                        .map(|(e, s)| (s.clone(), expected(many_version), vec![e.clone()]))
                        .collect();
                    many_version += 1;
                    k += 1;
                    input
                },
                |batches| store.append_many(batches).expect("mnemo append_many"),
                BatchSize::SmallInput,
            )
        });
        drop(store);

        let mut sqlite =
            SqliteEventStore::open(dir.path().join("events.sqlite"), durable).expect("sqlite");
        let (mut k, mut versions) = (0, vec![0u64; STREAMS]);
        settle();
        g.bench_function(format!("sqlite{}", suffix(durable)), |b| {
            b.iter(|| {
                let s = k % STREAMS;
                let r = sqlite
                    .append(&names[s], expected(versions[s]), batch_of(k))
                    .expect("sqlite append");
                versions[s] = r.version;
                k += 1;
                r
            })
        });
        let (mut k, mut many_version) = (0, 0u64);
        settle();
        g.bench_function(format!("sqlite_many{}", suffix(durable)), |b| {
            b.iter(|| {
                let batches: Vec<(&str, Expected, &[EventData])> = batch_of(k)
                    .iter()
                    .zip(&many)
                    .map(|(e, s)| (s.as_str(), expected(many_version), std::slice::from_ref(e)))
                    .collect();
                let r = sqlite.append_many(&batches).expect("sqlite append_many");
                many_version += 1;
                k += 1;
                r
            })
        });
        drop(sqlite);

        let mut raw = RawRocks::open(dir.path().join("rocksdb"), durable).expect("rocksdb");
        let mut k = 0;
        settle();
        g.bench_function(format!("rocksdb{}", suffix(durable)), |b| {
            b.iter(|| {
                let seq = raw
                    .append(batch_of(k).iter().map(|e| &e.payload[..]))
                    .expect("rocksdb");
                k += 1;
                seq
            })
        });
    }
    g.finish();
}

fn bench_read_stream(c: &mut Criterion, f: &Filled, scale: &Scale) {
    let mut g = c.benchmark_group("read_stream");
    g.throughput(Throughput::Elements(scale.long_len as u64));
    let len = scale.long_len;
    g.bench_function("mnemo", |b| {
        let mut i = 0;
        b.iter(|| {
            let s = &f.long[i % f.long.len()];
            i += 1;
            let events = f
                .mnemo
                .read_stream(s, 1, ReadDirection::Forward, len)
                .expect("mnemo read_stream");
            debug_assert_eq!(events.len(), len);
            events
        })
    });
    g.bench_function("sqlite", |b| {
        let mut i = 0;
        b.iter(|| {
            let s = &f.long[i % f.long.len()];
            i += 1;
            let events = f.sqlite.read_stream(s, 1, len).expect("sqlite read_stream");
            debug_assert_eq!(events.len(), len);
            events
        })
    });
    g.finish();
}

/// Every event of Mnemo's log, read in pages of [`SCAN_PAGE`] with `read_all`; returns the
/// count.
fn mnemo_scan(m: &Mnemo) -> u64 {
    let filter = EventFilter::default();
    let (mut next, mut n) = (1, 0);
    loop {
        let page = m
            .read_all(next, SCAN_PAGE, &filter)
            .expect("mnemo read_all");
        let Some(last) = page.last() else { break };
        next = last.seq + 1;
        n += page.len() as u64;
        black_box(page);
    }
    n
}

/// Every event of SQLite's log, read in pages of [`SCAN_PAGE`]; returns the count.
fn sqlite_scan(s: &SqliteEventStore) -> u64 {
    let (mut after, mut n) = (0, 0);
    loop {
        let page = s.read_all(after, SCAN_PAGE).expect("sqlite read_all");
        let Some(last) = page.last() else { break };
        after = last.seq;
        n += page.len() as u64;
        black_box(page);
    }
    n
}

fn bench_read_all(c: &mut Criterion, f: &Filled) {
    assert_eq!(mnemo_scan(&f.mnemo), f.events);
    assert_eq!(sqlite_scan(&f.sqlite), f.events);
    assert_eq!(f.rocks.scan().expect("rocksdb scan").0, f.events);
    let mut g = c.benchmark_group("read_all");
    g.throughput(Throughput::Elements(f.events))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(10));
    g.bench_function("mnemo", |b| b.iter(|| mnemo_scan(&f.mnemo)));
    g.bench_function("sqlite", |b| b.iter(|| sqlite_scan(&f.sqlite)));
    g.bench_function("rocksdb", |b| {
        b.iter(|| f.rocks.scan().expect("rocksdb scan"))
    });
    g.finish();
}

/// Mnemo's active `event-counts` read model, `(type, count)` in type order.
fn mnemo_counts(m: &Mnemo) -> Vec<(String, u64)> {
    m.view("event-counts")
        .scan(b"")
        .expect("mnemo view")
        .into_iter()
        .map(|(k, v)| {
            let n = u64::from_be_bytes(v.as_slice().try_into().expect("8-byte counter"));
            (String::from_utf8(k).expect("utf-8 type"), n)
        })
        .collect()
}

fn bench_projection_rebuild(c: &mut Criterion, f: &mut Filled) {
    // Both read models must agree before they are timed.
    let status = f
        .mnemo
        .rebuild_projection(&mut EventCounts)
        .expect("mnemo rebuild");
    assert_eq!(status.checkpoint, f.events);
    assert_eq!(
        f.sqlite.rebuild_event_counts().expect("sqlite rebuild"),
        f.events
    );
    let counts = mnemo_counts(&f.mnemo);
    assert_eq!(counts, f.sqlite.event_counts().expect("sqlite counts"));
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), f.events);

    let mut g = c.benchmark_group("projection_rebuild");
    g.throughput(Throughput::Elements(f.events))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(10));
    for durable in [true, false] {
        f.reopen(durable);
        let (mnemo, sqlite) = (&f.mnemo, &mut f.sqlite);
        g.bench_function(format!("mnemo{}", suffix(durable)), |b| {
            b.iter(|| {
                mnemo
                    .rebuild_projection(&mut EventCounts)
                    .expect("mnemo rebuild")
            })
        });
        g.bench_function(format!("sqlite{}", suffix(durable)), |b| {
            b.iter(|| sqlite.rebuild_event_counts().expect("sqlite rebuild"))
        });
    }
    g.finish();
    f.reopen(true);
}

/// The context views (sessions, sources, prompts, workflows) rebuilt from a log of `n` of
/// Mnemo's own events: prompt versions over 1,000 template names, every tenth followed by a
/// label move. Mnemo only (the peer has no such views); the goal is the projection rebuild
/// rate, ≥ 500 k events/s.
fn bench_context_views_rebuild(c: &mut Criterion, n: usize) {
    let dir = TempDir::new().expect("tempdir");
    let store = Mnemo::open(dir.path().join("mnemo"), mnemo_options(false)).expect("open mnemo");
    let mut entries = 0u64;
    while (entries as usize) < n {
        let name = format!("template-{:04}", entries % 1_000);
        let t = store
            .add_prompt(
                &name,
                &format!("Review {{{{file}}}} for {{{{concern}}}} ({entries})"),
            )
            .expect("add prompt");
        entries += 1;
        if entries.is_multiple_of(10) {
            store
                .label_prompt(&name, "production", t.version)
                .expect("label");
            entries += 1;
        }
    }
    store.flush().expect("flush");
    let before = store.stats().expect("stats").counters;
    let mut g = c.benchmark_group("context_views_rebuild");
    g.throughput(Throughput::Elements(entries))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(10));
    g.bench_function("mnemo", |b| {
        b.iter(|| store.rebuild_context_views().expect("rebuild"))
    });
    g.finish();
    // What was timed rebuilt the same views.
    assert_eq!(store.stats().expect("stats").counters, before);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Criterion's rule: without `--bench` (cargo test --benches) or with `--test`, test mode.
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let scale = Scale::new(full);
    let names: Vec<String> = (0..STREAMS).map(stream_name).collect();
    let pool: Vec<EventData> = (0..POOL as u64).map(event).collect();
    let payload_mean = pool.iter().map(|e| e.payload.len()).sum::<usize>() / POOL;
    println!(
        "events: {POOL} prepared, mean payload {payload_mean} B JSON, {STREAMS} streams; filled log {} events{}",
        scale.total(),
        if full { "" } else { "; test mode" }
    );

    // `--profile-time` (profiling one benchmark under perf): no reports to blur the profile,
    // and no filled log (a 200,000-event fill) when only append benchmarks are selected.
    let profiling = args.iter().any(|a| a.starts_with("--profile-time"));
    let filter = args[1..]
        .iter()
        .find(|a| !a.starts_with('-') && a.parse::<f64>().is_err());
    let appends_only = filter.is_some_and(|f| f.starts_with("append"));

    let mut c = Criterion::default().configure_from_args();
    bench_append_single(&mut c, &names, &pool);
    bench_append_batched(&mut c, &names, &pool);
    if profiling && appends_only {
        c.final_summary();
        return;
    }
    let mut filled = Filled::new(&scale, &names);
    bench_read_stream(&mut c, &filled, &scale);
    bench_read_all(&mut c, &filled);
    bench_projection_rebuild(&mut c, &mut filled);
    bench_context_views_rebuild(&mut c, if full { 200_000 } else { 300 });
    c.final_summary();
    if profiling {
        return;
    }
    report_filled(&filled);
    drop(filled);
    report_durable_interleaved(scale.interleaved, &pool);
    report_batched_interleaved(scale.batched_rounds, &pool);
    report_latency(scale.probes);
}
