//! The multitrack features on a live stream: tests/fixtures/media/multitrack.ism re-published
//! live by testkit's simulated origin (6 s loop: captions at 0.5, 2.2 and 4.5 s, SCTE-35
//! markers at 2, 4 and 5 s of every loop; two camera angles, two audio languages; see the
//! fixture's README), played in real time: captions, markers, and track switching.
//!
//! Two ways a live client learns of new text and sparse fragments are exercised: a client
//! that follows the timeline by tfrf alone never reads the manifest again and gets them
//! from the text fragments' tfrf and from the sparse stream pointers on the parent
//! track's responses (MS-SSTR 2.2.5); without pointers, from refreshed manifests (their
//! `<f>` payloads).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use std::collections::HashMap;

use smoothplay::engine::schedule::{LevelPin, ScheduleConfig};
use smoothplay::engine::session::{Command, PlaybackStats, PlayerConfig, PlayerEvent, Session, TrackChoice, TrackPreferences, TrackType};
use smoothplay_testkit::live_origin::{LiveConfig, LiveOrigin, Style};
use smoothplay_testkit::sinks::{RecordingAudio, RecordingVideo};

const LOOP_MS: u64 = 6000;

async fn origin(config: LiveConfig) -> LiveOrigin {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/multitrack.ism");
    let o = LiveOrigin::start(dir, LiveConfig { name: "multitrack".into(), ..config }).await.expect("start the live origin");
    o.advance(Duration::from_secs(30));
    o
}

fn config(secs: u64) -> PlayerConfig {
    PlayerConfig {
        play_for: Some(Duration::from_secs(secs)),
        tracks: TrackPreferences { locale: Some(String::new()), text_track: Some("captions_eng".into()), ..TrackPreferences::default() },
        ..PlayerConfig::default()
    }
}

/// Milliseconds into the loop (the origin's base is 0).
fn in_loop(t: Duration) -> u64 {
    (t.as_millis() as u64) % LOOP_MS
}

/// The presented span, what every marker and cue said, and the frame on screen when
/// each came.
struct Seen {
    first: Duration,
    last: Duration,
    markers: Vec<(Duration, Option<u8>, Option<u32>)>,
    cues: Vec<(Duration, Duration, String)>,
    /// (item time, pts of the last frame presented when its event came).
    arrivals: Vec<(Duration, Duration)>,
    /// The frame on screen at each stall.
    rebuffers_at: Vec<Option<Duration>>,
    stats: PlaybackStats,
}

async fn play(url: &str, secs: u64) -> Seen {
    play_sending(url, config(secs), Vec::new()).await.0
}

/// Plays, sending `commands` once the playhead is 1 s past where it started; also returns
/// the sinks and every event.
async fn play_sending(url: &str, config: PlayerConfig, commands: Vec<Command>) -> (Seen, RecordingVideo, RecordingAudio, Vec<PlayerEvent>) {
    let mut commands = Some(commands);
    play_reacting(url, config, move |_, shown, first, tx| {
        if shown >= first + Duration::from_secs(1) {
            for c in commands.take().into_iter().flatten() {
                let _ = tx.send(c);
            }
        }
    })
    .await
}

/// Plays, calling `react(event, frame on screen, first frame shown, commands)` on every
/// event once a frame has been shown.
async fn play_reacting(
    url: &str,
    config: PlayerConfig,
    mut react: impl FnMut(&PlayerEvent, Duration, Duration, &tokio::sync::mpsc::UnboundedSender<Command>) + Send,
) -> (Seen, RecordingVideo, RecordingAudio, Vec<PlayerEvent>) {
    let session = Session::open(url, config).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    let mut video = RecordingVideo::default();
    let presented = video.presented.clone();
    let mut audio = RecordingAudio::default();
    let mut events = Vec::new();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let stats = tokio::time::timeout(
        Duration::from_secs(60),
        session.play(&mut video, &mut audio, Some(rx), &mut |e| {
            let at = presented.lock().unwrap().last().copied();
            let first = presented.lock().unwrap().first().copied();
            if let (Some(at), Some(first)) = (at, first) {
                react(&e, at, first, &tx);
            }
            events.push((e, at));
        }),
    )
    .await
    .expect("played within 60 s")
    .expect("played");
    let shown = video.presented.lock().unwrap().clone();
    let (first, last) = (*shown.first().expect("frames shown"), *shown.last().unwrap());
    let mut s = Seen { first, last, markers: Vec::new(), cues: Vec::new(), arrivals: Vec::new(), rebuffers_at: Vec::new(), stats };
    for (e, at) in &events {
        let (time, at) = match e {
            PlayerEvent::Marker { time, payload, .. } => {
                let sum = payload.summary();
                s.markers.push((*time, sum.as_ref().and_then(|x| x.command_type), sum.and_then(|x| x.event_id)));
                (*time, at)
            }
            PlayerEvent::Cue { cue, .. } => {
                s.cues.push((cue.start, cue.end, cue.text.clone()));
                (cue.start, at)
            }
            PlayerEvent::Rebuffering => {
                s.rebuffers_at.push(*at);
                continue;
            }
            _ => continue,
        };
        if let Some(at) = at {
            s.arrivals.push((time, *at));
        }
    }
    eprintln!("presented {first:?}..{last:?}; markers {:?}; cues {:?}; arrivals {:?}", s.markers, s.cues, s.arrivals);
    (s, video, audio, events.into_iter().map(|(e, _)| e).collect())
}

/// Text and sparse fetching, switching and trick play never stall audio and video. (The
/// looped source's audio ends 21 ms before its video, so each loop's first audio fragment
/// starts after a gap the player's prediction misses: it finds the real start from the
/// newest fragment's tfrf as soon as the video has published past it, without a stall.)
fn assert_no_stall(s: &Seen) {
    assert_eq!(s.stats.rebuffer.count, 0, "stalls with the frames {:?} on screen: {:?}", s.rebuffers_at, s.stats.rebuffer);
}

/// Every marker time of the loop inside the presented span came once, decoded, at its
/// live time, and every cue with its text and times moved to the live timeline; each when
/// the playhead reached it (the frame on screen then is within 200 ms of it).
fn assert_all_markers_and_cues(s: &Seen) {
    for (time, at) in &s.arrivals {
        if *time > s.first + Duration::from_millis(200) {
            assert!(at.abs_diff(*time) <= Duration::from_millis(200), "the item at {time:?} came with frame {at:?} on screen");
        }
    }
    let expected_markers: BTreeSet<u64> = (s.first.as_millis() as u64 / LOOP_MS..=s.last.as_millis() as u64 / LOOP_MS)
        .flat_map(|m| [2000, 4000, 5000].map(|t| m * LOOP_MS + t))
        .filter(|t| Duration::from_millis(*t) > s.first + Duration::from_millis(200) && Duration::from_millis(*t) <= s.last)
        .collect();
    assert!(expected_markers.len() >= 3, "the run spans a whole loop: {expected_markers:?}");
    let got: BTreeSet<u64> = s.markers.iter().map(|m| m.0.as_millis() as u64).collect();
    assert!(expected_markers.is_subset(&got), "markers at {got:?}, expected at least {expected_markers:?}");
    assert_eq!(got.len(), s.markers.len(), "each marker once");
    for (t, command, event) in &s.markers {
        let want = match in_loop(*t) {
            2000 => (Some(5), Some(1001)),
            4000 => (Some(5), Some(1002)),
            5000 => (Some(6), Some(3000)), // the segmentation descriptor's event
            other => panic!("a marker {other} ms into the loop"),
        };
        assert_eq!((*command, *event), want, "marker at {t:?}");
    }
    let expected_cues: BTreeSet<u64> = (s.first.as_millis() as u64 / LOOP_MS..=s.last.as_millis() as u64 / LOOP_MS)
        .flat_map(|m| [500, 2200, 4500].map(|t| m * LOOP_MS + t))
        .filter(|t| Duration::from_millis(*t) > s.first + Duration::from_millis(200) && Duration::from_millis(*t) <= s.last)
        .collect();
    let got: BTreeSet<u64> = s.cues.iter().map(|c| c.0.as_millis() as u64).collect();
    assert!(expected_cues.len() >= 3 && expected_cues.is_subset(&got), "cues at {got:?}, expected at least {expected_cues:?}");
    for (start, end, text) in &s.cues {
        let (want_len, want_text) = match in_loop(*start) {
            500 => (1300, "Hello from camera one."),
            2200 => (1300, "Two lines:\nthe second line"),
            4500 => (1300, "Italic and yellow"),
            other => panic!("a cue {other} ms into the loop"),
        };
        assert_eq!(((*end - *start).as_millis() as u64, text.as_str()), (want_len, want_text));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tfrf_only_client_gets_markers_from_sparse_pointers_and_captions_from_text_tfrf() {
    let o = origin(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await;
    let s = play(&o.manifest_url(), 14).await;
    assert_all_markers_and_cues(&s);
    assert_no_stall(&s);
    assert!(s.stats.skipped_fragments.is_empty(), "{:?}", s.stats.skipped_fragments);
    // Markers reached the client before any manifest listed them: it fetched what the
    // pointers named. (Each new pointer also asks for one refresh, for entries published
    // between two pointers; so do the audio gaps at loop ends.)
    let pointed = o.requests_matching("Fragments(scte35=");
    eprintln!("{pointed} sparse fragments fetched, {} manifest requests", o.manifest_requests());
    assert!(pointed >= 2, "sparse fragments fetched as the pointers named them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_pointers_markers_come_from_refreshed_manifests() {
    let o = origin(LiveConfig { style: Style::Iis, sparse_pointers: false, ..LiveConfig::default() }).await;
    let s = play(&o.manifest_url(), 14).await;
    assert_all_markers_and_cues(&s);
    assert_no_stall(&s);
    assert!(o.manifest_requests() >= 4, "the manifest is polled for sparse entries although tfrf carries the timeline: {}", o.manifest_requests());
    let sparse: Vec<_> = o.log().into_iter().filter(|e| e.path.contains("scte35")).collect();
    assert!(sparse.is_empty(), "the manifest's <f> payloads are enough: {sparse:?}\n{}", o.manifest_now());
}

/// md5 of each picture by its time in the source loop, from an untimed on-demand run of
/// one angle at the top level.
async fn reference_frames(angle: &str) -> HashMap<u64, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/multitrack.ism");
    let config = PlayerConfig {
        untimed: true,
        schedule: ScheduleConfig { video_pin: LevelPin::Max, ..ScheduleConfig::default() },
        tracks: TrackPreferences { locale: Some(String::new()), video_track: Some(angle.into()), ..TrackPreferences::default() },
        ..PlayerConfig::default()
    };
    let (s, video, ..) = play_sending(&dir.display().to_string(), config, Vec::new()).await;
    assert_eq!(s.stats.video.frames_decoded, 150);
    let frames = video.frames.lock().unwrap();
    frames.iter().map(|f| (f.pts.as_millis() as u64, f.md5.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_audio_language_and_camera_angle_switch_at_the_next_boundaries() {
    let (camera1, camera2) = (reference_frames("camera1").await, reference_frames("camera2").await);
    let o = origin(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await;
    let config = PlayerConfig { schedule: ScheduleConfig { video_pin: LevelPin::Max, ..ScheduleConfig::default() }, ..config(10) };
    let switch = |kind, name: &str| Command::SwitchTrack { kind, track: TrackChoice::Name(name.into()) };
    let (s, video, audio, events) = play_sending(&o.manifest_url(), config, vec![switch(TrackType::Audio, "fra"), switch(TrackType::Video, "camera2")]).await;
    assert_no_stall(&s);
    let switched: HashMap<String, (String, Duration, Duration, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::TrackSwitched { from, to, at, asked_at, latency, .. } => Some((to.clone(), (from.clone(), *at, *asked_at, *latency))),
            _ => None,
        })
        .collect();
    let failed: Vec<_> = events.iter().filter(|e| matches!(e, PlayerEvent::TrackSwitchFailed { .. })).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let (from, at, asked_at, latency) = switched["audio_fra"].clone();
    eprintln!("live audio switch: asked at {asked_at:?}, new track from {at:?} (media {:?}), {latency:?} wall", at - asked_at);
    assert_eq!(from, "audio_eng");
    assert!(at > asked_at && at - asked_at <= Duration::from_millis(4000), "at the next boundary after the lead");
    let before = common::frequency(&audio.between(at - Duration::from_millis(900), at - Duration::from_millis(30)));
    let after = common::frequency(&audio.between(at + Duration::from_millis(50), at + Duration::from_millis(1500)));
    assert!((before - 440.0).abs() < 10.0 && (after - 880.0).abs() < 10.0, "{before} Hz before, {after} Hz after");

    let (from, at, asked_at, latency) = switched["camera2"].clone();
    eprintln!("live angle switch: asked at {asked_at:?}, new angle from {at:?} (media {:?}), {latency:?} wall", at - asked_at);
    assert_eq!(from, "camera1");
    assert!(in_loop(at).is_multiple_of(2000), "a video fragment boundary");
    let frames = video.frames.lock().unwrap();
    let (mut before, mut after) = (0, 0);
    for f in frames.iter() {
        let key = in_loop(f.pts);
        let (want, n) = if f.pts < at { (&camera1, &mut before) } else { (&camera2, &mut after) };
        assert_eq!(Some(&f.md5), want.get(&key), "picture at {:?} ({key} ms into the loop)", f.pts);
        *n += 1;
    }
    assert!(before >= 25 && after >= 50, "{before} pictures of camera1, {after} of camera2");
    let pts: Vec<Duration> = frames.iter().map(|f| f.pts).collect();
    assert!(pts.windows(2).all(|w| w[1] > w[0]), "every picture once, in order");
    assert!(o.requests_matching("Fragments(camera2=") >= 2 && o.requests_matching("Fragments(audio_fra=") >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_rewind_walks_the_dvr_window_and_fast_forward_rejoins_the_edge() {
    let o = origin(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await;
    // Rewind at -8x once playing for 1 s; after four key frames, fast forward at 8x.
    let mut step = 0;
    let mut rewound = 0;
    let (s, video, _, events) = play_reacting(&o.manifest_url(), config(6), move |e, shown, first, tx| match (step, e) {
        (0, _) if shown >= first + Duration::from_secs(1) => {
            step = 1;
            let _ = tx.send(Command::SetSpeed(-8.0));
        }
        (1, PlayerEvent::TrickFrame { .. }) => {
            rewound += 1;
            if rewound == 4 {
                step = 2;
                let _ = tx.send(Command::SetSpeed(8.0));
            }
        }
        _ => {}
    })
    .await;
    let tricks: Vec<(Duration, f64)> = events
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::TrickFrame { pts, speed, .. } => Some((*pts, *speed)),
            _ => None,
        })
        .collect();
    eprintln!("trick frames {tricks:?}");
    let back: Vec<Duration> = tricks.iter().filter(|t| t.1 < 0.0).map(|t| t.0).collect();
    let ahead: Vec<Duration> = tricks.iter().filter(|t| t.1 > 0.0).map(|t| t.0).collect();
    assert!(back.len() >= 4, "{back:?}");
    for w in back.windows(2) {
        assert_eq!(w[0] - w[1], Duration::from_secs(2), "rewind walks the live fragments back one by one: {back:?}");
    }
    assert!(back.iter().all(|t| in_loop(*t).is_multiple_of(2000)), "key frames at fragment starts");
    assert!(back[0] <= s.first + Duration::from_secs(2), "rewind starts from where the playhead was");
    assert!(ahead.len() >= 4 && ahead.windows(2).all(|w| w[1] > w[0]), "fast forward walks forward: {ahead:?}");
    assert!(*ahead.first().unwrap() >= *back.last().unwrap(), "fast forward from where rewind stopped");
    // It ran into the edge and went live again: the last second's distance to the edge is
    // the usual one (before the rewind it was the same).
    assert!(*ahead.last().unwrap() > back[0], "fast forward passed the point rewind started from");
    let l = s.stats.live.as_ref().expect("live stats");
    let (first, last) = (l.samples.first().unwrap(), l.samples.last().unwrap());
    let distance = |x: &smoothplay::engine::session::LiveSample| x.edge_ms - x.position_ms;
    eprintln!("distance to the edge: first {} ms, last {} ms", distance(first), distance(last));
    assert!(distance(last) <= distance(first) + 1000.0, "back at the live edge after fast forward: {:?}", l.samples);
    let frames = video.presented.lock().unwrap().clone();
    let after_trick: Vec<&Duration> = frames.iter().filter(|t| **t > *ahead.last().unwrap()).collect();
    assert!(after_trick.len() >= 50, "normal playback resumed after trick play: {} pictures", after_trick.len());
    assert!(s.stats.skipped_fragments.is_empty(), "{:?}", s.stats.skipped_fragments);
}
