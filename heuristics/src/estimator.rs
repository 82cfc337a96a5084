//! Bandwidth estimators: turn download reports into a throughput (and latency) estimate.

use crate::types::DownloadReport;
use std::time::Duration;

/// Estimates available throughput from completed downloads.
///
/// Implementations ignore abandoned downloads unless they say otherwise (a cancelled
/// request's throughput is biased low by the cancellation itself).
pub trait BandwidthEstimator: Send {
    /// Feed one download report.
    fn on_download(&mut self, r: &DownloadReport);
    /// Current throughput estimate in bit/s, `None` before the first sample.
    fn estimate_bps(&self) -> Option<f64>;
    /// Current estimate of per-request latency (time to first byte), `None` before a sample.
    fn latency(&self) -> Option<Duration> {
        None
    }
    /// Forget everything (new stream, or a network change).
    fn reset(&mut self);
}

/// Exponentially weighted moving average with several half-lives, reporting the most
/// conservative one (min throughput, max latency).
///
/// Definition from Sabre (Spiteri et al., MMSys'18, `Ewma` in `src/sabre.py`) and dash.js:
/// the throughput weight of a sample is its transfer time, so `alpha = 0.5^(t / half_life)`;
/// latency samples are weighted per request with half-life `half_life / fragment_duration`
/// requests. Both averages are corrected for their zero start (`/ (1 - 0.5^(W / half_life))`).
#[derive(Debug, Clone)]
pub struct EwmaEstimator {
    half_lives_s: Vec<f64>,
    latency_half_lives: Vec<f64>,
    throughput: Vec<f64>,
    latency: Vec<f64>,
    weight_time_s: f64,
    weight_count: f64,
}

impl EwmaEstimator {
    /// Sabre's and dash.js's default half-lives: 3 s (fast) and 8 s (slow).
    pub const DEFAULT_HALF_LIVES_S: [f64; 2] = [3.0, 8.0];

    /// An estimator with the given half-lives (seconds); `fragment_duration` scales the
    /// latency half-lives to request counts. Non-positive half-lives are replaced by 1 s.
    pub fn new(half_lives_s: &[f64], fragment_duration: Duration) -> Self {
        let frag = fragment_duration.as_secs_f64().max(1e-3);
        let half_lives_s: Vec<f64> =
            half_lives_s.iter().map(|h| if *h > 0.0 { *h } else { 1.0 }).collect();
        let latency_half_lives = half_lives_s.iter().map(|h| h / frag).collect();
        let n = half_lives_s.len();
        EwmaEstimator {
            half_lives_s,
            latency_half_lives,
            throughput: vec![0.0; n],
            latency: vec![0.0; n],
            weight_time_s: 0.0,
            weight_count: 0.0,
        }
    }

    /// Sabre's default configuration for a given fragment duration.
    pub fn sabre_default(fragment_duration: Duration) -> Self {
        Self::new(&Self::DEFAULT_HALF_LIVES_S, fragment_duration)
    }

    /// Feed a raw sample: transfer time (s), throughput (bit/s) and latency (s).
    pub fn push(&mut self, transfer_s: f64, throughput_bps: f64, latency_s: f64) {
        if !(transfer_s > 0.0 && throughput_bps.is_finite() && latency_s.is_finite()) {
            return;
        }
        for i in 0..self.half_lives_s.len() {
            let a = 0.5f64.powf(transfer_s / self.half_lives_s[i]);
            self.throughput[i] = a * self.throughput[i] + (1.0 - a) * throughput_bps;
            let b = 0.5f64.powf(1.0 / self.latency_half_lives[i]);
            self.latency[i] = b * self.latency[i] + (1.0 - b) * latency_s;
        }
        self.weight_time_s += transfer_s;
        self.weight_count += 1.0;
    }

    /// Latency estimate in seconds.
    pub fn latency_s(&self) -> Option<f64> {
        if self.weight_count <= 0.0 {
            return None;
        }
        let mut out: Option<f64> = None;
        for i in 0..self.latency.len() {
            let zero = 1.0 - 0.5f64.powf(self.weight_count / self.latency_half_lives[i]);
            let l = self.latency[i] / zero;
            out = Some(out.map_or(l, |o: f64| o.max(l)));
        }
        out
    }
}

impl BandwidthEstimator for EwmaEstimator {
    fn on_download(&mut self, r: &DownloadReport) {
        if r.abandoned {
            return;
        }
        if let Some(bps) = r.throughput_bps() {
            self.push(r.transfer_time().as_secs_f64(), bps, r.ttfb.as_secs_f64());
        }
    }

    fn estimate_bps(&self) -> Option<f64> {
        if self.weight_time_s <= 0.0 {
            return None;
        }
        let mut out: Option<f64> = None;
        for i in 0..self.throughput.len() {
            let zero = 1.0 - 0.5f64.powf(self.weight_time_s / self.half_lives_s[i]);
            let t = self.throughput[i] / zero;
            out = Some(out.map_or(t, |o: f64| o.min(t)));
        }
        out
    }

    fn latency(&self) -> Option<Duration> {
        self.latency_s().map(Duration::from_secs_f64)
    }

    fn reset(&mut self) {
        self.throughput.iter_mut().for_each(|v| *v = 0.0);
        self.latency.iter_mut().for_each(|v| *v = 0.0);
        self.weight_time_s = 0.0;
        self.weight_count = 0.0;
    }
}

/// Harmonic mean of the last `window` throughput samples (RobustMPC's and Pensieve's
/// predictor; the harmonic mean is robust to single high outliers).
#[derive(Debug, Clone)]
pub struct HarmonicMeanEstimator {
    window: usize,
    samples_bps: std::collections::VecDeque<f64>,
}

impl HarmonicMeanEstimator {
    /// Keeps the last `window` samples (at least 1).
    pub fn new(window: usize) -> Self {
        HarmonicMeanEstimator {
            window: window.max(1),
            samples_bps: std::collections::VecDeque::new(),
        }
    }

    /// Feed one throughput sample in bit/s (non-positive samples are ignored).
    pub fn push(&mut self, bps: f64) {
        if !(bps > 0.0 && bps.is_finite()) {
            return;
        }
        if self.samples_bps.len() == self.window {
            self.samples_bps.pop_front();
        }
        self.samples_bps.push_back(bps);
    }
}

impl BandwidthEstimator for HarmonicMeanEstimator {
    fn on_download(&mut self, r: &DownloadReport) {
        if r.abandoned {
            return;
        }
        if let Some(bps) = r.throughput_bps() {
            self.push(bps);
        }
    }

    fn estimate_bps(&self) -> Option<f64> {
        if self.samples_bps.is_empty() {
            return None;
        }
        let inv: f64 = self.samples_bps.iter().map(|s| 1.0 / s).sum();
        Some(self.samples_bps.len() as f64 / inv)
    }

    fn reset(&mut self) {
        self.samples_bps.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(bytes: u64, ttfb_ms: u64, duration_ms: u64) -> DownloadReport {
        DownloadReport {
            level: 0,
            bytes,
            ttfb: Duration::from_millis(ttfb_ms),
            duration: Duration::from_millis(duration_ms),
            media_duration: Duration::from_secs(4),
            abandoned: false,
        }
    }

    #[test]
    fn ewma_single_sample_is_that_sample() {
        let mut e = EwmaEstimator::sabre_default(Duration::from_secs(4));
        assert_eq!(e.estimate_bps(), None);
        // 500 000 bytes in 4 s after 80 ms latency = 1 Mbit/s.
        e.on_download(&report(500_000, 80, 4080));
        let est = e.estimate_bps().unwrap();
        assert!((est - 1_000_000.0).abs() < 1e-6, "{est}");
        let lat = e.latency_s().unwrap();
        assert!((lat - 0.080).abs() < 1e-9, "{lat}");
    }

    #[test]
    fn ewma_takes_conservative_half_life() {
        let mut e = EwmaEstimator::sabre_default(Duration::from_secs(4));
        e.push(4.0, 1_000_000.0, 0.0);
        e.push(4.0, 3_000_000.0, 0.0);
        // Hand computation: fast (3 s): a = 0.5^(4/3) = 0.39685; after two samples
        // S = a(1-a)*1e6 + (1-a)*3e6; zero factor 1 - a^2. Slow (8 s) reacts less -> min.
        let a3 = 0.5f64.powf(4.0 / 3.0);
        let a8 = 0.5f64.powf(0.5);
        let fast = (a3 * (1.0 - a3) * 1e6 + (1.0 - a3) * 3e6) / (1.0 - a3 * a3);
        let slow = (a8 * (1.0 - a8) * 1e6 + (1.0 - a8) * 3e6) / (1.0 - a8 * a8);
        assert!(slow < fast);
        assert!((e.estimate_bps().unwrap() - slow).abs() < 1e-6);
    }

    #[test]
    fn ewma_ignores_abandoned() {
        let mut e = EwmaEstimator::sabre_default(Duration::from_secs(4));
        let mut r = report(500_000, 80, 4080);
        r.abandoned = true;
        e.on_download(&r);
        assert_eq!(e.estimate_bps(), None);
    }

    #[test]
    fn harmonic_mean_of_window() {
        let mut h = HarmonicMeanEstimator::new(2);
        h.push(1e6);
        h.push(4e6);
        h.push(2e6); // evicts 1e6
        // 2 / (1/4e6 + 1/2e6) = 2.6667e6
        assert!((h.estimate_bps().unwrap() - 8e6 / 3.0).abs() < 1e-3);
    }
}

/// Throughput of the current *regime*: bits over transfer time of every download since the
/// last detected change, which is the time-average bandwidth a long buffer actually
/// experiences (a plain harmonic mean for equal-sized fragments).
///
/// Change detection: when the last `confirm` downloads together run at more than
/// `change_ratio` times (or less than 1/`change_ratio` of) the regime before them, the regime
/// restarts from those downloads. Piecewise-stationary links (the FCC and 3G traces are
/// mostly that) are then followed at once after a step, while noise inside a regime averages
/// out. Idea after change-point detection in throughput prediction (e.g. CS2P, Sun et al.,
/// SIGCOMM 2016, which clusters sessions into stationary states).
#[derive(Debug, Clone)]
pub struct RegimeEstimator {
    samples: std::collections::VecDeque<(f64, f64)>,
    max_samples: usize,
    change_ratio: f64,
    confirm: usize,
}

impl RegimeEstimator {
    /// `max_samples` caps the regime window; `change_ratio` (> 1) and `confirm` (>= 1) set the
    /// change detector.
    pub fn new(max_samples: usize, change_ratio: f64, confirm: usize) -> Self {
        RegimeEstimator {
            samples: std::collections::VecDeque::new(),
            max_samples: max_samples.max(1),
            change_ratio: change_ratio.max(1.0),
            confirm: confirm.max(1),
        }
    }

    /// Feed one transfer: `bits` in `secs` seconds (ignored unless both are positive).
    pub fn push(&mut self, bits: f64, secs: f64) {
        if !(bits > 0.0 && secs > 0.0 && bits.is_finite() && secs.is_finite()) {
            return;
        }
        if self.samples.len() == self.max_samples {
            self.samples.pop_front();
        }
        self.samples.push_back((bits, secs));
        let n = self.samples.len();
        if n > self.confirm {
            let rate = |it: &mut dyn Iterator<Item = &(f64, f64)>| {
                let (b, t) = it.fold((0.0, 0.0), |(b, t), s| (b + s.0, t + s.1));
                b / t
            };
            let recent = rate(&mut self.samples.iter().skip(n - self.confirm));
            let before = rate(&mut self.samples.iter().take(n - self.confirm));
            if recent > before * self.change_ratio || recent * self.change_ratio < before {
                self.samples.drain(..n - self.confirm);
            }
        }
    }

    /// The `q`-quantile (0..=1, nearest rank) of per-download throughputs in the regime, bit/s.
    pub fn quantile_bps(&self, q: f64) -> Option<f64> {
        let mut v: Vec<f64> = self.samples.iter().map(|(b, t)| b / t).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let i = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        v.get(i).copied()
    }

    /// Downloads in the current regime.
    pub fn regime_len(&self) -> usize {
        self.samples.len()
    }
}

impl BandwidthEstimator for RegimeEstimator {
    fn on_download(&mut self, r: &DownloadReport) {
        if !r.abandoned {
            self.push(r.bytes as f64 * 8.0, r.transfer_time().as_secs_f64());
        }
    }

    fn estimate_bps(&self) -> Option<f64> {
        let (b, t) = self.samples.iter().fold((0.0, 0.0), |(b, t), s| (b + s.0, t + s.1));
        (t > 0.0).then(|| b / t)
    }

    fn reset(&mut self) {
        self.samples.clear();
    }
}

#[cfg(test)]
mod regime_tests {
    use super::*;

    #[test]
    fn averages_within_a_regime_and_restarts_on_a_step() {
        let mut e = RegimeEstimator::new(20, 3.0, 2);
        // 1 Mbit in 1 s and 1 Mbit in 0.5 s: 2 Mbit / 1.5 s.
        e.push(1e6, 1.0);
        e.push(1e6, 0.5);
        assert!((e.estimate_bps().unwrap() - 2e6 / 1.5).abs() < 1e-6);
        assert_eq!(e.regime_len(), 2);
        // Next 4 Mbit/s: last two together 5 Mbit / 1.5 s = 3.33 vs 1 before: ratio 3.33 > 3.
        // Use a slower first sample to stay under the ratio instead:
        let mut e = RegimeEstimator::new(20, 3.0, 2);
        e.push(1e6, 1.0);
        e.push(1e6, 1.0);
        // Last two: (1 + 4) Mbit / 2 s = 2.5 vs 1 before: 2.5 < 3, no change.
        e.push(4e6, 1.0);
        assert_eq!(e.regime_len(), 3, "one fast sample is not yet a change");
        assert!((e.estimate_bps().unwrap() - 6e6 / 3.0).abs() < 1e-6);
        // Last two: 8 Mbit / 2 s = 4 vs 1 before: 4 > 3 -> the regime restarts from them.
        e.push(4e6, 1.0);
        assert_eq!(e.regime_len(), 2);
        assert!((e.estimate_bps().unwrap() - 4e6).abs() < 1e-6);
    }
}
