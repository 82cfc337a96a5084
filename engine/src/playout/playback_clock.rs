use std::time::{Duration, Instant};

/// The media position as a function of wall time: runs while playing, stops while paused
/// or stalled. This is the software clock used headless; with an audio device the
/// device's played-sample count drives the position instead (audio is the master).
#[derive(Debug, Clone)]
pub struct PlaybackClock {
    /// Media position at `anchor`.
    anchor_position: Duration,
    /// Wall time at which `anchor_position` was true; `None` while stopped.
    anchor: Option<Instant>,
}

impl PlaybackClock {
    /// A stopped clock at `position`.
    pub fn new(position: Duration) -> Self {
        PlaybackClock { anchor_position: position, anchor: None }
    }

    /// The media position at wall time `now`.
    pub fn position(&self, now: Instant) -> Duration {
        match self.anchor {
            Some(a) => self.anchor_position + now.saturating_duration_since(a),
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
}
