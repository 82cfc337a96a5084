//! File outputs for decoded video: framemd5 checksums and YUV4MPEG2 dumps.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use smoothplay_engine::decode::{FrameMd5Writer, VideoFrame, Y4mWriter};
use smoothplay_engine::session::{SinkError, VideoSink};

/// `--framemd5`: one line per decoded frame, in ffmpeg's format.
pub struct FrameMd5Sink(Option<FrameMd5Writer<BufWriter<File>>>);

impl FrameMd5Sink {
    /// Creates the file; `timescale` is the video stream's (the `#tb` line).
    pub fn create(path: &Path, timescale: u64) -> std::io::Result<Self> {
        Ok(FrameMd5Sink(Some(FrameMd5Writer::new(BufWriter::new(File::create(path)?), timescale))))
    }
}

impl VideoSink for FrameMd5Sink {
    fn decoded(&mut self, frame: &VideoFrame) -> Result<(), SinkError> {
        if let Some(w) = self.0.as_mut() {
            w.write_frame(frame)?;
        }
        Ok(())
    }
    fn present(&mut self, _frame: &VideoFrame) -> Result<(), SinkError> {
        Ok(())
    }
    fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(w) = self.0.take() {
            use std::io::Write;
            w.finish()?.flush()?;
        }
        Ok(())
    }
}

/// `--dump-video`: every decoded frame as YUV4MPEG2.
pub struct Y4mSink(Option<Y4mWriter<BufWriter<File>>>);

impl Y4mSink {
    /// Creates the file.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Ok(Y4mSink(Some(Y4mWriter::new(BufWriter::new(File::create(path)?), None))))
    }
}

impl VideoSink for Y4mSink {
    fn decoded(&mut self, frame: &VideoFrame) -> Result<(), SinkError> {
        if let Some(w) = self.0.as_mut() {
            w.write_frame(frame)?;
        }
        Ok(())
    }
    fn present(&mut self, _frame: &VideoFrame) -> Result<(), SinkError> {
        Ok(())
    }
    fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(w) = self.0.take() {
            use std::io::Write;
            w.finish()?.flush()?;
        }
        Ok(())
    }
}
