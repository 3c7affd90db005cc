//! Index terms: how message text and queries are cut into the terms the index keys on
//! (alphanumeric runs, `_` included, lower-cased, 2-32 bytes, stop words dropped).

const MIN_TERM: usize = 2;
const MAX_TERM: usize = 32;

#[cfg(test)]
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

fn is_stop_word(w: &str) -> bool {
    // A match compiles to length-and-bytes comparisons; keep in sync with STOP_WORDS.
    matches!(
        w,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "but"
            | "by"
            | "for"
            | "if"
            | "in"
            | "into"
            | "is"
            | "it"
            | "no"
            | "not"
            | "of"
            | "on"
            | "or"
            | "such"
            | "that"
            | "the"
            | "their"
            | "then"
            | "there"
            | "these"
            | "they"
            | "this"
            | "to"
            | "was"
            | "will"
            | "with"
    )
}

#[cfg(test)]
fn is_term_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Call `f` with each lower-case index term of `text` (alphanumeric runs, `_` included,
/// 2-32 bytes, stop words dropped), reusing one buffer: no allocation per term.
///
/// Scans bytes, decoding a character only where a byte is not ASCII: transcripts are
/// mostly ASCII, and this is the indexer's inner loop. Gives exactly the terms of
/// splitting the text on every character that is neither alphanumeric nor `_`
/// ([`terms_by_chars`], which the tests compare it with).
pub fn for_each_term(text: &str, mut f: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut buf = String::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let mut ascii = true;
        while let Some(&b) = bytes.get(at) {
            if b.is_ascii() {
                if !(b.is_ascii_alphanumeric() || b == b'_') {
                    break;
                }
                at += 1;
            } else {
                match text.get(at..).and_then(|rest| rest.chars().next()) {
                    Some(c) if c.is_alphanumeric() => {
                        at += c.len_utf8();
                        ascii = false;
                    }
                    _ => break,
                }
            }
        }
        if at == start {
            // A separator: step over it (one character).
            at += text
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .map_or(1, char::len_utf8);
            continue;
        }
        let word = &text[start..at];
        if !(MIN_TERM..=MAX_TERM).contains(&word.len()) {
            continue;
        }
        buf.clear();
        if ascii {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(word.chars().flat_map(char::to_lowercase));
        }
        if !is_stop_word(&buf) {
            f(&buf);
        }
    }
}

/// The terms of `text` by splitting on characters: the definition [`for_each_term`]
/// implements faster.
#[cfg(test)]
fn terms_by_chars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !is_term_char(c)) {
        if !(MIN_TERM..=MAX_TERM).contains(&word.len()) {
            continue;
        }
        let lower: String = word.chars().flat_map(char::to_lowercase).collect();
        if !is_stop_word(&lower) {
            out.push(lower);
        }
    }
    out
}

/// Split text into lower-case index terms (see [`for_each_term`]).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_lowercases_and_drops_noise() {
        let t = tokenize("Fix the RocksDB_lock error in src/main.rs, a b Ärger");
        assert_eq!(
            t,
            ["fix", "rocksdb_lock", "error", "src", "main", "rs", "ärger"]
        );
    }

    #[test]
    fn byte_scanner_gives_the_terms_of_a_split_on_characters() {
        let samples = [
            "Fix the RocksDB_lock error in src/main.rs, a b Ärger",
            "naïve café ÉCOLE straße ǅemal İstanbul — «quoted» 東京タワー x²+y² ①②",
            "mixed_ascii_üñíçødé__words and-dashes/paths.rs:42 ____ __a",
            "",
            "\u{1F600}emoji\u{1F600} tab\tnew\nline\r\n",
        ];
        for text in samples {
            assert_eq!(tokenize(text), terms_by_chars(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_scanner_agrees_on_any_text(text in "\\PC{0,64}") {
            proptest::prop_assert_eq!(tokenize(&text), terms_by_chars(&text));
        }
    }

    #[test]
    fn stop_word_match_agrees_with_the_list() {
        for w in STOP_WORDS {
            assert!(is_stop_word(w), "{w}");
        }
        assert!(!is_stop_word("rocksdb") && !is_stop_word("th"));
    }
}
