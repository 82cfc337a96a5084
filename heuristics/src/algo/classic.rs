//! The classic Smooth Streaming client heuristic (Silverlight / IIS Smooth Streaming era).
//!
//! Sources: A. Zambelli, "IIS Smooth Streaming Technical Overview", Microsoft, 2009 (the
//! client "monitors the download speed of each fragment ... if a fragment does not arrive
//! within its own playback duration the next one is requested at a lower bitrate, and it
//! steps back up when conditions allow"); S. Akhshabi, A. Begen, C. Dovrolis, "An experimental
//! evaluation of rate-adaptation algorithms in adaptive streaming over HTTP", MMSys 2011
//! (measured behaviour of the Smooth Streaming player: one-step down-switches on late
//! fragments, conservative one-step up-switches after sustained headroom, a panic drop when
//! the buffer runs low).
//!
//! Rules, per fragment:
//! - a fragment that took longer than its duration: step down one level;
//! - buffer under two fragment durations after a late fragment: drop straight to the level
//!   80 % of the measured throughput sustains (panic);
//! - up one level after 2 consecutive fragments that each arrived within 75 % of their
//!   duration, if 80 % of the smoothed throughput covers the next level and the buffer holds
//!   at least min(10 s, half the maximum).

use super::quality_from_throughput;
use crate::estimator::{BandwidthEstimator, EwmaEstimator};
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadReport, Ladder};

/// The classic Smooth Streaming heuristic (see module docs).
#[derive(Debug, Clone)]
pub struct Classic {
    estimator: EwmaEstimator,
    level: usize,
    late: bool,
    last_tput_bps: Option<f64>,
    fast_streak: u32,
}

impl Classic {
    /// Fraction of throughput considered usable.
    pub const SAFETY: f64 = 0.8;
    /// A fragment counts as "fast" when it arrives within this fraction of its duration.
    pub const FAST_FRACTION: f64 = 0.75;
    /// Consecutive fast fragments needed before stepping up.
    pub const FAST_STREAK: u32 = 2;

    /// The heuristic for `ladder`, starting at the lowest level.
    pub fn new(ladder: &Ladder) -> Self {
        Classic {
            estimator: EwmaEstimator::sabre_default(ladder.fragment_duration),
            level: 0,
            late: false,
            last_tput_bps: None,
            fast_streak: 0,
        }
    }
}

impl QualitySelector for Classic {
    fn name(&self) -> &str {
        "classic"
    }
    fn watches_progress(&self) -> bool {
        false
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        let ladder = ctx.ladder;
        let buffer = ctx.buffer.level.as_secs_f64();
        let d = ladder.fragment_s();
        let mut q = self.level.min(ladder.top());
        if self.late {
            if buffer < 2.0 * d {
                let t = self.last_tput_bps.unwrap_or(0.0);
                q = q.min(quality_from_throughput(ladder, t * Self::SAFETY, 0.0));
            } else {
                q = q.saturating_sub(1);
            }
            self.fast_streak = 0;
        } else if self.fast_streak >= Self::FAST_STREAK && q < ladder.top() {
            let est = self.estimator.estimate_bps().unwrap_or(0.0);
            let min_buffer = 10.0f64.min(ctx.buffer.max.as_secs_f64() / 2.0);
            if est * Self::SAFETY >= ladder.bitrate_bps(q + 1) as f64 && buffer >= min_buffer {
                q += 1;
                self.fast_streak = 0;
            }
        }
        self.late = false;
        self.level = q;
        Decision::now(q)
    }

    fn on_download(&mut self, ctx: &Context, report: &DownloadReport) {
        self.estimator.on_download(report);
        if report.abandoned {
            return;
        }
        self.level = report.level;
        self.last_tput_bps = report.throughput_bps();
        let took = report.duration.as_secs_f64();
        let d = ctx.ladder.fragment_s();
        self.late = took > d;
        if took <= Self::FAST_FRACTION * d {
            self.fast_streak += 1;
        } else {
            self.fast_streak = 0;
        }
    }

    fn reset(&mut self) {
        self.estimator.reset();
        self.level = 0;
        self.late = false;
        self.fast_streak = 0;
        self.last_tput_bps = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_util::{ctx, envivio, report};

    #[test]
    fn steps_up_after_fast_fragments_and_down_after_a_late_one() {
        let l = envivio();
        let mut c = Classic::new(&l);
        assert_eq!(c.choose(&ctx(&l, 0, 0.0)).level, 0);
        // Two fragments of 300 kbps x 4 s = 1200 kbit in 0.4 s (3000 kbit/s): fast.
        c.on_download(&ctx(&l, 1, 4.0), &report(0, 1200.0, 0.0, 0.4));
        assert_eq!(c.choose(&ctx(&l, 1, 12.0)).level, 0, "one fast fragment is not enough");
        c.on_download(&ctx(&l, 2, 12.0), &report(0, 1200.0, 0.0, 0.4));
        // 0.8 x 3000 = 2400 >= 750 and buffer 12 >= 10: one step up.
        assert_eq!(c.choose(&ctx(&l, 2, 12.0)).level, 1);
        // A fragment that took 5 s > 4 s: next one step down.
        c.on_download(&ctx(&l, 3, 12.0), &report(1, 3000.0, 0.0, 5.0));
        assert_eq!(c.choose(&ctx(&l, 3, 11.0)).level, 0);
    }

    #[test]
    fn panic_drop_on_low_buffer() {
        let l = envivio();
        let mut c = Classic::new(&l);
        c.level = 5;
        // Late fragment at 500 kbit/s with 3 s of buffer (< 8 s): drop to what 0.8 x 500 = 400
        // sustains: level 0.
        c.on_download(&ctx(&l, 5, 3.0), &report(5, 17200.0, 0.0, 34.4));
        assert_eq!(c.choose(&ctx(&l, 6, 3.0)).level, 0);
    }
}
