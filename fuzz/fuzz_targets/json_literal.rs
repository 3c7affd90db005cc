//! The JSON string-literal comparer the import uses to store a message text as a reference
//! into its file (`mnemo::import::literal_decodes_to`) must agree with `serde_json`: it says
//! yes only where `serde_json` decodes the literal to that text, and says yes to the text
//! `serde_json` decodes from a literal standing alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnemo::import::literal_decodes_to;

fuzz_target!(|data: &[u8]| {
    // The literal, then (after the first 0xFF, which UTF-8 text never holds) a text.
    let (literal, text) = match data.iter().position(|&b| b == 0xff) {
        Some(at) => (&data[..at], String::from_utf8_lossy(&data[at + 1..]).into_owned()),
        None => (data, String::new()),
    };
    let decoded: Option<String> = serde_json::from_slice(literal).ok();
    if literal_decodes_to(literal, &text) {
        assert_eq!(decoded.as_deref(), Some(text.as_str()), "accepted what serde_json reads otherwise");
    }
    if let Some(d) = &decoded {
        let bare = literal.first() == Some(&b'"') && literal.last() == Some(&b'"');
        if bare {
            assert!(literal_decodes_to(literal, d), "refused what serde_json reads");
        }
    }
});
