//! The desktop window: winit's events in, player commands out; the video renderer draws
//! the current frame letterboxed, the on-screen display goes on top.
//!
//! The session runs on the tokio runtime. Its video sink uploads each frame as it becomes
//! due (the upload is the one copy from the decoder's planes) and wakes this loop, which
//! draws and presents; events come back through the event-loop proxy.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smoothplay_engine::session::PlayerEvent;
use winit::application::ApplicationHandler;
use winit::dpi::{PhysicalPosition, PhysicalSize};
use winit::event::{ElementState, MouseButton, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoopProxy};
use winit::window::{Fullscreen, Window, WindowId};

use smoothplay_engine::session::Command;

use crate::control::{Controller, PlayerCommand};
use smoothplay_player::video::render::VideoRenderer;

use super::keymap::mpv_key_name;
use super::osd::{Osd, PlayerInfo};
use super::quads::QuadPainter;
use super::seekbar::SeekBar;
use super::text::TextPainter;

/// Double clicks closer than this toggle fullscreen (mpv's habit).
const DOUBLE_CLICK: Duration = Duration::from_millis(300);

/// What reaches the window from other threads.
#[derive(Debug)]
pub enum UserEvent {
    /// A new frame was uploaded: draw it.
    Redraw,
    /// Something the session reported.
    Player(PlayerEvent),
    /// Fullscreen was switched (by a key, the mouse or the IPC).
    Fullscreen(bool),
    /// The stats overlay was switched.
    Stats(bool),
    /// Captions were shown or hidden (`v`).
    SubVisibility(bool),
    /// A short message for the on-screen display.
    Message(String),
    /// The session ended.
    Ended,
}

/// The renderer the session's sink uploads into and the window draws from; empty until
/// the window and its GPU device exist (frames due before that are not shown).
pub type SharedRenderer = Arc<Mutex<Option<VideoRenderer>>>;

/// Window settings from the command line.
pub struct WindowOptions {
    /// The title.
    pub title: String,
    /// Initial inner size in logical pixels.
    pub size: (u32, u32),
    /// Start in fullscreen.
    pub fullscreen: bool,
    /// Draw the on-screen display.
    pub osd: bool,
}

struct Gpu {
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    quads: QuadPainter,
    text: TextPainter,
}

/// The window's state.
pub struct App {
    options: WindowOptions,
    proxy: EventLoopProxy<UserEvent>,
    renderer: SharedRenderer,
    controller: Controller,
    window: Option<Arc<Window>>,
    gpu: Option<Gpu>,
    osd: Osd,
    /// What the stats overlay shows besides the status.
    pub info: PlayerInfo,
    cursor: PhysicalPosition<f64>,
    dragging: bool,
    last_click: Option<Instant>,
    /// Set when the window could not be made (the caller falls back to headless).
    pub failed: Option<String>,
}

impl App {
    /// A window drawing what the session's sink uploads into `renderer`, carrying out
    /// keys and mouse actions through `controller` (the IPC's too).
    pub fn new(options: WindowOptions, proxy: EventLoopProxy<UserEvent>, renderer: SharedRenderer, controller: Controller, info: PlayerInfo) -> Self {
        App {
            options,
            proxy,
            renderer,
            controller,
            window: None,
            gpu: None,
            osd: Osd::new(),
            info,
            cursor: PhysicalPosition::new(0.0, 0.0),
            dragging: false,
            last_click: None,
            failed: None,
        }
    }

    fn create(&mut self, event_loop: &ActiveEventLoop) -> Result<(), String> {
        let attrs = Window::default_attributes()
            .with_title(self.options.title.clone())
            .with_inner_size(winit::dpi::LogicalSize::new(self.options.size.0, self.options.size.1))
            .with_fullscreen(self.options.fullscreen.then_some(Fullscreen::Borderless(None)));
        let window = Arc::new(event_loop.create_window(attrs).map_err(|e| format!("cannot open a window: {e}"))?);
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(Box::new(event_loop.owned_display_handle())));
        let surface = instance.create_surface(window.clone()).map_err(|e| format!("cannot draw into the window: {e}"))?;
        let (adapter, device, queue) = pollster::block_on(smoothplay_player::video::offscreen::request_device(&instance, Some(&surface))).map_err(|e| e.to_string())?;
        // GPU errors are reported, not fatal: wgpu's default handler panics, which would
        // take the player down for what may be one bad frame; a lost device ends the
        // picture (said on screen and in the log) while sound and playback go on.
        let proxy = self.proxy.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            tracing::error!("GPU error: {e}");
            let _ = proxy.send_event(UserEvent::Message(format!("GPU error: {e}")));
        }));
        let proxy = self.proxy.clone();
        device.set_device_lost_callback(move |reason, message| {
            tracing::error!("the GPU device was lost ({reason:?}): {message}");
            let _ = proxy.send_event(UserEvent::Message("The GPU was lost: no more pictures; playback goes on".into()));
        });
        let size = window.inner_size();
        let mut config = surface
            .get_default_config(&adapter, size.width.max(1), size.height.max(1))
            .ok_or_else(|| format!("the GPU ({}) cannot present to this window", adapter.get_info().name))?;
        // Prefer an sRGB format: the renderer linearises for it, and blending is right.
        let caps = surface.get_capabilities(&adapter);
        if let Some(f) = caps.formats.iter().find(|f| f.is_srgb()) {
            config.format = *f;
        }
        config.present_mode = wgpu::PresentMode::AutoVsync;
        surface.configure(&device, &config);
        tracing::info!(adapter = %adapter.get_info().name, backend = ?adapter.get_info().backend, format = ?config.format, "window ready");
        *self.renderer.lock().unwrap_or_else(|p| p.into_inner()) = Some(VideoRenderer::new(&device, &queue, config.format));
        let quads = QuadPainter::new(&device, config.format);
        let text = TextPainter::new(&device, config.width, config.height, config.format)?;
        self.viewport(size);
        self.gpu = Some(Gpu { surface, device, queue, config, quads, text });
        self.window = Some(window);
        Ok(())
    }

    fn draw(&mut self) {
        let (Some(gpu), Some(window)) = (self.gpu.as_mut(), self.window.as_ref()) else { return };
        let frame = match gpu.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t) | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                gpu.surface.configure(&gpu.device, &gpu.config);
                window.request_redraw();
                return;
            }
            other => {
                tracing::debug!("no surface texture this time: {other:?}");
                return;
            }
        };
        let view = frame.texture.create_view(&wgpu::TextureViewDescriptor::default());
        let (w, h) = (gpu.config.width, gpu.config.height);
        let now = Instant::now();
        let overlay = if self.options.osd { self.osd.overlay(w, h, window.scale_factor(), &self.info, now) } else { Default::default() };
        gpu.quads.prepare(&gpu.device, &overlay.quads, w, h);
        if let Err(e) = gpu.text.prepare(&gpu.device, &gpu.queue, &overlay.texts) {
            tracing::warn!("on-screen text: {e}");
        }
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        if let Some(renderer) = self.renderer.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            self.info.frame_size = renderer.frame_size();
            renderer.render(&mut encoder, &view, renderer.letterbox(w, h), (w, h));
        }
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("osd"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Load, store: wgpu::StoreOp::Store },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            gpu.quads.draw(&mut pass);
            gpu.text.draw(&mut pass);
        }
        gpu.queue.submit([encoder.finish()]);
        window.pre_present_notify();
        gpu.queue.present(frame);
    }

    fn resized(&mut self, size: PhysicalSize<u32>) {
        let Some(gpu) = self.gpu.as_mut() else { return };
        gpu.config.width = size.width.max(1);
        gpu.config.height = size.height.max(1);
        gpu.surface.configure(&gpu.device, &gpu.config);
        gpu.text.resize(gpu.config.width, gpu.config.height, &gpu.queue);
        self.viewport(size);
        if let Some(w) = &self.window {
            w.request_redraw();
        }
    }

    /// The selector's viewport follows the window (physical pixels).
    fn viewport(&self, size: PhysicalSize<u32>) {
        let _ = self.controller.apply(PlayerCommand::Engine(Command::SetViewport { width: size.width.max(1), height: size.height.max(1) }));
    }

    /// Carries out a command through the controller (the IPC's path too); the window
    /// hears back through [`UserEvent`]s. A screenshot is encoded off this thread.
    fn command(&mut self, cmd: PlayerCommand) {
        let now = Instant::now();
        let osd = osd_message(&cmd, &self.controller);
        if matches!(cmd, PlayerCommand::Screenshot(_)) {
            let (controller, proxy) = (self.controller.clone(), self.proxy.clone());
            std::thread::spawn(move || {
                let text = match controller.apply(cmd) {
                    Ok(()) => "Screenshot taken".to_string(),
                    Err(e) => format!("Screenshot failed: {e}"),
                };
                let _ = proxy.send_event(UserEvent::Message(text));
            });
            return;
        }
        let quit = matches!(cmd, PlayerCommand::Quit);
        match self.controller.apply(cmd) {
            Ok(()) => {
                if let Some(m) = osd.and_then(|f| f(&self.controller)) {
                    self.osd.message(m, now);
                }
            }
            Err(e) => self.osd.error(e.to_string()),
        }
        if quit {
            // The session ends and sends Ended; one that is stuck must not keep the
            // window open forever.
            let proxy = self.proxy.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(5));
                tracing::warn!("the session did not stop within 5 s of quit: closing the window");
                let _ = proxy.send_event(UserEvent::Ended);
            });
        }
        if let Some(w) = &self.window {
            w.request_redraw();
        }
    }
}

/// What the on-screen display says after a command, read from the state once it is done.
type OsdText = fn(&Controller) -> Option<String>;

fn osd_message(cmd: &PlayerCommand, _c: &Controller) -> Option<OsdText> {
    Some(match cmd {
        PlayerCommand::SetVolume(_) | PlayerCommand::AddVolume(_) | PlayerCommand::MultiplyVolume(_) | PlayerCommand::SetMute(_) | PlayerCommand::ToggleMute => |c| {
            let s = c.state().snapshot();
            Some(if s.mute { format!("Volume: {:.0} % (muted)", s.volume) } else { format!("Volume: {:.0} %", s.volume) })
        },
        PlayerCommand::MultiplySpeed(_) | PlayerCommand::AddSpeed(_) => |c| Some(format!("Speed: {:.2}x (audio muted away from 1x)", c.state().snapshot().speed())),
        // Seeks say so through the controller (Frontend::message), whoever asked.
        _ => return None,
    })
}

impl ApplicationHandler<UserEvent> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.window.is_some() || self.failed.is_some() {
            return;
        }
        if let Err(e) = self.create(event_loop) {
            self.failed = Some(e);
            event_loop.exit();
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Redraw => {}
            UserEvent::Player(PlayerEvent::Status(s)) => self.osd.on_status(s),
            UserEvent::Player(PlayerEvent::FragmentSkipped { track, index, .. }) => self.osd.error(format!("{track} fragment {index} skipped")),
            UserEvent::Player(PlayerEvent::LiveWaiting) => self.osd.message("Waiting for the live stream...", Instant::now()),
            UserEvent::Player(PlayerEvent::TrackSwitched { kind, to, .. }) => self.osd.message(format!("{kind}: {to}"), Instant::now()),
            UserEvent::Player(PlayerEvent::TrackSwitchFailed { error, .. }) => self.osd.error(error),
            UserEvent::Player(PlayerEvent::Cue { cue, .. }) => self.osd.on_cue(cue),
            UserEvent::Player(PlayerEvent::Marker { time, .. }) => self.osd.on_marker(time),
            UserEvent::Player(PlayerEvent::TrickFrame { pts, .. }) => self.osd.on_trick_frame(pts),
            UserEvent::Player(PlayerEvent::TextTrackChanged { .. }) => self.osd.clear_caption(),
            UserEvent::Player(_) => {}
            UserEvent::Fullscreen(on) => {
                if let Some(w) = &self.window {
                    w.set_fullscreen(on.then_some(Fullscreen::Borderless(None)));
                }
            }
            UserEvent::Stats(on) => self.osd.set_stats(on),
            UserEvent::SubVisibility(on) => self.osd.set_captions_visible(on),
            UserEvent::Message(m) => self.osd.message(m, Instant::now()),
            UserEvent::Ended => {
                event_loop.exit();
                return;
            }
        }
        if let Some(w) = &self.window {
            w.request_redraw();
        }
    }

    fn window_event(&mut self, _event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => self.command(PlayerCommand::Quit),
            WindowEvent::RedrawRequested => self.draw(),
            WindowEvent::Resized(size) => self.resized(size),
            WindowEvent::ScaleFactorChanged { .. } => {
                if let Some(w) = &self.window {
                    let size = w.inner_size();
                    self.resized(size);
                }
            }
            WindowEvent::KeyboardInput { event, is_synthetic: false, .. } if event.state == ElementState::Pressed => {
                let Some(name) = mpv_key_name(&event.logical_key) else { return };
                if let Some(cmd) = crate::control::command_for_key(&name) {
                    self.command(cmd);
                }
            }
            WindowEvent::CursorMoved { position, .. } => {
                self.cursor = position;
                self.osd.pointer_moved(Instant::now());
                if self.dragging {
                    self.seek_to_pointer();
                }
                if let Some(w) = &self.window {
                    w.request_redraw();
                }
            }
            WindowEvent::MouseInput { state, button: MouseButton::Left, .. } => match state {
                ElementState::Pressed => {
                    let now = Instant::now();
                    if self.on_bar() {
                        self.dragging = true;
                        self.seek_to_pointer();
                    } else if self.last_click.is_some_and(|t| now.duration_since(t) < DOUBLE_CLICK) {
                        self.last_click = None;
                        self.command(PlayerCommand::ToggleFullscreen);
                    } else {
                        self.last_click = Some(now);
                    }
                }
                ElementState::Released => self.dragging = false,
            },
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        // Messages and the seek bar time out by themselves: wake up to redraw then.
        match self.osd.next_change(Instant::now()) {
            Some(t) => event_loop.set_control_flow(winit::event_loop::ControlFlow::WaitUntil(t + Duration::from_millis(5))),
            None => event_loop.set_control_flow(winit::event_loop::ControlFlow::Wait),
        }
        if let (Some(w), Some(t)) = (&self.window, self.osd.next_change(Instant::now())) {
            if t <= Instant::now() + Duration::from_millis(20) {
                w.request_redraw();
            }
        }
    }

    fn new_events(&mut self, _event_loop: &ActiveEventLoop, cause: winit::event::StartCause) {
        if matches!(cause, winit::event::StartCause::ResumeTimeReached { .. }) {
            if let Some(w) = &self.window {
                w.request_redraw();
            }
        }
    }
}

impl App {
    fn bar(&self) -> Option<SeekBar> {
        let gpu = self.gpu.as_ref()?;
        let scale = self.window.as_ref().map_or(1.0, |w| w.scale_factor());
        Some(SeekBar::new(gpu.config.width, gpu.config.height, scale))
    }

    fn on_bar(&self) -> bool {
        self.options.osd && self.osd.bar_visible(Instant::now()) && self.bar().is_some_and(|b| b.contains(self.cursor.x, self.cursor.y))
    }

    fn seek_to_pointer(&mut self) {
        let Some(bar) = self.bar() else { return };
        if let Some(t) = bar.time_at(self.cursor.x, &self.osd.bar_state()) {
            self.command(PlayerCommand::Engine(Command::Seek(t)));
        }
    }
}
