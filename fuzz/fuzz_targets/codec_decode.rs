//! The value decoder must never panic, whatever bytes it is handed; frames it accepts
//! must re-encode to the same content.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mnemo::codec::{Codec, ContentKind, Plaintext};

fuzz_target!(|data: &[u8]| {
    let codec = Codec::new(3, Arc::new(Plaintext));
    let decoded = codec.decode(data);
    // The borrowing decoder agrees with the copying one on every input.
    let borrowed = codec.decode_with(data, |raw| Ok(raw.to_vec()));
    assert_eq!(decoded.is_ok(), borrowed.is_ok());
    if let Ok(raw) = decoded {
        assert_eq!(borrowed.expect("checked above"), raw);
        let frame = codec.encode(ContentKind::Other, &raw).expect("encode decoded value");
        assert_eq!(codec.decode(&frame).expect("decode own frame"), raw);
    }
    // Everything encodes and decodes back.
    let frame = codec.encode(ContentKind::Transcript, data).expect("encode");
    assert_eq!(codec.decode(&frame).expect("round trip"), data);
    let mut buf = vec![0u8; mnemo::codec::HEADER_LEN];
    buf.extend_from_slice(data);
    let stored = codec.frame_uncompressed(buf).expect("frame uncompressed");
    assert_eq!(codec.decode(&stored).expect("uncompressed round trip"), data);
});
