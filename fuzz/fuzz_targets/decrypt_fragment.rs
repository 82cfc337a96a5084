//! Fragment parse then decryption with the fixtures' key (`decrypt_fragment`): key
//! selection, IV size resolution (override, saiz, header ALGID, box size), subsample maps
//! and the validity checks.
//!
//! Input: selector byte (bits 0-1: header ALGID none/CTR/CBC/none; bits 2-3: codec
//! H.264 NAL length 4 / AAC / unchecked / H.264 NAL length 1; bit 4: header KID absent),
//! then the fragment bytes.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::drm::{
    decrypt_fragment, CipherMode, CodecKind, DecryptContext, Kid, StaticKeys,
};
use smoothplay_engine::fmp4::parse_fragment;
use smoothplay_fuzz::FIXTURE_KEY_PAIR;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let Ok(mut fragment) = parse_fragment(Bytes::copy_from_slice(rest)) else { return };
    let algorithm = match sel & 3 {
        1 => Some(CipherMode::AesCtr),
        2 => Some(CipherMode::AesCbc),
        _ => None,
    };
    let codec = match (sel >> 2) & 3 {
        0 => CodecKind::H264 { nal_length_size: 4 },
        1 => CodecKind::Aac,
        2 => CodecKind::Unchecked,
        _ => CodecKind::H264 { nal_length_size: 1 },
    };
    let kid = Kid::parse_hex("00112233445566778899aabbccddeeff").expect("kid");
    let kids = if sel & 0x10 == 0 { vec![kid] } else { vec![] };
    let ctx = DecryptContext::new(kids, algorithm, codec);
    let mut keys = StaticKeys::new();
    keys.insert_pair(FIXTURE_KEY_PAIR).expect("key");
    let samples = fragment.samples.len();
    if let Ok(report) = decrypt_fragment(&mut fragment, &keys, &ctx) {
        assert!(fragment.encryption.is_none());
        assert!(fragment.samples.iter().all(|s| s.encryption.is_none()));
        assert_eq!(fragment.samples.len(), samples);
        assert!(report.samples == 0 || report.samples == samples);
    }
});
