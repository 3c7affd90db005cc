//! The reports printed after the criterion groups: end-to-end subscription latency, durable
//! and batched appends to the three stores taken in turn, and the filled stores' sizes.

use super::*;

/// What one latency run measured.
struct Latency {
    /// Send → receive of every probe, sorted.
    e2e: Vec<Duration>,
    /// Duration of every append call (commit, fsync included when durable), sorted.
    append: Vec<Duration>,
    /// Mean time between the starts of two appends.
    spacing: Duration,
}

/// The writer side of a latency run: `n` probe appends through `append`, each carrying its
/// send time (nanoseconds since `start`), at least [`PROBE_SPACING`] apart. Returns the append
/// durations and the mean spacing.
fn write_probes(
    start: Instant,
    n: usize,
    mut append: impl FnMut(usize, Vec<u8>),
) -> (Vec<Duration>, Duration) {
    let mut took = Vec::with_capacity(n);
    let first = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        append(i, probe_payload(start.elapsed().as_nanos() as u64));
        took.push(t.elapsed());
        let next = t + PROBE_SPACING;
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
        }
    }
    let spacing = first.elapsed() / n.max(1) as u32;
    took.sort();
    (took, spacing)
}

/// One latency run: `receive` (on its own thread) returns each probe's send → receive time
/// while the writer thread appends `n` probes through `append` ([`write_probes`]).
fn probe_latency(
    start: Instant,
    n: usize,
    receive: impl FnOnce() -> Vec<Duration> + Send,
    append: impl FnMut(usize, Vec<u8>) + Send,
) -> Latency {
    let (mut e2e, (append, spacing)) = thread::scope(|scope| {
        let reader = scope.spawn(receive);
        let writer = scope.spawn(|| write_probes(start, n, append));
        let w = writer.join().expect("writer");
        (reader.join().expect("reader"), w)
    });
    e2e.sort();
    Latency {
        e2e,
        append,
        spacing,
    }
}

/// Latency of Mnemo's change feed: a subscriber thread (`subscribe` from the log's end, then
/// `next_timeout`) against a writer thread appending one probe per commit.
fn mnemo_latency(n: usize, durable: bool) -> Latency {
    let dir = TempDir::new().expect("tempdir");
    let store = Mnemo::open(dir.path().join("mnemo"), mnemo_options(durable)).expect("mnemo");
    let names: Vec<String> = (0..STREAMS).map(stream_name).collect();
    let start = Instant::now();
    let mut sub = store.subscribe(store.last_seq() + 1);
    probe_latency(
        start,
        n,
        move || {
            let mut out = Vec::with_capacity(n);
            while out.len() < n {
                let e = sub
                    .next_timeout(Duration::from_secs(10))
                    .expect("subscription")
                    .expect("no probe within 10 s");
                let received = start.elapsed();
                let sent = probe_sent_ns(&e.payload).expect("probe payload");
                out.push(received.saturating_sub(Duration::from_nanos(sent)));
            }
            out
        },
        |i, payload| {
            store
                .append(
                    &names[i % STREAMS],
                    Expected::Any,
                    vec![EventData::new("probe.sent", payload)],
                )
                .expect("mnemo append");
        },
    )
}

/// How long SQLite's poller sleeps after a poll that found nothing.
const POLL_INTERVAL: Duration = Duration::from_millis(1);

/// Latency of polling SQLite: a poller thread on its own connection runs `SELECT seq,
/// payload FROM events WHERE seq > last` and sleeps [`POLL_INTERVAL`] whenever it finds
/// nothing, against a writer thread appending one probe per transaction.
fn sqlite_latency(n: usize, durable: bool) -> Latency {
    let dir = TempDir::new().expect("tempdir");
    let mut writer_store =
        SqliteEventStore::open(dir.path().join("events.sqlite"), durable).expect("sqlite");
    let poller = writer_store.open_reader().expect("sqlite reader");
    let names: Vec<String> = (0..STREAMS).map(stream_name).collect();
    let start = Instant::now();
    probe_latency(
        start,
        n,
        move || {
            let (mut out, mut last) = (Vec::with_capacity(n), 0);
            while out.len() < n {
                let rows = poller.poll(last).expect("sqlite poll");
                let received = start.elapsed();
                if rows.is_empty() {
                    thread::sleep(POLL_INTERVAL);
                    continue;
                }
                for (seq, payload) in rows {
                    let sent = probe_sent_ns(&payload).expect("probe payload");
                    out.push(received.saturating_sub(Duration::from_nanos(sent)));
                    last = seq;
                }
            }
            out
        },
        |i, payload| {
            writer_store
                .append(
                    &names[i % STREAMS],
                    Expected::Any,
                    &[EventData::new("probe.sent", payload)],
                )
                .expect("sqlite append");
        },
    )
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn mean(d: &[Duration]) -> Duration {
    d.iter().sum::<Duration>() / d.len().max(1) as u32
}

pub(crate) fn report_latency(n: usize) {
    println!(
        "\n== subscription end-to-end latency: {n} events, one per commit, appends at least {} us apart ==",
        PROBE_SPACING.as_micros()
    );
    println!(
        "mnemo: subscriber thread in Subscription::next_timeout; sqlite: poller thread, \
         SELECT seq > last, sleeps {} ms after an empty poll",
        POLL_INTERVAL.as_millis()
    );
    println!(
        "store           e2e_p50_us e2e_p99_us e2e_mean_us  e2e_max_us append_p50_us append_p99_us spacing_us"
    );
    for (name, l) in [
        ("mnemo", mnemo_latency(n, true)),
        ("mnemo_nosync", mnemo_latency(n, false)),
        ("sqlite", sqlite_latency(n, true)),
        ("sqlite_nosync", sqlite_latency(n, false)),
    ] {
        println!(
            "{name:<15} {:>10.1} {:>10.1} {:>11.1} {:>11.1} {:>13.1} {:>13.1} {:>10.1}",
            us(percentile(&l.e2e, 50.0)),
            us(percentile(&l.e2e, 99.0)),
            us(mean(&l.e2e)),
            us(*l.e2e.last().unwrap_or(&Duration::ZERO)),
            us(percentile(&l.append, 50.0)),
            us(percentile(&l.append, 99.0)),
            us(l.spacing),
        );
    }
}

/// Batched appends (commits of [`BATCH`] events, like `append_batched`: Mnemo and SQLite to
/// one stream each with its expected version, RocksDB one `WriteBatch`) to the three stores
/// taken in turn, commit by commit, so that all see the same disk at the same time: the
/// criterion rows run one store after another, and an fsync's cost depends on what else the
/// disk is writing (the previous row's flushes), which moved the durable rows by ±25%.
pub(crate) fn report_batched_interleaved(rounds: usize, pool: &[EventData]) {
    for durable in [true, false] {
        let dir = TempDir::new().expect("tempdir");
        let mnemo = Mnemo::open(dir.path().join("mnemo"), mnemo_options(durable)).expect("mnemo");
        let mut sqlite =
            SqliteEventStore::open(dir.path().join("events.sqlite"), durable).expect("sqlite");
        let mut raw = RawRocks::open(dir.path().join("rocksdb"), durable).expect("rocksdb");
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        let mut version = 0u64;
        for k in 0..rounds {
            let start = k * BATCH % POOL;
            let batch = &pool[start..start + BATCH];
            let owned = batch.to_vec();
            let t = Instant::now();
            mnemo
                .append("stream-0", expected(version), owned)
                .expect("mnemo append");
            times[0].push(t.elapsed());
            let t = Instant::now();
            sqlite
                .append("stream-0", expected(version), batch)
                .expect("sqlite append");
            times[1].push(t.elapsed());
            let t = Instant::now();
            raw.append(batch.iter().map(|e| &e.payload[..]))
                .expect("rocksdb append");
            times[2].push(t.elapsed());
            version += BATCH as u64;
        }
        println!(
            "\n== batched appends{}, the three stores in turn, {rounds} rounds of {BATCH} events (one commit each{}) ==",
            suffix(durable),
            if durable { ", fsync each" } else { ", no fsync" }
        );
        println!("store     events_per_s  p50_ms  p99_ms  vs_rocksdb");
        let rate =
            |t: &[Duration]| (t.len() * BATCH) as f64 / t.iter().sum::<Duration>().as_secs_f64();
        let raw_rate = rate(&times[2]);
        for (name, t) in ["mnemo", "sqlite", "rocksdb"].iter().zip(&mut times) {
            let r = rate(t);
            t.sort();
            println!(
                "{name:<7} {:>14.0} {:>7.3} {:>7.3} {:>10.2}",
                r,
                us(percentile(t, 50.0)) / 1000.0,
                us(percentile(t, 99.0)) / 1000.0,
                r / raw_rate,
            );
        }
    }
}

/// Durable single appends to the three stores taken in turn (Mnemo, SQLite, RocksDB, Mnemo,
/// ...), each call timed, so that all three see the same disk: an fsync's latency on a shared
/// virtual disk drifts by 10x within minutes, which criterion's one-store-after-the-other
/// groups cannot separate from the stores' own cost.
pub(crate) fn report_durable_interleaved(n: usize, pool: &[EventData]) {
    let dir = TempDir::new().expect("tempdir");
    let names: Vec<String> = (0..STREAMS).map(stream_name).collect();
    let mnemo = Mnemo::open(dir.path().join("mnemo"), mnemo_options(true)).expect("mnemo");
    let mut sqlite =
        SqliteEventStore::open(dir.path().join("events.sqlite"), true).expect("sqlite");
    let mut raw = RawRocks::open(dir.path().join("rocksdb"), true).expect("rocksdb");
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    let mut versions = vec![0u64; STREAMS];
    for i in 0..n {
        let s = i * 617 % STREAMS;
        let e = &pool[i % POOL];
        let t = Instant::now();
        mnemo
            .append(&names[s], expected(versions[s]), vec![e.clone()])
            .expect("mnemo append");
        times[0].push(t.elapsed());
        let t = Instant::now();
        sqlite
            .append(&names[s], expected(versions[s]), std::slice::from_ref(e))
            .expect("sqlite append");
        times[1].push(t.elapsed());
        let t = Instant::now();
        raw.append([&e.payload[..]]).expect("rocksdb append");
        times[2].push(t.elapsed());
        versions[s] += 1;
    }
    println!(
        "\n== durable single appends, the three stores in turn, {n} rounds (one event per commit, fsync each) =="
    );
    println!("store     p50_us   p99_us  mean_us    max_us");
    for (name, t) in ["mnemo", "sqlite", "rocksdb"].iter().zip(&mut times) {
        t.sort();
        println!(
            "{name:<7} {:>8.1} {:>8.1} {:>8.1} {:>9.1}",
            us(percentile(t, 50.0)),
            us(percentile(t, 99.0)),
            us(mean(t)),
            us(*t.last().unwrap_or(&Duration::ZERO)),
        );
    }
}

pub(crate) fn report_filled(f: &Filled) {
    f.mnemo.flush().expect("mnemo flush");
    let stats = f.mnemo.stats().expect("mnemo stats");
    let sqlite_bytes = f.sqlite.checkpointed_bytes().expect("sqlite checkpoint");
    let log_bytes = stats
        .column_families
        .iter()
        .find(|cf| cf.name == "log")
        .map_or(0, |cf| cf.bytes);
    let payload: u64 = (0..f.events)
        .map(|i| event(1 << 32 | i).payload.len() as u64)
        .sum();
    println!(
        "\n== the filled log ({} events, {} streams of 1,000) ==",
        f.events,
        f.long.len()
    );
    println!(
        "fill, commits of {BATCH} events (append_many, fsync each): mnemo {:.3} s ({:.0} events/s), sqlite {:.3} s ({:.0} events/s), rocksdb {:.3} s ({:.0} events/s)",
        f.fill[0].as_secs_f64(),
        f.events as f64 / f.fill[0].as_secs_f64(),
        f.fill[1].as_secs_f64(),
        f.events as f64 / f.fill[1].as_secs_f64(),
        f.fill[2].as_secs_f64(),
        f.events as f64 / f.fill[2].as_secs_f64(),
    );
    println!(
        "payload bytes {} ({:.2} MB); mnemo disk_bytes {} ({:.2} MB, log column family {:.1} B/event); sqlite file {} ({:.2} MB); rocksdb dir {} ({:.2} MB)",
        payload,
        mb(payload),
        stats.disk_bytes(),
        mb(stats.disk_bytes()),
        log_bytes as f64 / f.events as f64,
        sqlite_bytes,
        mb(sqlite_bytes),
        dir_bytes(f.rocks.path()),
        mb(dir_bytes(f.rocks.path())),
    );
    for cf in &stats.column_families {
        println!("  cf {:<12} {:>10}", cf.name, cf.bytes);
    }
}
