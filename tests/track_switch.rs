//! Switching tracks during playback on multitrack.ism (served over loopback HTTP): an
//! audio language (440 Hz → 880 Hz), a camera angle (camera1 → camera2), a name that does
//! not exist, and an audio-only presentation. The switched runs play in real time (6 s);
//! the references they are compared with are untimed runs of one track.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::session::{Command, PlayerConfig, PlayerEvent, TrackChoice, TrackPreferences, TrackType};
use smoothplay_testkit::origin::Origin;

const RATE: f64 = 48_000.0;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media")
}

/// The first video and audio (no locale), top video level (the levels do not change
/// between runs, so pictures compare).
fn config(untimed: bool, tracks: TrackPreferences) -> PlayerConfig {
    let base = common::untimed(LevelPin::Max);
    PlayerConfig { untimed, tracks: TrackPreferences { locale: Some(String::new()), ..tracks }, status_interval: Duration::from_millis(20), ..base }
}

/// Plays `url` in real time and sends `switch` once the playhead has passed 0.3 s.
async fn play_switching(url: &str, switch: Command) -> common::Played {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let session = smoothplay::engine::session::Session::open(url, config(false, TrackPreferences::default())).await.unwrap();
    let mut video = smoothplay_testkit::sinks::RecordingVideo::default();
    let mut audio = smoothplay_testkit::sinks::RecordingAudio::default();
    let mut events = Vec::new();
    let mut sent = false;
    let stats = tokio::time::timeout(
        Duration::from_secs(60),
        session.play(&mut video, &mut audio, Some(rx), &mut |e| {
            if let PlayerEvent::Status(s) = &e {
                if !sent && s.position >= Duration::from_millis(300) {
                    sent = true;
                    let _ = tx.send(switch.clone());
                }
            }
            events.push(e);
        }),
    )
    .await
    .expect("within 60 s")
    .expect("plays");
    common::Played { stats, video, audio, events }
}

/// The one TrackSwitched event: (from, to, at, asked_at, latency).
fn switched(p: &common::Played) -> (String, String, Duration, Duration, Duration) {
    let s: Vec<_> = p
        .events
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::TrackSwitched { from, to, at, asked_at, latency, .. } => Some((from.clone(), to.clone(), *at, *asked_at, *latency)),
            _ => None,
        })
        .collect();
    assert_eq!(s.len(), 1, "{:?}", p.events.iter().filter(|e| !matches!(e, PlayerEvent::Status(_))).collect::<Vec<_>>());
    s[0].clone()
}

/// The samples of `p` between two presentation times (mono, contiguous from the first
/// block's start).
fn between(p: &common::Played, from: Duration, to: Duration) -> Vec<f32> {
    let first = p.audio.starts.lock().unwrap()[0];
    let i = |t: Duration| ((t.saturating_sub(first)).as_secs_f64() * RATE) as usize;
    p.audio.samples.lock().unwrap()[i(from)..i(to)].to_vec()
}

fn frames(p: &common::Played) -> Vec<(Duration, String)> {
    p.video.frames.lock().unwrap().iter().map(|f| (f.pts, f.md5.clone())).collect()
}

fn no_rebuffer(p: &common::Played) {
    assert_eq!(p.stats.rebuffer.count, 0);
    assert!(!p.events.iter().any(|e| matches!(e, PlayerEvent::Rebuffering | PlayerEvent::FragmentSkipped { .. })), "{:?}", p.events);
}

const FRAGMENT: Duration = Duration::from_secs(2);
const AUDIO_FRAGMENT: Duration = Duration::from_nanos(2_005_333_300); // audio_eng's second <c t>

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_language_switch_mid_play_lands_on_a_fragment_boundary() {
    let origin = Origin::serve(fixtures()).await;
    let url = format!("{}multitrack.ism/Manifest", origin.base);
    let reference = common::play(&url, config(true, TrackPreferences::default())).await;
    let p = play_switching(&url, Command::SwitchTrack { kind: TrackType::Audio, track: TrackChoice::Name("fr".into()) }).await;

    let (from, to, at, asked_at, latency) = switched(&p);
    assert_eq!((from.as_str(), to.as_str()), ("audio_eng", "audio_fra"));
    assert_eq!(at, AUDIO_FRAGMENT, "the next audio fragment boundary");
    eprintln!("audio switch: asked at {asked_at:?}, new track from {at:?} (media {:?}), first new sample written {latency:?} after the command", at - asked_at);
    assert!(at > asked_at && at - asked_at <= Duration::from_millis(2600), "lead + at most one fragment");
    // 440 Hz before the boundary, 880 Hz after it.
    let before = common::frequency(&between(&p, at - Duration::from_millis(800), at - Duration::from_millis(20)));
    let after = common::frequency(&between(&p, at + Duration::from_millis(50), at + Duration::from_millis(1500)));
    assert!((before - 440.0).abs() < 10.0, "{before} Hz before the switch");
    assert!((after - 880.0).abs() < 10.0, "{after} Hz after the switch");
    // No gap, no overlap: as many samples as a run without a switch (to a few samples of
    // rounding at the cut).
    let (n, m) = (p.audio.samples.lock().unwrap().len() as i64, reference.audio.samples.lock().unwrap().len() as i64);
    assert!((n - m).abs() <= 2, "{n} samples, {m} without a switch");
    // The second fragment of audio_fra is fetched, not the first; audio_eng's later
    // fragments were fetched before the switch and are not played.
    assert_eq!(origin.requests_matching("Fragments(audio_fra=0)"), 0);
    assert_eq!(origin.requests_matching("Fragments(audio_fra=20053333)"), 1);
    no_rebuffer(&p);
    // The video is untouched.
    assert_eq!(frames(&p), frames(&reference));
    assert_eq!(p.stats.video.frames_decoded, 150);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_angle_switch_mid_play_shows_the_new_angle_from_its_idr() {
    let origin = Origin::serve(fixtures()).await;
    let url = format!("{}multitrack.ism/Manifest", origin.base);
    let camera1 = common::play(&url, config(true, TrackPreferences::default())).await;
    let camera2 = common::play(&url, config(true, TrackPreferences { video_track: Some("camera2".into()), ..TrackPreferences::default() })).await;
    let (camera2_first, camera2_second) = (origin.requests_matching("Fragments(camera2=0)"), origin.requests_matching("Fragments(camera2=20000000)"));
    let p = play_switching(&url, Command::SwitchTrack { kind: TrackType::Video, track: TrackChoice::Next }).await;

    let (from, to, at, asked_at, latency) = switched(&p);
    assert_eq!((from.as_str(), to.as_str()), ("camera1", "camera2"));
    assert_eq!(at, FRAGMENT, "the next video fragment boundary");
    eprintln!("angle switch: asked at {asked_at:?}, new angle from {at:?} (media {:?}), first new picture shown {latency:?} after the command", at - asked_at);
    let got = frames(&p);
    let pts: Vec<Duration> = got.iter().map(|f| f.0).collect();
    let expected_pts: Vec<Duration> = frames(&camera1).iter().map(|f| f.0).collect();
    assert_eq!(pts, expected_pts, "every picture once, no gap, no duplicate");
    let one: HashMap<Duration, String> = frames(&camera1).into_iter().collect();
    let two: HashMap<Duration, String> = frames(&camera2).into_iter().collect();
    for (t, md5) in &got {
        let want = if *t < at { &one[t] } else { &two[t] };
        assert_eq!(md5, want, "picture at {t:?}");
    }
    assert_eq!(got.iter().filter(|f| f.0 >= at).count(), 100, "two fragments of camera2");
    assert_eq!(origin.requests_matching("Fragments(camera2=0)"), camera2_first, "camera2 from its fragment at 2 s");
    assert_eq!(origin.requests_matching("Fragments(camera2=20000000)"), camera2_second + 1);
    no_rebuffer(&p);
    // Audio untouched.
    assert_eq!(*p.audio.samples.lock().unwrap(), *camera1.audio.samples.lock().unwrap());
    // The presented pictures are continuous too.
    let shown = p.video.presented.lock().unwrap().clone();
    assert!(shown.windows(2).all(|w| w[1] > w[0]), "presented in order, once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_track_that_does_not_exist_is_an_error_event_and_playback_goes_on() {
    let input = fixtures().join("multitrack.ism").display().to_string();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(Command::SwitchTrack { kind: TrackType::Video, track: TrackChoice::Name("camera3".into()) }).unwrap();
    tx.send(Command::SwitchTrack { kind: TrackType::Audio, track: TrackChoice::Name("deu".into()) }).unwrap();
    tx.send(Command::SwitchTrack { kind: TrackType::Text, track: TrackChoice::Next }).unwrap();
    let p = common::play_with(&input, config(true, TrackPreferences::default()), Some(rx), false).await;
    let errors: Vec<(TrackType, String, String)> = p
        .events
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::TrackSwitchFailed { kind, asked, error } => Some((kind.clone(), asked.clone(), error.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0], (TrackType::Video, "camera3".into(), r#"no video track named "camera3"; the video tracks are: "camera1", "camera2""#.into()));
    assert_eq!(errors[1].2, r#"no audio track named "deu"; the audio tracks are: "audio_eng" (eng), "audio_fra" (fra)"#);
    assert_eq!(errors[2].2, "text tracks cannot be switched during playback yet");
    assert_eq!(p.stats.video.frames_decoded, 150);
    assert!(!p.events.iter().any(|e| matches!(e, PlayerEvent::TrackSwitched { .. })));
}

/// multitrack.ism without its video StreamIndexes.
fn audio_only(dir: &std::path::Path) -> String {
    common::copy_dir(&fixtures().join("multitrack.ism"), dir);
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap();
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.starts_with(r#"<StreamIndex Type="video""#) || (line.starts_with(r#"<StreamIndex Type="text" Name="scte35""#)) {
            skipping = true;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
        if skipping && line.starts_with("</StreamIndex>") {
            skipping = false;
        }
    }
    assert!(!out.contains(r#"Type="video""#) && out.contains("audio_fra"));
    std::fs::write(dir.join("Manifest"), out).unwrap();
    dir.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audio_only_presentation_switches_language() {
    let dir = std::env::temp_dir().join(format!("smoothplay-audio-only-{}", std::process::id()));
    let input = audio_only(&dir);
    let p = play_switching(&input, Command::SwitchTrack { kind: TrackType::Audio, track: TrackChoice::Next }).await;
    let (from, to, at, asked_at, latency) = switched(&p);
    eprintln!("audio-only switch: asked at {asked_at:?}, new track from {at:?} (media {:?}), first new sample written {latency:?} after the command", at - asked_at);
    assert_eq!((from.as_str(), to.as_str(), at), ("audio_eng", "audio_fra", AUDIO_FRAGMENT));
    let before = common::frequency(&between(&p, at - Duration::from_millis(800), at - Duration::from_millis(20)));
    let after = common::frequency(&between(&p, at + Duration::from_millis(50), at + Duration::from_millis(1500)));
    assert!((before - 440.0).abs() < 10.0 && (after - 880.0).abs() < 10.0, "{before} Hz, then {after} Hz");
    assert_eq!(p.stats.video.frames_decoded, 0);
    no_rebuffer(&p);
    let _ = std::fs::remove_dir_all(dir);
}
