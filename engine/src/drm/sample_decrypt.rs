//! Decrypting one sample in place from its IV and subsample table.

use std::ops::Range;

use crate::fmp4::SampleCrypto;

use super::error::DrmError;
use super::keys::ContentKey;
use super::{cbc, ctr};

/// The cipher and mode of a protected track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CipherMode {
    /// AES-128 counter mode (PIFF AlgorithmID 1, PlayReady ALGID `AESCTR`, CENC `cenc`).
    AesCtr,
    /// AES-128 CBC, whole blocks only (PIFF AlgorithmID 2, PlayReady ALGID `AESCBC`).
    AesCbc,
}

impl CipherMode {
    /// From a PIFF AlgorithmID: `Ok(None)` for 0 (clear).
    pub fn from_piff_algorithm_id(id: u32) -> Result<Option<Self>, DrmError> {
        match id {
            0 => Ok(None),
            1 => Ok(Some(CipherMode::AesCtr)),
            2 => Ok(Some(CipherMode::AesCbc)),
            other => Err(DrmError::UnsupportedAlgorithm(other)),
        }
    }

    /// The IV size a PlayReady header's ALGID implies: 8 for CTR, 16 for CBC.
    pub fn default_iv_size(self) -> u8 {
        match self {
            CipherMode::AesCtr => 8,
            CipherMode::AesCbc => 16,
        }
    }
}

/// The encrypted byte ranges of a sample of `len` bytes: the whole sample without a
/// subsample table, else the encrypted part of each subsample. The table must cover the
/// sample exactly.
pub(crate) fn encrypted_ranges(
    crypto: &SampleCrypto,
    len: usize,
    sample: usize,
) -> Result<Vec<Range<usize>>, DrmError> {
    if crypto.subsamples.is_empty() {
        return Ok(std::iter::once(0..len).collect());
    }
    let mut ranges = Vec::with_capacity(crypto.subsamples.len());
    let mut pos: u64 = 0;
    for s in &crypto.subsamples {
        pos += u64::from(s.clear_bytes);
        let end = pos + u64::from(s.encrypted_bytes);
        if end > len as u64 {
            break;
        }
        if end > pos {
            // Both fit in usize: end <= len.
            ranges.push(pos as usize..end as usize);
        }
        pos = end;
    }
    let covered: u64 = crypto
        .subsamples
        .iter()
        .map(|s| u64::from(s.clear_bytes) + u64::from(s.encrypted_bytes))
        .sum();
    if covered != len as u64 {
        return Err(DrmError::SubsampleMismatch {
            sample,
            covered,
            len,
        });
    }
    Ok(ranges)
}

/// Decrypts one sample in place. `sample` is its index, for errors. Returns the number
/// of bytes that were encrypted.
pub fn decrypt_sample(
    data: &mut [u8],
    mode: CipherMode,
    key: &ContentKey,
    crypto: &SampleCrypto,
    sample: usize,
) -> Result<u64, DrmError> {
    let ranges = encrypted_ranges(crypto, data.len(), sample)?;
    let iv = crypto.iv.to_block();
    Ok(match mode {
        CipherMode::AesCtr => {
            ctr::decrypt(&key.0, &iv, data, &ranges);
            ranges.iter().map(|r| r.len() as u64).sum()
        }
        CipherMode::AesCbc => cbc::decrypt(&key.0, &iv, data, &ranges),
    })
}
