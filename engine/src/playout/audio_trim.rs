//! Audio trimming after a seek: playback resumes at the exact sample.

use std::time::Duration;

use crate::decode::AudioBlock;
use crate::time::MediaTime;

/// Drops the sample frames of `block` before `t` (rounded to the nearest frame) and moves
/// its start time to `t`; returns false when nothing is left.
pub fn trim_audio_before(block: &mut AudioBlock, t: Duration) -> bool {
    let start = block.pts.to_duration();
    if start >= t {
        return true;
    }
    let ch = usize::from(block.channels.max(1));
    let skip_frames = ((t - start).as_secs_f64() * f64::from(block.sample_rate)).round() as usize;
    let skip = skip_frames.saturating_mul(ch);
    if skip >= block.samples.len() {
        return false;
    }
    block.samples.drain(..skip);
    block.pts = MediaTime::from_duration(t, block.pts.timescale);
    true
}

/// Drops the sample frames of `block` from `t` on (rounded to the nearest frame); returns
/// false when nothing is left.
pub fn trim_audio_after(block: &mut AudioBlock, t: Duration) -> bool {
    let start = block.pts.to_duration();
    if t <= start {
        return false;
    }
    let ch = usize::from(block.channels.max(1));
    let keep = (((t - start).as_secs_f64() * f64::from(block.sample_rate)).round() as usize).saturating_mul(ch);
    if keep == 0 {
        return false;
    }
    block.samples.truncate(keep);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(start_ms: u64) -> AudioBlock {
        // 1024 stereo frames at 48 kHz = 21.33 ms, sample value = frame index.
        let samples = (0..1024).flat_map(|i| [i as f32, i as f32]).collect();
        AudioBlock { pts: MediaTime::new(start_ms * 10_000, 10_000_000), sample_rate: 48_000, channels: 2, samples }
    }

    #[test]
    fn trims_to_the_sample_and_moves_the_start() {
        let mut b = block(1000);
        assert!(trim_audio_before(&mut b, Duration::from_millis(1010)));
        assert_eq!(b.samples.len(), (1024 - 480) * 2, "10 ms = 480 frames at 48 kHz");
        assert_eq!(b.samples[0], 480.0);
        assert_eq!(b.pts.to_duration(), Duration::from_millis(1010));
    }

    #[test]
    fn keeps_later_blocks_and_drops_earlier_ones() {
        let mut later = block(2000);
        assert!(trim_audio_before(&mut later, Duration::from_millis(1999)));
        assert_eq!(later.samples.len(), 2048);
        let mut earlier = block(1000);
        assert!(!trim_audio_before(&mut earlier, Duration::from_millis(1030)));
    }

    #[test]
    fn trims_the_tail_at_a_boundary() {
        let mut b = block(1000);
        assert!(trim_audio_after(&mut b, Duration::from_millis(1010)));
        assert_eq!(b.samples.len(), 480 * 2);
        assert_eq!(b.pts.to_duration(), Duration::from_millis(1000));
        let mut whole = block(1000);
        assert!(trim_audio_after(&mut whole, Duration::from_millis(1100)));
        assert_eq!(whole.samples.len(), 2048);
        assert!(!trim_audio_after(&mut block(1000), Duration::from_millis(1000)));
    }
}
