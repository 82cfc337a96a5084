//! The player's command set, shared by the keyboard (a window), the JSON IPC and the
//! embedding code: [`PlayerCommand`], mpv's text command syntax parsed into it
//! ([`parse`]), the one key-binding table ([`BINDINGS`]), and the [`Controller`] that
//! carries commands out against the session and the shared [`PlayerState`].
//!
//! Keys are bound to *text commands* as in mpv's `input.conf`, so a key and an IPC
//! `command` array go through the same parser.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use smoothplay_engine::playout::{MAX_TRICK_SPEED, MIN_RATE, MIN_TRICK_SPEED};
use smoothplay_engine::session::{Command, TrackChoice, TrackType};
use tokio::sync::mpsc::UnboundedSender;

use crate::state::PlayerState;

/// Highest volume, in percent (mpv's default `--volume-max`).
pub const VOLUME_MAX: f64 = 130.0;

/// Something the user (a key, an IPC client, the API) asks of the player.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerCommand {
    /// A command the engine carries out as it is.
    Engine(Command),
    /// Pause when playing, play when paused.
    TogglePause,
    /// Seek to a percentage of the presentation (`relative`: by a percentage).
    SeekPercent {
        /// Percent of the duration.
        percent: f64,
        /// From the playhead rather than from the start.
        relative: bool,
    },
    /// Multiply the playback speed (0.25 to 4 plays every frame; beyond 4, up to 32, or
    /// negative, down to -32, is the engine's key-frame-only trick play).
    MultiplySpeed(f64),
    /// Add to the playback speed (as [`PlayerCommand::MultiplySpeed`] clamps it).
    AddSpeed(f64),
    /// Fast forward (`forward`) or rewind one step faster: 2x, 4x, 8x, 16x, 32x forward,
    /// -2x .. -32x back (from the other direction or normal play, the first step).
    Trick {
        /// Forward rather than back.
        forward: bool,
    },
    /// Volume in percent, 0 to [`VOLUME_MAX`] (clamped).
    SetVolume(f64),
    /// Add percentage points to the volume (clamped).
    AddVolume(f64),
    /// Multiply the volume (clamped).
    MultiplyVolume(f64),
    /// Mute or unmute.
    SetMute(bool),
    /// Flip mute.
    ToggleMute,
    /// Enter or leave fullscreen (a window's business; headless it is only remembered).
    SetFullscreen(bool),
    /// Flip fullscreen.
    ToggleFullscreen,
    /// Show or hide the on-screen statistics (a window's business).
    SetStats(bool),
    /// Flip the on-screen statistics.
    ToggleStats,
    /// Draw captions or not (mpv's `sub-visibility`; the track keeps playing).
    SetSubVisibility(bool),
    /// Flip caption visibility (`v`).
    ToggleSubVisibility,
    /// The next caption track, then off, then the first again (mpv's `cycle sid`, `j`).
    CycleSid,
    /// Write the picture on screen as a PNG: to this file, or (`None`) to the next free
    /// `smoothplay-shotNNNN.png` in the current directory.
    Screenshot(Option<PathBuf>),
    /// End playback and exit.
    Quit,
}

/// Why a command was not carried out. [`CommandError::mpv_error`] is the matching error
/// string of mpv's client API, which the IPC replies with.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandError {
    /// No such command.
    UnknownCommand(String),
    /// A missing, extra or malformed argument.
    InvalidParameter(String),
    /// No such property.
    PropertyNotFound(String),
    /// The property exists but has no value now (the duration of a live stream...).
    PropertyUnavailable(String),
    /// The property cannot be set, or not to that value.
    PropertyError(String),
    /// The command was understood but failed (no picture to screenshot, playback ended...).
    Failed(String),
}

impl CommandError {
    /// mpv's `mpv_error_string` for this error. mpv answers an unknown command with
    /// "invalid parameter" too, and so do we.
    pub fn mpv_error(&self) -> &'static str {
        match self {
            CommandError::UnknownCommand(_) | CommandError::InvalidParameter(_) => "invalid parameter",
            CommandError::PropertyNotFound(_) => "property not found",
            CommandError::PropertyUnavailable(_) => "property unavailable",
            CommandError::PropertyError(_) => "error accessing property",
            CommandError::Failed(_) => "error running command",
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownCommand(c) => write!(f, "unknown command {c:?}"),
            CommandError::InvalidParameter(why) => write!(f, "invalid parameter: {why}"),
            CommandError::PropertyNotFound(p) => write!(f, "property {p:?} not found"),
            CommandError::PropertyUnavailable(p) => write!(f, "property {p:?} unavailable"),
            CommandError::PropertyError(why) => write!(f, "{why}"),
            CommandError::Failed(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for CommandError {}

/// One key binding: mpv's key name, the text command it runs, what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Key name as in mpv's `input.conf` (`SPACE`, `LEFT`, `BS`, `ESC`, `END`, `q`, `[`...).
    pub key: &'static str,
    /// The command text, parsed with [`parse`].
    pub command: &'static str,
    /// One line for `--list-keys` and help screens.
    pub help: &'static str,
}

const fn bind(key: &'static str, command: &'static str, help: &'static str) -> Binding {
    Binding { key, command, help }
}

/// The key bindings, mpv's defaults where mpv has one.
pub const BINDINGS: &[Binding] = &[
    bind("SPACE", "cycle pause", "pause / play"),
    bind("p", "cycle pause", "pause / play"),
    bind("LEFT", "seek -5", "back 5 s"),
    bind("RIGHT", "seek 5", "forward 5 s"),
    bind("DOWN", "seek -60", "back 60 s"),
    bind("UP", "seek 60", "forward 60 s"),
    bind("[", "multiply speed 1/1.1", "slower (speed x0.9091)"),
    bind("]", "multiply speed 1.1", "faster (speed x1.1)"),
    bind("{", "multiply speed 0.5", "half speed"),
    bind("}", "multiply speed 2.0", "double speed"),
    bind("BS", "set speed 1.0", "normal speed"),
    // Not mpv's: it has no trick play.
    bind(">", "fast-forward", "fast forward: 2x, 4x, then key frames only at 8x, 16x, 32x"),
    bind("<", "rewind", "rewind (key frames only): -2x, -4x .. -32x"),
    bind("9", "add volume -2", "volume down 2 %"),
    bind("0", "add volume 2", "volume up 2 %"),
    bind("m", "cycle mute", "mute / unmute"),
    bind("f", "cycle fullscreen", "fullscreen on / off"),
    bind("ESC", "set fullscreen no", "leave fullscreen"),
    bind("v", "cycle sub-visibility", "captions shown / hidden"),
    bind("j", "cycle sid", "next caption track (then off)"),
    bind("i", "script-binding stats/display-stats-toggle", "statistics on / off"),
    bind("s", "screenshot", "screenshot to smoothplay-shotNNNN.png"),
    bind("#", "cycle audio", "next audio track (language), from the next fragment"),
    bind("_", "cycle video", "next video track (camera angle), from the next fragment"),
    bind("END", "go-live", "live: back to the live edge"),
    bind("q", "quit", "quit"),
];

/// The binding of a key (mpv's key name; letters are case-sensitive, names are not).
#[allow(dead_code)] // for the window's keys
pub fn binding(key: &str) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.key == key).or_else(|| BINDINGS.iter().find(|b| b.key.len() > 1 && b.key.eq_ignore_ascii_case(key)))
}

/// The command bound to a key, parsed.
#[allow(dead_code)] // for the window's keys
pub fn command_for_key(key: &str) -> Option<PlayerCommand> {
    binding(key).and_then(|b| parse(b.command).ok())
}

/// The binding table as `--list-keys` prints it.
pub fn bindings_help() -> String {
    let key_w = BINDINGS.iter().map(|b| b.key.len()).max().unwrap_or(0);
    let cmd_w = BINDINGS.iter().map(|b| b.command.len()).max().unwrap_or(0);
    BINDINGS.iter().map(|b| format!("{:key_w$}  {:cmd_w$}  {}\n", b.key, b.command, b.help)).collect()
}

/// Parses one command in mpv's text syntax (`seek -5`, `cycle pause`, `add volume 2`,
/// `set speed 1`, `screenshot-to-file "a b.png"`). Prefixes such as `no-osd` are
/// accepted and ignored; arguments are split on blanks, with `"..."` (backslash escapes)
/// and `'...'` quoting.
pub fn parse(text: &str) -> Result<PlayerCommand, CommandError> {
    parse_args(&split(text)?)
}

/// Parses a command given as its name and arguments (an IPC `command` array, each
/// element already turned into text).
pub fn parse_args<S: AsRef<str>>(args: &[S]) -> Result<PlayerCommand, CommandError> {
    const PREFIXES: &[&str] = &["no-osd", "osd-auto", "osd-bar", "osd-msg", "osd-msg-bar", "raw", "expand-properties", "repeatable", "nonrepeatable", "async", "sync"];
    let mut args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    while args.first().is_some_and(|a| PREFIXES.contains(a)) {
        args.remove(0);
    }
    let Some((&name, rest)) = args.split_first() else {
        return Err(CommandError::InvalidParameter("empty command".into()));
    };
    let arg = |i: usize| rest.get(i).copied();
    let max_args = |n: usize| {
        if rest.len() > n {
            Err(CommandError::InvalidParameter(format!("{name}: too many arguments")))
        } else {
            Ok(())
        }
    };
    let need = |i: usize, what: &str| arg(i).ok_or_else(|| CommandError::InvalidParameter(format!("{name}: missing {what}")));
    match name {
        "seek" => {
            max_args(2)?;
            let amount = number(need(0, "target")?)?;
            let mut relative = true;
            let mut percent = false;
            // mpv's flags combine with '+': `absolute+exact`; exact/keyframes do not
            // matter here (every seek is exact).
            for flag in arg(1).unwrap_or("relative").split('+') {
                match flag {
                    "relative" => (relative, percent) = (true, false),
                    "absolute" => (relative, percent) = (false, false),
                    "absolute-percent" => (relative, percent) = (false, true),
                    "relative-percent" => (relative, percent) = (true, true),
                    "exact" | "keyframes" | "default-precise" => {}
                    other => return Err(CommandError::InvalidParameter(format!("seek: unknown flag {other:?}"))),
                }
            }
            Ok(match (relative, percent) {
                (_, true) => PlayerCommand::SeekPercent { percent: amount, relative },
                (true, false) => PlayerCommand::Engine(Command::SeekBy(amount)),
                (false, false) => PlayerCommand::Engine(Command::Seek(Duration::from_secs_f64(amount.max(0.0)))),
            })
        }
        "set" => {
            max_args(2)?;
            set_property(need(0, "property")?, need(1, "value")?)
        }
        "add" => {
            max_args(2)?;
            let by = arg(1).map(number).transpose()?.unwrap_or(1.0);
            match need(0, "property")? {
                "volume" => Ok(PlayerCommand::AddVolume(by)),
                "speed" => Ok(PlayerCommand::AddSpeed(by)),
                "time-pos" | "playback-time" => Ok(PlayerCommand::Engine(Command::SeekBy(by))),
                p => Err(not_settable(p, "add")),
            }
        }
        "multiply" => {
            max_args(2)?;
            let by = number(need(1, "factor")?)?;
            match need(0, "property")? {
                "volume" => Ok(PlayerCommand::MultiplyVolume(by)),
                "speed" => Ok(PlayerCommand::MultiplySpeed(by)),
                p => Err(not_settable(p, "multiply")),
            }
        }
        "cycle" => {
            max_args(2)?;
            if let Some(dir) = arg(1) {
                if dir != "up" && dir != "down" {
                    return Err(CommandError::InvalidParameter(format!("cycle: {dir:?} is neither up nor down")));
                }
            }
            match need(0, "property")? {
                "pause" => Ok(PlayerCommand::TogglePause),
                "mute" => Ok(PlayerCommand::ToggleMute),
                "fullscreen" | "fs" => Ok(PlayerCommand::ToggleFullscreen),
                "stats" => Ok(PlayerCommand::ToggleStats),
                // mpv's `cycle audio`/`cycle video` (`aid`, `vid`): the next track.
                "audio" | "aid" => Ok(switch(TrackType::Audio, TrackChoice::Next)),
                "video" | "vid" => Ok(switch(TrackType::Video, TrackChoice::Next)),
                "sub-visibility" => Ok(PlayerCommand::ToggleSubVisibility),
                "sid" | "sub" => Ok(PlayerCommand::CycleSid),
                p => Err(not_settable(p, "cycle")),
            }
        }
        "script-binding" => {
            max_args(1)?;
            match need(0, "binding")? {
                "stats/display-stats-toggle" | "stats/display-stats" | "display-stats-toggle" => Ok(PlayerCommand::ToggleStats),
                b => Err(CommandError::InvalidParameter(format!("script-binding: no binding {b:?}"))),
            }
        }
        "screenshot" => {
            max_args(1)?;
            Ok(PlayerCommand::Screenshot(None))
        }
        "screenshot-to-file" => {
            max_args(2)?;
            Ok(PlayerCommand::Screenshot(Some(PathBuf::from(need(0, "file name")?))))
        }
        "fast-forward" | "rewind" => {
            max_args(0)?;
            Ok(PlayerCommand::Trick { forward: name == "fast-forward" })
        }
        "instant-replay" => {
            max_args(1)?;
            let secs: f64 = arg(0).unwrap_or("10").parse().map_err(|_| CommandError::InvalidParameter(format!("instant-replay: not a number of seconds: {:?}", arg(0))))?;
            if !secs.is_finite() || secs < 0.0 {
                return Err(CommandError::InvalidParameter(format!("instant-replay {secs}")));
            }
            Ok(PlayerCommand::Engine(Command::InstantReplay(Duration::from_secs_f64(secs))))
        }
        "go-live" => {
            max_args(0)?;
            Ok(PlayerCommand::Engine(Command::GoLive))
        }
        // Without --idle, mpv's `stop` ends the player as `quit` does. An exit code
        // argument is accepted; the player exits 0 (it stopped as asked).
        // mpv's `keypress KEY`: what that key is bound to (scripts drive players this way).
        "keypress" => {
            max_args(1)?;
            let key = need(0, "key")?;
            command_for_key(key).ok_or_else(|| CommandError::InvalidParameter(format!("no binding for key {key:?} (--list-keys)")))
        }
        "quit" | "quit-watch-later" | "stop" => {
            max_args(1)?;
            Ok(PlayerCommand::Quit)
        }
        other => Err(CommandError::UnknownCommand(other.to_string())),
    }
}

/// A speed the engine takes: 0.25..=4 (every frame), or trick play up to 32 forward and
/// from -2 to -32 back (zero and -2..0 are taken as -2: rewind at the slowest).
fn player_speed(s: f64) -> f64 {
    if s > 0.0 {
        s.clamp(MIN_RATE, MAX_TRICK_SPEED)
    } else if s == 0.0 {
        MIN_RATE
    } else {
        s.clamp(-MAX_TRICK_SPEED, -MIN_TRICK_SPEED)
    }
}

/// The next fast-forward (or rewind) speed from `speed`.
fn trick_step(speed: f64, forward: bool) -> f64 {
    let first = if forward { MIN_TRICK_SPEED } else { -MIN_TRICK_SPEED };
    if (speed > 0.0) != forward || speed.abs() < MIN_TRICK_SPEED {
        first
    } else {
        (speed * 2.0).clamp(-MAX_TRICK_SPEED, MAX_TRICK_SPEED)
    }
}

fn switch(kind: TrackType, track: TrackChoice) -> PlayerCommand {
    PlayerCommand::Engine(Command::SwitchTrack { kind, track })
}

/// The command that sets a property to a value given as text (`set NAME VALUE`, IPC
/// `set_property`): `pause`, `speed`, `volume`, `mute`, `fullscreen`, `time-pos`,
/// `percent-pos`, `aid`/`vid` (a track's name; audio also a language).
pub fn set_property(name: &str, value: &str) -> Result<PlayerCommand, CommandError> {
    match name {
        "pause" => Ok(PlayerCommand::Engine(if flag(value)? { Command::Pause } else { Command::Resume })),
        "speed" => Ok(PlayerCommand::Engine(Command::SetSpeed(number(value)?))),
        "volume" => Ok(PlayerCommand::SetVolume(number(value)?)),
        "mute" => Ok(PlayerCommand::SetMute(flag(value)?)),
        "fullscreen" | "fs" => Ok(PlayerCommand::SetFullscreen(flag(value)?)),
        "stats" => Ok(PlayerCommand::SetStats(flag(value)?)),
        "sub-visibility" => Ok(PlayerCommand::SetSubVisibility(flag(value)?)),
        // mpv's `sid`: a track (here by Name or language), or `no` for none.
        "sid" | "sub" => Ok(PlayerCommand::Engine(Command::SetTextTrack(match value {
            "no" | "false" | "off" => None,
            name => Some(name.to_string()),
        }))),
        "time-pos" | "playback-time" => Ok(PlayerCommand::Engine(Command::Seek(Duration::from_secs_f64(number(value)?.max(0.0))))),
        "percent-pos" => Ok(PlayerCommand::SeekPercent { percent: number(value)?, relative: false }),
        "aid" | "audio" => Ok(switch(TrackType::Audio, TrackChoice::Name(value.to_string()))),
        "vid" | "video" => Ok(switch(TrackType::Video, TrackChoice::Name(value.to_string()))),
        p => Err(not_settable(p, "set")),
    }
}

fn not_settable(property: &str, how: &str) -> CommandError {
    if crate::ipc::properties::is_known(property) {
        CommandError::PropertyError(format!("property {property:?} cannot be changed with {how}"))
    } else {
        CommandError::PropertyNotFound(property.to_string())
    }
}

/// A number as mpv writes them: `5`, `-60`, `1.1`, or a fraction `1/1.1`.
fn number(s: &str) -> Result<f64, CommandError> {
    let parse = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let v = match s.split_once('/') {
        Some((a, b)) => parse(a).zip(parse(b)).filter(|(_, b)| *b != 0.0).map(|(a, b)| a / b),
        None => parse(s),
    };
    v.ok_or_else(|| CommandError::InvalidParameter(format!("{s:?} is not a number")))
}

/// A flag as mpv writes them: `yes`/`no` (also `true`/`false`).
fn flag(s: &str) -> Result<bool, CommandError> {
    match s {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(CommandError::InvalidParameter(format!("{s:?} is neither yes nor no"))),
    }
}

/// Splits command text into arguments: blanks separate, `"..."` (with `\"`, `\\`, `\n`
/// escapes) and `'...'` quote.
fn split(text: &str) -> Result<Vec<String>, CommandError> {
    let mut args = Vec::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut arg = String::new();
        match c {
            '"' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => arg.push('\n'),
                            Some('t') => arg.push('\t'),
                            Some(e @ ('"' | '\\')) => arg.push(e),
                            Some(e) => return Err(CommandError::InvalidParameter(format!("unknown escape \\{e}"))),
                            None => return Err(CommandError::InvalidParameter("unterminated quote".into())),
                        },
                        Some(ch) => arg.push(ch),
                        None => return Err(CommandError::InvalidParameter("unterminated quote".into())),
                    }
                }
            }
            '\'' => {
                chars.next();
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => arg.push(ch),
                        None => return Err(CommandError::InvalidParameter("unterminated quote".into())),
                    }
                }
            }
            _ => {
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() {
                        break;
                    }
                    arg.push(ch);
                    chars.next();
                }
            }
        }
        args.push(arg);
    }
    Ok(args)
}

/// What the front end (a window, or the headless player) does for the commands that
/// concern it. Volume, mute, fullscreen and stats are kept in the [`PlayerState`] in
/// any case; the hooks are told of changes.
pub trait Frontend: Send + Sync {
    /// Writes the picture on screen to `path` as a PNG.
    fn screenshot(&self, path: &Path) -> Result<(), String>;
    /// Fullscreen was switched on or off.
    fn fullscreen_changed(&self, _on: bool) {}
    /// On-screen statistics were switched on or off.
    fn stats_changed(&self, _on: bool) {}
    /// Volume (percent) or mute changed.
    fn volume_changed(&self, _volume: f64, _mute: bool) {}
    /// Captions were shown or hidden.
    fn sub_visibility_changed(&self, _on: bool) {}
    /// A short message for the on-screen display (a seek, from a key, the mouse or the
    /// IPC alike).
    fn message(&self, _text: String) {}
}

/// Carries out [`PlayerCommand`]s: engine commands go to the session's command channel,
/// player-level ones to the [`PlayerState`] and the [`Frontend`]. Cheap to clone; share
/// one between the keyboard and the IPC server.
#[derive(Clone)]
pub struct Controller {
    state: Arc<PlayerState>,
    engine: UnboundedSender<Command>,
    frontend: Arc<dyn Frontend>,
}

impl Controller {
    /// A controller sending engine commands to `engine` (the sender whose receiver was
    /// given to `Session::play`).
    pub fn new(state: Arc<PlayerState>, engine: UnboundedSender<Command>, frontend: Arc<dyn Frontend>) -> Self {
        Controller { state, engine, frontend }
    }

    /// The shared state this controller updates.
    pub fn state(&self) -> &Arc<PlayerState> {
        &self.state
    }

    /// Carries out one command. It may block (a screenshot encodes a PNG): from async
    /// code, call it through `spawn_blocking`.
    pub fn apply(&self, command: PlayerCommand) -> Result<(), CommandError> {
        match command {
            PlayerCommand::Engine(c) => self.engine(c),
            PlayerCommand::TogglePause => {
                let paused = self.state.snapshot().paused().unwrap_or(false);
                self.engine(if paused { Command::Resume } else { Command::Pause })
            }
            PlayerCommand::SeekPercent { percent, relative } => {
                let duration = self.state.snapshot().duration().ok_or_else(|| CommandError::Failed("the duration is not known (live, or not started)".into()))?;
                let secs = duration.as_secs_f64() * percent / 100.0;
                self.engine(if relative { Command::SeekBy(secs) } else { Command::Seek(Duration::from_secs_f64(secs.max(0.0))) })
            }
            PlayerCommand::MultiplySpeed(f) => {
                let speed = self.state.snapshot().speed();
                self.engine(Command::SetSpeed(speed * f))
            }
            PlayerCommand::AddSpeed(d) => {
                let speed = self.state.snapshot().speed();
                self.engine(Command::SetSpeed(speed + d))
            }
            PlayerCommand::Trick { forward } => {
                let speed = self.state.snapshot().speed();
                self.engine(Command::SetSpeed(trick_step(speed, forward)))
            }
            PlayerCommand::SetVolume(v) => self.volume(|_| v, None),
            PlayerCommand::AddVolume(d) => self.volume(|v| v + d, None),
            PlayerCommand::MultiplyVolume(f) => self.volume(|v| v * f, None),
            PlayerCommand::SetMute(m) => self.volume(|v| v, Some(m)),
            PlayerCommand::ToggleMute => {
                let m = self.state.snapshot().mute;
                self.volume(|v| v, Some(!m))
            }
            PlayerCommand::SetFullscreen(on) => {
                self.state.update(|s| s.fullscreen = on);
                self.frontend.fullscreen_changed(on);
                Ok(())
            }
            PlayerCommand::ToggleFullscreen => {
                let on = !self.state.snapshot().fullscreen;
                self.apply(PlayerCommand::SetFullscreen(on))
            }
            PlayerCommand::SetStats(on) => {
                self.state.update(|s| s.stats = on);
                self.frontend.stats_changed(on);
                Ok(())
            }
            PlayerCommand::SetSubVisibility(on) => {
                self.state.update(|s| s.sub_visibility = on);
                self.frontend.sub_visibility_changed(on);
                Ok(())
            }
            PlayerCommand::ToggleSubVisibility => {
                let on = !self.state.snapshot().sub_visibility;
                self.apply(PlayerCommand::SetSubVisibility(on))
            }
            PlayerCommand::CycleSid => {
                let snap = self.state.snapshot();
                if snap.text_tracks.is_empty() {
                    return Err(CommandError::Failed("the presentation has no caption tracks".into()));
                }
                let at = snap.sid.as_ref().and_then(|sid| snap.text_tracks.iter().position(|t| t == sid));
                let next = match at {
                    None => snap.text_tracks.first().cloned(),
                    Some(i) => snap.text_tracks.get(i + 1).cloned(),
                };
                self.engine(Command::SetTextTrack(next))
            }
            PlayerCommand::ToggleStats => {
                let on = !self.state.snapshot().stats;
                self.apply(PlayerCommand::SetStats(on))
            }
            PlayerCommand::Screenshot(path) => {
                let path = match path {
                    Some(p) => p,
                    None => next_screenshot_name().ok_or_else(|| CommandError::Failed("no free screenshot file name".into()))?,
                };
                self.frontend.screenshot(&path).map_err(CommandError::Failed)
            }
            PlayerCommand::Quit => {
                self.state.request_quit();
                // The session may have ended already: quitting is then done.
                let _ = self.engine.send(Command::Stop);
                Ok(())
            }
        }
    }

    fn engine(&self, command: Command) -> Result<(), CommandError> {
        let command = match command {
            Command::SetSpeed(s) if !s.is_finite() => return Err(CommandError::InvalidParameter(format!("speed {s}"))),
            Command::SetSpeed(s) => Command::SetSpeed(player_speed(s)),
            Command::SeekBy(s) if !s.is_finite() => return Err(CommandError::InvalidParameter(format!("seek by {s}"))),
            // On-demand, a seek past either end goes to the first or last moment (the
            // engine ignores one outside the presentation); live, the engine clamps to
            // its window.
            Command::Seek(to) => {
                let snap = self.state.snapshot();
                match snap.status.as_ref().filter(|s| s.live_edge_distance.is_none()).and_then(|s| s.seekable) {
                    Some((start, end)) => Command::Seek(to.clamp(start, end.saturating_sub(Duration::from_millis(1)).max(start))),
                    None => Command::Seek(to),
                }
            }
            c => c,
        };
        // The state answers at once what was asked (mpv's `pause` reads back true right
        // after `set pause yes`), before the engine's next status confirms it.
        match &command {
            Command::Pause => self.state.request_pause(true),
            Command::Resume => self.state.request_pause(false),
            Command::SetSpeed(s) => self.state.request_speed(*s),
            Command::Seek(_) | Command::SeekBy(_) | Command::GoLive => self.state.seeking(),
            _ => {}
        }
        let message = seek_message(&command);
        self.engine.send(command).map_err(|_| CommandError::Failed("playback has ended".into()))?;
        if let Some(m) = message {
            self.frontend.message(m);
        }
        Ok(())
    }

    fn volume(&self, f: impl FnOnce(f64) -> f64, mute: Option<bool>) -> Result<(), CommandError> {
        let mut result = Ok((0.0, false));
        self.state.update(|s| {
            let v = f(s.volume);
            if !v.is_finite() {
                result = Err(CommandError::InvalidParameter(format!("volume {v}")));
                return;
            }
            s.volume = v.clamp(0.0, VOLUME_MAX);
            s.mute = mute.unwrap_or(s.mute);
            result = Ok((s.volume, s.mute));
        });
        let (v, m) = result?;
        self.frontend.volume_changed(v, m);
        Ok(())
    }
}

/// `smoothplay-shot0001.png`, the first such name not taken in the current directory.
fn next_screenshot_name() -> Option<PathBuf> {
    (1..10_000).map(|n| PathBuf::from(format!("smoothplay-shot{n:04}.png"))).find(|p| !p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpv_commands_parse() {
        use PlayerCommand as P;
        assert_eq!(parse("seek 5").unwrap(), P::Engine(Command::SeekBy(5.0)));
        assert_eq!(parse("seek -60").unwrap(), P::Engine(Command::SeekBy(-60.0)));
        assert_eq!(parse("seek 10 absolute").unwrap(), P::Engine(Command::Seek(Duration::from_secs(10))));
        assert_eq!(parse("seek 10 absolute+exact").unwrap(), P::Engine(Command::Seek(Duration::from_secs(10))));
        assert_eq!(parse("seek 50 absolute-percent").unwrap(), P::SeekPercent { percent: 50.0, relative: false });
        assert_eq!(parse("seek -10 relative-percent").unwrap(), P::SeekPercent { percent: -10.0, relative: true });
        assert_eq!(parse("no-osd seek 5").unwrap(), P::Engine(Command::SeekBy(5.0)));
        assert_eq!(parse("cycle pause").unwrap(), P::TogglePause);
        assert_eq!(parse("  cycle   mute ").unwrap(), P::ToggleMute);
        assert_eq!(parse("cycle fullscreen").unwrap(), P::ToggleFullscreen);
        assert_eq!(parse("cycle stats").unwrap(), P::ToggleStats);
        assert_eq!(parse("script-binding stats/display-stats-toggle").unwrap(), P::ToggleStats);
        assert_eq!(parse("add volume 2").unwrap(), P::AddVolume(2.0));
        assert_eq!(parse("add volume").unwrap(), P::AddVolume(1.0));
        assert_eq!(parse("multiply speed 1.1").unwrap(), P::MultiplySpeed(1.1));
        assert_eq!(parse("multiply speed 1/1.1").unwrap(), P::MultiplySpeed(1.0 / 1.1));
        assert_eq!(parse("set speed 1").unwrap(), P::Engine(Command::SetSpeed(1.0)));
        assert_eq!(parse("set pause yes").unwrap(), P::Engine(Command::Pause));
        assert_eq!(parse("set pause no").unwrap(), P::Engine(Command::Resume));
        assert_eq!(parse("set mute yes").unwrap(), P::SetMute(true));
        assert_eq!(parse("set fullscreen no").unwrap(), P::SetFullscreen(false));
        assert_eq!(parse("set time-pos 12.5").unwrap(), P::Engine(Command::Seek(Duration::from_millis(12_500))));
        assert_eq!(parse("screenshot").unwrap(), P::Screenshot(None));
        assert_eq!(parse("screenshot-to-file \"/tmp/a b.png\"").unwrap(), P::Screenshot(Some("/tmp/a b.png".into())));
        assert_eq!(parse("screenshot-to-file '/tmp/c.png' video").unwrap(), P::Screenshot(Some("/tmp/c.png".into())));
        assert_eq!(parse("quit").unwrap(), P::Quit);
        assert_eq!(parse("quit 4").unwrap(), P::Quit);
        assert_eq!(parse("go-live").unwrap(), P::Engine(Command::GoLive));
    }

    #[test]
    fn caption_commands_as_mpv_names_them() {
        use PlayerCommand as P;
        assert_eq!(parse("set sid subtitles_fra").unwrap(), P::Engine(Command::SetTextTrack(Some("subtitles_fra".into()))));
        assert_eq!(parse("set sid no").unwrap(), P::Engine(Command::SetTextTrack(None)));
        assert_eq!(parse("cycle sid").unwrap(), P::CycleSid);
        assert_eq!(parse("cycle sub-visibility").unwrap(), P::ToggleSubVisibility);
        assert_eq!(parse("set sub-visibility no").unwrap(), P::SetSubVisibility(false));
        assert_eq!(command_for_key("v"), Some(P::ToggleSubVisibility));
        assert_eq!(command_for_key("j"), Some(P::CycleSid));
    }

    #[test]
    fn bad_commands_are_errors_not_panics() {
        assert_eq!(parse("frobnicate 3"), Err(CommandError::UnknownCommand("frobnicate".into())));
        assert!(matches!(parse(""), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("seek"), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("seek x"), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("seek 5 sideways"), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("seek 5 absolute 3"), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("seek 1/0"), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("seek nan"), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("set pause maybe"), Err(CommandError::InvalidParameter(_))));
        assert!(matches!(parse("screenshot-to-file \"open"), Err(CommandError::InvalidParameter(_))));
        assert_eq!(parse("set nonsense 1"), Err(CommandError::PropertyNotFound("nonsense".into())));
        assert!(matches!(parse("set duration 1"), Err(CommandError::PropertyError(_))));
        assert_eq!(parse("frobnicate").unwrap_err().mpv_error(), "invalid parameter");
    }

    struct NoScreen;
    impl Frontend for NoScreen {
        fn screenshot(&self, _: &Path) -> Result<(), String> {
            Err("no picture".into())
        }
    }

    #[derive(Default)]
    struct Messages(std::sync::Mutex<Vec<String>>);
    impl Frontend for Messages {
        fn screenshot(&self, _: &Path) -> Result<(), String> {
            Err("no picture".into())
        }
        fn message(&self, text: String) {
            self.0.lock().unwrap().push(text);
        }
    }

    #[test]
    fn every_seek_says_so_on_screen_whoever_asked() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let screen = Arc::new(Messages::default());
        let c = Controller::new(PlayerState::new(), tx, screen.clone());
        // As the IPC sends them: `seek 75 absolute`, `seek -10`, `instant-replay 5`, live.
        for cmd in [Command::Seek(Duration::from_secs(75)), Command::SeekBy(-10.0), Command::SeekBy(2.5), Command::InstantReplay(Duration::from_secs(5)), Command::GoLive, Command::Pause] {
            c.apply(PlayerCommand::Engine(cmd)).unwrap();
        }
        assert_eq!(*screen.0.lock().unwrap(), ["Seek to 01:15", "Seek back 10 s", "Seek forward 2.5 s", "Replay 5 s", "Live"]);
    }

    #[test]
    fn the_controller_resolves_commands_against_the_state() {
        use smoothplay_engine::session::PlayerEvent;
        let state = PlayerState::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let c = Controller::new(state.clone(), tx, Arc::new(NoScreen));
        assert!(matches!(c.apply(PlayerCommand::SeekPercent { percent: 50.0, relative: false }), Err(CommandError::Failed(_))), "no duration yet");
        state.on_player_event(&PlayerEvent::Status(crate::state::tests::status(4_000, 100, false)));
        c.apply(PlayerCommand::TogglePause).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Pause);
        c.apply(PlayerCommand::TogglePause).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Resume, "the requested pause counts before the engine confirms it");
        c.apply(PlayerCommand::SeekPercent { percent: 50.0, relative: false }).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Seek(Duration::from_secs(10)));
        c.apply(PlayerCommand::Engine(Command::Seek(Duration::from_secs(99)))).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Seek(Duration::from_millis(19_999)), "past the end: the last moment");
        c.apply(PlayerCommand::MultiplySpeed(1.1)).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::SetSpeed(1.1));
        for (from, forward, to) in [(1.0, true, 2.0), (2.0, true, 4.0), (8.0, true, 16.0), (32.0, true, 32.0), (8.0, false, -2.0), (-4.0, false, -8.0), (-32.0, false, -32.0), (-8.0, true, 2.0), (0.5, false, -2.0)] {
            assert_eq!(trick_step(from, forward), to, "from {from} forward {forward}");
        }
        assert_eq!(parse("fast-forward").unwrap(), PlayerCommand::Trick { forward: true });
        assert_eq!(command_for_key("<"), Some(PlayerCommand::Trick { forward: false }));
        assert_eq!(parse("instant-replay 10").unwrap(), PlayerCommand::Engine(Command::InstantReplay(Duration::from_secs(10))));
        c.apply(PlayerCommand::MultiplySpeed(100.0)).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::SetSpeed(MAX_TRICK_SPEED), "clamped to the engine's trick range");
        assert_eq!(state.snapshot().speed(), MAX_TRICK_SPEED);
        c.apply(PlayerCommand::Engine(Command::SetSpeed(0.1))).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::SetSpeed(MIN_RATE));
        c.apply(PlayerCommand::Engine(Command::SetSpeed(-100.0))).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::SetSpeed(-MAX_TRICK_SPEED));
        c.apply(parse("set speed 8").unwrap()).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::SetSpeed(8.0), "IPC: trick play above 4x");
        c.apply(PlayerCommand::Trick { forward: true }).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::SetSpeed(16.0), "the next step from the speed asked");
        c.apply(PlayerCommand::AddVolume(-500.0)).unwrap();
        assert_eq!(state.snapshot().volume, 0.0);
        c.apply(PlayerCommand::ToggleMute).unwrap();
        c.apply(PlayerCommand::ToggleFullscreen).unwrap();
        let snap = state.snapshot();
        assert!(snap.mute && snap.fullscreen);
        assert!(matches!(c.apply(PlayerCommand::Screenshot(Some("/x.png".into()))), Err(CommandError::Failed(_))));
        c.apply(PlayerCommand::Quit).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Stop);
        assert!(state.snapshot().quitting);
    }

    #[test]
    fn every_binding_parses_and_keys_are_unique() {
        for b in BINDINGS {
            assert!(parse(b.command).is_ok(), "{} -> {:?}", b.key, b.command);
            assert_eq!(BINDINGS.iter().filter(|o| o.key == b.key).count(), 1, "{} bound once", b.key);
        }
        assert_eq!(command_for_key("SPACE"), Some(PlayerCommand::TogglePause));
        assert_eq!(command_for_key("space"), Some(PlayerCommand::TogglePause));
        assert_eq!(command_for_key("RIGHT"), Some(PlayerCommand::Engine(Command::SeekBy(5.0))));
        assert_eq!(command_for_key("DOWN"), Some(PlayerCommand::Engine(Command::SeekBy(-60.0))));
        assert_eq!(command_for_key("]"), Some(PlayerCommand::MultiplySpeed(1.1)));
        assert_eq!(command_for_key("{"), Some(PlayerCommand::MultiplySpeed(0.5)));
        assert_eq!(command_for_key("BS"), Some(PlayerCommand::Engine(Command::SetSpeed(1.0))));
        assert_eq!(command_for_key("9"), Some(PlayerCommand::AddVolume(-2.0)));
        assert_eq!(command_for_key("ESC"), Some(PlayerCommand::SetFullscreen(false)));
        assert_eq!(command_for_key("END"), Some(PlayerCommand::Engine(Command::GoLive)));
        assert_eq!(command_for_key("q"), Some(PlayerCommand::Quit));
        assert_eq!(command_for_key("Q"), None, "letters are case-sensitive");
        let help = bindings_help();
        assert_eq!(help.lines().count(), BINDINGS.len());
        assert!(help.lines().any(|l| l.starts_with("SPACE") && l.contains("cycle pause")));
    }

    #[test]
    fn tracks_switch_by_name_or_cycle_as_in_mpv() {
        let audio = |c| PlayerCommand::Engine(Command::SwitchTrack { kind: TrackType::Audio, track: c });
        let video = |c| PlayerCommand::Engine(Command::SwitchTrack { kind: TrackType::Video, track: c });
        assert_eq!(parse("cycle audio").unwrap(), audio(TrackChoice::Next));
        assert_eq!(parse("cycle aid").unwrap(), audio(TrackChoice::Next));
        assert_eq!(parse("cycle video").unwrap(), video(TrackChoice::Next));
        assert_eq!(parse("set aid audio_fra").unwrap(), audio(TrackChoice::Name("audio_fra".into())));
        assert_eq!(parse("set aid fr").unwrap(), audio(TrackChoice::Name("fr".into())));
        assert_eq!(parse("set vid camera2").unwrap(), video(TrackChoice::Name("camera2".into())));
        assert_eq!(set_property("vid", "camera1").unwrap(), video(TrackChoice::Name("camera1".into())));
        assert_eq!(command_for_key("#"), Some(audio(TrackChoice::Next)), "mpv's key");
        assert_eq!(command_for_key("_"), Some(video(TrackChoice::Next)), "mpv's key");
    }

    #[test]
    fn keypress_runs_the_keys_binding() {
        assert_eq!(parse("keypress SPACE").unwrap(), parse("cycle pause").unwrap());
        assert_eq!(parse("keypress END").unwrap(), command_for_key("END").unwrap());
        assert!(matches!(parse("keypress F13"), Err(CommandError::InvalidParameter(_))));
    }
}

/// What the on-screen display says for a seek command (`None`: not a seek).
fn seek_message(command: &Command) -> Option<String> {
    let secs = |s: f64| if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s:.1} s") };
    Some(match command {
        Command::Seek(to) => {
            let s = to.as_secs();
            if s >= 3600 {
                format!("Seek to {}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
            } else {
                format!("Seek to {:02}:{:02}", s / 60, s % 60)
            }
        }
        Command::SeekBy(by) if *by < 0.0 => format!("Seek back {}", secs(-by)),
        Command::SeekBy(by) => format!("Seek forward {}", secs(*by)),
        Command::InstantReplay(d) => format!("Replay {}", secs(d.as_secs_f64())),
        Command::GoLive => "Live".to_string(),
        _ => return None,
    })
}
