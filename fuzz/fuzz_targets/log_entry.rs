//! The log's decoders must never panic, whatever bytes a `log` or `stream_index` value
//! holds: a log block and the entries in it, an entry's stored value, the context-view rows
//! of an entry of any type with any payload, and a stream-index run.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mnemo::codec::{Codec, Plaintext};
use mnemo::log::block::LogBlock;
use mnemo::log::{decode_entry, CommitRecord, IndexRun, LogEntry};

fuzz_target!(|data: &[u8]| {
    let codec = Codec::new(3, Arc::new(Plaintext));
    let commit = CommitRecord {
        first_seq: 1,
        last_seq: 1,
        timestamp: 0,
        hash: [0; 32],
    };
    if let Ok(entry) = decode_entry(&codec, 1, data, &commit) {
        let _ = mnemo::context_views::view_rows(&entry);
    }
    // A block from any key and value: its entries are read or a typed error, and each entry
    // found is where `stored` finds it.
    if data.len() >= 8 {
        let (key, value) = data.split_at(8);
        if let Ok(block) = LogBlock::parse(key, value) {
            assert!(block.commit.contains(block.first_seq) && block.commit.contains(block.last_seq));
            for item in block.entries().take(10_000) {
                match item {
                    Ok((seq, stored)) => {
                        assert_eq!(block.stored(seq).ok(), Some(stored));
                        let _ = decode_entry(&codec, seq, stored, &block.commit);
                    }
                    Err(_) => break,
                }
            }
        }
    }
    // Mnemo's own event types with arbitrary payloads: rows or a typed error.
    for (stream, kind) in [
        ("session/00112233445566778899aabbccddeeff", "session.imported"),
        ("source/00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "source.imported"),
        ("prompt/p", "prompt.added"),
        ("prompt/p", "prompt.labeled"),
        ("workflow/w", "workflow.added"),
        ("session/xyz", "session.imported"),
    ] {
        let entry = LogEntry {
            seq: 1,
            stream: stream.into(),
            version: 1,
            kind: kind.into(),
            schema: 1,
            timestamp: 0,
            payload: data.to_vec(),
            metadata: Vec::new(),
            hash: [0; 32],
        };
        let _ = mnemo::context_views::view_rows(&entry);
    }
    for first_version in [1, u64::MAX] {
        if let Ok(run) = IndexRun::decode(first_version, data) {
            assert_eq!(run.value()[..], data[..], "a decoded run re-encodes to its value");
        }
    }
});
