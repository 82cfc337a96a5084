//! Bounded memory over a day of live: 24 hours of virtual time (43 200 fragments of 2 s,
//! tfxd and tfrf on every fragment, a manifest refresh every minute, downloads, the
//! distance sampled every 100 ms, the scheduler fed its plan and asked what to fetch)
//! through the sans-I/O live state and scheduler. Every structure that grows with time is
//! measured after hour 1 and at hour 24 and checked against its documented bound.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::fmp4::boxes::{UUID_TFRF, UUID_TFXD};
use crate::schedule::{Action, Event};
use crate::session::stats::{push_recent, FragmentStats, MAX_FRAGMENT_RECORDS};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/demo.ism/");
/// 2 s in the demo's 10 MHz timescale.
const D: u64 = 20_000_000;
const DAY_FRAGMENTS: u64 = 43_200;
const HOUR_FRAGMENTS: u64 = 1_800;

fn bx(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(fourcc);
    v.extend_from_slice(payload);
    v
}

fn uuid_box(uuid: &[u8; 16], payload: &[u8]) -> Vec<u8> {
    bx(b"uuid", &[uuid.as_slice(), payload].concat())
}

/// A one-sample fragment starting at `start` with its tfxd and a tfrf announcing the
/// next `ahead` fragments (version 1 boxes, as IIS writes them).
fn fragment(start: u64, ahead: u64) -> Bytes {
    let mfhd = bx(b"mfhd", &[0, 0, 0, 0, 0, 0, 0, 1]);
    let tfhd = bx(b"tfhd", &[0, 0, 0, 0x08, 0, 0, 0, 1, 0, 0, 0, 100]);
    let mut tfxd = vec![1, 0, 0, 0];
    tfxd.extend_from_slice(&start.to_be_bytes());
    tfxd.extend_from_slice(&D.to_be_bytes());
    let tfxd = uuid_box(&UUID_TFXD, &tfxd);
    let mut tfrf = vec![1, 0, 0, 0, ahead as u8];
    for i in 1..=ahead {
        tfrf.extend_from_slice(&(start + i * D).to_be_bytes());
        tfrf.extend_from_slice(&D.to_be_bytes());
    }
    let tfrf = uuid_box(&UUID_TFRF, &tfrf);
    let trun_len = 8 + 4 + 4 + 4 + 4;
    let moof_len = 8 + mfhd.len() + 8 + tfhd.len() + trun_len + tfxd.len() + tfrf.len();
    let mut t = vec![0, 0, 0x02, 0x01, 0, 0, 0, 1];
    t.extend_from_slice(&((moof_len + 8) as i32).to_be_bytes());
    t.extend_from_slice(&4u32.to_be_bytes());
    let trun = bx(b"trun", &t);
    let traf = bx(b"traf", &[tfhd, trun, tfxd, tfrf].concat());
    let moof = bx(b"moof", &[mfhd, traf].concat());
    assert_eq!(moof.len(), moof_len);
    Bytes::from([moof, bx(b"mdat", &[1, 2, 3, 4])].concat())
}

/// The demo presentation as a live one with DVRWindowLength 0 (unbounded window) whose
/// manifest lists fragments `first..end` on both streams (2 s each).
fn live_manifest(first: u64, end: u64) -> Manifest {
    let xml = std::fs::read_to_string(format!("{DEMO}Manifest")).unwrap();
    let chunks: String = (first..end).map(|k| format!("<c t=\"{}\" d=\"{D}\" />\n", k * D)).collect();
    let mut out = String::new();
    let mut in_chunks = false;
    for line in xml.lines() {
        if line.starts_with("<c ") {
            if !in_chunks {
                out.push_str(&chunks);
                in_chunks = true;
            }
            continue;
        }
        in_chunks = false;
        out.push_str(line);
        out.push('\n');
    }
    let out = out.replacen("Duration=\"200106666\"", "Duration=\"0\" IsLive=\"TRUE\" DVRWindowLength=\"0\" LookAheadFragmentCount=\"2\"", 1);
    let m = Manifest::parse(out.as_bytes()).unwrap();
    assert!(m.is_live);
    m
}

#[derive(Debug, Clone, Copy)]
struct Figures {
    live: LiveFootprint,
    plans: [usize; 2],
    fragment_records: usize,
}

#[test]
fn a_day_of_live_keeps_every_growing_structure_under_its_bound() {
    let wall = Instant::now();
    let t0 = Instant::now();
    let at = |k: u64, ms: u64| t0 + Duration::from_secs(2 * k) + Duration::from_millis(ms);
    let manifest = live_manifest(0, 10);
    let selection = super::super::tracks::select_tracks(&manifest);
    let plans = selection.tracks.iter().map(|t| t.plan.clone()).collect::<Vec<_>>();
    let ladder = crate::schedule::ladder_for(&plans);
    let selector = smoothplay_heuristics::selector_by_name("smoothplay", &ladder).unwrap();
    let mut sched = Scheduler::new(plans, crate::schedule::ScheduleConfig::default(), selector);
    let config = LiveConfig::default();
    let mut live = LiveState::new(&manifest, &selection, &config, t0);
    live.sync(&mut sched, t0);
    sched.on_event(Event::Playing(true), t0);

    let mut video_records: Vec<FragmentStats> = Vec::new();
    let (mut fragments_total, mut bytes_total) = (0u64, 0u64);
    let (mut distance_sum, mut distance_count) = (0.0f64, 0u64);
    let mut snapshots: Vec<(u64, Figures)> = Vec::new();
    for k in 10..DAY_FRAGMENTS {
        // Fragment k appears on the server at the start of its 2 s slot: the prediction is
        // asked for a moment before ("not yet"), then found.
        for track in 0..2 {
            // The prediction (after the fragments tfrf announced) is probed: not yet.
            let (probe, probe_start) = live.probe_target(track).expect("a prediction to probe for");
            assert!(probe_start >= k * D, "track {track}: the prediction is fragment {k} or later");
            if track == live.edge_track() {
                let _ = live.on_missing(track, probe, probe_start, 0, at(k, 0));
            }
            let start = k * D;
            let index = live.timelines[track].index_from(start).expect("fragment k announced") as usize;
            live.on_served(track, index, at(k, 10));
            let body = fragment(start, 2);
            assert_eq!(live.on_downloaded(track, index, &body, at(k, 10), at(k, 60)), Arrival::Fragment);
        }
        // A manifest refresh every minute, listing the server's last 10 fragments.
        if k % 30 == 0 {
            live.on_manifest(&live_manifest(k - 9, k + 1), &config, at(k, 100));
        }
        // The driver syncs after every download. A sync copies the whole timeline into
        // the plans (O(entries): 43 200 at hour 24), so the test, in a debug build, syncs
        // every fragment in the first and last 10 minutes and once a minute in between;
        // what it measures (lengths) is the same.
        let edge_minutes = k < 300 || k >= DAY_FRAGMENTS - 300;
        if edge_minutes || k % 30 == 0 {
            live.sync(&mut sched, at(k, 100));
        }
        // The scheduler fetches what it wants; what exists downloads at once.
        let edge = live.edge().expect("an edge");
        for action in sched.poll(at(k, 100)) {
            if let Action::Fetch(request) = action {
                let exists = sched.plan(request.track).and_then(|p| p.get(request.chunk)).is_some_and(|c| c.end() <= edge);
                let event = if exists {
                    fragments_total += 1;
                    bytes_total += 100;
                    push_recent(&mut video_records, FragmentStats { index: request.chunk, bitrate: 1, bytes: 100, download_ms: 1.0, ttfb_ms: 1.0 }, MAX_FRAGMENT_RECORDS);
                    Event::Downloaded { request, bytes: 100, ttfb: Duration::from_millis(5), elapsed: Duration::from_millis(20) }
                } else {
                    Event::Unavailable { request, retry_at: at(k + 1, 0) }
                };
                sched.on_event(event, at(k, 120));
            }
        }
        // Playback 3 s behind the edge; the distance is measured every 100 ms.
        for j in 0..20 {
            let position = (edge + Duration::from_millis(100 * j)).saturating_sub(Duration::from_secs(3));
            sched.on_event(Event::Position(position), at(k, 100 * j));
            let before = live.measurements;
            live.sample(position, at(k, 100 * j));
            if live.measurements > before {
                distance_sum += (edge.saturating_sub(position)).as_secs_f64() * 1000.0;
                distance_count += 1;
            }
        }
        if k == HOUR_FRAGMENTS || k == DAY_FRAGMENTS - 1 {
            let plans = [0, 1].map(|t| sched.plan(t).map_or(0, |p| p.chunks.len()));
            snapshots.push((k, Figures { live: live.footprint(), plans, fragment_records: video_records.len() }));
        }
    }
    let (h1, h24) = (snapshots[0].1, snapshots[1].1);
    eprintln!("hour 1: {h1:?}\nhour 24: {h24:?}\nwall {:?}", wall.elapsed());

    // Live samples: one a second for two hours, then at most MAX_LIVE_SAMPLES, evenly spread.
    assert!((3_500..=3_600).contains(&h1.live.samples), "{h1:?}");
    assert!(h24.live.samples <= MAX_LIVE_SAMPLES && h24.live.samples >= MAX_LIVE_SAMPLES / 2, "{h24:?}");
    // Distances for the percentiles: at most MAX_DISTANCES.
    assert!(h24.live.distances <= MAX_DISTANCES, "{h24:?}");
    assert!(h1.live.distances < MAX_DISTANCES);
    // The timeline: DVRWindowLength 0, but each refresh is a live manifest listing the
    // server's last 10 fragments, and entries before a live manifest's window leave. So it
    // holds that window plus what tfrf and downloads added since the last refresh (a
    // minute: 30) plus the two announced and the prediction, at hour 1 as at hour 24.
    // (Without refreshes, tfrf alone, it grows to the 100 000 cap: the next test.) The
    // scheduler's plans mirror it, nothing more.
    let cap = crate::live::TimelineConfig::new(1).max_entries;
    for f in [h1, h24] {
        assert!(f.live.timeline_entries <= 10 + 30 + 3 && f.live.timeline_entries <= cap, "{f:?}");
        assert!(f.plans.iter().all(|&n| n <= f.live.timeline_entries), "{f:?}");
    }
    // 404 and short-body bookkeeping: bounded and flat.
    assert!(h24.live.bookkeeping <= 2 * MAX_RECENT_ENTRIES + 2 * MAX_MISSED, "{h24:?}");
    assert!(h1.live.bookkeeping <= 2 * MAX_RECENT_ENTRIES + 2 * MAX_MISSED, "{h1:?}");
    // Per-fragment records: the most recent MAX_FRAGMENT_RECORDS, totals exact.
    assert!(h24.fragment_records <= MAX_FRAGMENT_RECORDS, "{h24:?}");
    assert!(fragments_total > MAX_FRAGMENT_RECORDS as u64 && bytes_total == 100 * fragments_total);

    // The figures reported: mean and max exact over every measurement.
    let stats = live.finish();
    assert_eq!(stats.samples.len(), h24.live.samples);
    assert!(stats.sample_interval_ms > 1000);
    let mean = distance_sum / distance_count as f64;
    assert!((stats.edge_distance_ms.mean - mean).abs() < 1e-6, "{} vs {mean}", stats.edge_distance_ms.mean);
    assert!(stats.edge_distance_ms.max == 3_000.0 && (1_100.0..=3_000.0).contains(&stats.edge_distance_ms.p50), "{:?}", stats.edge_distance_ms);
    assert!(stats.manifest_refreshes >= 1_400);
}

#[test]
fn a_timeline_with_an_unbounded_window_stops_at_its_cap_and_a_dvr_window_stays_flat() {
    // A day of 2 s fragments announced by tfrf and downloaded. DVRWindowLength 0 keeps
    // every entry up to `max_entries` (100 000 by default, 2.3 days: set to 20 000 here so
    // that one simulated day crosses it); a 30-minute DVR window stays flat.
    let mut unbounded = crate::live::LiveTimeline::new(crate::live::TimelineConfig {
        max_entries: 20_000,
        ..crate::live::TimelineConfig::new(10_000_000)
    });
    let mut dvr = crate::live::LiveTimeline::new(crate::live::TimelineConfig {
        dvr_window: Some(30 * 60 * 10_000_000),
        ..crate::live::TimelineConfig::new(10_000_000)
    });
    let mut lens = Vec::new();
    for k in 0..DAY_FRAGMENTS {
        for tl in [&mut unbounded, &mut dvr] {
            tl.mark_available(k * D, D);
            tl.merge_tfrf(&[((k + 1) * D, D), ((k + 2) * D, D)]);
        }
        if k == HOUR_FRAGMENTS || k == DAY_FRAGMENTS - 1 {
            lens.push((k, unbounded.len(), dvr.len()));
        }
    }
    eprintln!("(fragment, unbounded entries (cap 20 000), 30-min DVR entries): {lens:?}");
    assert_eq!(lens[0].1, HOUR_FRAGMENTS as usize + 4, "the first hour, the two announced and the prediction");
    assert_eq!(unbounded.len(), 20_000, "capped at max_entries");
    assert_eq!(lens[0].2, lens[1].2, "the DVR window is flat after its first half hour");
    assert!(lens[1].2 <= 30 * 30 + 4);
}
