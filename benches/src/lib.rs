//! Shared code of Mnemo's benchmarks: where the benchmark data lives, loading it into memory,
//! and the peer Mnemo is compared with.
//!
//! The peer is [`SqliteStore`]: the embedded store a user would otherwise pick for the same
//! job, SQLite in WAL mode with `synchronous=FULL` (the same durability as Mnemo's default
//! fsync per commit), one transaction per imported file, message texts compressed with zstd
//! level 3. It parses transcripts with the same parser Mnemo uses
//! ([`mnemo::import::parse`]), so a comparison of the two measures storage against storage.
//!
//! The peer lives in `sqlite.rs`; the event-store benchmarks' events and peers (SQLite, raw
//! RocksDB) are in [`events`].

pub mod events;
mod sqlite;

pub use sqlite::SqliteStore;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use mnemo::import;

/// Errors of the benchmark helpers (any error, boxed).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Result of the benchmark helpers.
pub type Result<T> = std::result::Result<T, BoxError>;

/// The zstd level of the SQLite peer and of the plain per-message baseline (Mnemo's default).
pub const ZSTD_LEVEL: i32 = 3;

/// The workspace root (`benches/..`).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The benchmark data folder: `$MNEMO_DATA` when set, else the shared data beside the
/// workspace (`<workspace>/../shared/data`). When that folder has no `transcripts`, falls
/// back to `<workspace>/examples` (the small sample set under `examples/transcripts`) and
/// prints a note saying so. The choice is made once per process.
pub fn data_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("MNEMO_DATA") {
            return PathBuf::from(dir);
        }
        let shared = workspace_dir().join("../shared/data");
        if shared.join("transcripts").is_dir() {
            return shared;
        }
        let examples = workspace_dir().join("examples");
        println!(
            "note: {} not found (set MNEMO_DATA to the shared data folder); \
             benchmarking the small sample set in {} instead",
            shared.join("transcripts").display(),
            examples.join("transcripts").display()
        );
        examples
    })
    .clone()
}

/// One transcript file, held in memory.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// Path relative to the `transcripts` folder (`owner__repo/...`).
    pub path: PathBuf,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// The folder holding the transcripts: `<data_dir>/transcripts`.
pub fn transcripts_dir() -> PathBuf {
    data_dir().join("transcripts")
}

/// Every file under [`transcripts_dir`], recursively, sorted by path, read into memory.
pub fn load_transcripts() -> Result<Vec<Transcript>> {
    let root = transcripts_dir();
    let mut paths = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let entry = entry?;
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                paths.push(entry.path());
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let path = p.strip_prefix(&root).unwrap_or(&p).to_path_buf();
            Ok(Transcript { path, bytes })
        })
        .collect()
}

/// Files per group commit in the grouped imports (as in Mnemo's `import_paths`).
pub const GROUP_FILES: usize = 64;
/// Source bytes after which a group is committed (as in Mnemo's `import_paths`).
pub const GROUP_BYTES: u64 = 8 << 20;

/// Cuts `files` into consecutive groups the way Mnemo's `import_paths` does: a group is
/// committed once it holds [`GROUP_FILES`] files or at least [`GROUP_BYTES`] bytes.
pub fn groups(files: &[Transcript]) -> Vec<&[Transcript]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, f) in files.iter().enumerate() {
        bytes += f.bytes.len() as u64;
        if i + 1 - start >= GROUP_FILES || bytes >= GROUP_BYTES {
            out.push(&files[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < files.len() {
        out.push(&files[start..]);
    }
    out
}

/// Total size in bytes of `files`.
pub fn total_bytes(files: &[Transcript]) -> u64 {
    files.iter().map(|f| f.bytes.len() as u64).sum()
}

/// Shuffles `items` in place with a fixed-seed Fisher–Yates (splitmix64), so every run reads
/// the same ids in the same order.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The `p`-th percentile (0–100, nearest rank) of `sorted`, which must be sorted ascending.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Total size of the regular files below `path` (what `du --apparent-size` would count).
pub fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(ft) if ft.is_dir() => dir_bytes(&e.path()),
            Ok(ft) if ft.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// The "plain per-message zstd" baseline: what compressing each message text on its own
/// takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlainZstdBaseline {
    /// Messages counted (every message of every session of every file that parses).
    pub messages: u64,
    /// Their text bytes, uncompressed.
    pub text_bytes: u64,
    /// Sum over those messages of `zstd::bulk::compress(text, 3).len()`: message text only,
    /// nothing else (no metadata, tool calls, timestamps or markup).
    pub compressed_bytes: u64,
}

/// Computes [`PlainZstdBaseline`] over `files` (files that do not parse are skipped).
pub fn plain_zstd_baseline(files: &[Transcript]) -> Result<PlainZstdBaseline> {
    let mut out = PlainZstdBaseline::default();
    for f in files {
        let Ok(parsed) = import::parse(&f.bytes) else {
            continue;
        };
        for s in &parsed.sessions {
            for m in &s.messages {
                let text = m.message.text.as_bytes();
                out.messages += 1;
                out.text_bytes += text.len() as u64;
                out.compressed_bytes += zstd::bulk::compress(text, ZSTD_LEVEL)?.len() as u64;
            }
        }
    }
    Ok(out)
}

/// Checkpoints a SQLite peer's WAL into its database file (`wal_checkpoint(TRUNCATE)`) and
/// returns the size of the database file at `path` plus whatever is left in the WAL.
pub(crate) fn checkpointed_bytes(conn: &rusqlite::Connection, path: &Path) -> Result<u64> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    if busy != 0 {
        return Err("wal_checkpoint(TRUNCATE) was blocked".into());
    }
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut wal = path.to_path_buf().into_os_string();
    wal.push("-wal");
    Ok(len(path) + len(Path::new(&wal)))
}

/// Mnemo's options in the benchmarks and probes: the defaults, with an fsync per commit
/// (`sync_writes`, the default durability) or without.
pub fn mnemo_options(sync_writes: bool) -> mnemo::Options {
    mnemo::Options {
        sync_writes,
        ..mnemo::Options::default()
    }
}

/// CPU time of the whole process so far (every thread, RocksDB's and Mnemo's background
/// ones too): the probes in `examples/` report it beside wall time, as it is steadier on a
/// shared machine.
pub fn process_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_and_shuffle() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&d, 50.0), Duration::from_micros(50));
        assert_eq!(percentile(&d, 99.0), Duration::from_micros(99));
        let mut a: Vec<u32> = (0..50).collect();
        let mut b = a.clone();
        shuffle(&mut a, 7);
        shuffle(&mut b, 7);
        assert_eq!(a, b);
        assert_ne!(a, (0..50).collect::<Vec<_>>());
        a.sort();
        assert_eq!(a, (0..50).collect::<Vec<_>>());
    }
}
