//! [`Dictionary`]: a zstd dictionary trained from a store's own values of one
//! [`ContentKind`], prepared for compression and decompression.

use super::ContentKind;
use crate::error::{Error, Result};

/// A trained zstd dictionary, prepared for both directions.
pub struct Dictionary {
    /// Registry id (never 0).
    pub id: u32,
    /// The content kind it was trained on.
    pub kind: ContentKind,
    /// The raw dictionary bytes, as persisted.
    pub bytes: Vec<u8>,
    pub(super) encoder: zstd::dict::EncoderDictionary<'static>,
    pub(super) decoder: zstd::dict::DecoderDictionary<'static>,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Dictionary {
    /// Prepare a dictionary from its bytes for compression at `level`.
    pub fn new(id: u32, kind: ContentKind, bytes: Vec<u8>, level: i32) -> Self {
        let encoder = zstd::dict::EncoderDictionary::copy(&bytes, level);
        let decoder = zstd::dict::DecoderDictionary::copy(&bytes);
        Dictionary {
            id,
            kind,
            bytes,
            encoder,
            decoder,
        }
    }

    /// Train a dictionary of at most `max_size` bytes from samples. Fails when the samples
    /// are too few or too uniform for zstd to learn from.
    ///
    /// zstd's FastCover trainer with fixed parameters (segment size `k` 2000, d-mer 8, the
    /// defaults' frequency table), not zstd's default entry point, which searches several
    /// `k` and compresses the samples with each candidate: on 1 MiB of the shared
    /// transcripts that search took ~60 ms, the fixed trainer ~12 ms, and the fixed
    /// dictionary compressed the transcripts slightly smaller (it chose `k` = 1998 anyway).
    /// Samples too small for segments of that size (a store's first few KiB, when the
    /// training threshold is set that low) go to zstd's searching trainer instead, which
    /// is cheap on so little.
    pub fn train(samples: &[Vec<u8>], max_size: usize) -> Result<Vec<u8>> {
        Self::train_fixed(samples, max_size)
            .or_else(|_| zstd::dict::from_samples(samples, max_size).map_err(training_failed))
    }

    pub(super) fn train_fixed(samples: &[Vec<u8>], max_size: usize) -> Result<Vec<u8>> {
        let count =
            u32::try_from(samples.len()).map_err(|_| training_failed("too many samples"))?;
        let sizes: Vec<usize> = samples.iter().map(Vec::len).collect();
        let continuous = samples.concat();
        let mut dict = vec![0u8; max_size];
        // SAFETY: an all-zero parameter struct is zstd's "use the default" for every field.
        let mut params: zstd_sys::ZDICT_fastCover_params_t = unsafe { std::mem::zeroed() };
        params.k = 2000;
        params.d = 8;
        params.f = 20;
        params.accel = 1;
        params.splitPoint = 1.0;
        // SAFETY: `dict` is writable for `dict.len()` bytes; `continuous` holds the samples
        // back to back and `sizes` their `count` lengths, which sum to `continuous.len()`.
        let written = unsafe {
            zstd_sys::ZDICT_trainFromBuffer_fastCover(
                dict.as_mut_ptr().cast(),
                dict.len(),
                continuous.as_ptr().cast(),
                sizes.as_ptr(),
                count,
                params,
            )
        };
        // SAFETY: plain functions on a result code; the name is a static C string.
        if unsafe { zstd_sys::ZDICT_isError(written) } != 0 {
            let name = unsafe { std::ffi::CStr::from_ptr(zstd_sys::ZDICT_getErrorName(written)) };
            return Err(training_failed(name.to_string_lossy()));
        }
        dict.truncate(written);
        Ok(dict)
    }
}

/// The error of a dictionary training that could not learn from its samples.
fn training_failed(why: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("dictionary training failed: {why}"))
}
