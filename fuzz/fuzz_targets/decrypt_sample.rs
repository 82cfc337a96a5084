//! One sample's decryption with a random subsample map, CTR and CBC.
//!
//! Input: mode byte (bit 0: CBC), IV length byte (1..=16 used as is), 16 key bytes, the
//! IV, subsample count byte, per subsample (u16 clear, u32 encrypted, big-endian), then
//! the sample data. Checks: no panic; the bytes outside the encrypted ranges are
//! unchanged; CTR decryption twice is the identity.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::drm::{decrypt_sample, CipherMode, ContentKey};
use smoothplay_engine::fmp4::{Iv, SampleCrypto, Subsample};
use smoothplay_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = if input.u8() & 1 == 1 { CipherMode::AesCbc } else { CipherMode::AesCtr };
    let iv_len = usize::from(input.u8() % 17).max(1);
    let mut key = [0u8; 16];
    key.copy_from_slice(&{
        let mut k = input.take(16).to_vec();
        k.resize(16, 0);
        k
    });
    let Some(iv) = Iv::from_slice(&{
        let mut v = input.take(iv_len).to_vec();
        v.resize(iv_len, 0);
        v
    }) else {
        return;
    };
    let count = usize::from(input.u8());
    let subsamples: Vec<Subsample> = (0..count)
        .map(|_| Subsample { clear_bytes: input.u16(), encrypted_bytes: input.u32() })
        .collect();
    let original = input.rest().to_vec();
    let crypto = SampleCrypto { iv, subsamples: subsamples.clone() };
    let key = ContentKey(key);
    let mut buf = original.clone();
    let Ok(n) = decrypt_sample(&mut buf, mode, &key, &crypto, 0) else { return };
    assert!(n <= original.len() as u64);
    assert_eq!(buf.len(), original.len());
    if subsamples.is_empty() {
        if mode == CipherMode::AesCbc {
            // CBC leaves the residue after the last whole block clear.
            let tail = original.len() - original.len() % 16;
            assert_eq!(buf[tail..], original[tail..]);
        }
    } else {
        // Clear bytes stay as they were.
        let mut pos = 0usize;
        for s in &subsamples {
            let clear = usize::from(s.clear_bytes);
            assert_eq!(buf[pos..pos + clear], original[pos..pos + clear], "clear bytes changed");
            pos += clear + s.encrypted_bytes as usize;
        }
    }
    if mode == CipherMode::AesCtr {
        let mut again = buf.clone();
        decrypt_sample(&mut again, mode, &key, &crypto, 0).expect("second pass");
        assert_eq!(again, original, "CTR is not an involution");
    }
});
