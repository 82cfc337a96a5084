//! Trick play: fast forward and rewind show only each fragment's key frame; returning to
//! normal speed resumes there; instant replay jumps back.
//!
//! small.ism: 10 s, 2 s fragments (key frames at 0, 2, 4, 6, 8 s), 25 fps.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smoothplay::engine::decode::VideoFrame;
use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::decode::AudioBlock;
use smoothplay::engine::io::{ByteSource, FetchFuture, FileSource, Limits, Location};
use smoothplay::engine::session::{AudioSink, Command, EndReason, PlayerConfig, PlayerEvent, Session, SinkError, VideoSink};
use smoothplay_testkit::fixture_media;

fn small() -> String {
    fixture_media("small.ism").to_str().unwrap().to_string()
}

fn secs(s: &[u64]) -> Vec<Duration> {
    s.iter().map(|s| Duration::from_secs(*s)).collect()
}

/// Records presented pts and runs a callback on each (to send commands at a picture).
struct Sink {
    decoded: Arc<Mutex<Vec<Duration>>>,
    presented: Arc<Mutex<Vec<Duration>>>,
    on_present: Box<dyn FnMut(Duration) + Send>,
}

impl VideoSink for Sink {
    fn decoded(&mut self, f: &VideoFrame) -> Result<(), SinkError> {
        self.decoded.lock().unwrap().push(f.pts.to_duration());
        Ok(())
    }
    fn present(&mut self, f: &VideoFrame) -> Result<(), SinkError> {
        let pts = f.pts.to_duration();
        self.presented.lock().unwrap().push(pts);
        (self.on_present)(pts);
        Ok(())
    }
}

/// Records audio block starts and what the session told the sink.
#[derive(Default)]
struct Audio {
    starts: Vec<Duration>,
    paused: Vec<bool>,
}

impl AudioSink for Audio {
    fn write(&mut self, b: &AudioBlock) -> Result<(), SinkError> {
        self.starts.push(b.pts.to_duration());
        Ok(())
    }
    fn set_paused(&mut self, paused: bool) {
        self.paused.push(paused);
    }
}

/// Local files, each fragment `delay` late (a slow link).
struct Slow {
    delay: Duration,
}

impl ByteSource for Slow {
    fn fetch<'a>(&'a self, url: &'a str, limits: Limits) -> FetchFuture<'a> {
        Box::pin(async move {
            if url.contains("Fragments") {
                tokio::time::sleep(self.delay).await;
            }
            FileSource.fetch(url, limits).await
        })
    }
}

struct Run {
    audio: Audio,
    /// Every picture handed to the sink (trick key frames, then frames decoded).
    decoded: Vec<Duration>,
    presented: Vec<Duration>,
    tricks: Vec<(usize, Duration, f64)>,
    ended_by: EndReason,
    wall: Duration,
    fragments_total: u64,
}

async fn run(config: PlayerConfig, commands: Vec<Command>, on_present: Box<dyn FnMut(Duration) + Send>, rx: Option<tokio::sync::mpsc::UnboundedReceiver<Command>>) -> Run {
    let session = Session::open(&small(), config).await.unwrap();
    run_session(session, commands, on_present, rx).await
}

async fn run_session(session: Session, commands: Vec<Command>, on_present: Box<dyn FnMut(Duration) + Send>, rx: Option<tokio::sync::mpsc::UnboundedReceiver<Command>>) -> Run {
    let presented = Arc::new(Mutex::new(Vec::new()));
    let decoded = Arc::new(Mutex::new(Vec::new()));
    let mut sink = Sink { decoded: decoded.clone(), presented: presented.clone(), on_present };
    let mut audio = Audio::default();
    let (tx, own_rx) = tokio::sync::mpsc::unbounded_channel();
    for c in commands {
        tx.send(c).unwrap();
    }
    let rx = rx.unwrap_or(own_rx);
    let mut tricks = Vec::new();
    let t0 = Instant::now();
    let stats = tokio::time::timeout(
        Duration::from_secs(60),
        session.play(&mut sink, &mut audio, Some(rx), &mut |e| {
            if let PlayerEvent::TrickFrame { fragment, pts, speed } = e {
                tricks.push((fragment, pts, speed));
            }
        }),
    )
    .await
    .expect("ended within 60 s")
    .unwrap();
    drop(tx);
    let presented = presented.lock().unwrap().clone();
    let decoded = decoded.lock().unwrap().clone();
    Run { audio, decoded, presented, tricks, ended_by: stats.ended_by, wall: t0.elapsed(), fragments_total: stats.video.fragments_total }
}

fn config(speed: f64) -> PlayerConfig {
    PlayerConfig { start_speed: speed, untimed: false, ..common::untimed(LevelPin::Min) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_forward_at_8x_shows_each_fragments_key_frame_in_pace() {
    let r = run(config(8.0), Vec::new(), Box::new(|_| {}), None).await;
    assert_eq!(r.presented, secs(&[0, 2, 4, 6, 8]), "only the key frames, in order");
    let fragments: Vec<usize> = r.tricks.iter().map(|t| t.0).collect();
    assert_eq!(fragments, vec![0, 1, 2, 3, 4], "fetched and shown: each fragment once");
    assert!(r.tricks.iter().all(|t| t.2 == 8.0));
    assert_eq!(r.ended_by, EndReason::Completed);
    assert_eq!(r.fragments_total, 0, "trick downloads are not normal playback downloads");
    assert!(r.audio.starts.is_empty(), "no audio during trick play");
    // 8 s of key frames at 8x: the last is due 1 s after the first (bounded loosely).
    assert!(r.wall >= Duration::from_millis(900) && r.wall < Duration::from_secs(20), "{:?}", r.wall);
    eprintln!("8x forward: {} key frames in {:?}", r.presented.len(), r.wall);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_forward_at_32x_keeps_order_and_ends() {
    let r = run(config(32.0), Vec::new(), Box::new(|_| {}), None).await;
    assert!(!r.presented.is_empty());
    assert!(r.presented.windows(2).all(|w| w[0] < w[1]), "{:?}", r.presented);
    assert!(r.presented.iter().all(|p| secs(&[0, 2, 4, 6, 8]).contains(p)), "{:?}", r.presented);
    assert_eq!(r.ended_by, EndReason::Completed);
    eprintln!("32x forward: key frames {:?} in {:?}", r.presented, r.wall);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_from_the_end_at_minus_8x_walks_key_frames_backwards() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // Start at 9.9 s, rewind, stop once back at the start and playing normally again.
    let mut c = config(-8.0);
    c.start_at = Some(Duration::from_millis(9_900));
    let mut rewound_to_start = false;
    let r = run(
        c,
        Vec::new(),
        Box::new(move |pts| {
            if pts == Duration::ZERO {
                rewound_to_start = true;
            } else if rewound_to_start && pts >= Duration::from_millis(400) {
                let _ = tx.send(Command::Stop);
            }
        }),
        Some(rx),
    )
    .await;
    let trick: Vec<Duration> = r.tricks.iter().map(|t| t.1).collect();
    assert_eq!(trick, secs(&[8, 6, 4, 2, 0]), "key frames in decreasing pts");
    assert_eq!(r.presented[..5], secs(&[8, 6, 4, 2, 0])[..]);
    // Then normal playback from the start: every frame from 0 s (shown again at 1x).
    let after = &r.presented[5..];
    assert_eq!(after.first(), Some(&Duration::ZERO), "{after:?}");
    assert!(after.windows(2).all(|w| w[0] < w[1]), "{after:?}");
    assert_eq!(r.decoded[5..].iter().take(10).copied().collect::<Vec<_>>(), (0..10).map(|i| Duration::from_millis(i * 40)).collect::<Vec<_>>());
    assert_eq!(r.ended_by, EndReason::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returning_to_1x_mid_trick_resumes_at_the_trick_position() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut sent = false;
    let r = run(
        config(8.0),
        Vec::new(),
        Box::new(move |pts| {
            if !sent && pts == Duration::from_secs(4) {
                sent = true;
                let _ = tx.send(Command::SetSpeed(1.0));
            }
        }),
        Some(rx),
    )
    .await;
    let trick: Vec<Duration> = r.tricks.iter().map(|t| t.1).collect();
    assert_eq!(trick, secs(&[0, 2, 4]), "trick play stopped at 4 s");
    assert_eq!(r.presented[..3], secs(&[0, 2, 4])[..]);
    // Normal playback from 4 s: every frame 4.00 .. 9.96 decoded, shown in order from 4 s
    // (paced: a frame late under load may be dropped, not reordered).
    let want: Vec<Duration> = (100..250).map(|i| Duration::from_millis(i * 40)).collect();
    assert_eq!(&r.decoded[3..], &want[..], "all frames from the trick position");
    assert_eq!(r.presented.get(3), Some(&Duration::from_secs(4)));
    assert!(r.presented[3..].windows(2).all(|w| w[0] < w[1]));
    assert_eq!(r.ended_by, EndReason::Completed);
    assert!(r.fragments_total >= 3, "normal playback fetched fragments 2..4");
    // Audio resumes with the pictures: from 4 s, and the sink runs again.
    let first_audio = *r.audio.starts.first().expect("audio after trick play");
    assert!(first_audio >= Duration::from_millis(3_990) && first_audio <= Duration::from_millis(4_030), "{first_audio:?}");
    assert_eq!(r.audio.paused.last(), Some(&false), "{:?}", r.audio.paused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instant_replay_seeks_back_and_plays() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut sent = false;
    let mut c = config(1.0);
    c.start_at = Some(Duration::from_secs(7));
    let r = run(
        c,
        Vec::new(),
        Box::new(move |pts| {
            if !sent && pts >= Duration::from_secs(8) {
                sent = true;
                let _ = tx.send(Command::InstantReplay(Duration::from_secs(5)));
            }
        }),
        Some(rx),
    )
    .await;
    let back = r.presented.iter().position(|p| *p < Duration::from_secs(7)).expect("frames before 6 s after the replay");
    let replayed = r.presented[back];
    // Asked at 8 s (the command is read a frame or two later): from 3 s or a little after.
    assert!(replayed >= Duration::from_secs(3) && replayed <= Duration::from_millis(3_500), "replay from {replayed:?}");
    assert!(r.presented[back..].windows(2).all(|w| w[0] < w[1]));
    assert_eq!(r.presented.last(), Some(&Duration::from_millis(9_960)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_link_skips_fragments_to_keep_pace_at_32x() {
    // Each fragment takes 150 ms to arrive; at 32x a 2 s fragment lasts 62.5 ms on screen.
    let location = Location::parse(&small()).unwrap();
    let source: Arc<dyn ByteSource> = Arc::new(Slow { delay: Duration::from_millis(150) });
    let session = Session::open_with_source(location, source, config(32.0)).await.unwrap();
    let r = run_session(session, Vec::new(), Box::new(|_| {}), None).await;
    let fragments: Vec<usize> = r.tricks.iter().map(|t| t.0).collect();
    assert_eq!(fragments.first(), Some(&0), "the first key frame is shown however late");
    assert!(fragments.windows(2).all(|w| w[0] < w[1]), "{fragments:?}");
    assert!(fragments.len() < 5, "fragments skipped to keep pace: {fragments:?}");
    assert_eq!(fragments.last(), Some(&4), "ends on the last key frame");
    assert_eq!(r.ended_by, EndReason::Completed);
    eprintln!("32x over a 150 ms link: fragments {fragments:?} in {:?}", r.wall);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_motion_at_half_speed_plays_every_frame() {
    let mut c = config(0.5);
    c.start_at = Some(Duration::from_millis(9_480));
    let r = run(c, Vec::new(), Box::new(|_| {}), None).await;
    let want: Vec<Duration> = (237..250).map(|i| Duration::from_millis(i * 40)).collect();
    assert_eq!(r.decoded, want, "every frame, no trick play");
    assert!(r.tricks.is_empty());
    // 0.52 s of media at 0.5x: about 1 s of wall time.
    assert!(r.wall >= Duration::from_millis(900), "{:?}", r.wall);
}

/// keyframes.ism: 8 s, an IDR every 0.4 s, 2 s fragments (five key frames each, flagged
/// as sync samples in the trun).
fn keyframes() -> String {
    fixture_media("keyframes.ism").to_str().unwrap().to_string()
}

/// md5 of every picture of a trick run and of the normal decode, by pts.
async fn trick_and_reference(speed: f64, start_at: Option<Duration>) -> (Vec<(Duration, String)>, std::collections::HashMap<Duration, String>) {
    let reference = common::play(&keyframes(), common::untimed(LevelPin::Min)).await;
    let all: std::collections::HashMap<Duration, String> = reference.video.frames.lock().unwrap().iter().map(|f| (f.pts, f.md5.clone())).collect();
    assert_eq!(all.len(), 200);
    let config = PlayerConfig { start_speed: speed, start_at, untimed: false, ..common::untimed(LevelPin::Min) };
    let p = common::play(&keyframes(), config).await;
    let tricks: Vec<Duration> = p.events.iter().filter_map(|e| match e {
        PlayerEvent::TrickFrame { pts, .. } => Some(*pts),
        _ => None,
    }).collect();
    // The sink gets the trick key frames first (then, after a rewind reached the start,
    // normal playback).
    let frames: Vec<(Duration, String)> = p.video.frames.lock().unwrap().iter().take(tricks.len()).map(|f| (f.pts, f.md5.clone())).collect();
    assert_eq!(frames.iter().map(|f| f.0).collect::<Vec<_>>(), tricks, "the pictures handed to the sink are the trick key frames");
    (frames, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_fast_forward_shows_every_key_frame_of_each_fragment() {
    let (frames, all) = trick_and_reference(5.0, None).await;
    let pts: Vec<Duration> = frames.iter().map(|f| f.0).collect();
    let every_idr: Vec<Duration> = (0..20).map(|k| Duration::from_millis(400 * k)).collect();
    assert_eq!(pts, every_idr, "5x: all five key frames of each fragment, not only the first");
    for (t, md5) in &frames {
        assert_eq!(Some(md5), all.get(t), "the key frame at {t:?} is the picture normal playback decodes there");
    }
    // 16x: 0.8 s of media per 50 ms of wall at least: every other key frame of a fragment.
    let (frames, _) = trick_and_reference(16.0, None).await;
    let pts: Vec<u64> = frames.iter().map(|f| f.0.as_millis() as u64).collect();
    assert_eq!(pts, [0, 800, 1600, 2000, 2800, 3600, 4000, 4800, 5600, 6000, 6800, 7600], "thinned within each fragment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_rewind_walks_every_key_frame_backwards() {
    let (frames, all) = trick_and_reference(-4.0, Some(Duration::from_millis(5_000))).await;
    let pts: Vec<u64> = frames.iter().map(|f| f.0.as_millis() as u64).collect();
    assert_eq!(pts, (0..13).rev().map(|k| 400 * k).collect::<Vec<u64>>(), "4.8 s down to 0, descending, one fragment after another");
    for (t, md5) in &frames {
        assert_eq!(Some(md5), all.get(t), "the key frame at {t:?}");
    }
}
