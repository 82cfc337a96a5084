//! `--captions-out FILE.srt|FILE.vtt`: the cues that played, written when playback ends.

use std::path::{Path, PathBuf};

use smoothplay_engine::session::PlayerEvent;
use smoothplay_engine::text::{write_srt, write_webvtt, Cue};

/// The output format, from the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SubRip (`.srt`).
    Srt,
    /// WebVTT (`.vtt`).
    WebVtt,
}

impl Format {
    /// `.srt` or `.vtt` (any case); anything else is an error message.
    pub fn of(path: &Path) -> Result<Format, String> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("srt") => Ok(Format::Srt),
            Some("vtt") => Ok(Format::WebVtt),
            _ => Err(format!("--captions-out {}: the file name must end in .srt or .vtt", path.display())),
        }
    }
}

/// Collects the cues that played.
#[derive(Debug)]
pub struct CaptionsOut {
    path: PathBuf,
    format: Format,
    cues: Vec<Cue>,
}

impl CaptionsOut {
    /// For `path` (its extension gives the format).
    pub fn new(path: &Path) -> Result<CaptionsOut, String> {
        Ok(CaptionsOut { path: path.to_path_buf(), format: Format::of(path)?, cues: Vec::new() })
    }

    /// Keeps each [`PlayerEvent::Cue`] (once: a cue played again after a seek back is
    /// not repeated).
    pub fn on_event(&mut self, e: &PlayerEvent) {
        if let PlayerEvent::Cue { cue, .. } = e {
            if !self.cues.iter().any(|c| c.start == cue.start && c.end == cue.end && c.text == cue.text) {
                self.cues.push(cue.clone());
            }
        }
    }

    /// The file's text: the cues in time order.
    pub fn render(&self) -> String {
        let mut cues = self.cues.clone();
        cues.sort_by_key(|c| (c.start, c.end));
        match self.format {
            Format::Srt => write_srt(&cues),
            Format::WebVtt => write_webvtt(&cues),
        }
    }

    /// Writes the file.
    pub fn write(&self) -> Result<(), String> {
        std::fs::write(&self.path, self.render()).map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cue(start: u64, text: &str) -> PlayerEvent {
        let cue = Cue { start: Duration::from_millis(start), end: Duration::from_millis(start + 1000), text: text.into(), italic: false, color: None, region: None, spans: Vec::new() };
        PlayerEvent::Cue { track: "t".into(), cue }
    }

    #[test]
    fn formats_by_extension_in_time_order_without_repeats() {
        assert!(CaptionsOut::new(Path::new("x.txt")).is_err());
        let mut c = CaptionsOut::new(Path::new("x.SRT")).unwrap();
        for e in [cue(2000, "b"), cue(500, "a"), cue(2000, "b")] {
            c.on_event(&e);
        }
        assert_eq!(c.render(), "1\n00:00:00,500 --> 00:00:01,500\na\n\n2\n00:00:02,000 --> 00:00:03,000\nb\n\n");
        let mut v = CaptionsOut::new(Path::new("x.vtt")).unwrap();
        v.on_event(&cue(500, "a"));
        assert!(v.render().starts_with("WEBVTT"), "{}", v.render());
    }
}
