//! Window mode: winit's event loop on the main thread, the session on the runtime. Falls
//! back to headless with a one-line note when no window can be opened.

use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;
use winit::event_loop::{EventLoop, EventLoopProxy};

use crate::cli::Cli;
use crate::control::{Frontend, PlayerCommand};
use crate::screenshot::{FrameSlot, Headless};
use crate::window::app::SharedRenderer;
use crate::window::osd::PlayerInfo;
use crate::window::{App, UserEvent, WindowOptions, WindowSink};
use crate::Front;
use smoothplay_player::audio::{self, AudioControl, OutputConfig};

/// The window's side of the controller: fullscreen and stats go to the window, volume
/// to the sound card, screenshots are of the picture on screen.
struct WindowFrontend {
    frame: FrameSlot,
    proxy: EventLoopProxy<UserEvent>,
    audio: Option<AudioControl>,
}

impl Frontend for WindowFrontend {
    fn screenshot(&self, path: &std::path::Path) -> Result<(), String> {
        Headless { frame: self.frame.clone() }.screenshot(path)
    }
    fn fullscreen_changed(&self, on: bool) {
        let _ = self.proxy.send_event(UserEvent::Fullscreen(on));
    }
    fn stats_changed(&self, on: bool) {
        let _ = self.proxy.send_event(UserEvent::Stats(on));
    }
    fn sub_visibility_changed(&self, on: bool) {
        let _ = self.proxy.send_event(UserEvent::SubVisibility(on));
    }
    fn message(&self, text: String) {
        let _ = self.proxy.send_event(UserEvent::Message(text));
    }
    fn volume_changed(&self, volume: f64, mute: bool) {
        if let Some(a) = &self.audio {
            a.set_volume((volume / 100.0) as f32);
            a.set_muted(mute);
        }
    }
}

/// Plays in a window; returns when the session has ended.
pub fn run(cli: Cli, runtime: &Runtime) -> Result<(), String> {
    let event_loop = match EventLoop::<UserEvent>::with_user_event().build() {
        Ok(l) => l,
        Err(e) => {
            if !cli.quiet {
                eprintln!("note: cannot open a window ({e}): playing headless, without a window or sound");
            }
            return runtime.block_on(crate::run(cli, Front::headless()));
        }
    };
    let url = crate::url_of(&cli)?;
    let proxy = event_loop.create_proxy();
    let renderer: SharedRenderer = Arc::new(Mutex::new(None));
    let mut front = Front::headless();
    front.video.push(Box::new(WindowSink::new(renderer.clone(), proxy.clone())));
    let events = proxy.clone();
    front.on_event = Some(Box::new(move |e| {
        let _ = events.send_event(UserEvent::Player(e.clone()));
    }));
    // The sound card is the master clock; without one, video plays on the software clock.
    let mut audio_info = "none (--no-audio): software clock".to_string();
    let mut audio_control = None;
    if !cli.no_audio {
        match audio::open(cli.audio_device.as_deref(), &OutputConfig::default()) {
            Ok(out) => {
                let i = out.info();
                audio_info = format!("{} {} Hz {} ch", i.device_name, i.sample_rate, i.channels);
                audio_control = Some(out.control());
                front.audio = Box::new(out);
            }
            Err(e) => {
                eprintln!("note: no sound ({e}); video plays on the software clock");
                audio_info = "none: software clock".into();
            }
        }
    }
    front.frontend = Some(Arc::new(WindowFrontend { frame: front.frame.clone(), proxy: proxy.clone(), audio: audio_control }));
    let controller = front.controller();
    let options = WindowOptions { title: format!("{} - smoothplay", url), size: cli.geometry.unwrap_or(crate::window::DEFAULT_SIZE), fullscreen: cli.fullscreen, osd: !cli.no_osd };
    let info = PlayerInfo { algorithm: cli.abr.clone(), audio: audio_info, volume: 100.0, ..Default::default() };
    let ended = proxy.clone();
    // Its own thread: the session's future is not Send (the selector is not Sync).
    let handle = runtime.handle().clone();
    let session = std::thread::spawn(move || {
        let r = handle.block_on(crate::run(cli, front));
        let _ = ended.send_event(UserEvent::Ended);
        r
    });
    let mut app = App::new(options, proxy, renderer, controller.clone(), info);
    // winit reports errors only at start; the window's own failures land in `app.failed`.
    let looped = event_loop.run_app(&mut app);
    if let Some(why) = app.failed.as_ref().map(|w| w.to_string()).or_else(|| looped.err().map(|e| e.to_string())) {
        eprintln!("note: {why}: playing on without a window");
    }
    if !session.is_finished() {
        // The window was closed: end the session too.
        let _ = controller.apply(PlayerCommand::Quit);
    }
    session.join().map_err(|_| "the session thread panicked".to_string())?
}
