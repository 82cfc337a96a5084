//! Unit tests of each merge rule (expected values computed by hand) and a proptest of the
//! invariants under random interleavings of every operation.

use proptest::prelude::*;

use super::*;

use Source::{Manifest, Predicted, Tfrf, Tfxd};

fn timeline() -> LiveTimeline {
    LiveTimeline::new(TimelineConfig::new(10_000_000))
}

fn with(config: impl FnOnce(&mut TimelineConfig)) -> LiveTimeline {
    let mut c = TimelineConfig::new(10_000_000);
    config(&mut c);
    LiveTimeline::new(c)
}

/// `(index, start, duration, source)` of every entry.
fn shape(t: &LiveTimeline) -> Vec<(u64, u64, u64, Source)> {
    t.iter().map(|(i, e)| (i, e.start, e.duration, e.source)).collect()
}

fn entry(t: &LiveTimeline, index: u64) -> Entry {
    *t.get(index).unwrap_or_else(|| panic!("no entry {index} in {:?}", shape(t)))
}

fn merge(added: usize, updated: usize, rejected: usize, evicted: usize, discontinuity: bool) -> Merge {
    Merge { added, updated, rejected, evicted, discontinuity }
}

/// Manifest entries (0,20) (20,20) (40,20), prediction (60,20) at index 3.
fn three() -> LiveTimeline {
    let mut t = timeline();
    assert_eq!(t.merge_manifest(&[(0, 20), (20, 20), (40, 20)], true), merge(3, 0, 0, 0, false));
    t
}

#[test]
fn empty_timeline_answers_nothing() {
    let t = timeline();
    assert!(t.is_empty());
    assert_eq!((t.first_index(), t.end_index(), t.len()), (0, 0, 0));
    assert_eq!(t.get(0), None);
    assert_eq!(t.index_at(0), None);
    assert_eq!(t.index_from(0), None);
    assert_eq!(t.window_start(), None);
    assert_eq!(t.available_end(), None);
    assert_eq!(t.announced_end(), None);
    assert_eq!(t.typical_duration(), None);
    assert_eq!(t.prediction(), None);
    assert!(!t.is_ended());
}

#[test]
fn first_manifest_is_followed_by_a_prediction() {
    let t = three();
    assert_eq!(
        shape(&t),
        vec![(0, 0, 20, Manifest), (1, 20, 20, Manifest), (2, 40, 20, Manifest), (3, 60, 20, Predicted)]
    );
    assert_eq!(t.end_index(), 4);
    assert_eq!(t.announced_end(), Some(60));
    assert_eq!(t.available_end(), None);
    assert_eq!(t.typical_duration(), Some(20));
    assert_eq!(t.window_start(), Some(0));
    assert_eq!(t.prediction().map(|(i, e)| (i, e.start)), Some((3, 60)));
    assert!(t.iter().all(|(_, e)| !e.available && !e.discontinuity));
}

#[test]
fn empty_live_manifest_adds_nothing() {
    let mut t = timeline();
    assert_eq!(t.merge_manifest(&[], true), Merge::default());
    assert!(t.is_empty());
}

#[test]
fn duplicates_follow_the_trust_order() {
    let mut t = three();
    // Less trusted and disagreeing: ignored, counted.
    assert_eq!(t.merge_tfrf(&[(20, 25)]), merge(0, 0, 1, 0, false));
    // Less trusted and agreeing: nothing to say.
    assert_eq!(t.merge_tfrf(&[(20, 20)]), Merge::default());
    assert_eq!(entry(&t, 1), Entry { start: 20, duration: 20, source: Manifest, available: false, discontinuity: false });
    // Equally trusted: the newest claim wins.
    assert_eq!(t.merge_manifest(&[(20, 22)], false), merge(0, 1, 0, 0, false));
    assert_eq!(entry(&t, 1).duration, 22);
    // The fragment itself wins over everything.
    assert_eq!(t.mark_available(20, 21), merge(0, 1, 0, 0, false));
    assert_eq!(entry(&t, 1), Entry { start: 20, duration: 21, source: Tfxd, available: true, discontinuity: false });
    assert_eq!(t.merge_manifest(&[(20, 20)], false), merge(0, 0, 1, 0, false));
    assert_eq!(t.merge_tfrf(&[(20, 20)]), merge(0, 0, 1, 0, false));
    assert_eq!(entry(&t, 1).duration, 21);
    // The same download again changes nothing.
    assert_eq!(t.mark_available(20, 21), Merge::default());
    assert_eq!(t.available_end(), Some(41));
    assert_eq!(t.len(), 4);
}

#[test]
fn a_tfrf_entry_is_upgraded_by_the_manifest() {
    let mut t = three();
    assert_eq!(t.merge_tfrf(&[(60, 20), (80, 20)]), merge(2, 0, 0, 0, false));
    assert_eq!(entry(&t, 4).source, Tfrf);
    assert_eq!(t.merge_manifest(&[(80, 20)], true).updated, 1);
    assert_eq!(entry(&t, 4).source, Manifest);
}

#[test]
fn updating_the_newest_entry_moves_the_prediction_in_place() {
    let mut t = three();
    assert_eq!(t.merge_manifest(&[(40, 30)], false), merge(0, 1, 0, 0, false));
    assert_eq!(shape(&t)[2..], [(2, 40, 30, Manifest), (3, 70, 30, Predicted)]);
    assert_eq!(t.announced_end(), Some(70));
}

#[test]
fn the_prediction_becomes_the_real_entry_at_its_start() {
    let mut t = three();
    assert_eq!(t.merge_tfrf(&[(60, 20)]), merge(1, 0, 0, 0, false));
    assert_eq!(shape(&t)[3..], [(3, 60, 20, Tfrf), (4, 80, 20, Predicted)]);
    // A download of the predicted fragment: real, available, with its own duration.
    assert_eq!(t.mark_available(80, 19), merge(1, 0, 0, 0, false));
    assert_eq!(entry(&t, 4), Entry { start: 80, duration: 19, source: Tfxd, available: true, discontinuity: false });
    assert_eq!(entry(&t, 5), Entry { start: 99, duration: 19, source: Predicted, available: false, discontinuity: false });
    assert_eq!(t.available_end(), Some(99));
    assert_eq!(t.announced_end(), Some(99));
}

#[test]
fn a_contradicted_prediction_is_replaced_in_place() {
    let mut t = three();
    // Next fragment at 65 instead of 60: a 5 tick gap, tolerated.
    assert_eq!(t.merge_tfrf(&[(65, 20)]), merge(1, 0, 0, 0, false));
    assert_eq!(shape(&t)[3..], [(3, 65, 20, Tfrf), (4, 85, 20, Predicted)]);
    assert!(!entry(&t, 3).discontinuity);
    // A download after the newest entry too.
    assert_eq!(t.mark_available(90, 20), merge(1, 0, 0, 0, false));
    assert_eq!(shape(&t)[4..], [(4, 90, 20, Tfxd), (5, 110, 20, Predicted)]);
}

#[test]
fn gaps_up_to_a_fragment_are_tolerated_larger_ones_are_discontinuities() {
    let mut t = three();
    // Gap of exactly the typical duration (20): played through.
    assert_eq!(t.merge_tfrf(&[(80, 20)]), merge(1, 0, 0, 0, false));
    assert!(!entry(&t, 3).discontinuity);
    // Newest end 100; 121 is a 21 tick gap.
    assert_eq!(t.merge_tfrf(&[(121, 20)]), merge(1, 0, 0, 0, true));
    assert_eq!(entry(&t, 4), Entry { start: 121, duration: 20, source: Tfrf, available: false, discontinuity: true });
    assert_eq!(entry(&t, 5).start, 141);
    // The same through a download.
    assert_eq!(t.mark_available(1000, 20), merge(1, 0, 0, 0, true));
    assert!(entry(&t, 5).discontinuity && entry(&t, 5).available);
    // A gap in the timeline: index_at answers the entry before it.
    assert_eq!(t.index_at(110), Some(3));
    assert_eq!(t.index_at(500), Some(4));
}

#[test]
fn small_overlaps_are_accepted_larger_ones_rejected() {
    let mut t = three();
    // Newest (40,20) ends at 60; 1/4 of 20 is 5.
    assert_eq!(t.merge_tfrf(&[(54, 20)]), merge(0, 0, 1, 0, false));
    assert_eq!(t.mark_available(54, 20), merge(0, 0, 1, 0, false));
    assert_eq!(t.merge_manifest(&[(40, 20), (54, 20)], false), merge(0, 0, 1, 0, false));
    assert_eq!(t.len(), 4);
    assert_eq!(t.merge_tfrf(&[(55, 20)]), merge(1, 0, 0, 0, false));
    assert_eq!(shape(&t)[3..], [(3, 55, 20, Tfrf), (4, 75, 20, Predicted)]);
}

#[test]
fn claims_before_or_between_known_entries_are_rejected() {
    let mut t = timeline();
    t.merge_manifest(&[(100, 20), (120, 20), (140, 20)], true);
    let before = shape(&t);
    assert_eq!(t.merge_tfrf(&[(90, 20)]), merge(0, 0, 1, 0, false));
    assert_eq!(t.merge_tfrf(&[(130, 20)]), merge(0, 0, 1, 0, false));
    assert_eq!(t.mark_available(110, 20), merge(0, 0, 1, 0, false));
    assert_eq!(t.mark_available(0, 20), merge(0, 0, 1, 0, false));
    // A live refresh listing earlier chunks: those are ignored.
    assert_eq!(t.merge_manifest(&[(80, 20), (100, 20), (120, 20)], true), merge(0, 0, 1, 0, false));
    assert_eq!(shape(&t), before);
}

#[test]
fn a_live_manifest_moves_the_window_start() {
    let mut t = three();
    assert_eq!(t.merge_manifest(&[(40, 20), (60, 20), (80, 20)], true), merge(2, 0, 0, 2, false));
    assert_eq!(t.first_index(), 2);
    assert_eq!(
        shape(&t),
        vec![(2, 40, 20, Manifest), (3, 60, 20, Manifest), (4, 80, 20, Manifest), (5, 100, 20, Predicted)]
    );
    assert_eq!(t.get(1), None);
    assert_eq!(t.window_start(), Some(40));
}

#[test]
fn the_window_never_drops_the_newest_announced_entry() {
    let mut t = three();
    // Nothing valid in it, but its window starts at 1000.
    assert_eq!(t.merge_manifest(&[(1000, 0)], true), merge(0, 0, 1, 2, false));
    assert_eq!(shape(&t), vec![(2, 40, 20, Manifest), (3, 60, 20, Predicted)]);
    assert_eq!(t.evict_before(u64::MAX), 0);
    assert_eq!(shape(&t), vec![(2, 40, 20, Manifest), (3, 60, 20, Predicted)]);
}

#[test]
fn an_on_demand_manifest_with_unknown_times_adds_nothing() {
    let mut t = timeline();
    t.merge_manifest(&[(1000, 20), (1020, 20)], true);
    let before = shape(&t);
    // ffmpeg's final manifest numbering from 0.
    assert_eq!(t.merge_manifest(&[(0, 20), (20, 20), (40, 20)], false), merge(0, 0, 3, 0, false));
    assert_eq!(shape(&t), before);
    // Known times: merged, and no window eviction.
    assert_eq!(t.merge_manifest(&[(1020, 20), (1040, 20)], false), merge(1, 0, 0, 0, false));
    assert_eq!(t.first_index(), 0);
    assert_eq!(t.len(), 4);
    // On an empty timeline it is the first list.
    let mut e = timeline();
    assert_eq!(e.merge_manifest(&[(0, 20), (20, 20)], false).added, 2);
}

#[test]
fn the_dvr_window_slides() {
    let mut t = with(|c| c.dvr_window = Some(50));
    // Newest end 80, entries ending before 30 go: (0,20).
    assert_eq!(t.merge_manifest(&[(0, 20), (20, 20), (40, 20), (60, 20)], true), merge(4, 0, 0, 1, false));
    assert_eq!(t.first_index(), 1);
    // Newest end 100, entries ending before 50 go: (20,20).
    assert_eq!(t.mark_available(80, 20), merge(1, 0, 0, 1, false));
    assert_eq!(t.first_index(), 2);
    assert_eq!(entry(&t, 2).start, 40);
    // (40,20) ends at 60, not before 50: kept.
    assert_eq!(t.window_start(), Some(40));
    assert_eq!(t.merge_tfrf(&[(100, 20)]), merge(1, 0, 0, 1, false));
    assert_eq!(t.window_start(), Some(60));
}

#[test]
fn the_memory_cap_drops_the_oldest() {
    let mut t = with(|c| c.max_entries = 3);
    let chunks: Vec<(u64, u64)> = (0..6).map(|k| (k * 10, 10)).collect();
    // 6 real entries at indices 0..=5 and the prediction at 6; 3 held.
    assert_eq!(t.merge_manifest(&chunks, true), merge(6, 0, 0, 4, false));
    assert_eq!(shape(&t), vec![(4, 40, 10, Manifest), (5, 50, 10, Manifest), (6, 60, 10, Predicted)]);
    assert_eq!(t.mark_available(60, 10).evicted, 1);
    assert_eq!(shape(&t), vec![(5, 50, 10, Manifest), (6, 60, 10, Tfxd), (7, 70, 10, Predicted)]);

    // A cap below 2 still keeps the newest entry and its prediction.
    let mut t = with(|c| c.max_entries = 0);
    assert_eq!(t.merge_tfrf(&[(0, 10), (10, 10), (20, 10)]), merge(3, 0, 0, 2, false));
    assert_eq!(shape(&t), vec![(2, 20, 10, Tfrf), (3, 30, 10, Predicted)]);
}

#[test]
fn additions_per_merge_are_bounded() {
    let mut t = with(|c| c.max_added_per_merge = 2);
    t.mark_available(0, 20);
    // (0,20) agrees with its download; the prediction turning real counts as an addition.
    let m = t.merge_tfrf(&[(0, 20), (20, 20), (40, 20), (60, 20), (80, 20)]);
    assert_eq!(m, merge(2, 0, 2, 0, false));
    assert_eq!(t.announced_end(), Some(60));
    // (20,21) and (40,20) upgrade tfrf entries, (60,20) and (80,20) are the two additions.
    let m = t.merge_manifest(&[(0, 20), (20, 21), (40, 20), (60, 20), (80, 20), (100, 20)], true);
    assert_eq!(m, merge(2, 2, 1, 0, false));
    assert_eq!(t.announced_end(), Some(100));
    assert_eq!((entry(&t, 1).duration, entry(&t, 2).source), (21, Manifest));

    let mut t = with(|c| c.max_added_per_merge = 0);
    assert_eq!(t.merge_manifest(&[(0, 20)], true), merge(0, 0, 1, 0, false));
    assert!(t.is_empty());
    // Downloads are not merges of a list.
    assert_eq!(t.mark_available(0, 20).added, 1);
}

#[test]
fn a_full_tfrf_box() {
    let tfrf: Vec<(u64, u64)> = (1..=255).map(|k| (k * 20, 20)).collect();
    let mut t = timeline();
    t.mark_available(0, 20);
    assert_eq!(t.merge_tfrf(&tfrf), merge(255, 0, 0, 0, false));
    assert_eq!(t.len(), 257);
    assert_eq!(t.prediction().map(|(i, e)| (i, e.start)), Some((256, 5120)));

    let mut t = with(|c| c.max_added_per_merge = 100);
    t.mark_available(0, 20);
    assert_eq!(t.merge_tfrf(&tfrf), merge(100, 0, 155, 0, false));
    assert_eq!(t.announced_end(), Some(2020));
}

#[test]
fn absurd_claims_are_rejected() {
    let mut t = timeline();
    assert_eq!(t.merge_tfrf(&[(0, 0)]), merge(0, 0, 1, 0, false));
    assert_eq!(t.mark_available(5, 0), merge(0, 0, 1, 0, false));
    assert_eq!(t.merge_manifest(&[(u64::MAX - 10, 11), (u64::MAX, 1)], true), merge(0, 0, 2, 0, false));
    assert!(t.is_empty());
    // Ending exactly at u64::MAX is fine, but its prediction would overflow: none.
    assert_eq!(t.merge_manifest(&[(u64::MAX - 10, 10)], true), merge(1, 0, 0, 0, false));
    assert_eq!(shape(&t), vec![(0, u64::MAX - 10, 10, Manifest)]);
    assert_eq!(t.announced_end(), Some(u64::MAX));
    assert_eq!(t.mark_available(u64::MAX - 10, 10), merge(0, 1, 0, 0, false));
    assert_eq!(t.available_end(), Some(u64::MAX));
    assert_eq!(t.index_at(u64::MAX - 1), Some(0));
    assert_eq!(t.index_at(u64::MAX), None);
    assert_eq!(t.index_from(u64::MAX), None);
    assert_eq!(t.evict_before(u64::MAX), 0);
}

#[test]
fn times_near_the_top_of_u64() {
    let top = u64::MAX - 100;
    let mut t = timeline();
    t.merge_manifest(&[(top, 30), (top + 30, 30)], true);
    // Prediction (top+60, 30) ends at u64::MAX - 10.
    assert_eq!(t.prediction().map(|(i, e)| (i, e.start, e.duration)), Some((2, top + 60, 30)));
    // Replacing it with a real entry: the next prediction would end past u64::MAX.
    assert_eq!(t.mark_available(top + 60, 30), merge(1, 0, 0, 0, false));
    assert_eq!(t.prediction(), None);
    assert_eq!(t.end_index(), 3);
    // A tail claim that fits exactly.
    assert_eq!(t.merge_tfrf(&[(top + 90, 10)]), merge(1, 0, 0, 0, false));
    assert_eq!(t.announced_end(), Some(u64::MAX));
    assert_eq!(t.merge_tfrf(&[(u64::MAX, 1)]), merge(0, 0, 1, 0, false));

    // Huge durations: a median and tolerances that don't overflow.
    let half = u64::MAX / 2;
    let mut t = timeline();
    assert_eq!(t.merge_tfrf(&[(0, half), (half, half)]), merge(2, 0, 0, 0, false));
    assert_eq!(t.typical_duration(), Some(half));
    assert_eq!(t.prediction(), None);
    assert_eq!(t.len(), 2);
}

#[test]
fn an_ended_presentation_removes_its_prediction_once_missing() {
    let mut t = timeline();
    t.mark_available(0, 20);
    assert_eq!(shape(&t), vec![(0, 0, 20, Tfxd), (1, 20, 20, Predicted)]);
    // Live: a 404 on the prediction only means "not yet".
    assert!(!t.mark_missing(1));
    assert_eq!(t.len(), 2);
    t.set_ended();
    assert!(t.is_ended());
    // The prediction stays until reported missing.
    assert_eq!(t.prediction().map(|(i, _)| i), Some(1));
    assert!(!t.mark_missing(0));
    assert!(!t.mark_missing(7));
    assert!(t.mark_missing(1));
    assert_eq!(shape(&t), vec![(0, 0, 20, Tfxd)]);
    assert!(!t.mark_missing(1));
    // Later claims still append, without a prediction.
    assert_eq!(t.merge_tfrf(&[(20, 20)]), merge(1, 0, 0, 0, false));
    assert_eq!(t.mark_available(20, 20), merge(0, 1, 0, 0, false));
    assert_eq!(shape(&t), vec![(0, 0, 20, Tfxd), (1, 20, 20, Tfxd)]);
    assert_eq!(t.prediction(), None);
}

#[test]
fn a_prediction_left_by_set_ended_can_still_come_true() {
    let mut t = three();
    t.set_ended();
    assert_eq!(t.mark_available(60, 20), merge(1, 0, 0, 0, false));
    assert_eq!(shape(&t)[3..], [(3, 60, 20, Tfxd)]);
    assert_eq!(t.prediction(), None);
    assert!(!t.mark_missing(3));
    assert!(!t.mark_missing(4));
}

#[test]
fn lookups_by_time_and_index() {
    let mut t = timeline();
    t.merge_manifest(&[(100, 20), (120, 20), (200, 20)], true);
    // (200,20) came after a 60 tick gap.
    assert!(entry(&t, 2).discontinuity);
    assert_eq!(t.index_at(99), None);
    assert_eq!(t.index_at(100), Some(0));
    assert_eq!(t.index_at(119), Some(0));
    assert_eq!(t.index_at(120), Some(1));
    assert_eq!(t.index_at(150), Some(1));
    assert_eq!(t.index_at(200), Some(2));
    assert_eq!(t.index_at(225), Some(3));
    assert_eq!(t.index_at(239), Some(3));
    assert_eq!(t.index_at(240), None);
    assert_eq!(t.index_from(0), Some(0));
    assert_eq!(t.index_from(100), Some(0));
    assert_eq!(t.index_from(101), Some(1));
    assert_eq!(t.index_from(121), Some(2));
    assert_eq!(t.index_from(201), Some(3));
    assert_eq!(t.index_from(221), None);
    assert_eq!(t.get(3).map(|e| e.source), Some(Predicted));
    assert_eq!(t.get(4), None);
    assert_eq!(t.get(u64::MAX), None);

    // Entries ending at or before 120 go; indices stay.
    assert_eq!(t.evict_before(120), 1);
    assert_eq!(t.first_index(), 1);
    assert_eq!(t.get(0), None);
    assert_eq!(t.get(1).map(|e| e.start), Some(120));
    assert_eq!(t.index_at(100), None);
    assert_eq!(t.index_at(130), Some(1));
    assert_eq!(t.index_from(0), Some(1));
    assert_eq!(t.evict_before(119), 0);
}

#[test]
fn typical_duration_is_the_lower_median_of_announced_entries() {
    let mut t = timeline();
    // Durations 10, 30, 20, 40; the prediction (100,40) is left out.
    assert_eq!(t.merge_manifest(&[(0, 10), (10, 30), (40, 20), (60, 40)], true), merge(4, 0, 0, 0, false));
    assert_eq!(t.typical_duration(), Some(20));
    t.mark_available(100, 50);
    assert_eq!(t.typical_duration(), Some(30));
}

#[test]
fn available_end_is_the_furthest_download() {
    let mut t = three();
    assert_eq!(t.mark_available(20, 20).updated, 1);
    assert_eq!(t.available_end(), Some(40));
    assert_eq!(t.mark_available(0, 20).updated, 1);
    assert_eq!(t.available_end(), Some(40));
    assert_eq!(t.announced_end(), Some(60));
    assert_eq!(t.mark_available(60, 20).added, 1);
    assert_eq!(t.available_end(), Some(80));
}

// --- Invariants under random interleavings -------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Manifest(Vec<(u64, u64)>, bool),
    Tfrf(Vec<(u64, u64)>),
    Available(u64, u64),
    /// A download of the prediction (or of the newest end) with this duration.
    AvailableNext(u64),
    Missing(u64),
    MissingPrediction,
    SetEnded,
    EvictBefore(u64),
}

/// Times on a small grid from `base` (collisions and adjacency are likely), durations
/// around 10 with zeros and absurd values now and then.
fn duration() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => 8u64..13,
        1 => Just(0u64),
        1 => 1u64..40,
        1 => Just(u64::MAX / 3),
    ]
}

fn time(base: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => (0u64..60).prop_map(move |k| base.saturating_add(k * 10)),
        2 => (0u64..600).prop_map(move |k| base.saturating_add(k)),
        1 => any::<u64>(),
    ]
}

fn chunks(base: u64) -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((time(base), duration()), 0..12).prop_map(|mut v| {
        v.sort_by_key(|c| c.0);
        v
    })
}

fn op(base: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (chunks(base), any::<bool>()).prop_map(|(c, live)| Op::Manifest(c, live)),
        3 => chunks(base).prop_map(Op::Tfrf),
        3 => (time(base), duration()).prop_map(|(s, d)| Op::Available(s, d)),
        4 => duration().prop_map(Op::AvailableNext),
        1 => (0u64..40).prop_map(Op::Missing),
        1 => Just(Op::MissingPrediction),
        1 => Just(Op::SetEnded),
        1 => time(base).prop_map(Op::EvictBefore),
    ]
}

fn config() -> impl Strategy<Value = TimelineConfig> {
    (prop::option::of(0u64..300), 0usize..30, 0usize..8).prop_map(|(dvr_window, max_entries, max_added)| {
        TimelineConfig { timescale: 1, dvr_window, max_entries, max_added_per_merge: max_added }
    })
}

fn scenario() -> impl Strategy<Value = (TimelineConfig, Vec<Op>)> {
    (config(), prop_oneof![Just(0u64), Just(1u64 << 40), Just(u64::MAX - 700)])
        .prop_flat_map(|(c, base)| (Just(c), prop::collection::vec(op(base), 1..60)))
}

/// Checks the structural invariants of `t` on its own.
fn check_shape(t: &LiveTimeline) {
    let entries: Vec<Entry> = t.iter().map(|(_, e)| *e).collect();
    for pair in entries.windows(2) {
        assert!(pair[0].start < pair[1].start, "starts not increasing: {entries:?}");
    }
    let predictions: Vec<usize> =
        entries.iter().enumerate().filter(|(_, e)| e.source == Source::Predicted).map(|(i, _)| i).collect();
    assert!(predictions.len() <= 1, "several predictions: {entries:?}");
    for &p in &predictions {
        assert_eq!(p + 1, entries.len(), "prediction not last: {entries:?}");
        assert!(p >= 1, "prediction without an announced entry: {entries:?}");
        let prev = entries[p - 1];
        assert_eq!((entries[p].start, entries[p].duration), (prev.end(), prev.duration));
        assert!(!entries[p].available);
    }
    if !t.is_ended() {
        if let Some(last) = entries.last() {
            let predictable = last.end().checked_add(last.duration).is_some();
            assert!(
                last.source == Source::Predicted || !predictable,
                "live timeline without its prediction: {entries:?}"
            );
        }
    }
    for e in &entries {
        assert!(e.duration > 0 && e.start.checked_add(e.duration).is_some(), "absurd entry {e:?}");
        assert!(!e.available || e.source == Source::Tfxd);
    }
    assert!(t.len() <= t.config().max_entries.max(2), "over the cap: {}", t.len());
    assert_eq!(t.end_index(), t.first_index() + t.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_under_any_interleaving((config, ops) in scenario()) {
        let mut t = LiveTimeline::new(config);
        for op in ops {
            let first_before = t.first_index();
            let available_end_before = t.available_end();
            let available_before: Vec<(u64, u64)> =
                t.iter().filter(|(_, e)| e.available).map(|(i, e)| (i, e.start)).collect();
            let real_before: Vec<(u64, u64)> =
                t.iter().filter(|(_, e)| e.source != Source::Predicted).map(|(i, e)| (i, e.start)).collect();
            let prediction_before = t.prediction().map(|(i, _)| i);
            let was_ended = t.is_ended();
            // Re-marking a downloaded fragment with another duration may shorten it.
            let mut remarks_available = false;
            let evicted = match &op {
                Op::Manifest(c, live) => t.merge_manifest(c, *live).evicted,
                Op::Tfrf(c) => t.merge_tfrf(c).evicted,
                Op::Available(s, d) => {
                    remarks_available = available_before.iter().any(|&(_, start)| start == *s);
                    t.mark_available(*s, *d).evicted
                }
                Op::AvailableNext(d) => {
                    let start = t.prediction().map(|(_, e)| e.start).or(t.announced_end()).unwrap_or(0);
                    t.mark_available(start, *d).evicted
                }
                Op::Missing(k) => {
                    let index = first_before.saturating_add(*k);
                    let removed = t.mark_missing(index);
                    prop_assert_eq!(removed, was_ended && prediction_before == Some(index));
                    0
                }
                Op::MissingPrediction => {
                    if let Some(index) = prediction_before {
                        prop_assert_eq!(t.mark_missing(index), was_ended);
                    }
                    0
                }
                Op::SetEnded => {
                    t.set_ended();
                    0
                }
                Op::EvictBefore(at) => t.evict_before(*at),
            };
            check_shape(&t);
            // The start only moves forward, and by what was reported evicted.
            prop_assert!(t.first_index() >= first_before);
            prop_assert_eq!(t.first_index() - first_before, evicted as u64);
            // Held real entries keep their index and start.
            for &(index, start) in &real_before {
                if index >= t.first_index() {
                    let e = t.get(index);
                    prop_assert_eq!(e.map(|e| e.start), Some(start), "entry {} moved", index);
                    prop_assert!(e.is_some_and(|e| e.source != Source::Predicted));
                }
            }
            // Downloaded entries are only lost off the window start.
            for &(index, start) in &available_before {
                if index >= t.first_index() {
                    let e = t.get(index);
                    prop_assert!(e.is_some_and(|e| e.start == start && e.available), "lost {}", index);
                }
            }
            if evicted == 0 && !remarks_available {
                prop_assert!(t.available_end() >= available_end_before);
            }
            // Once ended, no new prediction appears.
            if was_ended {
                let now = t.prediction().map(|(i, _)| i);
                prop_assert!(now.is_none() || now == prediction_before);
            }
        }
    }
}
