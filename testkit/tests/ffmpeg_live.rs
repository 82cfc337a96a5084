//! The ffmpeg live origin harness against what ffmpeg 5.1 really writes (see the notes
//! at the top of `testkit/src/ffmpeg_live.rs`). Each test runs ffmpeg for under 20 s.

use std::path::Path;
use std::time::Duration;

use smoothplay_engine::fmp4::parse_fragment;
use smoothplay_engine::io::{ByteSource, FetchError, HttpConfig, HttpSource, Limits};
use smoothplay_engine::manifest::{Manifest, StreamIndex, StreamKind};
use smoothplay_testkit::ffmpeg_live::{FfmpegLive, FfmpegLiveOptions, VideoLevel, AAC_PRIMING_TICKS, FRAGMENT, LOOKAHEAD};
use smoothplay_testkit::oracle::require_ffmpeg;

/// Long enough for the first chunks to be listed (about 6 s) even on a loaded machine.
const FIRST_CHUNKS: Duration = Duration::from_secs(15);
const FRAGMENT_TICKS: u64 = 20_000_000;

fn start(opts: FfmpegLiveOptions) -> FfmpegLive {
    require_ffmpeg();
    FfmpegLive::start(opts).unwrap_or_else(|e| panic!("starting ffmpeg: {e}"))
}

fn one_level() -> Vec<VideoLevel> {
    vec![VideoLevel { width: 320, height: 180, kbps: 300 }]
}

fn video(m: &Manifest) -> &StreamIndex {
    m.streams_of(StreamKind::Video).next().expect("a video stream")
}

fn audio(m: &Manifest) -> &StreamIndex {
    m.streams_of(StreamKind::Audio).next().expect("an audio stream")
}

#[test]
fn starts_live_and_the_manifest_grows() {
    let mut live = start(FfmpegLiveOptions { duration: Some(Duration::from_secs(14)), ..Default::default() });
    let first = live.wait_for_manifest(FIRST_CHUNKS).unwrap_or_else(|e| panic!("{e}"));
    assert!(first.is_live, "IsLive while encoding");
    assert_eq!(first.lookahead_count, Some(LOOKAHEAD as u32));
    let v = video(&first);
    assert_eq!(v.levels.len(), 2);
    assert_eq!(v.levels.iter().map(|l| l.max_width).collect::<Vec<_>>(), [Some(480), Some(320)]);
    assert_eq!(v.chunks[0].start.ticks, AAC_PRIMING_TICKS, "video starts after the AAC priming");
    assert_eq!(audio(&first).chunks[0].start.ticks, 0);

    let n = v.chunks.len();
    let grown = live
        .wait_for(FRAGMENT * 3, |m| video(m).chunks.len() > n)
        .unwrap_or_else(|e| panic!("the manifest did not grow past {n} chunks: {e}"));
    assert!(grown.is_live);
    let chunks = &video(&grown).chunks;
    for pair in chunks.windows(2) {
        assert_eq!(pair[1].start.ticks, pair[0].start.ticks + FRAGMENT_TICKS, "contiguous 2 s video chunks");
    }
    // Listed chunks end two fragments before the newest file on disk (the lookahead).
    let files = fragment_starts(&live.presentation_dir().join("QualityLevels(300000)"), "video");
    let newest = *files.last().expect("fragment files");
    let last_listed = chunks.last().unwrap().start.ticks;
    assert!(newest >= last_listed + LOOKAHEAD as u64 * FRAGMENT_TICKS, "newest file {newest}, last listed {last_listed}");
}

#[tokio::test]
async fn fragments_parse_with_tfxd_and_tfrf_over_http() {
    let mut live = start(FfmpegLiveOptions { duration: Some(Duration::from_secs(14)), ..Default::default() });
    live.wait_for_manifest_async(FIRST_CHUNKS).await.unwrap_or_else(|e| panic!("{e}"));
    let origin = live.serve().await;
    let url = FfmpegLive::manifest_url(&origin);
    let base = url.trim_end_matches("Manifest").to_string();
    let http = HttpSource::new(HttpConfig::default()).unwrap();
    let manifest = Manifest::parse(&http.fetch(&url, Limits::default()).await.unwrap().body).unwrap();
    assert!(manifest.is_live);

    for stream in &manifest.streams {
        for level in &stream.levels {
            for chunk in &stream.chunks {
                let rel = stream.fragment_url(level, chunk);
                let body = http.fetch(&format!("{base}{rel}"), Limits::default()).await.unwrap_or_else(|e| panic!("{rel}: {e}")).body;
                let fragment = parse_fragment(body).unwrap_or_else(|e| panic!("{rel}: {e}"));
                let tfxd = fragment.tfxd.unwrap_or_else(|| panic!("{rel}: no tfxd"));
                assert_eq!(tfxd.start, chunk.start.ticks, "{rel}: tfxd start = manifest t");
                assert_eq!(Some(tfxd.duration), chunk.duration.map(|d| d.ticks), "{rel}: tfxd duration = manifest d");
                // Listed fragments were rewritten with their full lookahead before the
                // manifest listed them.
                assert_eq!(fragment.tfrf.len(), LOOKAHEAD, "{rel}: tfrf entries");
                assert_eq!(fragment.tfrf[0].start, tfxd.start + tfxd.duration, "{rel}: tfrf follows on");
                if stream.kind == StreamKind::Video {
                    assert_eq!(fragment.samples.len(), 50, "{rel}: 2 s at 25 fps");
                    assert!(fragment.samples[0].is_sync, "{rel}: starts with an IDR");
                    assert!(fragment.samples[1..].iter().all(|s| !s.is_sync), "{rel}: one IDR per fragment");
                }
            }
        }
    }

    // The newest fragment the last tfrf announces exists; the one after it is a 404
    // (unless ffmpeg wrote it in the meantime, which the manifest on disk then shows).
    let v = video(&manifest);
    let level = &v.levels[0];
    let last = v.chunks.last().unwrap();
    let last_rel = v.fragment_url(level, last);
    let announced = parse_fragment(http.fetch(&format!("{base}{last_rel}"), Limits::default()).await.unwrap().body).unwrap().tfrf;
    let newest = announced.last().unwrap();
    let newest_url = format!("{base}QualityLevels({})/Fragments(video={})", level.bitrate, newest.start);
    let fragment = parse_fragment(http.fetch(&newest_url, Limits::default()).await.unwrap().body).unwrap();
    assert_eq!(fragment.tfxd.map(|x| x.start), Some(newest.start));
    let after = format!("{base}QualityLevels({})/Fragments(video={})", level.bitrate, newest.start + newest.duration);
    match http.fetch(&after, Limits::default()).await {
        Err(FetchError::Status { status: 404, .. }) => {}
        Ok(_) => {
            let now = live.manifest().unwrap();
            assert!(video(&now).chunks.len() > v.chunks.len(), "{after} exists before the manifest moved on");
        }
        Err(e) => panic!("{after}: {e}"),
    }
}

#[test]
fn a_normal_stop_rewrites_the_manifest_on_demand() {
    let mut live = start(FfmpegLiveOptions { duration: Some(Duration::from_secs(20)), video: one_level(), ..Default::default() });
    live.wait_for_manifest(FIRST_CHUNKS).unwrap_or_else(|e| panic!("{e}"));
    let status = live.stop(Duration::from_secs(10)).expect("ffmpeg ends on q");
    assert!(status.success(), "exit status {status}; log:\n{}", live.log());
    let m = live.manifest().unwrap();
    assert!(!m.is_live, "on-demand after a normal stop");
    assert!(m.duration.is_some_and(|d| d.ticks > 0), "a duration: {:?}", m.duration);

    // Every listed chunk is a file on disk, once shifted by the video start offset: ffmpeg
    // 5.1 writes short runs' final manifests as `<c n d>` without `t`, so the video
    // timeline restarts at 0 while the files start after the AAC priming.
    for (stream, dir, name) in [(video(&m), "QualityLevels(300000)", "video"), (audio(&m), "QualityLevels(64000)", "audio")] {
        assert!(stream.chunks.len() >= 3, "{name}: {} chunks", stream.chunks.len());
        let files = fragment_starts(&live.presentation_dir().join(dir), name);
        let shift = files[0] - stream.chunks[0].start.ticks;
        let allowed: &[u64] = if name == "video" { &[0, AAC_PRIMING_TICKS] } else { &[0] };
        assert!(allowed.contains(&shift), "{name}: files start {} ticks after the manifest", shift);
        let listed: Vec<u64> = stream.chunks.iter().map(|c| c.start.ticks + shift).collect();
        assert_eq!(listed, files, "{name}: the manifest lists every fragment on disk");
    }
}

#[test]
fn a_killed_encoder_restarts_with_an_offset_timeline() {
    let mut live = start(FfmpegLiveOptions { duration: Some(Duration::from_secs(10)), video: one_level(), ..Default::default() });
    live.wait_for_manifest(FIRST_CHUNKS).unwrap_or_else(|e| panic!("{e}"));
    live.kill().unwrap();
    let frozen = live.manifest().unwrap();
    assert!(frozen.is_live, "a killed encoder leaves the manifest live");

    let offset = Duration::from_secs(100);
    live.restart(FfmpegLiveOptions { duration: Some(Duration::from_secs(9)), output_ts_offset: Some(offset), video: one_level(), ..Default::default() })
        .unwrap();
    let m = live.wait_for_manifest(FIRST_CHUNKS).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.is_live);
    let at = offset.as_secs() * 10_000_000;
    assert_eq!(video(&m).chunks[0].start.ticks, at, "video continues at the offset");
    assert_eq!(audio(&m).chunks[0].start.ticks, at - AAC_PRIMING_TICKS, "audio 1024 samples earlier");
    // The first run's files stay.
    let files = fragment_starts(&live.presentation_dir().join("QualityLevels(300000)"), "video");
    assert_eq!(files[0], AAC_PRIMING_TICKS, "{files:?}");
    live.kill().unwrap();
}

/// Start times of the `Fragments(name=T)` files in a level directory, sorted.
fn fragment_starts(dir: &Path, name: &str) -> Vec<u64> {
    let prefix = format!("Fragments({name}=");
    let mut starts: Vec<u64> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_prefix(&prefix)?.strip_suffix(')')?.parse().ok())
        .collect();
    starts.sort_unstable();
    starts
}
