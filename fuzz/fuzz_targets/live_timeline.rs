//! The live timeline fed arbitrary sequences of manifest merges, tfrf merges, downloads,
//! 404s, evictions and end of presentation, with the documented invariants checked after
//! every step.
//!
//! Input: header (u32 timescale, u8 max_entries-1 (0..=63), u8 max_added_per_merge-1,
//! u8 dvr flag, u32 dvr window), then operations: an op byte (low 3 bits: 0 manifest,
//! 1 tfrf, 2 available, 3 missing, 4 evict_before, 5 set_ended, 6/7 queries; bit 3: live
//! manifest; bit 7: times relative to the announced end, as i32 deltas) and its operands.
//! A claim is (start, duration): u64+u32 absolute, or i32 delta + u32 relative.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothplay_engine::live::{Entry, LiveTimeline, Source, TimelineConfig};
use smoothplay_fuzz::Input;

const MAX_OPS: usize = 256;
const MAX_CLAIMS: usize = 64;

fn claim(input: &mut Input<'_>, relative: bool, anchor: u64) -> (u64, u64) {
    if relative {
        let delta = input.u32() as i32;
        let start = anchor.saturating_add_signed(i64::from(delta));
        (start, u64::from(input.u32()))
    } else {
        (input.u64(), u64::from(input.u32()))
    }
}

fn snapshot(t: &LiveTimeline) -> Vec<(u64, Entry)> {
    t.iter().map(|(i, e)| (i, *e)).collect()
}

fn check(t: &LiveTimeline, before: &[(u64, Entry)], first_before: u64) {
    let cap = t.config().max_entries.max(2);
    assert!(t.len() <= cap, "len {} over cap {cap}", t.len());
    assert!(t.first_index() >= first_before, "first index went back");
    let entries = snapshot(t);
    for w in entries.windows(2) {
        assert!(w[0].1.start < w[1].1.start, "starts not increasing: {:?}", w);
    }
    for (i, (_, e)) in entries.iter().enumerate() {
        assert!(e.duration > 0, "zero duration entry");
        assert!(e.start.checked_add(e.duration).is_some(), "entry ends past u64::MAX");
        if e.source == Source::Predicted {
            assert_eq!(i + 1, entries.len(), "prediction not last");
        }
    }
    if !t.is_ended() {
        if let Some((_, last)) = entries.iter().rev().find(|(_, e)| e.source != Source::Predicted) {
            let fits = last.end().checked_add(last.duration).is_some();
            assert_eq!(t.prediction().is_some(), fits, "prediction invariant");
        }
    }
    // An absolute index names the same announced fragment while it is held.
    for (i, e) in before {
        if e.source == Source::Predicted {
            continue;
        }
        if let Some(now) = t.get(*i) {
            assert_eq!(now.start, e.start, "index {i} changed its start");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mut config = TimelineConfig::new(u64::from(input.u32()));
    config.max_entries = usize::from(input.u8() % 64) + 1;
    config.max_added_per_merge = usize::from(input.u8() % 64) + 1;
    let dvr_flag = input.u8();
    let dvr = u64::from(input.u32());
    config.dvr_window = (dvr_flag & 1 == 1).then_some(dvr);
    let mut t = LiveTimeline::new(config);
    let mut ops = 0;
    while !input.is_empty() && ops < MAX_OPS {
        ops += 1;
        let op = input.u8();
        let relative = op & 0x80 != 0;
        let anchor = t.announced_end().unwrap_or(0);
        let before = snapshot(&t);
        let first_before = t.first_index();
        match op & 7 {
            0 | 1 => {
                let n = usize::from(input.u8()) % (MAX_CLAIMS + 1);
                let mut claims = Vec::with_capacity(n);
                let mut at = anchor;
                for _ in 0..n {
                    let c = claim(&mut input, relative, at);
                    at = c.0.saturating_add(c.1);
                    claims.push(c);
                }
                let merge = if op & 7 == 0 {
                    t.merge_manifest(&claims, op & 8 != 0)
                } else {
                    t.merge_tfrf(&claims)
                };
                assert!(merge.added <= t.config().max_added_per_merge);
            }
            2 => {
                let (start, duration) = claim(&mut input, relative, anchor);
                t.mark_available(start, duration);
            }
            3 => {
                let index = if relative {
                    t.prediction().map(|(i, _)| i).unwrap_or(0)
                } else {
                    input.u64()
                };
                let had = t.len();
                if t.mark_missing(index) {
                    assert_eq!(t.len() + 1, had);
                }
            }
            4 => {
                let at = if relative {
                    anchor.saturating_add_signed(i64::from(input.u32() as i32))
                } else {
                    input.u64()
                };
                t.evict_before(at);
            }
            5 => t.set_ended(),
            _ => {
                let at = if relative {
                    anchor.saturating_add_signed(i64::from(input.u32() as i32))
                } else {
                    input.u64()
                };
                if let Some(i) = t.index_at(at) {
                    let e = t.get(i).expect("index_at names a held entry");
                    assert!(e.start <= at);
                }
                if let Some(i) = t.index_from(at) {
                    assert!(t.get(i).expect("index_from names a held entry").start >= at);
                }
                let _ = (t.available_end(), t.typical_duration(), t.window_start());
            }
        }
        check(&t, &before, first_before);
    }
});
