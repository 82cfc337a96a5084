//! Decoded output against ffmpeg's decode of the same access units (an independent decoder).
//!
//! Content without B-frames (the bundled demo) must be bit-exact per frame; content with
//! B-frames (the shared small.ism) must have the exact frame count and PSNR >= 60 dB per
//! frame (openh264 and ffmpeg differ by a few levels on some B-frame streams). AAC must
//! match in sample count with SNR >= 90 dB.

mod common;

use smoothplay::engine::schedule::LevelPin;
use smoothplay_testkit::{es, fixture_media, oracle, repo_root};

fn write_temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smoothplay-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_levels_decode_bit_exact_against_ffmpeg() {
    oracle::require_ffmpeg();
    let demo = repo_root().join("assets/demo.ism");
    let manifest = smoothplay::engine::manifest::Manifest::parse(&std::fs::read(demo.join("Manifest")).unwrap()).unwrap();
    let video = manifest.streams.iter().find(|s| s.kind == smoothplay::engine::manifest::StreamKind::Video).unwrap();
    assert_eq!(video.levels.len(), 3, "the demo has three video levels");
    for level in &video.levels {
        let e = es::video_annexb(&demo, level.bitrate);
        let reference = oracle::ffmpeg_h264_framemd5(&write_temp(&format!("demo-{}.h264", level.bitrate), &e.bytes));
        let played = common::play(demo.to_str().unwrap(), common::untimed(LevelPin::AtMostBps(level.bitrate))).await;
        let ours = common::md5s(&played);
        assert_eq!(ours.len(), reference.len(), "frame count at {} bit/s", level.bitrate);
        let differing = ours.iter().zip(&reference).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{differing} of {} frames differ from ffmpeg at {} bit/s", ours.len(), level.bitrate);
        assert!(played.video.frames.lock().unwrap().iter().all(|f| Some((f.width, f.height)) == e.size), "frame size is the level's");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_ism_matches_ffmpeg_frame_count_and_psnr() {
    oracle::require_ffmpeg();
    let small = fixture_media("small.ism");
    for (bitrate, w, h) in [(200_000u64, 320u32, 180u32), (400_000, 480, 270)] {
        let e = es::video_annexb(&small, bitrate);
        let reference = oracle::ffmpeg_h264_frames(&write_temp(&format!("small-{bitrate}.h264"), &e.bytes), w, h);
        let played = common::play_with(small.to_str().unwrap(), common::untimed(LevelPin::AtMostBps(bitrate)), None, true).await;
        let planes = played.video.planes.lock().unwrap();
        assert_eq!(planes.len(), 250, "250 frames per level");
        assert_eq!(planes.len(), reference.len(), "same frame count as ffmpeg");
        let worst = planes.iter().zip(&reference).map(|(a, b)| oracle::psnr(a, b)).fold(f64::INFINITY, f64::min);
        assert!(worst >= 60.0, "worst per-frame PSNR {worst:.1} dB at {bitrate} bit/s");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aac_matches_ffmpeg_sample_count_and_snr() {
    oracle::require_ffmpeg();
    for presentation in [fixture_media("small.ism"), repo_root().join("assets/demo.ism")] {
        let e = es::audio_adts(&presentation);
        let reference = oracle::ffmpeg_aac_f32(&write_temp("audio.aac", &e.bytes));
        let played = common::play(presentation.to_str().unwrap(), common::untimed(LevelPin::Min)).await;
        let ours = played.audio.samples.lock().unwrap();
        let channels = u64::from(played.stats.audio.channels.unwrap());
        assert_eq!(ours.len(), reference.len(), "{}: interleaved sample count", presentation.display());
        assert_eq!(played.stats.audio.samples_decoded, reference.len() as u64 / channels);
        let snr = oracle::snr_db(&reference, &ours);
        assert!(snr >= 90.0, "{}: SNR {snr:.1} dB", presentation.display());
    }
}
