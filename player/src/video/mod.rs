//! Showing decoded pictures: YUV 4:2:0 to RGB with the matrix, range and chroma siting the
//! SPS asks for, and the aspect ratio kept.
//!
//! - [`convert`]: the CPU reference (RGB8 pictures, screenshots, PNG) and the geometry
//!   ([`convert::display_size`], [`convert::letterbox`]) both paths share.
//! - [`render`]: the wgpu renderer (three R8 textures, a WGSL shader), for a window's
//!   surface or any texture.
//! - [`offscreen`]: a headless device and a render-and-read-back helper (tests,
//!   screenshots without a window).

pub mod convert;
pub mod offscreen;
pub mod render;

pub use convert::{display_size, letterbox, Matrix, Rect, YuvConversion};
pub use offscreen::{request_device, GpuError, OffscreenRenderer};
pub use render::VideoRenderer;
