//! AES-128-CBC (PIFF AlgorithmID 2).

use aes::cipher::{Array, BlockModeDecrypt, KeyIvInit};
use std::ops::Range;

type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

/// Decrypts `ranges` of `data` in place. Only whole 16-byte blocks of each range are
/// encrypted (PIFF: a trailing partial block stays clear), and the chain continues from
/// one range to the next within the sample; each sample starts again from its own IV.
/// Returns the number of bytes decrypted. Ranges must be in bounds (checked by the caller).
pub(crate) fn decrypt(
    key: &[u8; 16],
    iv: &[u8; 16],
    data: &mut [u8],
    ranges: &[Range<usize>],
) -> u64 {
    let mut cipher = Aes128CbcDec::new(&Array::from(*key), &Array::from(*iv));
    let mut done = 0u64;
    for r in ranges {
        if let Some(chunk) = data.get_mut(r.clone()) {
            let (blocks, _clear_tail) = Array::slice_as_chunks_mut(chunk);
            done += blocks.len() as u64 * 16;
            cipher.decrypt_blocks(blocks);
        }
    }
    done
}
