//! [`Renderer`]: the device callback's logic, a plain method so that tests can drive it
//! with synthetic buffers and instants.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::clock::Written;
use super::control::AudioControl;
use super::ramp::{self, GainRamp};
use super::shared::State;

/// Fills device buffers from the shared queue.
pub struct Renderer {
    shared: Arc<Mutex<State>>,
    control: AudioControl,
    channels: usize,
    rate: u32,
    /// Volume and mute.
    volume: GainRamp,
    /// Fades sound in after silence (start, pause, starvation), so it does not click on.
    gate: GainRamp,
}

impl Renderer {
    /// A renderer for a device of `rate` frames per second and `channels`.
    pub fn new(shared: Arc<Mutex<State>>, control: AudioControl, rate: u32, channels: usize) -> Self {
        let volume = GainRamp::new(control.gain(), rate);
        Renderer { shared, control, channels: channels.max(1), rate, volume, gate: GainRamp::new(0.0, rate) }
    }

    /// Fills `out` (interleaved, the device's channels): called by the device at `at`, the
    /// buffer's first frame to be heard `latency` later (`None` when the backend does not
    /// say: then a buffer's length is assumed).
    pub fn render(&mut self, out: &mut [f32], at: Instant, latency: Option<Duration>) {
        out.fill(0.0);
        let frames = out.len() / self.channels;
        if frames == 0 {
            return;
        }
        let latency = latency
            .filter(|l| !l.is_zero())
            .unwrap_or_else(|| Duration::from_secs_f64(frames as f64 / f64::from(self.rate)));
        let mut fade_in = false;
        let wrote = {
            let mut st = self.shared.lock().unwrap_or_else(|p| p.into_inner());
            st.callbacks += 1;
            st.latency = Some(latency);
            st.buffer_frames = frames;
            if st.paused || st.rate_muted {
                false
            } else {
                match st.take_into(out) {
                    Some((pts, step, n, end_pts)) => {
                        let continues = st.last.is_some_and(|w| !w.ran_dry && (w.end_pts - pts).abs() < 0.001);
                        if !continues {
                            st.run_start = pts;
                            fade_in = true;
                        }
                        if n < frames {
                            st.underruns += 1;
                        }
                        let more_queued = st.queued_frames() > 0;
                        st.errors.pending = false;
                        st.last = Some(Written { at, latency, pts, step, frames: n, buffer_frames: frames, end_pts, ran_dry: n < frames, more_queued });
                        st.waiting_since = more_queued.then_some(at);
                        true
                    }
                    None => {
                        // Nothing queued while playing: the run (if any) has ended.
                        if let Some(w) = st.last.as_mut().filter(|w| !w.ran_dry) {
                            w.ran_dry = true;
                            st.underruns += 1;
                        }
                        false
                    }
                }
            }
        };
        if !wrote {
            self.gate.jump_to(0.0);
            return;
        }
        if fade_in {
            // A new run (start, after a seek or a gap): fade in rather than jump in.
            self.gate.jump_to(0.0);
        }
        self.gate.set_target(1.0);
        self.volume.set_target(self.control.gain());
        ramp::apply(out, self.channels, &mut [&mut self.volume, &mut self.gate]);
    }
}
