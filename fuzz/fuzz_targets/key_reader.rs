//! The composite-key reader must never panic; keys it builds must read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnemo::keys::{KeyBuilder, KeyReader};

fuzz_target!(|data: &[u8]| {
    let mut r = KeyReader::new(data);
    while !r.is_empty() {
        if r.bytes().is_err() {
            break;
        }
    }
    let key = KeyBuilder::new().bytes(data).u64(data.len() as u64).finish();
    let mut r = KeyReader::new(&key);
    assert_eq!(r.bytes().unwrap(), data);
    assert_eq!(r.u64().unwrap(), data.len() as u64);
    assert!(r.is_empty());
});
