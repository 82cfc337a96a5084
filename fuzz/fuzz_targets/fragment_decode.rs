//! The whole fragment-to-frames path with the real decoders: parse, decrypt (when the
//! fragment is encrypted, with the fixtures' key), then H.264 (openh264) or AAC-LC
//! (symphonia), as the session's decode worker does it.
//!
//! Input: selector byte (bits 0-1: 0..=2 video with the CodecPrivateData of small.ism
//! 200k / small.ism 400k / demo 250k, 3 audio with the fixtures' AAC-LC config; bits
//! 2-3: header ALGID none/CTR/CBC/none), then the fragment bytes. At most
//! `MAX_DECODED_SAMPLES` samples are decoded, then the video decoder is flushed.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::decode::{AacDecoder, H264Decoder};
use smoothplay_engine::drm::{
    decrypt_fragment, CipherMode, CodecKind, DecryptContext, Kid, StaticKeys,
};
use smoothplay_engine::fmp4::parse_fragment;
use smoothplay_engine::MediaTime;
use smoothplay_fuzz::{hex, AAC_ASC, FIXTURE_KEY_PAIR, MAX_DECODED_SAMPLES, VIDEO_CPDS};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let Ok(mut fragment) = parse_fragment(Bytes::copy_from_slice(rest)) else { return };
    let level = usize::from(sel & 3);
    let video = level < 3;
    let codec = if video { CodecKind::H264 { nal_length_size: 4 } } else { CodecKind::Aac };
    if fragment.encryption.is_some() {
        let algorithm = match (sel >> 2) & 3 {
            1 => Some(CipherMode::AesCtr),
            2 => Some(CipherMode::AesCbc),
            _ => None,
        };
        let kid = Kid::parse_hex("00112233445566778899aabbccddeeff").expect("kid");
        let ctx = DecryptContext::new(vec![kid], algorithm, codec);
        let mut keys = StaticKeys::new();
        keys.insert_pair(FIXTURE_KEY_PAIR).expect("key");
        if decrypt_fragment(&mut fragment, &keys, &ctx).is_err() {
            return;
        }
    }
    let base = fragment.base_decode_time(0);
    let timescale = 10_000_000;
    if video {
        let mut dec = H264Decoder::new().expect("openh264");
        dec.configure(&hex(VIDEO_CPDS[level]), 4).expect("fixture CodecPrivateData");
        for s in fragment.samples.iter().take(MAX_DECODED_SAMPLES) {
            let pts = MediaTime::new(s.presentation_time(base), timescale);
            if dec.decode(&s.data, pts).is_err() {
                break; // the worker skips the rest of a fragment that fails
            }
        }
        let _ = dec.flush();
    } else {
        let mut dec = AacDecoder::new(&hex(AAC_ASC)).expect("fixture ASC");
        for s in fragment.samples.iter().take(MAX_DECODED_SAMPLES) {
            let pts = MediaTime::new(s.presentation_time(base), timescale);
            if dec.decode(&s.data, pts).is_err() {
                break;
            }
        }
    }
});
