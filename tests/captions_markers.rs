//! Captions and sparse-track markers through playback, on multitrack.ism (its README lists
//! every cue and SCTE-35 field): which cues and markers are emitted, when, with what.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smoothplay::engine::manifest::Manifest;
use smoothplay::engine::schedule::{LevelPin, ScheduleConfig};
use smoothplay::engine::session::{Command, MarkerPayload, PlaybackStats, PlayerConfig, PlayerEvent, Session, TimedTracks, TrackPreferences};
use smoothplay_testkit::sinks::{RecordingAudio, RecordingVideo};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media")
}

fn s(secs: f64) -> Duration {
    Duration::from_secs_f64(secs)
}

/// Real-time playback (the software clock), top video level, no locale.
fn timed_config(text_track: Option<&str>) -> PlayerConfig {
    PlayerConfig {
        schedule: ScheduleConfig { video_pin: LevelPin::Max, ..ScheduleConfig::default() },
        tracks: TrackPreferences { locale: Some(String::new()), text_track: text_track.map(str::to_string), ..TrackPreferences::default() },
        ..PlayerConfig::default()
    }
}

/// Every event with the pts of the last frame presented when it came.
struct Run {
    stats: PlaybackStats,
    events: Vec<(PlayerEvent, Option<Duration>)>,
    frames: usize,
}

async fn run(input: &str, config: PlayerConfig, commands: Option<tokio::sync::mpsc::UnboundedReceiver<Command>>) -> Run {
    run_reacting(input, config, commands, |_| {}).await
}

/// Same, calling `react` with every event as it comes.
async fn run_reacting(input: &str, config: PlayerConfig, commands: Option<tokio::sync::mpsc::UnboundedReceiver<Command>>, mut react: impl FnMut(&PlayerEvent) + Send) -> Run {
    let session = Session::open(input, config).await.unwrap_or_else(|e| panic!("open {input}: {e}"));
    let mut video = RecordingVideo::default();
    let presented = video.presented.clone();
    let mut audio = RecordingAudio::default();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let stats = tokio::time::timeout(
        Duration::from_secs(60),
        session.play(&mut video, &mut audio, commands, &mut |e| {
            let at = presented.lock().unwrap().last().copied();
            react(&e);
            sink.lock().unwrap().push((e, at));
        }),
    )
    .await
    .expect("played within 60 s")
    .expect("played");
    let frames = video.presented.lock().unwrap().len();
    let events = std::mem::take(&mut *events.lock().unwrap());
    Run { stats, events, frames }
}

fn cues(r: &Run) -> Vec<(smoothplay::engine::text::Cue, Option<Duration>)> {
    r.events.iter().filter_map(|(e, at)| if let PlayerEvent::Cue { cue, .. } = e { Some((cue.clone(), *at)) } else { None }).collect()
}

fn markers(r: &Run) -> Vec<(Duration, Option<Duration>, MarkerPayload, Option<Duration>)> {
    r.events
        .iter()
        .filter_map(|(e, at)| if let PlayerEvent::Marker { time, duration, payload, .. } = e { Some((*time, *duration, payload.clone(), *at)) } else { None })
        .collect()
}

/// Frames are 40 ms; the driver looks at the playhead at least every 50 ms.
const FRAME: Duration = Duration::from_millis(40);
const LATE: Duration = Duration::from_millis(250);

/// Emitted when the playhead reached `start`: the frame on screen was the one containing
/// `start` or a later one, and not much later.
fn assert_on_time(what: &str, start: Duration, shown: Option<Duration>) {
    let shown = shown.unwrap_or_default();
    assert!(shown + FRAME + Duration::from_millis(5) >= start, "{what} at {start:?} emitted early, with the frame at {shown:?} on screen");
    assert!(shown <= start + LATE, "{what} at {start:?} emitted late, with the frame at {shown:?} on screen");
    eprintln!("{what}: due {:.3} s, emitted with the frame at {:.3} s on screen", start.as_secs_f64(), shown.as_secs_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captions_and_markers_are_emitted_when_the_playhead_reaches_them() {
    let input = fixtures().join("multitrack.ism").display().to_string();
    let r = run(&input, timed_config(Some("captions_eng")), None).await;
    assert_eq!(r.stats.rebuffer.count, 0);
    assert!(r.stats.skipped_fragments.is_empty(), "{:?}", r.stats.skipped_fragments);

    let cues = cues(&r);
    let got: Vec<(f64, f64, &str)> = cues.iter().map(|(c, _)| (c.start.as_secs_f64(), c.end.as_secs_f64(), c.text.as_str())).collect();
    assert_eq!(got, [(0.5, 1.8, "Hello from camera one."), (2.2, 3.5, "Two lines:\nthe second line"), (4.5, 5.8, "Italic and yellow")]);
    let third = &cues[2].0;
    let spans: Vec<(&str, bool, Option<&str>)> = third.spans.iter().map(|s| (s.text.as_str(), s.italic, s.color.as_deref())).collect();
    // Style s1 (white) everywhere, yellow where the span says; the spaces go with the text after them.
    assert_eq!(spans, [("Italic", true, Some("white")), (" and", false, Some("white")), (" yellow", false, Some("yellow"))]);
    assert_eq!(third.region.as_ref().and_then(|r| r.id.as_deref()), Some("top"));
    assert_eq!(cues[0].0.region.as_ref().and_then(|r| r.id.as_deref()), Some("bottom"));
    for (c, at) in &cues {
        assert_on_time(&format!("cue {:?}", c.text), c.start, *at);
    }

    let markers = markers(&r);
    assert_eq!(markers.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(), [(s(2.0), Some(s(2.0))), (s(4.0), Some(s(1.0))), (s(5.0), Some(s(1.0)))]);
    for (time, _, _, at) in &markers {
        assert_on_time("marker", *time, *at);
    }
    let sums: Vec<_> = markers.iter().map(|m| m.2.summary().expect("decoded")).collect();
    // splice_insert out of the network, a 2 s break that returns by itself.
    assert_eq!((sums[0].command_type, sums[0].event_id, sums[0].out_of_network, sums[0].duration, sums[0].auto_return), (Some(5), Some(1001), Some(true), Some(s(2.0)), Some(true)));
    assert_eq!(sums[0].splice_time.map(|t| t.to_duration()), Some(s(2.0)));
    // splice_insert back to the network.
    assert_eq!((sums[1].command_type, sums[1].event_id, sums[1].out_of_network, sums[1].duration), (Some(5), Some(1002), Some(false), None));
    assert_eq!(sums[1].splice_time.map(|t| t.to_duration()), Some(s(4.0)));
    // time_signal: pts_time 4.0 s + pts_adjustment 1.0 s; a 1 s Provider Advertisement Start.
    assert_eq!((sums[2].command_type, sums[2].event_id, sums[2].duration, sums[2].segmentation_type_id), (Some(6), Some(3000), Some(s(1.0)), Some(0x30)));
    assert_eq!(sums[2].splice_time.map(|t| t.ticks), Some(450_000));
    let MarkerPayload::Decoded(third) = &markers[2].2 else { panic!() };
    assert_eq!(third.section().map(|s| s.pts_adjustment), Some(90_000));
}

/// Only the chosen text track's cues; none without one; markers either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cues_unless_a_text_track_is_chosen_and_a_switch_during_playback() {
    let input = fixtures().join("multitrack.ism").display().to_string();
    let off = run(&input, common::untimed(LevelPin::Max), None).await;
    assert!(cues(&off).is_empty());
    assert_eq!(markers(&off).len(), 3);

    // Switch to the French subtitles (by language) when the first English cue comes: the
    // French cue on screen then (0.5-1.8 s) shows at once; off at the second French cue.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let r = run_reacting(&input, timed_config(Some("captions_eng")), Some(rx), move |e| {
        if let PlayerEvent::Cue { track, cue } = e {
            match (track.as_str(), cue.start.as_millis()) {
                ("captions_eng", _) => tx.send(Command::SetTextTrack(Some("fra".into()))).unwrap(),
                ("subtitles_fra", 2200) => tx.send(Command::SetTextTrack(None)).unwrap(),
                _ => {}
            }
        }
    })
    .await;
    let texts: Vec<(String, String)> = r.events.iter().filter_map(|(e, _)| if let PlayerEvent::Cue { track, cue } = e { Some((track.clone(), cue.text.clone())) } else { None }).collect();
    let expected = [("captions_eng", "Hello from camera one."), ("subtitles_fra", "Bonjour de la caméra un."), ("subtitles_fra", "Deux lignes :\nla deuxième ligne")];
    assert_eq!(texts, expected.map(|(a, b)| (a.to_string(), b.to_string())));
    let changes: Vec<Option<String>> = r.events.iter().filter_map(|(e, _)| if let PlayerEvent::TextTrackChanged { track } = e { Some(track.clone()) } else { None }).collect();
    assert_eq!(changes, [Some("subtitles_fra".to_string()), None]);
    assert_eq!(r.stats.rebuffer.count, 0);
}

/// The msdocs live example: its `<f>` payloads are SCTE 67 AcquiredSignal XML.
#[test]
fn msdocs_sparse_markers_decode_in_their_scte67_form() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peer-manifests/msdocs_live_sparse_scte35.ismc");
    let m = Manifest::parse(&std::fs::read(path).unwrap()).unwrap();
    let mut t = TimedTracks::for_manifest(&m, None);
    assert!(t.next_fetches(Duration::ZERO).is_empty(), "inline: nothing to fetch");
    let due = t.due(s(1000.0));
    let got: Vec<_> = due
        .iter()
        .map(|e| match e {
            PlayerEvent::Marker { stream, time, duration, payload: MarkerPayload::Decoded(m) } => {
                assert_eq!(stream, "scte35-sparse-stream");
                assert!(matches!(**m, smoothplay::engine::markers::Marker::Xml(_)), "{m:?}");
                let sum = m.summary();
                (time.as_secs(), duration.map(|d| d.as_secs()), sum.command_type, sum.event_id, sum.out_of_network, sum.duration.map(|d| d.as_secs()))
            }
            other => panic!("{other:?}"),
        })
        .collect();
    eprintln!("msdocs markers: {got:?}");
    assert!(!got.is_empty());
    assert_eq!(got[0], (60, Some(30), Some(5), Some(344_568_691), Some(true), Some(60)));
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "in time order");
}

/// A copy of multitrack.ism to damage.
fn copy(name: &str) -> PathBuf {
    let to = std::env::temp_dir().join(format!("smoothplay-captions-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    common::copy_dir(&fixtures().join("multitrack.ism"), &to);
    to
}

/// Every `<` after the `mdat` header becomes `#`: a fragment whose TTML is not XML.
fn spoil_ttml(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let at = b.windows(4).position(|w| w == b"mdat").unwrap();
    for c in &mut b[at..] {
        if *c == b'<' {
            *c = b'#';
        }
    }
    std::fs::write(path, b).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_fragment_that_is_not_xml_is_skipped_and_av_goes_on() {
    let dir = copy("notxml");
    spoil_ttml(&dir.join("QualityLevels(1000)/Fragments(captions_eng=20000000)"));
    let r = run(&dir.display().to_string(), timed_config(Some("captions_eng")), None).await;
    let skipped: Vec<_> = r.events.iter().filter_map(|(e, _)| if let PlayerEvent::FragmentSkipped { track, index, error } = e { Some((track.clone(), *index, error.clone())) } else { None }).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!((skipped[0].0.as_str(), skipped[0].1), ("text", 1));
    assert!(skipped[0].2.contains("captions_eng") && skipped[0].2.contains("TTML"), "{}", skipped[0].2);
    eprintln!("reported: {}", skipped[0].2);
    assert_eq!(cues(&r).iter().map(|(c, _)| c.text.as_str()).collect::<Vec<_>>(), ["Hello from camera one.", "Italic and yellow"]);
    assert_eq!((r.stats.video.frames_decoded, r.frames), (150, 150));
    assert_eq!(r.stats.rebuffer.count, 0);
    assert!(!r.events.iter().any(|(e, _)| matches!(e, PlayerEvent::Rebuffering)));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_scte35_payload_is_reported_not_a_crash() {
    let dir = copy("truncated");
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap();
    // The first section cut after 18 bytes (base64 of a prefix).
    let cut = manifest.replace("/DAlAAAAAAAAAP/wFAUAAAPpf+/+AAK/IP4AAr8gAAEBAQAAKbmJGA==", "/DAlAAAAAAAAAP/wFAUAAAPp");
    assert_ne!(cut, manifest);
    std::fs::write(dir.join("Manifest"), cut).unwrap();
    let r = run(&dir.display().to_string(), common::untimed(LevelPin::Max), None).await;
    let markers = markers(&r);
    assert_eq!(markers.len(), 3);
    let MarkerPayload::Undecoded { data, error } = &markers[0].2 else { panic!("{:?}", markers[0].2) };
    assert_eq!(data.len(), 18);
    eprintln!("truncated marker reported: {error}");
    assert!(error.contains("declares"), "{error}");
    assert!(markers[1].2.summary().is_some() && markers[2].2.summary().is_some());
    assert_eq!(r.stats.video.frames_decoded, 150);
    let _ = std::fs::remove_dir_all(dir);
}

/// Without inline payloads the sparse fragments are fetched (over HTTP), with the same result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparse_fragments_are_fetched_when_the_manifest_has_no_payloads() {
    let dir = copy("nopayload");
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap();
    let mut stripped = String::new();
    for line in manifest.lines() {
        match (line.find("<f>"), line.find("</f>")) {
            (Some(a), Some(b)) => stripped.push_str(&format!("{}{}\n", &line[..a], &line[b + 4..])),
            _ => stripped.push_str(&format!("{line}\n")),
        }
    }
    std::fs::write(dir.join("Manifest"), stripped).unwrap();
    let origin = smoothplay_testkit::origin::Origin::serve(dir.parent().unwrap().to_path_buf()).await;
    let url = format!("{}{}/Manifest", origin.base, dir.file_name().unwrap().to_str().unwrap());
    let r = run(&url, common::untimed(LevelPin::Max), None).await;
    assert_eq!(origin.requests_matching("Fragments(scte35="), 3);
    let sums: Vec<_> = markers(&r).iter().map(|m| (m.0, m.2.summary().and_then(|s| s.event_id))).collect();
    assert_eq!(sums, [(s(2.0), Some(1001)), (s(4.0), Some(1002)), (s(5.0), Some(3000))]);
    let _ = std::fs::remove_dir_all(dir);
}
