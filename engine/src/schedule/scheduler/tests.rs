use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smoothplay_heuristics::{Context, Decision, DownloadReport, Level, QualitySelector};

use super::*;
use crate::schedule::{ChunkSlot, LevelPin};

const S: fn(u64) -> Duration = Duration::from_secs;

/// A selector that answers from a script and records what it was told.
#[derive(Clone, Default)]
struct Scripted {
    decisions: Arc<Mutex<Vec<Decision>>>,
    reports: Arc<Mutex<Vec<(usize, DownloadReport)>>>,
    buffer_seen: Arc<Mutex<Vec<Duration>>>,
    seeks: Arc<Mutex<u32>>,
}

impl QualitySelector for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        self.buffer_seen.lock().unwrap().push(ctx.buffer.level);
        let mut d = self.decisions.lock().unwrap();
        if d.is_empty() { Decision::now(0) } else { d.remove(0) }
    }
    fn on_download(&mut self, ctx: &Context, report: &DownloadReport) {
        self.reports.lock().unwrap().push((ctx.fragment_index, report.clone()));
    }
    fn on_seek(&mut self) {
        *self.seeks.lock().unwrap() += 1;
    }
}

fn plan(kind: TrackKind, n: u64, bitrates: &[u64]) -> TrackPlan {
    TrackPlan::complete(
        kind,
        (0..n).map(|i| ChunkSlot { start: S(2 * i), duration: S(2) }).collect(),
        bitrates.iter().map(|&b| Level::from_bitrate(b)).collect(),
    )
}

fn sched(forward: u64, pin: LevelPin, sel: &Scripted) -> Scheduler {
    Scheduler::new(
        vec![plan(TrackKind::Video, 10, &[100, 200, 300]), plan(TrackKind::Audio, 10, &[48, 64])],
        ScheduleConfig { forward_buffer: S(forward), video_pin: pin },
        Box::new(sel.clone()),
    )
}

fn done(s: &mut Scheduler, r: FetchRequest, now: Instant) {
    s.on_event(Event::Downloaded { request: r, bytes: 1000, ttfb: Duration::from_millis(10), elapsed: Duration::from_millis(100) }, now);
}

fn fetches(actions: &[Action]) -> Vec<FetchRequest> {
    actions.iter().filter_map(|a| if let Action::Fetch(r) = a { Some(*r) } else { None }).collect()
}

#[test]
fn audio_and_video_start_in_parallel_one_request_each() {
    let sel = Scripted::default();
    sel.decisions.lock().unwrap().push(Decision::now(2));
    let mut s = sched(30, LevelPin::Auto, &sel);
    let now = Instant::now();
    let f = fetches(&s.poll(now));
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].track, f[0].chunk, f[0].level), (0, 0, 2), "video takes the selector's level");
    assert_eq!((f[1].track, f[1].chunk, f[1].level), (1, 0, 0), "audio: its lowest level until a download is measured");
    assert!(s.poll(now).is_empty(), "nothing more while both are in flight");
    done(&mut s, f[0], now);
    let f2 = fetches(&s.poll(now));
    assert_eq!(f2.len(), 1);
    assert_eq!((f2[0].track, f2[0].chunk), (0, 1));
    // 1000 bytes in 100 ms: 80 kbit/s, a fifth of it affords the 64 bit/s audio level.
    done(&mut s, f[1], now);
    let f3 = fetches(&s.poll(now));
    assert_eq!((f3[0].track, f3[0].chunk, f3[0].level), (1, 1, 1), "audio: the highest level the link affords");
}

#[test]
fn stops_at_the_forward_buffer_and_resumes_as_the_playhead_moves() {
    let sel = Scripted::default();
    let mut s = sched(6, LevelPin::Min, &sel);
    let now = Instant::now();
    for _ in 0..3 {
        for r in fetches(&s.poll(now)) {
            if r.track == 0 {
                done(&mut s, r, now);
            }
        }
    }
    assert_eq!(s.buffer_ahead(0), S(6));
    assert!(fetches(&s.poll(now)).iter().all(|r| r.track != 0), "video buffer full at 6 s");
    s.on_event(Event::Position(Duration::from_millis(500)), now);
    let f = fetches(&s.poll(now));
    assert!(f.iter().any(|r| r.track == 0 && r.chunk == 3), "{f:?}");
}

#[test]
fn failed_fragment_is_skipped_and_the_gap_counts_as_buffered() {
    let sel = Scripted::default();
    let mut s = sched(30, LevelPin::Max, &sel);
    let now = Instant::now();
    let v = fetches(&s.poll(now))[0];
    s.on_event(Event::Failed { request: v }, now);
    assert_eq!(s.buffered_end(0), Some(S(2)));
    let next = fetches(&s.poll(now));
    assert_eq!((next[0].track, next[0].chunk, next[0].level), (0, 1, 2));
}

#[test]
fn seek_restarts_at_the_containing_fragment_and_ignores_stale_results() {
    let sel = Scripted::default();
    let mut s = sched(30, LevelPin::Min, &sel);
    let now = Instant::now();
    let old = fetches(&s.poll(now));
    s.on_event(Event::Seek(Duration::from_millis(7_300)), now);
    assert_eq!(*sel.seeks.lock().unwrap(), 1);
    for r in &old {
        done(&mut s, *r, now);
    }
    assert_eq!(s.buffered_end(0), Some(S(6)), "stale download ignored");
    let f = fetches(&s.poll(now));
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|r| r.chunk == 3 && r.epoch == 1), "{f:?}");
}

#[test]
fn selector_wait_defers_the_request() {
    let sel = Scripted::default();
    sel.decisions.lock().unwrap().push(Decision { level: 1, wait: Some(Duration::from_millis(500)) });
    sel.decisions.lock().unwrap().push(Decision::now(1));
    let mut s = sched(30, LevelPin::Auto, &sel);
    let now = Instant::now();
    let f = fetches(&s.poll(now));
    assert_eq!(f.len(), 1, "only audio goes now");
    assert_eq!(s.next_wakeup(), Some(now + Duration::from_millis(500)));
    assert!(fetches(&s.poll(now + Duration::from_millis(499))).is_empty());
    let f = fetches(&s.poll(now + Duration::from_millis(500)));
    assert_eq!((f[0].track, f[0].level), (0, 1));
}

#[test]
fn selector_hears_every_video_download_with_its_timing() {
    let sel = Scripted::default();
    let mut s = sched(30, LevelPin::Auto, &sel);
    let now = Instant::now();
    for _ in 0..3 {
        for r in fetches(&s.poll(now)) {
            done(&mut s, r, now);
        }
    }
    let reports = sel.reports.lock().unwrap();
    assert_eq!(reports.len(), 3, "audio downloads are not reported to the video selector");
    assert_eq!(reports[1].0, 1);
    assert_eq!(reports[1].1.bytes, 1000);
    assert_eq!(reports[1].1.media_duration, S(2));
    assert_eq!(*sel.buffer_seen.lock().unwrap(), vec![S(0), S(2), S(4)]);
}

#[test]
fn each_track_reports_its_end_once() {
    let sel = Scripted::default();
    let mut s = Scheduler::new(vec![plan(TrackKind::Video, 2, &[1])], ScheduleConfig::default(), Box::new(sel));
    let now = Instant::now();
    let mut ended = 0;
    for _ in 0..5 {
        for a in s.poll(now) {
            match a {
                Action::Fetch(r) => done(&mut s, r, now),
                Action::TrackEnded(0) => ended += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(ended, 1);
    assert!(s.all_fetched());
}

/// Abandons any request at level 2 once it has seen progress, and records reports.
#[derive(Clone, Default)]
struct Impatient {
    inner: Scripted,
    idle: Arc<Mutex<Vec<Duration>>>,
}

impl QualitySelector for Impatient {
    fn name(&self) -> &str {
        "impatient"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        self.inner.choose(ctx)
    }
    fn on_download(&mut self, ctx: &Context, report: &DownloadReport) {
        self.inner.on_download(ctx, report)
    }
    fn should_abandon(&mut self, _ctx: &Context, p: &smoothplay_heuristics::DownloadProgress) -> Option<usize> {
        (p.level == 2).then_some(0)
    }
    fn on_idle(&mut self, idle: Duration) {
        self.idle.lock().unwrap().push(idle);
    }
}

fn progress(bytes: u64) -> crate::io::Progress {
    crate::io::Progress { bytes_done: bytes, bytes_total: Some(10_000), elapsed: Duration::from_millis(900), ttfb: Some(Duration::from_millis(50)) }
}

#[test]
fn abandoned_request_is_cancelled_reported_and_chosen_again() {
    let sel = Impatient::default();
    // The selector would ask for level 2 again; the retry is capped below it (and at the
    // selector's suggestion, 0).
    sel.inner.decisions.lock().unwrap().extend([Decision::now(2), Decision::now(2)]);
    let mut s = Scheduler::new(vec![plan(TrackKind::Video, 4, &[100, 200, 300])], ScheduleConfig::default(), Box::new(sel.clone()));
    let now = Instant::now();
    let first = fetches(&s.poll(now))[0];
    assert_eq!(first.level, 2);
    s.on_event(Event::Progress { request: first, progress: progress(1234) }, now);
    let actions = s.poll(now);
    assert_eq!(actions[0], Action::Abandon(first));
    let again = fetches(&actions);
    assert_eq!((again[0].chunk, again[0].level), (0, 0), "the same fragment, at the level chosen again");
    assert_eq!(first.reason, Some(LevelReason::Chosen(None)), "a selector that gives no reason");
    assert_eq!(again[0].reason.map(LevelReason::as_str), Some("abandoned"), "capped below what the selector asked");
    let reports = sel.inner.reports.lock().unwrap();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].1.abandoned && reports[0].1.bytes == 1234 && reports[0].1.media_duration.is_zero());
    drop(reports);
    // A late completion of the abandoned request changes nothing.
    done(&mut s, first, now);
    assert_eq!(s.buffered_end(0), Some(S(0)));
    // Progress on a level-0 request is never abandoned (nothing lower).
    s.on_event(Event::Progress { request: again[0], progress: progress(10) }, now);
    assert!(fetches(&s.poll(now)).is_empty());
}

#[test]
fn idle_time_with_a_full_buffer_is_reported() {
    let sel = Impatient::default();
    let mut s = Scheduler::new(vec![plan(TrackKind::Video, 10, &[100])], ScheduleConfig { forward_buffer: S(4), video_pin: LevelPin::Auto }, Box::new(sel.clone()));
    let t0 = Instant::now();
    for _ in 0..2 {
        let r = fetches(&s.poll(t0))[0];
        done(&mut s, r, t0);
    }
    assert!(fetches(&s.poll(t0)).is_empty(), "buffer full at 4 s");
    s.on_event(Event::Position(S(1)), t0 + S(1));
    assert!(fetches(&s.poll(t0 + Duration::from_millis(1500))).len() == 1);
    assert_eq!(*sel.idle.lock().unwrap(), vec![Duration::from_millis(1500)]);
}

/// A live plan: fragments `first..first+n` of 2 s, growing.
fn live_slots(first: u64, n: u64) -> Vec<ChunkSlot> {
    (first..first + n).map(|i| ChunkSlot { start: S(2 * i), duration: S(2) }).collect()
}

fn live_sched(sel: &Scripted) -> Scheduler {
    let mut video = plan(TrackKind::Video, 0, &[100, 200]);
    video.growing = true;
    Scheduler::new(vec![video], ScheduleConfig { forward_buffer: S(30), video_pin: LevelPin::Min }, Box::new(sel.clone()))
}

#[test]
fn live_track_waits_at_the_end_of_its_list_and_fetches_as_it_grows() {
    let sel = Scripted::default();
    let mut s = live_sched(&sel);
    let now = Instant::now();
    assert!(s.poll(now).is_empty(), "nothing listed yet, and no end reported: more will come");
    s.update_plan(0, 100, live_slots(100, 2), true);
    s.on_event(Event::Seek(S(200)), now);
    let f = fetches(&s.poll(now));
    assert_eq!(f.iter().map(|r| r.chunk).collect::<Vec<_>>(), vec![100], "absolute indices");
    done(&mut s, f[0], now);
    let f = fetches(&s.poll(now));
    assert_eq!(f[0].chunk, 101);
    done(&mut s, f[0], now);
    assert!(s.poll(now).is_empty(), "at the end of a growing list: wait, no TrackEnded");
    assert!(!s.all_fetched());
    s.update_plan(0, 101, live_slots(101, 2), true);
    let f = fetches(&s.poll(now));
    assert_eq!(f[0].chunk, 102, "the window slid by one: indices still name the same fragments");
    done(&mut s, f[0], now);
    s.update_plan(0, 101, live_slots(101, 2), false);
    assert_eq!(s.poll(now), vec![Action::TrackEnded(0)], "the presentation ended");
    assert!(s.all_fetched());
}

#[test]
fn unavailable_fragment_is_asked_again_at_the_retry_time_at_the_same_index() {
    let sel = Scripted::default();
    let mut s = live_sched(&sel);
    let now = Instant::now();
    s.update_plan(0, 0, live_slots(0, 1), true);
    let f = fetches(&s.poll(now));
    s.on_event(Event::Unavailable { request: f[0], retry_at: now + Duration::from_millis(300) }, now);
    assert!(s.poll(now + Duration::from_millis(299)).is_empty(), "waits until the retry time");
    assert_eq!(s.next_wakeup(), Some(now + Duration::from_millis(300)));
    let again = fetches(&s.poll(now + Duration::from_millis(300)));
    assert_eq!((again[0].chunk, again[0].level), (0, 0), "same fragment, not skipped");
    assert_eq!(s.buffered_end(0), Some(S(0)), "not counted as buffered either");
}

#[test]
fn next_fragment_that_left_the_window_moves_to_the_oldest_held() {
    let sel = Scripted::default();
    let mut s = live_sched(&sel);
    let now = Instant::now();
    s.update_plan(0, 0, live_slots(0, 3), true);
    s.update_plan(0, 5, live_slots(5, 3), true);
    let f = fetches(&s.poll(now));
    assert_eq!(f[0].chunk, 5);
}

#[test]
fn hole_end_is_the_next_fetched_start_once_the_playhead_reaches_a_timestamp_jump() {
    let sel = Scripted::default();
    let mut video = plan(TrackKind::Video, 0, &[100]);
    video.growing = true;
    let mut audio = plan(TrackKind::Audio, 0, &[64]);
    audio.growing = true;
    let mut s = Scheduler::new(vec![video, audio], ScheduleConfig { forward_buffer: S(300), video_pin: LevelPin::Min }, Box::new(sel.clone()));
    let now = Instant::now();
    let mut v = live_slots(0, 2);
    v.push(ChunkSlot { start: S(100), duration: S(2) });
    // Audio ends a little earlier before the jump, and starts a little earlier after it.
    let a = vec![
        ChunkSlot { start: S(0), duration: S(2) },
        ChunkSlot { start: S(2), duration: Duration::from_millis(1900) },
        ChunkSlot { start: Duration::from_millis(99_900), duration: S(2) },
    ];
    s.update_plan(0, 0, v, true);
    s.update_plan(1, 0, a, true);
    for _ in 0..2 {
        for r in fetches(&s.poll(now)) {
            done(&mut s, r, now);
        }
    }
    assert_eq!(s.hole_end(Duration::from_millis(3950)), None, "nothing fetched after the hole yet");
    for r in fetches(&s.poll(now)) {
        done(&mut s, r, now);
    }
    assert_eq!(s.hole_end(S(3)), None, "media left before the hole on both tracks");
    assert_eq!(s.hole_end(Duration::from_millis(3900)), Some(Duration::from_millis(99_900)), "audio ran out: jump");
    assert_eq!(s.hole_end(S(50)), Some(Duration::from_millis(99_900)), "inside the hole");
    assert_eq!(s.hole_end(S(101)), None);
}

#[test]
fn selector_sees_the_distance_to_the_live_edge() {
    let sel = Scripted::default();
    let mut s = live_sched(&sel);
    let now = Instant::now();
    s.update_plan(0, 0, live_slots(0, 5), true);
    s.on_event(Event::LiveEdge(Some(S(10))), now);
    s.on_event(Event::Position(S(7)), now);
    let ctx = view!(s).context(0, now);
    assert_eq!(ctx.live_edge_distance, Some(S(3)));
    assert_eq!(ctx.ladder.fragment_count, None, "open-ended while live");
}

#[test]
fn a_level_that_stopped_delivering_is_avoided_and_a_fragment_missing_everywhere_skipped() {
    let sel = Scripted::default();
    sel.decisions.lock().unwrap().extend([Decision::now(1); 30]);
    let mut video = plan(TrackKind::Video, 5, &[100, 200]);
    video.growing = true;
    let mut s = Scheduler::new(vec![video], ScheduleConfig { forward_buffer: S(30), video_pin: LevelPin::Auto }, Box::new(sel.clone()));
    let now = Instant::now();
    let f = fetches(&s.poll(now));
    assert_eq!((f[0].chunk, f[0].level), (0, 1));
    s.on_event(Event::LevelMissing { request: f[0] }, now);
    let f = fetches(&s.poll(now));
    assert_eq!((f[0].chunk, f[0].level), (0, 0), "same fragment, the level below");
    done(&mut s, f[0], now);
    let f = fetches(&s.poll(now));
    assert_eq!((f[0].chunk, f[0].level), (1, 0), "the selector's level 1 is still dark");
    s.on_event(Event::LevelMissing { request: f[0] }, now);
    // Missing at every level: asked for again a few times (live), then skipped.
    let mut t = now;
    for round in 0..ALL_DARK_ROUNDS {
        assert!(fetches(&s.poll(t)).is_empty(), "round {round}: waits");
        t += ALL_DARK_WAIT;
        let f = fetches(&s.poll(t));
        assert_eq!(f[0].chunk, 1, "round {round}: the same fragment again");
        s.on_event(Event::LevelMissing { request: f[0] }, t);
        if f[0].level == 1 {
            let f = fetches(&s.poll(t));
            s.on_event(Event::LevelMissing { request: f[0] }, t);
        }
    }
    assert!(fetches(&s.poll(t)).iter().all(|r| r.chunk == 2), "missing at every level: skipped");
    assert_eq!(s.buffered_end(0), Some(S(4)));
    let later = t + DARK_LEVEL_BACKOFF;
    s.on_event(Event::Seek(S(6)), later);
    let f = fetches(&s.poll(later));
    assert_eq!(f[0].level, 1, "tried again after the back-off");
}

#[test]
fn skipped_fragments_fill_no_buffer_and_are_holes_to_jump_over() {
    let sel = Scripted::default();
    let mut s = Scheduler::new(vec![plan(TrackKind::Video, 10, &[100])], ScheduleConfig { forward_buffer: S(6), video_pin: LevelPin::Min }, Box::new(sel.clone()));
    let now = Instant::now();
    let f = fetches(&s.poll(now));
    done(&mut s, f[0], now); // 0..2 s
    for _ in 0..4 {
        let f = fetches(&s.poll(now));
        s.on_event(Event::Failed { request: f[0] }, now); // 2..10 s: not on the server
    }
    assert_eq!(s.buffer_ahead(0), S(2), "only real media counts");
    let f = fetches(&s.poll(now));
    assert_eq!(f[0].chunk, 5, "the buffer is not full: fetching goes on");
    assert_eq!(s.hole_end(S(1)), None, "media left before the hole");
    assert_eq!(s.hole_end(S(2)), None, "nothing fetched after the hole yet");
    done(&mut s, f[0], now);
    assert_eq!(s.hole_end(S(2)), Some(S(10)), "the playhead ran out: jump to the next media");
    assert_eq!(s.hole_end(S(5)), Some(S(10)), "inside the skipped span");
    s.on_event(Event::Position(S(10)), now);
    assert_eq!(s.buffer_ahead(0), S(2));
}

#[test]
fn a_track_switch_refetches_that_track_from_the_boundary_and_nothing_else() {
    let sel = Scripted::default();
    let mut s = sched(100, LevelPin::Auto, &sel);
    let now = Instant::now();
    // Fetch everything of both tracks.
    loop {
        let f = fetches(&s.poll(now));
        if f.is_empty() {
            break;
        }
        f.into_iter().for_each(|r| done(&mut s, r, now));
    }
    assert!(s.all_fetched());
    s.on_event(Event::Position(S(1)), now);
    let epoch = s.epoch();
    let buffered_video = s.buffer_ahead(0);
    // The audio track becomes another language from fragment 3 (6 s) on.
    s.switch_track(1, plan(TrackKind::Audio, 10, &[32]), 3);
    assert_eq!((s.epoch(), s.buffer_ahead(0)), (epoch, buffered_video), "video untouched, no seek");
    assert_eq!(s.buffer_ahead(1), S(5), "old audio counts up to the boundary only");
    assert!(!s.all_fetched());
    let f = fetches(&s.poll(now));
    assert_eq!(f, [FetchRequest { track: 1, chunk: 3, level: 0, epoch, reason: None }], "the new stream's only level, from the boundary");
    // A late answer for an old request is not taken for the new one.
    s.on_event(Event::Downloaded { request: FetchRequest { track: 1, chunk: 9, level: 1, epoch, reason: None }, bytes: 1, ttfb: S(0), elapsed: S(0) }, now);
    assert_eq!(s.next_chunk(1), Some(3));
    done(&mut s, f[0], now);
    assert_eq!(s.next_chunk(1), Some(4));
    assert_eq!(*sel.seeks.lock().unwrap(), 0, "the selector saw no seek");
}

#[test]
fn a_video_switch_to_another_ladder_maps_levels_by_bitrate() {
    let sel = Scripted::default();
    let mut s = sched(4, LevelPin::Auto, &sel);
    let now = Instant::now();
    s.switch_track(0, plan(TrackKind::Video, 10, &[150, 250, 350, 900]), 0);
    sel.decisions.lock().unwrap().push(Decision::now(2)); // 300 on the selector's ladder
    let f = fetches(&s.poll(now));
    let v = f.iter().find(|r| r.track == 0).copied().unwrap();
    assert_eq!(v.level, 1, "the highest new level at or below 300: 250");
    done(&mut s, v, now);
    let reports = sel.reports.lock().unwrap();
    assert_eq!(reports.last().unwrap().1.level, 1, "250 is reported as the ladder's 200");
}
