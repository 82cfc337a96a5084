//! The AAC path: a decoder configured from an AudioSpecificConfig, fed access units.
//!
//! Input: ASC chunk (u16 length + bytes; an empty chunk means the fixtures' 119056e500),
//! then access units, each a u16 length + bytes. Each unit is decoded; errors are fine,
//! panics are not. The decoder is reset once half way.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::decode::AacDecoder;
use smoothplay_engine::MediaTime;
use smoothplay_fuzz::{hex, Input, AAC_ASC};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let asc = input.chunk();
    let asc = if asc.is_empty() { hex(AAC_ASC) } else { asc.to_vec() };
    let Ok(mut dec) = AacDecoder::new(&asc) else { return };
    let mut i = 0u64;
    while !input.is_empty() && i < 64 {
        let au = input.chunk();
        if let Ok(block) = dec.decode(au, MediaTime::new(i * 1024, 48_000)) {
            assert_eq!(block.samples.len() % usize::from(block.channels.max(1)), 0);
        }
        if i == 8 {
            dec.reset();
        }
        i += 1;
    }
});
