//! WRMHEADER XML text: the input (UTF-8, lossily) is encoded as UTF-16LE and wrapped in a
//! PlayReady Object with one header record, so the mutator works on readable XML.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::manifest::PlayReadyHeader;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let record: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let Ok(len) = u16::try_from(record.len()) else { return };
    let mut object = (10 + u32::from(len)).to_le_bytes().to_vec();
    object.extend_from_slice(&1u16.to_le_bytes());
    object.extend_from_slice(&1u16.to_le_bytes());
    object.extend_from_slice(&len.to_le_bytes());
    object.extend_from_slice(&record);
    if let Ok(h) = PlayReadyHeader::from_object(&object, 16) {
        let _ = h.default_algorithm();
        // The same text without the object wrapper is taken as a bare header when it
        // starts like UTF-16LE XML, and must decode the same.
        if text.starts_with('<') {
            let bare = PlayReadyHeader::from_object(&record, 16);
            assert_eq!(bare.as_ref().ok(), Some(&h), "bare and wrapped header differ");
        }
    }
});
