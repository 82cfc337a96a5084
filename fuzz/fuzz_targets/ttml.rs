//! TTML captions: `cues_for_fragment` under each time base and `parse_document`, then
//! both writers. Input: byte 0 picks the time base (mod 3), bytes 1..5 the fragment start
//! in tenths of a second (u32 LE), byte 5 its duration in tenths; the rest is the
//! document. Checked: every cue has `end > start` and lies inside the fragment.
#![no_main]
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use smoothplay_engine::text::{
    cues_for_fragment, parse_document, write_srt, write_webvtt, FragmentSpan, TimeBase, TtmlLimits,
};

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let time_base = [TimeBase::Presentation, TimeBase::FragmentRelative, TimeBase::Auto][data[0] as usize % 3];
    let start = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let span = FragmentSpan {
        start: Duration::from_millis(u64::from(start) * 100),
        duration: Duration::from_millis(u64::from(data[5]) * 100),
    };
    let doc = &data[6..];
    let limits = TtmlLimits { max_cues: 1000, ..TtmlLimits::default() };
    if let Ok(cues) = cues_for_fragment(doc, span, time_base, &limits) {
        for c in &cues {
            assert!(c.end > c.start, "{c:?}");
            assert!(c.start >= span.start && c.end <= span.end(), "{c:?} outside {span:?}");
            let joined: String = c.spans.iter().map(|s| s.text.as_str()).collect();
            assert_eq!(joined, c.text);
        }
        let _ = write_srt(&cues);
        let _ = write_webvtt(&cues);
    }
    if let Ok(cues) = parse_document(doc, &limits) {
        for c in &cues {
            assert!(c.end > c.start, "{c:?}");
        }
        let _ = write_webvtt(&cues);
    }
});
