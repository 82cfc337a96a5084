//! smoothplay's default selector: long-horizon, buffer-aware model-predictive control on a
//! robust throughput prediction, with the known fragment sizes, QoE_lin as the objective,
//! and device caps (decode capacity, viewport).
//!
//! **Idea.** RobustMPC (Yin et al., SIGCOMM'15) plans 5 fragments (20 s) ahead against a
//! 60 s buffer: it cannot see that the buffer is an insurance it may spend, so it switches
//! often and rebuffers when a short prediction is wrong. The offline optimum (see
//! `sim::oracle`) instead holds a near-constant level matched to the *long-run* throughput
//! and lets the buffer absorb the dips. smoothplay approximates that online:
//! 1. *Prediction*: the harmonic mean of recent transfer throughputs (latency is modelled
//!    separately, per request), blended geometrically with the session-long harmonic mean,
//!    then discounted by the recent prediction error (RobustMPC's robustness idea, scaled).
//! 2. *Long horizon with structured plans*: plans of up to [`SmoothplayParams::horizon`]
//!    fragments of the form "level a for j fragments, then level b" (FastMPC-style plan
//!    restriction keeps the search at `levels^2 x horizon` plans instead of `levels^horizon`),
//!    simulated with the exact fragment sizes, the player's buffer cap and per-request latency.
//! 3. *Buffer as an asset*: buffer left at the end of the horizon is credited
//!    ([`SmoothplayParams::buffer_value_per_s`] up to [`SmoothplayParams::buffer_credit_cap_s`]); near
//!    the end of the video the horizon reaches the last fragment and the credit vanishes, so
//!    the buffer is spent on quality, as the oracle does.
//! 4. *Safety net*: the throughput rule's abandonment (Sabre / dash.js) when a download is
//!    far slower than planned.
//! 5. *Device caps*: [`super::capacity`] caps the level under decode overload or dropped frames
//!    and never picks a resolution far above the viewport.
//!
//! Sources: Yin et al. SIGCOMM'15 (MPC, FastMPC, RobustMPC); Mao et al. SIGCOMM'17
//! (Pensieve; QoE_lin); Spiteri et al. MMSys'18 (Sabre, abandonment); Huang et al.
//! SIGCOMM'14 (buffer as the control variable).

use super::capacity::{viewport_cap, DecodeCap};
use crate::estimator::{BandwidthEstimator, EwmaEstimator, HarmonicMeanEstimator, RegimeEstimator};
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport, Ladder};
use std::collections::VecDeque;

/// Tunable parameters (defaults are the shipped configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct SmoothplayParams {
    /// Fragments planned ahead.
    pub horizon: usize,
    /// Samples in the short harmonic mean.
    pub window: usize,
    /// Weight of the session-long harmonic mean in the geometric blend (0..1).
    pub long_weight: f64,
    /// Prediction-error samples considered.
    pub error_window: usize,
    /// Multiplier on the maximum recent relative error in the discount `1 + k x err`.
    pub error_discount: f64,
    /// Extra constant safety factor on the prediction.
    pub safety: f64,
    /// Rebuffering penalty used when planning, per second.
    pub rebuffer_penalty: f64,
    /// Credit per second of buffer left at the horizon's end.
    pub buffer_value_per_s: f64,
    /// Buffer credited at most this much, seconds.
    pub buffer_credit_cap_s: f64,
    /// Multiplier on the switching penalty when planning (>1 adds hysteresis against
    /// prediction noise: a noise-driven switch is usually paid twice, up and back down).
    pub switch_penalty_mult: f64,
    /// Buffer (s) under which the prediction is scaled down linearly to `low_buffer_safety`.
    pub low_buffer_s: f64,
    /// Prediction multiplier at empty buffer.
    pub low_buffer_safety: f64,
    /// Extra penalty multiplier on a first-step switch that reverses the direction of a
    /// switch made within the last `reversal_window` fragments (damps oscillation).
    pub reversal_mult: f64,
    /// Fragments during which a reversal is penalised.
    pub reversal_window: usize,
    /// Quantile of regime throughputs used as the pessimistic scenario.
    pub pess_quantile: f64,
    /// Weight of the pessimistic scenario's rebuffering and buffer credit (0 = nominal only).
    pub pess_weight: f64,
    /// A switch must beat the best plan that keeps the current level by this much QoE.
    pub switch_margin: f64,
    /// Scale the low-buffer discount by the observed prediction error instead of the fixed
    /// `low_buffer_safety`.
    pub adaptive_low_buffer: bool,
    /// Multiplier on the observed error in the adaptive low-buffer discount.
    pub low_buffer_error_mult: f64,
    /// Abandon a download that is projected to stall playback when a lower level would not.
    pub abandonment: bool,
    /// Also cap the prediction by the time-weighted EWMA (3 s / 8 s half-lives, dash.js):
    /// a long slow download then weighs as long as it lasted.
    pub ewma_cap: bool,
    /// Relative error assumed before any prediction was checked (cold start).
    pub initial_error: f64,
    /// Use the regime estimator (bits over time since the last change point) instead of the
    /// short/long harmonic blend.
    pub regime: bool,
    /// Regime window cap, downloads.
    pub regime_max: usize,
    /// Regime change ratio.
    pub regime_ratio: f64,
    /// Downloads that confirm a regime change.
    pub regime_confirm: usize,
    /// Level of the first fragment (before any measurement).
    pub first_level: usize,
}

impl Default for SmoothplayParams {
    fn default() -> Self {
        SmoothplayParams {
            horizon: 15,
            window: 5,
            long_weight: 0.5,
            error_window: 5,
            error_discount: 0.0,
            safety: 1.0,
            rebuffer_penalty: 4.3,
            buffer_value_per_s: 0.4,
            buffer_credit_cap_s: 20.0,
            switch_penalty_mult: 1.0,
            low_buffer_s: 20.0,
            low_buffer_safety: 0.5,
            reversal_mult: 0.0,
            reversal_window: 4,
            pess_quantile: 0.2,
            pess_weight: 0.0,
            switch_margin: 0.2,
            adaptive_low_buffer: false,
            low_buffer_error_mult: 1.0,
            abandonment: true,
            ewma_cap: false,
            initial_error: 0.0,
            regime: true,
            regime_max: 20,
            regime_ratio: 2.0,
            regime_confirm: 3,
            first_level: 0,
        }
    }
}

/// smoothplay's selector (see module docs).
#[derive(Debug, Clone)]
pub struct Smoothplay {
    p: SmoothplayParams,
    short: HarmonicMeanEstimator,
    long_inv_sum: f64,
    long_n: f64,
    latency: EwmaEstimator,
    regime: RegimeEstimator,
    errors_seen: usize,
    errors: VecDeque<f64>,
    last_prediction_bps: Option<f64>,
    last_level: Option<usize>,
    /// (fragment index, +1 up / -1 down) of the last switch.
    last_switch: Option<(usize, i8)>,
    downloads: usize,
    decode_cap: DecodeCap,
    rates: Vec<f64>,
    dl: Vec<f64>,
    dl_pess: Vec<f64>,
}

impl Smoothplay {
    /// With default parameters.
    pub fn new(ladder: &Ladder) -> Self {
        Self::with_params(ladder, SmoothplayParams::default())
    }

    /// With explicit parameters.
    pub fn with_params(ladder: &Ladder, p: SmoothplayParams) -> Self {
        Smoothplay {
            short: HarmonicMeanEstimator::new(p.window),
            long_inv_sum: 0.0,
            long_n: 0.0,
            latency: EwmaEstimator::sabre_default(ladder.fragment_duration),
            errors_seen: 0,
            regime: RegimeEstimator::new(p.regime_max, p.regime_ratio, p.regime_confirm),
            errors: VecDeque::new(),
            last_prediction_bps: None,
            last_level: None,
            last_switch: None,
            downloads: 0,
            decode_cap: DecodeCap::default(),
            rates: Vec::new(),
            dl: Vec::new(),
            dl_pess: Vec::new(),
            p,
        }
    }

    /// Undiscounted blend of short and long harmonic means, bit/s.
    fn blended_bps(&self) -> Option<f64> {
        if self.p.regime {
            return self.regime.estimate_bps();
        }
        let short = self.short.estimate_bps()?;
        let long = if self.long_n > 0.0 { self.long_n / self.long_inv_sum } else { short };
        let w = self.p.long_weight.clamp(0.0, 1.0);
        Some(short.powf(1.0 - w) * long.powf(w))
    }

    /// The robust prediction, bit/s.
    pub fn prediction_bps(&self) -> Option<f64> {
        let mut b = self.blended_bps()?;
        if self.p.ewma_cap {
            if let Some(e) = self.latency.estimate_bps() {
                b = b.min(e);
            }
        }
        let mut err = self.errors.iter().copied().fold(0.0, f64::max);
        if self.errors_seen < self.p.error_window {
            err = err.max(self.p.initial_error);
        }
        Some(b * self.p.safety / (1.0 + self.p.error_discount * err))
    }

    /// Best first level over the structured plans.
    fn plan(&mut self, ctx: &Context, bw: f64, pess_bw: f64, cap: usize) -> usize {
        let ladder = ctx.ladder;
        let levels = cap + 1;
        let d = ladder.fragment_s();
        let remaining = ladder.remaining_fragments(ctx.fragment_index).unwrap_or(usize::MAX);
        let to_end = remaining <= self.p.horizon;
        let h = self.p.horizon.min(remaining).max(1);
        let lat = self.latency.latency_s().unwrap_or(0.0);
        let max_buf = ctx.buffer.max.as_secs_f64().max(d);
        self.rates.clear();
        self.rates.extend((0..levels).map(|q| ladder.bitrate_bps(q) as f64 / 1e6));
        self.dl.clear();
        self.dl_pess.clear();
        for k in 0..h {
            for q in 0..levels {
                let bits = ladder.fragment_bytes(ctx.fragment_index + k, q) as f64 * 8.0;
                self.dl.push(lat + bits / bw);
                self.dl_pess.push(lat + bits / pess_bw);
            }
        }
        let wp = self.p.pess_weight.clamp(0.0, 1.0);
        let last = self.last_level.or(ctx.last_level).unwrap_or(0).min(levels - 1);
        let b0 = ctx.buffer.level.as_secs_f64();
        let reversal_dir = match self.last_switch {
            Some((at, dir)) if self.downloads.saturating_sub(at) <= self.p.reversal_window => -dir,
            _ => 0,
        };
        let credit = if to_end { 0.0 } else { self.p.buffer_value_per_s };
        let mut best = (f64::NEG_INFINITY, 0usize);
        let mut stay = f64::NEG_INFINITY;
        for a in 0..levels {
            for b in 0..levels {
                // j = fragments at level a before switching to b (j = h: constant a).
                let j_range = if a == b { h..=h } else { 1..=h.saturating_sub(1).max(1) };
                for j in j_range {
                    let (mut buf, mut prev, mut v) = (b0, last, 0.0);
                    let mut pbuf = b0;
                    for k in 0..h {
                        let q = if k < j { a } else { b };
                        let t = self.dl[k * levels + q];
                        let tp = self.dl_pess[k * levels + q];
                        let rebuf = (1.0 - wp) * (t - buf).max(0.0) + wp * (tp - pbuf).max(0.0);
                        buf = ((buf - t).max(0.0) + d).min(max_buf);
                        pbuf = ((pbuf - tp).max(0.0) + d).min(max_buf);
                        let sw = (self.rates[q] - self.rates[prev]).abs();
                        let mut mult = 1.0;
                        if k == 0 && q != prev {
                            mult = self.p.switch_penalty_mult;
                            let dir: i8 = if q > prev { 1 } else { -1 };
                            if dir == reversal_dir {
                                mult += self.p.reversal_mult;
                            }
                        }
                        v += self.rates[q] - sw * mult - self.p.rebuffer_penalty * rebuf;
                        prev = q;
                    }
                    let end_buf = (1.0 - wp) * buf + wp * pbuf;
                    v += credit * end_buf.min(self.p.buffer_credit_cap_s);
                    if v > best.0 {
                        best = (v, a);
                    }
                    if a == last && v > stay {
                        stay = v;
                    }
                }
            }
        }
        if best.1 != last && best.0 - stay < self.p.switch_margin {
            return last;
        }
        best.1
    }
}

/// Abandons when, at the throughput measured so far, the rest of the download outlasts the
/// buffer (playback would stall) while the highest lower level that fits in the buffer
/// (including a new request's latency) would finish sooner than the rest. Grace: 0.5 s.
fn stall_abandon(ctx: &Context, p: &DownloadProgress, latency_s: f64) -> Option<usize> {
    let elapsed = p.elapsed.as_secs_f64();
    let ttfb = p.ttfb?.as_secs_f64();
    let transfer = elapsed - ttfb;
    if elapsed < 0.5 || transfer <= 0.0 || p.bytes_done == 0 || p.level == 0 {
        return None;
    }
    let ladder = ctx.ladder;
    let total = p.bytes_total.unwrap_or_else(|| ladder.fragment_bytes(p.fragment_index, p.level)) as f64;
    let done = p.bytes_done as f64;
    let tput = done / transfer; // bytes/s
    let left_s = (total - done) / tput;
    let buffer = ctx.buffer.level.as_secs_f64();
    if left_s <= buffer {
        return None;
    }
    let time_for = |q: usize| latency_s + ladder.fragment_bytes(p.fragment_index, q) as f64 / tput;
    let fits = (0..p.level).rev().find(|&q| time_for(q) <= buffer).unwrap_or(0);
    (time_for(fits) < left_s).then_some(fits)
}

impl QualitySelector for Smoothplay {
    fn name(&self) -> &str {
        "smoothplay"
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        let ladder = ctx.ladder;
        let mut cap = viewport_cap(ladder, ctx.viewport).min(ladder.top());
        if let Some(c) = self.decode_cap.update(ladder, ctx.decode) {
            cap = cap.min(c);
        }
        let Some(bw) = self.prediction_bps() else {
            return Decision::now(self.p.first_level.min(cap));
        };
        self.last_prediction_bps = self.blended_bps();
        let buf = ctx.buffer.level.as_secs_f64();
        let bw = if buf < self.p.low_buffer_s && self.p.low_buffer_s > 0.0 {
            let depth = 1.0 - buf / self.p.low_buffer_s;
            if self.p.adaptive_low_buffer {
                // Discount by the error actually observed (none yet: `initial_error`), so a
                // steady link is not throttled while the buffer builds.
                let err = if self.errors.is_empty() {
                    self.p.initial_error
                } else {
                    self.errors.iter().copied().fold(0.0, f64::max)
                };
                bw / (1.0 + self.p.low_buffer_error_mult * err * depth)
            } else {
                bw * (self.p.low_buffer_safety + (1.0 - self.p.low_buffer_safety) * (1.0 - depth))
            }
        } else {
            bw
        };
        let pess = self.regime.quantile_bps(self.p.pess_quantile).unwrap_or(bw).min(bw);
        Decision::now(self.plan(ctx, bw, pess, cap))
    }

    fn on_download(&mut self, _ctx: &Context, report: &DownloadReport) {
        self.latency.on_download(report);
        if report.abandoned {
            return;
        }
        if let Some(prev) = self.last_level {
            if prev != report.level {
                let dir = if report.level > prev { 1 } else { -1 };
                // Fragment index is not in the report; count downloads instead.
                self.last_switch = Some((self.downloads, dir));
            }
        }
        self.downloads += 1;
        self.last_level = Some(report.level);
        let Some(actual) = report.throughput_bps() else { return };
        if let Some(pred) = self.last_prediction_bps.take() {
            if self.errors.len() >= self.p.error_window.max(1) {
                self.errors.pop_front();
            }
            self.errors.push_back((pred - actual).abs() / actual);
            self.errors_seen += 1;
        }
        self.short.push(actual);
        self.regime.on_download(report);
        self.long_inv_sum += 1.0 / actual;
        self.long_n += 1.0;
    }

    fn should_abandon(&mut self, ctx: &Context, progress: &DownloadProgress) -> Option<usize> {
        if !self.p.abandonment {
            return None;
        }
        stall_abandon(ctx, progress, self.latency.latency_s().unwrap_or(0.0))
    }

    fn on_seek(&mut self) {
        self.last_prediction_bps = None;
    }

    fn reset(&mut self) {
        self.short.reset();
        self.regime.reset();
        self.long_inv_sum = 0.0;
        self.long_n = 0.0;
        self.latency.reset();
        self.errors.clear();
        self.errors_seen = 0;
        self.last_prediction_bps = None;
        self.last_level = None;
        self.last_switch = None;
        self.downloads = 0;
        self.decode_cap.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_util::{ctx, envivio, report};
    use crate::sim::{simulate, SimConfig, Trace, Video};
    use crate::types::{DecodeCapacity, Level, Viewport};
    use std::time::Duration;

    fn warmed(l: &Ladder, kbps: f64) -> Smoothplay {
        let mut s = Smoothplay::new(l);
        for i in 0..6 {
            s.on_download(&ctx(l, i, 20.0), &report(3, kbps * 4.0, 0.0, 4.0));
        }
        s
    }

    #[test]
    fn spends_the_buffer_at_the_end() {
        let l = envivio();
        let mut s = warmed(&l, 2000.0);
        // Fragment 45 of 48, 50 s buffered, 2000 kbit/s: three 4300 kbps fragments take
        // 3 x 8.6 = 25.8 s < 50 s, so no stall: 3 x 4.3 - |4.3 - 1.85| = 10.45 beats staying at
        // 1850 (5.55). No buffer credit at the end of the video.
        let mut c = ctx(&l, 45, 50.0);
        c.last_level = Some(3);
        assert_eq!(s.choose(&c).level, 5);
    }

    #[test]
    fn low_buffer_keeps_sustainable_level() {
        let l = envivio();
        let mut s = warmed(&l, 2000.0);
        // Mid-video with 4 s of buffer: 2850 kbps (5.7 s per fragment) would stall at once.
        let mut c = ctx(&l, 20, 4.0);
        c.last_level = Some(3);
        assert!(s.choose(&c).level <= 3);
    }

    #[test]
    fn decode_overload_and_viewport_cap_the_level() {
        let lv = |b: u64, w: u32, h: u32| Level { bitrate_bps: b, width: Some(w), height: Some(h) };
        let mut l = Ladder::new(
            vec![lv(300_000, 320, 180), lv(750_000, 640, 360), lv(1_200_000, 854, 480), lv(2_850_000, 1280, 720), lv(4_300_000, 1920, 1080)],
            Duration::from_secs(4),
        );
        l.fragment_count = Some(48);
        // Plenty of bandwidth and buffer: unconstrained it picks the top level.
        let mut s = warmed(&l, 50_000.0);
        let mut c = ctx(&l, 20, 40.0);
        c.last_level = Some(4);
        assert_eq!(s.choose(&c).level, 4);
        // Decoding 1080p takes 50 ms per 40 ms frame: capped below level 4.
        c.decode = Some(DecodeCapacity {
            decode_time_per_frame: Duration::from_millis(50),
            frame_duration: Duration::from_millis(40),
            frames_decoded: 100,
            frames_dropped: 0,
            level: 4,
        });
        assert!(s.choose(&c).level <= 3);
        // A 640x360 viewport: nothing above 854x480 (within 1.5x).
        c.decode = None;
        c.viewport = Some(Viewport { width: 640, height: 360 });
        assert!(s.choose(&c).level <= 2);
    }

    #[test]
    fn constant_link_no_rebuffering_and_steady_sustainable_level() {
        // 2000 kbit/s constant, no latency: 1850 kbps (level 3) is the highest sustainable
        // level; 2850 kbps drains 1.7 s of buffer per fragment.
        let v = Video::constant_bitrate(&[300, 750, 1200, 1850, 2850, 4300], Duration::from_secs(4), 48).unwrap();
        let t = Trace::constant(2000.0, 0.0);
        let mut s = Smoothplay::new(&v.ladder);
        let r = simulate(&v, &t, &mut s, &SimConfig::default());
        assert_eq!(r.metrics.rebuffer_s, 0.0);
        // The low-buffer discount (x0.5 at empty buffer, none above 20 s) delays the ramp; by
        // fragment 12 (> 20 s buffered) it holds 1850 or briefly spends buffer on 2850, never
        // dropping back below 1850 and never jumping to 4300 (8.6 s per 4 s fragment).
        assert!(r.levels[12..44].iter().all(|&q| q == 3 || q == 4), "{:?}", r.levels);
        assert!(r.levels[12..44].iter().filter(|&&q| q == 3).count() >= 16, "{:?}", r.levels);
    }
}
