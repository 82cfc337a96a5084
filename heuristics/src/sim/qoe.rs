//! Session metrics and the QoE models of MPC (Yin et al., SIGCOMM'15) and Pensieve
//! (Mao et al., SIGCOMM'17).
//!
//! QoE is summed over fragments `1..N-1` (fragment 0 and startup excluded, as in Pensieve's
//! evaluation): `sum q(R_i) - mu * rebuffer_s - sum |q(R_i) - q(R_{i-1})|`, with
//! - `lin`: `q(R) = R / 1000` (R in kbit/s), `mu = 4.3`;
//! - `log`: `q(R) = ln(R / R_min)`, `mu = ln(R_max / R_min)` (2.66 for the envivio ladder,
//!   Pensieve's `REBUF_PENALTY` for the log variant);
//! - `hd`: `q` maps levels to Pensieve's HD reward `[1, 2, 3, 12, 15, 20]` (ladders with another
//!   level count are mapped by relative rank), `mu = 8`.

use serde::Serialize;

/// Pensieve's HD rewards for a six-level ladder.
pub const HD_REWARD: [f64; 6] = [1.0, 2.0, 3.0, 12.0, 15.0, 20.0];
/// Rebuffering penalty of QoE_lin per second (MPC, Pensieve).
pub const LIN_REBUF_PENALTY: f64 = 4.3;
/// Rebuffering penalty of QoE_HD per second.
pub const HD_REBUF_PENALTY: f64 = 8.0;

/// The three quality functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QoeModel {
    /// Linear in kbit/s / 1000.
    Lin,
    /// Logarithmic in bitrate.
    Log,
    /// Pensieve's HD reward.
    Hd,
}

impl QoeModel {
    /// Per-fragment quality of level `level` for ladder `kbps` (ascending).
    pub fn quality(self, kbps: &[f64], level: usize) -> f64 {
        let r = kbps.get(level).copied().unwrap_or(0.0);
        match self {
            QoeModel::Lin => r / 1000.0,
            QoeModel::Log => {
                let min = kbps.first().copied().unwrap_or(1.0).max(1e-9);
                (r.max(1e-9) / min).ln()
            }
            QoeModel::Hd => {
                let n = kbps.len();
                let idx = if n <= 1 { 0 } else { ((level as f64) * 5.0 / (n - 1) as f64).round() as usize };
                HD_REWARD.get(idx.min(5)).copied().unwrap_or(0.0)
            }
        }
    }

    /// Penalty per second of rebuffering.
    pub fn rebuffer_penalty(self, kbps: &[f64]) -> f64 {
        match self {
            QoeModel::Lin => LIN_REBUF_PENALTY,
            QoeModel::Log => {
                let (min, max) = (kbps.first().copied().unwrap_or(1.0), kbps.last().copied().unwrap_or(1.0));
                (max / min.max(1e-9)).ln()
            }
            QoeModel::Hd => HD_REBUF_PENALTY,
        }
    }

    /// QoE of a session: `levels[i]` is fragment i's level, `rebuffer_s` the rebuffering after
    /// startup. Fragment 0 contributes only as the reference of the first switch.
    pub fn session(self, kbps: &[f64], levels: &[usize], rebuffer_s: f64) -> f64 {
        let mut q = 0.0;
        for w in levels.windows(2) {
            let (a, b) = (self.quality(kbps, w[0]), self.quality(kbps, w[1]));
            q += b - (b - a).abs();
        }
        q - self.rebuffer_penalty(kbps) * rebuffer_s
    }
}

/// Summary of one simulated session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Fragments played.
    pub fragments: usize,
    /// Mean nominal bitrate over all fragments, kbit/s.
    pub mean_bitrate_kbps: f64,
    /// Rebuffering after startup, seconds.
    pub rebuffer_s: f64,
    /// Rebuffering events after startup.
    pub rebuffer_count: u32,
    /// Time from the first request to the first fragment being playable, seconds.
    pub startup_s: f64,
    /// Level changes between consecutive fragments.
    pub switches: u32,
    /// Mean |bitrate change| per switch, kbit/s (0 without switches).
    pub mean_switch_kbps: f64,
    /// Downloads abandoned.
    pub abandoned: u32,
    /// QoE_lin (see module docs).
    pub qoe_lin: f64,
    /// QoE_lin divided by `fragments - 1` (the per-chunk figure of the tables).
    pub qoe_lin_per_chunk: f64,
    /// QoE_log.
    pub qoe_log: f64,
    /// QoE_HD.
    pub qoe_hd: f64,
    /// Mean distance to the live edge sampled at each download, seconds (live mode only).
    pub live_latency_s: Option<f64>,
}

impl Metrics {
    /// Computes every metric from the level sequence and measured times.
    pub fn compute(
        kbps: &[f64],
        levels: &[usize],
        rebuffer_s: f64,
        rebuffer_count: u32,
        startup_s: f64,
        abandoned: u32,
        live_latency_s: Option<f64>,
    ) -> Self {
        let n = levels.len();
        let rate = |l: usize| kbps.get(l).copied().unwrap_or(0.0);
        let mean_bitrate_kbps = if n == 0 { 0.0 } else { levels.iter().map(|&l| rate(l)).sum::<f64>() / n as f64 };
        let (mut switches, mut switch_sum) = (0u32, 0.0);
        for w in levels.windows(2) {
            if w[0] != w[1] {
                switches += 1;
                switch_sum += (rate(w[1]) - rate(w[0])).abs();
            }
        }
        let qoe_lin = QoeModel::Lin.session(kbps, levels, rebuffer_s);
        Metrics {
            fragments: n,
            mean_bitrate_kbps,
            rebuffer_s,
            rebuffer_count,
            startup_s,
            switches,
            mean_switch_kbps: if switches == 0 { 0.0 } else { switch_sum / switches as f64 },
            abandoned,
            qoe_lin,
            qoe_lin_per_chunk: if n > 1 { qoe_lin / (n - 1) as f64 } else { 0.0 },
            qoe_log: QoeModel::Log.session(kbps, levels, rebuffer_s),
            qoe_hd: QoeModel::Hd.session(kbps, levels, rebuffer_s),
            live_latency_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: [f64; 6] = [300.0, 750.0, 1200.0, 1850.0, 2850.0, 4300.0];

    #[test]
    fn lin_by_hand() {
        // Levels 0,2,2,1: chunks 1..3 give 1.2 + 1.2 + 0.75 = 3.15; switches 0.9 + 0 + 0.45 = 1.35;
        // rebuffer 1 s -> 4.3. QoE = 3.15 - 1.35 - 4.3 = -2.5.
        let q = QoeModel::Lin.session(&K, &[0, 2, 2, 1], 1.0);
        assert!((q - (-2.5)).abs() < 1e-12, "{q}");
    }

    #[test]
    fn log_and_hd_by_hand() {
        let q = QoeModel::Log.session(&K, &[0, 5], 0.0);
        let l = (4300.0f64 / 300.0).ln();
        assert!((q - (l - l)).abs() < 1e-12);
        assert!((QoeModel::Log.rebuffer_penalty(&K) - 2.6626).abs() < 1e-3);
        // HD: levels 3,4: 15 - |15 - 12| = 12; rebuffer 0.5 s x 8 = 4 -> 8.
        assert!((QoeModel::Hd.session(&K, &[3, 4], 0.5) - 8.0).abs() < 1e-12);
    }

    #[test]
    fn metrics_by_hand() {
        let m = Metrics::compute(&K, &[0, 2, 2, 1], 1.0, 1, 0.5, 0, None);
        assert_eq!(m.switches, 2);
        assert!((m.mean_switch_kbps - 675.0).abs() < 1e-9);
        assert!((m.mean_bitrate_kbps - (300.0 + 1200.0 + 1200.0 + 750.0) / 4.0).abs() < 1e-9);
        assert!((m.qoe_lin_per_chunk - (-2.5 / 3.0)).abs() < 1e-12);
    }
}
