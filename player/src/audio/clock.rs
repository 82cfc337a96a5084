//! What is audible now, from the device's last callback (sans-I/O).
//!
//! A callback at instant `at` writes a buffer whose first frame the device will play
//! `latency` later (cpal's `playback - callback`). Frames play at the device rate, each
//! standing for `step` seconds of media, so at `now` the media time audible is
//!
//! ```text
//! pts + (now - (at + latency)) * rate * step
//! ```
//!
//! That line is valid back to the start of the current run of audio (before it, the
//! device was silent: nothing older is heard, so the position is held at the run's start
//! and video waits for the sound) and forward to the end of what the callback wrote; past
//! that, if more audio was queued, at most one more buffer (the next callback is due and
//! will continue the run); if the buffer ran dry, the device is playing silence: no
//! position.

use std::time::{Duration, Instant};

/// What one callback wrote, as far as the clock cares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Written {
    /// When the callback ran.
    pub at: Instant,
    /// From the callback to when its first frame is heard.
    pub latency: Duration,
    /// Media time of the first frame written, seconds.
    pub pts: f64,
    /// Media time per device frame, seconds.
    pub step: f64,
    /// Frames of audio written (the rest of the buffer, if any, was silence).
    pub frames: usize,
    /// Frames in the device buffer.
    pub buffer_frames: usize,
    /// Media time just after the last frame written.
    pub end_pts: f64,
    /// No more audio followed: this buffer or the next callback ran out of data.
    pub ran_dry: bool,
    /// Audio was left in the queue after this callback (the next one can continue the run).
    pub more_queued: bool,
}

/// The media time audible at `now` (seconds), given the last callback that wrote audio,
/// the media time where the current run of audio began, and the device rate; `None` once
/// the run's last frame has been heard and nothing followed (starvation).
pub fn audible_at(w: &Written, run_start: f64, device_rate: u32, now: Instant) -> Option<f64> {
    let heard_from = w.at + w.latency;
    // Device frames played since the buffer's first frame became audible (negative: not yet).
    let since = if now >= heard_from {
        now.duration_since(heard_from).as_secs_f64()
    } else {
        -heard_from.duration_since(now).as_secs_f64()
    };
    let frames = since * f64::from(device_rate);
    if frames > w.frames as f64 && w.ran_dry {
        return None;
    }
    let upper = if w.ran_dry || !w.more_queued { w.end_pts } else { w.end_pts + w.buffer_frames as f64 * w.step };
    let position = w.pts + frames * w.step;
    Some(position.clamp(run_start.min(w.pts), upper))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn written(at: Instant) -> Written {
        // 480 frames at 48 kHz (10 ms) from media 5 s, heard 30 ms after the callback.
        Written { at, latency: ms(30), pts: 5.0, step: 1.0 / 48_000.0, frames: 480, buffer_frames: 480, end_pts: 5.01, ran_dry: false, more_queued: true }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn the_first_frame_is_heard_after_the_latency() {
        let t0 = Instant::now();
        let w = written(t0);
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(30)), 5.0));
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(35)), 5.005));
        // Before: the previous buffers of the same run are playing.
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(10)), 4.98));
        assert!(close(audible_at(&w, 4.0, 48_000, t0), 4.97));
    }

    #[test]
    fn a_new_run_holds_at_its_start_until_heard() {
        let t0 = Instant::now();
        let w = written(t0);
        assert!(close(audible_at(&w, 5.0, 48_000, t0), 5.0));
        assert!(close(audible_at(&w, 5.0, 48_000, t0 + ms(29)), 5.0));
        assert!(close(audible_at(&w, 5.0, 48_000, t0 + ms(31)), 5.001));
    }

    #[test]
    fn a_late_callback_is_bridged_by_one_buffer_at_most() {
        let t0 = Instant::now();
        let w = written(t0);
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(45)), 5.015));
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(500)), 5.02));
        // Nothing more queued: no bridging.
        let w = Written { more_queued: false, ..w };
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(45)), 5.01));
    }

    #[test]
    fn starvation_gives_no_position_once_the_last_frame_is_heard() {
        let t0 = Instant::now();
        let w = Written { frames: 240, end_pts: 5.005, ran_dry: true, ..written(t0) };
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(34)), 5.004));
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(35)), 5.005));
        assert_eq!(audible_at(&w, 4.0, 48_000, t0 + ms(36)), None);
    }

    #[test]
    fn speed_scales_media_time_per_frame() {
        let t0 = Instant::now();
        let w = Written { step: 1.05 / 48_000.0, end_pts: 5.0 + 480.0 * 1.05 / 48_000.0, ..written(t0) };
        assert!(close(audible_at(&w, 4.0, 48_000, t0 + ms(40)), 5.0105));
    }
}
