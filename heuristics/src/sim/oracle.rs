//! Offline oracle (`optimal`): the level plan that maximises QoE_lin with the whole trace
//! known in advance, found by an exact dynamic program over the simulator's own model, then
//! replayed through the simulator.
//!
//! # What it optimises
//!
//! Over every plan (one level per fragment, the first one included) that the simulator can
//! play with no wait of its own: the QoE_lin of [`simulate`] for that plan, with the same
//! trace, maximum buffer, throughput scale and live setting. Transitions follow
//! [`simulate`] step by step: idle while `buffer + fragment > max_buffer`; in live mode wait
//! until fragment `i` is published at `(i + 1 - join) x duration` (the buffer drains, and
//! rebuffers once empty); one request (latency + transfer over the trace from that time); the
//! first fragment's publication wait and download are startup, which QoE_lin does not charge.
//!
//! # Why it bounds every rule
//!
//! A rule in the simulator controls three things: the level of each fragment, waits, and
//! abandonment. The network is first-in first-out (a request that starts later never ends
//! earlier, latency included), so for a given sequence of levels, playing it with no waits and
//! no abandoned attempts gets each fragment no later, plays no later and rebuffers no more (the
//! player idles no earlier either: idling depends on the playhead, which is never behind).
//! Hence the best no-wait plan scores at least as much as any rule that does not wait before
//! its *first* fragment (no rule in [`crate::ALGORITHMS`] does; startup time is free under
//! QoE_lin, so a rule that waited before starting would buy buffer for nothing and nothing
//! could bound it). The first fragment's level is free here because rules choose it too:
//! RobustMPC starts at Pensieve's `DEFAULT_QUALITY` (level 1), and on a trace that starts with
//! an outage its longer first download rides the outage out as free startup time. The old
//! oracle fixed the first level at the lowest, so RobustMPC beat it on such traces
//! ([`optimal_plan_with_first`] with `Some(0)` still gives that variant).
//!
//! # The dynamic program (exact)
//!
//! State after fragment `i`: level `q`, time `t`, buffer `b`, rebuffering so far `R`, and
//! the bitrate-and-smoothness sum `Q` of fragments `1..=i` (the QoE_lin terms without
//! rebuffering). With startup `T0` and playhead `ph = t - T0 - R`, the final rebuffering is
//! `R_end = t_end - T0 - ph(t_end)`. State 1 dominates state 2 at the same level when
//! `t1 <= t2`, `t1 + b1 <= t2 + b2` (then state 1, waiting until `t2`, has its playhead at
//! least as far as state 2's) and `Q1 + 4.3 T0_1 >= Q2 + 4.3 T0_2`: state 2's best
//! continuation, played from state 1, keeps every fragment no later and the playhead no
//! further behind, so its total rebuffering is at most `R_end2 + T0_2 - T0_1` and its QoE at
//! least state 2's. Each layer keeps exactly the non-dominated states (a staircase in
//! `(t, t + b)` per level, walked in decreasing `Q + 4.3 T0`), so no time grid and no beam:
//! the plan found is optimal for the simulator, up to floating-point rounding.

use super::network::NetworkModel;
use super::qoe::LIN_REBUF_PENALTY;
use super::session::{simulate, SessionResult, SimConfig};
use super::trace::Trace;
use super::video::Video;
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadReport};

/// One DP state (see the module docs).
#[derive(Debug, Clone, Copy)]
struct State {
    /// Time the fragment arrived, ms.
    t_ms: f64,
    /// Buffer after it arrived, ms.
    buffer_ms: f64,
    /// Rebuffering so far (startup excluded), ms.
    rebuffer_ms: f64,
    /// QoE_lin terms of fragments `1..=i` without rebuffering.
    quality: f64,
    /// Startup of the plan this state continues, ms.
    startup_ms: f64,
    level: usize,
    parent: usize,
}

impl State {
    /// What the dominance test compares: `Q + 4.3 x T0`.
    fn key(&self) -> f64 {
        self.quality + LIN_REBUF_PENALTY * self.startup_ms / 1000.0
    }

    /// QoE_lin of the plan if it ended here.
    fn score(&self) -> f64 {
        self.quality - LIN_REBUF_PENALTY * self.rebuffer_ms / 1000.0
    }
}

/// The oracle's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct OraclePlan {
    /// Level of each fragment.
    pub levels: Vec<usize>,
    /// QoE_lin the DP predicts for the plan (the simulator's replay gives the same figure up
    /// to rounding).
    pub qoe_lin: f64,
    /// Largest number of non-dominated states kept after one fragment (all levels).
    pub max_states: usize,
}

/// Replays a fixed plan (no waits, no abandonment).
struct FixedPlan<'a> {
    plan: &'a [usize],
}

impl QualitySelector for FixedPlan<'_> {
    fn name(&self) -> &str {
        "optimal"
    }
    fn watches_progress(&self) -> bool {
        false
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        Decision::now(self.plan.get(ctx.fragment_index).copied().unwrap_or(0))
    }
    fn on_download(&mut self, _: &Context, _: &DownloadReport) {}
}

/// Staircase of kept `(t, t + b)` points: `t` increasing, `t + b` strictly decreasing.
#[derive(Default)]
struct Staircase(Vec<(f64, f64)>);

impl Staircase {
    /// Whether a kept point has `t' <= t` and `e' <= e`.
    fn covers(&self, t: f64, e: f64) -> bool {
        let at = self.0.partition_point(|p| p.0 <= t);
        at > 0 && self.0[at - 1].1 <= e
    }

    fn insert(&mut self, t: f64, e: f64) {
        if self.covers(t, e) {
            return;
        }
        let at = self.0.partition_point(|p| p.0 <= t);
        let mut end = at;
        while end < self.0.len() && self.0[end].1 >= e {
            end += 1;
        }
        self.0.splice(at..end, std::iter::once((t, e)));
    }
}

/// A kept state's point, waiting to enter another level's staircase once the keys walked
/// fall to its key less the switch between the two levels.
struct Pending {
    key: f64,
    level: usize,
    t: f64,
    e: f64,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key.total_cmp(&other.key).is_eq()
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.total_cmp(&other.key)
    }
}

/// Keeps the states that no other state dominates: state 1 dominates state 2 when
/// `t1 <= t2`, `t1 + b1 <= t2 + b2` and `key1 - |R1 - R2| / 1000 >= key2` (the switch
/// between their levels, in kbit/s: from the same next level, state 1's next switch costs
/// at most that much more than state 2's). `kbps` is the ladder.
fn non_dominated(mut states: Vec<State>, kbps: &[f64]) -> Vec<State> {
    // Decreasing key; ties: earlier, then emptier, first (they dominate the rest).
    states.sort_by(|a, b| {
        b.key()
            .total_cmp(&a.key())
            .then(a.t_ms.total_cmp(&b.t_ms))
            .then((a.t_ms + a.buffer_ms).total_cmp(&(b.t_ms + b.buffer_ms)))
    });
    let mut stairs: Vec<Staircase> = kbps.iter().map(|_| Staircase::default()).collect();
    let mut pending = std::collections::BinaryHeap::new();
    let mut kept = Vec::new();
    for s in states {
        let key = s.key();
        while pending.peek().is_some_and(|p: &Pending| p.key >= key) {
            if let Some(p) = pending.pop() {
                stairs[p.level].insert(p.t, p.e);
            }
        }
        let (t, e) = (s.t_ms, s.t_ms + s.buffer_ms);
        if stairs[s.level].covers(t, e) {
            continue;
        }
        stairs[s.level].insert(t, e);
        for (level, r) in kbps.iter().enumerate() {
            if level != s.level {
                pending.push(Pending { key: key - (r - kbps[s.level]).abs() / 1000.0, level, t, e });
            }
        }
        kept.push(s);
    }
    kept
}

/// The oracle's plan (level per fragment) for `video` over `trace` with `cfg` (live mode
/// included), the first level free.
pub fn optimal_plan(video: &Video, trace: &Trace, cfg: &SimConfig) -> Vec<usize> {
    optimal(video, trace, cfg, None).levels
}

/// The oracle's plan with the first fragment's level fixed (`Some`) or free (`None`).
pub fn optimal_plan_with_first(video: &Video, trace: &Trace, cfg: &SimConfig, first_level: Option<usize>) -> Vec<usize> {
    optimal(video, trace, cfg, first_level).levels
}

/// States a beam pass keeps per fragment; its plan's QoE is the lower bound that the exact
/// pass prunes with.
pub const BEAM: usize = 400;

/// The exact DP (module docs), first level fixed (`Some`) or free (`None`).
pub fn optimal(video: &Video, trace: &Trace, cfg: &SimConfig, first_level: Option<usize>) -> OraclePlan {
    let model = Model::new(video, trace, cfg);
    let beam = search(&model, first_level, Some(BEAM), f64::NEG_INFINITY);
    let exact = search(&model, first_level, None, beam.qoe_lin);
    // Pruning keeps every state that could end at or above the beam's plan, so the exact pass
    // finds that plan or a better one; keep the beam's if rounding says otherwise.
    if exact.levels.len() == beam.levels.len() && exact.qoe_lin >= beam.qoe_lin {
        exact
    } else {
        OraclePlan { max_states: exact.max_states, ..beam }
    }
}

/// The simulator's model of one (video, trace, settings), as the DP needs it.
struct Model<'a> {
    video: &'a Video,
    trace: &'a Trace,
    cfg: &'a SimConfig,
    kbps: Vec<f64>,
    d: f64,
    max_ms: f64,
    /// Period start times, ms (`prefix[0] = 0`), and their total.
    prefix: Vec<f64>,
    cycle: f64,
    /// Bits the link carries from time 0 to each period start (scaled), and in a cycle.
    capacity: Vec<f64>,
    cycle_bits: f64,
    /// Per fragment `i`: upper bound on the QoE_lin terms (bitrate, no switches) of fragments
    /// `i+1..n` as a concave function of the bits they may use: slopes (QoE per bit,
    /// decreasing) and the bits each slope lasts, as prefix sums `(bits, qoe)`.
    future: Vec<Vec<(f64, f64)>>,
    /// Whether a second of the fastest period can carry more QoE than 4.3 (a second of
    /// rebuffering); then the bound lets downloads run past the end of playback.
    fast_link: bool,
}

impl<'a> Model<'a> {
    fn new(video: &'a Video, trace: &'a Trace, cfg: &'a SimConfig) -> Self {
        let n = video.fragments();
        let levels = video.ladder.len();
        let kbps: Vec<f64> = (0..levels).map(|l| video.kbps(l)).collect();
        let scale = cfg.throughput_scale.max(0.0);
        let (mut prefix, mut capacity) = (vec![0.0], vec![0.0]);
        let (mut t, mut bits, mut fastest) = (0.0, 0.0, 0.0f64);
        for p in &trace.periods {
            t += p.duration_ms;
            bits += p.duration_ms * p.bandwidth_kbps * scale;
            fastest = fastest.max(p.bandwidth_kbps * scale);
            prefix.push(t);
            capacity.push(bits);
        }
        // Concave hull of each fragment's (bits, QoE) points from (0, 0): its segments.
        let mut segments: Vec<Vec<(f64, f64)>> = Vec::with_capacity(n);
        let mut steepest = 0.0f64;
        for k in 0..n {
            let mut hull: Vec<(f64, f64)> = vec![(0.0, 0.0)];
            let mut points: Vec<(f64, f64)> =
                (0..levels).map(|l| (video.size_bits(k, l).max(1e-9), kbps[l] / 1000.0)).collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            for p in points {
                // Only points that raise the QoE; drop hull points that fall under the chord.
                if hull.last().is_some_and(|h| p.1 <= h.1) {
                    continue;
                }
                while hull.len() >= 2 {
                    let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
                    if (b.1 - a.1) * (p.0 - a.0) <= (p.1 - a.1) * (b.0 - a.0) {
                        hull.pop();
                    } else {
                        break;
                    }
                }
                hull.push(p);
            }
            let segs: Vec<(f64, f64)> =
                hull.windows(2).map(|w| ((w[1].1 - w[0].1) / (w[1].0 - w[0].0), w[1].0 - w[0].0)).collect();
            steepest = segs.iter().fold(steepest, |m, s| m.max(s.0));
            segments.push(segs);
        }
        let mut future = Vec::with_capacity(n);
        for i in 0..n {
            let mut segs: Vec<(f64, f64)> = segments.iter().skip(i + 1).flatten().copied().collect();
            segs.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut acc = (0.0, 0.0);
            let mut sums = vec![acc];
            for (slope, len) in segs {
                acc = (acc.0 + len, acc.1 + slope * len);
                sums.push(acc);
            }
            future.push(sums);
        }
        Model {
            video,
            trace,
            cfg,
            kbps,
            d: video.fragment_ms(),
            max_ms: cfg.max_buffer_s.max(0.0) * 1000.0,
            cycle: t,
            cycle_bits: bits,
            prefix,
            capacity,
            future,
            fast_link: steepest * fastest * 1000.0 >= LIN_REBUF_PENALTY,
        }
    }

    fn publish_ms(&self, i: usize) -> f64 {
        self.cfg.live.map_or(f64::NEG_INFINITY, |l| (i as f64 + 1.0 - l.join_fragments as f64) * self.d)
    }

    fn download_ms(&self, t_ms: f64, bits: f64) -> f64 {
        let mut net = NetworkModel::starting_at(self.trace, self.cfg.throughput_scale, &self.prefix, self.cycle, t_ms);
        net.download(bits, None).time_ms
    }

    /// Bits the link carries in `[0, t_ms]` (latencies ignored, so an overestimate).
    fn capacity_bits(&self, t_ms: f64) -> f64 {
        if !(self.cycle > 0.0 && t_ms > 0.0) {
            return 0.0;
        }
        let cycles = (t_ms / self.cycle).floor();
        let t = t_ms - cycles * self.cycle;
        let i = self.prefix.partition_point(|&p| p <= t).saturating_sub(1).min(self.trace.periods.len().saturating_sub(1));
        let bw = self.trace.periods.get(i).map_or(0.0, |p| p.bandwidth_kbps * self.cfg.throughput_scale.max(0.0));
        cycles * self.cycle_bits + self.capacity[i] + (t - self.prefix[i]) * bw
    }

    /// Upper bound on the QoE_lin of any plan through `s` (after fragment `i`).
    fn upper_bound(&self, i: usize, s: &State) -> f64 {
        let Some(sums) = self.future.get(i) else { return s.score() };
        let top = sums.last().map_or(0.0, |p| p.1);
        let gain = if self.fast_link {
            top
        } else {
            // Downloads that end after the last fragment could play only add rebuffering worth
            // more than what they carry; before that, rebuffering is at least what it is now.
            let end = s.startup_ms + (self.video.fragments() as f64 - 1.0) * self.d + s.rebuffer_ms;
            let bits = (self.capacity_bits(end) - self.capacity_bits(s.t_ms)).max(0.0);
            let at = sums.partition_point(|p| p.0 <= bits);
            match (sums.get(at.wrapping_sub(1)), sums.get(at)) {
                (Some(a), Some(b)) => a.1 + (b.1 - a.1) * (bits - a.0) / (b.0 - a.0),
                _ => top,
            }
        };
        s.score() + gain
    }
}

/// One DP pass: exact with `beam` `None` (prunes states whose upper bound is below
/// `lower_bound`), else keeps the `beam` best-scoring non-dominated states per fragment.
fn search(m: &Model<'_>, first_level: Option<usize>, beam: Option<usize>, lower_bound: f64) -> OraclePlan {
    let (video, kbps, d) = (m.video, &m.kbps, m.d);
    let n = video.fragments();
    let levels = kbps.len();
    if n == 0 || levels == 0 {
        return OraclePlan { levels: Vec::new(), qoe_lin: f64::NEG_INFINITY, max_states: 0 };
    }
    // Rounding slack on the pruning test.
    let floor = lower_bound - 1e-6;
    // layers[i] = non-dominated states after fragment i.
    let mut layers: Vec<Vec<State>> = Vec::with_capacity(n);
    let t_first = m.publish_ms(0).max(0.0);
    let first: Vec<State> = (0..levels)
        .filter(|q| first_level.is_none_or(|f| f.min(levels - 1) == *q))
        .map(|q| {
            let t = t_first + m.download_ms(t_first, video.size_bits(0, q));
            State { t_ms: t, buffer_ms: d, rebuffer_ms: 0.0, quality: 0.0, startup_ms: t, level: q, parent: usize::MAX }
        })
        .filter(|s| m.upper_bound(0, s) >= floor)
        .collect();
    let mut max_states = first.len();
    layers.push(first);
    for i in 1..n {
        let Some(prev_layer) = layers.last() else { break };
        let mut next: Vec<State> = Vec::with_capacity(prev_layer.len() * levels);
        let publish = m.publish_ms(i);
        for (pi, s) in prev_layer.iter().enumerate() {
            let idle = (s.buffer_ms + d - m.max_ms).max(0.0);
            let t_idle = s.t_ms + idle;
            let b0 = s.buffer_ms - idle;
            let t0 = t_idle.max(publish);
            for q in 0..levels {
                let done = t0 + m.download_ms(t0, video.size_bits(i, q));
                let drain = done - t_idle;
                let st = State {
                    t_ms: done,
                    buffer_ms: (b0 - drain).max(0.0) + d,
                    rebuffer_ms: s.rebuffer_ms + (drain - b0).max(0.0),
                    quality: s.quality + kbps[q] / 1000.0 - (kbps[q] - kbps[s.level]).abs() / 1000.0,
                    startup_ms: s.startup_ms,
                    level: q,
                    parent: pi,
                };
                if m.upper_bound(i, &st) >= floor {
                    next.push(st);
                }
            }
        }
        let mut layer = non_dominated(next, kbps);
        if let Some(b) = beam {
            layer.sort_by(|a, b| b.score().total_cmp(&a.score()));
            layer.truncate(b);
        }
        max_states = max_states.max(layer.len());
        layers.push(layer);
    }
    // Backtrack from the best final state.
    let mut plan = vec![0; n];
    let Some((mut idx, best)) =
        layers.last().and_then(|l| l.iter().enumerate().max_by(|a, b| a.1.score().total_cmp(&b.1.score())))
    else {
        return OraclePlan { levels: Vec::new(), qoe_lin: f64::NEG_INFINITY, max_states };
    };
    let qoe_lin = best.score();
    for i in (0..n).rev() {
        let Some(s) = layers.get(i).and_then(|l| l.get(idx)) else { break };
        plan[i] = s.level;
        idx = s.parent;
    }
    OraclePlan { levels: plan, qoe_lin, max_states }
}

/// Runs the oracle's plan (first level free) through the simulator, live mode included
/// (abandonment is moot: the plan never abandons).
pub fn run_optimal(video: &Video, trace: &Trace, cfg: &SimConfig) -> SessionResult {
    run_optimal_with_first(video, trace, cfg, None)
}

/// [`run_optimal`] with the first fragment's level fixed (`Some`) or free (`None`).
pub fn run_optimal_with_first(video: &Video, trace: &Trace, cfg: &SimConfig, first_level: Option<usize>) -> SessionResult {
    run_plan(video, trace, cfg, &optimal_plan_with_first(video, trace, cfg, first_level))
}

/// Plays a fixed plan (level per fragment; level 0 past its end) through the simulator,
/// with no waits and no abandonment; the session is named `optimal`.
pub fn run_plan(video: &Video, trace: &Trace, cfg: &SimConfig, plan: &[usize]) -> SessionResult {
    let mut sel = FixedPlan { plan };
    let cfg = SimConfig { abandonment: false, ..cfg.clone() };
    simulate(video, trace, &mut sel, &cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::session::LiveConfig;
    use std::time::Duration;

    #[test]
    fn constant_trace_optimum_by_hand() {
        // 1000 kbps, no latency, 4 s chunks of 300/750/1200 kbps, 5 chunks, buffer 60 s.
        // 750 downloads in 3 s (< 4 s): never stalls. 1200 takes 4.8 s: each costs 0.8 s of
        // buffer. Best: all 750 except what buffer allows... all-750 scores 4 x 0.75 = 3.0;
        // with the 4 s startup buffer, one 1200 chunk at the end costs 0.8 s buffer (no stall):
        // 750,750,750,750,1200 -> 0.75 x 3 + 1.2 - 0.45 = 3.0 as well; 1200 everywhere after the
        // first: stalls. The oracle must reach at least 3.0 and never rebuffer.
        let v = Video::constant_bitrate(&[300, 750, 1200], Duration::from_secs(4), 5).unwrap();
        let t = Trace::constant(1000.0, 0.0);
        let r = run_optimal(&v, &t, &SimConfig::default());
        assert_eq!(r.metrics.rebuffer_s, 0.0);
        assert!(r.metrics.qoe_lin >= 3.0 - 1e-9, "{}", r.metrics.qoe_lin);
    }

    #[test]
    fn oracle_beats_every_rule_on_a_varying_trace() {
        let v = Video::constant_bitrate(&[300, 750, 1200, 1850, 2850, 4300], Duration::from_secs(4), 20).unwrap();
        let t = Trace::parse_text("v", "8000 3000 80\n6000 400 80\n10000 1500 80\n5000 5000 80\n").unwrap();
        let cfg = SimConfig::default();
        let opt = run_optimal(&v, &t, &cfg).metrics.qoe_lin;
        for name in crate::ALGORITHMS {
            let r = super::super::sweep::run_named(name, &v, &t, &cfg).unwrap();
            assert!(opt >= r.metrics.qoe_lin - 1e-6, "{name}: {} > optimal {opt}", r.metrics.qoe_lin);
        }
    }

    /// 3 fragments of 4 s at 500 / 1000 kbit/s (2 / 4 Mbit), 2000 kbit/s without latency, so
    /// downloads take 1 s (a) or 2 s (b); live, joined 1 fragment behind: fragment i is
    /// published at 4i s; buffer 60 s (never full). Startup T0 = first download. Fragment 1
    /// waits until 4 s with T0 s of buffer, rebuffers max(0, dl1 - T0); fragment 2 waits until
    /// 8 s with max(T0, dl1) s of buffer. QoE_lin (Mbit/s) = r1 + r2 - |r1 - r0| - |r2 - r1|
    /// - 4.3 R:
    ///
    /// | plan | T0 | R | QoE_lin |
    /// |---|---|---|---|
    /// | a a a | 1 | 0 | 1.0 |
    /// | a a b | 1 | 1 (2 s download, 1 s buffer) | 1.5 - 0.5 - 4.3 = -3.3 |
    /// | a b a | 1 | 1 | 1.5 - 1.0 - 4.3 = -3.8 |
    /// | a b b | 1 | 1 | 2.0 - 0.5 - 4.3 = -2.8 |
    /// | b a a | 2 | 0 | 1.0 - 0.5 = 0.5 |
    /// | b a b | 2 | 0 | 1.5 - 1.0 = 0.5 |
    /// | b b a | 2 | 0 | 1.5 - 0.5 = 1.0 |
    /// | b b b | 2 | 0 | **2.0** |
    ///
    /// Optimum b b b (2.0); with the first level fixed at the lowest, a a a (1.0). In VOD the
    /// old oracle's plan a b b (1.5, never rebuffers) scores -2.8 here.
    #[test]
    fn live_join_1_optimum_by_hand() {
        let v = Video::constant_bitrate(&[500, 1000], Duration::from_secs(4), 3).unwrap();
        let t = Trace::constant(2000.0, 0.0);
        let live = SimConfig { live: Some(LiveConfig { join_fragments: 1 }), ..SimConfig::default() };
        let free = optimal(&v, &t, &live, None);
        assert_eq!(free.levels, vec![1, 1, 1]);
        assert!((free.qoe_lin - 2.0).abs() < 1e-9, "{}", free.qoe_lin);
        let r = run_optimal(&v, &t, &live);
        assert!((r.metrics.qoe_lin - 2.0).abs() < 1e-9 && r.metrics.rebuffer_s == 0.0, "{:?}", r.metrics);
        assert!((r.metrics.startup_s - 2.0).abs() < 1e-9);
        let low = optimal(&v, &t, &live, Some(0));
        assert_eq!(low.levels, vec![0, 0, 0]);
        assert!((low.qoe_lin - 1.0).abs() < 1e-9, "{}", low.qoe_lin);
        // VOD: a then b b never rebuffers (buffer 4 s, then 6 s, 8 s), 1.5.
        let vod = optimal(&v, &t, &SimConfig::default(), Some(0));
        assert_eq!(vod.levels, vec![0, 1, 1]);
        assert!((vod.qoe_lin - 1.5).abs() < 1e-9, "{}", vod.qoe_lin);
        let mut old = FixedPlan { plan: &vod.levels };
        let replay = simulate(&v, &t, &mut old, &live);
        assert!((replay.metrics.qoe_lin - (-2.8)).abs() < 1e-9, "{}", replay.metrics.qoe_lin);
    }

    /// A stepped trace: the DP's predicted QoE is what the simulator replays, live or not,
    /// and no plan of the 3^4 on the same video does better (brute force through `simulate`).
    #[test]
    fn exact_against_brute_force_on_a_stepped_trace() {
        let v = Video::constant_bitrate(&[300, 1200, 2850], Duration::from_secs(2), 4).unwrap();
        let t = Trace::parse_text("s", "1500 900 40\n2500 3000 40\n700 0 40\n3000 1800 40\n").unwrap();
        for live in [None, Some(1), Some(2)] {
            let cfg = SimConfig {
                max_buffer_s: 5.0,
                live: live.map(|j| LiveConfig { join_fragments: j }),
                ..SimConfig::default()
            };
            let best = optimal(&v, &t, &cfg, None);
            let mut brute = f64::NEG_INFINITY;
            for code in 0..81usize {
                let plan: Vec<usize> = (0..4).map(|k| code / 3usize.pow(k) % 3).collect();
                let mut sel = FixedPlan { plan: &plan };
                brute = brute.max(simulate(&v, &t, &mut sel, &cfg).metrics.qoe_lin);
            }
            assert!((best.qoe_lin - brute).abs() < 1e-9, "live {live:?}: DP {} brute {brute}", best.qoe_lin);
            let replay = run_optimal(&v, &t, &cfg).metrics.qoe_lin;
            assert!((replay - best.qoe_lin).abs() < 1e-9, "live {live:?}: replay {replay} DP {}", best.qoe_lin);
        }
    }

    #[test]
    fn dominance_keeps_the_staircase() {
        let s = |t_ms, buffer_ms, quality| State {
            t_ms,
            buffer_ms,
            rebuffer_ms: 0.0,
            quality,
            startup_ms: 0.0,
            level: 0,
            parent: 0,
        };
        // (t, t + b, Q): A (1, 5, 2) dominates D (2, 6, 1); B (0, 9, 1) and C (3, 4, 1.5) are
        // each better than A somewhere; E (1, 5, 2) ties A and goes.
        let kept = non_dominated(
            vec![s(2.0, 4.0, 1.0), s(1.0, 4.0, 2.0), s(0.0, 9.0, 1.0), s(3.0, 1.0, 1.5), s(1.0, 4.0, 2.0)],
            &[300.0],
        );
        let mut got: Vec<(f64, f64)> = kept.iter().map(|s| (s.t_ms, s.quality)).collect();
        got.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(got, vec![(0.0, 1.0), (1.0, 2.0), (3.0, 1.5)]);
        // Across levels (300 / 1000 kbit/s): (1, 5, 2.0) at 300 dominates (2, 6, 1.2) at 1000
        // (2.0 - 0.7 >= 1.2) but not (2, 6, 1.4).
        let at = |level, quality| State { level, ..s(2.0, 4.0, quality) };
        let kept = non_dominated(vec![s(1.0, 4.0, 2.0), at(1, 1.2)], &[300.0, 1000.0]);
        assert_eq!(kept.len(), 1);
        let kept = non_dominated(vec![s(1.0, 4.0, 2.0), at(1, 1.4)], &[300.0, 1000.0]);
        assert_eq!(kept.len(), 2);
    }
}
