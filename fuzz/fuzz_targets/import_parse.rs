//! Format detection and every importer behind it must never panic, whatever bytes they are
//! handed; what they accept must satisfy the span contract.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnemo::import::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = parse(data) {
        if let Err(e) = file.verify(data) {
            panic!("contract broken: {e}");
        }
    }
});
