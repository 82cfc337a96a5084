//! `TrickPlan`: which fragment to fetch next and when to show its key frame during fast
//! forward and rewind (trick play).
//!
//! Sans-I/O: the caller passes wall time in and carries out the fetches. At speed `s`
//! the trick position moves `s` seconds of media per second of wall time, so a key frame
//! at media time `t` is due at `origin_wall + (t - origin) / s`. Each fragment starts with
//! a key frame (IDR); its other key frames (sync samples in trun/sdtp that are IDRs) are
//! shown too, as long as they come at least [`MIN_PICTURE_WALL`] of wall time apart
//! ([`TrickPlan::key_frame_spacing`]). When a fetch plus decode costs
//! more than the wall time between two key frames, fragments are skipped: the next one
//! asked for is the one the trick position will have reached when its picture is ready.

use std::time::{Duration, Instant};

/// Slowest trick speed (magnitude): below it, every frame is played at that rate.
pub const MIN_TRICK_SPEED: f64 = 2.0;
/// Fastest trick speed (magnitude).
pub const MAX_TRICK_SPEED: f64 = 32.0;
/// Least wall time between two key frames shown from one fragment (20 pictures a second:
/// more would not be seen, and each costs a decode).
pub const MIN_PICTURE_WALL: Duration = Duration::from_millis(50);

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
        self.show_time(self.starts.get(index).copied().unwrap_or(self.end))
    }

    /// When a key frame at media time `t` is due on screen.
    pub fn show_time(&self, t: Duration) -> Instant {
        let media = if self.speed > 0.0 { t.saturating_sub(self.origin) } else { self.origin.saturating_sub(t) };
        self.origin_wall + Duration::from_secs_f64(media.as_secs_f64() / self.speed.abs())
    }

    /// Key frames of one fragment at `pts` (in any order): those to show, in showing order
    /// (ascending forward, descending in rewind), on the trick side of the start position,
    /// each at least [`TrickPlan::key_frame_spacing`] of media after the one before. The
    /// fragment's first key frame is always among them when it is on that side.
    pub fn key_frames_to_show(&self, pts: &[Duration]) -> Vec<Duration> {
        let mut v: Vec<Duration> = pts.iter().copied().filter(|t| if self.speed > 0.0 { *t >= self.origin } else { *t <= self.origin }).collect();
        v.sort();
        if self.speed < 0.0 {
            v.reverse();
        }
        let spacing = self.key_frame_spacing();
        let mut out: Vec<Duration> = Vec::new();
        for t in v {
            if out.last().is_none_or(|l| l.abs_diff(t) >= spacing) {
                out.push(t);
            }
        }
        out
    }

    /// Least media time between two key frames shown from one fragment: what
    /// [`MIN_PICTURE_WALL`] covers at this speed.
    pub fn key_frame_spacing(&self) -> Duration {
        MIN_PICTURE_WALL.mul_f64(self.speed.abs())
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
    fn key_frames_inside_a_fragment_are_thinned_to_what_the_speed_shows() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let idrs: Vec<Duration> = (0..5).map(|k| ms(2000 + 400 * k)).collect(); // 2.0, 2.4 .. 3.6
        // 2x: 0.1 s of media per 50 ms of wall: every key frame.
        assert_eq!(plan(2.0, s(1), t0).key_frames_to_show(&idrs), idrs);
        // 8x: 0.4 s spacing: still every one.
        assert_eq!(plan(8.0, s(1), t0).key_frames_to_show(&idrs), idrs);
        // 16x: 0.8 s: every other one.
        assert_eq!(plan(16.0, s(1), t0).key_frames_to_show(&idrs), [ms(2000), ms(2800), ms(3600)]);
        // Rewind from 3.0 s: those at or before it, descending.
        assert_eq!(plan(-2.0, ms(3000), t0).key_frames_to_show(&idrs), [ms(2800), ms(2400), ms(2000)]);
        // Forward from 2.5 s: only those after the start.
        assert_eq!(plan(2.0, ms(2500), t0).key_frames_to_show(&idrs), [ms(2800), ms(3200), ms(3600)]);
        // Due times follow the media times.
        let p = plan(2.0, s(2), t0);
        assert_eq!(p.show_time(ms(2400)) - t0, ms(200));
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
