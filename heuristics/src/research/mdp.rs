//! `mdp`: a stochastic-dynamic-programming quality selector (experimental).
//!
//! **Idea.** Every other planner in this crate plans on a point forecast of throughput. A
//! policy that is optimal *in expectation* under a stochastic throughput model hedges on
//! when the throughput changes: it builds buffer when a drop is likely and spends it when a
//! rise is likely, in proportion to how likely. This selector is such a policy for a
//! Markov model of per-download throughput (MDP-based ABR: Jarnikov & Ozcelebi 2011,
//! "Client intelligence for adaptive streaming solutions"; Bokani et al. 2015; Garcia et al.
//! 2015; Fugu, Yan et al. NSDI'20, does the same with a learned transmission-time
//! distribution inside a stochastic MPC).
//!
//! 1. *Throughput model* ([`MdpModel`]): the throughput of each download (bytes over transfer
//!    time) is binned on a log grid. The state is (bin of an EWMA of log throughput, bin of
//!    the last sample); the distribution of the next sample's bin given the state is counted
//!    from replayed sessions (example `mdp`, TUNE halves only), with back-off smoothing to
//!    the EWMA bin alone and then to a log-normal kernel around it.
//! 2. *Value iteration* ([`MdpTable`]): finite horizon over (fragment index, buffer on a grid,
//!    previous level, throughput state), reward QoE_lin (bitrate - |switch| - 4.3 x
//!    rebuffering, Mbit/s units), exact per-fragment sizes, one latency per request, buffer
//!    capped the way the player caps it (it idles while buffer + fragment > maximum).
//!    Terminal value 0. Computed once per ladder and maximum buffer (cached).
//! 3. *Policy*: the selector tracks the same state from its own downloads and picks the level
//!    maximising the interpolated Q-value minus the switch cost from its previous level.
//!    Device caps ([`crate::algo::capacity`]) and smoothplay's stall-aware abandonment are kept.

use crate::algo::capacity::DecodeCap;
use crate::estimator::{BandwidthEstimator, EwmaEstimator};
use crate::selector::QualitySelector;
use crate::types::{Context, Decision, DownloadProgress, DownloadReport, Ladder};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, OnceLock};

/// Markov model of per-download throughput on a log grid (see module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MdpModel {
    /// Centre of the lowest bin, kbit/s.
    pub lo_kbps: f64,
    /// Centre of the highest bin, kbit/s.
    pub hi_kbps: f64,
    /// Bins of the grid (EWMA state and next sample).
    pub bins: usize,
    /// Bins of the second component of the state (1 = not used; equal to `bins` for the last sample).
    pub last_bins: usize,
    /// Second component: 0 none, 1 last sample, 2 variability (EWMA of |sample - EWMA|, log),
    /// 3 a second EWMA of log throughput with weight `beta` (on the main grid).
    #[serde(default)]
    pub second: u8,
    /// Variability grid: highest centre (natural log units; the lowest is 0).
    #[serde(default)]
    pub var_hi: f64,
    /// EWMA weight of the variability.
    #[serde(default)]
    pub beta: f64,
    /// EWMA weight of a new sample (in log throughput).
    pub alpha: f64,
    /// Pseudo-count weight of the backed-off distribution when smoothing.
    pub prior: f64,
    /// Standard deviation (natural log) of the kernel the smoothing ends in.
    pub kernel_sigma: f64,
    /// Edges (seconds) of the classes of predicted download time (fragment bits over the EWMA
    /// throughput) the next sample is conditioned on: a short download samples less of the
    /// link's variation than a long one. Empty: one class.
    #[serde(default)]
    pub dur_edges: Vec<f64>,
    /// Transition counts `[ewma bin][second bin][duration class][next bin]`.
    pub counts: Vec<u32>,
}

impl MdpModel {
    /// An empty model (no counts) on the given grid.
    pub fn empty(lo_kbps: f64, hi_kbps: f64, bins: usize, use_last: bool, alpha: f64) -> Self {
        let bins = bins.max(2);
        let last_bins = if use_last { bins } else { 1 };
        MdpModel {
            lo_kbps,
            hi_kbps,
            bins,
            last_bins,
            second: u8::from(use_last),
            var_hi: 0.6,
            beta: 0.2,
            dur_edges: Vec::new(),
            alpha,
            prior: 4.0,
            kernel_sigma: 0.5,
            counts: vec![0; bins * last_bins * bins],
        }
    }

    fn step(&self) -> f64 {
        (self.hi_kbps / self.lo_kbps).ln() / (self.bins - 1) as f64
    }

    /// Continuous bin coordinate of log throughput `ln_kbps`, clamped to the grid.
    pub fn coord(&self, ln_kbps: f64) -> f64 {
        ((ln_kbps - self.lo_kbps.ln()) / self.step()).clamp(0.0, (self.bins - 1) as f64)
    }

    /// Log throughput (kbit/s) at the centre of bin `i`.
    pub fn center_ln(&self, i: usize) -> f64 {
        self.lo_kbps.ln() + i as f64 * self.step()
    }

    /// EWMA state after a sample (`None` = no sample yet).
    pub fn update(&self, ewma_ln: Option<f64>, sample_ln: f64) -> f64 {
        ewma_ln.map_or(sample_ln, |e| e + self.alpha * (sample_ln - e))
    }

    /// Uses variability (EWMA of absolute log deviation) as the second component, `bins` points.
    pub fn with_variability(mut self, bins: usize, var_hi: f64, beta: f64) -> Self {
        self.second = 2;
        self.last_bins = bins.max(2);
        self.var_hi = var_hi;
        self.beta = beta;
        self.counts = vec![0; self.bins * self.last_bins * self.classes() * self.bins];
        self
    }

    /// Uses a second EWMA of log throughput (weight `beta`) as the second component.
    pub fn with_second_ewma(mut self, beta: f64) -> Self {
        self.second = 3;
        self.last_bins = self.bins;
        self.beta = beta;
        self.counts = vec![0; self.bins * self.last_bins * self.classes() * self.bins];
        self
    }

    /// Conditions the next sample on the predicted download time, classes split at `edges` (s).
    pub fn with_duration_classes(mut self, edges: Vec<f64>) -> Self {
        self.dur_edges = edges;
        self.counts = vec![0; self.bins * self.last_bins * self.classes() * self.bins];
        self
    }

    /// Number of predicted-download-time classes.
    pub fn classes(&self) -> usize {
        self.dur_edges.len() + 1
    }

    /// Class of a download of `bits` predicted at EWMA log throughput `ewma_ln` (kbit/s).
    pub fn class_of(&self, bits: f64, ewma_ln: f64) -> usize {
        let t = bits / (ewma_ln.exp() * 1000.0);
        self.dur_edges.iter().filter(|&&e| e < t).count()
    }

    /// Second component after sample `y_ln`, given the EWMA before it (`None` = first sample).
    pub fn update_second(&self, ewma_before: Option<f64>, x: f64, y_ln: f64) -> f64 {
        match self.second {
            1 => y_ln,
            3 => match ewma_before {
                None => y_ln,
                Some(_) => x + self.beta * (y_ln - x),
            },
            2 => match ewma_before {
                None => 0.0,
                Some(e) => x + self.beta * ((y_ln - e).abs() - x),
            },
            _ => 0.0,
        }
    }

    /// Continuous coordinate of the second component.
    pub fn second_coord(&self, x: f64) -> f64 {
        match self.second {
            1 | 3 => self.coord(x),
            2 => (x / self.var_hi * (self.last_bins - 1) as f64).clamp(0.0, (self.last_bins - 1) as f64),
            _ => 0.0,
        }
    }

    /// Second component at the centre of its bin `i`.
    pub fn second_center(&self, i: usize) -> f64 {
        match self.second {
            1 | 3 => self.center_ln(i),
            2 => self.var_hi * i as f64 / (self.last_bins - 1) as f64,
            _ => 0.0,
        }
    }

    fn last_index(&self, x: f64) -> usize {
        if self.last_bins == 1 {
            0
        } else {
            (self.second_coord(x).round() as usize).min(self.last_bins - 1)
        }
    }

    /// Adds the transitions of one session's sequence of downloads, each (throughput kbit/s,
    /// bits received).
    pub fn add_session(&mut self, samples: &[(f64, f64)]) {
        let mut ewma: Option<f64> = None;
        let mut second = 0.0;
        let nc = self.classes();
        for w in 0..samples.len() {
            let ln = samples[w].0.max(1e-3).ln();
            second = self.update_second(ewma, second, ln);
            let e = self.update(ewma, ln);
            ewma = Some(e);
            if let Some(&(next, bits)) = samples.get(w + 1) {
                let s = (self.coord(e).round() as usize).min(self.bins - 1);
                let x = self.last_index(second);
                let c = self.class_of(bits, e);
                let y = (self.coord(next.max(1e-3).ln()).round() as usize).min(self.bins - 1);
                self.counts[((s * self.last_bins + x) * nc + c) * self.bins + y] += 1;
            }
        }
    }

    /// Smoothed transition probabilities `[ewma bin][second bin][duration class][next bin]`:
    /// each level backs off to the one above it with pseudo-count `prior` (kernel around the
    /// EWMA bin -> EWMA bin alone -> with the second component -> with the duration class).
    pub fn probabilities(&self) -> Vec<f64> {
        let (g, gx, nc) = (self.bins, self.last_bins, self.classes());
        let mut out = vec![0.0; g * gx * nc * g];
        let count = |s: usize, x: usize, c: usize, y: usize| self.counts[((s * gx + x) * nc + c) * g + y] as f64;
        let smooth = |row: &[f64], base: &[f64]| -> Vec<f64> {
            let n: f64 = row.iter().sum();
            if !(n + self.prior > 0.0) {
                return base.to_vec();
            }
            row.iter().zip(base).map(|(r, b)| (r + self.prior * b) / (n + self.prior)).collect()
        };
        for s in 0..g {
            let sig = (self.kernel_sigma / self.step()).max(1e-6);
            let mut kern: Vec<f64> = (0..g).map(|y| (-0.5 * ((y as f64 - s as f64) / sig).powi(2)).exp()).collect();
            let ks: f64 = kern.iter().sum();
            kern.iter_mut().for_each(|k| *k /= ks);
            let row_s: Vec<f64> = (0..g).map(|y| (0..gx).flat_map(|x| (0..nc).map(move |c| (x, c))).map(|(x, c)| count(s, x, c, y)).sum()).collect();
            let ps = smooth(&row_s, &kern);
            for x in 0..gx {
                let row_x: Vec<f64> = (0..g).map(|y| (0..nc).map(|c| count(s, x, c, y)).sum()).collect();
                let px = smooth(&row_x, &ps);
                for c in 0..nc {
                    let row_c: Vec<f64> = (0..g).map(|y| count(s, x, c, y)).collect();
                    let pc = smooth(&row_c, &px);
                    let at = ((s * gx + x) * nc + c) * g;
                    out[at..at + g].copy_from_slice(&pc);
                }
            }
        }
        out
    }
}

/// Settings of the value iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct MdpParams {
    /// Buffer grid step, seconds.
    pub buffer_step_s: f64,
    /// Latency per request, seconds (the traces here: 80 ms).
    pub latency_s: f64,
    /// Rebuffering penalty per second used in the value iteration. QoE_lin's is 4.3; the
    /// default 2.0 was chosen on the tune halves (sum of fcc and hsdpa tune means; 4.3: 2.176,
    /// 3: 2.183, 2: 2.190, 1.5: 2.162, 1: 1.992): the per-download Markov model overstates how
    /// long dips last, and a lower price of stalls offsets that pessimism.
    pub rebuffer_penalty: f64,
    /// Stall-aware abandonment (smoothplay's rule).
    pub abandonment: bool,
    /// Multiplier on the model's throughput when computing download times (1 = as learned;
    /// experiment: > 1 is optimism).
    pub throughput_scale: f64,
}

impl Default for MdpParams {
    fn default() -> Self {
        MdpParams { buffer_step_s: 0.5, latency_s: 0.08, rebuffer_penalty: 2.0, abandonment: true, throughput_scale: 1.0 }
    }
}

/// Most stages (fragments) a table holds. Longer presentations, and live ones (count
/// unknown), use the table of their last `MAX_STAGES` fragments, with every earlier fragment
/// on its first stage: far from the end the policy no longer depends on the distance to it,
/// and the table's size and build time stay bounded whatever the manifest says.
pub const MAX_STAGES: usize = 64;
/// Most points of the buffer grid (the step grows for very large maximum buffers).
pub const MAX_BUFFER_POINTS: usize = 241;

/// Q-values of the finite-horizon MDP for one ladder (see module docs).
#[derive(Debug, Clone)]
pub struct MdpTable {
    model: MdpModel,
    stages: usize,
    /// Fragments in the presentation (`None`: live or unknown).
    total: Option<usize>,
    nb: usize,
    db: f64,
    /// Highest buffer at a decision (maximum - one fragment), s.
    top_s: f64,
    levels: usize,
    /// `[stage][buffer][action][ewma bin][last bin]`.
    q: Vec<f32>,
    /// Smoothed transition probabilities of the model (for the online model posterior).
    probs: Vec<f64>,
}

/// Linear interpolation coordinate on a grid of `n` points: (lower index, weight of upper).
fn lerp_at(c: f64, n: usize) -> (usize, f64) {
    let c = c.clamp(0.0, (n - 1) as f64);
    let i = (c.floor() as usize).min(n.saturating_sub(2));
    (i, c - i as f64)
}

impl MdpTable {
    /// Runs the value iteration for `ladder` (its last [`MAX_STAGES`] fragments at most; a
    /// live or unknown count is planned as always [`MAX_STAGES`] fragments from the end) and
    /// a player holding at most `max_buffer_s`.
    pub fn build(ladder: &Ladder, model: &MdpModel, max_buffer_s: f64, p: &MdpParams) -> Self {
        let total = ladder.fragment_count;
        let n = total.unwrap_or(MAX_STAGES).clamp(1, MAX_STAGES);
        // Stage k plans fragment `first + k` (sizes from the ladder).
        let first = total.map_or(0, |t| t.saturating_sub(n));
        let lv = ladder.len().max(1);
        let d = ladder.fragment_s();
        let top = (max_buffer_s - d).max(d);
        let nb = ((top / p.buffer_step_s.max(1e-3)).ceil() as usize + 1).clamp(2, MAX_BUFFER_POINTS);
        let db = top / (nb - 1) as f64;
        let (g, gx, nc) = (model.bins, model.last_bins, model.classes());
        let probs = model.probabilities();
        let rates: Vec<f64> = (0..lv).map(|q| ladder.bitrate_bps(q) as f64 / 1e6).collect();
        let centers: Vec<f64> = (0..g).map(|i| model.center_ln(i).exp() * 1000.0 * p.throughput_scale).collect(); // bit/s
        // Next EWMA coordinate for (s, y).
        let next_s: Vec<(usize, f64)> = (0..g * g)
            .map(|i| {
                let (s, y) = (i / g, i % g);
                lerp_at(model.coord(model.update(Some(model.center_ln(s)), model.center_ln(y))), g)
            })
            .collect();
        let sg = g * gx;
        // Next second-component coordinate for (s, x, y).
        let next_x: Vec<(usize, f64)> = (0..sg * g)
            .map(|i| {
                let (s, x, y) = (i / (gx * g), (i / g) % gx, i % g);
                if gx == 1 {
                    return (0, 0.0);
                }
                let v = model.update_second(Some(model.center_ln(s)), model.second_center(x), model.center_ln(y));
                lerp_at(model.second_coord(v), gx)
            })
            .collect();
        let mut q = vec![0f32; n * nb * lv * sg];
        // V_{k+1}[buffer][last level][s][x]
        let mut v_next = vec![0f64; nb * lv * sg];
        let mut v_cur = vec![0f64; nb * lv * sg];
        let mut qk = vec![0f64; nb * lv * sg];
        for k in (0..n).rev() {
            let last_stage = k + 1 == n;
            for a in 0..lv {
                let bits = ladder.fragment_bytes(first + k, a) as f64 * 8.0;
                let t: Vec<f64> = centers.iter().map(|c| p.latency_s + bits / c).collect();
                for bi in 0..nb {
                    let b = bi as f64 * db;
                    // Per outcome y: (rebuffer, buffer interpolation).
                    let out: Vec<(f64, usize, f64)> = t
                        .iter()
                        .map(|&t| {
                            let reb = (t - b).max(0.0);
                            let b2 = ((b - t).max(0.0) + d).min(top);
                            let (i, w) = lerp_at(b2 / db, nb);
                            (reb, i, w)
                        })
                        .collect();
                    for s in 0..g {
                        for x in 0..gx {
                            let c = model.class_of(bits, model.center_ln(s));
                            let at = ((s * gx + x) * nc + c) * g;
                            let pr = &probs[at..at + g];
                            let mut acc = 0.0;
                            for y in 0..g {
                                let py = pr[y];
                                if py < 1e-9 {
                                    continue;
                                }
                                let (reb, i, w) = out[y];
                                let mut val = -p.rebuffer_penalty * reb;
                                if !last_stage {
                                    let (si, sw) = next_s[s * g + y];
                                    if gx == 1 {
                                        let at = |bb: usize, ss: usize| v_next[(bb * lv + a) * g + ss];
                                        let lo = (1.0 - sw) * at(i, si) + sw * at(i, si + 1);
                                        let hi = (1.0 - sw) * at(i + 1, si) + sw * at(i + 1, si + 1);
                                        val += (1.0 - w) * lo + w * hi;
                                    } else {
                                        let (xi, xw) = next_x[(s * gx + x) * g + y];
                                        let at = |bb: usize, ss: usize| {
                                            let j = ((bb * lv + a) * g + ss) * gx + xi;
                                            (1.0 - xw) * v_next[j] + xw * v_next[j + 1]
                                        };
                                        let lo = (1.0 - sw) * at(i, si) + sw * at(i, si + 1);
                                        let hi = (1.0 - sw) * at(i + 1, si) + sw * at(i + 1, si + 1);
                                        val += (1.0 - w) * lo + w * hi;
                                    }
                                }
                                acc += py * val;
                            }
                            qk[((bi * lv + a) * g + s) * gx + x] = rates[a] + acc;
                        }
                    }
                }
            }
            for bi in 0..nb {
                for l in 0..lv {
                    for sx in 0..sg {
                        let mut best = f64::NEG_INFINITY;
                        for a in 0..lv {
                            let v = qk[(bi * lv + a) * sg + sx] - (rates[a] - rates[l]).abs();
                            best = best.max(v);
                        }
                        v_cur[(bi * lv + l) * sg + sx] = best;
                    }
                }
            }
            for (dst, src) in q[k * nb * lv * sg..(k + 1) * nb * lv * sg].iter_mut().zip(&qk) {
                *dst = *src as f32;
            }
            std::mem::swap(&mut v_next, &mut v_cur);
        }
        MdpTable { model: model.clone(), stages: n, total, nb, db, top_s: top, levels: lv, q, probs }
    }

    /// Stage of fragment `k`: counted back from the end (the last fragment is the last
    /// stage); fragments further from the end than the table reaches, and every fragment of
    /// a presentation of unknown length, use the first stage.
    fn stage_of(&self, k: usize) -> usize {
        match self.total {
            Some(t) => self.stages - t.saturating_sub(k).clamp(1, self.stages),
            None => 0,
        }
    }

    /// Interpolated Q-value of `level` at fragment `k`, buffer `buffer_s`, EWMA log
    /// throughput `ewma_ln` (kbit/s) and second state component `second` (see [`MdpModel`]).
    pub fn q_value(&self, k: usize, buffer_s: f64, level: usize, ewma_ln: f64, second: f64) -> f64 {
        let m = &self.model;
        let (g, gx) = (m.bins, m.last_bins);
        let k = self.stage_of(k);
        let (bi, bw) = lerp_at(buffer_s / self.db, self.nb);
        let (si, sw) = lerp_at(m.coord(ewma_ln), g);
        let (xi, xw) = if gx == 1 { (0, 0.0) } else { lerp_at(m.second_coord(second), gx) };
        let at = |b: usize, s: usize, x: usize| {
            self.q[(((k * self.nb + b) * self.levels + level) * g + s) * gx + x] as f64
        };
        let mut v = 0.0;
        for (b, wb) in [(bi, 1.0 - bw), (bi + 1, bw)] {
            for (s, ws) in [(si, 1.0 - sw), (si + 1, sw)] {
                if gx == 1 {
                    v += wb * ws * at(b, s, 0);
                } else {
                    for (x, wx) in [(xi, 1.0 - xw), (xi + 1, xw)] {
                        v += wb * ws * wx * at(b, s, x);
                    }
                }
            }
        }
        v
    }

    /// Probability the model gives the next sample `y_ln` of a download of `bits` in the
    /// state (`ewma_ln`, `second`) (nearest bins).
    pub fn transition_prob(&self, ewma_ln: f64, second: f64, bits: f64, y_ln: f64) -> f64 {
        let m = &self.model;
        let (g, gx, nc) = (m.bins, m.last_bins, m.classes());
        let c = m.class_of(bits, ewma_ln);
        let s = (m.coord(ewma_ln).round() as usize).min(g - 1);
        let x = if gx == 1 { 0 } else { (m.second_coord(second).round() as usize).min(gx - 1) };
        let y = (m.coord(y_ln).round() as usize).min(g - 1);
        self.probs[((s * gx + x) * nc + c) * g + y]
    }

    /// The throughput model the table was built from.
    pub fn model(&self) -> &MdpModel {
        &self.model
    }
}

/// The shipped throughput models (see `mdp_model.json` and the example `mdp`): one or more
/// models; with several, the selector weighs them by their posterior given its own samples.
pub fn shipped_models() -> Vec<MdpModel> {
    serde_json::from_str(include_str!("mdp_model.json")).expect("shipped mdp model")
}

type Cache = Mutex<Vec<(Ladder, u64, Vec<Arc<MdpTable>>)>>;

/// The tables for `ladder` and `max_buffer_s` with the shipped models and default settings,
/// built on first use and cached for the process.
pub fn shared_tables(ladder: &Ladder, max_buffer_s: f64) -> Vec<Arc<MdpTable>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let key = max_buffer_s.to_bits();
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, t)) = c.iter().find(|(l, b, _)| l == ladder && *b == key) {
        return t.clone();
    }
    let t: Vec<Arc<MdpTable>> = shipped_models()
        .iter()
        .map(|m| Arc::new(MdpTable::build(ladder, m, max_buffer_s, &MdpParams::default())))
        .collect();
    if c.len() >= 16 {
        c.remove(0);
    }
    c.push((ladder.clone(), key, t.clone()));
    t
}

/// The MDP selector (see module docs).
#[derive(Debug, Clone)]
pub struct Mdp {
    tables: Vec<Arc<MdpTable>>,
    loglik: Vec<f64>,
    /// Per-sample decay of the models' log-likelihoods (1 = none).
    pub forget: f64,
    /// Expected QoE_lin to the end (Mbit/s units) of the last decision, by the model
    /// (diagnostic: compare with what the session then scores).
    pub last_value: f64,
    abandonment: bool,
    /// Throughput state per model (each model has its own EWMA weight): EWMA, second component.
    ewma_ln: Vec<Option<f64>>,
    last_ln: Vec<f64>,
    last_level: Option<usize>,
    latency: EwmaEstimator,
    decode_cap: DecodeCap,
    /// Shipped tables in use: maximum buffer (s) they were built for, when they come from
    /// [`shared_tables`] (then a live edge closer than that switches to smaller tables).
    shared_max_s: Option<f64>,
}

impl Mdp {
    /// With the shipped model, for a player holding at most `max_buffer_s`.
    pub fn new(ladder: &Ladder, max_buffer_s: f64) -> Self {
        let mut m = Self::with_tables(ladder, shared_tables(ladder, max_buffer_s), true);
        m.shared_max_s = Some(max_buffer_s);
        m
    }

    /// Posterior weights of the models (sum 1).
    fn weights(&self) -> Vec<f64> {
        let top = self.loglik.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = self.loglik.iter().map(|l| (l - top).exp()).collect();
        let sum: f64 = w.iter().sum();
        w.into_iter().map(|x| x / sum).collect()
    }

    /// Live: the buffer cannot grow past the live edge, so plan with tables built for a
    /// player whose maximum is the edge distance (whole fragments) plus one fragment.
    fn follow_live_edge(&mut self, ctx: &Context) {
        let (Some(max_s), Some(edge)) = (self.shared_max_s, ctx.live_edge_distance) else {
            return;
        };
        let d = ctx.ladder.fragment_s();
        let want = ((edge.as_secs_f64() / d).ceil().max(1.0) + 1.0) * d;
        let want = want.min(max_s);
        let have = self.tables[0].top_s + d;
        if (want - have).abs() > 1e-6 {
            self.tables = shared_tables(ctx.ladder, want);
        }
    }

    /// With given tables (one per throughput model; each model keeps its own state).
    pub fn with_tables(ladder: &Ladder, tables: Vec<Arc<MdpTable>>, abandonment: bool) -> Self {
        assert!(!tables.is_empty(), "mdp needs a table");
        let n = tables.len();
        Mdp {
            loglik: vec![0.0; tables.len()],
            forget: 1.0,
            last_value: 0.0,
            tables,
            abandonment,
            ewma_ln: vec![None; n],
            last_ln: vec![0.0; n],
            last_level: None,
            latency: EwmaEstimator::sabre_default(ladder.fragment_duration),
            decode_cap: DecodeCap::default(),
            shared_max_s: None,
        }
    }
}

impl QualitySelector for Mdp {
    fn name(&self) -> &str {
        "mdp"
    }

    fn choose(&mut self, ctx: &Context) -> Decision {
        let ladder = ctx.ladder;
        let cap = self.decode_cap.device_cap(ctx).min(self.tables[0].levels - 1);
        if self.ewma_ln[0].is_none() {
            return Decision::now(0);
        }
        self.follow_live_edge(ctx);
        let last = self.last_level.or(ctx.last_level).unwrap_or(0).min(ladder.top());
        let b = ctx.buffer.level.as_secs_f64();
        let rate = |q: usize| ladder.bitrate_bps(q) as f64 / 1e6;
        let w = self.weights();
        let mut best = (f64::NEG_INFINITY, 0);
        for a in 0..=cap {
            let q: f64 = self
                .tables
                .iter()
                .enumerate()
                .filter(|&(m, _)| w[m] > 1e-4)
                .map(|(m, t)| w[m] * t.q_value(ctx.fragment_index, b, a, self.ewma_ln[m].unwrap_or(0.0), self.last_ln[m]))
                .sum::<f64>();
            let v = q - (rate(a) - rate(last)).abs();
            if v > best.0 {
                best = (v, a);
            }
        }
        self.last_value = best.0;
        Decision::now(best.1)
    }

    fn on_download(&mut self, _ctx: &Context, report: &DownloadReport) {
        self.latency.on_download(report);
        if let Some(bps) = report.throughput_bps() {
            let ln = (bps / 1000.0).max(1e-3).ln();
            let several = self.tables.len() > 1;
            for (m, t) in self.tables.iter().enumerate() {
                if let (Some(e), true) = (self.ewma_ln[m], several) {
                    let p = t.transition_prob(e, self.last_ln[m], report.bytes as f64 * 8.0, ln);
                    self.loglik[m] = self.forget * self.loglik[m] + p.max(1e-9).ln();
                }
                let model = &t.model;
                self.last_ln[m] = model.update_second(self.ewma_ln[m], self.last_ln[m], ln);
                self.ewma_ln[m] = Some(model.update(self.ewma_ln[m], ln));
            }
        }
        if !report.abandoned {
            self.last_level = Some(report.level);
        }
    }

    fn should_abandon(&mut self, ctx: &Context, progress: &DownloadProgress) -> Option<usize> {
        if !self.abandonment {
            return None;
        }
        crate::algo::smoothplay::stall_abandon(ctx, progress, self.latency.latency_s().unwrap_or(0.0))
    }

    fn watches_progress(&self) -> bool {
        self.abandonment
    }

    fn reset(&mut self) {
        self.ewma_ln.iter_mut().for_each(|e| *e = None);
        self.last_ln.iter_mut().for_each(|x| *x = 0.0);
        self.loglik.iter_mut().for_each(|l| *l = 0.0);
        self.last_level = None;
        self.latency.reset();
        self.decode_cap.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::test_util::{ctx, report};
    use std::time::Duration;

    /// Grid centres 100, 200, 400, 800, 1600 kbit/s (step ln 2).
    fn grid5(alpha: f64) -> MdpModel {
        let mut m = MdpModel::empty(100.0, 1600.0, 5, false, alpha);
        m.prior = 0.0;
        m
    }

    #[test]
    fn counts_transitions_from_the_ewma_state() {
        let mut m = grid5(0.25);
        assert!((m.coord(400f64.ln()) - 2.0).abs() < 1e-12);
        // After 400: EWMA = ln 400 (bin 2), next 800 (bin 3). After 800: EWMA = ln 400 +
        // 0.25 ln 2 (coordinate 2.25, bin 2), next 400 (bin 2). The last sample has no successor.
        m.add_session(&[(400.0, 1e6), (800.0, 1e6), (400.0, 1e6)]);
        let mut expected = vec![0u32; 25];
        expected[2 * 5 + 3] = 1;
        expected[2 * 5 + 2] = 1;
        assert_eq!(m.counts, expected);
        // No prior: the row of bin 2 is the empirical 1/2, 1/2; a row without counts falls back
        // to the kernel around its own bin (normalised Gaussian, so its centre is the largest).
        let p = m.probabilities();
        assert_eq!(&p[10..15], &[0.0, 0.0, 0.5, 0.5, 0.0]);
        let row0 = &p[0..5];
        assert!((row0.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(row0[0] > row0[1] && row0[1] > row0[2]);
    }

    #[test]
    fn duration_classes_split_on_predicted_download_time() {
        let m = grid5(0.5).with_duration_classes(vec![1.0, 2.0]);
        // 3000 kbit at 2000 kbit/s: 1.5 s, between the edges: class 1.
        assert_eq!(m.class_of(3e6, 2000f64.ln()), 1);
        assert_eq!(m.class_of(1e6, 2000f64.ln()), 0);
        assert_eq!(m.class_of(5e6, 2000f64.ln()), 2);
    }

    /// Two levels (1000, 2000 kbit/s), two 4 s fragments, and a link that always delivers
    /// 2000 kbit/s (every state moves to the 2000 bin), no latency, QoE_lin's 4.3 penalty.
    fn deterministic() -> (Ladder, MdpTable) {
        let mut l = Ladder::from_kbps(&[1000, 2000], Duration::from_secs(4));
        l.fragment_count = Some(2);
        let mut m = MdpModel::empty(500.0, 8000.0, 5, false, 0.5);
        m.prior = 0.0;
        for s in 0..5 {
            m.counts[s * 5 + 2] = 1; // centre 2 = 2000 kbit/s
        }
        let p = MdpParams { buffer_step_s: 0.5, latency_s: 0.0, rebuffer_penalty: 4.3, abandonment: false, throughput_scale: 1.0 };
        let t = MdpTable::build(&l, &m, 60.0, &p);
        (l, t)
    }

    #[test]
    fn long_and_live_presentations_use_a_bounded_table() {
        let m = MdpModel::empty(500.0, 8000.0, 5, false, 0.5);
        let p = MdpParams { buffer_step_s: 0.01, ..MdpParams::default() };
        // 10 000 fragments and a 0.01 s buffer step: 64 stages and 241 buffer points, not
        // 10 000 x 6 000.
        let mut l = Ladder::from_kbps(&[1000, 2000], Duration::from_secs(2));
        l.fragment_count = Some(10_000);
        let t = MdpTable::build(&l, &m, 60.0, &p);
        assert_eq!(t.q.len(), MAX_STAGES * MAX_BUFFER_POINTS * 2 * 5);
        // The last fragment is the last stage, 64 from the end the first; earlier ones too.
        assert_eq!(t.stage_of(9_999), MAX_STAGES - 1);
        assert_eq!(t.stage_of(10_000 - MAX_STAGES), 0);
        assert_eq!(t.stage_of(10_000 - MAX_STAGES + 1), 1);
        assert_eq!(t.stage_of(0), 0);
        // Live (no count): always the first stage, never the end-of-video stages.
        l.fragment_count = None;
        let t = MdpTable::build(&l, &m, 60.0, &p);
        assert_eq!((t.stage_of(0), t.stage_of(5_000)), (0, 0));
    }

    #[test]
    fn value_iteration_matches_hand_computed_values() {
        let (_, t) = deterministic();
        let e = 2000f64.ln();
        // Last fragment (k = 1), 4 s buffered: 1000 kbps takes 2 s (Q = 1), 2000 kbps 4 s (Q = 2).
        assert!((t.q_value(1, 4.0, 0, e, 0.0) - 1.0).abs() < 1e-5);
        assert!((t.q_value(1, 4.0, 1, e, 0.0) - 2.0).abs() < 1e-5);
        // 2 s buffered: 2000 kbps stalls 2 s: 2 - 4.3 x 2 = -6.6.
        assert!((t.q_value(1, 2.0, 1, e, 0.0) + 6.6).abs() < 1e-5);
        // k = 0, 4 s buffered. 2000 kbps: buffer 4 - 4 + 4 = 4, then the best of the last
        // fragment from level 1 is 2000 again: 2 + 2 = 4. 1000 kbps: buffer 6, then from level 0
        // max(1, 2 - |2 - 1|) = 1: 1 + 1 = 2.
        assert!((t.q_value(0, 4.0, 1, e, 0.0) - 4.0).abs() < 1e-5);
        assert!((t.q_value(0, 4.0, 0, e, 0.0) - 2.0).abs() < 1e-5);
        // Between grid points the value is interpolated linearly: 3 s for level 1 at k = 1:
        // stall 1 s, 2 - 4.3 = -2.3 (exact here, the value is linear in the buffer).
        assert!((t.q_value(1, 3.0, 1, e, 0.0) + 2.3).abs() < 1e-5);
    }

    #[test]
    fn selector_picks_the_best_q_minus_switch_cost() {
        let (l, t) = deterministic();
        let mut s = Mdp::with_tables(&l, vec![Arc::new(t)], false);
        // Before any download: the lowest level.
        assert_eq!(s.choose(&ctx(&l, 0, 0.0)).level, 0);
        s.on_download(&ctx(&l, 0, 0.0), &report(1, 8000.0, 0.0, 4.0)); // 2000 kbit/s, level 1
        // 4 s buffered at the last fragment: 2000 (2 - 0) beats 1000 (1 - 1 = 0).
        assert_eq!(s.choose(&ctx(&l, 1, 4.0)).level, 1);
        // 2 s buffered: 1000 (1 - 1 = 0) beats 2000 (-6.6).
        assert_eq!(s.choose(&ctx(&l, 1, 2.0)).level, 0);
        assert!(s.last_value.abs() < 1e-5);
    }

    #[test]
    fn posterior_prefers_the_model_that_predicted_the_samples() {
        // Two one-bin-wide models on the same grid: one always says 2000, one always 500.
        let (l, high) = deterministic();
        let mut m = high.model().clone();
        m.counts.iter_mut().for_each(|c| *c = 0);
        for s in 0..5 {
            m.counts[s * 5] = 1; // centre 0 = 500 kbit/s
        }
        let p = MdpParams { buffer_step_s: 0.5, latency_s: 0.0, rebuffer_penalty: 4.3, abandonment: false, throughput_scale: 1.0 };
        let low = MdpTable::build(&l, &m, 60.0, &p);
        let mut s = Mdp::with_tables(&l, vec![Arc::new(high), Arc::new(low)], false);
        s.on_download(&ctx(&l, 0, 0.0), &report(1, 8000.0, 0.0, 4.0));
        s.on_download(&ctx(&l, 0, 0.0), &report(1, 8000.0, 0.0, 4.0));
        // The second 2000 kbit/s sample had probability 1 under the first model and 0 (floored
        // at 1e-9) under the second.
        assert!(s.loglik[0].abs() < 1e-12);
        assert!((s.loglik[1] - 1e-9f64.ln()).abs() < 1e-9);
    }
}
