//! The importer for SpecStory markdown, called without detection, must never panic whatever
//! bytes it is handed; what it accepts must satisfy the span contract.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnemo::import::{parse_as, Format};

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = parse_as(Format::SpecStory, data) {
        if let Err(e) = file.verify(data) {
            panic!("contract broken: {e}");
        }
    }
});
