//! Media time: a tick count that carries its timescale.

use std::cmp::Ordering;
use std::time::Duration;

/// The MS-SSTR default timescale: 100 ns ticks.
pub const DEFAULT_TIMESCALE: u64 = 10_000_000;

/// A point or span on a media timeline: `ticks / timescale` seconds.
///
/// Smooth Streaming times are u64 tick counts in a per-stream timescale (live times are
/// often epoch-based and exceed 2^53), so they are kept exact and converted only for
/// display or arithmetic across timescales.
#[derive(Clone, Copy, Debug, Eq)]
pub struct MediaTime {
    /// Number of ticks.
    pub ticks: u64,
    /// Ticks per second; never zero (constructors clamp 0 to 1).
    pub timescale: u64,
}

impl MediaTime {
    /// `ticks` in `timescale` (a zero timescale is treated as 1).
    pub const fn new(ticks: u64, timescale: u64) -> Self {
        MediaTime { ticks, timescale: if timescale == 0 { 1 } else { timescale } }
    }

    /// Zero in the given timescale.
    pub const fn zero(timescale: u64) -> Self {
        Self::new(0, timescale)
    }

    /// From a duration, rounded down to the given timescale.
    pub fn from_duration(d: Duration, timescale: u64) -> Self {
        let ts = timescale.max(1);
        let ticks = d.as_nanos().saturating_mul(ts as u128) / 1_000_000_000u128;
        Self::new(u64::try_from(ticks).unwrap_or(u64::MAX), ts)
    }

    /// Seconds as f64 (lossy above 2^53 ticks; for display and heuristics only).
    pub fn as_secs_f64(self) -> f64 {
        self.ticks as f64 / self.timescale as f64
    }

    /// As a [`Duration`] (exact to the nanosecond, rounded down).
    pub fn to_duration(self) -> Duration {
        let nanos = self.ticks as u128 * 1_000_000_000u128 / self.timescale as u128;
        let secs = (nanos / 1_000_000_000) as u64;
        Duration::new(secs, (nanos % 1_000_000_000) as u32)
    }

    /// The same instant in another timescale, rounded down.
    pub fn rescale(self, timescale: u64) -> Self {
        let ts = timescale.max(1);
        let t = self.ticks as u128 * ts as u128 / self.timescale as u128;
        Self::new(u64::try_from(t).unwrap_or(u64::MAX), ts)
    }

    /// `self + ticks` in this timescale (saturating).
    pub fn add_ticks(self, ticks: u64) -> Self {
        Self::new(self.ticks.saturating_add(ticks), self.timescale)
    }
}

impl PartialEq for MediaTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl std::hash::Hash for MediaTime {
    /// Hashes the reduced fraction, so times equal across timescales hash equally.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (mut a, mut b) = (self.ticks, self.timescale);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let g = a.max(1);
        (self.ticks / g, self.timescale / g).hash(state);
    }
}

impl PartialOrd for MediaTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MediaTime {
    /// Exact comparison across timescales (cross-multiplied in u128).
    fn cmp(&self, other: &Self) -> Ordering {
        let a = self.ticks as u128 * other.timescale as u128;
        let b = other.ticks as u128 * self.timescale as u128;
        a.cmp(&b)
    }
}

impl std::fmt::Display for MediaTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_across_timescales() {
        assert_eq!(MediaTime::new(20_000_000, DEFAULT_TIMESCALE), MediaTime::new(96_000, 48_000));
        assert!(MediaTime::new(1, 1000) < MediaTime::new(10_001, DEFAULT_TIMESCALE));
    }

    #[test]
    fn large_epoch_times_stay_exact() {
        let t = MediaTime::new(u64::MAX / 3, DEFAULT_TIMESCALE);
        assert_eq!(t.rescale(DEFAULT_TIMESCALE).ticks, u64::MAX / 3);
        assert_eq!(MediaTime::new(15_000_000, DEFAULT_TIMESCALE).to_duration(), Duration::from_millis(1500));
    }

    #[test]
    fn equal_times_hash_equally() {
        use std::collections::HashSet;
        let set: HashSet<MediaTime> = [MediaTime::new(20_000_000, DEFAULT_TIMESCALE), MediaTime::new(96_000, 48_000), MediaTime::new(0, 7), MediaTime::new(0, 9)].into();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn zero_timescale_is_clamped() {
        assert_eq!(MediaTime::new(5, 0).timescale, 1);
    }
}
