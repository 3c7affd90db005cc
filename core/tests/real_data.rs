//! The store on the real transcripts in the shared data folder: every file imports (or is
//! reported as unknown), exports byte-exact, and search finds what is there.

mod common;

use mnemo::{Error, Mnemo, Options, SessionFilter};

#[test]
fn real_transcripts_round_trip_byte_exact() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let files: Vec<_> = common::files_below(&data.join("transcripts"));
    assert!(
        files.len() > 400,
        "expected the shared transcripts, found {}",
        files.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Mnemo::open(dir.path(), Options::default()).unwrap();
    let mut imported = Vec::new();
    let mut rejected = Vec::new();
    for path in &files {
        match store.import_file(path) {
            Ok(r) => imported.push((path.clone(), r)),
            Err(e @ (Error::UnknownFormat { .. } | Error::Import { .. })) => rejected.push(e),
            Err(e) => panic!("{e}"),
        }
    }
    // Five files in the data are not transcripts (notes kept beside them, an empty SpecStory
    // header); tests/import_real_data.rs names each and why.
    assert!(rejected.len() <= 5, "rejected: {rejected:?}");
    for (path, r) in &imported {
        let original = std::fs::read(path).unwrap();
        assert_eq!(
            store.export_source(&r.source_id).unwrap(),
            original,
            "{} not byte-exact",
            path.display()
        );
    }
    store.flush().unwrap(); // waits for background dictionary training
    let stats = store.stats().unwrap();
    let sessions = store.list_sessions(&SessionFilter::default()).unwrap();
    assert_eq!(sessions.len() as u64, stats.counters.sessions);
    assert!(stats.counters.sessions >= imported.len() as u64);
    // Every session reads back; its messages' text is non-empty where the parser found text.
    for s in &sessions {
        let full = store.session(&s.id).unwrap();
        assert_eq!(full.messages.len() as u32, s.message_count);
    }
    // Search finds a term known to be in the SWE-agent trajectories.
    let hits = store
        .search("marshmallow", &SessionFilter::default(), 5)
        .unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().any(|h| h.session.source_tool == "swe-agent"));
    eprintln!(
        "real data: {} files, {} sessions, {} messages, raw {} B, stored content {} B, ratio {:.2}, dedup {} B, dictionaries {}",
        imported.len(),
        stats.counters.sessions,
        stats.counters.messages,
        stats.counters.raw_bytes,
        stats.stored_content_bytes,
        stats.compression_ratio(),
        stats.counters.dedup_bytes,
        stats.dictionaries
    );
    // As imported, sessions are at the fast write level (`Options::blob_write_level`); the
    // compaction below (or the background recompression) brings them to the compact size.
    assert!(
        stats.compression_ratio() > 1.5,
        "ratio {}",
        stats.compression_ratio()
    );
    assert!(
        stats.dictionaries >= 1,
        "a dictionary should have been trained"
    );
    // Compaction recompresses harder and changes no byte of any export.
    let report = store.compact(15).unwrap();
    let after = store.stats().unwrap();
    assert!(report.bytes_after <= report.bytes_before);
    assert!(
        after.compression_ratio() > 2.0 * stats.compression_ratio(),
        "ratio {} after compaction, {} before",
        after.compression_ratio(),
        stats.compression_ratio()
    );
    assert_eq!(
        after.counters.blob_stored_bytes + after.counters.log_stored_bytes,
        after.stored_content_bytes
    );
    eprintln!(
        "after compact(15): {} of {} blobs rewritten, stored content {} B, ratio {:.2}",
        report.rewritten,
        report.blobs,
        after.stored_content_bytes,
        after.compression_ratio()
    );
    for (path, r) in &imported {
        assert_eq!(
            store.export_source(&r.source_id).unwrap(),
            std::fs::read(path).unwrap()
        );
    }
    // Reopen: everything still there and readable with the persisted dictionaries.
    store.close();
    let store = Mnemo::open(dir.path(), Options::default()).unwrap();
    for (path, r) in imported.iter().step_by(25) {
        assert_eq!(
            store.export_source(&r.source_id).unwrap(),
            std::fs::read(path).unwrap()
        );
    }
}
