//! The H.264 SPS parser (`Sps::parse`, up to the VUI) and the CodecPrivateData scan
//! (`video_format_of_annexb`). Input: the bytes as one NAL unit (the header byte forced to
//! type 7 so every run reaches the parser), and the same bytes as an Annex-B stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::decode::sps::{unescape, video_format_of_annexb, Sps, MAX_SPS_BYTES};

fuzz_target!(|data: &[u8]| {
    let _ = video_format_of_annexb(data);
    let mut nal = data.to_vec();
    if let Some(header) = nal.first_mut() {
        *header = (*header & 0xe0) | 7;
    }
    if let Ok(sps) = Sps::parse(&nal) {
        assert!(nal.len() <= MAX_SPS_BYTES);
        assert!(sps.width() > 0 && sps.height() > 0, "cropping leaves a picture");
        assert!(sps.width() <= sps.coded_width && sps.height() <= sps.coded_height);
        assert!(sps.chroma_format_idc <= 3);
        let f = sps.video_format();
        if let Some((w, h)) = f.sar {
            assert!(w > 0 && h > 0, "a zero SAR is reported as unknown");
        }
        assert!(f.chroma_loc.is_none_or(|t| t <= 5));
    }
    assert!(unescape(data).len() <= data.len());
});
