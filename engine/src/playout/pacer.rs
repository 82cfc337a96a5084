use std::time::Duration;

/// What to do with the next video frame at the current media position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameDecision {
    /// Its time has come: show it now.
    Present,
    /// Too early: wait this long (media time) before showing it.
    Wait(Duration),
    /// Its whole display slot has passed: drop it and count it as dropped.
    DropLate,
}

/// Decides presentation of video frames against the playback position.
///
/// A frame is shown from its presentation time until the next frame's; if the position is
/// already past the end of its slot (`pts + duration`) it is late and dropped, so playback
/// catches up instead of drifting behind the audio.
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoPacer {
    /// When true every frame is presented as soon as it is decoded (`--untimed`).
    pub untimed: bool,
}

impl VideoPacer {
    /// The decision for a frame at `pts` lasting `duration` when the clock reads `position`.
    pub fn decide(&self, pts: Duration, duration: Duration, position: Duration) -> FrameDecision {
        if self.untimed {
            return FrameDecision::Present;
        }
        if position < pts {
            FrameDecision::Wait(pts - position)
        } else if position >= pts + duration.max(Duration::from_millis(1)) {
            FrameDecision::DropLate
        } else {
            FrameDecision::Present
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn early_frames_wait_on_time_present_late_drop() {
        let p = VideoPacer::default();
        assert_eq!(p.decide(MS(1000), MS(40), MS(990)), FrameDecision::Wait(MS(10)));
        assert_eq!(p.decide(MS(1000), MS(40), MS(1000)), FrameDecision::Present);
        assert_eq!(p.decide(MS(1000), MS(40), MS(1039)), FrameDecision::Present);
        assert_eq!(p.decide(MS(1000), MS(40), MS(1040)), FrameDecision::DropLate);
    }

    #[test]
    fn untimed_presents_everything() {
        let p = VideoPacer { untimed: true };
        assert_eq!(p.decide(MS(1000), MS(40), MS(0)), FrameDecision::Present);
        assert_eq!(p.decide(MS(1000), MS(40), MS(5000)), FrameDecision::Present);
    }
}
