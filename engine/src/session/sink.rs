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
pub trait AudioSink: Send {
    /// Decoded audio whose time has come (in order, trimmed after seeks).
    fn write(&mut self, block: &AudioBlock) -> Result<(), SinkError>;
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
