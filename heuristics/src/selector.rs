//! The quality-selector trait and the registry of built-in algorithms.

use crate::algo;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport, Ladder};
use std::time::Duration;

/// Chooses the level of each fragment. One instance per stream and session.
///
/// Call order, per fragment: [`choose`](Self::choose) -> (optional wait) -> request ->
/// zero or more [`should_abandon`](Self::should_abandon) while bytes arrive ->
/// [`on_download`](Self::on_download) with the outcome. When a download is abandoned the caller
/// reports it (with `abandoned: true`) and calls `choose` again for the same fragment.
/// After a seek call [`on_seek`](Self::on_seek); after a stream change, [`reset`](Self::reset).
pub trait QualitySelector: Send {
    /// Short algorithm name (one of [`ALGORITHMS`] for built-ins).
    fn name(&self) -> &str;

    /// Level for fragment `ctx.fragment_index`, and an optional wait before requesting it.
    fn choose(&mut self, ctx: &Context) -> Decision;

    /// Outcome of the request made after the last `choose`.
    fn on_download(&mut self, ctx: &Context, report: &DownloadReport);

    /// Called while a download is in flight; `Some(level)` asks the caller to cancel it
    /// (the level is the selector's suggestion for the retry; `choose` is still called).
    fn should_abandon(&mut self, _ctx: &Context, _progress: &DownloadProgress) -> Option<usize> {
        None
    }

    /// Whether [`should_abandon`](Self::should_abandon) can ever say yes. Callers may skip
    /// progress callbacks for selectors that answer `false` (the simulator does: it saves
    /// most of its time on slow links).
    fn watches_progress(&self) -> bool {
        true
    }

    /// The player sat idle for `idle` because its buffer was full (not because of a
    /// [`Decision::wait`]). BOLA-E uses this to grow its virtual placeholder buffer.
    fn on_idle(&mut self, _idle: Duration) {}

    /// The playhead jumped; the buffer was flushed.
    fn on_seek(&mut self) {}

    /// Why the last [`QualitySelector::choose`] chose its level, when the selector says
    /// (`None`: it does not).
    fn last_reason(&self) -> Option<crate::types::ChoiceReason> {
        None
    }

    /// Forget all history.
    fn reset(&mut self) {}
}

/// Names accepted by [`selector_by_name`], in the order the simulator reports them.
/// (`optimal`, the offline oracle, is not a selector: it needs the future; see `sim::oracle`.)
pub const ALGORITHMS: &[&str] = &[
    "throughput",
    "bba",
    "bola",
    "bolae",
    "dynamic",
    "dynamicdash",
    "robustmpc",
    "classic",
    "smoothplay",
    "scenario",
    "mdp",
];

/// Named presets of a shipped algorithm, also accepted by [`selector_by_name`] but left out
/// of [`ALGORITHMS`] (and so of the simulator's `--algo all`):
/// `smoothplay-outages` is `smoothplay` with
/// [`crate::algo::smoothplay::SmoothplayParams::links_with_outages`], for links known to
/// go dark for seconds (trains, tunnels); it costs plain links a lot (see the README).
pub const PRESETS: &[&str] = &["smoothplay-outages"];

/// Whether `name` is an algorithm or a preset [`selector_by_name`] builds.
pub fn is_known_selector(name: &str) -> bool {
    ALGORITHMS.contains(&name) || PRESETS.contains(&name)
}

/// The algorithm smoothplay uses when the user names none.
pub const DEFAULT_ALGORITHM: &str = "smoothplay";

/// Builds a built-in selector configured for `ladder` with default parameters (maximum
/// buffer 60 s where the algorithm needs one). `None` for an unknown name.
pub fn selector_by_name(name: &str, ladder: &Ladder) -> Option<Box<dyn QualitySelector>> {
    selector_with_buffer(name, ladder, Duration::from_secs(60))
}

/// Like [`selector_by_name`] with the player's maximum buffer, which BOLA, BOLA-E and BBA
/// size their thresholds from.
pub fn selector_with_buffer(
    name: &str,
    ladder: &Ladder,
    max_buffer: Duration,
) -> Option<Box<dyn QualitySelector>> {
    algo::build(name, ladder, max_buffer)
}
