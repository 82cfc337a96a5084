//! [`GainRamp`]: a gain that moves linearly to a new value over [`RAMP_TIME`], so volume,
//! mute and the start of sound after silence never jump (a jump in gain is a click).

use std::time::Duration;

/// How long a change of gain takes.
pub const RAMP_TIME: Duration = Duration::from_millis(10);

/// A per-frame gain ramping towards a target (sans-I/O).
#[derive(Debug, Clone)]
pub struct GainRamp {
    current: f32,
    target: f32,
    /// Change per frame of the ramp in progress.
    step: f32,
    ramp_frames: u32,
}

impl GainRamp {
    /// A ramp at `gain` for a stream of `sample_rate` frames per second.
    pub fn new(gain: f32, sample_rate: u32) -> Self {
        let ramp_frames = ((u64::from(sample_rate) * RAMP_TIME.as_micros() as u64) / 1_000_000).max(1) as u32;
        GainRamp { current: gain, target: gain, step: 0.0, ramp_frames }
    }

    /// Moves towards `target` from wherever the gain is now, taking [`RAMP_TIME`].
    pub fn set_target(&mut self, target: f32) {
        if target == self.target {
            return;
        }
        self.target = target;
        let distance = (target - self.current).abs();
        self.step = distance / self.ramp_frames as f32;
        if distance < 1e-6 {
            self.current = target;
        }
    }

    /// Sets the gain at once (only where the output is silent anyway).
    pub fn jump_to(&mut self, gain: f32) {
        self.current = gain;
        self.target = gain;
        self.step = 0.0;
    }

    /// The gain for the next frame.
    pub fn next_gain(&mut self) -> f32 {
        if self.current < self.target {
            self.current = (self.current + self.step).min(self.target);
        } else if self.current > self.target {
            self.current = (self.current - self.step).max(self.target);
        }
        self.current
    }

    /// The gain now.
    pub fn current(&self) -> f32 {
        self.current
    }

    /// The gain being moved to.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// Frames a full change takes.
    pub fn ramp_frames(&self) -> u32 {
        self.ramp_frames
    }
}

/// Multiplies interleaved `frames` of `channels` channels by the ramps, frame by frame.
pub fn apply(samples: &mut [f32], channels: usize, ramps: &mut [&mut GainRamp]) {
    for frame in samples.chunks_exact_mut(channels.max(1)) {
        let gain: f32 = ramps.iter_mut().map(|r| r.next_gain()).product();
        frame.iter_mut().for_each(|s| *s *= gain);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_the_target_in_ten_ms() {
        let mut r = GainRamp::new(1.0, 48_000);
        assert_eq!(r.ramp_frames(), 480);
        r.set_target(0.0);
        let gains: Vec<f32> = (0..480).map(|_| r.next_gain()).collect();
        assert!(gains[0] < 1.0 && gains[0] > 0.99);
        assert!(gains[239] > 0.49 && gains[239] < 0.51, "{}", gains[239]);
        assert!(gains[479].abs() < 1e-4, "{}", gains[479]);
        assert_eq!(r.next_gain(), 0.0);
    }

    #[test]
    fn no_jump_larger_than_the_ramp_step_whatever_the_changes() {
        // DC input at full scale; the target changes every few ms, often mid-ramp, between
        // silence and the loudest volume. Consecutive output samples never differ by more than
        // a full-range change spread over the ramp.
        let mut r = GainRamp::new(1.0, 48_000);
        let max_step = 1.3 / r.ramp_frames() as f32 + 1e-6;
        let targets = [0.0, 1.3, 0.2, 0.9, 0.0, 0.0, 1.3, 1.0, 0.5];
        let mut out = Vec::new();
        for (i, &t) in targets.iter().enumerate() {
            r.set_target(t);
            let mut block = vec![1.0f32; 2 * (97 + 61 * i)];
            apply(&mut block, 2, &mut [&mut r]);
            out.extend(block);
        }
        let worst = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
        assert!(worst <= max_step, "jump {worst} > {max_step}");
        assert!(worst > 0.0);
        // Both channels of a frame get the same gain.
        assert!(out.chunks_exact(2).all(|f| f[0] == f[1]));
    }

    #[test]
    fn two_ramps_multiply() {
        let mut vol = GainRamp::new(0.5, 1000);
        let mut gate = GainRamp::new(1.0, 1000);
        let mut s = vec![1.0f32; 4];
        apply(&mut s, 1, &mut [&mut vol, &mut gate]);
        assert_eq!(s, vec![0.5; 4]);
    }
}
