//! What the overlay draws, as plain data: coloured rectangles and text, in physical
//! pixels. The on-screen display decides these; the GPU code only draws them.

/// Linear RGBA, 0..1, straight (not premultiplied) alpha.
pub type Rgba = [f32; 4];

/// A filled rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Colour.
    pub color: Rgba,
}

/// A run of text (may hold line breaks), its top-left corner and size.
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    /// The text.
    pub text: String,
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Font size in pixels.
    pub size: f32,
    /// Colour.
    pub color: Rgba,
    /// Styled runs (a caption's spans); empty: all of `text` in `color`, upright.
    pub runs: Vec<TextRun>,
}

/// A piece of a [`TextItem`] with its own colour and slant.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    /// The text (may hold line breaks).
    pub text: String,
    /// Colour.
    pub color: Rgba,
    /// Drawn with the oblique face.
    pub italic: bool,
}

/// Everything the overlay draws in one frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlay {
    /// Rectangles, drawn first, in order.
    pub quads: Vec<Quad>,
    /// Text, drawn over the rectangles.
    pub texts: Vec<TextItem>,
}
