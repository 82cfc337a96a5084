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

/// The window's side of the controller: fullscreen and stats go to the window, volume
/// to the sound card, screenshots are of the picture on screen.
struct WindowFrontend {
    frame: FrameSlot,
    proxy: EventLoopProxy<UserEvent>,
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
    front.frontend = Some(Arc::new(WindowFrontend { frame: front.frame.clone(), proxy: proxy.clone() }));
    let controller = front.controller();
    let options = WindowOptions { title: format!("{} - smoothplay", url), size: cli.geometry.unwrap_or((960, 540)), fullscreen: cli.fullscreen, osd: !cli.no_osd };
    let info = PlayerInfo { algorithm: cli.abr.clone(), audio: "none (software clock)".into(), volume: 100.0, ..Default::default() };
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
