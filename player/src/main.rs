//! `smoothplay`: play a Smooth Streaming presentation.
//!
//! Limits: what comes from a server is bounded by the engine (`smoothplay_engine::limits`).
//! The player's own inputs: an IPC request line is at most `ipc::protocol::MAX_LINE`
//! (1 MiB; longer gets an error and the connection closes), finished IPC clients are
//! pruned at each new connection, the frame-rate window keeps 2 s of status samples, and
//! key files are read whole (they come from the user).
#![forbid(unsafe_code)]

mod captions;
mod cli;
mod control;
mod cpu;
mod events_log;
mod ipc;
mod keys;
mod outputs;
mod screenshot;
mod state;
mod status;
mod tracks;
mod window;
mod windowed;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use smoothplay_engine::schedule::ScheduleConfig;
use smoothplay_engine::session::{Command, EndReason, LiveConfig, NullAudioSink, NullVideoSink, PlayerConfig, Session, VideoSinks};

use cli::{Cli, Start};
use control::Controller;
use outputs::DecodedFrames;
use screenshot::{FrameSlot, Headless, LastFrame};
use state::{EndFileReason, PlayerState};
use status::StatusLine;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.list_keys {
        print!("{}", control::bindings_help());
        return ExitCode::SUCCESS;
    }
    if cli.audio_device.as_deref() == Some("help") {
        println!("audio output devices (--audio-device NAME):");
        for d in smoothplay_player::audio::list_devices() {
            println!("  {d}");
        }
        return ExitCode::SUCCESS;
    }
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("smoothplay: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A window when there is a display (and not --headless); headless otherwise, said once.
    let display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()) || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
    let result = if cli.list_tracks {
        runtime.block_on(tracks::list(&cli))
    } else if !cli.headless && display {
        windowed::run(cli, &runtime)
    } else {
        if !cli.headless && !cli.quiet {
            eprintln!("note: no display (DISPLAY and WAYLAND_DISPLAY are unset): playing headless, without a window or sound");
        }
        runtime.block_on(run(cli, Front::headless()))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("smoothplay: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The error's message, plus what to do about it where that is not obvious.
fn with_hint(e: &smoothplay_engine::session::Error) -> String {
    use smoothplay_engine::session::Error;
    match e {
        Error::Drm(smoothplay_engine::drm::DrmError::MissingKey { .. }) => {
            format!("{e}\n  the presentation is encrypted: give its key with --key KID:KEY, --key-file FILE or --clearkey-url URL")
        }
        Error::WrongKey { .. } | Error::Decryption { .. } => format!("{e}\n  check the key given with --key/--key-file"),
        Error::ManifestFetch(smoothplay_engine::io::FetchError::Tls { .. }) => {
            format!("{e}\n  the server's certificate is not trusted here (self-signed, expired, or for another name); smoothplay never skips this check")
        }
        _ => e.to_string(),
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        // rustls' platform verifier logs each refused certificate as an error; the
        // player reports it once itself (FetchError::Tls).
        0 => "warn,rustls_platform_verifier=off",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// The bundled demo: next to the executable's repository checkout, or where it was built.
fn demo_location() -> Result<String, String> {
    let candidates = [
        std::env::current_dir().ok().map(|d| d.join("assets/demo.ism")),
        Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/demo.ism"))),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("Manifest").is_file())
        .map(|p| p.display().to_string())
        .ok_or_else(|| "the bundled demo (assets/demo.ism) was not found; give a URL, or run from the repository (assets/make-demo.sh rebuilds it)".to_string())
}

/// The URL to play: the argument, or the bundled demo.
fn url_of(cli: &Cli) -> Result<String, String> {
    if !(cli.buffer.is_finite() && cli.buffer > 0.0) {
        return Err(format!("--buffer must be a positive number of seconds, not {}", cli.buffer));
    }
    match &cli.url {
        Some(u) => Ok(u.clone()),
        None => demo_location(),
    }
}

/// What plays the session out besides the files: headless, nothing; in a window, its
/// video sink, the sound card, where events go, and how screenshots are taken.
pub struct Front {
    /// Extra video sinks (the window's).
    pub video: Vec<Box<dyn smoothplay_engine::session::VideoSink>>,
    /// The audio output.
    pub audio: Box<dyn smoothplay_engine::session::AudioSink>,
    /// Also told of every event (the window's display).
    pub on_event: Option<Box<dyn FnMut(&smoothplay_engine::session::PlayerEvent) + Send>>,
    /// The frontend for the controller; `None`: the headless one.
    pub frontend: Option<Arc<dyn control::Frontend>>,
    /// Where the last picture is kept for screenshots.
    pub frame: FrameSlot,
    /// The state the controller and the IPC share.
    pub state: Arc<PlayerState>,
    /// The session's command channel.
    pub commands: (tokio::sync::mpsc::UnboundedSender<Command>, tokio::sync::mpsc::UnboundedReceiver<Command>),
}

impl Front {
    /// Headless: the software clock, no window, no sound.
    pub fn headless() -> Front {
        Front {
            video: Vec::new(),
            audio: Box::new(NullAudioSink),
            on_event: None,
            frontend: None,
            frame: FrameSlot::default(),
            state: PlayerState::new(),
            commands: tokio::sync::mpsc::unbounded_channel(),
        }
    }

    /// The controller keys and the IPC use.
    pub fn controller(&self) -> Controller {
        let frontend = self.frontend.clone().unwrap_or_else(|| Arc::new(Headless { frame: self.frame.clone() }));
        Controller::new(self.state.clone(), self.commands.0.clone(), frontend)
    }
}

async fn run(cli: Cli, front: Front) -> Result<(), String> {
    let url = url_of(&cli)?;

    // One Controller carries out commands from the IPC (and, later, the window's keys):
    // engine commands go into the session's channel, the rest into the shared state,
    // which follows the session's events.
    let state = front.state.clone();
    state.update(|s| s.path = Some(url.clone()));
    let ipc = match &cli.input_ipc_server {
        Some(p) => Some(ipc::IpcServer::start(p, front.controller()).map_err(|e| format!("--input-ipc-server {}: {e}", p.display()))?),
        None => None,
    };
    let result = play(&cli, &url, front, ipc.is_some()).await;
    if let Some(ipc) = ipc {
        let reason = match &result {
            Ok(EndReason::Stopped) if state.snapshot().quitting => EndFileReason::Quit,
            Ok(EndReason::Stopped) => EndFileReason::Stop,
            Ok(_) => EndFileReason::Eof,
            Err(_) => EndFileReason::Error,
        };
        ipc.shutdown(reason).await;
    }
    result.map(|_| ())
}

/// Opens and plays `url` into `front`; its commands drive the session, its state follows
/// the session's events; the last picture is kept for screenshots when a window or the
/// IPC can ask for one.
async fn play(cli: &Cli, url: &str, front: Front, keep_frame: bool) -> Result<EndReason, String> {
    let Front { video: front_video, mut audio, on_event: mut front_events, frontend, frame, state, commands: (tx, commands) } = front;
    let state = &state;
    let keep_frame = keep_frame || frontend.is_some();
    let config = PlayerConfig {
        schedule: ScheduleConfig { forward_buffer: Duration::from_secs_f64(cli.buffer), video_pin: cli.video_bitrate },
        algorithm: cli.abr.clone(),
        untimed: cli.untimed,
        start_at: match cli.start {
            Some(Start::At(t)) => Some(t),
            _ => None,
        },
        play_for: cli.duration,
        start_speed: cli.speed,
        live: LiveConfig {
            target_delay: cli.live_delay,
            start_behind: match cli.start {
                Some(Start::BehindLive(t)) => Some(t),
                _ => None,
            },
            idle_timeout: cli.live_idle_timeout,
        },
        origin_fallbacks: cli.origin_fallback.clone(),
        tracks: cli.track_preferences(),
        // IPC clients read time-pos from the status: 10 per second, like a position display.
        status_interval: if cli.input_ipc_server.is_some() || frontend.is_some() { Duration::from_millis(100) } else { PlayerConfig::default().status_interval },
        // A window's first size, before it exists (fragments start arriving at once).
        viewport: frontend.is_some().then(|| cli.geometry.unwrap_or(window::DEFAULT_SIZE)),
        ..PlayerConfig::default()
    };
    let wall = Instant::now();
    let cpu0 = cpu::process_cpu_time();
    let mut captions = cli.captions_out.as_deref().map(captions::CaptionsOut::new).transpose()?;
    let mut events_log = match &cli.events_log {
        Some(p) => {
            let file = std::fs::File::create(p).map_err(|e| format!("--events-log {}: {e}", p.display()))?;
            Some(events_log::EventsLog::new(std::io::BufWriter::new(file), url, wall))
        }
        None => None,
    };
    let mut session = Session::open(url, config).await.map_err(|e| with_hint(&e))?;
    if !cli.quiet {
        tracks::announce(&session);
    }
    let text_tracks: Vec<String> = session.tracks().iter().filter(|t| t.kind == smoothplay_engine::session::TrackType::Text).map(|t| t.label()).collect();
    let sid = session.selection().text.and_then(|i| session.tracks().get(i)).map(|t| t.label());
    state.update(|s| {
        s.text_tracks = text_tracks;
        s.sid = sid;
    });
    if let Some(keys) = keys::load(cli, &session).await? {
        session.set_keys(keys);
    }
    let video_timescale = session.selection().tracks.iter().find(|t| t.kind == smoothplay_engine::schedule::TrackKind::Video).map_or(10_000_000, |t| t.timescale);

    let mut sinks: Vec<Box<dyn smoothplay_engine::session::VideoSink>> = vec![Box::new(NullVideoSink)];
    if let Some(p) = &cli.framemd5 {
        sinks.push(Box::new(DecodedFrames::framemd5(p, video_timescale).map_err(|e| format!("{}: {e}", p.display()))?));
    }
    if let Some(p) = &cli.dump_video {
        sinks.push(Box::new(DecodedFrames::y4m(p).map_err(|e| format!("{}: {e}", p.display()))?));
    }
    if keep_frame {
        sinks.push(Box::new(LastFrame::new(frame, state.clone())));
    }
    sinks.extend(front_video);
    let mut video = VideoSinks(sinks);

    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(Command::Stop);
        }
    });
    let mut status = StatusLine::new(cli.quiet);
    let stats = session
        .play(&mut video, audio.as_mut(), Some(commands), &mut |e| {
            status.on_event(&e);
            state.on_player_event(&e);
            if let Some(c) = captions.as_mut() {
                c.on_event(&e);
            }
            if let Some(l) = events_log.as_mut() {
                l.on_event(&e, Instant::now());
            }
            if let Some(f) = front_events.as_mut() {
                f(&e);
            }
        })
        .await
        .map_err(|e| with_hint(&e));
    status.finish();
    if let Some(l) = events_log.as_mut() {
        l.finish(stats.as_ref().ok(), stats.as_ref().err().map(String::as_str), Instant::now());
    }
    if let Some(c) = &captions {
        c.write()?;
    }
    let stats = stats?;

    if let Some(path) = &cli.stats_json {
        let mut json = serde_json::to_value(&stats).map_err(|e| e.to_string())?;
        if let Some(obj) = json.as_object_mut() {
            obj.insert("url".into(), url.into());
            obj.insert("wall_ms".into(), (wall.elapsed().as_secs_f64() * 1000.0).into());
            let cpu = cpu0.zip(cpu::process_cpu_time()).map(|(a, b)| (b.saturating_sub(a)).as_secs_f64() * 1000.0);
            obj.insert("cpu_ms".into(), cpu.into());
        }
        let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if stats.ended_by == EndReason::LiveIdle {
        eprintln!("the live stream stopped: no new fragment for {} s (--live-idle-timeout)", cli.live_idle_timeout.as_secs_f64());
    }
    if !cli.quiet {
        eprintln!(
            "played {}: {} video frames ({} dropped), {} audio samples, {} rebuffers, {} fragments skipped",
            url,
            stats.video.frames_decoded,
            stats.video.frames_dropped,
            stats.audio.samples_decoded,
            stats.rebuffer.count,
            stats.skipped_total
        );
    }
    Ok(stats.ended_by)
}
