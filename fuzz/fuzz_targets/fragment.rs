//! Fragment box tree (`parse_fragment`): moof/mfhd/traf/tfhd/trun/tfdt/sdtp/senc/saiz/
//! saio/tfxd/tfrf/mdat from any bytes; then the timing accessors and the encryption
//! table at every IV size a caller may impose.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::fmp4::{parse_fragment, IvSizeSource};

fuzz_target!(|data: &[u8]| {
    let Ok(fragment) = parse_fragment(Bytes::copy_from_slice(data)) else { return };
    let base = fragment.base_decode_time(u64::MAX / 2);
    let _ = fragment.duration();
    for s in &fragment.samples {
        let _ = s.presentation_time(base);
        let _ = s.decode_time(u64::MAX);
    }
    if let Some(enc) = &fragment.encryption {
        let _ = enc.candidate_iv_sizes();
        for iv in [0u8, 8, 16, 17] {
            let mut f = fragment.clone();
            if f.apply_iv_size(iv, IvSizeSource::ProtectionHeader).is_ok() {
                assert!(f.samples.iter().all(|s| s.encryption.is_some()));
            }
        }
    }
});
