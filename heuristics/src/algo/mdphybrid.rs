//! `mdphybrid` (experimental): smoothplay's long-horizon planner on its point forecast, with
//! the `mdp` selector's expected value of the state after the horizon (buffer, level, current
//! throughput state, model posterior) in place of smoothplay's buffer credit. Abandonment and
//! device caps are smoothplay's.

use super::mdp::Mdp;
use super::smoothplay::{Smoothplay, SmoothplayParams, TerminalValues};
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport, Ladder};

/// Buffer grid of the terminal values handed to the planner, seconds.
const STEP_S: f64 = 1.0;

/// See module docs.
#[derive(Debug, Clone)]
pub struct MdpHybrid {
    sp: Smoothplay,
    mdp: Mdp,
    horizon: usize,
}

impl MdpHybrid {
    /// From a smoothplay configuration and an mdp selector.
    pub fn new(ladder: &Ladder, p: SmoothplayParams, mdp: Mdp) -> Self {
        MdpHybrid { horizon: p.horizon, sp: Smoothplay::with_params(ladder, p), mdp }
    }
}

impl QualitySelector for MdpHybrid {
    fn name(&self) -> &str {
        "mdphybrid"
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        let ladder = ctx.ladder;
        let n = ladder.fragment_count.unwrap_or(usize::MAX);
        let end = ctx.fragment_index.saturating_add(self.horizon);
        let tv = if end < n {
            self.mdp.value_table(ladder, end, STEP_S).map(|(levels, values)| TerminalValues { step_s: STEP_S, levels, values })
        } else {
            None
        };
        self.sp.set_terminal_values(tv);
        self.sp.choose(ctx)
    }

    fn on_download(&mut self, ctx: &Context, report: &DownloadReport) {
        self.sp.on_download(ctx, report);
        self.mdp.on_download(ctx, report);
    }

    fn should_abandon(&mut self, ctx: &Context, progress: &DownloadProgress) -> Option<usize> {
        self.sp.should_abandon(ctx, progress)
    }

    fn watches_progress(&self) -> bool {
        self.sp.watches_progress()
    }

    fn reset(&mut self) {
        self.sp.reset();
        self.mdp.reset();
    }
}
