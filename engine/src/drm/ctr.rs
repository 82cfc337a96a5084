//! AES-128-CTR (PIFF AlgorithmID 1, CENC `cenc`).

use aes::cipher::{Array, KeyIvInit, StreamCipher};
use std::ops::Range;

/// AES-128 in counter mode with a 64-bit big-endian block counter in the low half.
type Aes128Ctr = ctr::Ctr64BE<aes::Aes128>;

/// Decrypts `ranges` of `data` in place with one keystream: the counter continues from
/// one range to the next (mid-block if a range is not a multiple of 16), as PIFF and
/// CENC require. `counter_block` is the IV padded to 16 bytes (an 8-byte IV is the high
/// half). Ranges must be in bounds (checked by the caller).
pub(crate) fn decrypt(
    key: &[u8; 16],
    counter_block: &[u8; 16],
    data: &mut [u8],
    ranges: &[Range<usize>],
) {
    let mut cipher = Aes128Ctr::new(&Array::from(*key), &Array::from(*counter_block));
    for r in ranges {
        if let Some(chunk) = data.get_mut(r.clone()) {
            cipher.apply_keystream(chunk);
        }
    }
}
