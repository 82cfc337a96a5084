//! Text for the on-screen display, through wgpu_text (glyph_brush: a glyph cache on the
//! GPU, laid out on the CPU) with the bundled DejaVu Sans (and its oblique face, for
//! italic caption spans).

use wgpu_text::glyph_brush::ab_glyph::FontArc;
use wgpu_text::glyph_brush::{FontId, Section, Text};
use wgpu_text::{BrushBuilder, TextBrush};

use super::layout::TextItem;

/// The bundled fonts (assets/fonts/README.md says where they come from).
const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FONT_OBLIQUE: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Oblique.ttf");

/// Draws [`TextItem`]s.
pub struct TextPainter {
    brush: TextBrush<FontArc>,
}

impl TextPainter {
    /// A painter for targets of `format`, `width` x `height` pixels.
    pub fn new(device: &wgpu::Device, width: u32, height: u32, format: wgpu::TextureFormat) -> Result<Self, String> {
        let font = FontArc::try_from_slice(FONT).map_err(|e| format!("the bundled font: {e}"))?;
        let oblique = FontArc::try_from_slice(FONT_OBLIQUE).map_err(|e| format!("the bundled oblique font: {e}"))?;
        Ok(TextPainter { brush: BrushBuilder::using_fonts(vec![font, oblique]).build(device, width, height, format) })
    }

    /// The target was resized.
    pub fn resize(&mut self, width: u32, height: u32, queue: &wgpu::Queue) {
        self.brush.resize_view(width as f32, height as f32, queue);
    }

    /// Lays out this frame's text (with a one-pixel shadow so it reads on any picture).
    pub fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, items: &[TextItem]) -> Result<(), String> {
        let mut sections = Vec::with_capacity(items.len() * 2);
        for t in items {
            let shadow = (t.size / 14.0).max(1.0);
            // (text, colour, oblique) pieces: the runs, or the whole text in its colour.
            let pieces: Vec<(&str, [f32; 4], bool)> = if t.runs.is_empty() {
                vec![(t.text.as_str(), t.color, false)]
            } else {
                t.runs.iter().map(|r| (r.text.as_str(), r.color, r.italic)).collect()
            };
            let section = |colour: &dyn Fn([f32; 4]) -> [f32; 4]| {
                pieces.iter().fold(Section::default(), |s, (text, c, italic)| {
                    s.add_text(Text::new(text).with_scale(t.size).with_color(colour(*c)).with_font_id(FontId(usize::from(*italic))))
                })
            };
            sections.push(section(&|c| [0.0, 0.0, 0.0, c[3] * 0.8]).with_screen_position((t.x + shadow, t.y + shadow)));
            sections.push(section(&|c| c).with_screen_position((t.x, t.y)));
        }
        self.brush.queue(device, queue, sections).map_err(|e| e.to_string())
    }

    /// Draws what [`prepare`](Self::prepare) laid out.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        self.brush.draw(pass);
    }
}
