//! openh264 behind `H264Decoder` with fuzzed parameter sets and samples (wrong SPS/PPS,
//! truncated or corrupt NAL units). The process must survive; errors are fine.
//!
//! Input: selector byte (NALUnitLengthField: bits 0-1 pick 4/2/1/4; bit 2: keep the
//! fixture SPS/PPS and ignore the CodecPrivateData chunk), CodecPrivateData chunk (u16
//! length + bytes), then up to 16 samples, each u16 length + bytes, decoded in order; a
//! flush at the end.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::decode::H264Decoder;
use smoothplay_engine::MediaTime;
use smoothplay_fuzz::{hex, Input, SMALL_200K_CPD};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let sel = input.u8();
    let nls = [4u8, 2, 1, 4][usize::from(sel & 3)];
    let cpd = input.chunk();
    let cpd = if sel & 4 != 0 { hex(SMALL_200K_CPD) } else { cpd.to_vec() };
    let mut dec = H264Decoder::new().expect("openh264");
    if dec.configure(&cpd, nls).is_err() {
        return;
    }
    let mut n = 0u64;
    while !input.is_empty() && n < 16 {
        let sample = input.chunk();
        let _ = dec.decode(sample, MediaTime::new(n * 40, 1000));
        n += 1;
    }
    let _ = dec.flush();
});
