//! Command-line options.

use std::path::PathBuf;

use clap::Parser;
use smoothplay_engine::schedule::LevelPin;

/// Play a Microsoft Smooth Streaming presentation.
///
/// URL is an http(s) manifest URL (`.../Name.ism/Manifest`; a URL ending in `.ism` gets
/// `/Manifest` appended), a `file://` URL, a presentation directory or a manifest file.
/// With no URL, the bundled demo in assets/ plays.
#[derive(Debug, Clone, Parser)]
#[command(name = "smoothplay", version)]
pub struct Cli {
    /// Manifest URL or local presentation (default: the bundled demo).
    pub url: Option<String>,

    /// No window and no audio device: decode and pace against a software clock (also
    /// what happens when there is no display: DISPLAY and WAYLAND_DISPLAY unset).
    #[arg(long)]
    pub headless: bool,

    /// Decode as fast as possible: no pacing, no dropped frames.
    #[arg(long)]
    pub untimed: bool,

    /// Video level: auto, min, max, or a bitrate in bit/s (the highest level at or below
    /// it is pinned; `400k` and `1.5M` style suffixes are accepted).
    #[arg(long, value_name = "auto|min|max|BPS", default_value = "auto", value_parser = parse_pin)]
    pub video_bitrate: LevelPin,

    /// Quality-selection algorithm used when --video-bitrate is auto: smoothplay, or one of
    /// the published rules throughput, bba, bola, bolae, dynamic, dynamicdash, robustmpc,
    /// classic, or the research selectors scenario and mdp (see heuristics/README.md);
    /// smoothplay-outages on links known to go dark for seconds (trains, tunnels): it
    /// rebuffers far less through outages and costs quality on plain links.
    #[arg(long, value_name = "NAME", default_value = smoothplay_engine::heuristics::DEFAULT_ALGORITHM)]
    pub abr: String,

    /// Forward buffer: stop fetching this many seconds ahead of the playhead.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub buffer: f64,

    /// Start at this position (seconds, or MM:SS(.s)). Live: a negative value starts that
    /// far behind the live edge (`--start -30`); a positive one is a position on the
    /// presentation's timeline, clamped to the DVR window.
    #[arg(long, value_name = "TIME", value_parser = parse_start, allow_hyphen_values = true)]
    pub start: Option<Start>,

    /// Speed at start: 0.25 to 4 plays every frame at that rate; above 4 (up to 32) fast
    /// forwards and below zero (-2 to -32) rewinds showing key frames only (trick play;
    /// live: within the DVR window, fast forward into the edge goes live; audio is paused;
    /// `BS` or `set speed 1` returns to normal play at the picture shown). Keys `>`/`<`
    /// step through the trick speeds.
    #[arg(long, value_name = "X", default_value_t = 1.0, allow_hyphen_values = true, value_parser = parse_speed)]
    pub speed: f64,

    /// Stop after playing this many seconds (live or on-demand); statistics are written.
    #[arg(long, value_name = "SECONDS", value_parser = parse_time)]
    pub duration: Option<std::time::Duration>,

    /// Live: target distance to the live edge in seconds (mean distance to the end of the
    /// newest fragment on the server). Default: 1.5 fragment durations (3 s for 2 s
    /// fragments); about 0.75 fragment is the lowest that plays without stalls on a good
    /// link.
    #[arg(long, value_name = "SECONDS", value_parser = parse_time)]
    pub live_delay: Option<std::time::Duration>,

    /// Live: end (exit 0) when no new fragment has arrived for this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = parse_time, default_value = "60")]
    pub live_idle_timeout: std::time::Duration,

    /// Another origin serving the same presentation with the same paths (the manifest's
    /// base URL, e.g. http://backup/live.ism/); requests move there after the first
    /// origin keeps failing. Repeat for more.
    #[arg(long, value_name = "URL")]
    pub origin_fallback: Vec<String>,

    /// Write one line per decoded video frame in ffmpeg's `-f framemd5` format.
    #[arg(long, value_name = "FILE")]
    pub framemd5: Option<PathBuf>,

    /// Write decoded video as YUV4MPEG2 (later frames are scaled to the first frame's size).
    #[arg(long, value_name = "FILE.y4m")]
    pub dump_video: Option<PathBuf>,

    /// Write playback statistics as JSON.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,

    /// Content key for a protected presentation, as KID:KEY in hex (the KID in either
    /// byte order: PlayReady GUID or CENC). Repeat for several keys.
    #[arg(long = "key", value_name = "KID:KEY")]
    pub keys: Vec<String>,

    /// File of content keys: one KID:KEY per line, `#` starts a comment.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// W3C ClearKey license server: the manifest's KIDs are POSTed as a JSON license
    /// request and the keys read from the JSON Web Key set it answers.
    #[arg(long, value_name = "URL")]
    pub clearkey_url: Option<String>,

    /// Listen for mpv-style JSON IPC commands on this Unix socket (the subset in the
    /// README's "Scripting: mpv's JSON IPC"); several clients may connect.
    #[arg(long, value_name = "PATH")]
    pub input_ipc_server: Option<PathBuf>,

    /// Print every track of the presentation (video angles, audio languages, captions,
    /// sparse marker streams) with its name, language, subtype and levels, and exit. `*`
    /// marks the tracks that would play with the other options given.
    #[arg(long)]
    pub list_tracks: bool,

    /// Video track (camera angle) to play, by its Name in --list-tracks (default: the
    /// first).
    #[arg(long, value_name = "NAME")]
    pub video_track: Option<String>,

    /// Audio track to play, by its Name in --list-tracks.
    #[arg(long, value_name = "NAME")]
    pub audio_track: Option<String>,

    /// Audio language to play (en, eng, fr-CA...: the primary language is compared).
    /// Default: the system locale's (LC_ALL, LC_MESSAGES, LANG) when a track has it, else
    /// the first audio track.
    #[arg(long, value_name = "LANG")]
    pub audio_lang: Option<String>,

    /// Caption/subtitle track, by Name: its cues are shown at the bottom of the window and
    /// written by --captions-out (default: captions off).
    #[arg(long, value_name = "NAME")]
    pub text_track: Option<String>,

    /// Caption/subtitle language (default: captions off).
    #[arg(long, value_name = "LANG")]
    pub text_lang: Option<String>,

    /// Write the captions that played to this file: SubRip for `.srt`, WebVTT for `.vtt`
    /// (with --text-track/--text-lang).
    #[arg(long, value_name = "FILE.srt|FILE.vtt")]
    pub captions_out: Option<PathBuf>,

    /// Write playback events as JSON lines (start, first_frame, level_switch, rebuffers,
    /// dropped frames, download errors, cues, markers, periodic summaries, end): see the
    /// README's "Events log".
    #[arg(long, value_name = "FILE.jsonl")]
    pub events_log: Option<PathBuf>,

    /// Print the key bindings and exit.
    #[arg(long)]
    pub list_keys: bool,

    /// Window size in logical pixels, WxH (default 960x540).
    #[arg(long, value_name = "WxH", value_parser = parse_geometry)]
    pub geometry: Option<(u32, u32)>,

    /// Start in fullscreen (f or a double click toggles it).
    #[arg(long)]
    pub fullscreen: bool,

    /// Sound card for the window mode: a device name from `--audio-device help` (default:
    /// the system's default output).
    #[arg(long, value_name = "NAME")]
    pub audio_device: Option<String>,

    /// No sound in the window mode (video runs on the software clock).
    #[arg(long)]
    pub no_audio: bool,

    /// No on-screen display (seek bar, messages, stats) in the window.
    #[arg(long)]
    pub no_osd: bool,

    /// No status line.
    #[arg(long, short)]
    pub quiet: bool,

    /// Log more (repeat for more detail); RUST_LOG overrides.
    #[arg(long, short, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Cli {
    /// The track choices given on the command line.
    pub fn track_preferences(&self) -> smoothplay_engine::session::TrackPreferences {
        smoothplay_engine::session::TrackPreferences {
            video_track: self.video_track.clone(),
            audio_track: self.audio_track.clone(),
            audio_lang: self.audio_lang.clone(),
            text_track: self.text_track.clone(),
            text_lang: self.text_lang.clone(),
            ..Default::default()
        }
    }
}

/// Where to start: a position, or (live) a distance behind the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A position on the timeline.
    At(std::time::Duration),
    /// This far behind the live edge.
    BehindLive(std::time::Duration),
}

fn parse_start(s: &str) -> Result<Start, String> {
    match s.trim().strip_prefix('-') {
        Some(rest) => parse_time(rest).map(Start::BehindLive),
        None => parse_time(s).map(Start::At),
    }
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("not a speed: {s:?}"))?;
    if !v.is_finite() || v == 0.0 || !(-32.0..=32.0).contains(&v) {
        return Err(format!("speed {s}: give 0.25 to 32, or -2 to -32 to rewind"));
    }
    Ok(v)
}

fn parse_pin(s: &str) -> Result<LevelPin, String> {
    if let Some(m) = s.strip_suffix(['M', 'm']).and_then(|n| n.parse::<f64>().ok()) {
        return Ok(LevelPin::AtMostBps((m * 1e6) as u64));
    }
    s.parse()
}

/// Seconds (`12.5`) or `MM:SS(.s)` or `HH:MM:SS(.s)`.
pub fn parse_time(s: &str) -> Result<std::time::Duration, String> {
    let mut secs = 0f64;
    for part in s.split(':') {
        let v: f64 = part.trim().parse().map_err(|_| format!("invalid time {s:?}: use seconds (12.5) or MM:SS"))?;
        if !(v >= 0.0 && v.is_finite()) {
            return Err(format!("invalid time {s:?}: must be positive"));
        }
        secs = secs * 60.0 + v;
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_pins_parse() {
        assert_eq!(parse_time("12.5").unwrap(), std::time::Duration::from_millis(12_500));
        assert_eq!(parse_time("1:02.5").unwrap(), std::time::Duration::from_millis(62_500));
        assert!(parse_time("x").is_err());
        assert_eq!(parse_pin("1.5M").unwrap(), LevelPin::AtMostBps(1_500_000));
        assert_eq!(parse_pin("min").unwrap(), LevelPin::Min);
        assert_eq!(parse_start("-30").unwrap(), Start::BehindLive(std::time::Duration::from_secs(30)));
        assert_eq!(parse_start("1:00").unwrap(), Start::At(std::time::Duration::from_secs(60)));
        let cli = Cli::try_parse_from(["smoothplay", "--start", "-1:30", "--live-delay", "1.5", "x"]).unwrap();
        assert_eq!(cli.start, Some(Start::BehindLive(std::time::Duration::from_secs(90))));
        assert_eq!(cli.live_delay, Some(std::time::Duration::from_millis(1500)));
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

/// `WxH`, both at least 1.
pub fn parse_geometry(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("expected WxH, like 960x540, not {s:?}"))?;
    let n = |v: &str| v.trim().parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| format!("expected WxH with positive integers, like 960x540, not {s:?}"));
    Ok((n(w)?, n(h)?))
}
