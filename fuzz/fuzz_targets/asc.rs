//! AudioSpecificConfig (`AudioSpecificConfig::parse`), the AAC decoder's configuration
//! (`AacDecoder::new`, symphonia's own ASC parser) and ADTS header writing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::decode::adts;
use smoothplay_engine::decode::asc::AudioSpecificConfig;
use smoothplay_engine::decode::AacDecoder;

fuzz_target!(|data: &[u8]| {
    if let Ok(asc) = AudioSpecificConfig::parse(data) {
        let _ = asc.channels();
    }
    let _ = adts::wrap(&[0x21, 0x00], data);
    if let Ok(dec) = AacDecoder::new(data) {
        assert!(dec.channels() >= 1 && dec.channels() <= 2);
    }
});
