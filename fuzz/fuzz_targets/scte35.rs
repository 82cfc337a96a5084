//! SCTE 35 markers: `decode_marker` on the raw input (binary section, XML, base64), and
//! `parse_splice_info_section` on the input with its CRC_32 recomputed, so the fuzzer
//! reaches the command and descriptor parsers instead of stopping at the checksum.
//! `Marker::summary` is read on every success.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::markers::{crc32_mpeg2, decode_marker, parse_splice_info_section, Marker};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = decode_marker(data) {
        let _ = m.summary();
    }
    if data.len() >= 3 {
        let mut section = data.to_vec();
        section[0] = 0xFC;
        let total = 3 + ((usize::from(section[1]) & 0x0F) << 8 | usize::from(section[2]));
        if total >= 7 && total <= section.len() {
            let crc = crc32_mpeg2(&section[..total - 4]);
            section[total - 4..total].copy_from_slice(&crc.to_be_bytes());
        }
        if let Ok(s) = parse_splice_info_section(&section) {
            let _ = Marker::Section(s).summary();
        }
    }
});
