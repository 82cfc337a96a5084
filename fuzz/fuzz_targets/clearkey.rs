//! ClearKey license response (JWK set JSON) from a license server: any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::drm::clearkey::parse_clearkey_response;

fuzz_target!(|data: &[u8]| {
    let _ = parse_clearkey_response(data);
});
