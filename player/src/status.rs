//! The one-line status on stderr.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use smoothplay_engine::session::{PlayerEvent, Status};

/// Prints status lines: redrawn in place on a terminal, one every few seconds otherwise.
pub struct StatusLine {
    quiet: bool,
    tty: bool,
    last_plain: Option<Instant>,
    drawn: bool,
}

impl StatusLine {
    /// A status printer.
    pub fn new(quiet: bool) -> Self {
        StatusLine { quiet, tty: std::io::stderr().is_terminal(), last_plain: None, drawn: false }
    }

    /// Handles one engine event.
    pub fn on_event(&mut self, event: &PlayerEvent) {
        match event {
            PlayerEvent::Status(s) if !self.quiet => self.status(s),
            PlayerEvent::FragmentSkipped { track, index, error } => self.message(&format!("warning: {track} fragment {index} skipped: {error}")),
            PlayerEvent::Unsupported(why) => self.message(&format!("note: {why}")),
            PlayerEvent::Rebuffering if !self.quiet => self.message("buffering..."),
            PlayerEvent::LiveWaiting => self.message("waiting for the live stream..."),
            PlayerEvent::LiveResumed if !self.quiet => self.message("the live stream is back"),
            PlayerEvent::Discontinuity { at } if !self.quiet => self.message(&format!("timeline jump: continuing at {}", clock(*at))),
            PlayerEvent::BehindLiveWindow { resumed_at } => {
                self.message(&format!("note: the position left the live window; continuing at its oldest fragment ({})", clock(*resumed_at)))
            }
            PlayerEvent::OriginSwitched { from, to } => self.message(&format!("warning: origin {from} keeps failing; switched to {to}")),
            PlayerEvent::TrackSwitched { kind, from, to, at, .. } if !self.quiet => self.message(&format!("{kind} track: {from} -> {to} from {}", clock(*at))),
            PlayerEvent::TrackSwitchFailed { error, .. } => self.message(&format!("warning: {error}")),
            _ => {}
        }
    }

    fn message(&mut self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.drawn {
            let _ = write!(err, "\r\x1b[2K");
            self.drawn = false;
        }
        let _ = writeln!(err, "{text}");
    }

    fn status(&mut self, s: &Status) {
        let line = format_status(s);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            self.drawn = true;
        } else if self.last_plain.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
            self.last_plain = Some(Instant::now());
            let _ = writeln!(err, "{line}");
        }
    }

    /// Ends the in-place line.
    pub fn finish(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

fn clock(d: Duration) -> String {
    let s = d.as_secs_f64();
    format!("{:02}:{:04.1}", (s / 60.0) as u64, s % 60.0)
}

fn rate(bps: f64) -> String {
    if bps >= 1e9 {
        format!("{:.1} Gbit/s", bps / 1e9)
    } else if bps >= 1e6 {
        format!("{:.1} Mbit/s", bps / 1e6)
    } else {
        format!("{:.0} kbit/s", bps / 1e3)
    }
}

/// `▶ 00:05.2 / 00:20.0  video 1200 kbit/s  buffer 12.3 s  bandwidth 5.4 Mbit/s  dropped 0`
pub fn format_status(s: &Status) -> String {
    // Live: the distance to the edge instead of position / duration.
    let total = s.duration.map(clock).unwrap_or_else(|| "--:--".into());
    let where_ = match s.live_edge_distance {
        Some(d) => format!("LIVE -{:.1} s", d.as_secs_f64()),
        None => format!("{} / {}", clock(s.position), total),
    };
    let level = s.video_bitrate.map(|b| format!("{} kbit/s", b / 1000)).unwrap_or_else(|| "-".into());
    let bw = s.bandwidth_bps.map(rate).unwrap_or_else(|| "-".into());
    format!(
        "{} {}  video {}  buffer {:.1} s  bandwidth {}  dropped {}",
        if s.paused { "⏸" } else { "▶" },
        where_,
        level,
        s.buffer.as_secs_f64(),
        bw,
        s.frames_dropped
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_shows_position_level_buffer_bandwidth() {
        let s = Status {
            position: Duration::from_millis(65_200),
            duration: Some(Duration::from_secs(120)),
            video_bitrate: Some(1_200_000),
            buffer: Duration::from_millis(12_340),
            bandwidth_bps: Some(5_400_000.0),
            frames_dropped: 3,
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
        };
        assert_eq!(format_status(&s), "▶ 01:05.2 / 02:00.0  video 1200 kbit/s  buffer 12.3 s  bandwidth 5.4 Mbit/s  dropped 3");
        let live = Status { live_edge_distance: Some(Duration::from_millis(3_240)), duration: None, ..s.clone() };
        assert_eq!(format_status(&live), "▶ LIVE -3.2 s  video 1200 kbit/s  buffer 12.3 s  bandwidth 5.4 Mbit/s  dropped 3");
        assert_eq!(rate(3.5e9), "3.5 Gbit/s");
        assert_eq!(rate(640_000.0), "640 kbit/s");
    }
}
