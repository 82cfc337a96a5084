//! Device limits on the level: decode capacity and viewport size.
//!
//! - Viewport: a level is "far above" the viewport when its width or height exceeds the
//!   viewport's by more than [`VIEWPORT_SLACK`]; the cap is the highest level not far above
//!   (at least level 0). Levels without a resolution are never capped by the viewport.
//! - Decode: when the decoder needs more than its frame budget per frame
//!   (`decode_time_per_frame > frame_duration`) or drops more than [`MAX_DROP_RATIO`] of the
//!   frames at level L, the cap becomes L - 1. The cap is lifted one level at a time, when the
//!   load measured at the cap, scaled by the pixel (or bitrate) ratio of the next level, stays
//!   under [`RAISE_LOAD`] with no drops.

use crate::types::{ChoiceReason, Context, DecodeCapacity, Ladder, Viewport};

/// Allowed ratio of level dimension to viewport dimension.
pub const VIEWPORT_SLACK: f64 = 1.5;
/// Dropped-frame ratio that counts as "cannot keep up".
pub const MAX_DROP_RATIO: f64 = 0.02;
/// Predicted load under which the decode cap is raised by one level.
pub const RAISE_LOAD: f64 = 0.8;

/// Highest level not far above the viewport.
pub fn viewport_cap(ladder: &Ladder, viewport: Option<Viewport>) -> usize {
    let Some(v) = viewport else { return ladder.top() };
    let (vw, vh) = (f64::from(v.width.max(1)), f64::from(v.height.max(1)));
    let mut cap = 0;
    for (i, l) in ladder.levels.iter().enumerate() {
        let fits = match (l.width, l.height) {
            (Some(w), Some(h)) => f64::from(w) <= vw * VIEWPORT_SLACK && f64::from(h) <= vh * VIEWPORT_SLACK,
            _ => true,
        };
        if fits {
            cap = i;
        }
    }
    cap
}

/// Sticky cap from decode measurements.
#[derive(Debug, Clone, Default)]
pub struct DecodeCap {
    cap: Option<usize>,
}

impl DecodeCap {
    /// Current cap (`None`: unlimited).
    pub fn cap(&self) -> Option<usize> {
        self.cap
    }

    /// Updates the cap from a measurement and returns it.
    pub fn update(&mut self, ladder: &Ladder, m: Option<DecodeCapacity>) -> Option<usize> {
        let Some(m) = m else { return self.cap };
        let Some(load) = m.load() else { return self.cap };
        let level = m.level.min(ladder.top());
        let overloaded = load > 1.0 || m.drop_ratio() > MAX_DROP_RATIO;
        if overloaded {
            let c = level.saturating_sub(1);
            self.cap = Some(self.cap.map_or(c, |old| old.min(c)));
        } else if let Some(c) = self.cap {
            if level == c && c < ladder.top() && m.frames_dropped == 0 {
                let cost = |l: usize| {
                    ladder.levels.get(l).and_then(|x| x.pixels()).map_or(ladder.bitrate_bps(l) as f64, |p| p as f64)
                };
                let ratio = cost(c + 1) / cost(c).max(1.0);
                if load * ratio < RAISE_LOAD {
                    self.cap = Some(c + 1);
                }
            }
        }
        self.cap
    }

    /// Highest level the device allows now: the top of the ladder, capped by the viewport
    /// and by the decode measurement in `ctx` (which updates the sticky cap).
    pub fn device_cap(&mut self, ctx: &Context) -> usize {
        self.device_cap_why(ctx).0
    }

    /// [`DecodeCap::device_cap`], and which limit set it (`None`: the top of the ladder).
    pub fn device_cap_why(&mut self, ctx: &Context) -> (usize, Option<ChoiceReason>) {
        let top = ctx.ladder.top();
        let viewport = viewport_cap(ctx.ladder, ctx.viewport).min(top);
        match self.update(ctx.ladder, ctx.decode) {
            Some(cpu) if cpu < viewport => (cpu, Some(ChoiceReason::Cpu)),
            _ if viewport < top => (viewport, Some(ChoiceReason::Viewport)),
            _ => (top, None),
        }
    }

    /// Forget the cap.
    pub fn reset(&mut self) {
        self.cap = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Level;
    use std::time::Duration;

    fn ladder() -> Ladder {
        let l = |b, w, h| Level { bitrate_bps: b, width: Some(w), height: Some(h) };
        Ladder::new(
            vec![l(300_000, 320, 180), l(750_000, 640, 360), l(1_200_000, 854, 480), l(2_850_000, 1280, 720), l(4_300_000, 1920, 1080)],
            Duration::from_secs(4),
        )
    }

    #[test]
    fn viewport_caps_far_above() {
        let l = ladder();
        // 640x360 viewport: 854x480 is within 1.5x (960x540), 1280x720 is not.
        assert_eq!(viewport_cap(&l, Some(Viewport { width: 640, height: 360 })), 2);
        assert_eq!(viewport_cap(&l, Some(Viewport { width: 100, height: 50 })), 0);
        assert_eq!(viewport_cap(&l, None), 4);
        assert_eq!(viewport_cap(&l, Some(Viewport { width: 3840, height: 2160 })), 4);
    }

    fn m(level: usize, per_frame_ms: u64, dropped: u64) -> DecodeCapacity {
        DecodeCapacity {
            decode_time_per_frame: Duration::from_millis(per_frame_ms),
            frame_duration: Duration::from_millis(40),
            frames_decoded: 100,
            frames_dropped: dropped,
            level,
        }
    }

    #[test]
    fn decode_cap_drops_and_recovers() {
        let l = ladder();
        let mut c = DecodeCap::default();
        assert_eq!(c.update(&l, Some(m(4, 30, 0))), None, "30 ms of a 40 ms budget is fine");
        assert_eq!(c.update(&l, Some(m(4, 50, 0))), Some(3), "over budget at 4 -> cap 3");
        assert_eq!(c.update(&l, Some(m(3, 20, 5))), Some(2), "drops at 3 -> cap 2");
        // At cap 2 (854x480 = 409 920 px), next level 1280x720 = 921 600 px: ratio 2.25.
        // Load 0.5 x 2.25 = 1.125 > 0.8: stay.
        assert_eq!(c.update(&l, Some(m(2, 20, 0))), Some(2));
        // Load 0.25 x 2.25 = 0.56 < 0.8: raise to 3.
        assert_eq!(c.update(&l, Some(m(2, 10, 0))), Some(3));
    }
}
