//! One simulated playback session, with the semantics of Sabre's main loop
//! (UMass-LIDS/sabre `src/sabre.py`): the first fragment is fetched before playback starts
//! (its download time is the startup delay, never rebuffering); before each later request the
//! player idles while `buffer + fragment > max_buffer`; the selector may add a wait; the buffer
//! drains in virtual time while each download runs; an abandoned download adds nothing to the
//! buffer and the selector is asked again for the same fragment.

use super::network::{NetworkModel, Progress};
use super::qoe::Metrics;
use super::trace::Trace;
use super::video::Video;
use crate::selector::QualitySelector;
use crate::types::{BufferState, Context, DownloadProgress, DownloadReport, Viewport};
use serde::Serialize;
use std::time::Duration;

/// Most abandoned attempts per fragment before the simulator stops asking (guards against a
/// selector that abandons forever).
pub const MAX_ATTEMPTS_PER_FRAGMENT: u32 = 64;

/// Live-mode settings: fragments appear at their wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LiveConfig {
    /// Fragments already published when the session starts (the client starts at fragment 0,
    /// so this is how far behind the live edge it joins). Fragment `i` is published at
    /// `(i + 1 - join_fragments) x fragment_duration`.
    pub join_fragments: usize,
}

/// Simulator settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimConfig {
    /// Maximum buffer, seconds (Sabre `--max-buffer`; the validation uses 60).
    pub max_buffer_s: f64,
    /// Multiplier on every trace bandwidth (Sabre `--network-multiplier`; validation 0.95).
    pub throughput_scale: f64,
    /// Let selectors abandon downloads in flight (Sabre's default; `--no-abandon` turns it off).
    pub abandonment: bool,
    /// Live mode, `None` for VOD.
    pub live: Option<LiveConfig>,
    /// Viewport handed to selectors.
    pub viewport: Option<Viewport>,
    /// Keep a per-download time series (for plots).
    pub record_samples: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            max_buffer_s: 60.0,
            throughput_scale: 1.0,
            abandonment: true,
            live: None,
            viewport: None,
            record_samples: false,
        }
    }
}

impl SimConfig {
    /// The settings of the validation against Sabre: 60 s buffer, throughput x 0.95.
    pub fn validation() -> Self {
        SimConfig { throughput_scale: 0.95, ..Self::default() }
    }
}

/// One point of a session's time series, taken after each download.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Virtual time, seconds.
    pub time_s: f64,
    /// Fragment the download was for.
    pub fragment: usize,
    /// Level downloaded.
    pub level: usize,
    /// Its bitrate, kbit/s.
    pub bitrate_kbps: f64,
    /// Buffer after the download, seconds.
    pub buffer_s: f64,
    /// Whether the download was abandoned.
    pub abandoned: bool,
}

/// Outcome of a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionResult {
    /// Trace name.
    pub trace: String,
    /// Algorithm name.
    pub algorithm: String,
    /// Summary metrics.
    pub metrics: Metrics,
    /// Level of each fragment.
    pub levels: Vec<usize>,
    /// Time series (empty unless `record_samples`).
    pub samples: Vec<Sample>,
}

/// Sabre's buffer: whole fragments plus how much of the first is already played.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PlayBuffer {
    pub fragments: usize,
    pub first_consumed_ms: f64,
    pub played_ms: f64,
    pub rebuffer_ms: f64,
    pub rebuffer_events: u32,
}

impl PlayBuffer {
    pub fn level_ms(&self, d: f64) -> f64 {
        self.fragments as f64 * d - self.first_consumed_ms
    }

    /// Plays for `ms`; time beyond the buffered media is rebuffering.
    pub fn deplete(&mut self, mut ms: f64, d: f64) {
        if !(ms > 0.0) {
            return;
        }
        if self.fragments == 0 {
            self.rebuffer_ms += ms;
            return;
        }
        let level = self.level_ms(d);
        if ms < level {
            let consumed = self.first_consumed_ms + ms;
            let whole = (consumed / d).floor();
            // Keep `consumed` in [0, d): drop whole fragments played.
            let whole_n = (whole as usize).min(self.fragments);
            self.fragments -= whole_n;
            self.first_consumed_ms = consumed - whole_n as f64 * d;
            self.played_ms += ms;
            return;
        }
        self.played_ms += level;
        ms -= level;
        self.fragments = 0;
        self.first_consumed_ms = 0.0;
        if ms > 0.0 {
            self.rebuffer_ms += ms;
            self.rebuffer_events += 1;
        }
    }
}

/// Milliseconds (f64) to a Duration, saturating; cheaper than `from_secs_f64` in the
/// progress loop.
fn secs(ms: f64) -> Duration {
    if ms > 0.0 {
        let ns = ms * 1e6;
        if ns < u64::MAX as f64 {
            return Duration::from_nanos(ns as u64);
        }
        return Duration::MAX;
    }
    Duration::ZERO
}

/// Runs one session of `video` over `trace` with `selector`.
pub fn simulate(video: &Video, trace: &Trace, selector: &mut dyn QualitySelector, cfg: &SimConfig) -> SessionResult {
    let ladder = &video.ladder;
    let n = video.fragments();
    let d = video.fragment_ms();
    let max_ms = cfg.max_buffer_s.max(0.0) * 1000.0;
    let kbps: Vec<f64> = (0..ladder.len()).map(|l| video.kbps(l)).collect();
    let mut net = NetworkModel::new(trace, cfg.throughput_scale);
    let mut buf = PlayBuffer::default();
    let mut levels = Vec::with_capacity(n);
    let mut samples = Vec::new();
    let mut abandoned = 0u32;
    let mut last_level: Option<usize> = None;
    let mut latency_sum = 0.0;
    let mut latency_n = 0u32;
    let publish_ms = |i: usize| cfg.live.map(|l| (i as f64 + 1.0 - l.join_fragments as f64) * d);
    let live_edge_ms = |now: f64| cfg.live.map(|l| ((now / d).floor() + l.join_fragments as f64) * d);

    let ctx_at = |fragment: usize, level_ms: f64, last: Option<usize>, now: f64, played: f64, playing: bool| Context {
        ladder,
        fragment_index: fragment,
        buffer: BufferState { level: secs(level_ms), target: secs(max_ms), max: secs(max_ms) },
        last_level: last,
        live_edge_distance: live_edge_ms(now).map(|e| secs(e - played)),
        decode: None,
        viewport: cfg.viewport,
        playing,
        now: secs(now),
    };

    let mut startup_ms = 0.0;
    let mut next = 0usize;
    let mut attempts = 0u32;
    while next < n {
        let starting = next == 0;
        if !starting {
            let full = buf.level_ms(d) + d - max_ms;
            if full > 0.0 {
                buf.deplete(full, d);
                net.delay(full);
                selector.on_idle(secs(full));
            }
        }
        if let Some(p) = publish_ms(next) {
            let early = p - net.now_ms();
            if early > 0.0 {
                if starting {
                    startup_ms += early;
                } else {
                    buf.deplete(early, d);
                    selector.on_idle(secs(early));
                }
                net.delay(early);
            }
        }
        let ctx = ctx_at(next, buf.level_ms(d), last_level, net.now_ms(), buf.played_ms, buf.fragments > 0);
        let decision = selector.choose(&ctx);
        let q = decision.level.min(ladder.top());
        if let Some(w) = decision.wait {
            let w_ms = w.as_secs_f64() * 1000.0;
            if w_ms > 0.0 {
                if starting {
                    startup_ms += w_ms;
                } else {
                    buf.deplete(w_ms, d);
                }
                net.delay(w_ms);
            }
        }
        let size = video.size_bits(next, q);
        let bl0 = buf.level_ms(d);
        let t0 = net.now_ms();
        let allow_abandon =
            cfg.abandonment && !starting && attempts < MAX_ATTEMPTS_PER_FRAGMENT && selector.watches_progress();
        let transfer = if allow_abandon {
            let played0 = buf.played_ms;
            let frag = next;
            let mut check = |p: &Progress| {
                let level_ms = (bl0 - p.time_ms).max(0.0);
                let c = ctx_at(frag, level_ms, last_level, t0 + p.time_ms, played0 + (bl0 - level_ms), level_ms > 0.0);
                let prog = DownloadProgress {
                    fragment_index: frag,
                    level: q,
                    bytes_done: (p.downloaded_bits / 8.0) as u64,
                    bytes_total: Some((size / 8.0).round() as u64),
                    elapsed: secs(p.time_ms),
                    ttfb: Some(secs(p.ttfb_ms)),
                };
                selector.should_abandon(&c, &prog)
            };
            net.download(size, Some(&mut check))
        } else {
            net.download(size, None)
        };
        if starting {
            startup_ms += transfer.time_ms;
        } else {
            buf.deplete(transfer.time_ms, d);
        }
        let was_abandoned = transfer.abandoned_to.is_some();
        if was_abandoned {
            abandoned += 1;
            attempts += 1;
        } else {
            buf.fragments += 1;
            levels.push(q);
            last_level = Some(q);
            next += 1;
            attempts = 0;
        }
        let report = DownloadReport {
            level: q,
            bytes: (transfer.downloaded_bits / 8.0).round() as u64,
            ttfb: secs(transfer.ttfb_ms),
            duration: secs(transfer.time_ms),
            media_duration: if was_abandoned { Duration::ZERO } else { secs(d) },
            abandoned: was_abandoned,
        };
        let ctx = ctx_at(next, buf.level_ms(d), last_level, net.now_ms(), buf.played_ms, buf.fragments > 0);
        selector.on_download(&ctx, &report);
        if let Some(edge) = live_edge_ms(net.now_ms()) {
            latency_sum += (edge - buf.played_ms) / 1000.0;
            latency_n += 1;
        }
        if cfg.record_samples {
            samples.push(Sample {
                time_s: net.now_ms() / 1000.0,
                fragment: if was_abandoned { next } else { next - 1 },
                level: q,
                bitrate_kbps: kbps.get(q).copied().unwrap_or(0.0),
                buffer_s: buf.level_ms(d) / 1000.0,
                abandoned: was_abandoned,
            });
        }
    }
    let live_latency_s = (latency_n > 0).then(|| latency_sum / latency_n as f64);
    let metrics = Metrics::compute(
        &kbps,
        &levels,
        buf.rebuffer_ms / 1000.0,
        buf.rebuffer_events,
        startup_ms / 1000.0,
        abandoned,
        live_latency_s,
    );
    SessionResult {
        trace: trace.name.clone(),
        algorithm: selector.name().to_string(),
        metrics,
        levels,
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selector::QualitySelector;
    use crate::types::Decision;

    /// Always the same level; records what it was told.
    struct Fixed {
        level: usize,
        idle_ms: f64,
        buffers_s: Vec<f64>,
    }
    impl QualitySelector for Fixed {
        fn name(&self) -> &str {
            "fixed"
        }
        fn choose(&mut self, ctx: &Context) -> Decision {
            self.buffers_s.push(ctx.buffer.level.as_secs_f64());
            Decision::now(self.level)
        }
        fn on_download(&mut self, _: &Context, _: &DownloadReport) {}
        fn on_idle(&mut self, idle: Duration) {
            self.idle_ms += idle.as_secs_f64() * 1000.0;
        }
    }

    #[test]
    fn buffer_grows_by_chunk_minus_download_time() {
        // 1000 kbps, 80 ms latency; 4 s chunks at 500 kbps = 2 000 000 bits = 2000 ms + 80 ms.
        let v = Video::constant_bitrate(&[500, 2000], Duration::from_secs(4), 5).unwrap();
        let t = Trace::constant(1000.0, 80.0);
        let mut s = Fixed { level: 0, idle_ms: 0.0, buffers_s: vec![] };
        let r = simulate(&v, &t, &mut s, &SimConfig::default());
        // Startup 2.08 s; then each download adds 4 - 2.08 = 1.92 s.
        assert!((r.metrics.startup_s - 2.08).abs() < 1e-9);
        let want = [0.0, 4.0, 5.92, 7.84, 9.76];
        for (got, want) in s.buffers_s.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{:?}", s.buffers_s);
        }
        assert_eq!(r.metrics.rebuffer_s, 0.0);
        assert_eq!(r.levels, vec![0; 5]);
        // QoE_lin: 4 chunks x 0.5 = 2.0.
        assert!((r.metrics.qoe_lin - 2.0).abs() < 1e-12);
    }

    #[test]
    fn rebuffering_when_download_is_slower_than_playback() {
        // 2000 kbps chunks (8 000 000 bits) over 1000 kbps: 8.08 s per download, 4 s of media.
        let v = Video::constant_bitrate(&[500, 2000], Duration::from_secs(4), 3).unwrap();
        let t = Trace::constant(1000.0, 80.0);
        let mut s = Fixed { level: 1, idle_ms: 0.0, buffers_s: vec![] };
        let r = simulate(&v, &t, &mut s, &SimConfig::default());
        // Chunk 1: buffer 4 s, download 8.08 s -> 4.08 s stall; chunk 2 the same. Total 8.16 s.
        assert!((r.metrics.rebuffer_s - 8.16).abs() < 1e-9, "{}", r.metrics.rebuffer_s);
        assert_eq!(r.metrics.rebuffer_count, 2);
        assert!((r.metrics.startup_s - 8.08).abs() < 1e-9);
        // QoE_lin: 2 chunks x 2.0 - 4.3 x 8.16.
        assert!((r.metrics.qoe_lin - (4.0 - 4.3 * 8.16)).abs() < 1e-9);
    }

    #[test]
    fn full_buffer_idles() {
        // 10 000 kbps, no latency, 4 s chunks at 500 kbps: 0.2 s each; max buffer 10 s.
        let v = Video::constant_bitrate(&[500], Duration::from_secs(4), 6).unwrap();
        let t = Trace::constant(10_000.0, 0.0);
        let mut s = Fixed { level: 0, idle_ms: 0.0, buffers_s: vec![] };
        let cfg = SimConfig { max_buffer_s: 10.0, ..SimConfig::default() };
        let r = simulate(&v, &t, &mut s, &cfg);
        // After chunk 1 the buffer is 7.8 s; 7.8 + 4 > 10, so the player idles 1.8 s and
        // every later request sees exactly 10 - 4 = 6 s.
        assert!((s.buffers_s[1] - 4.0).abs() < 1e-9);
        for b in &s.buffers_s[2..] {
            assert!((b - 6.0).abs() < 1e-9, "{:?}", s.buffers_s);
        }
        // Chunks 3..5 each start from 6 - 0.2 + 4 = 9.8 s and idle 3.8 s.
        assert!((s.idle_ms - (1800.0 + 3.0 * 3800.0)).abs() < 1e-6, "{}", s.idle_ms);
        assert!(s.idle_ms > 0.0);
        assert_eq!(r.metrics.rebuffer_s, 0.0);
    }

    #[test]
    fn live_waits_for_publication() {
        // Live, joined 1 fragment behind: fragment i is published at i x 4 s. Downloads take
        // 0.2 s, so every request waits for publication; latency stays near one fragment.
        let v = Video::constant_bitrate(&[500], Duration::from_secs(4), 5).unwrap();
        let t = Trace::constant(10_000.0, 0.0);
        let mut s = Fixed { level: 0, idle_ms: 0.0, buffers_s: vec![] };
        let cfg = SimConfig { live: Some(LiveConfig { join_fragments: 1 }), ..SimConfig::default() };
        let r = simulate(&v, &t, &mut s, &cfg);
        // Buffer before fragment 1 (published at 4 s): 4 s of media minus 3.8 s played = 0.2 s.
        assert!((s.buffers_s[1] - 0.2).abs() < 1e-9, "{:?}", s.buffers_s);
        assert_eq!(r.metrics.rebuffer_s, 0.0);
        let lat = r.metrics.live_latency_s.unwrap();
        assert!(lat > 3.0 && lat < 5.0, "{lat}");
    }
}
