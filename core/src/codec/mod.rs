//! The value codec: the one path by which every value reaches disk.
//!
//! `encode` compresses (zstd, with the newest trained dictionary of the value's
//! [`ContentKind`] when there is one) and then seals (a [`Seal`] step that encryption at rest
//! plugs into; the default is plaintext). `decode` reverses both and checks the frame.
//!
//! Frame layout (all integers little-endian):
//! ```text
//! [0]     frame version (1)
//! [1]     compression: 0 none, 1 zstd, 2 zstd with dictionary
//! [2]     seal id: 0 plaintext (others reserved for encryption at rest)
//! [3..7]  dictionary id (u32, 0 when none)
//! [7..11] uncompressed length (u32)
//! [11..]  payload
//! ```
//! This module owns the frame format and the in-memory dictionary registry; persisting
//! dictionaries is the store's job.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::error::{Error, Result};

mod dictionary;

pub use dictionary::Dictionary;

/// Frame version written by this build.
pub const FRAME_VERSION: u8 = 1;
/// Size of the frame header in bytes.
pub const HEADER_LEN: usize = 11;
/// Largest value the codec accepts (uncompressed): 256 MiB.
pub const MAX_VALUE_LEN: usize = 256 << 20;
/// Values shorter than this are stored uncompressed.
const MIN_COMPRESS_LEN: usize = 64;

const COMPRESSION_NONE: u8 = 0;
const COMPRESSION_ZSTD: u8 = 1;
const COMPRESSION_ZSTD_DICT: u8 = 2;

/// What kind of content a value is; each kind gets its own trained dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ContentKind {
    /// Raw transcript bytes (chunks of imported files).
    Transcript = 1,
    /// Structured records (session metadata and message index, log entries).
    Record = 2,
    /// Prompt template and workflow bodies.
    Prompt = 3,
    /// Anything else.
    Other = 4,
}

impl ContentKind {
    /// Every kind.
    pub const ALL: [ContentKind; 4] = [
        ContentKind::Transcript,
        ContentKind::Record,
        ContentKind::Prompt,
        ContentKind::Other,
    ];

    /// The kind for a stored byte, if valid.
    pub fn from_u8(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| *k as u8 == b)
    }
}

/// The sealing step after compression. Encryption at rest implements it; the default
/// [`Plaintext`] passes bytes through.
pub trait Seal: Send + Sync {
    /// Id written in the frame header; 0 is reserved for plaintext.
    fn id(&self) -> u8;
    /// Seal `plain` (already compressed). `header` is the frame header, to authenticate.
    fn seal(&self, header: &[u8], plain: Vec<u8>) -> Result<Vec<u8>>;
    /// Reverse [`Seal::seal`].
    fn open(&self, header: &[u8], sealed: &[u8]) -> Result<Vec<u8>>;
}

/// The identity seal: values are stored compressed but not encrypted.
#[derive(Debug, Default, Clone, Copy)]
pub struct Plaintext;

impl Seal for Plaintext {
    fn id(&self) -> u8 {
        0
    }
    fn seal(&self, _header: &[u8], plain: Vec<u8>) -> Result<Vec<u8>> {
        Ok(plain)
    }
    fn open(&self, _header: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        Ok(sealed.to_vec())
    }
}

/// Compresses and seals values; holds the dictionaries in memory.
pub struct Codec {
    level: i32,
    seal: Arc<dyn Seal>,
    dictionaries: RwLock<HashMap<u32, Arc<Dictionary>>>,
    newest: RwLock<HashMap<ContentKind, Arc<Dictionary>>>,
    /// Encoder dictionaries prepared for other levels than `level`, by (id, level).
    leveled: std::sync::Mutex<HashMap<(u32, i32), Arc<zstd::dict::EncoderDictionary<'static>>>>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec").field("level", &self.level).finish()
    }
}

impl Codec {
    /// A codec compressing at zstd `level`, sealing with `seal`.
    pub fn new(level: i32, seal: Arc<dyn Seal>) -> Self {
        Codec {
            level,
            seal,
            dictionaries: RwLock::new(HashMap::new()),
            newest: RwLock::new(HashMap::new()),
            leveled: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The zstd level used.
    pub fn level(&self) -> i32 {
        self.level
    }

    /// Register a dictionary; it becomes the newest of its kind if its id is the highest.
    pub fn add_dictionary(&self, dict: Dictionary) {
        let dict = Arc::new(dict);
        let mut newest = self.newest.write().unwrap_or_else(|e| e.into_inner());
        let replace = newest.get(&dict.kind).is_none_or(|d| d.id < dict.id);
        if replace {
            newest.insert(dict.kind, dict.clone());
        }
        self.dictionaries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dict.id, dict);
    }

    /// The newest dictionary id of a kind, if any.
    pub fn newest_dictionary(&self, kind: ContentKind) -> Option<u32> {
        self.newest
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&kind)
            .map(|d| d.id)
    }

    /// Highest dictionary id registered (0 when none).
    pub fn max_dictionary_id(&self) -> u32 {
        self.dictionaries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// Encode a value of `kind` into a frame.
    pub fn encode(&self, kind: ContentKind, raw: &[u8]) -> Result<Vec<u8>> {
        let dict = self.newest_for(kind);
        self.encode_inner(raw, self.level, dict.as_ref().map(|d| (d.id, &d.encoder)))
    }

    /// Encode at zstd `level` with the newest dictionary of `kind` prepared for that level
    /// (prepared once per dictionary and level, then cached; at the codec's own level this
    /// is [`Codec::encode`]). Used to write session blobs at their own level and to
    /// recompress stored values harder than the write path does.
    pub fn encode_at(&self, kind: ContentKind, raw: &[u8], level: i32) -> Result<Vec<u8>> {
        if level == self.level {
            return self.encode(kind, raw);
        }
        let Some(dict) = self.newest_for(kind) else {
            return self.encode_inner(raw, level, None);
        };
        let encoder = {
            let mut cache = self.leveled.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .entry((dict.id, level))
                .or_insert_with(|| {
                    Arc::new(zstd::dict::EncoderDictionary::copy(&dict.bytes, level))
                })
                .clone()
        };
        self.encode_inner(raw, level, Some((dict.id, &encoder)))
    }

    fn newest_for(&self, kind: ContentKind) -> Option<Arc<Dictionary>> {
        self.newest
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&kind)
            .cloned()
    }

    fn encode_inner(
        &self,
        raw: &[u8],
        level: i32,
        dict: Option<(u32, &zstd::dict::EncoderDictionary<'static>)>,
    ) -> Result<Vec<u8>> {
        if raw.len() > MAX_VALUE_LEN {
            return Err(Error::TooLarge {
                what: "value",
                size: raw.len() as u64,
                limit: MAX_VALUE_LEN as u64,
            });
        }
        let (compression, dict_id, body) = if raw.len() < MIN_COMPRESS_LEN {
            (COMPRESSION_NONE, 0, raw.to_vec())
        } else if let Some((id, encoder)) = dict {
            let out = with_cctx(raw.len(), |cctx, out| {
                cctx.compress_using_cdict(out, raw, encoder.as_cdict())
            })?;
            (COMPRESSION_ZSTD_DICT, id, out)
        } else {
            let out = with_cctx(raw.len(), |cctx, out| cctx.compress(out, raw, level))?;
            (COMPRESSION_ZSTD, 0, out)
        };
        // Keep the smaller of compressed and raw.
        let (compression, dict_id, body) = if body.len() >= raw.len() {
            (COMPRESSION_NONE, 0, raw.to_vec())
        } else {
            (compression, dict_id, body)
        };
        let header = header(compression, self.seal.id(), dict_id, raw.len() as u32);
        let sealed = self.seal.seal(&header, body)?;
        let mut frame = Vec::with_capacity(HEADER_LEN + sealed.len());
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&sealed);
        Ok(frame)
    }

    /// Whether values are stored unsealed (the [`Plaintext`] seal).
    pub fn is_plaintext(&self) -> bool {
        self.seal.id() == Plaintext.id()
    }

    /// Frame a value stored without compression, for small values where zstd costs more
    /// than it saves. `buf` holds [`HEADER_LEN`] reserved bytes followed by the value; with
    /// the plaintext seal the header is written in place (no copy), otherwise the value is
    /// sealed as [`Codec::encode`] would.
    pub fn frame_uncompressed(&self, mut buf: Vec<u8>) -> Result<Vec<u8>> {
        let raw_len = buf
            .len()
            .checked_sub(HEADER_LEN)
            .ok_or_else(|| Error::Storage("frame buffer shorter than its header".into()))?;
        if raw_len > MAX_VALUE_LEN {
            return Err(Error::TooLarge {
                what: "value",
                size: raw_len as u64,
                limit: MAX_VALUE_LEN as u64,
            });
        }
        let header = header(COMPRESSION_NONE, self.seal.id(), 0, raw_len as u32);
        if self.seal.id() == Plaintext.id() {
            buf[..HEADER_LEN].copy_from_slice(&header);
            return Ok(buf);
        }
        let sealed = self.seal.seal(&header, buf.split_off(HEADER_LEN))?;
        let mut frame = Vec::with_capacity(HEADER_LEN + sealed.len());
        frame.extend_from_slice(&header);
        frame.extend_from_slice(&sealed);
        Ok(frame)
    }

    /// Decode a frame and hand the raw value to `f`, borrowing it from `frame` when the
    /// value is stored uncompressed and unsealed (no copy), decoding it otherwise.
    pub fn decode_with<T>(&self, frame: &[u8], f: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
        let h = parse_header(frame)?;
        if h.compression == COMPRESSION_NONE && h.seal == Plaintext.id() && self.seal.id() == h.seal
        {
            let body = &frame[HEADER_LEN..];
            if body.len() != h.raw_len as usize {
                return Err(Error::corrupted(
                    "value",
                    format!("length {} differs from header {}", body.len(), h.raw_len),
                ));
            }
            return f(body);
        }
        f(&self.decode(frame)?)
    }

    /// Decode a frame written by [`Codec::encode`].
    pub fn decode(&self, frame: &[u8]) -> Result<Vec<u8>> {
        let dicts = self.dictionaries.read().unwrap_or_else(|e| e.into_inner());
        decode_frame(frame, self.seal.as_ref(), |id| {
            dicts.get(&id).map(|d| &d.decoder)
        })
    }
}

thread_local! {
    /// One zstd compression context per thread, reused: creating one per value costs more
    /// than compressing a small value.
    static CCTX: RefCell<Option<zstd::zstd_safe::CCtx<'static>>> = const { RefCell::new(None) };
    /// One zstd decompression context per thread, reused.
    static DCTX: RefCell<Option<zstd::zstd_safe::DCtx<'static>>> = const { RefCell::new(None) };
}

/// Run a one-shot compression with this thread's context into a buffer sized for the
/// worst case.
fn with_cctx(
    raw_len: usize,
    f: impl FnOnce(&mut zstd::zstd_safe::CCtx<'static>, &mut Vec<u8>) -> zstd::zstd_safe::SafeResult,
) -> Result<Vec<u8>> {
    CCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let cctx = slot.get_or_insert_with(zstd::zstd_safe::CCtx::create);
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(raw_len));
        f(cctx, &mut out).map_err(|code| {
            Error::Storage(format!("zstd: {}", zstd::zstd_safe::get_error_name(code)))
        })?;
        Ok(out)
    })
}

/// Run a one-shot decompression of exactly `raw_len` bytes with this thread's context.
fn with_dctx(
    raw_len: usize,
    f: impl FnOnce(&mut zstd::zstd_safe::DCtx<'static>, &mut Vec<u8>) -> zstd::zstd_safe::SafeResult,
) -> Result<Vec<u8>> {
    DCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let dctx = slot.get_or_insert_with(zstd::zstd_safe::DCtx::create);
        let mut out = Vec::with_capacity(raw_len);
        f(dctx, &mut out).map_err(|code| {
            Error::corrupted(
                "value",
                format!("zstd: {}", zstd::zstd_safe::get_error_name(code)),
            )
        })?;
        Ok(out)
    })
}

/// The header of an uncompressed, unsealed frame of `raw_len` bytes.
pub fn plain_header(raw_len: usize) -> Result<[u8; HEADER_LEN]> {
    if raw_len > MAX_VALUE_LEN {
        return Err(Error::TooLarge {
            what: "value",
            size: raw_len as u64,
            limit: MAX_VALUE_LEN as u64,
        });
    }
    Ok(header(COMPRESSION_NONE, Plaintext.id(), 0, raw_len as u32))
}

fn header(compression: u8, seal: u8, dict_id: u32, raw_len: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0] = FRAME_VERSION;
    h[1] = compression;
    h[2] = seal;
    h[3..7].copy_from_slice(&dict_id.to_le_bytes());
    h[7..11].copy_from_slice(&raw_len.to_le_bytes());
    h
}

/// Parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Compression method byte.
    pub compression: u8,
    /// Seal id.
    pub seal: u8,
    /// Dictionary id (0 = none).
    pub dict_id: u32,
    /// Uncompressed length.
    pub raw_len: u32,
}

/// Parse and validate a frame header.
pub fn parse_header(frame: &[u8]) -> Result<FrameHeader> {
    let h = frame
        .get(..HEADER_LEN)
        .ok_or_else(|| Error::corrupted("value", "frame shorter than its header"))?;
    if h[0] != FRAME_VERSION {
        return Err(Error::corrupted(
            "value",
            format!("unknown frame version {}", h[0]),
        ));
    }
    let compression = h[1];
    if compression > COMPRESSION_ZSTD_DICT {
        return Err(Error::corrupted(
            "value",
            format!("unknown compression {compression}"),
        ));
    }
    let dict_id = u32::from_le_bytes([h[3], h[4], h[5], h[6]]);
    let raw_len = u32::from_le_bytes([h[7], h[8], h[9], h[10]]);
    if raw_len as usize > MAX_VALUE_LEN {
        return Err(Error::corrupted("value", "declared length over the limit"));
    }
    if (compression == COMPRESSION_ZSTD_DICT) != (dict_id != 0) {
        return Err(Error::corrupted("value", "dictionary id inconsistent"));
    }
    Ok(FrameHeader {
        compression,
        seal: h[2],
        dict_id,
        raw_len,
    })
}

/// Decode a frame with an explicit seal and dictionary lookup. Pure: used by [`Codec`] and
/// by the fuzz target. Never panics; any damage is [`Error::Corrupted`].
pub fn decode_frame<'d>(
    frame: &[u8],
    seal: &dyn Seal,
    dictionary: impl Fn(u32) -> Option<&'d zstd::dict::DecoderDictionary<'static>>,
) -> Result<Vec<u8>> {
    let h = parse_header(frame)?;
    if h.seal != seal.id() {
        return Err(Error::corrupted(
            "value",
            format!("sealed with id {}, store opened with {}", h.seal, seal.id()),
        ));
    }
    let body = seal.open(&frame[..HEADER_LEN], &frame[HEADER_LEN..])?;
    let raw_len = h.raw_len as usize;
    if h.compression != COMPRESSION_NONE {
        // Check the zstd frame's own content size before allocating for it.
        match zstd::zstd_safe::get_frame_content_size(&body) {
            Ok(Some(n)) if n == u64::from(h.raw_len) => {}
            _ => {
                return Err(Error::corrupted(
                    "value",
                    "zstd frame size differs from header",
                ))
            }
        }
    }
    let out = match h.compression {
        COMPRESSION_NONE => body,
        COMPRESSION_ZSTD => with_dctx(raw_len, |dctx, out| dctx.decompress(out, &body))?,
        _ => {
            let dict = dictionary(h.dict_id).ok_or_else(|| {
                Error::corrupted("value", format!("unknown dictionary {}", h.dict_id))
            })?;
            with_dctx(raw_len, |dctx, out| {
                dctx.decompress_using_ddict(out, &body, dict.as_ddict())
            })?
        }
    };
    if out.len() != raw_len {
        return Err(Error::corrupted(
            "value",
            format!("length {} differs from header {}", out.len(), raw_len),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codec() -> Codec {
        Codec::new(3, Arc::new(Plaintext))
    }

    #[test]
    fn small_values_are_stored_raw() {
        let c = codec();
        let f = c.encode(ContentKind::Other, b"hi").unwrap();
        assert_eq!(parse_header(&f).unwrap().compression, COMPRESSION_NONE);
        assert_eq!(c.decode(&f).unwrap(), b"hi");
    }

    #[test]
    fn uncompressed_frames_decode_both_ways() {
        let c = codec();
        let mut buf = vec![0u8; HEADER_LEN];
        buf.extend_from_slice(b"a value long enough to be worth compressing, but stored as is");
        let f = c.frame_uncompressed(buf).unwrap();
        assert_eq!(parse_header(&f).unwrap().compression, COMPRESSION_NONE);
        let raw = c.decode(&f).unwrap();
        assert_eq!(&raw[..7], b"a value");
        let borrowed = c.decode_with(&f, |b| Ok(b.to_vec())).unwrap();
        assert_eq!(raw, borrowed);
        // A truncated frame is an error through either path.
        assert!(c.decode_with(&f[..f.len() - 1], |b| Ok(b.len())).is_err());
        assert!(c.frame_uncompressed(vec![0; 3]).is_err());
        let compressed = c.encode(ContentKind::Other, &[b'x'; 500]).unwrap();
        assert_eq!(
            c.decode_with(&compressed, |b| Ok(b.to_vec())).unwrap(),
            vec![b'x'; 500]
        );
    }

    #[test]
    fn fixed_trainer_learns_from_a_store_sized_sample_set() {
        // ~1 MiB of samples, the default training threshold: the fixed-parameter trainer
        // (not the fallback) gives a dictionary that pays off on a value it has not seen.
        let samples: Vec<Vec<u8>> = (0..4000)
            .map(|i| format!("## User\n\nplease fix the failing test `test_{i}` in src/module_{}.rs; cargo test says thread 'main' panicked at assertion failed: left == right\n\n## Assistant\n\nI ran `cargo test --release` and the fix is in line {}.\n", i % 37, i * 13).into_bytes())
            .collect();
        let dict = Dictionary::train_fixed(&samples, 64 << 10).unwrap();
        assert!(!dict.is_empty() && dict.len() <= 64 << 10);
        let c = codec();
        let value = b"## User\n\nplease fix the failing test `test_77777` in src/module_5.rs; cargo test says thread 'main' panicked\n\n## Assistant\n\nI ran `cargo test --release`.\n".to_vec();
        let plain = c.encode(ContentKind::Transcript, &value).unwrap();
        c.add_dictionary(Dictionary::new(1, ContentKind::Transcript, dict, 3));
        let with_dict = c.encode(ContentKind::Transcript, &value).unwrap();
        assert!(
            with_dict.len() < plain.len(),
            "{} < {}",
            with_dict.len(),
            plain.len()
        );
        assert_eq!(c.decode(&with_dict).unwrap(), value);
    }

    #[test]
    fn dictionary_values_stay_readable_after_newer_dictionary() {
        let c = codec();
        let samples: Vec<Vec<u8>> = (0..400)
            .map(|i| format!("user: please fix the failing test number {i} in src/lib.rs and run cargo test again; assistant: done {}", i * 7).into_bytes())
            .collect();
        let d1 = Dictionary::train(&samples, 4096).unwrap();
        c.add_dictionary(Dictionary::new(1, ContentKind::Transcript, d1, 3));
        let value = b"user: please fix the failing test number 1234 in src/lib.rs and run cargo test again; assistant: done 99".to_vec();
        let f1 = c.encode(ContentKind::Transcript, &value).unwrap();
        assert_eq!(parse_header(&f1).unwrap().dict_id, 1);
        let d2 = Dictionary::train(&samples[100..], 4096).unwrap();
        c.add_dictionary(Dictionary::new(2, ContentKind::Transcript, d2, 3));
        let f2 = c.encode(ContentKind::Transcript, &value).unwrap();
        assert_eq!(parse_header(&f2).unwrap().dict_id, 2);
        assert_eq!(c.decode(&f1).unwrap(), value);
        assert_eq!(c.decode(&f2).unwrap(), value);
    }

    #[test]
    fn unknown_dictionary_is_a_typed_error() {
        let c = codec();
        let mut f = header(COMPRESSION_ZSTD_DICT, 0, 9, 3).to_vec();
        f.extend_from_slice(b"xyz");
        assert!(matches!(c.decode(&f), Err(Error::Corrupted { .. })));
    }

    #[test]
    fn truncated_and_garbage_frames_are_errors() {
        let c = codec();
        let f = c.encode(ContentKind::Other, &[7u8; 1000]).unwrap();
        for cut in 0..f.len() {
            assert!(c.decode(&f[..cut]).is_err(), "cut at {cut}");
        }
        assert!(c
            .decode(&[1, 1, 0, 0, 0, 0, 0, 255, 255, 255, 255])
            .is_err());
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..5000), kind in 1u8..=4) {
            let c = codec();
            let kind = ContentKind::from_u8(kind).unwrap();
            let f = c.encode(kind, &data).unwrap();
            prop_assert_eq!(c.decode(&f).unwrap(), data);
        }

        #[test]
        fn round_trip_text(s in ".{0,3000}") {
            let c = codec();
            let f = c.encode(ContentKind::Transcript, s.as_bytes()).unwrap();
            prop_assert_eq!(c.decode(&f).unwrap(), s.as_bytes());
        }
    }
}
