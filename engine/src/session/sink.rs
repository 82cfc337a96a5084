use std::time::{Duration, Instant};

use crate::decode::{AudioBlock, VideoFrame};

/// An error a sink reports; playback stops with it (a full disk, a closed window).
#[derive(thiserror::Error, Debug)]
#[error("{0}")]
pub struct SinkError(pub String);

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> Self {
        SinkError(e.to_string())
    }
}

/// Where video frames go: a window, a file, a checksum list.
pub trait VideoSink: Send {
    /// Every decoded frame, in presentation order, before pacing (frames dropped for
    /// lateness are still seen here): checksum writers and dumps hook in here.
    fn decoded(&mut self, _frame: &VideoFrame) -> Result<(), SinkError> {
        Ok(())
    }
    /// A frame whose presentation time has come (a window shows it now).
    fn present(&mut self, frame: &VideoFrame) -> Result<(), SinkError>;
    /// End of playback: flush files.
    fn finish(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Where audio goes: a sound device, a file, nowhere.
///
/// A sink that plays on its own clock (a sound card) says how far ahead it wants audio
/// ([`lead`](Self::lead)) and what is audible now ([`played_position`](Self::played_position));
/// the session's clock then follows the device, so video stays in sync with what is heard.
pub trait AudioSink: Send {
    /// Decoded audio, in order, trimmed after seeks: blocks arrive up to
    /// [`lead`](Self::lead) before their presentation time.
    fn write(&mut self, block: &AudioBlock) -> Result<(), SinkError>;
    /// How far ahead of the playhead the sink wants its blocks (a device's buffer). Zero
    /// (the default): each block arrives when its time has come.
    fn lead(&self) -> Duration {
        Duration::ZERO
    }
    /// The media time audible at `now`, for a sink that plays on its own clock; `None`
    /// while it is idle, starved, muted for trick play, or has no clock (the default).
    /// While it is `Some`, the session's playback clock is slaved to it.
    fn played_position(&self, _now: Instant) -> Option<Duration> {
        None
    }
    /// The session's clock stopped (pause, rebuffering: `true`) or runs again (`false`).
    fn set_paused(&mut self, _paused: bool) {}
    /// The playback rate changed (1.0 normal; live edge following nudges it by a few %,
    /// the user's speed control by more).
    fn set_rate(&mut self, _rate: f64) {}
    /// Everything written and not yet played is stale (a seek): drop it.
    fn flush(&mut self) {}
    /// End of playback.
    fn finish(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Discards frames (headless playback that only measures).
#[derive(Debug, Default)]
pub struct NullVideoSink;

impl VideoSink for NullVideoSink {
    fn present(&mut self, _frame: &VideoFrame) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Discards audio (no audio device).
#[derive(Debug, Default)]
pub struct NullAudioSink;

impl AudioSink for NullAudioSink {
    fn write(&mut self, _block: &AudioBlock) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Fans out to several video sinks.
#[derive(Default)]
pub struct VideoSinks(pub Vec<Box<dyn VideoSink>>);

impl VideoSink for VideoSinks {
    fn decoded(&mut self, frame: &VideoFrame) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.decoded(frame))
    }
    fn present(&mut self, frame: &VideoFrame) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.present(frame))
    }
    fn finish(&mut self) -> Result<(), SinkError> {
        self.0.iter_mut().try_for_each(|s| s.finish())
    }
}
