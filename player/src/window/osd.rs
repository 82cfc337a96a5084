//! The on-screen display: short messages, the position or LIVE badge, the seek bar while
//! the pointer moves or playback is paused (with ticks at the sparse-track markers), the
//! current caption centred above the seek bar, and the stats overlay (`i`).
//!
//! Sans-I/O: fed statuses, events and the time; asked for an [`Overlay`] to draw.

use std::time::{Duration, Instant};

use smoothplay_engine::session::Status;
use smoothplay_engine::text::Cue;

use super::layout::{Overlay, Quad, TextItem};
use super::seekbar::{BarState, SeekBar};

/// How long a message stays up.
const MESSAGE_TIME: Duration = Duration::from_millis(1500);
/// How long the seek bar stays after the pointer last moved.
const BAR_TIME: Duration = Duration::from_secs(2);

const WHITE: [f32; 4] = [1.0, 1.0, 1.0, 1.0];
const SHADE: [f32; 4] = [0.0, 0.0, 0.0, 0.6];

/// What the stats overlay shows besides the engine's status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlayerInfo {
    /// The quality-selection algorithm.
    pub algorithm: String,
    /// Audio output: device and format, or why there is none.
    pub audio: String,
    /// Volume, percent.
    pub volume: f32,
    /// Muted.
    pub muted: bool,
    /// Size of the frames being shown.
    pub frame_size: Option<(u32, u32)>,
}

/// The display's state.
#[derive(Debug, Default)]
pub struct Osd {
    status: Option<Status>,
    message: Option<(String, Instant)>,
    pointer_moved: Option<Instant>,
    stats_visible: bool,
    buffering: bool,
    /// The last error, kept up until the next message.
    error: Option<String>,
    /// The latest caption (drawn while the position is inside its times).
    caption: Option<Cue>,
    /// Captions hidden (`v`).
    captions_hidden: bool,
    /// Marker times, for ticks on the seek bar.
    markers: Vec<Duration>,
}

/// Most marker ticks kept.
const MAX_MARKERS: usize = 1_000;
/// Caption text size relative to the message size.
const CAPTION_SCALE: f32 = 1.1;

impl Osd {
    /// An empty display.
    pub fn new() -> Self {
        Self::default()
    }

    /// The latest status from the engine.
    pub fn on_status(&mut self, status: Status) {
        self.buffering = status.buffering;
        self.status = Some(status);
    }

    /// Shows a short message ("Volume: 80 %", "Seek to 01:20").
    pub fn message(&mut self, text: impl Into<String>, now: Instant) {
        self.message = Some((text.into(), now));
        self.error = None;
    }

    /// Shows an error until the next message.
    pub fn error(&mut self, text: impl Into<String>) {
        self.error = Some(text.into());
    }

    /// The pointer moved: show the seek bar for a while.
    pub fn pointer_moved(&mut self, now: Instant) {
        self.pointer_moved = Some(now);
    }

    /// A caption reached by the playhead (shown until its end).
    pub fn on_cue(&mut self, cue: Cue) {
        self.caption = Some(cue);
    }

    /// Trick play showed the key frame at `pts`: the session sends no status meanwhile, so
    /// the seek bar follows the pictures, and no caption shows (the one on screen belongs
    /// to where normal playback was).
    pub fn on_trick_frame(&mut self, pts: Duration) {
        if let Some(s) = self.status.as_mut() {
            s.position = pts;
        }
        self.caption = None;
    }

    /// The caption track changed or was switched off: nothing is shown until the next cue.
    pub fn clear_caption(&mut self) {
        self.caption = None;
    }

    /// `v`: draw captions or not.
    pub fn set_captions_visible(&mut self, on: bool) {
        self.captions_hidden = !on;
    }

    /// A marker at `time`: a tick on the seek bar.
    pub fn on_marker(&mut self, time: Duration) {
        if !self.markers.contains(&time) && self.markers.len() < MAX_MARKERS {
            self.markers.push(time);
        }
    }

    /// The caption to draw now, if any.
    pub fn caption(&self) -> Option<&Cue> {
        let position = self.status.as_ref()?.position;
        self.caption.as_ref().filter(|c| !self.captions_hidden && c.start <= position && position < c.end)
    }

    /// `i`: show or hide the stats overlay.
    pub fn set_stats(&mut self, on: bool) {
        self.stats_visible = on;
    }

    /// True when something on screen will change by itself (a message or the bar timing
    /// out), so the window should redraw again at [`Osd::next_change`].
    pub fn next_change(&self, now: Instant) -> Option<Instant> {
        let m = self.message.as_ref().map(|(_, t)| *t + MESSAGE_TIME).filter(|t| *t > now);
        let b = self.pointer_moved.map(|t| t + BAR_TIME).filter(|t| *t > now);
        m.into_iter().chain(b).min()
    }

    /// The seek bar's state from the latest status.
    pub fn bar_state(&self) -> BarState {
        match &self.status {
            Some(s) => BarState { position: s.position, seekable: s.seekable, buffer: s.buffer, live: s.live_edge_distance.is_some() },
            None => BarState::default(),
        }
    }

    /// True while the seek bar is shown (and so clickable).
    pub fn bar_visible(&self, now: Instant) -> bool {
        self.pointer_moved.is_some_and(|t| now < t + BAR_TIME) || self.status.as_ref().is_some_and(|s| s.paused)
    }

    /// What to draw now in a window of `width` x `height` pixels at HiDPI `scale`.
    pub fn overlay(&self, width: u32, height: u32, scale: f64, info: &PlayerInfo, now: Instant) -> Overlay {
        let s = scale.max(0.5) as f32;
        let mut out = Overlay::default();
        let big = 22.0 * s;
        let small = 15.0 * s;
        let margin = 16.0 * s;
        if self.bar_visible(now) {
            let bar = SeekBar::new(width, height, scale);
            out.quads.extend(bar.quads(&self.bar_state()));
            out.quads.extend(bar.marker_quads(&self.bar_state(), &self.markers));
            if let Some(st) = &self.status {
                let text = match st.live_edge_distance {
                    Some(d) => format!("LIVE  -{:.1} s", d.as_secs_f64()),
                    None => format!("{} / {}", clock(st.position), st.duration.map(clock).unwrap_or_else(|| "--:--".into())),
                };
                out.texts.push(TextItem { text, x: bar.x, y: bar.y - big - 6.0 * s, size: big, color: WHITE, runs: Vec::new() });
            }
        }
        if let Some(cue) = self.caption() {
            // In its TTML region, else centred at the bottom; above the seek bar either
            // way. The width is estimated from the character count (half the size per
            // character, as the UI font runs).
            let size = big * CAPTION_SCALE;
            let lines: Vec<&str> = cue.text.lines().collect();
            let widest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f32;
            let w = (widest * size * 0.5).min(width as f32);
            let h = lines.len() as f32 * size * 1.2;
            let bar_top = SeekBar::new(width, height, scale).y;
            let block = super::caption_place::Block { w, h };
            let (x, y) = super::caption_place::place(cue, block, width as f32, height as f32, (bar_top - big * 2.0).max(0.0), margin);
            let pad = size * 0.3;
            out.quads.push(Quad { x: (x - pad).max(0.0), y: (y - pad).max(0.0), w: w + 2.0 * pad, h: h + 2.0 * pad, color: SHADE });
            out.texts.push(TextItem { text: lines.join("\n"), x, y, size, color: WHITE, runs: super::caption_style::runs(cue) });
        }
        let mut top = Vec::new();
        if let Some((m, t)) = &self.message {
            if now < *t + MESSAGE_TIME {
                top.push(m.clone());
            }
        }
        if let Some(e) = &self.error {
            top.push(e.clone());
        }
        if self.buffering {
            top.push("Buffering...".to_string());
        }
        if !top.is_empty() {
            out.texts.push(TextItem { text: top.join("\n"), x: margin, y: margin, size: big, color: WHITE, runs: Vec::new() });
        }
        if self.stats_visible {
            let lines = stats_lines(self.status.as_ref(), info);
            let line_h = small * 1.3;
            let h = line_h * lines.len() as f32 + small;
            let w = 430.0 * s;
            let x = (width as f32 - w - margin).max(0.0);
            out.quads.push(Quad { x, y: margin, w, h, color: SHADE });
            out.texts.push(TextItem { text: lines.join("\n"), x: x + small * 0.5, y: margin + small * 0.5, size: small, color: WHITE, runs: Vec::new() });
        }
        out
    }
}

/// The stats overlay's lines.
pub fn stats_lines(status: Option<&Status>, info: &PlayerInfo) -> Vec<String> {
    let mut l = Vec::new();
    let size = |s: Option<(u32, u32)>| s.map(|(w, h)| format!("{w}x{h}")).unwrap_or_else(|| "-".into());
    match status {
        Some(s) => {
            l.push(format!(
                "Video: {} kbit/s, level {}, showing {}",
                s.video_bitrate.map(|b| (b / 1000).to_string()).unwrap_or_else(|| "-".into()),
                size(s.video_size),
                size(info.frame_size)
            ));
            l.push(format!("Buffer: {:.1} s   Bandwidth: {}", s.buffer.as_secs_f64(), s.bandwidth_bps.map(|b| format!("{:.2} Mbit/s", b / 1e6)).unwrap_or_else(|| "-".into())));
            l.push(format!("Frames: {} shown, {} dropped   Speed: {:.2}x", s.frames_presented, s.frames_dropped, s.speed));
            if let Some(d) = s.live_edge_distance {
                l.push(format!("Live: {:.2} s behind the edge", d.as_secs_f64()));
            }
        }
        None => l.push("Video: starting".to_string()),
    }
    let decode = match status.and_then(|s| s.decode) {
        Some((d, i)) => format!("Decode: {:.2} ms per frame (frame interval {:.1} ms)", d.as_secs_f64() * 1000.0, i.as_secs_f64() * 1000.0),
        None => "Decode: -".to_string(),
    };
    l.push(decode);
    l.push(format!("ABR: {}", if info.algorithm.is_empty() { "-" } else { &info.algorithm }));
    l.push(format!("Audio: {}   Volume: {:.0} %{}", info.audio, info.volume, if info.muted { " (muted)" } else { "" }));
    l
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Status {
        Status {
            position: Duration::from_secs(65),
            duration: Some(Duration::from_secs(120)),
            video_bitrate: Some(1_200_000),
            buffer: Duration::from_secs(12),
            bandwidth_bps: Some(5.4e6),
            frames_dropped: 2,
            paused: false,
            live_edge_distance: None,
            buffering: false,
            speed: 1.0,
            frames_presented: 1630,
            seekable: Some((Duration::ZERO, Duration::from_secs(120))),
            video_size: Some((1280, 720)),
            decode: Some((Duration::from_micros(3250), Duration::from_millis(40))),
            video_track: None,
            audio_track: None,
        }
    }

    fn cue(start: u64, end: u64, text: &str) -> Cue {
        Cue { start: Duration::from_secs(start), end: Duration::from_secs(end), text: text.into(), italic: false, color: None, region: None, spans: Vec::new() }
    }

    #[test]
    fn the_caption_is_centred_above_the_bar_while_it_lasts_and_v_hides_it() {
        let t0 = Instant::now();
        let info = PlayerInfo::default();
        let mut o = Osd::new();
        o.on_status(status()); // at 65 s
        o.on_cue(cue(64, 66, "Two lines:\nthe second line"));
        let overlay = o.overlay(800, 600, 1.0, &info, t0);
        let t = overlay.texts.iter().find(|t| t.text.starts_with("Two lines")).expect("shown");
        assert_eq!(t.text, "Two lines:\nthe second line");
        let w = 15.0 * t.size * 0.5; // "the second line"
        assert!((t.x + w / 2.0 - 400.0).abs() < 1.0, "centred: {}", t.x);
        assert!(t.y + 2.0 * t.size * 1.2 < SeekBar::new(800, 600, 1.0).y, "above the bar");
        o.set_captions_visible(false);
        assert!(o.caption().is_none());
        o.set_captions_visible(true);
        o.on_cue(cue(60, 62, "over"));
        assert!(o.caption().is_none(), "its end has passed");
        o.on_cue(cue(64, 66, "again"));
        o.clear_caption();
        assert!(o.caption().is_none());
    }

    #[test]
    fn trick_frames_move_the_bar_and_drop_the_caption() {
        let mut o = Osd::new();
        o.on_status(status()); // at 65 s
        o.on_cue(cue(64, 66, "shown"));
        assert!(o.caption().is_some());
        o.on_trick_frame(Duration::from_secs(40));
        assert!(o.caption().is_none(), "no stale caption during rewind");
        assert_eq!(o.bar_state().position, Duration::from_secs(40));
    }

    #[test]
    fn markers_tick_the_seek_bar_while_it_shows() {
        let t0 = Instant::now();
        let mut o = Osd::new();
        o.on_status(status());
        o.on_marker(Duration::from_secs(30));
        o.on_marker(Duration::from_secs(30));
        let plain = o.overlay(800, 600, 1.0, &PlayerInfo::default(), t0).quads.len();
        o.pointer_moved(t0);
        let with_bar = o.overlay(800, 600, 1.0, &PlayerInfo::default(), t0).quads.len();
        let bar_only = SeekBar::new(800, 600, 1.0).quads(&o.bar_state()).len();
        assert_eq!(with_bar, plain + bar_only + 1, "one tick, once");
    }

    #[test]
    fn messages_expire_and_the_bar_hides_after_the_pointer_rests() {
        let t0 = Instant::now();
        let mut o = Osd::new();
        o.on_status(status());
        o.message("Volume: 80 %", t0);
        let info = PlayerInfo::default();
        let texts = |o: &Osd, t| o.overlay(800, 600, 1.0, &info, t).texts.into_iter().map(|t| t.text).collect::<Vec<_>>();
        assert_eq!(texts(&o, t0), vec!["Volume: 80 %"]);
        assert!(texts(&o, t0 + Duration::from_secs(2)).is_empty());
        o.pointer_moved(t0);
        assert!(o.bar_visible(t0 + Duration::from_secs(1)));
        assert!(texts(&o, t0 + Duration::from_secs(1)).contains(&"01:05 / 02:00".to_string()));
        assert!(!o.bar_visible(t0 + Duration::from_secs(3)));
        assert_eq!(o.next_change(t0), Some(t0 + MESSAGE_TIME));
        assert_eq!(o.next_change(t0 + Duration::from_secs(3)), None);
    }

    #[test]
    fn paused_shows_the_bar_and_live_shows_a_badge() {
        let t0 = Instant::now();
        let mut o = Osd::new();
        o.on_status(Status { paused: true, live_edge_distance: Some(Duration::from_millis(3200)), duration: None, ..status() });
        let ov = o.overlay(800, 600, 1.0, &PlayerInfo::default(), t0);
        assert!(ov.quads.len() >= 4, "bar with live edge marker");
        assert_eq!(ov.texts[0].text, "LIVE  -3.2 s");
    }

    #[test]
    fn buffering_and_stats_are_shown() {
        let t0 = Instant::now();
        let mut o = Osd::new();
        o.on_status(Status { buffering: true, ..status() });
        o.set_stats(true);
        let info = PlayerInfo { algorithm: "smoothplay".into(), frame_size: Some((1280, 720)), ..Default::default() };
        let ov = o.overlay(1280, 720, 1.0, &info, t0);
        let all: String = ov.texts.iter().map(|t| t.text.clone()).collect::<Vec<_>>().join("\n");
        assert!(all.contains("Buffering..."), "{all}");
        assert!(all.contains("Video: 1200 kbit/s, level 1280x720, showing 1280x720"), "{all}");
        assert!(all.contains("Decode: 3.25 ms per frame (frame interval 40.0 ms)"), "{all}");
        assert!(all.contains("ABR: smoothplay"), "{all}");
        assert!(all.contains("1630 shown, 2 dropped"), "{all}");
    }
}
