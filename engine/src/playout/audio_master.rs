//! Audio as the master clock: the playback clock follows what the sound card plays.
//!
//! A device consumes samples on its own crystal, which drifts from the system clock by
//! tens of parts per million (a few ms per minute), starts late (a PulseAudio stream
//! stalls 1-2 s at first), and reports its position only once per callback period. The
//! software clock keeps running between reports and is pulled onto the device's
//! position: small differences (callback jitter) are absorbed over [`SLEW_TIME`], so video
//! does not judder; large ones (a late start, an underrun) are corrected at once.

use std::time::{Duration, Instant};

/// A difference at least this large is corrected at once.
pub const RESYNC_THRESHOLD: Duration = Duration::from_millis(40);
/// A smaller difference is corrected gradually: the share of it removed per update is
/// the time since the previous update over this.
pub const SLEW_TIME: Duration = Duration::from_millis(250);
/// Differences below this are left alone (the device's reports are not finer).
const DEAD_BAND: Duration = Duration::from_micros(500);

/// Follows an audio device's position (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct AudioMaster {
    last_update: Option<Instant>,
    /// Largest difference seen while in sync (after the first correction), for stats.
    worst_in_sync: Duration,
}

impl AudioMaster {
    /// A follower with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Given the software clock's position and what the device says is audible, both at
    /// `now`: the position the software clock should take, or `None` to leave it.
    pub fn correct(&mut self, software: Duration, audible: Duration, now: Instant) -> Option<Duration> {
        let since = self.last_update.map(|t| now.saturating_duration_since(t));
        self.last_update = Some(now);
        let (ahead, diff) = if software >= audible { (true, software - audible) } else { (false, audible - software) };
        if diff >= RESYNC_THRESHOLD || since.is_none() {
            return (diff > DEAD_BAND).then_some(audible);
        }
        self.worst_in_sync = self.worst_in_sync.max(diff);
        if diff <= DEAD_BAND {
            return None;
        }
        let share = since.map_or(1.0, |s| (s.as_secs_f64() / SLEW_TIME.as_secs_f64()).min(1.0));
        let step = diff.mul_f64(share);
        Some(if ahead { software - step } else { software + step })
    }

    /// Forgets the history (after a seek or a pause the next report is taken as is).
    pub fn reset(&mut self) {
        self.last_update = None;
    }

    /// The largest difference seen between corrections while in sync.
    pub fn worst_in_sync(&self) -> Duration {
        self.worst_in_sync
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn first_report_and_large_differences_are_taken_at_once() {
        let t0 = Instant::now();
        let mut m = AudioMaster::new();
        assert_eq!(m.correct(ms(1000), ms(990), t0), Some(ms(990)), "first report");
        assert_eq!(m.correct(ms(1000), ms(1000), t0 + ms(10)), None, "in sync");
        assert_eq!(m.correct(ms(2500), ms(1000), t0 + ms(20)), Some(ms(1000)), "device started late");
        assert_eq!(m.correct(ms(1000), ms(1100), t0 + ms(30)), Some(ms(1100)), "device ahead");
    }

    #[test]
    fn small_differences_are_slewed_in_proportion_to_time() {
        let t0 = Instant::now();
        let mut m = AudioMaster::new();
        m.correct(ms(1000), ms(1000), t0);
        // 50 ms after the previous update: a fifth of a 10 ms difference.
        assert_eq!(m.correct(ms(1010), ms(1000), t0 + ms(50)), Some(ms(1008)));
        assert_eq!(m.correct(ms(1000), ms(1010), t0 + ms(100)), Some(ms(1002)));
        // A long gap between updates removes all of it, never more.
        assert_eq!(m.correct(ms(1020), ms(1010), t0 + ms(2000)), Some(ms(1010)));
        assert_eq!(m.worst_in_sync(), ms(10));
    }

    #[test]
    fn a_drifting_device_is_tracked_within_a_few_ms() {
        // The device runs 0.1 % slow (far worse than real crystals); updates every 20 ms
        // for ten minutes: the software clock stays within 1 ms of it.
        let t0 = Instant::now();
        let mut m = AudioMaster::new();
        let mut software = Duration::ZERO;
        let mut worst = Duration::ZERO;
        for i in 1..=30_000u64 {
            let now = t0 + ms(20 * i);
            software += ms(20);
            let audible = Duration::from_secs_f64(0.02 * i as f64 * 0.999);
            if let Some(to) = m.correct(software, audible, now) {
                software = to;
            }
            let diff = if software > audible { software - audible } else { audible - software };
            worst = worst.max(diff);
        }
        assert!(worst < ms(1), "worst difference {worst:?}");
    }

    #[test]
    fn reset_takes_the_next_report_as_is() {
        let t0 = Instant::now();
        let mut m = AudioMaster::new();
        m.correct(ms(0), ms(0), t0);
        m.reset();
        assert_eq!(m.correct(ms(5010), ms(5000), t0 + ms(10)), Some(ms(5000)));
    }
}
