//! [`Converter`]: decoded blocks to the device's rate and channels, and to the playback
//! speed (sans-I/O).
//!
//! Blocks at the device's rate played at 1x pass through untouched. Otherwise a sinc
//! resampler (rubato's adjustable-ratio `Async`) converts by `device rate / source rate /
//! speed`: at 1.02x the audio plays 2 % faster and a little higher (as mpv's
//! display-resample does). Once started, the resampler stays until [`Converter::flush`] so
//! that speed changes around 1x do not switch paths (which would skip or repeat its delay).
//!
//! Every output [`Chunk`] carries the media time of its first frame and the media time per
//! frame, so the device callback knows what it plays.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Adjustable, Async, FixedAsync, Indexing, Resampler, SincInterpolationParameters, SincInterpolationType, WindowFunction};
use smoothplay_engine::decode::AudioBlock;

use super::channels::remix;

/// Input frames per resampler call.
const CHUNK_FRAMES: usize = 256;
/// The resampler accepts ratios within this factor of the base one (speed 0.8x-1.25x).
const MAX_RELATIVE_RATIO: f64 = 1.25;
/// Blocks that do not start where the previous one ended (by more than this) start a new
/// run: the resampler is drained and restarted there.
const DISCONTINUITY_SECS: f64 = 0.002;

/// Converted audio, ready for the device.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Media time of the first frame, seconds.
    pub pts: f64,
    /// Media time per frame, seconds (1 / device rate at 1x; speed / device rate otherwise).
    pub step: f64,
    /// Interleaved samples in the device's channel count.
    pub samples: Vec<f32>,
}

impl Chunk {
    /// Frames in the chunk, for `channels` channels.
    pub fn frames(&self, channels: usize) -> usize {
        self.samples.len() / channels.max(1)
    }
}

struct Resampling {
    resampler: Async<f32>,
    in_rate: u32,
    /// Current ratio, output frames per input frame.
    ratio: f64,
    /// Remixed input not yet given to the resampler.
    pending: Vec<f32>,
    /// Media time of the next output frame (after the start-up delay is trimmed).
    out_pts: f64,
    /// Output frames still to drop: the filter's delay at start.
    trim: usize,
    /// Output frames owed for the input given so far (to drain the tail exactly).
    owed_out: f64,
    out_buf: Vec<f32>,
}

/// Converts decoded blocks for one device (see the module docs).
pub struct Converter {
    out_rate: u32,
    out_channels: usize,
    speed: f64,
    /// Source format of the previous block (rate, channels).
    format: Option<(u32, usize)>,
    /// Media time just after the previous block.
    expected_pts: Option<f64>,
    resampling: Option<Resampling>,
}

impl std::fmt::Debug for Converter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter")
            .field("out_rate", &self.out_rate)
            .field("out_channels", &self.out_channels)
            .field("speed", &self.speed)
            .field("resampling", &self.resampling.is_some())
            .finish()
    }
}

impl Converter {
    /// A converter to `out_rate` frames per second and `out_channels` channels.
    pub fn new(out_rate: u32, out_channels: usize) -> Self {
        Converter { out_rate, out_channels: out_channels.max(1), speed: 1.0, format: None, expected_pts: None, resampling: None }
    }

    /// Plays faster or slower by `speed` (the caller keeps it near 1: 0.8-1.25 at most).
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(1.0 / MAX_RELATIVE_RATIO, MAX_RELATIVE_RATIO);
        if let Some(r) = self.resampling.as_mut() {
            let ratio = f64::from(self.out_rate) / f64::from(r.in_rate) / self.speed;
            // Applied from the next chunk, exactly, so the media time per frame is known.
            if r.resampler.set_resample_ratio(ratio, false).is_ok() {
                r.ratio = ratio;
            }
        }
    }

    /// The speed in use.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Whether the resampler is in use.
    pub fn is_resampling(&self) -> bool {
        self.resampling.is_some()
    }

    /// Converts one block; returns what is ready (a resampler keeps a few ms back).
    pub fn push(&mut self, block: &AudioBlock) -> Vec<Chunk> {
        let channels = usize::from(block.channels);
        if channels == 0 || block.sample_rate == 0 || block.samples.len() < channels {
            return Vec::new();
        }
        let pts = block.pts.as_secs_f64();
        let mut out = Vec::new();
        let format = (block.sample_rate, channels);
        let continuous = self.format == Some(format) && self.expected_pts.is_some_and(|e| (pts - e).abs() <= DISCONTINUITY_SECS);
        if !continuous && self.resampling.is_some() {
            out.extend(self.drain());
        }
        self.format = Some(format);
        let frames = block.samples.len() / channels;
        self.expected_pts = Some(pts + frames as f64 / f64::from(block.sample_rate));
        let samples = remix(&block.samples[..frames * channels], channels, self.out_channels);

        let needs_resampler = block.sample_rate != self.out_rate || self.speed != 1.0;
        if self.resampling.is_none() && !needs_resampler {
            out.push(Chunk { pts, step: 1.0 / f64::from(self.out_rate), samples });
            return out;
        }
        if self.resampling.is_none() {
            match self.start_resampler(block.sample_rate, pts) {
                Some(r) => self.resampling = Some(r),
                None => {
                    // Cannot happen with the ratios allowed; play unconverted rather than nothing.
                    out.push(Chunk { pts, step: 1.0 / f64::from(block.sample_rate), samples });
                    return out;
                }
            }
        }
        let ch = self.out_channels;
        if let Some(r) = self.resampling.as_mut() {
            r.pending.extend_from_slice(&samples);
            while r.pending.len() / ch >= r.resampler.input_frames_next() {
                if let Some(c) = r.process(ch, None) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Everything still held (the resampler's pending input and delay), at the end of the
    /// stream or before a discontinuity.
    pub fn drain(&mut self) -> Vec<Chunk> {
        let ch = self.out_channels;
        let mut out = Vec::new();
        if let Some(mut r) = self.resampling.take() {
            let mut guard = 0;
            while r.owed_out >= 1.0 && guard < 64 {
                guard += 1;
                let partial = (r.pending.len() / ch).min(r.resampler.input_frames_next());
                match r.process(ch, Some(partial)) {
                    Some(c) => out.push(c),
                    None if partial == 0 && r.trim == 0 => break,
                    None => {}
                }
            }
            // Start the next run fresh (and without the resampler if not needed).
        }
        self.expected_pts = None;
        out
    }

    /// Drops everything held (a seek).
    pub fn flush(&mut self) {
        self.resampling = None;
        self.expected_pts = None;
    }

    fn start_resampler(&self, in_rate: u32, pts: f64) -> Option<Resampling> {
        let ratio = f64::from(self.out_rate) / f64::from(in_rate) / self.speed;
        let params = SincInterpolationParameters::new(128, WindowFunction::BlackmanHarris2)
            .oversampling_factor(256)
            .interpolation(SincInterpolationType::Linear);
        let resampler =
            Async::<f32>::new_sinc(ratio, MAX_RELATIVE_RATIO, &params, CHUNK_FRAMES, self.out_channels, FixedAsync::Input).ok()?;
        let trim = resampler.output_delay();
        let out_buf = vec![0.0; resampler.output_frames_max() * self.out_channels];
        Some(Resampling { resampler, in_rate, ratio, pending: Vec::new(), out_pts: pts, trim, owed_out: 0.0, out_buf })
    }
}

impl Resampling {
    /// One resampler call on the pending input (`partial`: fewer frames than a chunk, the
    /// rest silence). Returns the output after trimming the start-up delay.
    fn process(&mut self, ch: usize, partial: Option<usize>) -> Option<Chunk> {
        let need = self.resampler.input_frames_next();
        let available = self.pending.len() / ch;
        let given = partial.unwrap_or(need).min(available);
        // The adapter must cover `need` frames even for a partial call.
        if available < need {
            self.pending.resize(need * ch, 0.0);
        }
        let input = InterleavedSlice::new(&self.pending[..need * ch], ch, need).ok()?;
        let out_frames = self.out_buf.len() / ch;
        let mut output = InterleavedSlice::new_mut(&mut self.out_buf[..], ch, out_frames).ok()?;
        let indexing = partial.map(|p| Indexing::new().partial_len(p.min(available)));
        let (_, produced) = self.resampler.process_into_buffer(&input, &mut output, indexing.as_ref()).ok()?;
        self.pending.drain(..(given * ch).min(self.pending.len()));
        if partial.is_some() {
            // The zero padding was only for the adapter.
            self.pending.clear();
        }
        self.owed_out += given as f64 * self.ratio;
        let skip = self.trim.min(produced);
        self.trim -= skip;
        let mut frames = produced - skip;
        if partial.is_some() {
            // Draining: stop at what the real input is owed.
            frames = frames.min(self.owed_out.max(0.0).round() as usize);
        }
        self.owed_out -= frames as f64;
        if frames == 0 {
            return None;
        }
        let step = 1.0 / (f64::from(self.in_rate) * self.ratio);
        let chunk = Chunk { pts: self.out_pts, step, samples: self.out_buf[skip * ch..(skip + frames) * ch].to_vec() };
        self.out_pts += step * frames as f64;
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothplay_engine::time::MediaTime;

    fn block(pts_frames: u64, rate: u32, channels: u16, samples: Vec<f32>) -> AudioBlock {
        AudioBlock { pts: MediaTime::new(pts_frames, u64::from(rate)), sample_rate: rate, channels, samples }
    }

    fn sine(freq: f64, rate: u32, start: usize, frames: usize, channels: usize) -> Vec<f32> {
        (start..start + frames)
            .flat_map(|i| std::iter::repeat_n((2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32 * 0.5, channels))
            .collect()
    }

    /// The time shift (seconds) that best aligns the output with the ideal tone at each
    /// frame's timestamp (searched over +-2 output frames), and the worst error at that shift,
    /// over media times `from..to`.
    fn best_fit(chunks: &[Chunk], freq: f64, from: f64, to: f64) -> (f64, f64) {
        let step = chunks[0].step;
        let mut best = (0.0, f64::MAX);
        for i in -40..=40 {
            let shift = f64::from(i) * step / 20.0;
            let mut worst = 0.0f64;
            for ch in chunks {
                for (k, f) in ch.samples.chunks_exact(2).enumerate() {
                    let t = ch.pts + ch.step * k as f64;
                    if t > from && t < to {
                        let ideal = (2.0 * std::f64::consts::PI * freq * (t + shift)).sin() * 0.5;
                        worst = worst.max((f64::from(f[0]) - ideal).abs());
                    }
                }
            }
            if worst < best.1 {
                best = (shift, worst);
            }
        }
        best
    }

    fn total_frames(chunks: &[Chunk], ch: usize) -> usize {
        chunks.iter().map(|c| c.frames(ch)).sum()
    }

    #[test]
    fn same_rate_at_1x_passes_through_exactly() {
        let mut c = Converter::new(48_000, 2);
        let s = sine(440.0, 48_000, 0, 1024, 2);
        let out = c.push(&block(1024, 48_000, 2, s.clone()));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].samples, s);
        assert!((out[0].pts - 1024.0 / 48_000.0).abs() < 1e-12);
        assert!(!c.is_resampling());
    }

    #[test]
    fn mono_is_remixed_on_the_way() {
        let mut c = Converter::new(48_000, 2);
        let out = c.push(&block(0, 48_000, 1, vec![0.25, -0.5]));
        assert_eq!(out[0].samples, vec![0.25, 0.25, -0.5, -0.5]);
    }

    /// Resamples 1 s of a 1 kHz tone from 44.1 to 48 kHz in AAC-sized blocks: the right
    /// number of frames, contiguous timestamps, and the tone intact (compared with the ideal
    /// tone at the output's timestamps).
    #[test]
    fn resampling_keeps_length_time_and_signal() {
        let mut c = Converter::new(48_000, 2);
        let mut chunks = Vec::new();
        for b in 0..43 {
            let s = sine(1000.0, 44_100, b * 1024, 1024, 2);
            chunks.extend(c.push(&block((b * 1024) as u64, 44_100, 2, s)));
        }
        chunks.extend(c.drain());
        let frames = total_frames(&chunks, 2);
        let expected = 43.0 * 1024.0 * 48_000.0 / 44_100.0;
        assert!((frames as f64 - expected).abs() <= 2.0, "{frames} vs {expected}");
        assert_eq!(chunks[0].pts, 0.0);
        for w in chunks.windows(2) {
            let end = w[0].pts + w[0].step * w[0].frames(2) as f64;
            assert!((w[1].pts - end).abs() < 1e-9, "contiguous");
        }
        // Away from the edges, every output sample is the tone at its own time (to within a
        // fraction of a sample: the filter's delay is trimmed in whole frames).
        let (shift, worst) = best_fit(&chunks, 1000.0, 0.01, 0.99);
        assert!(shift.abs() < 0.5 / 48_000.0, "time off by {shift}");
        assert!(worst < 0.005, "worst error {worst}");
        assert!(chunks.iter().all(|c| c.samples.chunks_exact(2).all(|f| f[0] == f[1])));
    }

    /// At 1.05x, 1 s of media comes out as 1/1.05 s of device frames, each labelled with
    /// its media time.
    #[test]
    fn speed_resamples_by_the_extra_factor() {
        let mut c = Converter::new(48_000, 2);
        c.set_speed(1.05);
        let mut chunks = Vec::new();
        for b in 0..47 {
            chunks.extend(c.push(&block((b * 1024) as u64, 48_000, 2, sine(500.0, 48_000, b * 1024, 1024, 2))));
        }
        chunks.extend(c.drain());
        let media = 47.0 * 1024.0 / 48_000.0;
        let frames = total_frames(&chunks, 2) as f64;
        assert!((frames - media * 48_000.0 / 1.05).abs() <= 2.0, "{frames}");
        assert!((chunks[0].step - 1.05 / 48_000.0).abs() < 1e-12);
        let (shift, worst) = best_fit(&chunks, 500.0, 0.01, media - 0.01);
        assert!(shift.abs() < 0.5 / 48_000.0, "time off by {shift}");
        assert!(worst < 0.005, "worst error {worst}");
    }

    #[test]
    fn back_at_1x_the_resampler_stays_at_ratio_1() {
        let mut c = Converter::new(48_000, 2);
        c.set_speed(1.05);
        c.push(&block(0, 48_000, 2, sine(500.0, 48_000, 0, 1024, 2)));
        c.set_speed(1.0);
        let out = c.push(&block(1024, 48_000, 2, sine(500.0, 48_000, 1024, 1024, 2)));
        assert!(c.is_resampling(), "no switch of path (it would skip or repeat the filter delay)");
        assert!(out.iter().all(|ch| (ch.step - 1.0 / 48_000.0).abs() < 1e-12));
    }

    #[test]
    fn a_gap_drains_and_restarts_at_the_new_time() {
        let mut c = Converter::new(48_000, 1);
        let mut chunks = Vec::new();
        chunks.extend(c.push(&block(0, 44_100, 1, vec![0.1; 4410])));
        chunks.extend(c.push(&block(44_100, 44_100, 1, vec![0.1; 4410])));
        let first_run: Vec<&Chunk> = chunks.iter().filter(|c| c.pts < 0.5).collect();
        let frames: usize = first_run.iter().map(|c| c.frames(1)).sum();
        assert!((frames as i64 - 4800).abs() <= 1, "first run drained whole: {frames}");
        let second = chunks.iter().find(|c| c.pts >= 0.5).expect("the second run started");
        assert_eq!(second.pts, 1.0);
    }

    #[test]
    fn flush_forgets_everything() {
        let mut c = Converter::new(48_000, 2);
        c.push(&block(0, 44_100, 2, vec![0.1; 2048]));
        assert!(c.is_resampling());
        c.flush();
        assert!(!c.is_resampling());
        assert!(c.drain().is_empty());
        let out = c.push(&block(48_000, 48_000, 2, vec![0.2; 2048]));
        assert_eq!(out[0].pts, 1.0);
    }
}
