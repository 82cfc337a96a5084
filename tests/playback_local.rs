//! Playback from disk: quality switches mid-stream, unsupported codecs.

mod common;

use std::sync::{Arc, Mutex};

use smoothplay::engine::session::{PlayerEvent, Session};
use smoothplay::heuristics::{Context, Decision, DownloadReport, QualitySelector};
use smoothplay_testkit::sinks::{RecordingAudio, RecordingVideo};
use smoothplay_testkit::{es, fixture_media, oracle, repo_root};

/// Chooses levels from a fixed cycle and records what it was told.
struct Cycle {
    levels: Vec<usize>,
    chosen: Arc<Mutex<Vec<(usize, usize)>>>,
    reports: Arc<Mutex<usize>>,
}

impl QualitySelector for Cycle {
    fn name(&self) -> &str {
        "cycle"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let l = self.levels[ctx.fragment_index % self.levels.len()];
        self.chosen.lock().unwrap().push((ctx.fragment_index, l));
        Decision::now(l)
    }
    fn on_download(&mut self, _ctx: &Context, r: &DownloadReport) {
        assert!(r.bytes > 0 && r.duration >= r.ttfb);
        *self.reports.lock().unwrap() += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quality_switches_mid_stream_decode_bit_exact() {
    oracle::require_ffmpeg();
    let demo = repo_root().join("assets/demo.ism");
    let mut session = Session::open(demo.to_str().unwrap(), common::untimed(smoothplay::engine::schedule::LevelPin::Auto)).await.unwrap();
    let ladder: Vec<u64> = session.selection().tracks[0].levels.iter().map(|l| l.bitrate).collect();
    let chosen = Arc::new(Mutex::new(Vec::new()));
    let reports = Arc::new(Mutex::new(0));
    session.set_selector(Box::new(Cycle { levels: vec![0, 2, 1, 2, 0, 1], chosen: chosen.clone(), reports: reports.clone() }));
    let mut video = RecordingVideo::default();
    let stats = session.play(&mut video, &mut RecordingAudio::default(), None, &mut |_| {}).await.unwrap();
    assert_eq!(stats.algorithm, "cycle");
    assert_eq!(*reports.lock().unwrap(), 10, "every video download reported to the selector");

    // ffmpeg's decode of each level, whole.
    let dir = std::env::temp_dir().join(format!("smoothplay-switch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reference: Vec<Vec<String>> = ladder
        .iter()
        .map(|&b| {
            let e = es::video_annexb(&demo, b);
            let p = dir.join(format!("{b}.h264"));
            std::fs::write(&p, &e.bytes).unwrap();
            oracle::ffmpeg_h264_framemd5(&p)
        })
        .collect();
    let frames = video.frames.lock().unwrap();
    assert_eq!(frames.len(), 500);
    let level_of: Vec<usize> = chosen.lock().unwrap().iter().map(|&(_, l)| l).collect();
    assert_eq!(stats.video.switches, 9, "levels {level_of:?}");
    for (i, f) in frames.iter().enumerate() {
        let level = level_of[i / 50];
        assert_eq!(f.md5, reference[level][i], "frame {i} (fragment {}, level {level})", i / 50);
        let size = [(426, 240), (640, 360), (1280, 720)][level];
        assert_eq!((f.width, f.height), size);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_video_codec_is_named_and_audio_still_plays() {
    let dir = std::env::temp_dir().join(format!("smoothplay-wvc1-{}", std::process::id()));
    let src = fixture_media("small.ism");
    common::copy_dir(&src, &dir);
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap().replace("FourCC=\"H264\"", "FourCC=\"WVC1\"");
    std::fs::write(dir.join("Manifest"), manifest).unwrap();
    let mut events = Vec::new();
    let session = Session::open(dir.to_str().unwrap(), common::untimed(smoothplay::engine::schedule::LevelPin::Auto)).await.unwrap();
    let mut video = RecordingVideo::default();
    let stats = session.play(&mut video, &mut RecordingAudio::default(), None, &mut |e| events.push(e)).await.unwrap();
    assert!(video.frames.lock().unwrap().is_empty());
    assert_eq!(stats.audio.samples_decoded, 470 * 1024, "audio plays in full");
    assert!(stats.unsupported_streams.iter().any(|u| u.contains("WVC1")), "{:?}", stats.unsupported_streams);
    assert!(events.iter().any(|e| matches!(e, PlayerEvent::Unsupported(m) if m.contains("WVC1"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_nal_length_field_skips_video_with_a_typed_error() {
    let dir = std::env::temp_dir().join(format!("smoothplay-nal-{}", std::process::id()));
    common::copy_dir(&fixture_media("small.ism"), &dir);
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap().replace("FourCC=\"H264\"", "FourCC=\"H264\" NALUnitLengthField=\"2\"");
    std::fs::write(dir.join("Manifest"), manifest).unwrap();
    let p = common::play(dir.to_str().unwrap(), common::untimed(smoothplay::engine::schedule::LevelPin::Min)).await;
    assert_eq!(p.stats.skipped_fragments.len(), 5, "every video fragment is rejected");
    assert!(p.stats.skipped_fragments.iter().all(|s| s.track == "video" && s.url.contains("Fragments(video=")));
    assert_eq!(p.stats.audio.samples_decoded, 470 * 1024, "audio unaffected");
}
