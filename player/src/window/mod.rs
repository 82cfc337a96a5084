//! The desktop window (winit + wgpu): video, the on-screen display, keys and the mouse.

pub mod app;
pub mod caption_place;
pub mod caption_style;
pub mod keymap;
pub mod layout;
pub mod osd;
pub mod quads;
pub mod seekbar;
pub mod sink;
pub mod text;

pub use app::{App, UserEvent, WindowOptions};
pub use sink::WindowSink;

/// The window's size in logical pixels when `--geometry` does not say.
pub const DEFAULT_SIZE: (u32, u32) = (960, 540);
