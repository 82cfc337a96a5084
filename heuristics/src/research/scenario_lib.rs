//! Builds the scenario library of `research::scenario` from traces: smoothplay (default
//! parameters) plays each trace in the simulator; at every `every`-th decision the session's
//! history features ([`History`]) are paired with the trace's true future throughput (x the
//! throughput scale) over `bins` bins of `bin_s` seconds, as ln ratio to the regime estimate.
//! The future is read from the trace here, offline; the selector only ever sees library
//! samples, matched on its own history.

use crate::sim::{simulate, SimConfig, Trace, Video};
use super::scenario::{History, ScenarioLibrary};
use crate::algo::smoothplay::Smoothplay;
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport};

/// Mean throughput (kbit/s x `scale`) of the cyclic `trace` over `[from_s, to_s)`.
pub fn mean_kbps(trace: &Trace, scale: f64, from_s: f64, to_s: f64) -> f64 {
    let cycle: f64 = trace.periods.iter().map(|p| p.duration_ms).sum();
    let (from, end) = (from_s * 1000.0, to_s * 1000.0);
    if !(end > from) {
        return 0.0;
    }
    let mut pos = (from / cycle).floor() * cycle;
    let mut bits = 0.0;
    for p in trace.periods.iter().cycle() {
        if pos >= end {
            break;
        }
        let overlap = (pos + p.duration_ms).min(end) - pos.max(from);
        if overlap > 0.0 {
            bits += overlap * p.bandwidth_kbps;
        }
        pos += p.duration_ms;
    }
    bits / (end - from) * scale
}

/// The true future of `trace` from `now_s`: `bins` mean rates (bit/s) of `bin_s` seconds.
pub fn future_bps(trace: &Trace, scale: f64, now_s: f64, bin_s: f64, bins: usize) -> Vec<f64> {
    (0..bins)
        .map(|i| {
            let a = now_s + i as f64 * bin_s;
            (mean_kbps(trace, scale, a, a + bin_s) * 1000.0).max(1.0)
        })
        .collect()
}

struct Recorder<'a> {
    inner: Smoothplay,
    hist: History,
    trace: &'a Trace,
    scale: f64,
    lib: &'a mut ScenarioLibrary,
    every: usize,
    source: u32,
    decisions: usize,
}

impl QualitySelector for Recorder<'_> {
    fn name(&self) -> &str {
        "recorder"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let now = ctx.now.as_secs_f64();
        if let (Some(f), Some(r)) = (self.hist.features(now), self.hist.regime_bps()) {
            if self.decisions.is_multiple_of(self.every) {
                let fut = future_bps(self.trace, self.scale, now, self.lib.bin_s, self.lib.bins);
                let path: Vec<f64> = fut.iter().map(|x| (x / r).ln()).collect();
                self.lib.push(f, &path, self.source);
            }
            self.decisions += 1;
        }
        self.inner.choose(ctx)
    }
    fn on_download(&mut self, ctx: &Context, r: &DownloadReport) {
        self.hist.on_download(r);
        self.inner.on_download(ctx, r)
    }
    fn should_abandon(&mut self, ctx: &Context, p: &DownloadProgress) -> Option<usize> {
        self.inner.should_abandon(ctx, p)
    }
    fn watches_progress(&self) -> bool {
        self.inner.watches_progress()
    }
}

/// Adds the samples of one session on `trace` (tagged `source`) to `lib`.
pub fn record(video: &Video, trace: &Trace, cfg: &SimConfig, lib: &mut ScenarioLibrary, every: usize, source: u32) {
    let mut r = Recorder {
        inner: Smoothplay::new(&video.ladder),
        hist: History::new(),
        trace,
        scale: cfg.throughput_scale,
        lib,
        every: every.max(1),
        source,
        decisions: 0,
    };
    simulate(video, trace, &mut r, cfg);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::trace::Period;

    #[test]
    fn future_means_over_cyclic_periods() {
        let p = |ms: f64, kbps: f64| Period { duration_ms: ms, bandwidth_kbps: kbps, latency_ms: 0.0 };
        let t = Trace::new("t", vec![p(1000.0, 1000.0), p(1000.0, 3000.0)]).unwrap();
        // [0.5, 1.5): half at 1000, half at 3000 -> 2000 kbit/s, x0.5 scale -> 1000.
        assert!((mean_kbps(&t, 0.5, 0.5, 1.5) - 1000.0).abs() < 1e-9);
        // Cyclic: [2, 3) is the first period again.
        assert!((mean_kbps(&t, 1.0, 2.0, 3.0) - 1000.0).abs() < 1e-9);
        assert_eq!(future_bps(&t, 1.0, 1.0, 1.0, 2), vec![3e6, 1e6]);
    }
}
