//! The environment semantics of Pensieve's test simulator, to compare with figures measured
//! there (Mao, Netravali, Alizadeh, "Neural Adaptive Video Streaming with Pensieve",
//! SIGCOMM 2017; hongzimao/pensieve `test/fixed_env.py`, `test/mpc.py`,
//! `test/plot_results.py`). Written from a reading of those scripts; no code is copied.
//!
//! How it differs from the Sabre model in [`crate::sim::session`]:
//! - The trace is a list of samples `(time_s, Mbit/s)`; the interval `(t[k-1], t[k]]` is
//!   served at the bandwidth of sample `k` (the *next* sample), and wrapping restarts at
//!   sample 1 with the clock at 0. A `shared/traces` text file (period `i` = sample `i`,
//!   lasting `t[i+1] - t[i]`) therefore plays each period's duration at the bandwidth of
//!   the following period, and the last period's (synthetic) duration is never used.
//! - Every byte moves at `bandwidth x 0.95` (`PACKET_PAYLOAD_PORTION`); a fixed 80 ms
//!   (`LINK_RTT`) is added to each chunk's delay *without* advancing the trace clock, but the
//!   buffer drains (and rebuffering accrues) over the whole delay, RTT included.
//! - The buffer cap is applied after the chunk is added: above 60 s (`BUFFER_THRESH`) the
//!   player sleeps the excess rounded *up* to 500 ms steps (`DRAIN_BUFFER_SLEEP_TIME`), so
//!   the buffer ends at 59.5-60 s rather than Sabre's `max - fragment`.
//! - No abandonment, no startup phase: the first chunk's whole delay counts as rebuffering,
//!   and the test scripts download it at `DEFAULT_QUALITY` (level 1) before any decision.
//! - The trace starts at its beginning (`mahimahi_start_ptr = 1` in `test/fixed_env.py`; the
//!   training env in `sim/env.py` starts at a random point, the test env does not).
//! - QoE as `plot_results.py` averages it: the per-chunk reward
//!   `R/1000 - 4.3 x rebuffer_s - |R - R_prev|/1000` (with `R_prev` = `DEFAULT_QUALITY` for
//!   chunk 0) summed over chunks `1..N` (`reward[1:VIDEO_LEN]`, the first chunk dropped),
//!   then the mean of those sums over traces; per chunk = sum / (N - 1) = / 47 for envivio.
//!
//! [`PensieveMpc`] is the controller of `test/mpc.py` with its quirks (see its docs), so the
//! environment and the controller's differences from [`crate::algo::mpc::RobustMpc`] can be
//! measured separately.

use crate::sim::trace::Trace;
use crate::sim::video::Video;
use crate::selector::QualitySelector;
use crate::types::{BufferState, Context, DownloadReport, Ladder};
use std::collections::VecDeque;
use std::time::Duration;

/// Upper bound on trace intervals walked for one chunk or one sleep (a trace whose
/// bandwidth is near zero for a long time cannot hang the simulator).
pub const MAX_INTERVALS_PER_STEP: usize = 10_000_000;

/// Settings of Pensieve's test environment (defaults = `test/fixed_env.py`, `test/mpc.py`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PensieveConfig {
    /// `LINK_RTT`: added to every chunk's delay, not consuming trace time (ms).
    pub link_rtt_ms: f64,
    /// `PACKET_PAYLOAD_PORTION`: share of the trace bandwidth that carries payload.
    pub payload_portion: f64,
    /// `BUFFER_THRESH`: buffer above which the player sleeps (ms).
    pub buffer_thresh_ms: f64,
    /// `DRAIN_BUFFER_SLEEP_TIME`: sleeps are rounded up to a multiple of this (ms).
    pub drain_step_ms: f64,
    /// `DEFAULT_QUALITY`: level of chunk 0, downloaded before the selector is asked, and the
    /// "previous level" of chunk 0's smoothness term. `None`: ask the selector for chunk 0 too
    /// (and chunk 0 has no smoothness term).
    pub first_level: Option<usize>,
    /// `REBUF_PENALTY` per second of rebuffering.
    pub rebuffer_penalty: f64,
}

impl Default for PensieveConfig {
    fn default() -> Self {
        PensieveConfig {
            link_rtt_ms: 80.0,
            payload_portion: 0.95,
            buffer_thresh_ms: 60_000.0,
            drain_step_ms: 500.0,
            first_level: Some(1),
            rebuffer_penalty: 4.3,
        }
    }
}

/// Why a session could not be simulated.
#[derive(Debug, Clone, PartialEq)]
pub enum PensieveError {
    /// The trace has fewer than two samples or no interval with positive duration and
    /// bandwidth (Pensieve would loop forever).
    UnusableTrace(String),
    /// A chunk or sleep walked more than [`MAX_INTERVALS_PER_STEP`] intervals (trace name).
    TooSlow(String),
    /// The video has no chunks or no levels.
    EmptyVideo,
}

impl std::fmt::Display for PensieveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PensieveError::UnusableTrace(why) => write!(f, "trace unusable in the Pensieve model: {why}"),
            PensieveError::TooSlow(name) => {
                write!(f, "trace {name}: one chunk needed more than {MAX_INTERVALS_PER_STEP} intervals")
            }
            PensieveError::EmptyVideo => write!(f, "video has no chunks or no levels"),
        }
    }
}

impl std::error::Error for PensieveError {}

/// A trace as Pensieve's `load_trace.py` holds it: sample times (s) and bandwidths (Mbit/s).
#[derive(Debug, Clone, PartialEq)]
pub struct CookedTrace {
    /// Name used in reports.
    pub name: String,
    /// Sample times in seconds, `time_s[0]` normally 0.
    pub time_s: Vec<f64>,
    /// Bandwidth of each sample, Mbit/s.
    pub mbps: Vec<f64>,
}

impl CookedTrace {
    /// Builds and validates a cooked trace (equal lengths, at least two samples, times
    /// finite and non-decreasing, bandwidths finite and non-negative, and some interval
    /// `(t[k-1], t[k]]` with positive length and positive bandwidth).
    pub fn new(name: impl Into<String>, time_s: Vec<f64>, mbps: Vec<f64>) -> Result<Self, PensieveError> {
        let name = name.into();
        if time_s.len() != mbps.len() || time_s.len() < 2 {
            return Err(PensieveError::UnusableTrace(format!(
                "{name}: {} times, {} bandwidths (need equal, at least 2)",
                time_s.len(),
                mbps.len()
            )));
        }
        let monotone = time_s.windows(2).all(|w| matches!(w, [a, b] if a.is_finite() && b.is_finite() && b >= a));
        let bw_ok = mbps.iter().all(|b| b.is_finite() && *b >= 0.0);
        let served = time_s.windows(2).zip(mbps.iter().skip(1)).any(|(w, b)| matches!(w, [a, c] if c > a) && *b > 0.0);
        if !monotone || !bw_ok || !served || time_s.first().is_some_and(|t| *t < 0.0) {
            return Err(PensieveError::UnusableTrace(format!(
                "{name}: times must be non-negative and non-decreasing, bandwidths >= 0, and some interval served"
            )));
        }
        Ok(CookedTrace { name, time_s, mbps })
    }

    /// Back from the `shared/traces` period format: sample `i` at the sum of the durations of
    /// periods `0..i`, with period `i`'s bandwidth (the inverse of that folder's conversion;
    /// each file's first sample time is taken as 0, and the last period's duration, which the
    /// conversion synthesised, is dropped). Per-period latencies are ignored: Pensieve uses
    /// the constant [`PensieveConfig::link_rtt_ms`].
    pub fn from_trace(trace: &Trace) -> Result<Self, PensieveError> {
        let mut time_s = Vec::with_capacity(trace.periods.len());
        let mut mbps = Vec::with_capacity(trace.periods.len());
        let mut t_ms = 0.0;
        for p in &trace.periods {
            time_s.push(t_ms / 1000.0);
            mbps.push(p.bandwidth_kbps / 1000.0);
            t_ms += p.duration_ms;
        }
        Self::new(trace.name.clone(), time_s, mbps)
    }
}

/// Position in a cooked trace: `ptr` is the sample whose bandwidth serves the current
/// interval, `clock_s` the time already consumed inside it (Pensieve's `mahimahi_ptr` and
/// `last_mahimahi_time`).
#[derive(Debug, Clone)]
struct TraceCursor<'a> {
    trace: &'a CookedTrace,
    ptr: usize,
    clock_s: f64,
}

impl<'a> TraceCursor<'a> {
    fn new(trace: &'a CookedTrace) -> Self {
        TraceCursor { trace, ptr: 1, clock_s: trace.time_s.first().copied().unwrap_or(0.0) }
    }

    fn end_of_interval(&self) -> f64 {
        self.trace.time_s.get(self.ptr).copied().unwrap_or(self.clock_s)
    }

    /// Moves to the next interval, wrapping to sample 1 with the clock at 0 (as Pensieve does,
    /// even when the first sample time is not 0).
    fn next_interval(&mut self) {
        self.clock_s = self.end_of_interval();
        self.ptr += 1;
        if self.ptr >= self.trace.mbps.len() {
            self.ptr = 1;
            self.clock_s = 0.0;
        }
    }

    /// Seconds to deliver `bytes` of payload at `portion` of the bandwidth.
    fn transfer(&mut self, bytes: f64, portion: f64) -> Result<f64, PensieveError> {
        let mut sent = 0.0;
        let mut delay_s = 0.0;
        for _ in 0..MAX_INTERVALS_PER_STEP {
            // Same operation order as fixed_env.py, so exact ties in the plans of controllers
            // that read these delays break the same way.
            let bytes_per_s = self.trace.mbps.get(self.ptr).copied().unwrap_or(0.0) * 1e6 / 8.0;
            let len = self.end_of_interval() - self.clock_s;
            let payload = bytes_per_s * len * portion;
            if sent + payload > bytes {
                let part = (bytes - sent) / bytes_per_s / portion;
                self.clock_s += part;
                return Ok(delay_s + part);
            }
            sent += payload;
            delay_s += len;
            self.next_interval();
        }
        Err(PensieveError::TooSlow(self.trace.name.clone()))
    }

    /// Lets `sleep_s` of trace time pass.
    fn sleep(&mut self, mut sleep_s: f64) -> Result<(), PensieveError> {
        for _ in 0..MAX_INTERVALS_PER_STEP {
            let len = self.end_of_interval() - self.clock_s;
            if len > sleep_s {
                self.clock_s += sleep_s;
                return Ok(());
            }
            sleep_s -= len;
            self.next_interval();
        }
        Err(PensieveError::TooSlow(self.trace.name.clone()))
    }
}

/// One line of Pensieve's per-chunk log (`log_sim_*`), plus the level index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkLog {
    /// Level downloaded.
    pub level: usize,
    /// Delay of the chunk: transfer plus RTT (ms).
    pub delay_ms: f64,
    /// Sleep after the chunk because the buffer was over the threshold (ms).
    pub sleep_ms: f64,
    /// Buffer after the chunk and the sleep (s), what the selector sees next.
    pub buffer_s: f64,
    /// Rebuffering while this chunk downloaded (s); for chunk 0 its whole delay.
    pub rebuffer_s: f64,
    /// Pensieve's reward for this chunk.
    pub reward: f64,
}

/// One session in the Pensieve model.
#[derive(Debug, Clone, PartialEq)]
pub struct PensieveSession {
    /// Trace name.
    pub trace: String,
    /// Per-chunk log.
    pub chunks: Vec<ChunkLog>,
}

impl PensieveSession {
    /// Sum of the rewards of chunks `1..N` (`plot_results.py`: `np.sum(reward[1:VIDEO_LEN])`).
    pub fn qoe_lin(&self) -> f64 {
        self.chunks.iter().skip(1).map(|c| c.reward).sum()
    }

    /// [`qoe_lin`](Self::qoe_lin) divided by the chunks it sums (47 for envivio).
    pub fn qoe_lin_per_chunk(&self) -> f64 {
        let n = self.chunks.len().saturating_sub(1);
        if n == 0 {
            0.0
        } else {
            self.qoe_lin() / n as f64
        }
    }

    /// Rebuffering over chunks `1..N` (s): chunk 0's delay is startup, not a stall.
    pub fn rebuffer_s(&self) -> f64 {
        self.chunks.iter().skip(1).map(|c| c.rebuffer_s).sum()
    }

    /// Mean bitrate over all chunks (kbit/s).
    pub fn mean_bitrate_kbps(&self, ladder: &Ladder) -> f64 {
        if self.chunks.is_empty() {
            return 0.0;
        }
        self.chunks.iter().map(|c| ladder.bitrate_bps(c.level) as f64 / 1000.0).sum::<f64>() / self.chunks.len() as f64
    }
}

/// Plays `video` over `trace` in Pensieve's test environment, asking `selector` for every
/// chunk (but chunk 0 when [`PensieveConfig::first_level`] is set). A selector's
/// [`Decision::wait`](crate::types::Decision::wait) is honoured as idle trace time that drains
/// the buffer (a stall if it drains it empty, counted in the next chunk's rebuffering);
/// Pensieve's controllers never wait. Downloads are never abandoned.
pub fn simulate(
    video: &Video,
    trace: &CookedTrace,
    selector: &mut dyn QualitySelector,
    cfg: &PensieveConfig,
) -> Result<PensieveSession, PensieveError> {
    let ladder = &video.ladder;
    let n = video.fragments();
    if n == 0 || ladder.is_empty() {
        return Err(PensieveError::EmptyVideo);
    }
    let chunk_ms = video.fragment_ms();
    let secs = |ms: f64| Duration::from_secs_f64((ms / 1000.0).max(0.0));
    let max = secs(cfg.buffer_thresh_ms);
    let kbps = |level: usize| ladder.bitrate_bps(level) as f64;
    let mut cursor = TraceCursor::new(trace);
    let mut buffer_ms = 0.0_f64;
    let mut now_ms = 0.0_f64;
    let mut last_level: Option<usize> = None;
    let mut chunks = Vec::with_capacity(n);
    for index in 0..n {
        let ctx = Context {
            ladder,
            fragment_index: index,
            buffer: BufferState { level: secs(buffer_ms), target: max, max },
            last_level,
            live_edge_distance: None,
            decode: None,
            viewport: None,
            playing: index > 0,
            now: secs(now_ms),
        };
        let mut stall_ms = 0.0;
        let level = match (index, cfg.first_level) {
            (0, Some(first)) => first.min(ladder.top()),
            _ => {
                let decision = selector.choose(&ctx);
                if let Some(wait) = decision.wait.filter(|w| !w.is_zero()) {
                    let wait_ms = wait.as_secs_f64() * 1000.0;
                    cursor.sleep(wait_ms / 1000.0)?;
                    stall_ms = (wait_ms - buffer_ms).max(0.0);
                    buffer_ms = (buffer_ms - wait_ms).max(0.0);
                    now_ms += wait_ms;
                }
                decision.level.min(ladder.top())
            }
        };
        let bytes = video.size_bits(index, level) / 8.0;
        let delay_ms = cursor.transfer(bytes, cfg.payload_portion)? * 1000.0 + cfg.link_rtt_ms;
        let rebuffer_ms = (delay_ms - buffer_ms).max(0.0) + stall_ms;
        buffer_ms = (buffer_ms - delay_ms).max(0.0) + chunk_ms;
        let mut sleep_ms = 0.0;
        if buffer_ms > cfg.buffer_thresh_ms {
            let step = if cfg.drain_step_ms > 0.0 { cfg.drain_step_ms } else { 1.0 };
            sleep_ms = ((buffer_ms - cfg.buffer_thresh_ms) / step).ceil() * step;
            buffer_ms -= sleep_ms;
            cursor.sleep(sleep_ms / 1000.0)?;
        }
        now_ms += delay_ms + sleep_ms;
        let previous = last_level.or(cfg.first_level).unwrap_or(level);
        let reward = kbps(level) / 1e6
            - cfg.rebuffer_penalty * rebuffer_ms / 1000.0
            - (kbps(level) - kbps(previous)).abs() / 1e6;
        chunks.push(ChunkLog {
            level,
            delay_ms,
            sleep_ms,
            buffer_s: buffer_ms / 1000.0,
            rebuffer_s: rebuffer_ms / 1000.0,
            reward,
        });
        last_level = Some(level);
        let report = DownloadReport {
            level,
            bytes: bytes.round() as u64,
            ttfb: secs(cfg.link_rtt_ms),
            duration: secs(delay_ms),
            media_duration: secs(chunk_ms),
            abandoned: false,
        };
        let after = Context {
            fragment_index: index + 1,
            buffer: BufferState { level: secs(buffer_ms), target: max, max },
            last_level,
            playing: true,
            now: secs(now_ms),
            ..ctx
        };
        selector.on_download(&after, &report);
        if sleep_ms > 0.0 {
            selector.on_idle(secs(sleep_ms));
        }
    }
    Ok(PensieveSession { trace: trace.name.clone(), chunks })
}

/// Plays `traces` one after another with one selector, calling
/// [`QualitySelector::reset`] between them, as `test/mpc.py` serves its trace list with one
/// process (what a reset keeps is the selector's business: [`PensieveMpc`] keeps its error
/// history, as `mpc.py`'s module-level lists do).
pub fn simulate_sequence(
    video: &Video,
    traces: &[CookedTrace],
    selector: &mut dyn QualitySelector,
    cfg: &PensieveConfig,
) -> Result<Vec<PensieveSession>, PensieveError> {
    let mut out = Vec::with_capacity(traces.len());
    for (i, t) in traces.iter().enumerate() {
        if i > 0 {
            selector.reset();
        }
        out.push(simulate(video, t, selector, cfg)?);
    }
    Ok(out)
}

/// The controller of Pensieve's `test/mpc.py` (RobustMPC), reproduced with its quirks so its
/// figures can be compared like for like:
/// - throughput samples are chunk bytes over the whole delay (RTT included), in MB/s; the
///   prediction is the harmonic mean of the last 5 samples *of the current video* divided by
///   `1 + max` of the last 5 relative errors `|previous harmonic mean - sample| / sample`
///   (a 0 is logged for the very first chunk);
/// - with `carry_errors`, the error list and the last harmonic mean survive
///   [`reset`](QualitySelector::reset) (module-level lists in `mpc.py`, never cleared), so a
///   video's first errors compare against the previous video's last estimate;
/// - the plan for the next chunk (index `i`) prices chunk `i + k` with the size of chunk
///   `i + k + size_shift` (`mpc.py` looks up `last_index + position + 1` where `last_index`
///   already is the next chunk's index: `size_shift = 1` is the script's behaviour);
///   sizes past the table count as 0 bytes (`get_chunk_size` returns 0);
/// - exhaustive search over `6^h` plans in lexicographic order, keeping the *last* plan
///   with the highest reward (`reward >= max_reward`), `h = min(5, chunks left)`;
/// - the objective assumes 4 s per chunk (the table's duration) and no RTT.
#[derive(Debug, Clone)]
pub struct PensieveMpc {
    sizes: Vec<Vec<u64>>,
    kbps: Vec<f64>,
    chunk_s: f64,
    total_chunks: usize,
    size_shift: usize,
    carry_errors: bool,
    default_level: usize,
    samples_mbyte_s: VecDeque<f64>,
    errors: VecDeque<f64>,
    last_estimate: Option<f64>,
    last_level: usize,
}

impl PensieveMpc {
    /// `MPC_FUTURE_CHUNK_COUNT`.
    pub const HORIZON: usize = 5;
    /// Samples in the harmonic mean and errors in the max.
    pub const WINDOW: usize = 5;
    /// Most plans enumerated per decision (6^5 = 7 776 for Pensieve's ladder).
    pub const MAX_PLANS: usize = 1_000_000;

    /// A controller planning with `sizes` (`[chunk][level]` bytes, the table `mpc.py`
    /// hard-codes), `ladder` bitrates, `total_chunks` in the video, and the quirks chosen.
    pub fn new(
        ladder: &Ladder,
        sizes: Vec<Vec<u64>>,
        total_chunks: usize,
        size_shift: usize,
        carry_errors: bool,
    ) -> Self {
        PensieveMpc {
            sizes,
            kbps: ladder.levels.iter().map(|l| l.bitrate_bps as f64 / 1000.0).collect(),
            chunk_s: ladder.fragment_s(),
            total_chunks,
            size_shift,
            carry_errors,
            default_level: 1.min(ladder.top()),
            samples_mbyte_s: VecDeque::new(),
            errors: VecDeque::new(),
            last_estimate: None,
            last_level: 1.min(ladder.top()),
        }
    }

    fn harmonic_mean(&self) -> Option<f64> {
        if self.samples_mbyte_s.is_empty() {
            return None;
        }
        let inv: f64 = self.samples_mbyte_s.iter().map(|s| 1.0 / s).sum();
        Some(self.samples_mbyte_s.len() as f64 / inv)
    }

    /// The discounted prediction (MB/s), `None` before this video's first sample.
    pub fn prediction_mbyte_s(&self) -> Option<f64> {
        let max_err = self.errors.iter().copied().fold(0.0, f64::max);
        Some(self.harmonic_mean()? / (1.0 + max_err))
    }

    fn size_mbyte(&self, chunk: usize, level: usize) -> f64 {
        self.sizes.get(chunk).and_then(|r| r.get(level)).map_or(0.0, |b| *b as f64 / 1e6)
    }
}

impl QualitySelector for PensieveMpc {
    fn name(&self) -> &str {
        "pensieve-mpc"
    }

    fn watches_progress(&self) -> bool {
        false
    }

    fn choose(&mut self, ctx: &Context) -> crate::types::Decision {
        let Some(bw) = self.prediction_mbyte_s().filter(|b| *b > 0.0) else {
            return crate::types::Decision::now(self.default_level);
        };
        let levels = self.kbps.len();
        let first = ctx.fragment_index;
        let mut h = Self::HORIZON.min(self.total_chunks.saturating_sub(first));
        if h == 0 || levels == 0 {
            return crate::types::Decision::now(self.default_level);
        }
        // The exhaustive search is for Pensieve's 6-level ladder; a long ladder shortens the
        // horizon instead of enumerating (or overflowing) levels^5 plans.
        while h > 1 && levels.checked_pow(h as u32).is_none_or(|p| p > Self::MAX_PLANS) {
            h -= 1;
        }
        let plans = levels.checked_pow(h as u32).unwrap_or(levels);
        let mut best = (f64::NEG_INFINITY, self.default_level);
        let mut plan = vec![0usize; h];
        for code in 0..plans {
            // Lexicographic order: the first position is the most significant digit.
            let mut c = code;
            for slot in plan.iter_mut().rev() {
                *slot = c % levels;
                c /= levels;
            }
            let mut buffer = ctx.buffer.level.as_secs_f64();
            let mut rebuffer = 0.0;
            let mut sum = 0.0;
            let mut smooth = 0.0;
            let mut last = self.last_level;
            for (k, &q) in plan.iter().enumerate() {
                let download = self.size_mbyte(first + k + self.size_shift, q) / bw;
                if buffer < download {
                    rebuffer += download - buffer;
                    buffer = 0.0;
                } else {
                    buffer -= download;
                }
                buffer += self.chunk_s;
                let r = self.kbps.get(q).copied().unwrap_or(0.0);
                sum += r;
                smooth += (r - self.kbps.get(last).copied().unwrap_or(0.0)).abs();
                last = q;
            }
            let reward = sum / 1000.0 - 4.3 * rebuffer - smooth / 1000.0;
            if reward >= best.0 {
                best = (reward, plan.first().copied().unwrap_or(self.default_level));
            }
        }
        crate::types::Decision::now(best.1)
    }

    fn on_download(&mut self, _ctx: &Context, report: &DownloadReport) {
        self.last_level = report.level;
        let ms = report.duration.as_secs_f64() * 1000.0;
        if !(ms > 0.0) || report.bytes == 0 {
            return;
        }
        let sample = report.bytes as f64 / ms / 1000.0;
        let error = self.last_estimate.map_or(0.0, |e| (e - sample).abs() / sample);
        if self.errors.len() == Self::WINDOW {
            self.errors.pop_front();
        }
        self.errors.push_back(error);
        if self.samples_mbyte_s.len() == Self::WINDOW {
            self.samples_mbyte_s.pop_front();
        }
        self.samples_mbyte_s.push_back(sample);
        self.last_estimate = self.harmonic_mean();
    }

    fn reset(&mut self) {
        self.samples_mbyte_s.clear();
        self.last_level = self.default_level;
        if !self.carry_errors {
            self.errors.clear();
            self.last_estimate = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::trace::Period;
    use crate::types::Decision;

    /// Plays a fixed script of levels (chunk 0's entry is unused when the env forces it).
    struct Script(Vec<usize>);

    impl QualitySelector for Script {
        fn name(&self) -> &str {
            "script"
        }
        fn choose(&mut self, ctx: &Context) -> Decision {
            Decision::now(self.0.get(ctx.fragment_index).copied().unwrap_or(0))
        }
        fn on_download(&mut self, _ctx: &Context, _report: &DownloadReport) {}
    }

    fn video3() -> Video {
        Video::constant_bitrate(&[300, 750, 1850], Duration::from_secs(4), 3).unwrap()
    }

    fn constant_1000kbps() -> CookedTrace {
        let periods = vec![Period { duration_ms: 1000.0, bandwidth_kbps: 1000.0, latency_ms: 80.0 }; 100];
        CookedTrace::from_trace(&Trace::new("c", periods).unwrap()).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn three_chunks_on_a_constant_trace_by_hand() {
        // 1000 kbit/s x 0.95 = 118 750 bytes/s. Chunk 0 forced to level 1 (375 000 bytes):
        // 3.157 894 7 s + 80 ms = 3 237.894 7 ms, all rebuffering; buffer 4 000 ms.
        // Chunk 1, level 0 (150 000 bytes): 1 263.157 9 + 80 = 1 343.157 9 ms, no stall;
        // buffer 4 000 - 1 343.157 9 + 4 000 = 6 656.842 1 ms; reward 0.3 - 0.45 = -0.15.
        // Chunk 2, level 2 (925 000 bytes): 7 789.473 7 + 80 = 7 869.473 7 ms; stall
        // 7 869.473 7 - 6 656.842 1 = 1 212.631 6 ms; buffer 0 + 4 000 ms;
        // reward 1.85 - 4.3 x 1.212 631 6 - |1850 - 300| / 1000 = -4.914 315 8.
        // QoE_lin = -0.15 - 4.914 315 8 = -5.064 315 8; per chunk / 2 = -2.532 157 9.
        let s =
            simulate(&video3(), &constant_1000kbps(), &mut Script(vec![2, 0, 2]), &PensieveConfig::default()).unwrap();
        let levels: Vec<usize> = s.chunks.iter().map(|c| c.level).collect();
        assert_eq!(levels, [1, 0, 2]);
        let c = &s.chunks;
        assert!(close(c[0].delay_ms, 3_237.894_736_8), "{}", c[0].delay_ms);
        assert!(close(c[0].rebuffer_s, 3.237_894_736_8));
        assert!(close(c[0].reward, 0.75 - 4.3 * 3.237_894_736_8));
        assert!(close(c[1].delay_ms, 1_343.157_894_7), "{}", c[1].delay_ms);
        assert!(close(c[1].buffer_s, 6.656_842_105_3));
        assert_eq!(c[1].rebuffer_s, 0.0);
        assert!(close(c[1].reward, -0.15));
        assert!(close(c[2].delay_ms, 7_869.473_684_2));
        assert!(close(c[2].rebuffer_s, 1.212_631_578_9), "{}", c[2].rebuffer_s);
        assert!(close(c[2].buffer_s, 4.0));
        assert!(close(c[2].reward, 1.85 - 4.3 * 1.212_631_578_9 - 1.55));
        assert!(close(s.qoe_lin(), -5.064_315_789_5), "{}", s.qoe_lin());
        assert!(close(s.qoe_lin_per_chunk(), -2.532_157_894_7));
        assert!(close(s.rebuffer_s(), 1.212_631_578_9), "chunk 0 excluded");
    }

    #[test]
    fn buffer_cap_sleeps_in_500_ms_steps() {
        // As above at level 0 after chunk 0, with a 5 s threshold: after chunk 1 the buffer is
        // 6 656.84 ms, 1 656.84 over -> sleep 2 000 ms, 4 656.84 left. Chunk 2:
        // 4 656.84 - 1 343.16 + 4 000 = 7 313.68, 2 313.68 over -> sleep 2 500, 4 813.68 left.
        let cfg = PensieveConfig { buffer_thresh_ms: 5000.0, ..PensieveConfig::default() };
        let s = simulate(&video3(), &constant_1000kbps(), &mut Script(vec![0, 0, 0]), &cfg).unwrap();
        assert_eq!(s.chunks[0].sleep_ms, 0.0);
        assert_eq!(s.chunks[1].sleep_ms, 2000.0);
        assert!(close(s.chunks[1].buffer_s, 4.656_842_105_3));
        assert_eq!(s.chunks[2].sleep_ms, 2500.0);
        assert!(close(s.chunks[2].buffer_s, 4.813_684_210_5));
    }

    #[test]
    fn interval_uses_next_sample_and_rtt_takes_no_trace_time() {
        // Periods: 1 s at 0 kbit/s then 1 s at 8000 kbit/s, repeated. Pensieve serves
        // (0, 1] s at sample 1's rate (8000 kbit/s x 0.95 = 950 000 bytes/s) and (1, 2] at
        // sample 2's (0). Chunk 0 (level 1, 375 000 bytes) takes 0.394 737 s of trace.
        // Chunk 1 (level 0, 150 000 bytes) needs 0.157 895 s more: (0.394 737, 0.552 632],
        // within the first interval because the 80 ms RTT of chunk 0 consumed no trace time.
        let mut periods = Vec::new();
        for _ in 0..10 {
            periods.push(Period { duration_ms: 1000.0, bandwidth_kbps: 0.0, latency_ms: 80.0 });
            periods.push(Period { duration_ms: 1000.0, bandwidth_kbps: 8000.0, latency_ms: 80.0 });
        }
        let t = CookedTrace::from_trace(&Trace::new("alt", periods).unwrap()).unwrap();
        let s = simulate(&video3(), &t, &mut Script(vec![0, 0, 0]), &PensieveConfig::default()).unwrap();
        assert!(close(s.chunks[0].delay_ms, 375_000.0 / 950_000.0 * 1000.0 + 80.0));
        assert!(close(s.chunks[1].delay_ms, 150_000.0 / 950_000.0 * 1000.0 + 80.0));
        // Chunk 2 (150 000 bytes) starts at 0.552 632 s: 0.447 368 s there deliver 425 000
        // bytes, more than needed, so again 157.9 ms + RTT.
        assert!(close(s.chunks[2].delay_ms, 150_000.0 / 950_000.0 * 1000.0 + 80.0));
    }

    #[test]
    fn outage_interval_is_waited_out() {
        // Same trace, but the chunk straddles the gap: level 2 at chunk 1 (925 000 bytes) from
        // 0.394 737 s: 0.605 263 s at 950 000 B/s deliver 575 000 bytes, 1 s of nothing, then
        // 350 000 bytes in 0.368 421 s: 1.973 684 s + 80 ms.
        let mut periods = Vec::new();
        for _ in 0..10 {
            periods.push(Period { duration_ms: 1000.0, bandwidth_kbps: 0.0, latency_ms: 80.0 });
            periods.push(Period { duration_ms: 1000.0, bandwidth_kbps: 8000.0, latency_ms: 80.0 });
        }
        let t = CookedTrace::from_trace(&Trace::new("alt", periods).unwrap()).unwrap();
        let s = simulate(&video3(), &t, &mut Script(vec![0, 2, 0]), &PensieveConfig::default()).unwrap();
        assert!(
            close(s.chunks[1].delay_ms, (0.605_263_157_9 + 1.0 + 350_000.0 / 950_000.0) * 1000.0 + 80.0),
            "{}",
            s.chunks[1].delay_ms
        );
    }

    #[test]
    fn pensieve_mpc_long_ladder_shortens_the_horizon() {
        // 200 levels of 100..20 000 kbit/s: 200^3 plans exceed MAX_PLANS, so the horizon is 2.
        let kbps: Vec<u64> = (1..=200).map(|k| k * 100).collect();
        let mut ladder = Ladder::from_kbps(&kbps, Duration::from_secs(4));
        ladder.fragment_count = Some(10);
        // Sizes = bitrate x 4 s: B kbit/s is B x 500 bytes.
        let sizes: Vec<Vec<u64>> = (0..11).map(|_| kbps.iter().map(|b| b * 500).collect()).collect();
        let mut m = PensieveMpc::new(&ladder, sizes, 10, 0, false);
        let c = Context {
            ladder: &ladder,
            fragment_index: 1,
            buffer: BufferState { level: Duration::from_secs(10), target: Duration::ZERO, max: Duration::ZERO },
            last_level: None,
            live_edge_distance: None,
            decode: None,
            viewport: None,
            playing: true,
            now: Duration::ZERO,
        };
        // One sample of exactly 1 MB/s, no error. Over 2 steps from level 1 (200 kbit/s), any
        // plan B1 <= B2 scores (B1 + B2 - (B1 - 200) - (B2 - B1)) / 1000 = (B1 + 200) / 1000
        // while it does not stall; B kbit/s downloads in B / 2000 s, so with 10 s of buffer
        // both steps fit iff 2 x B1 / 2000 <= 10 + 4, B1 <= 14 000 kbit/s (level 139);
        // above, each kbit/s gains 0.001 and costs 4.3 x 2 / 2000 = 0.0043 of stall.
        m.on_download(
            &c,
            &DownloadReport {
                level: 1,
                bytes: 1_000_000,
                ttfb: Duration::ZERO,
                duration: Duration::from_secs(1),
                media_duration: Duration::from_secs(4),
                abandoned: false,
            },
        );
        assert_eq!(m.choose(&c).level, 139);
    }

    #[test]
    fn unusable_traces_are_errors_not_hangs() {
        assert!(CookedTrace::new("a", vec![0.0], vec![1.0]).is_err());
        assert!(CookedTrace::new("a", vec![0.0, 1.0], vec![5.0, 0.0]).is_err(), "only sample 0 has bandwidth");
        assert!(CookedTrace::new("a", vec![0.0, 1.0, 0.5], vec![1.0, 1.0, 1.0]).is_err());
        assert!(CookedTrace::new("a", vec![0.0, 1.0], vec![1.0, f64::NAN]).is_err());
        assert!(CookedTrace::new("a", vec![0.0, 1.0], vec![1.0, 2.0]).is_ok());
    }

    #[test]
    fn pensieve_mpc_prediction_and_shifted_sizes() {
        let video = video3();
        let mut sizes: Vec<Vec<u64>> = (0..4).map(|_| vec![150_000, 375_000, 925_000]).collect();
        let mut m = PensieveMpc::new(&video.ladder, sizes.clone(), 3, 1, true);
        let l = &video.ladder;
        let ctx = |i: usize, b: f64| Context {
            ladder: l,
            fragment_index: i,
            buffer: BufferState { level: Duration::from_secs_f64(b), target: Duration::ZERO, max: Duration::ZERO },
            last_level: None,
            live_edge_distance: None,
            decode: None,
            viewport: None,
            playing: true,
            now: Duration::ZERO,
        };
        assert_eq!(m.choose(&ctx(0, 0.0)).level, 1, "DEFAULT_QUALITY before any sample");
        let rep = |bytes: u64, ms: u64| DownloadReport {
            level: 1,
            bytes,
            ttfb: Duration::from_millis(80),
            duration: Duration::from_millis(ms),
            media_duration: Duration::from_secs(4),
            abandoned: false,
        };
        // 400 000 bytes in 1 000 ms = 0.4 MB/s; first error 0.
        m.on_download(&ctx(1, 4.0), &rep(400_000, 1000));
        assert!(close(m.prediction_mbyte_s().unwrap(), 0.4));
        // 400 000 in 500 ms = 0.8 MB/s: error |0.4 - 0.8| / 0.8 = 0.5; harmonic mean of 0.4
        // and 0.8 = 0.533 33; prediction 0.533 33 / 1.5 = 0.355 56.
        m.on_download(&ctx(2, 4.0), &rep(400_000, 500));
        assert!(close(m.prediction_mbyte_s().unwrap(), 0.8 / 1.5 / 1.5));
        // The last chunk (index 2, horizon 1) is priced with chunk 3's sizes: make chunk 3
        // tiny at level 2 and the plan takes level 2 with 0 s of buffer (no stall priced);
        // with the true sizes (shift 0) the 925 kB download would stall 2.6 s.
        sizes[3] = vec![150_000, 375_000, 1];
        let mut shifted = PensieveMpc::new(&video.ladder, sizes.clone(), 3, 1, false);
        let mut exact = PensieveMpc::new(&video.ladder, sizes, 3, 0, false);
        for m in [&mut shifted, &mut exact] {
            m.on_download(&ctx(1, 0.0), &rep(400_000, 1000));
        }
        assert_eq!(shifted.choose(&ctx(2, 0.0)).level, 2);
        assert_eq!(exact.choose(&ctx(2, 0.0)).level, 0);
        // carry_errors: the error list and estimate survive reset, samples do not.
        m.reset();
        assert!(m.prediction_mbyte_s().is_none());
        m.on_download(&ctx(1, 4.0), &rep(400_000, 1000));
        // Error vs the carried estimate 0.533 33: |0.533 33 - 0.4| / 0.4 = 0.333 33;
        // max of [0, 0.5, 0.333] = 0.5 -> 0.4 / 1.5.
        assert!(close(m.prediction_mbyte_s().unwrap(), 0.4 / 1.5));
    }
}
