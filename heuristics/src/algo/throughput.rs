//! Throughput rule: pick the highest bitrate the (conservative) throughput estimate sustains.
//!
//! Source: dash.js `ThroughputRule` and its Sabre model (`ThroughputRule` in UMass-LIDS/sabre
//! `src/sabre.py`; Spiteri, Sitaraman, Sparacio, "From Theory to Practice: Improving Bitrate
//! Adaptation in the DASH Reference Player", MMSys 2018). Estimate: EWMA with half-lives 3 s and
//! 8 s, minimum of the two. Safety factor 0.9. Insufficient-buffer rule: the next fragment must
//! fit in `safety x (buffer - latency) x throughput` bits, with the safety factor starting at
//! 0.9 and shrinking by x0.9 per decision down to 0.5. Abandonment: after 500 ms, if the
//! download is projected to take more than 1.8 fragment durations, drop to the level the
//! measured throughput sustains (when that is lower and smaller than what is left).

use super::quality_from_throughput;
use crate::estimator::{BandwidthEstimator, EwmaEstimator};
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport, Ladder};

/// The throughput rule (see module docs). Also used as a component of DYNAMIC.
#[derive(Debug, Clone)]
pub struct ThroughputRule {
    estimator: EwmaEstimator,
    ibr_safety: f64,
    /// Apply the insufficient-buffer rule (on by default, as in Sabre).
    pub insufficient_buffer_rule: bool,
}

impl ThroughputRule {
    /// Safety factor applied to the throughput estimate.
    pub const SAFETY_FACTOR: f64 = 0.9;
    /// Floor of the insufficient-buffer safety factor.
    pub const LOW_BUFFER_SAFETY_FACTOR: f64 = 0.5;
    /// Initial insufficient-buffer safety factor (and its per-decision decay).
    pub const LOW_BUFFER_SAFETY_FACTOR_INIT: f64 = 0.9;
    /// Abandon when the projected download time exceeds this many fragment durations.
    pub const ABANDON_MULTIPLIER: f64 = 1.8;
    /// No abandonment before this much time since the request.
    pub const ABANDON_GRACE_S: f64 = 0.5;

    /// A throughput rule with Sabre's default EWMA for this ladder's fragment duration.
    pub fn new(ladder: &Ladder) -> Self {
        ThroughputRule {
            estimator: EwmaEstimator::sabre_default(ladder.fragment_duration),
            ibr_safety: Self::LOW_BUFFER_SAFETY_FACTOR_INIT,
            insufficient_buffer_rule: true,
        }
    }

    /// The shared estimate (bit/s), `None` before the first download.
    pub fn estimate_bps(&self) -> Option<f64> {
        self.estimator.estimate_bps()
    }

    /// The latency estimate in seconds (0 before the first download).
    pub fn latency_s(&self) -> f64 {
        self.estimator.latency_s().unwrap_or(0.0)
    }

    /// The decision of the rule for a buffer level in seconds (advances the IBR safety decay).
    pub fn decide(&mut self, ladder: &Ladder, buffer_s: f64) -> usize {
        let Some(tput) = self.estimator.estimate_bps() else { return 0 };
        let latency = self.latency_s();
        let mut q = quality_from_throughput(ladder, tput * Self::SAFETY_FACTOR, latency);
        if self.insufficient_buffer_rule {
            let safe_bits = self.ibr_safety * (buffer_s - latency) * tput;
            self.ibr_safety = (self.ibr_safety * Self::LOW_BUFFER_SAFETY_FACTOR_INIT)
                .max(Self::LOW_BUFFER_SAFETY_FACTOR);
            let d = ladder.fragment_s();
            if let Some(first_too_big) =
                (0..q).find(|&i| ladder.bitrate_bps(i + 1) as f64 * d > safe_bits)
            {
                q = first_too_big;
            }
        }
        q
    }

    /// The rule's abandonment test (see module docs).
    pub fn abandon(&self, ctx: &Context, p: &DownloadProgress) -> Option<usize> {
        let ladder = ctx.ladder;
        let elapsed = p.elapsed.as_secs_f64();
        let ttfb = p.ttfb?.as_secs_f64();
        let transfer = elapsed - ttfb;
        if elapsed < Self::ABANDON_GRACE_S || transfer <= 0.0 || p.bytes_done == 0 {
            return None;
        }
        let total = p
            .bytes_total
            .unwrap_or_else(|| ladder.fragment_bytes(p.fragment_index, p.level))
            as f64;
        let done = p.bytes_done as f64;
        let tput_bps = done * 8.0 / transfer;
        let left = total - done;
        let time_left = left * 8.0 / tput_bps;
        if elapsed + time_left <= Self::ABANDON_MULTIPLIER * ladder.fragment_s() {
            return None;
        }
        let q = quality_from_throughput(ladder, tput_bps * Self::SAFETY_FACTOR, self.latency_s());
        let cur_rate = ladder.bitrate_bps(p.level) as f64;
        if q >= p.level || cur_rate <= 0.0 {
            return None;
        }
        let est_size = total * ladder.bitrate_bps(q) as f64 / cur_rate;
        (est_size < left).then_some(q)
    }

    /// Feed a download outcome to the estimator.
    pub fn observe(&mut self, report: &DownloadReport) {
        self.estimator.on_download(report);
    }
}

impl QualitySelector for ThroughputRule {
    fn name(&self) -> &str {
        "throughput"
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        Decision::now(self.decide(ctx.ladder, ctx.buffer.level.as_secs_f64()))
    }

    fn on_download(&mut self, _ctx: &Context, report: &DownloadReport) {
        self.observe(report);
    }

    fn should_abandon(&mut self, ctx: &Context, progress: &DownloadProgress) -> Option<usize> {
        self.abandon(ctx, progress)
    }

    fn reset(&mut self) {
        self.estimator.reset();
        self.ibr_safety = Self::LOW_BUFFER_SAFETY_FACTOR_INIT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::BufferState;
    use std::time::Duration;

    fn ladder() -> Ladder {
        Ladder::from_kbps(&[300, 750, 1200, 1850, 2850, 4300], Duration::from_secs(4))
    }

    fn ctx(l: &Ladder, buffer_s: f64) -> Context<'_> {
        Context {
            ladder: l,
            fragment_index: 1,
            buffer: BufferState {
                level: Duration::from_secs_f64(buffer_s),
                target: Duration::from_secs(60),
                max: Duration::from_secs(60),
            },
            last_level: Some(0),
            live_edge_distance: None,
            decode: None,
            viewport: None,
            playing: true,
            now: Duration::ZERO,
        }
    }

    fn report(kbits: f64, ttfb_s: f64, transfer_s: f64) -> DownloadReport {
        DownloadReport {
            level: 0,
            bytes: (kbits * 125.0) as u64,
            ttfb: Duration::from_secs_f64(ttfb_s),
            duration: Duration::from_secs_f64(ttfb_s + transfer_s),
            media_duration: Duration::from_secs(4),
            abandoned: false,
        }
    }

    #[test]
    fn first_choice_is_lowest() {
        let l = ladder();
        let mut t = ThroughputRule::new(&l);
        assert_eq!(t.choose(&ctx(&l, 0.0)).level, 0);
    }

    #[test]
    fn picks_by_safety_factor_and_latency() {
        let l = ladder();
        let mut t = ThroughputRule::new(&l);
        t.insufficient_buffer_rule = false;
        // 2000 kbps measured, no latency: 0.9 x 2000 = 1800 -> 1200 kbps (level 2).
        t.on_download(&ctx(&l, 0.0), &report(8000.0, 0.0, 4.0));
        assert_eq!(t.choose(&ctx(&l, 30.0)).level, 2);
    }

    #[test]
    fn insufficient_buffer_rule_limits_low_buffer() {
        let l = ladder();
        let mut t = ThroughputRule::new(&l);
        // 5000 kbps measured: throughput alone picks 4300 (0.9 x 5000 = 4500).
        t.on_download(&ctx(&l, 0.0), &report(20000.0, 0.0, 4.0));
        // Buffer 1 s: safe size = 0.9 x 1 s x 5000 kbps = 4500 kbit; 750 x 4 = 3000 fits,
        // 1200 x 4 = 4800 does not -> level 1.
        assert_eq!(t.choose(&ctx(&l, 1.0)).level, 1);
        // Next decision: safety 0.81; buffer 20 s: 0.81 x 20 x 5000 = 81000 kbit -> level 5.
        assert_eq!(t.choose(&ctx(&l, 20.0)).level, 5);
    }

    #[test]
    fn abandons_slow_download() {
        let l = ladder();
        let mut t = ThroughputRule::new(&l);
        t.on_download(&ctx(&l, 0.0), &report(20000.0, 0.0, 4.0));
        // Downloading level 5 (4300 kbps x 4 s = 17200 kbit = 2 150 000 bytes) at 500 kbps:
        // after 1 s, 62 500 bytes done; projected total 34.4 s > 7.2 s -> abandon to the level
        // 0.9 x 500 = 450 kbps sustains: level 0.
        let p = DownloadProgress {
            fragment_index: 1,
            level: 5,
            bytes_done: 62_500,
            bytes_total: Some(2_150_000),
            elapsed: Duration::from_secs(1),
            ttfb: Some(Duration::ZERO),
        };
        assert_eq!(t.should_abandon(&ctx(&l, 10.0), &p), Some(0));
        // Within the grace time, nothing.
        let early = DownloadProgress { elapsed: Duration::from_millis(400), ..p };
        assert_eq!(t.should_abandon(&ctx(&l, 10.0), &early), None);
    }
}
