//! The value decoder must never panic, whatever bytes it is handed; frames it accepts
//! must re-encode to the same content.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mnemo::codec::{Codec, ContentKind, Plaintext};

fuzz_target!(|data: &[u8]| {
    let codec = Codec::new(3, Arc::new(Plaintext));
    if let Ok(raw) = codec.decode(data) {
        let frame = codec.encode(ContentKind::Other, &raw).expect("encode decoded value");
        assert_eq!(codec.decode(&frame).expect("decode own frame"), raw);
    }
    // Everything encodes and decodes back.
    let frame = codec.encode(ContentKind::Transcript, data).expect("encode");
    assert_eq!(codec.decode(&frame).expect("round trip"), data);
});
