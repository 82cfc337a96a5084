//! [`SinkCore`]: the session's side of the output (the engine's `AudioSink` calls), apart
//! from the cpal stream so tests can pair it with a [`super::render::Renderer`] driven by
//! synthetic callbacks.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use smoothplay_engine::decode::AudioBlock;

use super::clock::audible_at;
use super::convert::Converter;
use super::shared::State;

/// Speeds in this range play (resampled by the speed); outside it audio is muted and the
/// session's software clock runs the video.
pub const AUDIBLE_SPEEDS: std::ops::RangeInclusive<f64> = 0.9..=1.1;
/// A device that has taken nothing for this long while data waits is given up on as a
/// clock (positions `None`, video on the software clock) until it takes data again.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Added to the device's own latency and buffer for [`SinkCore::lead`]: the session's loop
/// and the resampler's few ms of look-ahead.
const LEAD_MARGIN: Duration = Duration::from_millis(50);

/// Counters for the stats overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioStats {
    /// Converted audio waiting for the device.
    pub queued: Duration,
    /// The device's latency (callback to playback) at the last callback.
    pub latency: Option<Duration>,
    /// Device buffer, frames.
    pub buffer_frames: usize,
    /// Device callbacks so far.
    pub callbacks: u64,
    /// Callbacks that ran out of queued audio while playing.
    pub underruns: u64,
    /// Underruns the backend reported.
    pub xruns: u64,
    /// Playback speed the audio follows.
    pub speed: f64,
    /// Muted for a speed outside [`AUDIBLE_SPEEDS`].
    pub muted_for_speed: bool,
    /// The resampler is in use.
    pub resampling: bool,
    /// The error that ended the stream, if any.
    pub error: Option<String>,
    /// Transient errors the backend reported (playback went on), and the last one.
    pub transient_errors: u64,
    pub last_transient_error: Option<String>,
}

/// The session's side (see the module docs).
pub struct SinkCore {
    shared: Arc<Mutex<State>>,
    converter: Converter,
    lead: Duration,
    speed: f64,
}

impl SinkCore {
    /// For the state `shared` with a device callback; `lead` is the least look-ahead asked
    /// of the session.
    pub fn new(shared: Arc<Mutex<State>>, lead: Duration) -> Self {
        let (rate, channels) = {
            let st = lock(&shared);
            (st.rate, st.channels)
        };
        SinkCore { shared, converter: Converter::new(rate, channels), lead, speed: 1.0 }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }

    /// `AudioSink::write`.
    pub fn write(&mut self, block: &AudioBlock, now: Instant) {
        if self.state().rate_muted {
            return;
        }
        let chunks = self.converter.push(block);
        let cap = self.cap_frames();
        let mut st = self.state();
        report_errors(&mut st);
        st.push(chunks, now, cap);
    }

    /// The converter's held-back tail, queued (end of stream).
    pub fn drain(&mut self, now: Instant) {
        let chunks = self.converter.drain();
        let cap = self.cap_frames();
        self.state().push(chunks, now, cap);
    }

    /// `AudioSink::lead`: the configured lead, or more if the device buffers more.
    pub fn lead(&self) -> Duration {
        let st = self.state();
        let buffer = Duration::from_secs_f64(st.buffer_frames as f64 / f64::from(st.rate.max(1)));
        self.lead.max(st.latency.unwrap_or_default() + buffer + LEAD_MARGIN)
    }

    /// Queue bound: twice the lead and half a second.
    fn cap_frames(&self) -> usize {
        let rate = self.state().rate;
        ((self.lead() * 2 + Duration::from_millis(500)).as_secs_f64() * f64::from(rate)) as usize
    }

    /// `AudioSink::played_position` (see the crate docs of [`super`]).
    pub fn played_position(&self, now: Instant) -> Option<Duration> {
        let mut st = self.state();
        report_errors(&mut st);
        position(&mut st, now).map(|p| Duration::from_secs_f64(p.max(0.0)))
    }

    /// `AudioSink::set_paused`.
    pub fn set_paused(&mut self, paused: bool, now: Instant) {
        let mut st = self.state();
        if paused == st.paused {
            return;
        }
        if paused {
            st.frozen = position(&mut st, now);
            st.paused = true;
        } else {
            st.paused = false;
            st.frozen = None;
            // What was written before the pause is no guide to what is heard next.
            st.last = None;
            st.waiting_since = (st.queued_frames() > 0).then_some(now);
        }
    }

    /// `AudioSink::set_rate`.
    pub fn set_rate(&mut self, rate: f64) {
        self.speed = rate;
        let audible = AUDIBLE_SPEEDS.contains(&rate);
        let mut st = lock(&self.shared);
        if audible {
            if st.rate_muted {
                st.rate_muted = false;
                st.flush();
                self.converter.flush();
                tracing::debug!("audio: speed {rate:.2}, audible again");
            }
            self.converter.set_speed(rate);
        } else if !st.rate_muted {
            st.rate_muted = true;
            st.flush();
            self.converter.flush();
            tracing::info!("audio muted at speed {rate:.2} (audio plays only between 0.9x and 1.1x)");
        }
    }

    /// `AudioSink::flush`.
    pub fn flush(&mut self) {
        self.state().flush();
        self.converter.flush();
    }

    /// Frames waiting for the device, and whether it is taking them (not paused, muted or
    /// stalled), for `finish` to wait on.
    pub fn pending(&self, now: Instant) -> (Duration, bool) {
        let st = self.state();
        let queued = Duration::from_secs_f64(st.queued_frames() as f64 / f64::from(st.rate.max(1)));
        let taking = !st.paused && !st.rate_muted && !stalled(&st, now);
        (queued, taking)
    }

    /// Counters for the stats overlay.
    pub fn stats(&self) -> AudioStats {
        let st = self.state();
        AudioStats {
            queued: Duration::from_secs_f64(st.queued_frames() as f64 / f64::from(st.rate.max(1))),
            latency: st.latency,
            buffer_frames: st.buffer_frames,
            callbacks: st.callbacks,
            underruns: st.underruns,
            xruns: st.errors.xruns,
            speed: self.speed,
            muted_for_speed: st.rate_muted,
            resampling: self.converter.is_resampling(),
            error: st.errors.fatal.clone(),
            transient_errors: st.errors.transient,
            last_transient_error: st.errors.last_transient.clone(),
        }
    }
}

fn lock(shared: &Mutex<State>) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

fn stalled(st: &State, now: Instant) -> bool {
    !st.paused && st.waiting_since.is_some_and(|t| now.saturating_duration_since(t) >= STALL_TIMEOUT)
}

/// The media time audible at `now`, seconds (see [`super::clock`]).
fn position(st: &mut State, now: Instant) -> Option<f64> {
    if st.errors.pending || st.rate_muted {
        return None;
    }
    if st.paused {
        return st.frozen;
    }
    if stalled(st, now) {
        if !st.stall_warned {
            st.stall_warned = true;
            tracing::warn!(
                "the audio device has taken no audio for {} s: video runs on the software clock until it does",
                STALL_TIMEOUT.as_secs()
            );
        }
        return None;
    }
    match st.last {
        // After a gap, audio queued again is what will be heard next.
        Some(w) => audible_at(&w, st.run_start, st.rate, now).or_else(|| st.head_pts()),
        // Queued, not yet taken (a device starting up): video waits for the sound.
        None => st.head_pts(),
    }
}

/// Logs device errors the first time they are seen.
fn report_errors(st: &mut State) {
    let e = &mut st.errors;
    if let (Some(msg), false) = (&e.fatal, e.fatal_reported) {
        tracing::warn!("audio device error: {msg}; video runs on the software clock from now on");
        e.fatal_reported = true;
    }
    if let (Some(msg), false) = (&e.last_transient, e.transient_reported) {
        tracing::warn!("audio device error: {msg} (playback goes on; further ones are counted in the stats)");
        e.transient_reported = true;
    }
    if e.xruns > 0 && !e.xrun_reported {
        tracing::warn!("the audio device reported an underrun (audio may glitch; further ones are counted in the stats)");
        e.xrun_reported = true;
    }
    for n in &e.notices[e.notices_reported..] {
        tracing::info!("audio device: {n}");
    }
    e.notices_reported = e.notices.len();
}

#[cfg(test)]
mod tests;
