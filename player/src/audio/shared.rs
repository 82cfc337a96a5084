//! The state the device callback and the sink share, under one mutex: the queue of
//! converted audio, what the last callbacks wrote, pause/mute flags, device errors.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::clock::Written;
use super::convert::Chunk;

/// Device errors as reported by cpal's error callback.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ErrorLog {
    /// An error that ends the stream (device gone, stream invalidated); positions are
    /// `None` from it until the device writes audio again (in practice: for good).
    pub fatal: Option<String>,
    /// A fatal error is newer than the last callback that wrote audio.
    pub pending: bool,
    /// Other errors: cpal's ALSA loop reports them and goes on with the next period
    /// (ALSA's PulseAudio plugin fails `snd_pcm_avail_delay` with EIO now and then). Counted;
    /// a device that stops playing for good is caught by the stall timeout.
    pub transient: u64,
    pub last_transient: Option<String>,
    pub transient_reported: bool,
    /// Underruns/overruns the backend reported (playback goes on).
    pub xruns: u64,
    /// Other transient reports (route changed, real-time priority refused).
    pub notices: Vec<String>,
    /// What the sink has already logged.
    pub fatal_reported: bool,
    pub xrun_reported: bool,
    pub notices_reported: usize,
}

/// The shared state (see the module docs).
#[derive(Debug)]
pub struct State {
    /// Device frames per second and channels.
    pub rate: u32,
    pub channels: usize,
    queue: VecDeque<Chunk>,
    /// Frames of the front chunk already played.
    front_offset: usize,
    queued_frames: usize,
    /// Session paused (or rebuffering): output silence, consume nothing.
    pub paused: bool,
    /// What was audible when paused.
    pub frozen: Option<f64>,
    /// Speed far from 1x: silence, positions `None`.
    pub rate_muted: bool,
    /// The last callback that wrote audio since the last flush/resume.
    pub last: Option<Written>,
    /// Media time where the current run of audio began.
    pub run_start: f64,
    /// Latency and buffer size of the last callback.
    pub latency: Option<Duration>,
    pub buffer_frames: usize,
    /// Since when data has been queued without the device taking any (stall detection).
    pub waiting_since: Option<Instant>,
    /// The stall has been logged.
    pub stall_warned: bool,
    /// Callbacks so far, and those that ran out of data while playing.
    pub callbacks: u64,
    pub underruns: u64,
    pub errors: ErrorLog,
}

impl State {
    /// Empty, for a device at `rate` with `channels`.
    pub fn new(rate: u32, channels: usize) -> Self {
        State {
            rate,
            channels: channels.max(1),
            queue: VecDeque::new(),
            front_offset: 0,
            queued_frames: 0,
            paused: false,
            frozen: None,
            rate_muted: false,
            last: None,
            run_start: 0.0,
            latency: None,
            buffer_frames: 0,
            waiting_since: None,
            stall_warned: false,
            callbacks: 0,
            underruns: 0,
            errors: ErrorLog::default(),
        }
    }

    /// Queues converted audio; keeps at most `cap_frames` (dropping the oldest: a device
    /// that stopped taking data must not make the queue grow without bound).
    pub fn push(&mut self, chunks: Vec<Chunk>, now: Instant, cap_frames: usize) {
        for c in chunks {
            let frames = c.frames(self.channels);
            if frames == 0 {
                continue;
            }
            if self.queued_frames == 0 && self.waiting_since.is_none() {
                self.waiting_since = Some(now);
            }
            self.queued_frames += frames;
            self.queue.push_back(c);
        }
        while self.queued_frames > cap_frames {
            let Some(front) = self.queue.front() else { break };
            let left = front.frames(self.channels) - self.front_offset;
            let drop = left.min(self.queued_frames - cap_frames);
            self.advance(drop);
        }
    }

    /// Media time of the next frame to play.
    pub fn head_pts(&self) -> Option<f64> {
        self.queue.front().map(|c| c.pts + c.step * self.front_offset as f64)
    }

    /// Frames queued.
    pub fn queued_frames(&self) -> usize {
        self.queued_frames
    }

    /// Drops everything queued and what the clock knew (a seek, a speed out of range).
    pub fn flush(&mut self) {
        self.queue.clear();
        self.front_offset = 0;
        self.queued_frames = 0;
        self.last = None;
        self.waiting_since = None;
    }

    /// Copies up to `out.len() / channels` frames from the queue into `out`, consuming them.
    /// Returns the first frame's media time and step, the frames copied and the media time
    /// after the last one.
    pub fn take_into(&mut self, out: &mut [f32]) -> Option<(f64, f64, usize, f64)> {
        let ch = self.channels;
        let want = out.len() / ch;
        let (pts, step) = (self.head_pts()?, self.queue.front()?.step);
        let mut done = 0;
        let mut end = pts;
        while done < want {
            let Some(front) = self.queue.front() else { break };
            let n = (front.frames(ch) - self.front_offset).min(want - done);
            let from = self.front_offset * ch;
            out[done * ch..(done + n) * ch].copy_from_slice(&front.samples[from..from + n * ch]);
            end = front.pts + front.step * (self.front_offset + n) as f64;
            done += n;
            self.advance(n);
        }
        Some((pts, step, done, end))
    }

    fn advance(&mut self, frames: usize) {
        self.front_offset += frames;
        self.queued_frames -= frames;
        if let Some(front) = self.queue.front() {
            if self.front_offset >= front.frames(self.channels) {
                self.queue.pop_front();
                self.front_offset = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(pts: f64, frames: usize, value: f32) -> Chunk {
        Chunk { pts, step: 0.001, samples: vec![value; frames * 2] }
    }

    #[test]
    fn takes_across_chunks_with_times() {
        let now = Instant::now();
        let mut s = State::new(1000, 2);
        s.push(vec![chunk(1.0, 3, 0.1), chunk(1.003, 3, 0.2)], now, 1000);
        let mut out = vec![0.0; 8];
        let (pts, step, n, end) = s.take_into(&mut out).unwrap();
        assert_eq!((pts, step, n), (1.0, 0.001, 4));
        assert!((end - 1.004).abs() < 1e-12);
        assert_eq!(out, vec![0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.2]);
        assert!((s.head_pts().unwrap() - 1.004).abs() < 1e-12);
        let (_, _, n, _) = s.take_into(&mut out).unwrap();
        assert_eq!(n, 2);
        assert_eq!(s.take_into(&mut out), None);
    }

    #[test]
    fn the_cap_drops_the_oldest() {
        let now = Instant::now();
        let mut s = State::new(1000, 2);
        s.push(vec![chunk(1.0, 10, 0.1), chunk(1.01, 10, 0.2)], now, 15);
        assert_eq!(s.queued_frames(), 15);
        assert!((s.head_pts().unwrap() - 1.005).abs() < 1e-12);
    }
}
