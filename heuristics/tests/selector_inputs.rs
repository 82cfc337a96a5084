//! Every selector takes whatever the player measures without panicking and answers with a
//! level of the ladder: random ladders (1-6 levels, any bitrates, fragments of 0-12 s (zero included),
//! known or unknown count), then random sequences of decisions, download reports (zero,
//! tiny and huge sizes and durations, abandoned or not), progress reports, buffer states
//! (empty to far past a maximum of 0-120 s), fragment indices past the end, live-edge distances,
//! decode measurements (zero frames, 0 ms or 10 s per frame), viewports and resets.

use proptest::prelude::*;
use smoothplay_heuristics::types::{
    BufferState, Context, DecodeCapacity, DownloadProgress, DownloadReport, Ladder, Level, Viewport,
};
use smoothplay_heuristics::{selector_with_buffer, ALGORITHMS};
use std::time::Duration;

#[derive(Debug, Clone)]
enum Step {
    Choose { buffer_ms: u64, frag: usize, live_ms: Option<u64>, decode: Option<(u64, u64, u64, u64)>, viewport: Option<(u32, u32)> },
    Report { level: usize, bytes: u64, ttfb_ms: u64, dur_ms: u64, abandoned: bool },
    Progress { level: usize, done: u64, total: Option<u64>, elapsed_ms: u64, ttfb_ms: Option<u64> },
    Reset,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u64..400_000, 0usize..80, proptest::option::of(0u64..100_000),
              proptest::option::of((0u64..10_000, 1u64..100, 0u64..500, 0u64..500)),
              proptest::option::of((0u32..8000, 0u32..5000)))
            .prop_map(|(buffer_ms, frag, live_ms, decode, viewport)| Step::Choose { buffer_ms, frag, live_ms, decode, viewport }),
        4 => (0usize..8, prop_oneof![Just(0u64), 1u64..100, 1000u64..10_000_000], 0u64..5000, 0u64..120_000, any::<bool>())
            .prop_map(|(level, bytes, ttfb_ms, dur_ms, abandoned)| Step::Report { level, bytes, ttfb_ms, dur_ms, abandoned }),
        2 => (0usize..8, 0u64..10_000_000, proptest::option::of(0u64..10_000_000), 0u64..60_000, proptest::option::of(0u64..60_000))
            .prop_map(|(level, done, total, elapsed_ms, ttfb_ms)| Step::Progress { level, done, total, elapsed_ms, ttfb_ms }),
        1 => Just(Step::Reset),
    ]
}

fn ladder() -> impl Strategy<Value = Ladder> {
    (proptest::collection::vec(1u64..50_000, 1..7), 0u64..12_000, proptest::option::of(0usize..40), any::<bool>()).prop_map(
        |(mut kbps, frag_ms, count, resolutions)| {
            kbps.sort_unstable();
            kbps.dedup();
            let levels = kbps
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let mut l = Level::from_bitrate(k * 1000);
                    if resolutions {
                        l.width = Some(320 * (i as u32 + 1));
                        l.height = Some(180 * (i as u32 + 1));
                    }
                    l
                })
                .collect();
            let mut l = Ladder::new(levels, Duration::from_millis(frag_ms));
            l.fragment_count = count;
            l
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn selectors_never_panic_and_stay_on_the_ladder(
        ladder in ladder(),
        max_buffer_s in 0u64..120,
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let max = Duration::from_secs(max_buffer_s);
        for name in ALGORITHMS {
            let mut sel = selector_with_buffer(name, &ladder, max).expect(name);
            let mut last: Option<usize> = None;
            let mut now = Duration::ZERO;
            for s in &steps {
                now += Duration::from_millis(700);
                let base = Context {
                    ladder: &ladder,
                    fragment_index: 0,
                    buffer: BufferState { level: Duration::ZERO, target: max, max },
                    last_level: last,
                    live_edge_distance: None,
                    decode: None,
                    viewport: None,
                    playing: true,
                    now,
                };
                match s {
                    Step::Choose { buffer_ms, frag, live_ms, decode, viewport } => {
                        let ctx = Context {
                            fragment_index: *frag,
                            buffer: BufferState { level: Duration::from_millis(*buffer_ms), target: max, max },
                            live_edge_distance: live_ms.map(Duration::from_millis),
                            decode: decode.map(|(t, f, n, d)| DecodeCapacity {
                                decode_time_per_frame: Duration::from_millis(t),
                                frame_duration: Duration::from_millis(f),
                                frames_decoded: n,
                                frames_dropped: d,
                                level: last.unwrap_or(0),
                            }),
                            viewport: viewport.map(|(width, height)| Viewport { width, height }),
                            ..base
                        };
                        let d = sel.choose(&ctx);
                        prop_assert!(d.level < ladder.len(), "{name}: level {} of {}", d.level, ladder.len());
                        last = Some(d.level);
                    }
                    Step::Report { level, bytes, ttfb_ms, dur_ms, abandoned } => {
                        let level = (*level).min(ladder.len() - 1);
                        let r = DownloadReport {
                            level,
                            bytes: *bytes,
                            ttfb: Duration::from_millis((*ttfb_ms).min(*dur_ms)),
                            duration: Duration::from_millis(*dur_ms),
                            media_duration: if *abandoned { Duration::ZERO } else { ladder.fragment_duration },
                            abandoned: *abandoned,
                        };
                        sel.on_download(&base, &r);
                    }
                    Step::Progress { level, done, total, elapsed_ms, ttfb_ms } => {
                        let p = DownloadProgress {
                            fragment_index: 3,
                            level: (*level).min(ladder.len() - 1),
                            bytes_done: *done,
                            bytes_total: *total,
                            elapsed: Duration::from_millis(*elapsed_ms),
                            ttfb: ttfb_ms.map(Duration::from_millis),
                        };
                        if let Some(q) = sel.should_abandon(&base, &p) {
                            prop_assert!(q < ladder.len(), "{name}: abandon to {q} of {}", ladder.len());
                        }
                    }
                    Step::Reset => {
                        sel.reset();
                        last = None;
                    }
                }
            }
        }
    }
}
