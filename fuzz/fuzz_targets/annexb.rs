//! AVC length-prefixed samples to Annex-B and back, CodecPrivateData (Annex-B or avcC) to
//! Annex-B parameter sets, the NAL splitter and the IDR probe.
//!
//! Input: selector byte (NALUnitLengthField: bits 0-1 pick 1/2/4/3), then the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::decode::annexb::{
    codec_private_to_annexb, nal_units, sample_has_idr, sample_to_annexb, to_length_prefixed,
};
use smoothplay_engine::drm::looks_like_h264;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else { return };
    let nls = [1u8, 2, 4, 3][usize::from(sel & 3)];
    let _ = sample_has_idr(bytes, nls);
    let _ = looks_like_h264(bytes, nls);
    if let Ok(annexb) = sample_to_annexb(bytes, nls) {
        // Every NAL unit of a well-formed sample gets a 4-byte start code: the output is
        // the input with each length prefix replaced.
        let nals = nal_units(&annexb);
        assert!(annexb.len() >= bytes.len());
        let _ = to_length_prefixed(&nals, nls);
    }
    if let Ok(ps) = codec_private_to_annexb(bytes) {
        assert!(!nal_units(&ps).is_empty());
    }
    let units = nal_units(bytes);
    if let Ok(lp) = to_length_prefixed(&units, 4) {
        let back = sample_to_annexb(&lp, 4).expect("our own length-prefixed sample");
        assert_eq!(nal_units(&back), units, "round trip");
    }
});
