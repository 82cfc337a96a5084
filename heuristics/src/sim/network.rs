//! Virtual-time network with Sabre's semantics (`NetworkModel` in UMass-LIDS/sabre).
//!
//! Units, as in Sabre: sizes in bits, times in milliseconds, bandwidth in kbit/s (= bits/ms).
//! A request first pays one latency (taken from the period(s) it falls in), then the body
//! flows at each period's bandwidth. With abandonment checking, progress is reported after
//! every `max(12 000 bits, 50 ms)` of transfer, as Sabre does.

use super::trace::{Period, Trace};

/// Sabre's `min_progress_size`: bits between abandonment checks.
pub const MIN_PROGRESS_BITS: f64 = 12_000.0;
/// Sabre's `min_progress_time`: milliseconds between abandonment checks.
pub const MIN_PROGRESS_MS: f64 = 50.0;

/// Outcome of one simulated request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transfer {
    /// Bits received.
    pub downloaded_bits: f64,
    /// Request start to last bit, ms.
    pub time_ms: f64,
    /// Request start to first bit, ms.
    pub ttfb_ms: f64,
    /// Level the abandonment check asked for, when the transfer was abandoned.
    pub abandoned_to: Option<usize>,
}

/// Progress snapshot handed to the abandonment callback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Bits received so far.
    pub downloaded_bits: f64,
    /// Time since the request, ms.
    pub time_ms: f64,
    /// Time to first bit, ms.
    pub ttfb_ms: f64,
}

/// Abandonment callback: sees each progress step, returns a level to abandon to.
pub type ProgressCheck<'c> = &'c mut dyn FnMut(&Progress) -> Option<usize>;

/// A cyclic trace replayed in virtual time.
#[derive(Debug, Clone)]
pub struct NetworkModel<'a> {
    periods: &'a [Period],
    scale: f64,
    index: usize,
    time_to_next_ms: f64,
    now_ms: f64,
}

impl<'a> NetworkModel<'a> {
    /// Starts at the beginning of `trace`; every bandwidth is multiplied by `throughput_scale`.
    pub fn new(trace: &'a Trace, throughput_scale: f64) -> Self {
        let first = trace.periods.first().map_or(0.0, |p| p.duration_ms);
        NetworkModel {
            periods: &trace.periods,
            scale: throughput_scale.max(0.0),
            index: 0,
            time_to_next_ms: first,
            now_ms: 0.0,
        }
    }

    /// A model positioned at `t_ms` into the (cyclic) trace; `prefix` holds the cumulative
    /// period start times (`prefix[0] = 0`, `prefix[i+1] = prefix[i] + duration_i`) and
    /// `cycle_ms` their total. Time is reported relative to `t_ms`'s start (0).
    pub fn starting_at(trace: &'a Trace, throughput_scale: f64, prefix: &[f64], cycle_ms: f64, t_ms: f64) -> Self {
        let mut m = Self::new(trace, throughput_scale);
        if !(cycle_ms > 0.0 && t_ms > 0.0) {
            return m;
        }
        let t = t_ms % cycle_ms;
        // Last period whose start is <= t.
        let i = prefix.partition_point(|&p| p <= t).saturating_sub(1).min(trace.periods.len().saturating_sub(1));
        m.index = i;
        let end = prefix.get(i + 1).copied().unwrap_or(cycle_ms);
        m.time_to_next_ms = (end - t).max(0.0);
        m
    }

    /// Virtual time since the start, ms.
    pub fn now_ms(&self) -> f64 {
        self.now_ms
    }

    fn bandwidth(&self) -> f64 {
        self.periods.get(self.index).map_or(0.0, |p| p.bandwidth_kbps * self.scale)
    }

    fn latency(&self) -> f64 {
        self.periods.get(self.index).map_or(0.0, |p| p.latency_ms)
    }

    fn next_period(&mut self) {
        self.index += 1;
        if self.index >= self.periods.len() {
            self.index = 0;
        }
        self.time_to_next_ms = self.periods.get(self.index).map_or(0.0, |p| p.duration_ms);
    }

    fn advance(&mut self, ms: f64) {
        self.time_to_next_ms -= ms;
        self.now_ms += ms;
    }

    /// Lets `ms` of virtual time pass with no transfer.
    pub fn delay(&mut self, mut ms: f64) {
        if !(ms > 0.0) {
            return;
        }
        while ms > self.time_to_next_ms {
            ms -= self.time_to_next_ms;
            self.now_ms += self.time_to_next_ms;
            self.next_period();
        }
        self.advance(ms);
    }

    /// One request's latency; a period change during it prorates the remainder.
    fn latency_delay(&mut self) -> f64 {
        let mut units = 1.0;
        let mut total = 0.0;
        while units > 0.0 {
            let lat = self.latency();
            let t = units * lat;
            if t <= self.time_to_next_ms {
                total += t;
                self.advance(t);
                units = 0.0;
            } else {
                total += self.time_to_next_ms;
                self.now_ms += self.time_to_next_ms;
                units -= self.time_to_next_ms / lat;
                self.next_period();
            }
        }
        total
    }

    /// Transfers `size` bits with no interruption; returns the time taken.
    fn transfer(&mut self, mut size: f64) -> f64 {
        let mut total = 0.0;
        while size > 0.0 {
            let bw = self.bandwidth();
            if size <= self.time_to_next_ms * bw {
                let t = size / bw;
                total += t;
                self.advance(t);
                size = 0.0;
            } else {
                total += self.time_to_next_ms;
                size -= self.time_to_next_ms * bw;
                self.now_ms += self.time_to_next_ms;
                self.next_period();
            }
        }
        total
    }

    /// Transfers until `min_bits` and `min_ms` are both reached (or `size` is done).
    /// Returns (bits, ms). Mirrors Sabre's `do_minimal_download`.
    fn transfer_minimal(&mut self, mut size: f64, mut min_bits: f64, mut min_ms: f64) -> (f64, f64) {
        let mut total_bits = 0.0;
        let mut total_ms = 0.0;
        while size > 0.0 && (min_bits > 0.0 || min_ms > 0.0) {
            let bw = self.bandwidth();
            let (bits, ms);
            if bw > 0.0 {
                let need = min_bits.max(min_ms * bw);
                let to_next = self.time_to_next_ms * bw;
                if size <= need && size <= to_next {
                    bits = size;
                    ms = bits / bw;
                    self.advance(ms);
                } else if need <= to_next {
                    bits = need;
                    ms = bits / bw;
                    min_bits = 0.0;
                    min_ms = 0.0;
                    self.advance(ms);
                } else {
                    bits = to_next;
                    ms = self.time_to_next_ms;
                    self.now_ms += ms;
                    self.next_period();
                }
            } else {
                bits = 0.0;
                if min_bits > 0.0 || min_ms > self.time_to_next_ms {
                    ms = self.time_to_next_ms;
                    self.now_ms += ms;
                    self.next_period();
                } else {
                    ms = min_ms;
                    self.advance(ms);
                }
            }
            total_bits += bits;
            total_ms += ms;
            size -= bits;
            min_bits -= bits;
            min_ms -= ms;
        }
        (total_bits, total_ms)
    }

    /// Downloads `size_bits`. With `check` (called after every progress step while bits remain)
    /// the transfer stops as soon as `check` returns a level.
    pub fn download(
        &mut self,
        size_bits: f64,
        check: Option<ProgressCheck<'_>>,
    ) -> Transfer {
        if !(size_bits > 0.0) {
            return Transfer { downloaded_bits: 0.0, time_ms: 0.0, ttfb_ms: 0.0, abandoned_to: None };
        }
        let Some(check) = check else {
            let ttfb = self.latency_delay();
            let t = ttfb + self.transfer(size_bits);
            return Transfer { downloaded_bits: size_bits, time_ms: t, ttfb_ms: ttfb, abandoned_to: None };
        };
        let ttfb = self.latency_delay();
        let mut time = ttfb;
        let mut done = 0.0;
        // As in Sabre, the first step's time allowance counts the latency already spent.
        let mut min_ms = MIN_PROGRESS_MS - ttfb;
        let mut min_bits = MIN_PROGRESS_BITS;
        while done < size_bits {
            let (bits, ms) = self.transfer_minimal(size_bits - done, min_bits, min_ms);
            time += ms;
            done += bits;
            if done < size_bits {
                let p = Progress { downloaded_bits: done, time_ms: time, ttfb_ms: ttfb };
                if let Some(q) = check(&p) {
                    return Transfer { downloaded_bits: done, time_ms: time, ttfb_ms: ttfb, abandoned_to: Some(q) };
                }
                min_ms = MIN_PROGRESS_MS;
                min_bits = MIN_PROGRESS_BITS;
            }
        }
        Transfer { downloaded_bits: done, time_ms: time, ttfb_ms: ttfb, abandoned_to: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_trace_time_is_latency_plus_bits_over_bandwidth() {
        let t = Trace::constant(1000.0, 80.0);
        let mut n = NetworkModel::new(&t, 1.0);
        // 4 000 000 bits at 1000 kbit/s = 4000 ms, + 80 ms latency.
        let r = n.download(4_000_000.0, None);
        assert_eq!(r.ttfb_ms, 80.0);
        assert!((r.time_ms - 4080.0).abs() < 1e-9);
        assert!((n.now_ms() - 4080.0).abs() < 1e-9);
    }

    #[test]
    fn scale_and_period_boundaries() {
        // 1 s at 1000 kbps then 1 s at 500 kbps, cyclic, no latency; scale 0.5.
        let t = Trace::parse_text("x", "1000 1000 0\n1000 500 0\n").unwrap();
        let mut n = NetworkModel::new(&t, 0.5);
        // 1000 bits... 500 kbps for 1 s = 500 000 bits, then 250 kbps: 250 000 bits in 1 s,
        // then wrap to 500 kbps: 250 000 bits more take 0.5 s. Total 1 000 000 bits in 2.5 s.
        let r = n.download(1_000_000.0, None);
        assert!((r.time_ms - 2500.0).abs() < 1e-6, "{}", r.time_ms);
    }

    #[test]
    fn latency_spanning_periods_is_prorated() {
        // Period 1: 50 ms with latency 100 -> half a latency unit used; period 2 latency 20:
        // remaining half unit = 10 ms. TTFB = 60 ms.
        let t = Trace::parse_text("x", "50 1000 100\n10000 1000 20\n").unwrap();
        let mut n = NetworkModel::new(&t, 1.0);
        let r = n.download(1000.0, None);
        assert!((r.ttfb_ms - 60.0).abs() < 1e-9);
        assert!((r.time_ms - 61.0).abs() < 1e-9);
    }

    #[test]
    fn checked_download_matches_unchecked_and_can_abandon() {
        let t = Trace::parse_text("x", "700 800 40\n1300 2000 40\n").unwrap();
        let mut a = NetworkModel::new(&t, 1.0);
        let mut b = NetworkModel::new(&t, 1.0);
        let plain = a.download(3_000_000.0, None);
        let mut calls = 0;
        let mut never = |_: &Progress| {
            calls += 1;
            None
        };
        let checked = b.download(3_000_000.0, Some(&mut never));
        assert!((plain.time_ms - checked.time_ms).abs() < 1e-6);
        assert!(calls > 10);
        let mut c = NetworkModel::new(&t, 1.0);
        let mut after_1s = |p: &Progress| (p.time_ms >= 1000.0).then_some(0);
        let ab = c.download(3_000_000.0, Some(&mut after_1s));
        assert_eq!(ab.abandoned_to, Some(0));
        assert!(ab.time_ms >= 1000.0 && ab.time_ms < 1060.0, "{}", ab.time_ms);
        assert!(ab.downloaded_bits < 3_000_000.0);
    }
}
