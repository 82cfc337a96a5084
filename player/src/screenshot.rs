//! Screenshots without a window: the last presented picture, kept by a [`VideoSink`],
//! converted to RGB on the CPU and written as a PNG.
//!
//! The conversion here is a plain BT.601 limited-range one, enough for headless
//! screenshots; it is to give way to `video::convert` (the window's CPU conversion, which
//! follows the stream's colour description) once that exists.

use std::path::Path;
use std::sync::{Arc, Mutex};

use smoothplay_engine::decode::VideoFrame;
use smoothplay_engine::session::{SinkError, VideoSink};

use crate::control::Frontend;
use crate::state::PlayerState;

/// The last picture presented, shared between the sink and the screenshotter.
pub type FrameSlot = Arc<Mutex<Option<VideoFrame>>>;

/// A [`VideoSink`] that keeps a copy of the picture on screen (buffers are reused, one
/// memcpy per presented frame) and tells the state its size.
pub struct LastFrame {
    slot: FrameSlot,
    state: Arc<PlayerState>,
}

impl LastFrame {
    /// A sink filling `slot`.
    pub fn new(slot: FrameSlot, state: Arc<PlayerState>) -> Self {
        LastFrame { slot, state }
    }
}

impl VideoSink for LastFrame {
    fn present(&mut self, frame: &VideoFrame) -> Result<(), SinkError> {
        {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            match slot.as_mut() {
                Some(kept) => kept.clone_from(frame),
                None => *slot = Some(frame.clone()),
            }
        }
        self.state.set_frame_size(frame.width, frame.height);
        Ok(())
    }
}

/// The headless player's [`Frontend`]: screenshots from a [`FrameSlot`]; fullscreen,
/// statistics and volume are only remembered in the state (no window, no sound device).
pub struct Headless {
    /// Where [`LastFrame`] keeps the picture.
    pub frame: FrameSlot,
}

impl Frontend for Headless {
    fn screenshot(&self, path: &Path) -> Result<(), String> {
        let frame = self.frame.lock().unwrap_or_else(|e| e.into_inner()).clone().ok_or("no picture has been shown yet")?;
        write_png(&frame, path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Writes a picture as an 8-bit RGB PNG (converted as the window shows it).
pub fn write_png(frame: &VideoFrame, path: &Path) -> std::io::Result<()> {
    smoothplay_player::video::convert::write_png(path, &to_rgb(frame), frame.width, frame.height)
}

/// YUV 4:2:0 to packed R'G'B' as the window shows it: the SPS's matrix, range and chroma
/// siting (the renderer's CPU reference, see `video::convert`).
pub fn to_rgb(frame: &VideoFrame) -> Vec<u8> {
    smoothplay_player::video::convert::to_rgb8(frame)
}

#[cfg(test)]
mod tests {
    use smoothplay_engine::time::MediaTime;

    use super::*;

    fn frame(w: u32, h: u32, y: u8, u: u8, v: u8) -> VideoFrame {
        let (cw, ch) = (w.div_ceil(2) as usize, h.div_ceil(2) as usize);
        VideoFrame { pts: MediaTime::new(0, 1000), width: w, height: h, y: vec![y; (w * h) as usize], u: vec![u; cw * ch], v: vec![v; cw * ch], format: Default::default() }
    }

    #[test]
    fn bt601_limited_range_primaries() {
        assert_eq!(to_rgb(&frame(1, 1, 16, 128, 128)), [0, 0, 0]);
        assert_eq!(to_rgb(&frame(1, 1, 235, 128, 128)), [255, 255, 255]);
        // 100 % red of BT.601 (Y 81, Cb 90, Cr 240).
        assert_eq!(to_rgb(&frame(1, 1, 81, 90, 240)), [254, 0, 0]);
        // Chroma is interpolated between samples (left-co-sited): the first column has the
        // first sample's colour, the third the second's.
        let mut f = frame(3, 2, 126, 128, 128);
        f.u = vec![128, 90];
        f.v = vec![128, 240];
        let rgb = to_rgb(&f);
        assert_eq!(&rgb[0..3], &to_rgb(&frame(1, 1, 126, 128, 128))[..]);
        assert_eq!(&rgb[6..9], &to_rgb(&frame(1, 1, 126, 90, 240))[..]);
    }

    #[test]
    fn png_has_the_pictures_size() {
        let dir = std::env::temp_dir().join(format!("smoothplay-shot-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("odd.png");
        write_png(&frame(5, 3, 128, 128, 128), &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 5);
        assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
