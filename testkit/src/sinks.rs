//! Sinks that record what the engine produced.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use smoothplay_engine::decode::{AudioBlock, VideoFrame};
use smoothplay_engine::session::{AudioSink, SinkError, VideoSink};

/// One decoded frame as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRecord {
    /// Presentation time.
    pub pts: Duration,
    /// Size.
    pub width: u32,
    /// Size.
    pub height: u32,
    /// md5 of the yuv420p planes.
    pub md5: String,
}

/// Records every decoded frame (md5, pts) and, optionally, the planes.
#[derive(Clone, Default)]
pub struct RecordingVideo {
    /// Decoded frames, in order.
    pub frames: Arc<Mutex<Vec<FrameRecord>>>,
    /// Presented frames' pts, in order.
    pub presented: Arc<Mutex<Vec<Duration>>>,
    /// Raw planes (Y, U, V concatenated), when `keep_planes` is set.
    pub planes: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Keep the planes (memory!).
    pub keep_planes: bool,
}

impl VideoSink for RecordingVideo {
    fn decoded(&mut self, f: &VideoFrame) -> Result<(), SinkError> {
        self.frames.lock().unwrap().push(FrameRecord { pts: f.pts.to_duration(), width: f.width, height: f.height, md5: f.md5_hex() });
        if self.keep_planes {
            let mut v = f.y.clone();
            v.extend_from_slice(&f.u);
            v.extend_from_slice(&f.v);
            self.planes.lock().unwrap().push(v);
        }
        Ok(())
    }
    fn present(&mut self, f: &VideoFrame) -> Result<(), SinkError> {
        self.presented.lock().unwrap().push(f.pts.to_duration());
        Ok(())
    }
}

/// Records every audio sample written.
#[derive(Clone, Default)]
pub struct RecordingAudio {
    /// Interleaved samples.
    pub samples: Arc<Mutex<Vec<f32>>>,
    /// Block start times.
    pub starts: Arc<Mutex<Vec<Duration>>>,
    /// Samples (interleaved values) per block, in order.
    pub lengths: Arc<Mutex<Vec<usize>>>,
}

impl RecordingAudio {
    /// The interleaved samples of the blocks starting in `from..to` (the timeline may
    /// have gaps, as a live stream's can, so blocks are found by their own times).
    pub fn between(&self, from: Duration, to: Duration) -> Vec<f32> {
        let (samples, starts, lengths) = (self.samples.lock().unwrap(), self.starts.lock().unwrap(), self.lengths.lock().unwrap());
        let mut out = Vec::new();
        let mut at = 0;
        for (start, len) in starts.iter().zip(lengths.iter()) {
            if *start >= from && *start < to {
                out.extend_from_slice(&samples[at..at + len]);
            }
            at += len;
        }
        out
    }
}

impl AudioSink for RecordingAudio {
    fn write(&mut self, b: &AudioBlock) -> Result<(), SinkError> {
        self.samples.lock().unwrap().extend_from_slice(&b.samples);
        self.starts.lock().unwrap().push(b.pts.to_duration());
        self.lengths.lock().unwrap().push(b.samples.len());
        Ok(())
    }
}
