//! PlayReady Object (record table + UTF-16LE WRMHEADER), as found base64-decoded in the
//! manifest's ProtectionHeader: any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::manifest::PlayReadyHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = PlayReadyHeader::from_object(data, 16) {
        let _ = h.default_algorithm();
        for k in &h.kids {
            let _ = k.cenc_bytes();
            let _ = k.checksum_matches(&[0x2b; 16]);
        }
    }
});
