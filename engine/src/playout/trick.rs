//! `TrickPlan`: which fragment to fetch next and when to show its key frame during fast
//! forward and rewind (trick play).
//!
//! Sans-I/O: the caller passes wall time in and carries out the fetches. At speed `s`
//! the trick position moves `s` seconds of media per second of wall time, so a key frame
//! at media time `t` is due at `origin_wall + (t - origin) / s`. Each fragment starts with
//! a key frame (IDR); one is shown per fetched fragment. When a fetch plus decode costs
//! more than the wall time between two key frames, fragments are skipped: the next one
//! asked for is the one the trick position will have reached when its picture is ready.

use std::time::{Duration, Instant};

/// Slowest trick speed (magnitude): below it, every frame is played at that rate.
pub const MIN_TRICK_SPEED: f64 = 2.0;
/// Fastest trick speed (magnitude).
pub const MAX_TRICK_SPEED: f64 = 32.0;

/// Plans key-frame-only fast forward (speed > 0) or rewind (speed < 0) over one track's
/// fragments.
#[derive(Debug, Clone)]
pub struct TrickPlan {
    /// Fragment start times, ascending.
    starts: Vec<Duration>,
    /// End of the last fragment.
    end: Duration,
    speed: f64,
    origin: Duration,
    origin_wall: Instant,
    /// The last fragment asked for (by [`TrickPlan::next_fetch`]).
    last: Option<usize>,
    /// What one fetch plus decode costs (the last measured), for skipping ahead.
    cost: Duration,
}

impl TrickPlan {
    /// A plan starting at media time `from` at wall time `now`. `starts` are the track's
    /// fragment start times (ascending), `end` the end of the last one; `speed` is
    /// clamped to [`MIN_TRICK_SPEED`]..=[`MAX_TRICK_SPEED`] in magnitude, its sign giving
    /// the direction.
    pub fn new(starts: Vec<Duration>, end: Duration, speed: f64, from: Duration, now: Instant) -> Self {
        let speed = clamp_speed(speed);
        TrickPlan { starts, end, speed, origin: from, origin_wall: now, last: None, cost: Duration::ZERO }
    }

    /// The speed (signed) after clamping.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The trick position at wall time `now`, kept inside the presentation.
    pub fn position(&self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.origin_wall).as_secs_f64() * self.speed.abs();
        let moved = Duration::from_secs_f64(elapsed);
        let first = self.starts.first().copied().unwrap_or_default();
        if self.speed > 0.0 {
            (self.origin + moved).min(self.end.saturating_sub(Duration::from_millis(1)).max(first))
        } else {
            self.origin.saturating_sub(moved).max(first)
        }
    }

    /// The fragment index whose span holds `t`.
    fn index_at(&self, t: Duration) -> usize {
        self.starts.partition_point(|s| *s <= t).saturating_sub(1)
    }

    /// Records what the last fetch plus decode cost; later fetches look this far ahead.
    pub fn on_cost(&mut self, cost: Duration) {
        self.cost = cost;
    }

    /// The fragment to fetch next at wall time `now`, or `None` when trick play has
    /// reached the end (forward) or the start (rewind). Forward, the first call returns
    /// the fragment holding the start position only if it starts exactly there, else the
    /// next one (its key frame lies ahead); rewind returns the fragment holding it.
    pub fn next_fetch(&mut self, now: Instant) -> Option<usize> {
        // The first picture is the one at (forward: after) the start, however late.
        let ahead = if self.last.is_none() { self.origin } else { self.position(now + self.cost) };
        let next = if self.speed > 0.0 {
            // The first key frame at or after where the position will be; never repeat
            // or go back.
            let reached = self.starts.partition_point(|s| *s < ahead);
            let i = reached.max(self.last.map_or(0, |l| l + 1));
            // Late past the end: the last key frame still shows (once), as rewind's first.
            let last = self.starts.len().checked_sub(1);
            if i < self.starts.len() {
                Some(i)
            } else {
                last.filter(|l| self.last.is_some_and(|shown| shown < *l))
            }
        } else {
            let at = self.index_at(ahead);
            match self.last {
                None => Some(at),
                Some(0) => None,
                Some(l) => Some(at.min(l - 1)),
            }
        };
        if next.is_some() {
            self.last = next;
        }
        next
    }

    /// When the key frame of fragment `index` is due on screen (it may already be past:
    /// show it at once).
    pub fn show_at(&self, index: usize) -> Instant {
        let t = self.starts.get(index).copied().unwrap_or(self.end);
        let media = if self.speed > 0.0 { t.saturating_sub(self.origin) } else { self.origin.saturating_sub(t) };
        self.origin_wall + Duration::from_secs_f64(media.as_secs_f64() / self.speed.abs())
    }
}

/// Whether `speed` asks for trick play (key frames only) rather than paced playback of
/// every frame.
pub fn is_trick_speed(speed: f64) -> bool {
    speed.is_finite() && !(0.0..=crate::playout::MAX_RATE).contains(&speed)
}

fn clamp_speed(speed: f64) -> f64 {
    if !speed.is_finite() || speed == 0.0 {
        return MIN_TRICK_SPEED;
    }
    speed.signum() * speed.abs().clamp(MIN_TRICK_SPEED, MAX_TRICK_SPEED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    /// 10 s in 2 s fragments.
    fn plan(speed: f64, from: Duration, now: Instant) -> TrickPlan {
        TrickPlan::new((0..5).map(|i| s(2 * i)).collect(), s(10), speed, from, now)
    }

    #[test]
    fn forward_with_free_fetches_takes_every_fragment_in_pace() {
        let t0 = Instant::now();
        let mut p = plan(8.0, s(0), t0);
        let mut got = Vec::new();
        while let Some(i) = p.next_fetch(t0) {
            got.push((i, p.show_at(i) - t0));
        }
        let want: Vec<(usize, Duration)> = (0..5).map(|i| (i, Duration::from_millis(250 * i as u64))).collect();
        assert_eq!(got, want, "2 s fragments at 8x: one key frame each 250 ms");
    }

    #[test]
    fn forward_from_mid_fragment_starts_at_the_next_key_frame() {
        let t0 = Instant::now();
        let mut p = plan(4.5, s(3), t0);
        assert_eq!(p.next_fetch(t0), Some(2));
    }

    #[test]
    fn the_first_key_frame_is_fetched_even_when_asked_late() {
        let t0 = Instant::now();
        let mut p = plan(8.0, s(0), t0);
        assert_eq!(p.next_fetch(t0 + Duration::from_millis(5)), Some(0));
        let mut r = plan(-8.0, s(9), t0);
        assert_eq!(r.next_fetch(t0 + Duration::from_millis(5)), Some(4));
    }

    #[test]
    fn slow_fetches_skip_fragments_to_keep_pace() {
        let t0 = Instant::now();
        let mut p = plan(32.0, s(0), t0);
        assert_eq!(p.next_fetch(t0), Some(0));
        // Each fetch costs 100 ms: 3.2 s of media at 32x, so one fragment in two goes.
        p.on_cost(Duration::from_millis(100));
        let now = t0 + Duration::from_millis(100);
        let i = p.next_fetch(now).unwrap();
        assert!(i >= 3, "skipped ahead to {i}");
        assert!(p.show_at(i) >= now + Duration::from_millis(90));
        // Far behind: the last key frame still comes, then the end.
        let mut q = plan(32.0, s(0), t0);
        assert_eq!(q.next_fetch(t0), Some(0));
        q.on_cost(Duration::from_secs(1));
        assert_eq!(q.next_fetch(t0 + Duration::from_secs(1)), Some(4));
        assert_eq!(q.next_fetch(t0 + Duration::from_secs(2)), None);
    }

    #[test]
    fn rewind_walks_fragments_backwards_and_ends_at_the_start() {
        let t0 = Instant::now();
        let mut p = plan(-8.0, s(9), t0);
        let mut got = Vec::new();
        while let Some(i) = p.next_fetch(t0) {
            got.push(i);
        }
        assert_eq!(got, vec![4, 3, 2, 1, 0]);
        assert_eq!(p.show_at(0) - t0, Duration::from_millis(1125), "9 s back at 8x");
        assert_eq!(p.position(t0 + s(5)), s(0), "stops at the start");
    }

    #[test]
    fn speeds_are_clamped_and_classified() {
        let t0 = Instant::now();
        assert_eq!(plan(100.0, s(0), t0).speed(), 32.0);
        assert_eq!(plan(-1.0, s(0), t0).speed(), -2.0);
        assert!(is_trick_speed(8.0) && is_trick_speed(-2.0));
        assert!(!is_trick_speed(4.0) && !is_trick_speed(0.25) && !is_trick_speed(f64::NAN));
        assert_eq!(plan(8.0, s(0), t0).position(t0 + s(10)), Duration::from_millis(9_999), "stops before the end");
    }
}
