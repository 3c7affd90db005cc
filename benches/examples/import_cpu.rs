//! CPU cost of importing all shared transcripts, for comparing on a shared machine (CPU
//! time is steadier than wall time there): `import_cpu MODE [rounds]` with MODE one of
//! `mnemo` (one `import_bytes` commit per file), `mnemo-notrain` (the same without
//! dictionary training), `mnemo-indexed` (then brings the search index up to date),
//! `mnemo-paths` (`import_paths`: worker threads, group commits; with `INDEX=1` in the
//! environment it then brings the search index up to date), `sqlite` (the peer, one
//! transaction per file). No fsync unless `SYNC=1` is set in the
//! environment (then an fsync per file on both sides, the default durability). For
//! `mnemo-paths`, `LEVEL=n` sets the write level (`Options::compression_level`), `BLOB_LEVEL=n` that of
//! session blobs (`Options::blob_write_level`) and
//! `TRAIN=0` turns dictionary training off. Prints wall and process CPU time (all threads)
//! per round, store open and close included; for `mnemo-paths` also those of the
//! `import_paths` call alone; with `EXIT=1` the process exits right after that call (no
//! close, training or recompression after it: a profile of the import alone).

use mnemo::{Mnemo, Options};
use mnemo_benches::{load_transcripts, mnemo_options, total_bytes, SqliteStore};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "mnemo".into());
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let files = load_transcripts().expect("transcripts");
    let sync = std::env::var("SYNC").is_ok_and(|v| v == "1");
    let mb = total_bytes(&files) as f64 / 1e6;
    for _ in 0..rounds {
        let dir = tempfile::tempdir().expect("tempdir");
        let (t, cpu) = (std::time::Instant::now(), mnemo_benches::process_cpu());
        match mode.as_str() {
            "mnemo" | "mnemo-notrain" | "mnemo-indexed" => {
                let s = Mnemo::open(
                    dir.path(),
                    Options {
                        dictionary_training_bytes: if mode == "mnemo" { 1 << 20 } else { 0 },
                        ..mnemo_options(sync)
                    },
                )
                .expect("open");
                for f in &files {
                    let _ = s.import_bytes(&f.path, &f.bytes);
                }
                if mode == "mnemo-indexed" {
                    s.update_search_index().expect("index");
                }
            }
            "mnemo-paths" => {
                let mut options = mnemo_options(sync);
                if let Some(level) = std::env::var("LEVEL").ok().and_then(|l| l.parse().ok()) {
                    options.compression_level = level;
                }
                if let Some(level) = std::env::var("BLOB_LEVEL")
                    .ok()
                    .and_then(|l| l.parse().ok())
                {
                    options.blob_write_level = level;
                }
                if std::env::var("TRAIN").is_ok_and(|v| v == "0") {
                    options.dictionary_training_bytes = 0;
                }
                let s = Mnemo::open(dir.path(), options).expect("open");
                let root = mnemo_benches::transcripts_dir();
                let paths: Vec<_> = files.iter().map(|f| root.join(&f.path)).collect();
                let (t, cpu) = (std::time::Instant::now(), mnemo_benches::process_cpu());
                s.import_paths(&paths, |_| {}).expect("import_paths");
                println!(
                    "  import_paths alone: {:?} wall, {:?} CPU",
                    t.elapsed(),
                    mnemo_benches::process_cpu() - cpu
                );
                if std::env::var("EXIT").is_ok_and(|v| v == "1") {
                    // For profiling the import alone: no close, no background work after.
                    std::process::exit(0);
                }
                if std::env::var("INDEX").is_ok_and(|v| v == "1") {
                    s.update_search_index().expect("index");
                }
            }
            "parse" => {
                for f in &files {
                    let _ = std::hint::black_box(mnemo::import::parse(&f.bytes));
                }
            }
            _ => {
                let mut s = SqliteStore::open(dir.path().join("peer.sqlite"), sync).expect("open");
                for f in &files {
                    let _ = s.import_bytes(&f.path.to_string_lossy(), &f.bytes);
                }
            }
        }
        let (wall, cpu) = (t.elapsed(), mnemo_benches::process_cpu() - cpu);
        println!(
            "{mode}: {mb:.1} MB in {wall:?} wall ({:.1} MB/s), {cpu:?} CPU ({:.1} MB per CPU-second)",
            mb / wall.as_secs_f64(),
            mb / cpu.as_secs_f64()
        );
    }
}
