//! An audio track with several bitrates: the level follows what the link affords
//! (engine/src/schedule/audio_level.rs). The presentation is multitrack.ism's English audio
//! alone, declared at two bitrates (the same fragments behind both, so any level decodes):
//! 33 445 and 320 000 bit/s. Served over loopback HTTP, untimed.

mod common;

use std::path::{Path, PathBuf};

use smoothplay::engine::schedule::LevelPin;
use smoothplay_testkit::origin::{Fault, Origin};

/// The folder: one audio StreamIndex, two levels.
fn two_level_audio(dir: &Path) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/multitrack.ism");
    common::copy_dir(&src.join("QualityLevels(33445)"), &dir.join("QualityLevels(33445)"));
    common::copy_dir(&src.join("QualityLevels(33445)"), &dir.join("QualityLevels(320000)"));
    let level = |i: u32, bitrate: u32| format!(r#"<QualityLevel Index="{i}" Bitrate="{bitrate}" FourCC="AACL" SamplingRate="48000" Channels="1" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="118856e500" />"#);
    let manifest = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" TimeScale="10000000" Duration="60000000">
<StreamIndex Type="audio" Name="audio_eng" Language="eng" QualityLevels="2" Chunks="3" Url="QualityLevels({{bitrate}})/Fragments(audio_eng={{start time}})">
{}
{}
<c t="0" d="20053333" />
<c t="20053333" d="20053333" />
<c t="40106666" d="19680000" />
</StreamIndex>
</SmoothStreamingMedia>
"#,
        level(0, 33445),
        level(1, 320000)
    );
    std::fs::write(dir.join("Manifest"), manifest).unwrap();
}

async fn play_through(throttle_bps: Option<u64>) -> (Origin, common::Played) {
    let root = std::env::temp_dir().join(format!("smoothplay-audio-levels-{}-{}", std::process::id(), throttle_bps.unwrap_or(0)));
    let _ = std::fs::remove_dir_all(&root);
    two_level_audio(&root.join("a.ism"));
    let origin = Origin::serve(root.clone()).await;
    if let Some(bits_per_sec) = throttle_bps {
        origin.fault("Fragments", Fault::Throttle { bits_per_sec });
    }
    let p = common::play(&format!("{}a.ism/Manifest", origin.base), common::untimed(LevelPin::Auto)).await;
    let _ = std::fs::remove_dir_all(&root);
    (origin, p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audio_only_presentation_climbs_to_the_level_a_fast_link_affords() {
    let (origin, p) = play_through(None).await;
    assert_eq!(origin.requests_matching("QualityLevels(33445)/Fragments"), 1, "the lowest until a download is measured");
    assert_eq!(origin.requests_matching("QualityLevels(320000)/Fragments"), 2, "then the highest");
    assert!(p.audio.samples.lock().unwrap().len() > 48_000 * 5, "all of it played");
    assert_eq!(p.stats.skipped_fragments.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_slow_link_it_keeps_the_level_the_link_affords() {
    // 200 kbit/s: 80 % of it is 160 kbit/s, under 320 kbit/s.
    let (origin, p) = play_through(Some(200_000)).await;
    assert_eq!(origin.requests_matching("QualityLevels(320000)/Fragments"), 0);
    assert_eq!(origin.requests_matching("QualityLevels(33445)/Fragments"), 3);
    assert!(p.audio.samples.lock().unwrap().len() > 48_000 * 5);
}
