//! Mnemo side by side with SQLite (see `mnemo_benches::SqliteStore`) on the shared real
//! transcripts, then reports that criterion cannot express.
//!
//! Groups (benchmark ids name the store):
//! - `import`: all transcripts into a fresh store. `mnemo` / `sqlite`: one durable commit
//!   (fsync) per file; `mnemo_nosync` / `sqlite_nosync`: the same without fsync;
//!   `sqlite_fts`: `sqlite` plus an FTS5 index; `mnemo_indexed`: `mnemo` until its search
//!   index (built behind the import) has caught up, i.e. until the store can be searched;
//!   `mnemo_paths` / `sqlite_grouped`: group commit (64 files or 8 MiB per fsync), Mnemo through
//!   `import_paths` (worker threads prepare files), SQLite with a savepoint per file;
//!   `mnemo_paths_indexed`: the same until the search index has caught up.
//! - `read_session`: a whole session (all messages, texts decompressed) by id.
//! - `get_session_info`: a session's metadata by id.
//!
//! After them: warm latency of get-session-by-id (p50/p99), sizes (Mnemo's stored bytes
//! against the SQLite file and plain per-message zstd), and an import time breakdown.
//!
//! `cargo bench -p mnemo-benches --bench context` runs everything on all transcripts. In test
//! mode (`cargo test --benches`, or `-- --test`) every benchmark runs once on every tenth file
//! (all files when there are fewer than 50) and the reports take 200 calls, so the test suite
//! stays fast.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use mnemo::{Mnemo, Options};
use mnemo_benches::{
    data_dir, dir_bytes, groups, load_transcripts, mnemo_options, percentile, plain_zstd_baseline,
    shuffle, total_bytes, transcripts_dir, SqliteStore, Transcript,
};
use tempfile::TempDir;

/// Imports `files` into a fresh Mnemo store in `dir`; returns the time spent importing (store
/// open and close excluded) and the store.
fn import_mnemo(
    dir: &TempDir,
    files: &[Transcript],
    durable: bool,
    index: bool,
) -> (Duration, Mnemo, Vec<Option<Vec<String>>>) {
    let store = Mnemo::open(dir.path().join("mnemo"), mnemo_options(durable)).expect("open mnemo");
    let mut ids = Vec::with_capacity(files.len());
    let start = Instant::now();
    for f in files {
        ids.push(
            store
                .import_bytes(&f.path, &f.bytes)
                .ok()
                .map(|r| r.imported),
        );
    }
    if index {
        store.update_search_index().expect("search index");
    }
    (start.elapsed(), store, ids)
}

/// Imports `files` into a fresh SQLite database in `dir`, one transaction per file, with an
/// FTS5 index when `search`; returns the time spent importing (open and close excluded) and
/// the store.
fn import_sqlite(
    dir: &TempDir,
    files: &[Transcript],
    durable: bool,
    search: bool,
) -> (Duration, SqliteStore, Vec<Option<Vec<String>>>) {
    let path = dir.path().join("peer.sqlite");
    let mut store = if search {
        SqliteStore::open_with_search(path, durable)
    } else {
        SqliteStore::open(path, durable)
    }
    .expect("open sqlite");
    let mut ids = Vec::with_capacity(files.len());
    let start = Instant::now();
    for f in files {
        ids.push(store.import_bytes(&f.path.to_string_lossy(), &f.bytes).ok());
    }
    (start.elapsed(), store, ids)
}

/// Imports `files` into a fresh Mnemo store in `dir` with `import_paths` (worker threads prepare
/// files, groups of files share one commit and one fsync); returns the time spent importing.
fn import_mnemo_paths(dir: &TempDir, files: &[Transcript], index: bool) -> Duration {
    let store = Mnemo::open(dir.path().join("mnemo"), Options::default()).expect("open mnemo");
    let root = transcripts_dir();
    let paths: Vec<PathBuf> = files.iter().map(|f| root.join(&f.path)).collect();
    let start = Instant::now();
    let summary = store.import_paths(&paths, |_| {}).expect("import_paths");
    if index {
        store.update_search_index().expect("search index");
    }
    let took = start.elapsed();
    black_box(summary);
    took
}

/// Imports `files` into a fresh durable SQLite database in `dir` in groups (one transaction
/// per group, a savepoint per file), as `import_paths` groups them; returns the time spent.
/// Like `import_paths`, it reads each file from disk inside the timing (the page cache holds
/// them: both sides pay the same copy out of it).
fn import_sqlite_grouped(dir: &TempDir, files: &[Transcript]) -> Duration {
    let mut store = SqliteStore::open(dir.path().join("peer.sqlite"), true).expect("open sqlite");
    let root = transcripts_dir();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    let start = Instant::now();
    let mut at = 0;
    for group in groups(files) {
        let read: Vec<Vec<u8>> = group
            .iter()
            .map(|f| std::fs::read(root.join(&f.path)).expect("read transcript"))
            .collect();
        let batch: Vec<(&str, &[u8])> = read
            .iter()
            .zip(&names[at..])
            .map(|(bytes, n)| (n.as_str(), &bytes[..]))
            .collect();
        at += group.len();
        black_box(store.import_group(&batch).expect("sqlite group"));
    }
    start.elapsed()
}

fn bench_import(c: &mut Criterion, files: &[Transcript]) {
    let mut g = c.benchmark_group("import");
    g.throughput(Throughput::Bytes(total_bytes(files)))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        // One warm-up iteration, then ten samples of equal iteration counts filling ~20 s
        // (one iteration, a whole import, takes from 0.2 s to over 1 s).
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(20));
    // `_indexed`: the clock stops once the search index (which follows imports in the
    // background) has caught up too, i.e. when the store is ready to search.
    for (name, durable, index) in [
        ("mnemo", true, false),
        ("mnemo_indexed", true, true),
        ("mnemo_nosync", false, false),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let dir = TempDir::new().expect("tempdir");
                        let (took, store, _) = import_mnemo(&dir, files, durable, index);
                        drop(store);
                        took
                    })
                    .sum()
            })
        });
    }
    for (name, durable, search) in [
        ("sqlite", true, false),
        ("sqlite_nosync", false, false),
        ("sqlite_fts", true, true),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let dir = TempDir::new().expect("tempdir");
                        let (took, store, _) = import_sqlite(&dir, files, durable, search);
                        drop(store);
                        took
                    })
                    .sum()
            })
        });
    }
    for (name, index) in [("mnemo_paths", false), ("mnemo_paths_indexed", true)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| import_mnemo_paths(&TempDir::new().expect("tempdir"), files, index))
                    .sum()
            })
        });
    }
    g.bench_function("sqlite_grouped", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| import_sqlite_grouped(&TempDir::new().expect("tempdir"), files))
                .sum()
        })
    });
    g.finish();
}

/// Both stores filled once with the same files (durable settings), and the ids of the sessions
/// both hold, paired (Mnemo id, SQLite id), in a fixed shuffled order.
struct Filled {
    mnemo: Mnemo,
    sqlite: SqliteStore,
    ids: Vec<(String, String)>,
    mnemo_import: Duration,
    sqlite_import: Duration,
    failed_files: usize,
    already_stored: usize,
    /// Mnemo's statistics right after the import.
    as_imported: mnemo::Stats,
    /// How long after the import the background recompression had caught up.
    recompressed_after: Duration,
    /// Last, so the stores close before their directory is removed.
    _dir: TempDir,
}

impl Filled {
    fn new(files: &[Transcript]) -> Filled {
        let dir = TempDir::new().expect("tempdir");
        let (mnemo_import, mnemo, mnemo_ids) = import_mnemo(&dir, files, true, true);
        // The reads are timed on the store's steady state: after the background
        // recompression that follows an import (`Options::recompress_level`).
        let as_imported = mnemo.stats().expect("mnemo stats");
        let start = Instant::now();
        loop {
            let stats = mnemo.stats().expect("mnemo stats");
            if stats.recompressed_through == stats.last_seq {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let recompressed_after = start.elapsed();
        let (sqlite_import, sqlite, sqlite_ids) = import_sqlite(&dir, files, true, false);
        let mut ids = Vec::new();
        let (mut failed_files, mut already_stored) = (0, 0);
        for (m, s) in mnemo_ids.into_iter().zip(sqlite_ids) {
            match (m, s) {
                // A file whose sessions Mnemo already held (dedup) cannot be paired by position.
                (Some(m), Some(s)) if m.len() == s.len() => ids.extend(m.into_iter().zip(s)),
                (Some(m), Some(s)) => already_stored += s.len() - m.len(),
                _ => failed_files += 1,
            }
        }
        shuffle(&mut ids, 0x5eed);
        Filled {
            mnemo,
            sqlite,
            ids,
            mnemo_import,
            sqlite_import,
            failed_files,
            already_stored,
            as_imported,
            recompressed_after,
            _dir: dir,
        }
    }
}

fn bench_read_session(c: &mut Criterion, f: &Filled) {
    bench_by_id(
        c,
        "read_session",
        f,
        |id| drop(black_box(f.mnemo.session(id).expect("mnemo session"))),
        |id| drop(black_box(f.sqlite.get_session(id).expect("sqlite session"))),
    );
}

fn bench_session_info(c: &mut Criterion, f: &Filled) {
    bench_by_id(
        c,
        "get_session_info",
        f,
        |id| {
            drop(black_box(
                f.mnemo.session_info(id).expect("mnemo session_info"),
            ))
        },
        |id| {
            drop(black_box(
                f.sqlite.session_info(id).expect("sqlite session_info"),
            ))
        },
    );
}

/// Benchmark group `name`: `mnemo` and `sqlite` each read the stored sessions by id in
/// the same shuffled order, one call per iteration.
fn bench_by_id(
    c: &mut Criterion,
    name: &str,
    f: &Filled,
    mnemo: impl Fn(&str),
    sqlite: impl Fn(&str),
) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    g.bench_function("mnemo", |b| {
        let mut i = 0;
        b.iter(|| {
            mnemo(&f.ids[i % f.ids.len()].0);
            i += 1;
        })
    });
    g.bench_function("sqlite", |b| {
        let mut i = 0;
        b.iter(|| {
            sqlite(&f.ids[i % f.ids.len()].1);
            i += 1;
        })
    });
    g.finish();
}

/// p50/p99/mean/max of `calls` timed calls of `read`, cycling through `n` ids, after one warm
/// pass over all of them.
fn latencies(n: usize, calls: usize, mut read: impl FnMut(usize)) -> [Duration; 4] {
    for i in 0..n {
        read(i);
    }
    let mut times: Vec<Duration> = (0..calls)
        .map(|i| {
            let t = Instant::now();
            read(i % n);
            t.elapsed()
        })
        .collect();
    times.sort();
    let mean = times.iter().sum::<Duration>() / calls.max(1) as u32;
    [
        percentile(&times, 50.0),
        percentile(&times, 99.0),
        mean,
        *times.last().unwrap_or(&Duration::ZERO),
    ]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn report_latency(f: &Filled, calls: usize) {
    println!("\n== get session by id (full session, texts decompressed), warm, {calls} calls over {} sessions ==", f.ids.len());
    let m = latencies(f.ids.len(), calls, |i| {
        black_box(f.mnemo.session(&f.ids[i].0).expect("mnemo session"));
    });
    let s = latencies(f.ids.len(), calls, |i| {
        black_box(f.sqlite.get_session(&f.ids[i].1).expect("sqlite session"));
    });
    println!("store    p50_us    p99_us   mean_us     max_us");
    for (name, l) in [("mnemo", m), ("sqlite", s)] {
        println!(
            "{name:<6} {:>9.1} {:>9.1} {:>9.1} {:>10.1}",
            us(l[0]),
            us(l[1]),
            us(l[2]),
            us(l[3])
        );
    }
    println!(
        "sqlite/mnemo: p50 {:.2}x, p99 {:.2}x",
        us(s[0]) / us(m[0]),
        us(s[1]) / us(m[1])
    );
    let mi = latencies(f.ids.len(), calls, |i| {
        black_box(f.mnemo.session_info(&f.ids[i].0).expect("mnemo info"));
    });
    let si = latencies(f.ids.len(), calls, |i| {
        black_box(f.sqlite.session_info(&f.ids[i].1).expect("sqlite info"));
    });
    println!(
        "session info only: mnemo p50 {:.1} us p99 {:.1} us; sqlite p50 {:.1} us p99 {:.1} us",
        us(mi[0]),
        us(mi[1]),
        us(si[0]),
        us(si[1])
    );
    // Mnemo's read path in steps, through the public API: `session_info` = id resolution +
    // `sessions` row; `export_session` = that + log entry + chunks (multi_get, decompress,
    // BLAKE3 check, concatenate); `session` = that + message texts resolved from the bytes.
    let me = latencies(f.ids.len(), calls, |i| {
        black_box(f.mnemo.export_session(&f.ids[i].0).expect("mnemo export"));
    });
    println!(
        "mnemo read path (mean us): session_info {:.1}, export_session {:.1}, session {:.1}",
        us(mi[2]),
        us(me[2]),
        us(m[2])
    );
}

fn report_sizes(f: &Filled, files: &[Transcript]) {
    f.mnemo.flush().expect("mnemo flush");
    let stats = f.mnemo.stats().expect("mnemo stats");
    let baseline = plain_zstd_baseline(files).expect("baseline");
    let sqlite_bytes = f.sqlite.checkpointed_bytes().expect("sqlite checkpoint");
    let mnemo_dir = dir_bytes(f.mnemo.path());
    let raw = total_bytes(files);
    println!("\n== sizes ==");
    println!(
        "input: {} files, {:.2} MB; {} sessions, {} messages in Mnemo; {} files failed to import, {} sessions deduplicated by Mnemo",
        files.len(),
        mb(raw),
        stats.counters.sessions,
        stats.counters.messages,
        f.failed_files,
        f.already_stored
    );
    println!(
        "plain per-message zstd-3 baseline (message text only, nothing else): {} messages, {:.2} MB text -> {} bytes ({:.2} MB)",
        baseline.messages,
        mb(baseline.text_bytes),
        baseline.compressed_bytes,
        mb(baseline.compressed_bytes)
    );
    println!(
        "mnemo stored_content_bytes: {} ({:.2} MB; blobs {} + log {}), compression_ratio {:.2}, dictionaries {}",
        stats.stored_content_bytes,
        mb(stats.stored_content_bytes),
        stats.counters.blob_stored_bytes,
        stats.counters.log_stored_bytes,
        stats.compression_ratio(),
        stats.dictionaries
    );
    println!(
        "mnemo disk_bytes (SST + memtables, after flush): {} ({:.2} MB); store directory total (WAL, MANIFEST, LOG...): {} ({:.2} MB)",
        stats.disk_bytes(),
        mb(stats.disk_bytes()),
        mnemo_dir,
        mb(mnemo_dir)
    );
    for cf in &stats.column_families {
        println!("  cf {:<10} {:>10}", cf.name, cf.bytes);
    }
    println!("search index: {} tokens", stats.counters.tokens);
    println!(
        "sqlite file (after wal_checkpoint(TRUNCATE)): {} ({:.2} MB)",
        sqlite_bytes,
        mb(sqlite_bytes)
    );
    let fts_dir = TempDir::new().expect("tempdir");
    let (_, fts, _) = import_sqlite(&fts_dir, files, false, true);
    let fts_bytes = fts.checkpointed_bytes().expect("sqlite checkpoint");
    println!(
        "sqlite file with FTS5 index (after wal_checkpoint(TRUNCATE)): {} ({:.2} MB)",
        fts_bytes,
        mb(fts_bytes)
    );
    println!(
        "mnemo stored_content / plain zstd baseline, as imported (sessions at level {}): {:.3} (goal <= 0.67)",
        mnemo::Options::default().blob_write_level,
        f.as_imported.stored_content_bytes as f64 / baseline.compressed_bytes as f64
    );
    println!(
        "mnemo stored_content / plain zstd baseline, after the background recompression (level {}, caught up {:.2} s after the import returned): {:.3} (goal <= 0.67)",
        mnemo::Options::default().recompress_level,
        f.recompressed_after.as_secs_f64(),
        stats.stored_content_bytes as f64 / baseline.compressed_bytes as f64
    );
    let start = Instant::now();
    let report = f.mnemo.compact(15).expect("mnemo compact");
    let compacted = f.mnemo.stats().expect("mnemo stats");
    println!(
        "mnemo compact(15): {} of {} blobs rewritten in {:.2} s; stored_content {} ({:.2} MB); / plain zstd baseline: {:.3} (goal <= 0.67)",
        report.rewritten,
        report.blobs,
        start.elapsed().as_secs_f64(),
        compacted.stored_content_bytes,
        mb(compacted.stored_content_bytes),
        compacted.stored_content_bytes as f64 / baseline.compressed_bytes as f64
    );
    println!(
        "mnemo disk_bytes / sqlite file: {:.3}; / sqlite file with FTS5: {:.3}",
        stats.disk_bytes() as f64 / sqlite_bytes as f64,
        stats.disk_bytes() as f64 / fts_bytes as f64
    );
}

/// Where import time goes: parsing alone (the part both stores share), once over all files.
fn report_parse(f: &Filled, files: &[Transcript]) {
    let start = Instant::now();
    for t in files {
        let _ = black_box(mnemo::import::parse(black_box(&t.bytes)));
    }
    let parse = start.elapsed();
    let raw = mb(total_bytes(files));
    println!("\n== import breakdown (one pass each, durable) ==");
    println!(
        "parse only: {:.3} s ({:.1} MB/s); mnemo import (pre-fill): {:.3} s ({:.1} MB/s); sqlite import (pre-fill): {:.3} s ({:.1} MB/s)",
        parse.as_secs_f64(),
        raw / parse.as_secs_f64(),
        f.mnemo_import.as_secs_f64(),
        raw / f.mnemo_import.as_secs_f64(),
        f.sqlite_import.as_secs_f64(),
        raw / f.sqlite_import.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Criterion's rule: without `--bench` (cargo test --benches) or with `--test`, test mode.
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let all = load_transcripts().expect("load transcripts");
    // Test mode keeps every tenth file of a large set (a small set is used whole).
    let files: Vec<Transcript> = if full || all.len() < 50 {
        all
    } else {
        all.into_iter().step_by(10).collect()
    };
    println!(
        "data: {} ({} transcript files, {:.2} MB{})",
        data_dir().display(),
        files.len(),
        mb(total_bytes(&files)),
        if full { "" } else { "; test mode" }
    );

    let mut c = Criterion::default().configure_from_args();
    bench_import(&mut c, &files);
    let filled = Filled::new(&files);
    assert!(!filled.ids.is_empty(), "no session imported by both stores");
    bench_read_session(&mut c, &filled);
    bench_session_info(&mut c, &filled);
    c.final_summary();

    // `--profile-time` (profiling one benchmark under perf): no reports to blur the profile.
    if args.iter().any(|a| a.starts_with("--profile-time")) {
        return;
    }
    report_latency(&filled, if full { 20_000 } else { 200 });
    report_sizes(&filled, &files);
    report_parse(&filled, &files);
}
