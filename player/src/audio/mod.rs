//! Audio output on the sound card (cpal), as the session's [`AudioSink`] and master clock.
//!
//! - [`open`] a device (the default, or one of [`list_devices`]) at its default rate,
//!   channels and sample format; an [`AudioOutput`] is the session's audio sink.
//! - Decoded blocks are converted ([`convert`]: channel mapping, resampling to the device
//!   rate and by the playback speed) and queued, a little ahead ([`AudioSink::lead`], about
//!   150 ms, more if the device buffers more).
//! - The device callback ([`render`]) plays the queue and notes, per callback, the media
//!   time of its first frame, when it ran and the device latency; [`clock`] turns that into
//!   the media time audible now, which the session's clock follows.
//! - Volume and mute ([`AudioControl`], any thread) ramp over 10 ms ([`ramp`]).
//!
//! Where the sound does not drive the clock (`played_position` is `None`; video runs on
//! the session's software clock): while starved (nothing queued: a gap must not freeze the
//! video), **at speeds other than about 1x** (outside 0.9-1.1x audio is muted), after a
//! device error, and when the device has taken nothing for 3 s with audio waiting (a
//! stalled or broken device). Before the device starts (PulseAudio takes 1-2 s), the first
//! queued frame's time is reported, so video waits for the sound.
//!
//! Pausing outputs silence and consumes nothing; what the device had already buffered
//! (its latency, tens of ms) still plays out.

pub mod channels;
pub mod clock;
pub mod control;
pub mod convert;
mod device;
pub mod ramp;
pub mod render;
pub mod shared;
mod sink;

use std::time::{Duration, Instant};

use smoothplay_engine::decode::AudioBlock;
use smoothplay_engine::session::{AudioSink, SinkError};

pub use control::{AudioControl, MAX_VOLUME};
pub use device::list_devices;
pub use sink::{AudioStats, SinkCore, AUDIBLE_SPEEDS, STALL_TIMEOUT};

/// Why no audio output could be opened.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AudioError {
    /// The system has no default output device (no sound card, no sound server).
    #[error("no audio output device")]
    NoDevice,
    /// No output device has that name.
    #[error("no audio output device named {name:?} (available: {})", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    DeviceNotFound {
        /// The name asked for.
        name: String,
        /// The names there are.
        available: Vec<String>,
    },
    /// The device's configuration could not be read.
    #[error("audio device configuration: {0}")]
    Config(String),
    /// The device's sample format is not one this player writes.
    #[error("audio device sample format {0} is not supported")]
    UnsupportedFormat(String),
    /// The audio backend refused (opening the stream, starting it).
    #[error("audio device: {0}")]
    Backend(String),
}

/// Options for [`open`].
#[derive(Debug, Clone, PartialEq)]
pub struct OutputConfig {
    /// How far ahead of the playhead audio is queued, at least (default 400 ms; more is
    /// asked for when the device itself buffers more). It is what absorbs the session's
    /// wake-up delays on a loaded machine: with 150 ms, two cores at load 7 starved the
    /// device often enough that playback ran at 0.42x (scripts/av-sync.sh). It costs no
    /// latency: the clock is what is heard, pause stops the device, seeks flush.
    pub lead: Duration,
    /// Device period to ask for (default 20 ms); `None` leaves the backend's default
    /// (which, through ALSA's PulseAudio plugin, can be large).
    pub period: Option<Duration>,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig { lead: Duration::from_millis(400), period: Some(Duration::from_millis(20)) }
    }
}

/// What the device was opened with, for the stats overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputInfo {
    /// Identifier (as [`list_devices`] gives it).
    pub device_id: String,
    /// Human-readable name.
    pub device_name: String,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
    /// Sample format (`f32`, `i16`, ...).
    pub sample_format: String,
    /// Period asked for, frames (`None`: the backend's default).
    pub buffer_size: Option<u32>,
}

/// An open sound device playing what the session writes: implements [`AudioSink`].
pub struct AudioOutput {
    core: SinkCore,
    control: AudioControl,
    info: OutputInfo,
    // Last: dropping it stops the device.
    _stream: cpal::Stream,
}

impl std::fmt::Debug for AudioOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioOutput").field("info", &self.info).finish()
    }
}

/// Opens the output device named `name` (see [`list_devices`]; `None`: the default one) and
/// starts it (silent until audio is written).
pub fn open(name: Option<&str>, config: &OutputConfig) -> Result<AudioOutput, AudioError> {
    let device = device::find(name)?;
    let control = AudioControl::new();
    let (stream, shared, info) = device::start(&device, config, control.clone())?;
    tracing::debug!(?info, "audio output opened");
    Ok(AudioOutput { core: SinkCore::new(shared, config.lead), control, info, _stream: stream })
}

impl AudioOutput {
    /// The device and its format.
    pub fn info(&self) -> &OutputInfo {
        &self.info
    }

    /// A handle to set the volume and mute from another thread.
    pub fn control(&self) -> AudioControl {
        self.control.clone()
    }

    /// Counters (queue, latency, underruns, errors).
    pub fn stats(&self) -> AudioStats {
        self.core.stats()
    }
}

impl AudioSink for AudioOutput {
    fn write(&mut self, block: &AudioBlock) -> Result<(), SinkError> {
        self.core.write(block, Instant::now());
        Ok(())
    }
    fn lead(&self) -> Duration {
        self.core.lead()
    }
    fn played_position(&self, now: Instant) -> Option<Duration> {
        self.core.played_position(now)
    }
    fn set_paused(&mut self, paused: bool) {
        self.core.set_paused(paused, Instant::now());
    }
    fn set_rate(&mut self, rate: f64) {
        self.core.set_rate(rate);
    }
    fn flush(&mut self) {
        self.core.flush();
    }
    /// Plays out what is queued (bounded: the queue's length, the device latency and a
    /// second), so the end of the audio is heard. Closing the stream drops what the device
    /// still holds, and a sound server may hold more than it reports, so 200 ms more are
    /// given.
    fn finish(&mut self) -> Result<(), SinkError> {
        let start = Instant::now();
        self.core.drain(start);
        let (queued, _) = self.core.pending(start);
        let deadline = start + queued + Duration::from_secs(1);
        loop {
            let now = Instant::now();
            let (queued, taking) = self.core.pending(now);
            if queued.is_zero() || !taking || now >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let tail = self.core.stats().latency.unwrap_or_default().min(Duration::from_millis(500)) + Duration::from_millis(200);
        std::thread::sleep(tail);
        Ok(())
    }
}
