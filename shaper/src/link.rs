//! The link: a trace as a byte budget over time (sans-I/O; time is passed in).
//!
//! **Time base.** Time is the [`Duration`] since the link's clock started (the proxy
//! starts it at the first request by default, see [`crate::ClockStart`]). Period `i` of
//! the trace covers `[sum of earlier durations, + its duration)`; after the last period
//! the trace starts again from the first (as Sabre and Pensieve's simulators replay it).
//!
//! [`LinkModel`] is the trace alone: the rate and latency at a time, the bytes a link
//! that is busy all the time could carry in `[0, t]` ([`LinkModel::capacity`]) and its
//! inverse. [`Link`] is a token bucket over it, shared by every connection of the proxy
//! (one bottleneck link, as a trace describes): credit grows by the model's capacity
//! and is capped at a small burst (the larger of 4 KiB and 20 ms at the current rate),
//! so an idle link does not save up bytes and a busy one delivers exactly the trace.
//! A response body that starts on an idle link ([`Link::body_started`] with no other body
//! in flight) starts with no credit at all: as in Sabre's model (download = latency +
//! size / bandwidth), the link carries nothing for a request during its latency, so a
//! body must not inherit the burst saved meanwhile.
//! Periods of zero bandwidth (outages) give no credit: bytes stop until the next period
//! with bandwidth.

use std::time::Duration;

use smoothplay_heuristics::sim::trace::Trace;

/// Smallest credit cap, bytes.
pub const MIN_BURST_BYTES: f64 = 4096.0;
/// The credit cap is at least this much time at the current rate.
pub const BURST_WINDOW: Duration = Duration::from_millis(20);
/// Smallest grant worth a write: [`Link::take`] waits for this many bytes (or all that
/// is wanted, when less), so a slow link is not fed one byte at a time.
pub const MIN_GRANT_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct Seg {
    start_s: f64,
    dur_s: f64,
    bytes_per_s: f64,
    latency: Duration,
}

/// A trace as cumulative byte capacity over time, replayed cyclically.
#[derive(Debug, Clone)]
pub struct LinkModel {
    segs: Vec<Seg>,
    /// `cum[i]`: bytes a busy link carries from the cycle start to the start of period `i`
    /// (`cum[n]` = one whole cycle).
    cum: Vec<f64>,
    cycle_s: f64,
}

impl LinkModel {
    /// The trace's periods, bandwidth multiplied by `scale` (the simulator's
    /// `--throughput-scale`). A [`Trace`] always has a period with positive bandwidth;
    /// `scale` must be positive.
    pub fn new(trace: &Trace, scale: f64) -> LinkModel {
        assert!(scale > 0.0 && scale.is_finite(), "scale must be positive");
        let mut segs = Vec::with_capacity(trace.periods.len());
        let mut cum = Vec::with_capacity(trace.periods.len() + 1);
        let (mut t, mut bytes) = (0.0, 0.0);
        for p in &trace.periods {
            let bytes_per_s = p.bandwidth_kbps * 125.0 * scale;
            let dur_s = p.duration_ms / 1000.0;
            segs.push(Seg { start_s: t, dur_s, bytes_per_s, latency: Duration::from_secs_f64(p.latency_ms / 1000.0) });
            cum.push(bytes);
            t += dur_s;
            bytes += bytes_per_s * dur_s;
        }
        cum.push(bytes);
        LinkModel { segs, cum, cycle_s: t }
    }

    /// Length of one pass over the trace.
    pub fn cycle(&self) -> Duration {
        Duration::from_secs_f64(self.cycle_s)
    }

    fn cycle_bytes(&self) -> f64 {
        self.cum[self.segs.len()]
    }

    /// (whole cycles, period index, time into the period in seconds) at `t`.
    fn locate(&self, t: f64) -> (f64, usize, f64) {
        let k = (t / self.cycle_s).floor();
        let r = t - k * self.cycle_s;
        let i = self.segs.partition_point(|s| s.start_s <= r).saturating_sub(1);
        (k, i, (r - self.segs[i].start_s).max(0.0))
    }

    /// Bandwidth at `t`, bytes per second.
    pub fn rate_at(&self, t: Duration) -> f64 {
        self.segs[self.locate(t.as_secs_f64()).1].bytes_per_s
    }

    /// The trace's latency for a request made at `t`.
    pub fn latency_at(&self, t: Duration) -> Duration {
        self.segs[self.locate(t.as_secs_f64()).1].latency
    }

    /// Bytes a link busy all the time carries in `[0, t]`.
    pub fn capacity(&self, t: Duration) -> f64 {
        self.capacity_s(t.as_secs_f64())
    }

    fn capacity_s(&self, t: f64) -> f64 {
        let (k, i, into) = self.locate(t);
        k * self.cycle_bytes() + self.cum[i] + self.segs[i].bytes_per_s * into.min(self.segs[i].dur_s)
    }

    /// The earliest time at which [`LinkModel::capacity`] reaches `bytes`.
    pub fn time_for(&self, bytes: f64) -> Duration {
        Duration::from_secs_f64(self.time_for_s(bytes))
    }

    fn time_for_s(&self, bytes: f64) -> f64 {
        if bytes <= 0.0 {
            return 0.0;
        }
        let cb = self.cycle_bytes();
        let mut k = (bytes / cb).floor();
        let mut rem = bytes - k * cb;
        if rem <= 0.0 {
            // Reached at the end of the previous cycle's last period with bandwidth.
            k -= 1.0;
            rem = cb;
        }
        let n = self.segs.len();
        let i = self.cum[1..].partition_point(|&end| end < rem).min(n - 1);
        let s = self.segs[i];
        let into = if s.bytes_per_s > 0.0 { ((rem - self.cum[i]) / s.bytes_per_s).clamp(0.0, s.dur_s) } else { 0.0 };
        k * self.cycle_s + s.start_s + into
    }
}

/// A token bucket over a [`LinkModel`]: the byte budget every connection draws from.
#[derive(Debug, Clone)]
pub struct Link {
    model: LinkModel,
    credit: f64,
    last_s: f64,
    delivered: u64,
    /// Response bodies in flight.
    bodies: usize,
}

impl Link {
    /// A link with no credit at time zero.
    pub fn new(model: LinkModel) -> Link {
        Link { model, credit: 0.0, last_s: 0.0, delivered: 0, bodies: 0 }
    }

    /// The trace model.
    pub fn model(&self) -> &LinkModel {
        &self.model
    }

    /// Bytes granted so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    fn cap(&self, t: f64) -> f64 {
        MIN_BURST_BYTES.max(self.model.segs[self.model.locate(t).1].bytes_per_s * BURST_WINDOW.as_secs_f64())
    }

    fn refill(&mut self, now: Duration) {
        let now = now.as_secs_f64();
        if now <= self.last_s {
            return;
        }
        let gained = self.model.capacity_s(now) - self.model.capacity_s(self.last_s);
        self.credit = (self.credit + gained).min(self.cap(now));
        self.last_s = now;
    }

    /// A response body starts at `now` (its headers were sent): on an idle link the credit
    /// saved meanwhile is dropped (see the module docs).
    pub fn body_started(&mut self, now: Duration) {
        self.refill(now);
        if self.bodies == 0 {
            self.credit = 0.0;
        }
        self.bodies += 1;
    }

    /// A body that [`Link::body_started`] ended (finished or dropped).
    pub fn body_ended(&mut self) {
        self.bodies = self.bodies.saturating_sub(1);
    }

    /// Takes up to `want` bytes at `now`: all of `want` or as much credit as there is,
    /// but nothing when less than `min(want, MIN_GRANT_BYTES)` is available (then call
    /// [`Link::ready_at`]). Times must not go backwards (earlier times count as `now`).
    pub fn take(&mut self, now: Duration, want: usize) -> usize {
        self.refill(now);
        let need = want.min(MIN_GRANT_BYTES) as f64;
        if want == 0 || self.credit < need {
            return 0;
        }
        let n = (self.credit.floor() as usize).min(want);
        self.credit -= n as f64;
        self.delivered += n as u64;
        n
    }

    /// When [`Link::take`] for `want` bytes will next grant something, if no one else
    /// takes credit meanwhile (`now` when it would grant at once).
    pub fn ready_at(&mut self, now: Duration, want: usize) -> Duration {
        self.refill(now);
        let need = want.clamp(1, MIN_GRANT_BYTES) as f64 - self.credit;
        if need <= 0.0 {
            return now;
        }
        let at = self.model.time_for_s(self.model.capacity_s(now.as_secs_f64()) + need);
        Duration::from_secs_f64(at).max(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothplay_heuristics::sim::trace::Period;

    fn trace(periods: &[(f64, f64)]) -> Trace {
        Trace::new("t", periods.iter().map(|&(d, b)| Period { duration_ms: d, bandwidth_kbps: b, latency_ms: 50.0 }).collect()).unwrap()
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn capacity_and_its_inverse() {
        // 2 Mbit/s (250 000 B/s) for 1 s, outage 0.5 s, 0.5 Mbit/s (62 500 B/s) for 1 s.
        let m = LinkModel::new(&trace(&[(1000.0, 2000.0), (500.0, 0.0), (1000.0, 500.0)]), 1.0);
        assert_eq!(m.cycle(), ms(2500));
        assert!((m.capacity(ms(500)) - 125_000.0).abs() < 1e-6);
        assert!((m.capacity(ms(1200)) - 250_000.0).abs() < 1e-6, "nothing in the outage");
        assert!((m.capacity(ms(2000)) - 281_250.0).abs() < 1e-6);
        assert!((m.capacity(ms(2500 + 500)) - (312_500.0 + 125_000.0)).abs() < 1e-6, "replayed cyclically");
        // The inverse: the earliest time the capacity reaches a value.
        assert_eq!(m.time_for(125_000.0), ms(500));
        assert_eq!(m.time_for(250_000.0), ms(1000), "reached before the outage");
        assert!((m.time_for(250_001.0).as_secs_f64() - 1.500016).abs() < 1e-5, "the next byte after it");
        assert_eq!(m.time_for(312_500.0), ms(2500));
        assert_eq!(m.time_for(312_500.0 + 125_000.0), ms(3000));
        for t in [0u64, 1, 999, 1000, 1499, 1500, 1501, 2499, 2500, 7777] {
            let c = m.capacity(ms(t));
            assert!(m.time_for(c) <= ms(t), "t={t}");
        }
        assert_eq!(m.rate_at(ms(1200)), 0.0);
        assert_eq!(m.rate_at(ms(2600)), 250_000.0);
        assert_eq!(m.latency_at(ms(10)), ms(50));
    }

    /// A greedy sender polling the link every `tick`; bytes granted per window.
    fn delivered_per_window(link: &mut Link, tick: Duration, window: Duration, windows: usize) -> Vec<f64> {
        let mut out = vec![0.0; windows];
        let mut t = Duration::ZERO;
        while t < window * windows as u32 {
            let n = link.take(t, 64 * 1024);
            let w = (t.as_nanos() / window.as_nanos()) as usize;
            out[w] += n as f64;
            t += tick;
        }
        out
    }

    #[test]
    fn a_busy_link_delivers_the_trace_rate_per_period() {
        let tr = trace(&[(1000.0, 2000.0), (1000.0, 500.0), (500.0, 0.0), (1000.0, 8000.0)]);
        // Ticks shorter than the burst window (20 ms) lose nothing; the proxy wakes a waiting
        // sender when a minimum grant is due (well under it at these rates).
        for tick in [ms(1), ms(7), ms(15)] {
            let mut link = Link::new(LinkModel::new(&tr, 1.0));
            let got = delivered_per_window(&mut link, tick, ms(500), 14);
            // Expected bytes per 500 ms window: 2 Mbit/s x2, 0.5 Mbit/s x2, outage, 8 Mbit/s x2,
            // then the trace again.
            let want = [125e3, 125e3, 31.25e3, 31.25e3, 0.0, 500e3, 500e3, 125e3, 125e3, 31.25e3, 31.25e3, 0.0, 500e3, 500e3];
            for (w, (g, e)) in got.iter().zip(want).enumerate() {
                // The grant lags by at most one tick plus one minimum grant, across a window edge.
                let slack = 2.0 * (MIN_GRANT_BYTES as f64) + 8000.0 * 125.0 * tick.as_secs_f64() * 2.0;
                assert!((g - e).abs() <= slack.max(e * 0.02), "tick {tick:?} window {w}: {g} vs {e}");
            }
            let total: f64 = got.iter().sum();
            assert!((total - 2.0 * 1_312_500.0).abs() < 8000.0 * 125.0 * tick.as_secs_f64() + 2.0 * MIN_GRANT_BYTES as f64, "{total}");
        }
    }

    /// When a body of `bytes` taken in 1 ms steps from `from` ends (ms), after
    /// `body_started` or not.
    fn body_end_ms(from: u64, bytes: usize, started: bool) -> u64 {
        let mut l = Link::new(LinkModel::new(&trace(&[(10_000.0, 8000.0)]), 1.0)); // 1 MB/s
        let mut left = bytes;
        if started {
            l.body_started(ms(from));
        }
        let mut t = from;
        while left > 0 {
            left -= l.take(ms(t), left);
            if left > 0 {
                t += 1;
            }
        }
        t
    }

    #[test]
    fn a_body_on_an_idle_link_starts_without_the_saved_burst() {
        // 1 MB/s, idle for 1 s: 20 000 B of credit saved. A 100 kB body from then ends
        // 100 ms later with body_started (latency + size / bandwidth), 20 ms early without.
        assert_eq!(body_end_ms(1000, 100_000, true), 1100);
        assert_eq!(body_end_ms(1000, 100_000, false), 1080);
        // A second body while one is in flight keeps the credit (the link is busy).
        let mut l = Link::new(LinkModel::new(&trace(&[(10_000.0, 8000.0)]), 1.0));
        l.body_started(ms(1000));
        l.body_ended();
        l.body_started(ms(2000));
        l.body_started(ms(2000));
        l.body_ended();
        l.body_started(ms(3000));
        assert_eq!(l.take(ms(3000), usize::MAX), 20_000, "busy link: the credit carries on");
    }

    #[test]
    fn an_idle_link_saves_only_a_small_burst() {
        let mut link = Link::new(LinkModel::new(&trace(&[(1000.0, 8000.0)]), 1.0));
        // 10 s idle at 1 MB/s: 20 ms worth (20 000 B) may pass at once, not 10 MB.
        assert_eq!(link.take(ms(10_000), usize::MAX), 20_000);
        assert_eq!(link.take(ms(10_000), usize::MAX), 0);
        assert_eq!(link.take(ms(10_001), usize::MAX), 0, "1000 B: under the minimum grant");
        assert_eq!(link.take(ms(10_002), usize::MAX), 2000);
        // A slow link: the cap is 4 KiB.
        let mut slow = Link::new(LinkModel::new(&trace(&[(1000.0, 100.0)]), 1.0));
        assert_eq!(slow.take(ms(60_000), usize::MAX), 4096);
    }

    #[test]
    fn ready_at_waits_for_the_minimum_grant_and_across_outages() {
        // 1 Mbit/s = 125 B/ms; then a 2 s outage.
        let mut link = Link::new(LinkModel::new(&trace(&[(1000.0, 1000.0), (2000.0, 0.0)]), 1.0));
        assert_eq!(link.take(ms(0), 5000), 0);
        let at = link.ready_at(ms(0), 5000);
        assert!((at.as_secs_f64() - 1024.0 / 125_000.0).abs() < 1e-6, "{at:?}");
        assert_eq!(link.take(at, 5000), 1024);
        // A small body needs only its own size.
        let at = link.ready_at(at, 100);
        assert!((at.as_secs_f64() - 1124.0 / 125_000.0).abs() < 1e-6, "{at:?}");
        // Drain the first second; the next byte comes after the outage (t = 3 s).
        assert!(link.take(ms(1000), usize::MAX) > 0);
        let _ = link.take(ms(1000), usize::MAX);
        assert_eq!(link.take(ms(2500), 10), 0);
        let at = link.ready_at(ms(2500), 10);
        assert!((at.as_secs_f64() - (3.0 + 10.0 / 125_000.0)).abs() < 1e-6, "{at:?}");
    }

    #[test]
    fn scale_multiplies_bandwidth() {
        let m = LinkModel::new(&trace(&[(1000.0, 1000.0)]), 0.95);
        assert!((m.capacity(ms(1000)) - 118_750.0).abs() < 1e-6);
    }
}
