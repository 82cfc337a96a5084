//! BBA-0 (Huang, Johari, McKeown, Trunnell, Watson, "A Buffer-Based Approach to Rate
//! Adaptation: Evidence from a Large Video Streaming Service", SIGCOMM 2014, Algorithm 1).
//!
//! Rate map: lowest level below the reservoir `r`, highest above `r + cushion`, linear in
//! between. The level changes only when the map crosses the next level up (`Rate+`) or the
//! next level down (`Rate-`). The reservoir and cushion follow Pensieve's evaluation of BBA
//! (5 s and 10 s for a 60 s buffer) and scale with the maximum buffer.

use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadReport, Ladder};
use std::time::Duration;

/// BBA-0 (see module docs).
#[derive(Debug, Clone)]
pub struct Bba {
    reservoir_s: f64,
    cushion_s: f64,
    last: Option<usize>,
}

impl Bba {
    /// BBA-0 with reservoir `max_buffer / 12` and cushion `max_buffer / 6`.
    pub fn new(_ladder: &Ladder, max_buffer: Duration) -> Self {
        let b = max_buffer.as_secs_f64();
        Bba { reservoir_s: b / 12.0, cushion_s: b / 6.0, last: None }
    }

    /// BBA-0 with explicit reservoir and cushion.
    pub fn with_thresholds(reservoir: Duration, cushion: Duration) -> Self {
        Bba { reservoir_s: reservoir.as_secs_f64(), cushion_s: cushion.as_secs_f64().max(1e-3), last: None }
    }

    fn decide(&self, ladder: &Ladder, buffer_s: f64) -> usize {
        let top = ladder.top();
        let rate = |i: usize| ladder.bitrate_bps(i) as f64;
        let prev = self.last.unwrap_or(0).min(top);
        if buffer_s <= self.reservoir_s {
            return 0;
        }
        if buffer_s >= self.reservoir_s + self.cushion_s {
            return top;
        }
        let (rmin, rmax) = (rate(0), rate(top));
        let f = rmin + (rmax - rmin) * (buffer_s - self.reservoir_s) / self.cushion_s;
        let rate_plus = if prev == top { rate(top) } else { rate(prev + 1) };
        let rate_minus = if prev == 0 { rate(0) } else { rate(prev - 1) };
        if f >= rate_plus {
            // Highest level strictly below f.
            (0..=top).rev().find(|&i| rate(i) < f).unwrap_or(0)
        } else if f <= rate_minus {
            // Lowest level strictly above f.
            (0..=top).find(|&i| rate(i) > f).unwrap_or(top)
        } else {
            prev
        }
    }
}

impl QualitySelector for Bba {
    fn name(&self) -> &str {
        "bba"
    }
    fn watches_progress(&self) -> bool {
        false
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let q = self.decide(ctx.ladder, ctx.buffer.level.as_secs_f64());
        Decision::now(q)
    }
    fn on_download(&mut self, _ctx: &Context, report: &DownloadReport) {
        if !report.abandoned {
            self.last = Some(report.level);
        }
    }
    fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_util::{ctx, envivio, report};

    // Max buffer 60 s -> reservoir 5 s, cushion 10 s; rate map f(B) = 300 + 4000 (B - 5) / 10.
    #[test]
    fn rate_map_by_hand() {
        let l = envivio();
        let mut b = Bba::new(&l, Duration::from_secs(60));
        assert_eq!(b.choose(&ctx(&l, 1, 3.0)).level, 0, "below reservoir");
        assert_eq!(b.choose(&ctx(&l, 1, 16.0)).level, 5, "above reservoir + cushion");
        // B = 10: f = 2300 >= Rate+ (750 from level 0) -> highest level below 2300: 1850.
        assert_eq!(b.choose(&ctx(&l, 1, 10.0)).level, 3);
        b.on_download(&ctx(&l, 2, 10.0), &report(3, 7400.0, 0.0, 2.0));
        // B = 9: f = 1900, between Rate- (1200) and Rate+ (2850): stay at 3.
        assert_eq!(b.choose(&ctx(&l, 2, 9.0)).level, 3);
        // B = 7: f = 1100 <= Rate- (1200) -> lowest level above 1100: 1200 (level 2).
        assert_eq!(b.choose(&ctx(&l, 2, 7.0)).level, 2);
    }
}
