//! Order-preserving key encoding for composite RocksDB keys.
//!
//! A key is a tuple of byte strings and integers. Byte strings are escaped (`00` → `00 FF`)
//! and terminated by `00 01`; integers are fixed-width big-endian. The encoding of tuples
//! sorts exactly as the tuples do, and any prefix of components is a scan prefix.
//! This module owns only that encoding; which column family holds what is the store's.

use crate::error::{Error, Result};

/// Builds a composite key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KeyBuilder(Vec<u8>);

impl KeyBuilder {
    /// An empty key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a byte-string component.
    pub fn bytes(mut self, part: &[u8]) -> Self {
        self.0.reserve(part.len() + 2);
        // Copy the runs between zero bytes whole; each zero is escaped.
        let mut rest = part;
        while let Some(i) = rest.iter().position(|&b| b == 0) {
            self.0.extend_from_slice(&rest[..=i]);
            self.0.push(0xFF);
            rest = &rest[i + 1..];
        }
        self.0.extend_from_slice(rest);
        self.0.extend_from_slice(&[0, 1]);
        self
    }

    /// Append a string component.
    pub fn str(self, part: &str) -> Self {
        self.bytes(part.as_bytes())
    }

    /// Append a u32 component.
    pub fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Append a u64 component.
    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// The encoded key.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reads the components of a composite key back, in order.
#[derive(Debug, Clone)]
pub struct KeyReader<'a> {
    rest: &'a [u8],
}

impl<'a> KeyReader<'a> {
    /// Start reading `key`.
    pub fn new(key: &'a [u8]) -> Self {
        KeyReader { rest: key }
    }

    /// Read a byte-string component.
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            match (self.rest.get(i), self.rest.get(i + 1)) {
                (Some(0), Some(1)) => {
                    self.rest = &self.rest[i + 2..];
                    return Ok(out);
                }
                (Some(0), Some(0xFF)) => {
                    out.push(0);
                    i += 2;
                }
                (Some(0), _) => return Err(Error::corrupted("key", "bad escape")),
                (Some(&b), _) => {
                    out.push(b);
                    i += 1;
                }
                (None, _) => return Err(Error::corrupted("key", "unterminated component")),
            }
        }
    }

    /// Read a string component.
    pub fn str(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?).map_err(|_| Error::corrupted("key", "not UTF-8"))
    }

    /// Read a u32 component.
    pub fn u32(&mut self) -> Result<u32> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<4>()
            .ok_or_else(|| Error::corrupted("key", "short u32"))?;
        self.rest = rest;
        Ok(u32::from_be_bytes(*head))
    }

    /// Read a u64 component.
    pub fn u64(&mut self) -> Result<u64> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<8>()
            .ok_or_else(|| Error::corrupted("key", "short u64"))?;
        self.rest = rest;
        Ok(u64::from_be_bytes(*head))
    }

    /// True when every component was read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

/// The smallest key greater than every key starting with `prefix` (for range ends), or
/// `None` when no such key exists (prefix all `FF`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_encoding_is_stable() {
        // Keys already on disk use exactly these bytes.
        let k = KeyBuilder::new()
            .bytes(&[0, 7, 0, 0])
            .str("ab")
            .u32(1)
            .finish();
        assert_eq!(
            k,
            [0, 0xFF, 7, 0, 0xFF, 0, 0xFF, 0, 1, b'a', b'b', 0, 1, 0, 0, 0, 1]
        );
        assert_eq!(KeyBuilder::new().bytes(&[]).finish(), [0, 1]);
    }

    proptest! {
        #[test]
        fn round_trip(a in proptest::collection::vec(any::<u8>(), 0..40), n in any::<u64>(), b in ".{0,20}", m in any::<u32>()) {
            let k = KeyBuilder::new().bytes(&a).u64(n).str(&b).u32(m).finish();
            let mut r = KeyReader::new(&k);
            prop_assert_eq!(r.bytes().unwrap(), a);
            prop_assert_eq!(r.u64().unwrap(), n);
            prop_assert_eq!(r.str().unwrap(), b);
            prop_assert_eq!(r.u32().unwrap(), m);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn order_is_preserved(a in proptest::collection::vec(any::<u8>(), 0..12), x in any::<u64>(),
                              b in proptest::collection::vec(any::<u8>(), 0..12), y in any::<u64>()) {
            let ka = KeyBuilder::new().bytes(&a).u64(x).finish();
            let kb = KeyBuilder::new().bytes(&b).u64(y).finish();
            prop_assert_eq!(ka.cmp(&kb), (a, x).cmp(&(b, y)));
        }

        #[test]
        fn prefix_of_components_is_a_scan_prefix(a in proptest::collection::vec(any::<u8>(), 0..12), x in any::<u64>()) {
            let prefix = KeyBuilder::new().bytes(&a).finish();
            let full = KeyBuilder::new().bytes(&a).u64(x).finish();
            prop_assert!(full.starts_with(&prefix));
            if let Some(end) = prefix_end(&prefix) {
                prop_assert!(full < end);
            }
        }

        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = KeyReader::new(&bytes);
            let _ = r.bytes();
            let _ = r.u64();
            let _ = r.u32();
            let _ = r.str();
        }
    }
}
