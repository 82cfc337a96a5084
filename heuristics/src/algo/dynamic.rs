//! DYNAMIC: switch between BOLA and the throughput rule on the buffer level.
//!
//! Two published variants, both as modelled in Sabre (UMass-LIDS/sabre `src/sabre.py`;
//! Spiteri, Sitaraman, Sparacio, MMSys 2018):
//! - [`Dynamic`] (`dynamic`): BOLA and the throughput rule both decide every fragment; use BOLA
//!   once the buffer exceeds 10 s and BOLA asks for at least the throughput level; go back to
//!   the throughput rule when the buffer falls below 10 s and BOLA asks for less. Abandonment by
//!   the throughput rule.
//! - [`DynamicDash`] (`dynamicdash`, the dash.js 2.6+ default): BOLA-E above 10 s of buffer,
//!   the throughput rule below 5 s (hysteresis in between); only the active rule decides and
//!   abandons.

use super::bola::Bola;
use super::bolae::BolaE;
use super::throughput::ThroughputRule;
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport, Ladder};
use std::time::Duration;

/// Sabre's `Dynamic` (BOLA + throughput rule).
#[derive(Debug, Clone)]
pub struct Dynamic {
    bola: Bola,
    tput: ThroughputRule,
    is_bola: bool,
}

impl Dynamic {
    /// Buffer threshold between the two rules, seconds.
    pub const LOW_BUFFER_THRESHOLD_S: f64 = 10.0;

    /// DYNAMIC for `ladder` and maximum buffer.
    pub fn new(ladder: &Ladder, max_buffer: Duration) -> Self {
        Dynamic { bola: Bola::new(ladder, max_buffer), tput: ThroughputRule::new(ladder), is_bola: false }
    }
}

impl QualitySelector for Dynamic {
    fn name(&self) -> &str {
        "dynamic"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let level = ctx.buffer.level.as_secs_f64();
        let Some(b) = self.bola.decide(ctx) else { return Decision::now(0) };
        let t = self.tput.decide(ctx.ladder, level);
        if self.is_bola {
            if level < Self::LOW_BUFFER_THRESHOLD_S && b < t {
                self.is_bola = false;
            }
        } else if level > Self::LOW_BUFFER_THRESHOLD_S && b >= t {
            self.is_bola = true;
        }
        Decision::now(if self.is_bola { b } else { t })
    }
    fn on_download(&mut self, _ctx: &Context, report: &DownloadReport) {
        self.bola.observe(report);
        self.tput.observe(report);
    }
    fn should_abandon(&mut self, ctx: &Context, progress: &DownloadProgress) -> Option<usize> {
        self.tput.abandon(ctx, progress)
    }
    fn on_seek(&mut self) {
        self.bola.on_seek();
    }
    fn reset(&mut self) {
        self.bola.reset();
        QualitySelector::reset(&mut self.tput);
        self.is_bola = false;
    }
}

/// Sabre's `DynamicDash` (BOLA-E + throughput rule, dash.js DYNAMIC).
#[derive(Debug, Clone)]
pub struct DynamicDash {
    bola: BolaE,
    tput: ThroughputRule,
    is_bola: bool,
    last_abandon_to: Option<usize>,
}

impl DynamicDash {
    /// Switch to the throughput rule below this buffer, seconds.
    pub const LOW_THRESHOLD_S: f64 = 5.0;
    /// Switch to BOLA-E above this buffer, seconds.
    pub const HIGH_THRESHOLD_S: f64 = 10.0;

    /// DYNAMIC (dash.js) for `ladder` and maximum buffer.
    pub fn new(ladder: &Ladder, max_buffer: Duration) -> Self {
        DynamicDash {
            bola: BolaE::new(ladder, max_buffer),
            tput: ThroughputRule::new(ladder),
            is_bola: false,
            last_abandon_to: None,
        }
    }
}

impl QualitySelector for DynamicDash {
    fn name(&self) -> &str {
        "dynamicdash"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let level = ctx.buffer.level.as_secs_f64();
        if self.is_bola && level < Self::LOW_THRESHOLD_S {
            self.is_bola = false;
        } else if !self.is_bola && level > Self::HIGH_THRESHOLD_S {
            self.is_bola = true;
        }
        if self.is_bola {
            let (q, delay) = self.bola.decide(ctx);
            Decision { level: q, wait: (delay > 0.0).then(|| Duration::from_secs_f64(delay)) }
        } else {
            Decision::now(self.tput.decide(ctx.ladder, level))
        }
    }
    fn on_download(&mut self, ctx: &Context, report: &DownloadReport) {
        let a = self.last_abandon_to.take();
        self.bola.observe(ctx, report, a);
        self.tput.observe(report);
    }
    fn should_abandon(&mut self, ctx: &Context, progress: &DownloadProgress) -> Option<usize> {
        let a = if self.is_bola { self.bola.abandon(ctx, progress) } else { self.tput.abandon(ctx, progress) };
        self.last_abandon_to = a;
        a
    }
    fn on_idle(&mut self, idle: Duration) {
        self.bola.idle(idle);
    }
    fn on_seek(&mut self) {
        self.bola.on_seek();
    }
    fn reset(&mut self) {
        self.bola.reset();
        QualitySelector::reset(&mut self.tput);
        self.is_bola = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_util::{ctx, envivio, report};

    #[test]
    fn dynamic_switches_to_bola_above_10_s() {
        let l = envivio();
        let mut d = Dynamic::new(&l, Duration::from_secs(60));
        // 10 Mbit/s measured: throughput rule picks 4300 (0.9 x 10000 > 4300).
        d.on_download(&ctx(&l, 0, 0.0), &report(0, 10_000.0, 0.0, 1.0));
        // Buffer 5 s: throughput rule, but its insufficient-buffer rule allows
        // 0.9 x 5 x 10000 = 45000 kbit -> level 5.
        assert_eq!(d.choose(&ctx(&l, 20, 5.0)).level, 5);
        // Buffer 25 s (> 10): BOLA says 2 < throughput 5, so DYNAMIC stays with throughput.
        assert_eq!(d.choose(&ctx(&l, 20, 25.0)).level, 5);
        // (Same fragment index so BOLA's V is the hand-computed one of bola.rs.)
        // Buffer 31 s: BOLA says 5 >= throughput 5 -> BOLA from now on.
        assert_eq!(d.choose(&ctx(&l, 20, 31.0)).level, 5);
        assert!(d.is_bola);
    }

    #[test]
    fn dynamicdash_hysteresis() {
        let l = envivio();
        let mut d = DynamicDash::new(&l, Duration::from_secs(60));
        d.on_download(&ctx(&l, 0, 0.0), &report(0, 8000.0, 0.0, 4.0));
        d.choose(&ctx(&l, 1, 8.0));
        assert!(!d.is_bola, "8 s is below the 10 s high threshold");
        d.choose(&ctx(&l, 2, 11.0));
        assert!(d.is_bola);
        d.choose(&ctx(&l, 3, 6.0));
        assert!(d.is_bola, "6 s is above the 5 s low threshold");
        d.choose(&ctx(&l, 4, 4.0));
        assert!(!d.is_bola);
    }
}
