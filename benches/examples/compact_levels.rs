//! Stored size and CPU cost of recompressing all shared transcripts at each zstd level:
//! `compact_levels [LEVEL...]` (default 3 6 9 12 15) imports them into a fresh store per
//! level with `import_paths`, then runs `compact(level)`, and prints the stored content
//! bytes over the plain per-message zstd-3 baseline (issue 2's size goal: <= 0.67) with the
//! compaction's wall and process CPU time.

use mnemo::Mnemo;
use mnemo_benches::{load_transcripts, mnemo_options, plain_zstd_baseline, process_cpu};

fn main() {
    let levels: Vec<i32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let levels = if levels.is_empty() {
        vec![3, 6, 9, 12, 15]
    } else {
        levels
    };
    let files = load_transcripts().expect("transcripts");
    let baseline = plain_zstd_baseline(&files)
        .expect("baseline")
        .compressed_bytes as f64;
    let root = mnemo_benches::transcripts_dir();
    let paths: Vec<_> = files.iter().map(|f| root.join(&f.path)).collect();
    for level in levels {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Mnemo::open(dir.path(), mnemo_options(false)).expect("open");
        store.import_paths(&paths, |_| {}).expect("import_paths");
        let before = store.stats().expect("stats").stored_content_bytes as f64;
        let (t, cpu) = (std::time::Instant::now(), process_cpu());
        let report = store.compact(level).expect("compact");
        let (wall, cpu) = (t.elapsed(), process_cpu() - cpu);
        let after = store.stats().expect("stats").stored_content_bytes as f64;
        println!(
            "level {level:>2}: as imported {:.3}, after compact {:.3} of the baseline; {} of {} blobs rewritten in {wall:.2?} wall, {cpu:.2?} CPU",
            before / baseline,
            after / baseline,
            report.rewritten,
            report.blobs
        );
    }
}
