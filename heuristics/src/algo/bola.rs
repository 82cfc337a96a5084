//! BOLA (Spiteri, Urgaonkar, Sitaraman, "BOLA: Near-Optimal Bitrate Adaptation for Online
//! Videos", INFOCOM 2016), in the practical form of Sabre's `Bola` class (UMass-LIDS/sabre
//! `src/sabre.py`): Lyapunov utility-maximisation on the buffer level.
//!
//! Utilities `v_m = ln(S_m / S_1)`; control parameters `gamma_p = 5` and
//! `V = (B_max - p) / (v_M + gamma_p)` with the buffer cap shrunk near the start and end of the
//! video (`min(B_max, max(min(i, N - i) / 2, 3) x p)`). Level: `argmax (V (v_m + gamma_p) - Q) / S_m`.
//! Oscillation guard (BOLA-U): an up-switch beyond what the throughput estimate sustains goes
//! only one level above that, or stays at the previous level. Abandonment: switch to a lower
//! level when its score per remaining bit is higher.

use super::quality_from_throughput;
use crate::estimator::{BandwidthEstimator, EwmaEstimator};
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport, Ladder};
use std::time::Duration;

/// BOLA as in Sabre (see module docs). Times in seconds internally.
#[derive(Debug, Clone)]
pub struct Bola {
    utilities: Vec<f64>,
    bitrates: Vec<f64>,
    gp: f64,
    buffer_s: f64,
    vp: f64,
    last_quality: usize,
    last_seek_index: usize,
    seek_pending: bool,
    estimator: EwmaEstimator,
}

impl Bola {
    /// Sabre's default `gamma_p` (seconds x utility).
    pub const GAMMA_P: f64 = 5.0;

    /// BOLA for `ladder` with maximum buffer `max_buffer`.
    pub fn new(ladder: &Ladder, max_buffer: Duration) -> Self {
        let bitrates: Vec<f64> = ladder.levels.iter().map(|l| l.bitrate_bps.max(1) as f64).collect();
        let b0 = bitrates.first().copied().unwrap_or(1.0);
        let utilities: Vec<f64> = bitrates.iter().map(|b| (b / b0).ln()).collect();
        let buffer_s = max_buffer.as_secs_f64();
        let u_top = utilities.last().copied().unwrap_or(0.0);
        let vp = (buffer_s - ladder.fragment_s()) / (u_top + Self::GAMMA_P);
        Bola {
            utilities,
            bitrates,
            gp: Self::GAMMA_P,
            buffer_s,
            vp,
            last_quality: 0,
            last_seek_index: 0,
            seek_pending: false,
            estimator: EwmaEstimator::sabre_default(ladder.fragment_duration),
        }
    }

    fn quality_from_buffer(&self, level_s: f64) -> usize {
        let mut best = 0;
        let mut score = f64::NEG_INFINITY;
        for q in 0..self.bitrates.len() {
            let s = (self.vp * (self.utilities[q] + self.gp) - level_s) / self.bitrates[q];
            if s > score {
                best = q;
                score = s;
            }
        }
        best
    }

    /// BOLA's decision; `None` before the first throughput sample (the caller uses level 0).
    pub fn decide(&mut self, ctx: &Context) -> Option<usize> {
        let tput = self.estimator.estimate_bps()?;
        if self.seek_pending {
            self.last_seek_index = ctx.fragment_index;
            self.seek_pending = false;
        }
        let d = ctx.ladder.fragment_s();
        let idx = ctx.fragment_index;
        let since_seek = idx.saturating_sub(self.last_seek_index) as f64;
        let to_end = ctx.ladder.remaining_fragments(idx).map_or(f64::INFINITY, |r| r as f64);
        let t = (since_seek.min(to_end) / 2.0).max(3.0) * d;
        let buffer = self.buffer_s.min(t);
        let u_top = self.utilities.last().copied().unwrap_or(0.0);
        self.vp = (buffer - d) / (u_top + self.gp);
        let mut q = self.quality_from_buffer(ctx.buffer.level.as_secs_f64());
        if q > self.last_quality {
            let latency = self.estimator.latency_s().unwrap_or(0.0);
            let qt = quality_from_throughput(ctx.ladder, tput, latency);
            if q <= qt {
                // keep q
            } else if self.last_quality > qt {
                q = self.last_quality;
            } else {
                q = qt + 1;
            }
        }
        self.last_quality = q;
        Some(q)
    }

    /// BOLA's abandonment rule.
    pub fn abandon(&mut self, ctx: &Context, p: &DownloadProgress) -> Option<usize> {
        let q = p.level;
        let size = p.bytes_total.unwrap_or_else(|| ctx.ladder.fragment_bytes(p.fragment_index, q)) as f64 * 8.0;
        let done = p.bytes_done as f64 * 8.0;
        let remain = size - done;
        if done <= 0.0 || remain <= 0.0 || q >= self.bitrates.len() {
            return None;
        }
        let bl = ctx.buffer.level.as_secs_f64();
        let mut score = (self.vp * (self.gp + self.utilities[q]) - bl) / remain;
        if score < 0.0 {
            return None;
        }
        let mut to = None;
        for lower in 0..q {
            let other_size = size * self.bitrates[lower] / self.bitrates[q];
            let other_score = (self.vp * (self.gp + self.utilities[lower]) - bl) / other_size;
            if other_size < remain && other_score > score {
                score = other_score;
                to = Some(lower);
            }
        }
        if let Some(l) = to {
            self.last_quality = l;
        }
        to
    }

    /// Feed a download outcome to the estimator.
    pub fn observe(&mut self, r: &DownloadReport) {
        self.estimator.on_download(r);
    }
}

impl QualitySelector for Bola {
    fn name(&self) -> &str {
        "bola"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        Decision::now(self.decide(ctx).unwrap_or(0))
    }
    fn on_download(&mut self, _ctx: &Context, report: &DownloadReport) {
        self.observe(report);
    }
    fn should_abandon(&mut self, ctx: &Context, progress: &DownloadProgress) -> Option<usize> {
        self.abandon(ctx, progress)
    }
    fn on_seek(&mut self) {
        self.seek_pending = true;
    }
    fn reset(&mut self) {
        self.estimator.reset();
        self.last_quality = 0;
        self.last_seek_index = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_util::{ctx, envivio, report};

    // Hand computation (see the module docs): fragment 20 of 48 -> buffer cap
    // min(60, max(min(20, 28) / 2, 3) x 4) = 40 s; V = (40 - 4) / (ln(4300/300) + 5) = 4.698.
    // Level thresholds V (gp + (S_m v_{m-1} - S_{m-1} v_m) / (S_m - S_{m-1})):
    // 20.62, 24.12, 26.25, 28.28, 30.27 s.
    #[test]
    fn buffer_thresholds_by_hand() {
        let l = envivio();
        for (buffer, want) in [(0.0, 0), (20.0, 0), (21.0, 1), (25.0, 2), (27.0, 3), (29.0, 4), (31.0, 5)] {
            let mut b = Bola::new(&l, Duration::from_secs(60));
            // 10 Mbit/s: the throughput guard allows any level.
            b.on_download(&ctx(&l, 0, 0.0), &report(0, 10_000.0, 0.0, 1.0));
            assert_eq!(b.choose(&ctx(&l, 20, buffer)).level, want, "buffer {buffer}");
        }
    }

    #[test]
    fn first_fragment_is_lowest_and_up_switch_is_guarded() {
        let l = envivio();
        let mut b = Bola::new(&l, Duration::from_secs(60));
        assert_eq!(b.choose(&ctx(&l, 0, 0.0)).level, 0);
        // 1000 kbit/s: the throughput rule sustains 750 (level 1). Buffer 31 s asks for 5, but
        // from last level 0 BOLA-U allows only one above the throughput level: 2.
        b.on_download(&ctx(&l, 0, 0.0), &report(0, 4000.0, 0.0, 4.0));
        assert_eq!(b.choose(&ctx(&l, 20, 31.0)).level, 2);
        // Now last = 2 > throughput level 1: stays at 2.
        assert_eq!(b.choose(&ctx(&l, 21, 31.0)).level, 2);
    }
}
