//! Client manifest XML (`Manifest::parse`): any bytes, default limits. The parsed model's
//! derived values are read too, so a lazily computed field cannot hide a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::manifest::Manifest;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Manifest::parse(data) {
        let _ = m.playready();
        let _ = format!("{m:?}");
    }
});
