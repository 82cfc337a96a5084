//! The session's video sink in window mode: a frame that is due is uploaded to the GPU
//! at once (from the decoder's planes, the one copy) and the window is woken to draw it.

use smoothplay_engine::decode::VideoFrame;
use smoothplay_engine::session::{SinkError, VideoSink};
use winit::event_loop::EventLoopProxy;

use super::app::{SharedRenderer, UserEvent};

/// Uploads due frames into the window's renderer.
pub struct WindowSink {
    renderer: SharedRenderer,
    proxy: EventLoopProxy<UserEvent>,
    /// A picture the renderer refused was reported once.
    reported: bool,
}

impl WindowSink {
    /// A sink drawing through `renderer`.
    pub fn new(renderer: SharedRenderer, proxy: EventLoopProxy<UserEvent>) -> Self {
        WindowSink { renderer, proxy, reported: false }
    }
}

impl VideoSink for WindowSink {
    fn present(&mut self, frame: &VideoFrame) -> Result<(), SinkError> {
        if let Some(r) = self.renderer.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            if let Err(e) = r.upload(frame) {
                // Playback goes on (audio, stats, files); the window keeps the last picture.
                if !std::mem::replace(&mut self.reported, true) {
                    tracing::error!("cannot show a picture: {e}");
                    let _ = self.proxy.send_event(UserEvent::Message(format!("Cannot show the video: {e}")));
                }
            }
        }
        // A closed event loop means the window is going away; the session is told to stop
        // by the window itself, so a failed wake-up is not an error here.
        let _ = self.proxy.send_event(UserEvent::Redraw);
        Ok(())
    }
}
