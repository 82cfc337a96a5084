use std::time::{Duration, Instant};

/// Slowest playback rate (slow motion).
pub const MIN_RATE: f64 = 0.25;
/// Fastest playback rate at which every frame is still decoded.
pub const MAX_RATE: f64 = 4.0;

/// The media position as a function of wall time: runs while playing, stops while paused
/// or stalled. This is the software clock used headless; with an audio device the
/// device's played-sample count drives the position instead (audio is the master).
#[derive(Debug, Clone)]
pub struct PlaybackClock {
    /// Media position at `anchor`.
    anchor_position: Duration,
    /// Wall time at which `anchor_position` was true; `None` while stopped.
    anchor: Option<Instant>,
    /// Media seconds per wall second (1.0; live edge following nudges it by a few %).
    rate: f64,
}

impl PlaybackClock {
    /// A stopped clock at `position`.
    pub fn new(position: Duration) -> Self {
        PlaybackClock { anchor_position: position, anchor: None, rate: 1.0 }
    }

    /// The media position at wall time `now`.
    pub fn position(&self, now: Instant) -> Duration {
        match self.anchor {
            Some(a) => {
                let wall = now.saturating_duration_since(a);
                // Exact at rate 1 (the common case); scaled otherwise.
                let media = if self.rate == 1.0 { wall } else { wall.mul_f64(self.rate) };
                self.anchor_position + media
            }
            None => self.anchor_position,
        }
    }

    /// True while the clock runs.
    pub fn is_running(&self) -> bool {
        self.anchor.is_some()
    }

    /// Starts (or keeps) running from the current position.
    pub fn start(&mut self, now: Instant) {
        if self.anchor.is_none() {
            self.anchor = Some(now);
        }
    }

    /// Stops at the current position (pause, or a stall while rebuffering).
    pub fn stop(&mut self, now: Instant) {
        self.anchor_position = self.position(now);
        self.anchor = None;
    }

    /// The playback rate (media seconds per wall second).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Changes the rate from `now` on (the position so far is kept). Rates outside
    /// [`MIN_RATE`]..=[`MAX_RATE`] are clamped to that range (1.0 if not finite).
    pub fn set_rate(&mut self, rate: f64, now: Instant) {
        let rate = if rate.is_finite() { rate.clamp(MIN_RATE, MAX_RATE) } else { 1.0 };
        if self.anchor.is_some() {
            self.anchor_position = self.position(now);
            self.anchor = Some(now);
        }
        self.rate = rate;
    }

    /// Jumps to `position`, keeping the running state.
    pub fn set_position(&mut self, position: Duration, now: Instant) {
        self.anchor_position = position;
        if self.anchor.is_some() {
            self.anchor = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_only_while_started() {
        let t0 = Instant::now();
        let mut c = PlaybackClock::new(Duration::from_secs(5));
        assert_eq!(c.position(t0 + Duration::from_secs(3)), Duration::from_secs(5));
        c.start(t0);
        assert_eq!(c.position(t0 + Duration::from_millis(1500)), Duration::from_millis(6500));
        c.stop(t0 + Duration::from_secs(2));
        assert_eq!(c.position(t0 + Duration::from_secs(10)), Duration::from_secs(7));
        c.start(t0 + Duration::from_secs(10));
        assert_eq!(c.position(t0 + Duration::from_secs(11)), Duration::from_secs(8));
        c.set_position(Duration::from_secs(1), t0 + Duration::from_secs(11));
        assert_eq!(c.position(t0 + Duration::from_secs(12)), Duration::from_secs(2));
    }

    #[test]
    fn rate_scales_media_time_from_the_change_on() {
        let t0 = Instant::now();
        let mut c = PlaybackClock::new(Duration::from_secs(100));
        c.start(t0);
        c.set_rate(1.05, t0 + Duration::from_secs(10));
        assert_eq!(c.position(t0 + Duration::from_secs(10)), Duration::from_secs(110));
        assert_eq!(c.position(t0 + Duration::from_secs(30)), Duration::from_secs(131));
        c.stop(t0 + Duration::from_secs(30));
        c.start(t0 + Duration::from_secs(40));
        assert_eq!(c.position(t0 + Duration::from_secs(50)), Duration::from_millis(141_500), "kept across a pause");
        c.set_rate(f64::NAN, t0 + Duration::from_secs(50));
        assert_eq!(c.rate(), 1.0);
        c.set_rate(9.0, t0 + Duration::from_secs(50));
        assert_eq!(c.rate(), MAX_RATE);
        c.set_rate(0.01, t0 + Duration::from_secs(50));
        assert_eq!(c.rate(), MIN_RATE);
    }
}
