//! Start position, seek, pause and paced playout.

mod common;

use std::time::{Duration, Instant};

use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::session::{Command, PlayerConfig, PlayerEvent};
use smoothplay_testkit::fixture_media;

fn small() -> String {
    fixture_media("small.ism").to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_position_decodes_forward_to_the_exact_time() {
    let mut c = common::untimed(LevelPin::Min);
    c.start_at = Some(Duration::from_millis(5_020));
    let p = common::play(&small(), c).await;
    let frames = p.video.frames.lock().unwrap().clone();
    // 25 fps: frames at 5.00, 5.04, ...; the first at or after 5.02 is 5.04.
    assert_eq!(frames.first().unwrap().pts, Duration::from_millis(5_040));
    assert_eq!(frames.len(), 124, "5.04 s .. 9.96 s");
    // Same pictures as a playback from the start.
    let full = common::play(&small(), common::untimed(LevelPin::Min)).await;
    let full_md5 = common::md5s(&full);
    let ours: Vec<String> = frames.iter().map(|f| f.md5.clone()).collect();
    assert_eq!(ours[..], full_md5[126..]);
    // Audio starts at the target too (trimmed inside the first block).
    let first_audio = *p.audio.starts.lock().unwrap().first().unwrap();
    assert!(first_audio >= Duration::from_millis(5_019) && first_audio <= Duration::from_millis(5_021), "{first_audio:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seek_during_playback_restarts_at_the_target() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let session = smoothplay::engine::session::Session::open(&small(), common::untimed(LevelPin::Min)).await.unwrap();
    // A sink that asks for a seek back to 1 s once it sees 6 s.
    struct SeekingSink {
        tx: tokio::sync::mpsc::UnboundedSender<Command>,
        sent: bool,
        pts: Vec<Duration>,
    }
    impl smoothplay::engine::session::VideoSink for SeekingSink {
        fn present(&mut self, f: &smoothplay::engine::decode::VideoFrame) -> Result<(), smoothplay::engine::session::SinkError> {
            let pts = f.pts.to_duration();
            self.pts.push(pts);
            if !self.sent && pts >= Duration::from_secs(6) {
                self.sent = true;
                let _ = self.tx.send(Command::Seek(Duration::from_secs(1)));
            }
            Ok(())
        }
    }
    let mut sink = SeekingSink { tx, sent: false, pts: Vec::new() };
    let mut audio = smoothplay::engine::session::NullAudioSink;
    let stats = session.play(&mut sink, &mut audio, Some(rx), &mut |_| {}).await.unwrap();
    let back = sink.pts.iter().rposition(|&p| p == Duration::from_secs(1)).expect("a frame at exactly 1 s after the seek");
    assert!(sink.pts[..back].iter().any(|&p| p >= Duration::from_secs(6)));
    assert!(sink.pts[back..].windows(2).all(|w| w[0] < w[1]), "monotonic after the seek");
    assert_eq!(*sink.pts.last().unwrap(), Duration::from_millis(9_960));
    assert_eq!(stats.video.frames_dropped, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_playback_takes_real_time_and_pause_stops_the_clock() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let config = PlayerConfig { start_at: Some(Duration::from_secs(8)), ..common::untimed(LevelPin::Min) };
    let config = PlayerConfig { untimed: false, ..config };
    let session = smoothplay::engine::session::Session::open(&small(), config).await.unwrap();
    let t0 = Instant::now();
    let mut positions = Vec::new();
    let mut paused = false;
    let mut video = smoothplay_testkit::sinks::RecordingVideo::default();
    let mut audio = smoothplay::engine::session::NullAudioSink;
    let stats = session
        .play(&mut video, &mut audio, Some(rx), &mut |e| {
            if let PlayerEvent::Status(s) = e {
                if !paused && s.position >= Duration::from_millis(8_500) {
                    paused = true;
                    let _ = tx.send(Command::Pause);
                    let tx = tx.clone();
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(1_000));
                        let _ = tx.send(Command::Resume);
                    });
                }
                positions.push((s.paused, s.position));
            }
        })
        .await
        .unwrap();
    let wall = t0.elapsed();
    // 2 s of media plus a 1 s pause cannot take less than 3 s of wall time.
    assert!(wall >= Duration::from_millis(2_900), "paced: {wall:?}");
    let paused_positions: Vec<Duration> = positions.iter().filter(|(p, _)| *p).map(|(_, t)| *t).collect();
    assert!(!paused_positions.is_empty(), "status while paused");
    assert!(paused_positions.windows(2).all(|w| w[0] == w[1]), "the clock stops while paused: {paused_positions:?}");
    assert_eq!(stats.video.frames_decoded, 50);
    assert_eq!(video.presented.lock().unwrap().len() as u64 + stats.video.frames_dropped, 50);
    assert!(stats.startup_ms.is_some());
    // Decode cost excludes the time a worker waits for playout to take its frames: paced
    // playback holds a worker blocked for most of each 40 ms frame, while decoding a
    // 320x180 picture takes about a millisecond.
    let per_frame = stats.video.mean_decode_ms.unwrap();
    assert!(per_frame < 20.0, "decode cost per frame {per_frame} ms includes waiting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seek_while_paused_shows_the_picture_at_the_target() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let config = PlayerConfig { untimed: false, ..common::untimed(LevelPin::Min) };
    let session = smoothplay::engine::session::Session::open(&small(), config).await.unwrap();
    // Stops the session once the picture at the seek target is shown.
    struct Sink {
        tx: tokio::sync::mpsc::UnboundedSender<Command>,
        presented: Vec<Duration>,
    }
    impl smoothplay::engine::session::VideoSink for Sink {
        fn present(&mut self, f: &smoothplay::engine::decode::VideoFrame) -> Result<(), smoothplay::engine::session::SinkError> {
            self.presented.push(f.pts.to_duration());
            if f.pts.to_duration() >= Duration::from_secs(6) {
                let _ = self.tx.send(Command::Stop);
            }
            Ok(())
        }
    }
    let mut sink = Sink { tx: tx.clone(), presented: Vec::new() };
    let mut audio = smoothplay::engine::session::NullAudioSink;
    let mut paused_at_seek = None;
    let mut asked = false;
    let played = tokio::time::timeout(
        Duration::from_secs(30),
        session.play(&mut sink, &mut audio, Some(rx), &mut |e| match e {
            PlayerEvent::Playing if !asked => {
                asked = true;
                let _ = tx.send(Command::Pause);
                let _ = tx.send(Command::Seek(Duration::from_secs(6)));
            }
            PlayerEvent::Status(s) if asked && s.position == Duration::from_secs(6) => paused_at_seek = Some(s.paused),
            _ => {}
        }),
    )
    .await
    .expect("the picture at the target is shown while paused, within 30 s")
    .unwrap();
    assert_eq!(sink.presented.last(), Some(&Duration::from_secs(6)), "{:?}", sink.presented);
    assert!(sink.presented.len() <= 4, "paused: nothing played after the seek: {:?}", sink.presented);
    assert_eq!(played.ended_by, smoothplay::engine::session::EndReason::Stopped);
    assert_ne!(paused_at_seek, Some(false), "the clock did not start");
}
