//! Exact search over level plans for a short horizon (the core of MPC-style selectors).
//!
//! Model of one step `k` at level `q`: download time `latency + size(k, q) x 8 / throughput`;
//! rebuffering `max(0, time - buffer)`; buffer `max(buffer - time, 0) + fragment`, then capped at
//! the maximum buffer when one is given (the player would idle); reward
//! `R_q/1000 - |R_q - R_prev|/1000 - penalty x rebuffering` (QoE_lin). A terminal value per
//! second of buffer left at the end of the horizon can be added (to value buffer as insurance).
//!
//! Depth-first branch and bound: the bound of a node is its reward so far plus, for each
//! remaining step, the best reward any level could get with the most buffer that step could
//! possibly have (no smoothness penalty), plus the terminal value of the largest possible
//! buffer. The bound is admissible, so the result is the exact optimum; ties keep the first
//! plan found in visiting order (from the highest level down).

use crate::types::Ladder;

/// Most steps a plan may have.
pub const MAX_HORIZON: usize = 12;

/// One planning problem.
#[derive(Debug, Clone, Copy)]
pub struct PlanProblem<'a> {
    /// The ladder (sizes from `fragment_bytes`).
    pub ladder: &'a Ladder,
    /// Fragment index of the first step.
    pub first_fragment: usize,
    /// Steps (clamped to 1..=MAX_HORIZON).
    pub horizon: usize,
    /// Buffer before the first step, seconds.
    pub buffer_s: f64,
    /// Level of the fragment before the first step (for the smoothness term).
    pub last_level: usize,
    /// Predicted throughput, bit/s.
    pub throughput_bps: f64,
    /// Per-request latency, seconds.
    pub latency_s: f64,
    /// Penalty per second of rebuffering.
    pub rebuffer_penalty: f64,
    /// Buffer cap, seconds (`None`: unbounded, as Pensieve's MPC).
    pub max_buffer_s: Option<f64>,
}

/// Reusable scratch space for [`PlanProblem`] searches.
#[derive(Debug, Clone, Default)]
pub struct PlanSearch {
    dl: Vec<f64>,
    rate: Vec<f64>,
    ub_suffix: Vec<f64>,
    levels: usize,
    h: usize,
    d: f64,
    penalty: f64,
    cap: f64,
    terminal_per_s: f64,
    cap_level: usize,
    best: f64,
    best_first: usize,
    /// Nodes visited by the last search (for benchmarks).
    pub nodes: u64,
}

impl PlanSearch {
    /// The first level of the best plan.
    pub fn best_first_level(&mut self, p: &PlanProblem) -> usize {
        self.best_plan(p, 0.0, usize::MAX).0
    }

    /// Best plan's first level and its value, with `terminal_per_s` reward per second of
    /// buffer at the horizon's end and levels above `level_cap` excluded.
    pub fn best_plan(&mut self, p: &PlanProblem, terminal_per_s: f64, level_cap: usize) -> (usize, f64) {
        let levels = p.ladder.len();
        if levels == 0 {
            return (0, 0.0);
        }
        let h = p.horizon.clamp(1, MAX_HORIZON);
        let d = p.ladder.fragment_s();
        let bw = p.throughput_bps.max(1.0);
        self.levels = levels;
        self.h = h;
        self.d = d;
        self.penalty = p.rebuffer_penalty;
        self.cap = p.max_buffer_s.unwrap_or(f64::INFINITY);
        self.terminal_per_s = terminal_per_s;
        self.cap_level = level_cap.min(levels - 1);
        self.rate.clear();
        self.rate.extend((0..levels).map(|q| p.ladder.bitrate_bps(q) as f64 / 1000.0 / 1000.0));
        self.dl.clear();
        for k in 0..h {
            for q in 0..levels {
                let bytes = p.ladder.fragment_bytes(p.first_fragment + k, q) as f64;
                self.dl.push(p.latency_s + bytes * 8.0 / bw);
            }
        }
        // Upper bound of each step's reward given the most buffer it could have.
        self.ub_suffix.clear();
        self.ub_suffix.resize(h + 1, 0.0);
        let mut max_buf = p.buffer_s.min(self.cap);
        let mut ubs = vec![0.0; h];
        for (k, ub) in ubs.iter_mut().enumerate() {
            let mut best = f64::NEG_INFINITY;
            for q in 0..=self.cap_level {
                let rebuf = (self.dl[k * levels + q] - max_buf).max(0.0);
                best = best.max(self.rate[q] - self.penalty * rebuf);
            }
            *ub = best;
            max_buf = (max_buf + d).min(self.cap);
        }
        self.ub_suffix[h] = terminal_per_s.max(0.0) * max_buf;
        for k in (0..h).rev() {
            self.ub_suffix[k] = self.ub_suffix[k + 1] + ubs[k];
        }
        self.best = f64::NEG_INFINITY;
        self.best_first = 0;
        self.nodes = 0;
        let start_buf = p.buffer_s.min(self.cap);
        self.dfs(0, start_buf, p.last_level.min(levels - 1), 0.0, 0);
        (self.best_first, self.best)
    }

    fn dfs(&mut self, k: usize, buf: f64, last: usize, acc: f64, first: usize) {
        self.nodes += 1;
        let base = k * self.levels;
        let last_rate = self.rate[last];
        // Children from the highest level down; each is bounded before descending.
        for q in (0..=self.cap_level).rev() {
            let t = self.dl[base + q];
            let rebuf = (t - buf).max(0.0);
            let r = self.rate[q] - (self.rate[q] - last_rate).abs() - self.penalty * rebuf;
            let v = acc + r;
            let f = if k == 0 { q } else { first };
            let next_buf = ((buf - t).max(0.0) + self.d).min(self.cap);
            if k + 1 == self.h {
                let total = v + self.terminal_per_s * next_buf;
                if total > self.best {
                    self.best = total;
                    self.best_first = f;
                }
                continue;
            }
            if v + self.ub_suffix[k + 1] <= self.best {
                continue;
            }
            self.dfs(k + 1, next_buf, q, v, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Brute force over all plans, for comparison.
    fn brute(p: &PlanProblem) -> (usize, f64) {
        let n = p.ladder.len();
        let d = p.ladder.fragment_s();
        let mut best = (0, f64::NEG_INFINITY);
        let total = n.pow(p.horizon as u32);
        for code in 0..total {
            let mut c = code;
            let mut plan = vec![0; p.horizon];
            for k in (0..p.horizon).rev() {
                plan[k] = c % n;
                c /= n;
            }
            let (mut buf, mut last, mut v) = (p.buffer_s, p.last_level, 0.0);
            for (k, &q) in plan.iter().enumerate() {
                let t = p.latency_s + p.ladder.fragment_bytes(p.first_fragment + k, q) as f64 * 8.0 / p.throughput_bps;
                let r = p.ladder.bitrate_bps(q) as f64 / 1e6;
                let rl = p.ladder.bitrate_bps(last) as f64 / 1e6;
                v += r - (r - rl).abs() - p.rebuffer_penalty * (t - buf).max(0.0);
                buf = (buf - t).max(0.0) + d;
                last = q;
            }
            // Ties go to the later plan in ascending order, as Pensieve's `>=` does.
            if v >= best.1 - 1e-9 {
                best = (plan[0], v.max(best.1));
            }
        }
        best
    }

    #[test]
    fn branch_and_bound_matches_brute_force() {
        let mut ladder = Ladder::from_kbps(&[300, 750, 1200, 1850, 2850, 4300], Duration::from_secs(4));
        ladder.fragment_sizes = Some(
            (0..10).map(|i| (0..6).map(|q| (ladder.bitrate_bps(q) / 2) * (3 + (i * 7 + q) % 5) as u64 / 4).collect()).collect(),
        );
        let mut s = PlanSearch::default();
        for (bw, buf, last) in [(500e3, 2.0, 0), (1.3e6, 8.0, 3), (3.1e6, 0.5, 5), (6e6, 30.0, 1), (900e3, 12.0, 2)] {
            for first in [0, 3] {
                let p = PlanProblem {
                    ladder: &ladder,
                    first_fragment: first,
                    horizon: 5,
                    buffer_s: buf,
                    last_level: last,
                    throughput_bps: bw,
                    latency_s: 0.0,
                    rebuffer_penalty: 4.3,
                    max_buffer_s: None,
                };
                let (q, v) = s.best_plan(&p, 0.0, usize::MAX);
                let (bq, bv) = brute(&p);
                assert!((v - bv).abs() < 1e-9, "value {v} vs {bv}");
                assert_eq!(q, bq, "bw {bw} buf {buf}");
                assert!(s.nodes < 9331);
            }
        }
    }

    #[test]
    fn hand_computed_one_step() {
        // 1000 kbps, buffer 0, last level 0, one step: level 1 (750 kbit/s x 4 s = 3 s download,
        // 3 s rebuffer) scores 0.75 - 0.45 - 12.9 < level 0 (1.2 s: 0.3 - 5.16).
        let ladder = Ladder::from_kbps(&[300, 750], Duration::from_secs(4));
        let p = PlanProblem {
            ladder: &ladder,
            first_fragment: 0,
            horizon: 1,
            buffer_s: 0.0,
            last_level: 0,
            throughput_bps: 1e6,
            latency_s: 0.0,
            rebuffer_penalty: 4.3,
            max_buffer_s: None,
        };
        let (q, v) = PlanSearch::default().best_plan(&p, 0.0, usize::MAX);
        assert_eq!(q, 0);
        assert!((v - (0.3 - 4.3 * 1.2)).abs() < 1e-12);
    }
}
