//! Following the live edge: where to join, how fast to play to hold the target delay,
//! when to jump, and when to ask again for a fragment that is not there yet.
//!
//! The edge is the end of the newest fragment the server has served ([`super::LiveTimeline::available_end`]).
//! It moves in steps: one fragment duration `F` at a time, when the next fragment appears.
//! The distance from the playhead to it is therefore a sawtooth that falls from `D` to
//! `D - F` between two steps, and its mean is `D - F/2`. The follower holds that *mean*
//! at the target delay.
//!
//! To do so it needs the phase of the steps: when did the newest fragment appear? It
//! learns it by watching the edge advance (the driver probes for the next fragment, so an
//! advance is seen within one retry interval). With the phase known, the distance the
//! sawtooth will average over the coming step is `edge + (now - appeared) - position -
//! F/2`, which does not depend on where in the step `now` falls; the error between it and
//! the target sets the playback rate (a few % at most), and a distance far beyond the
//! target (after a long stall) makes it jump.
//!
//! A join point is chosen as if the newest fragment had just appeared (`edge - target -
//! F/2`): the buffer is then the largest it will be, so an unknown phase can only put
//! the playhead *behind* the target, never ahead of what exists.

use std::time::{Duration, Instant};

/// Settings of edge following.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowConfig {
    /// Mean distance to hold between the playhead and the live edge.
    pub target: Duration,
    /// Largest playback-rate change (0.05 = 95 %..105 %).
    pub max_rate_offset: f64,
    /// Rate change per second of distance error (before the limit).
    pub gain_per_second: f64,
    /// Errors smaller than this play at rate 1 (no needless nudging).
    pub dead_band: Duration,
}

impl FollowConfig {
    /// The default target for fragments of duration `fragment`: 1.5 fragments (mean
    /// distance; the playhead is 2 fragments behind right after each new one appears
    /// and 1 fragment just before the next).
    pub fn for_fragment(fragment: Duration, target: Option<Duration>) -> Self {
        FollowConfig {
            target: target.unwrap_or(fragment.mul_f64(1.5)),
            max_rate_offset: 0.05,
            gain_per_second: 0.1,
            dead_band: Duration::from_millis(40),
        }
    }
}

/// What the playhead should do now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steer {
    /// Playback rate to use.
    pub rate: f64,
    /// Jump to this position (far behind the edge after a stall).
    pub jump_to: Option<Duration>,
}

/// The edge follower. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct EdgeFollower {
    config: FollowConfig,
    fragment: Duration,
    edge: Option<Duration>,
    /// When the edge was seen to advance last (or first seen).
    edge_seen_at: Option<Instant>,
    /// The edge has been seen to advance at least once: `edge_seen_at` is a step time.
    phase_known: bool,
    /// Following the edge (false while the user watches the DVR window).
    following: bool,
}

impl EdgeFollower {
    /// A follower for fragments of typical duration `fragment`.
    pub fn new(config: FollowConfig, fragment: Duration) -> Self {
        let fragment = if fragment.is_zero() { Duration::from_secs(2) } else { fragment };
        EdgeFollower { config, fragment, edge: None, edge_seen_at: None, phase_known: false, following: true }
    }

    /// The settings.
    pub fn config(&self) -> &FollowConfig {
        &self.config
    }

    /// The typical fragment duration it works with.
    pub fn fragment(&self) -> Duration {
        self.fragment
    }

    /// Updates the typical fragment duration (the timeline learned more).
    pub fn set_fragment(&mut self, fragment: Duration) {
        if !fragment.is_zero() {
            self.fragment = fragment;
        }
    }

    /// The newest available fragment's end, as last reported. `observed` says the
    /// advance was seen as it happened (the fragment had been asked for and was not there
    /// yet): only such an advance gives the phase of the steps; one found by fetching a
    /// fragment that had long been there (joining, catching up) does not. Returns true
    /// when the edge advanced.
    pub fn on_edge(&mut self, edge: Duration, now: Instant, observed: bool) -> bool {
        if self.edge.is_some_and(|e| edge <= e) {
            return false;
        }
        self.edge = Some(edge);
        self.edge_seen_at = Some(now);
        self.phase_known = observed;
        true
    }

    /// Forgets the step phase (after a discontinuity the new steps come at a new phase).
    pub fn reset_phase(&mut self) {
        self.phase_known = false;
    }

    /// The live edge, when known.
    pub fn edge(&self) -> Option<Duration> {
        self.edge
    }

    /// True once a step of the edge has been seen (the join point is then exact).
    pub fn phase_known(&self) -> bool {
        self.phase_known
    }

    /// Distance from `position` to the edge (zero when ahead of it).
    pub fn distance(&self, position: Duration) -> Option<Duration> {
        self.edge.map(|e| e.saturating_sub(position))
    }

    /// True while the playhead follows the edge (not watching the DVR window).
    pub fn is_following(&self) -> bool {
        self.following
    }

    /// Follow the edge (`true`: join, go-live) or stop steering (`false`: the user
    /// sought back into the window or paused; playback then runs at rate 1).
    pub fn set_following(&mut self, following: bool) {
        self.following = following;
    }

    /// Where to start playing `behind` the edge (`--start -S`), or at the target: with
    /// the phase of the steps known, where the mean distance will be the target; without
    /// it, as if the newest fragment had just appeared (see the module docs).
    pub fn join_position(&self, behind: Option<Duration>, now: Instant) -> Option<Duration> {
        let edge = self.edge?;
        if let Some(b) = behind {
            return Some(edge.saturating_sub(b));
        }
        let half = self.fragment / 2;
        match self.edge_seen_at.filter(|_| self.phase_known) {
            Some(seen) => {
                let since = now.saturating_duration_since(seen).min(self.fragment);
                Some((edge + since).saturating_sub(half + self.config.target))
            }
            None => Some(edge.saturating_sub(self.config.target + half)),
        }
    }

    /// Mean distance the sawtooth will have over the coming step if the playhead keeps
    /// rate 1, or `None` before the phase is known.
    pub fn expected_mean_distance(&self, position: Duration, now: Instant) -> Option<f64> {
        let (edge, seen) = (self.edge?, self.edge_seen_at?);
        if !self.phase_known {
            return None;
        }
        // Past one step without a new fragment the edge is late: do not assume it moves.
        let since = now.saturating_duration_since(seen).min(self.fragment);
        Some((edge + since).as_secs_f64() - position.as_secs_f64() - self.fragment.as_secs_f64() / 2.0)
    }

    /// Steering while playing: the rate to play at, and a jump when far behind.
    pub fn steer(&self, position: Duration, now: Instant) -> Steer {
        let idle = Steer { rate: 1.0, jump_to: None };
        if !self.following {
            return idle;
        }
        let Some(mean) = self.expected_mean_distance(position, now) else { return idle };
        let target = self.config.target.as_secs_f64();
        let error = mean - target;
        // Far behind (a long stall): jump rather than catch up for minutes.
        let far = (3.0 * self.fragment.as_secs_f64()).max(6.0);
        if error > far {
            let to = position + Duration::from_secs_f64(error);
            return Steer { rate: 1.0, jump_to: Some(to) };
        }
        if error.abs() < self.config.dead_band.as_secs_f64() {
            return idle;
        }
        let offset = (error * self.config.gain_per_second).clamp(-self.config.max_rate_offset, self.config.max_rate_offset);
        Steer { rate: 1.0 + offset, jump_to: None }
    }

    /// When to ask again for a fragment the server does not have yet: just when the next
    /// step is due, else every `F/20` (50..250 ms), backing off to 2 s while the stream
    /// is late by more than two fragments (an idle encoder).
    pub fn retry_at(&self, now: Instant) -> Instant {
        let poll = (self.fragment / 20).clamp(Duration::from_millis(50), Duration::from_millis(250));
        let Some(seen) = self.edge_seen_at else { return now + poll };
        let due = seen + self.fragment;
        if self.phase_known && now + poll < due {
            return due;
        }
        let late = now.saturating_duration_since(due);
        if late > self.fragment * 2 {
            return now + (late / 4).clamp(poll, Duration::from_secs(2));
        }
        now + poll
    }

    /// Time since the edge last advanced (`None` before it is known).
    pub fn idle_for(&self, now: Instant) -> Option<Duration> {
        self.edge_seen_at.map(|s| now.saturating_duration_since(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Duration = Duration::from_secs(2);

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn follower(target_ms: u64) -> EdgeFollower {
        EdgeFollower::new(FollowConfig::for_fragment(F, Some(ms(target_ms))), F)
    }

    #[test]
    fn default_target_is_one_and_a_half_fragments() {
        assert_eq!(FollowConfig::for_fragment(F, None).target, ms(3000));
    }

    #[test]
    fn joins_as_if_the_newest_fragment_had_just_appeared() {
        let t0 = Instant::now();
        let mut f = follower(3000);
        assert_eq!(f.join_position(None, t0), None);
        f.on_edge(ms(100_000), t0, false);
        assert_eq!(f.join_position(None, t0 + ms(700)), Some(ms(96_000)), "phase unknown: edge - target - F/2");
        assert_eq!(f.join_position(Some(ms(30_000)), t0), Some(ms(70_000)), "--start -30");
        assert_eq!(f.join_position(Some(ms(500_000)), t0), Some(Duration::ZERO), "clamped, never negative");
        f.on_edge(ms(102_000), t0 + ms(1000), true);
        assert_eq!(f.join_position(None, t0 + ms(1500)), Some(ms(98_500)), "phase known: mean distance on target");
    }

    #[test]
    fn steps_of_the_edge_give_the_phase_and_the_mean_distance() {
        let t0 = Instant::now();
        let mut f = follower(3000);
        f.on_edge(ms(100_000), t0, false);
        assert!(!f.phase_known());
        assert_eq!(f.expected_mean_distance(ms(96_000), t0), None);
        assert!(!f.on_edge(ms(100_000), t0 + ms(500), true), "same edge: no step");
        assert!(f.on_edge(ms(102_000), t0 + ms(1000), true));
        assert!(f.phase_known());
        assert!(f.on_edge(ms(104_000), t0 + ms(1000), false), "fetched, not seen appearing");
        assert!(!f.phase_known(), "a catch-up download says nothing of the phase");
        f.on_edge(ms(106_000), t0 + ms(1000), true);
        f.edge = Some(ms(102_000));
        // Right at the step, 6 s behind: the sawtooth goes 6 -> 4 s, mean 5 s.
        let m = f.expected_mean_distance(ms(96_000), t0 + ms(1000)).unwrap();
        assert!((m - 5.0).abs() < 1e-9, "{m}");
        // Half a step later at rate 1 the expected mean is the same.
        let m = f.expected_mean_distance(ms(97_000), t0 + ms(2000)).unwrap();
        assert!((m - 5.0).abs() < 1e-9, "{m}");
        // A late fragment: after F the edge is not assumed to move any further.
        let m = f.expected_mean_distance(ms(100_000), t0 + ms(5000)).unwrap();
        assert!((m - 3.0).abs() < 1e-9, "{m}");
    }

    #[test]
    fn rate_speeds_up_behind_the_target_and_slows_down_ahead_within_limits() {
        let t0 = Instant::now();
        let mut f = follower(3000);
        f.on_edge(ms(100_000), t0, false);
        f.on_edge(ms(102_000), t0, true);
        // Mean distance 102 - 98 - 1 = 3 s: on target.
        assert_eq!(f.steer(ms(98_000), t0), Steer { rate: 1.0, jump_to: None });
        // 0.2 s behind: +2 %.
        let s = f.steer(ms(97_800), t0);
        assert!((s.rate - 1.02).abs() < 1e-9, "{s:?}");
        // 2 s behind: capped at +5 %.
        assert!((f.steer(ms(96_000), t0).rate - 1.05).abs() < 1e-9);
        // 1 s ahead: capped at -5 %.
        assert!((f.steer(ms(99_000), t0).rate - 0.95).abs() < 1e-9);
        // In the dead band: rate 1.
        assert_eq!(f.steer(ms(98_030), t0).rate, 1.0);
    }

    #[test]
    fn far_behind_after_a_stall_jumps_to_the_target() {
        let t0 = Instant::now();
        let mut f = follower(3000);
        f.on_edge(ms(100_000), t0, false);
        f.on_edge(ms(102_000), t0, true);
        let s = f.steer(ms(80_000), t0);
        assert_eq!(s.jump_to, Some(ms(98_000)), "{s:?}");
        assert_eq!(s.rate, 1.0);
    }

    #[test]
    fn watching_the_dvr_window_is_not_steered() {
        let t0 = Instant::now();
        let mut f = follower(3000);
        f.on_edge(ms(100_000), t0, false);
        f.on_edge(ms(102_000), t0, true);
        f.set_following(false);
        assert_eq!(f.steer(ms(40_000), t0), Steer { rate: 1.0, jump_to: None });
        f.set_following(true);
        assert!(f.steer(ms(40_000), t0).jump_to.is_some());
    }

    #[test]
    fn retries_when_the_next_step_is_due_then_polls_then_backs_off() {
        let t0 = Instant::now();
        let mut f = follower(3000);
        assert_eq!(f.retry_at(t0), t0 + ms(100), "nothing known: poll every F/20");
        f.on_edge(ms(100_000), t0, false);
        assert_eq!(f.retry_at(t0), t0 + ms(100), "phase unknown: poll");
        f.on_edge(ms(102_000), t0 + ms(300), true);
        assert_eq!(f.retry_at(t0 + ms(400)), t0 + ms(2300), "wait for the next step");
        assert_eq!(f.retry_at(t0 + ms(2250)), t0 + ms(2350), "due: poll");
        assert_eq!(f.retry_at(t0 + ms(9300)), t0 + ms(9300) + ms(1750), "3.5 fragments late: backs off by a quarter of it");
        assert_eq!(f.retry_at(t0 + ms(60_000)), t0 + ms(62_000), "at most 2 s");
        assert_eq!(f.idle_for(t0 + ms(60_000)), Some(ms(59_700)));
    }
}
