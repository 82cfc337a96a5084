//! File outputs for decoded video: framemd5 checksums and YUV4MPEG2 dumps.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use smoothplay_engine::decode::{FrameMd5Writer, VideoFrame, Y4mWriter};
use smoothplay_engine::session::{SinkError, VideoSink};

/// A writer of decoded frames to a file.
pub trait FrameFile: Send {
    /// Appends one frame.
    fn write(&mut self, frame: &VideoFrame) -> std::io::Result<()>;
    /// Finishes and flushes the file.
    fn close(self: Box<Self>) -> std::io::Result<()>;
}

impl FrameFile for FrameMd5Writer<BufWriter<File>> {
    fn write(&mut self, frame: &VideoFrame) -> std::io::Result<()> {
        self.write_frame(frame)
    }
    fn close(self: Box<Self>) -> std::io::Result<()> {
        self.finish()?.flush()
    }
}

impl FrameFile for Y4mWriter<BufWriter<File>> {
    fn write(&mut self, frame: &VideoFrame) -> std::io::Result<()> {
        self.write_frame(frame)
    }
    fn close(self: Box<Self>) -> std::io::Result<()> {
        self.finish()?.flush()
    }
}

/// Writes every decoded frame (in presentation order, dropped ones too) to a file.
pub struct DecodedFrames(Option<Box<dyn FrameFile>>);

impl DecodedFrames {
    /// `--framemd5`: one line per frame in ffmpeg's format; `timescale` is the video
    /// stream's (the `#tb` line).
    pub fn framemd5(path: &Path, timescale: u64) -> std::io::Result<Self> {
        Ok(DecodedFrames(Some(Box::new(FrameMd5Writer::new(BufWriter::new(File::create(path)?), timescale)))))
    }

    /// `--dump-video`: YUV4MPEG2.
    pub fn y4m(path: &Path) -> std::io::Result<Self> {
        Ok(DecodedFrames(Some(Box::new(Y4mWriter::new(BufWriter::new(File::create(path)?), None)))))
    }
}

impl VideoSink for DecodedFrames {
    fn decoded(&mut self, frame: &VideoFrame) -> Result<(), SinkError> {
        if let Some(w) = self.0.as_mut() {
            w.write(frame)?;
        }
        Ok(())
    }
    fn present(&mut self, _frame: &VideoFrame) -> Result<(), SinkError> {
        Ok(())
    }
    fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(w) = self.0.take() {
            w.close()?;
        }
        Ok(())
    }
}
