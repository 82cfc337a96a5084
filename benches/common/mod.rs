//! Fixture loading shared by the workspace benches.
//!
//! Each bench includes this file with `mod common;`, so items one bench does not use are
//! expected (hence the `dead_code` allowance).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use smoothplay::engine::manifest::{Manifest, QualityLevel, StreamIndex, StreamKind};

/// The repository root (the umbrella crate's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

/// Reads a file a bench cannot run without; a missing fixture is a broken checkout.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading bench fixture {}: {e}", path.display()))
}

/// The presentation the decode benches play: `$SMOOTHPLAY_BENCH_ISM` if set, else the demo
/// (`assets/demo.ism`) when this checkout has it, else the `small.ism` fixture.
pub fn presentation_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SMOOTHPLAY_BENCH_ISM") {
        return PathBuf::from(dir);
    }
    let demo = repo_root().join("assets/demo.ism");
    if demo.join("Manifest").is_file() {
        demo
    } else {
        fixture("media/small.ism")
    }
}

/// One track of a presentation, read into memory: what a decoder is configured with and
/// every fragment response body, in timeline order.
pub struct LoadedTrack {
    /// e.g. `video 1200000 bps 1280x720`.
    pub label: String,
    /// CodecPrivateData (H.264: Annex-B SPS/PPS) or the AudioSpecificConfig (AAC).
    pub config: Vec<u8>,
    /// NALUnitLengthField (video).
    pub nal_length_size: u8,
    /// The stream's timescale.
    pub timescale: u64,
    /// `(manifest start ticks, fragment body)` per chunk.
    pub fragments: Vec<(u64, Bytes)>,
}

impl LoadedTrack {
    /// Total bytes of all fragment bodies.
    pub fn bytes(&self) -> u64 {
        self.fragments.iter().map(|(_, b)| b.len() as u64).sum()
    }
}

/// The manifest of a presentation directory.
pub fn load_manifest(dir: &Path) -> Manifest {
    let xml = read(&dir.join("Manifest"));
    Manifest::parse(&xml).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn load_level(dir: &Path, stream: &StreamIndex, level: &QualityLevel, config: Vec<u8>) -> LoadedTrack {
    let fragments = stream
        .chunks
        .iter()
        .map(|c| (c.start.ticks, Bytes::from(read(&dir.join(stream.fragment_url(level, c))))))
        .collect();
    let size = match (level.max_width, level.max_height) {
        (Some(w), Some(h)) => format!(" {w}x{h}"),
        _ => String::new(),
    };
    LoadedTrack {
        label: format!("{:?} {} bps{size}", stream.kind, level.bitrate).to_lowercase(),
        config,
        nal_length_size: level.nal_unit_length_field,
        timescale: stream.timescale,
        fragments,
    }
}

/// The highest-bitrate H.264 level of the first video stream (what `--video-bitrate max`
/// plays).
pub fn top_video(dir: &Path, manifest: &Manifest) -> LoadedTrack {
    let stream = manifest.streams_of(StreamKind::Video).next().expect("presentation has a video stream");
    let level = stream
        .levels
        .iter()
        .filter(|l| l.is_h264())
        .max_by_key(|l| l.bitrate)
        .expect("video stream has an H.264 level");
    load_level(dir, stream, level, level.codec_private_data.clone())
}

/// Every H.264 level of the first video stream, lowest bitrate first.
pub fn all_video_levels(dir: &Path, manifest: &Manifest) -> Vec<LoadedTrack> {
    let stream = manifest.streams_of(StreamKind::Video).next().expect("presentation has a video stream");
    let mut levels: Vec<&QualityLevel> = stream.levels.iter().filter(|l| l.is_h264()).collect();
    levels.sort_by_key(|l| l.bitrate);
    levels.into_iter().map(|l| load_level(dir, stream, l, l.codec_private_data.clone())).collect()
}

/// The first AAC-LC level of the first audio stream.
pub fn audio(dir: &Path, manifest: &Manifest) -> LoadedTrack {
    let stream = manifest.streams_of(StreamKind::Audio).next().expect("presentation has an audio stream");
    let level = stream.levels.iter().find(|l| l.is_aac_lc()).expect("audio stream has an AAC-LC level");
    let asc = level.audio_specific_config().expect("AAC level has an AudioSpecificConfig");
    load_level(dir, stream, level, asc)
}

/// Criterion settings for a 2-core machine shared with builds: few samples, short runs.
/// `SMOOTHPLAY_BENCH_QUICK=1` shortens them further (smoke runs).
pub fn criterion() -> criterion::Criterion {
    let quick = std::env::var_os("SMOOTHPLAY_BENCH_QUICK").is_some();
    let (warm_up, measure) = if quick { (Duration::from_millis(200), Duration::from_secs(1)) } else { (Duration::from_secs(1), Duration::from_secs(4)) };
    criterion::Criterion::default().sample_size(10).warm_up_time(warm_up).measurement_time(measure).configure_from_args()
}
