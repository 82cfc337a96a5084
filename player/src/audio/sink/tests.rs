//! The sink and the callback logic together, driven by synthetic callbacks: a "device" at
//! 1 kHz, stereo, 10-frame (10 ms) buffers heard 20 ms after each callback.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smoothplay_engine::decode::AudioBlock;
use smoothplay_engine::time::MediaTime;

use super::super::control::AudioControl;
use super::super::render::Renderer;
use super::super::device;
use super::super::shared::State;
use super::*;

const RATE: u32 = 1000;
const BUFFER: usize = 10;
const LATENCY: Duration = Duration::from_millis(20);

struct Rig {
    sink: SinkCore,
    renderer: Renderer,
    control: AudioControl,
    t0: Instant,
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn rig() -> Rig {
    let shared = Arc::new(Mutex::new(State::new(RATE, 2)));
    let control = AudioControl::new();
    let renderer = Renderer::new(shared.clone(), control.clone(), RATE, 2);
    Rig { sink: SinkCore::new(shared, ms(150)), renderer, control, t0: Instant::now() }
}

/// `frames` frames from media time `start_ms`, sample value = frame index / 10 000 (left)
/// and its negative (right), so every frame is recognisable.
fn block(start_ms: u64, frames: u64) -> AudioBlock {
    let samples = (start_ms..start_ms + frames).flat_map(|i| [i as f32 / 10_000.0, -(i as f32) / 10_000.0]).collect();
    AudioBlock { pts: MediaTime::new(start_ms, 1000), sample_rate: RATE, channels: 2, samples }
}

impl Rig {
    fn at(&self, t: u64) -> Instant {
        self.t0 + ms(t)
    }
    fn write(&mut self, start_ms: u64, frames: u64, t: u64) {
        let b = block(start_ms, frames);
        self.sink.write(&b, self.t0 + ms(t));
    }
    fn callback(&mut self, t: u64) -> Vec<f32> {
        let mut out = vec![7.0; BUFFER * 2];
        self.renderer.render(&mut out, self.t0 + ms(t), Some(LATENCY));
        out
    }
    fn position_ms(&self, t: u64) -> Option<f64> {
        self.sink.played_position(self.at(t)).map(|d| d.as_secs_f64() * 1000.0)
    }
}

fn near(p: Option<f64>, want_ms: f64) -> bool {
    p.is_some_and(|p| (p - want_ms).abs() < 0.01)
}

#[test]
fn positions_follow_the_callbacks() {
    let mut r = rig();
    r.write(5000, 200, 0);
    // Queued, device not started: the first queued frame (video waits for sound).
    assert!(near(r.position_ms(0), 5000.0));
    assert!(near(r.position_ms(2500), 5000.0), "PulseAudio-like slow start");
    r.callback(3000);
    // Written, not yet audible: held at the run's start.
    assert!(near(r.position_ms(3010), 5000.0));
    assert!(near(r.position_ms(3020), 5000.0));
    assert!(near(r.position_ms(3025), 5005.0));
    for k in 1..10 {
        r.callback(3000 + 10 * k);
        // Between callbacks, on the line through the last one (earlier buffers of the run
        // are playing).
        let want = (5000.0 + 10.0 * k as f64 - 20.0 + 3.0).max(5000.0);
        assert!(near(r.position_ms(3000 + 10 * k + 3), want), "k={k}");
    }
    // A late callback: extrapolated by one buffer at most.
    assert!(near(r.position_ms(3090 + 20 + 25), 5110.0));
}

#[test]
fn output_is_the_input_after_a_10_ms_fade_in() {
    let mut r = rig();
    r.write(0, 100, 0);
    let mut out = Vec::new();
    for k in 0..10 {
        out.extend(r.callback(10 * k));
    }
    let input = block(0, 100).samples;
    // The first 10 frames fade in (gain k/10 on frame k); the rest is bit-exact.
    assert_eq!(out[20..], input[20..]);
    for (k, f) in out[..20].chunks_exact(2).enumerate() {
        let g = (k + 1) as f32 / 10.0;
        assert!((f[0] - input[2 * k] * g).abs() < 1e-6, "frame {k}");
    }
}

#[test]
fn starvation_outputs_silence_and_no_position() {
    let mut r = rig();
    r.write(5000, 25, 0);
    r.callback(0);
    r.callback(10);
    let out = r.callback(20); // 5 frames, then silence
    assert!(out[..10].iter().any(|&s| s != 0.0) && out[10..].iter().all(|&s| s == 0.0));
    assert!(near(r.position_ms(20 + 20 + 4), 5024.0));
    assert!(near(r.position_ms(20 + 20 + 5), 5025.0));
    assert_eq!(r.position_ms(20 + 20 + 6), None, "the last frame has been heard");
    let out = r.callback(30);
    assert!(out.iter().all(|&s| s == 0.0));
    assert_eq!(r.sink.stats().underruns, 1);
    // Audio again (late data): a new run, held at its start until heard.
    r.write(5100, 50, 100);
    assert!(near(r.position_ms(100), 5100.0));
    r.callback(100);
    assert!(near(r.position_ms(110), 5100.0));
    assert!(near(r.position_ms(125), 5105.0));
}

#[test]
fn a_buffer_that_ends_exactly_with_the_data_starves_at_the_next_callback() {
    let mut r = rig();
    r.write(5000, 20, 0);
    r.callback(0);
    r.callback(10);
    assert!(near(r.position_ms(10 + 20 + 15), 5020.0), "nothing queued: no bridging past the end");
    r.callback(20); // nothing left
    assert!(near(r.position_ms(10 + 20 + 9), 5019.0));
    assert_eq!(r.position_ms(10 + 20 + 11), None);
}

#[test]
fn pause_freezes_the_position_and_consumes_nothing() {
    let mut r = rig();
    r.write(0, 150, 0);
    for k in 0..5 {
        r.callback(10 * k);
    }
    // At 50 ms: frames of the callback at 30 ms are playing (heard from 50 ms).
    assert!(near(r.position_ms(50), 30.0));
    r.sink.set_paused(true, r.at(50));
    let queued = r.sink.stats().queued;
    for k in 5..20 {
        assert!(r.callback(10 * k).iter().all(|&s| s == 0.0), "silence while paused");
        assert!(near(r.position_ms(10 * k + 5), 30.0), "frozen");
    }
    assert_eq!(r.sink.stats().queued, queued, "nothing consumed");
    assert_eq!(r.position_ms(10_000).map(|p| p.round()), Some(30.0), "no stall while paused");
    r.sink.set_paused(false, r.at(200));
    // Until the device takes data again: the next frame to play.
    assert!(near(r.position_ms(200), 50.0));
    r.callback(200);
    assert!(near(r.position_ms(225), 55.0));
}

#[test]
fn flush_drops_everything() {
    let mut r = rig();
    r.write(0, 100, 0);
    r.callback(0);
    r.callback(10);
    r.sink.flush();
    assert_eq!(r.sink.stats().queued, Duration::ZERO);
    assert_eq!(r.position_ms(20), None);
    assert!(r.callback(20).iter().all(|&s| s == 0.0));
    r.write(20_000, 100, 30);
    assert!(near(r.position_ms(30), 20_000.0));
    let out = r.callback(30);
    // The new run starts with the sought audio (fading in).
    assert!((out[18] - 20_009.0 / 10_000.0).abs() < 1e-4, "{}", out[18]);
    assert!(near(r.position_ms(55), 20_005.0));
}

#[test]
fn a_device_that_never_takes_data_is_given_up_after_3_s() {
    let mut r = rig();
    r.write(0, 100, 0);
    assert!(near(r.position_ms(2_990), 0.0));
    assert_eq!(r.position_ms(3_000), None);
    assert_eq!(r.position_ms(4_000), None);
    // Meanwhile the session writes on (its own clock): the queue stays bounded.
    for k in 0..100 {
        r.write(100 + 100 * k, 100, 3_000 + 100 * k);
    }
    assert!(r.sink.stats().queued <= ms(800), "{:?}", r.sink.stats().queued);
    // The device wakes up: it plays the newest audio, and leads the clock again.
    r.callback(13_000);
    assert!(r.position_ms(13_030).is_some());
}

#[test]
fn a_device_that_stops_calling_back_is_given_up_too() {
    let mut r = rig();
    r.write(0, 100, 0);
    r.callback(0);
    r.callback(10);
    assert!(near(r.position_ms(35), 15.0));
    // No callback after 10 ms: the position holds at one buffer past the last, then None.
    assert!(near(r.position_ms(2_000), 30.0));
    assert_eq!(r.position_ms(3_011), None);
}

#[test]
fn speeds_far_from_1x_mute_and_give_no_position() {
    let mut r = rig();
    r.write(0, 100, 0);
    r.callback(0);
    r.sink.set_rate(2.0);
    assert_eq!(r.position_ms(10), None);
    assert_eq!(r.sink.stats().queued, Duration::ZERO, "flushed");
    r.write(100, 100, 10);
    assert_eq!(r.sink.stats().queued, Duration::ZERO, "not queued while muted");
    assert!(r.callback(10).iter().all(|&s| s == 0.0));
    assert!(r.sink.stats().muted_for_speed);
    r.sink.set_rate(1.0);
    r.write(3000, 100, 20);
    assert!(near(r.position_ms(20), 3000.0));
    r.callback(20);
    assert!(near(r.position_ms(45), 3005.0));
}

#[test]
fn a_nudged_speed_is_resampled_and_the_clock_runs_at_that_speed() {
    let mut r = rig();
    r.sink.set_rate(1.05);
    for k in 0..10 {
        r.write(100 * k, 100, 0);
    }
    assert!(r.sink.stats().resampling);
    for k in 0..50 {
        r.callback(10 * k);
    }
    // Callback 40 (at 400 ms) starts 40 buffers * 10 frames * 1.05 = 420 ms of media in.
    let p = r.position_ms(400 + 20 + 10).unwrap();
    assert!((p - (420.0 + 10.5)).abs() < 0.5, "{p}");
}

#[test]
fn a_lost_device_ends_the_clock_other_errors_do_not() {
    let mut r = rig();
    r.write(0, 100, 0);
    r.callback(0);
    let shared = r.sink.shared.clone();
    device::record_error(&shared, &cpal::Error::new(cpal::ErrorKind::Xrun));
    device::record_error(&shared, &cpal::Error::with_message(cpal::ErrorKind::BackendError, "snd_pcm_avail_delay: EIO"));
    assert!(near(r.position_ms(25), 5.0));
    let stats = r.sink.stats();
    assert_eq!((stats.xruns, stats.transient_errors, stats.error), (1, 1, None));
    device::record_error(&shared, &cpal::Error::new(cpal::ErrorKind::DeviceNotAvailable));
    assert_eq!(r.position_ms(26), None);
    assert_eq!(r.position_ms(3_000), None, "a stream that died stays without a clock");
    assert!(r.sink.stats().error.is_some());
}

#[test]
fn volume_and_mute_ramp_and_mute_keeps_the_clock() {
    let mut r = rig();
    // DC input so that any jump in gain shows.
    let dc = AudioBlock { pts: MediaTime::new(0, 1000), sample_rate: RATE, channels: 2, samples: vec![0.5; 2 * 300] };
    r.sink.write(&dc, r.t0);
    let mut out = Vec::new();
    for k in 0..30 {
        if k == 5 {
            r.control.set_volume(1.3);
        }
        if k == 10 {
            r.control.set_muted(true);
        }
        if k == 20 {
            r.control.set_muted(false);
            r.control.set_volume(0.2);
        }
        out.extend(r.callback(10 * k));
    }
    // Ramps last 10 frames (10 ms at 1 kHz): steps of at most 1.3 / 10 of full gain.
    let worst = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 0.5 * 1.3 / 10.0 + 1e-6, "{worst}");
    assert_eq!(out[2 * 99], 0.5 * 1.3);
    assert_eq!(out[2 * 199], 0.0, "muted");
    assert!((out[2 * 299] - 0.1).abs() < 1e-6);
    // Muted audio is still played (silently): the clock goes on.
    assert!(near(r.position_ms(150 + 20 + 5), 155.0));
}
