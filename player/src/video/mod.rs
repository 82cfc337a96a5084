//! Showing decoded pictures: YUV 4:2:0 to RGB with the matrix, range and chroma siting the
//! SPS asks for, and the aspect ratio kept.
//!
//! - [`convert`]: the CPU reference (RGB8 pictures, screenshots, PNG) and the geometry
//!   ([`convert::display_size`], [`convert::letterbox`]) both paths share.

pub mod convert;

pub use convert::{display_size, letterbox, Matrix, Rect, YuvConversion};
