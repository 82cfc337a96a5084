//! Shared helpers of the workspace integration tests.
#![allow(dead_code)]

use std::time::Duration;

use smoothplay::engine::schedule::{LevelPin, ScheduleConfig};
use smoothplay::engine::session::{Command, PlaybackStats, PlayerConfig, PlayerEvent, Session};
use smoothplay_testkit::sinks::{RecordingAudio, RecordingVideo};

/// Untimed playback at a pinned video level.
pub fn untimed(pin: LevelPin) -> PlayerConfig {
    PlayerConfig { untimed: true, schedule: ScheduleConfig { video_pin: pin, ..ScheduleConfig::default() }, ..PlayerConfig::default() }
}

/// What a playback produced.
pub struct Played {
    pub stats: PlaybackStats,
    pub video: RecordingVideo,
    pub audio: RecordingAudio,
    pub events: Vec<PlayerEvent>,
}

/// Opens and plays `input` to the end with recording sinks.
pub async fn play(input: &str, config: PlayerConfig) -> Played {
    play_with(input, config, None, false).await
}

/// Same, with a command channel and optional plane capture.
pub async fn play_with(
    input: &str,
    config: PlayerConfig,
    commands: Option<tokio::sync::mpsc::UnboundedReceiver<Command>>,
    keep_planes: bool,
) -> Played {
    let session = Session::open(input, config).await.unwrap_or_else(|e| panic!("open {input}: {e}"));
    let mut video = RecordingVideo { keep_planes, ..Default::default() };
    let mut audio = RecordingAudio::default();
    let mut events = Vec::new();
    let stats = tokio::time::timeout(
        Duration::from_secs(120),
        session.play(&mut video, &mut audio, commands, &mut |e| events.push(e)),
    )
    .await
    .expect("playback finished within 120 s")
    .expect("playback succeeded");
    Played { stats, video, audio, events }
}

/// md5s of the decoded frames, in order.
pub fn md5s(p: &Played) -> Vec<String> {
    p.video.frames.lock().unwrap().iter().map(|f| f.md5.clone()).collect()
}

/// Copies a presentation directory (tests that edit a manifest work on a copy).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Dominant frequency (Hz) of mono samples at 48 kHz, by zero crossings.
pub fn frequency(samples: &[f32]) -> f64 {
    let crossings = samples.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count();
    crossings as f64 / 2.0 / (samples.len() as f64 / 48_000.0)
}
