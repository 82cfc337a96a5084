//! The seek bar: where it is drawn, what it shows, and which time a click on it means.
//!
//! Sans-I/O: everything is in physical pixels and media time, so the geometry and the
//! hit test are unit-tested without a window.

use std::time::Duration;

use super::layout::{Quad, Rgba};

/// What the bar shows, from the latest status.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BarState {
    /// Playhead.
    pub position: Duration,
    /// Where a seek can go: on-demand the presentation, live the DVR window to the edge.
    pub seekable: Option<(Duration, Duration)>,
    /// Media buffered ahead of the playhead.
    pub buffer: Duration,
    /// Live: true (the bar's right end is the live edge).
    pub live: bool,
}

/// The bar's rectangle in a window of `width` x `height` physical pixels at `scale`
/// (HiDPI factor): along the bottom, with margins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeekBar {
    /// Left edge, pixels.
    pub x: f32,
    /// Top edge, pixels.
    pub y: f32,
    /// Width, pixels.
    pub w: f32,
    /// Height, pixels.
    pub h: f32,
}

const BACKGROUND: Rgba = [0.15, 0.15, 0.15, 0.75];
const BUFFERED: Rgba = [0.55, 0.55, 0.55, 0.85];
const PLAYED: Rgba = [0.95, 0.95, 0.95, 0.95];
const EDGE: Rgba = [0.9, 0.15, 0.15, 1.0];
const MARKER: Rgba = [1.0, 0.8, 0.1, 1.0];

impl SeekBar {
    /// The bar for a window size.
    pub fn new(width: u32, height: u32, scale: f64) -> SeekBar {
        let s = scale.max(0.5) as f32;
        let margin = 16.0 * s;
        let h = 8.0 * s;
        SeekBar { x: margin, y: (height as f32 - margin - h).max(0.0), w: (width as f32 - 2.0 * margin).max(1.0), h }
    }

    /// True when a pointer at (x, y) is on the bar (with a few pixels of slack above and
    /// below, since the bar is thin).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let slack = f64::from(self.h);
        x >= f64::from(self.x) && x <= f64::from(self.x + self.w) && y >= f64::from(self.y) - slack && y <= f64::from(self.y + self.h) + slack
    }

    /// The media time a pointer at `x` means (clamped to the seekable range); `None`
    /// when nothing can be sought.
    pub fn time_at(&self, x: f64, state: &BarState) -> Option<Duration> {
        let (start, end) = state.seekable.filter(|(s, e)| e > s)?;
        let frac = ((x - f64::from(self.x)) / f64::from(self.w)).clamp(0.0, 1.0);
        Some(start + (end - start).mul_f64(frac))
    }

    /// The rectangles to draw: background, buffered span, played span, and for live the
    /// edge marker at the right end.
    pub fn quads(&self, state: &BarState) -> Vec<Quad> {
        let mut out = vec![Quad { x: self.x, y: self.y, w: self.w, h: self.h, color: BACKGROUND }];
        let Some((start, end)) = state.seekable.filter(|(s, e)| e > s) else { return out };
        let span = (end - start).as_secs_f64();
        let frac = |t: Duration| (t.saturating_sub(start).as_secs_f64() / span).clamp(0.0, 1.0) as f32;
        let played = frac(state.position);
        let buffered = frac(state.position + state.buffer);
        out.push(Quad { x: self.x, y: self.y, w: self.w * buffered, h: self.h, color: BUFFERED });
        out.push(Quad { x: self.x, y: self.y, w: self.w * played, h: self.h, color: PLAYED });
        if state.live {
            let mark = self.h * 0.5;
            out.push(Quad { x: self.x + self.w - mark, y: self.y - mark * 0.5, w: mark, h: self.h + mark, color: EDGE });
        }
        out
    }
}

impl SeekBar {
    /// A small tick at each marker time inside the seekable range (ad markers, chapters).
    pub fn marker_quads(&self, state: &BarState, markers: &[Duration]) -> Vec<Quad> {
        let Some((start, end)) = state.seekable.filter(|(s, e)| e > s) else { return Vec::new() };
        let span = (end - start).as_secs_f64();
        let tick = (self.h * 0.35).max(2.0);
        markers
            .iter()
            .filter(|t| **t >= start && **t <= end)
            .map(|t| {
                let frac = ((*t - start).as_secs_f64() / span) as f32;
                Quad { x: self.x + self.w * frac - tick * 0.5, y: self.y - self.h * 0.5, w: tick, h: self.h * 2.0, color: MARKER }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_ticks_at_their_times_inside_the_range() {
        let bar = SeekBar { x: 10.0, y: 100.0, w: 100.0, h: 8.0 };
        let state = BarState { position: Duration::ZERO, seekable: Some((Duration::ZERO, Duration::from_secs(10))), buffer: Duration::ZERO, live: false };
        let q = bar.marker_quads(&state, &[Duration::from_secs(2), Duration::from_secs(5), Duration::from_secs(11)]);
        assert_eq!(q.len(), 2, "the one past the end is left out");
        assert_eq!((q[0].x + q[0].w / 2.0, q[1].x + q[1].w / 2.0), (30.0, 60.0));
        assert!(q[0].y < bar.y && q[0].h > bar.h, "sticks out of the bar");
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_bar_runs_along_the_bottom_and_scales_with_hidpi() {
        let b = SeekBar::new(800, 600, 1.0);
        assert_eq!((b.x, b.w, b.h), (16.0, 768.0, 8.0));
        assert_eq!(b.y, 600.0 - 16.0 - 8.0);
        let b2 = SeekBar::new(1600, 1200, 2.0);
        assert_eq!((b2.x, b2.w, b2.h), (32.0, 1536.0, 16.0));
    }

    #[test]
    fn a_click_maps_to_a_time_in_the_seekable_range() {
        let b = SeekBar::new(800, 600, 1.0);
        let st = BarState { seekable: Some((secs(100), secs(200))), ..Default::default() };
        assert_eq!(b.time_at(16.0, &st), Some(secs(100)));
        assert_eq!(b.time_at(16.0 + 384.0, &st), Some(secs(150)));
        assert_eq!(b.time_at(5000.0, &st), Some(secs(200)), "clamped");
        assert_eq!(b.time_at(-3.0, &st), Some(secs(100)), "clamped");
        assert_eq!(b.time_at(300.0, &BarState::default()), None, "nothing to seek in");
        assert!(b.contains(400.0, 580.0));
        assert!(!b.contains(400.0, 300.0));
        assert!(!b.contains(2.0, 580.0));
    }

    #[test]
    fn played_and_buffered_spans_are_proportional() {
        let b = SeekBar::new(132, 100, 1.0); // 100 px wide
        let st = BarState { position: secs(25), buffer: secs(25), seekable: Some((secs(0), secs(100))), live: false };
        let q = b.quads(&st);
        assert_eq!(q.len(), 3);
        assert_eq!(q[1].w, 50.0, "buffered to 50 s");
        assert_eq!(q[2].w, 25.0, "played to 25 s");
        let live = BarState { live: true, ..st };
        assert_eq!(b.quads(&live).len(), 4, "the live edge is marked");
        let over = BarState { buffer: secs(500), ..st };
        assert_eq!(b.quads(&over)[1].w, 100.0, "never past the end");
    }
}
