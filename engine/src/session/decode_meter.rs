//! How well the video decoder keeps up: the input of CPU-aware quality selection.

use std::collections::VecDeque;
use std::time::Duration;

use smoothplay_heuristics::DecodeCapacity;

/// Fragments in the sliding window.
const WINDOW: usize = 4;

/// Decode cost over the last few fragments, and late drops since the window began.
#[derive(Debug, Default)]
pub(super) struct DecodeMeter {
    window: VecDeque<(u64, Duration)>,
    dropped: u64,
    total_frames: u64,
    total_time: Duration,
}

impl DecodeMeter {
    /// A fragment of `frames` pictures cost `time` to parse, decrypt and decode.
    pub fn fragment(&mut self, frames: u64, time: Duration) {
        self.window.push_back((frames, time));
        self.total_frames += frames;
        self.total_time += time;
        if self.window.len() > WINDOW {
            self.window.pop_front();
            self.dropped = 0;
        }
    }

    /// A picture was dropped for lateness.
    pub fn dropped(&mut self) {
        self.dropped += 1;
    }

    /// The window as the selector sees it; `None` before the first fragment.
    pub fn capacity(&self, level: usize, frame_duration: Duration) -> Option<DecodeCapacity> {
        let frames: u64 = self.window.iter().map(|w| w.0).sum();
        let time: Duration = self.window.iter().map(|w| w.1).sum();
        let per_frame = time.checked_div(u32::try_from(frames).ok()?)?;
        Some(DecodeCapacity {
            decode_time_per_frame: per_frame,
            frame_duration,
            frames_decoded: frames,
            frames_dropped: self.dropped,
            level,
        })
    }

    /// Mean cost per picture over the whole playback, in ms.
    pub fn mean_ms(&self) -> Option<f64> {
        (self.total_frames > 0).then(|| self.total_time.as_secs_f64() * 1000.0 / self.total_frames as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn window_keeps_the_last_four_fragments() {
        let mut m = DecodeMeter::default();
        assert!(m.capacity(0, MS(40)).is_none());
        m.fragment(50, MS(500)); // 10 ms per frame
        m.dropped();
        let c = m.capacity(2, MS(40)).unwrap();
        assert_eq!((c.decode_time_per_frame, c.frames_decoded, c.frames_dropped, c.level), (MS(10), 50, 1, 2));
        for _ in 0..4 {
            m.fragment(50, MS(1000)); // 20 ms per frame
        }
        let c = m.capacity(2, MS(40)).unwrap();
        assert_eq!((c.decode_time_per_frame, c.frames_decoded, c.frames_dropped), (MS(20), 200, 0));
        assert_eq!(m.mean_ms(), Some(4500.0 / 250.0));
    }
}
