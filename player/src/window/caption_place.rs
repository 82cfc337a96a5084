//! Where a caption goes on screen: in its TTML region when the cue has one given in
//! percent (`tts:origin`, `tts:extent`, `tts:displayAlign`, `tts:textAlign`; centred when
//! no alignment is given), else centred at the bottom.
//! Percent is of the window (the root container), as players draw captions over the
//! whole picture area. Either way the text stays clear of the seek bar and on screen.

use smoothplay_engine::text::{Cue, DisplayAlign, Length, TextAlign};

/// A caption's text block: its size and the space it must stay within.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block {
    /// Text width and height, pixels.
    pub w: f32,
    pub h: f32,
}

/// Top-left corner of the text block of `cue` in a `width` x `height` window; the block
/// must end above `floor` (the seek bar's top, less a margin) and below `margin`.
pub fn place(cue: &Cue, block: Block, width: f32, height: f32, floor: f32, margin: f32) -> (f32, f32) {
    let centred_x = ((width - block.w) / 2.0).max(0.0);
    let bottom = (floor - block.h).max(margin);
    let Some((x0, y0, w, h, align)) = region_px(cue, width, height) else { return (centred_x, bottom) };
    let x = match cue.region.as_ref().and_then(|r| r.text_align) {
        Some(TextAlign::Left | TextAlign::Start) => x0,
        Some(TextAlign::Right | TextAlign::End) => x0 + w - block.w,
        _ => x0 + (w - block.w) / 2.0,
    };
    let x = x.clamp(0.0, (width - block.w).max(0.0));
    let y = match align {
        DisplayAlign::Before => y0,
        DisplayAlign::Center => y0 + (h - block.h) / 2.0,
        DisplayAlign::After => y0 + h - block.h,
    };
    (x, y.clamp(margin.min(bottom), bottom))
}

/// The cue's region in pixels (x, y, w, h) and its vertical alignment, when given in
/// percent.
fn region_px(cue: &Cue, width: f32, height: f32) -> Option<(f32, f32, f32, f32, DisplayAlign)> {
    let r = cue.region.as_ref()?;
    let origin = r.origin?;
    let pct = |l: Length, of: f32| match l {
        Length::Percent(p) if p.is_finite() => Some(p.clamp(0.0, 100.0) / 100.0 * of),
        _ => None,
    };
    let (x, y) = (pct(origin.x, width)?, pct(origin.y, height)?);
    let (w, h) = match r.extent {
        Some(e) => (pct(e.x, width)?, pct(e.y, height)?),
        None => (width - x, height - y),
    };
    Some((x, y, w, h, r.display_align.unwrap_or(DisplayAlign::Before)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothplay_engine::text::{CueRegion, LengthPair};
    use std::time::Duration;

    fn cue(region: Option<CueRegion>) -> Cue {
        Cue { start: Duration::ZERO, end: Duration::from_secs(1), text: "x".into(), italic: false, color: None, region, spans: Vec::new() }
    }

    fn region(ox: f32, oy: f32, ex: f32, ey: f32, align: Option<DisplayAlign>) -> Option<CueRegion> {
        let pair = |x, y| Some(LengthPair { x: Length::Percent(x), y: Length::Percent(y) });
        Some(CueRegion { id: None, origin: pair(ox, oy), extent: pair(ex, ey), display_align: align, text_align: None })
    }

    const B: Block = Block { w: 200.0, h: 40.0 };

    #[test]
    fn no_region_is_centred_above_the_floor() {
        assert_eq!(place(&cue(None), B, 800.0, 600.0, 500.0, 16.0), (300.0, 460.0));
    }

    #[test]
    fn the_fixture_top_region_puts_the_text_at_the_top() {
        // multitrack.ism's "top": origin 10% 5%, extent 80% 15%, displayAlign before.
        let (x, y) = place(&cue(region(10.0, 5.0, 80.0, 15.0, Some(DisplayAlign::Before))), B, 800.0, 600.0, 500.0, 16.0);
        assert_eq!((x, y), (300.0, 30.0), "centred in the region, at its top");
    }

    #[test]
    fn text_align_moves_the_block_inside_the_region() {
        let mut left = cue(region(10.0, 5.0, 80.0, 15.0, None));
        left.region.as_mut().unwrap().text_align = Some(TextAlign::Start);
        assert_eq!(place(&left, B, 800.0, 600.0, 500.0, 16.0).0, 80.0);
        left.region.as_mut().unwrap().text_align = Some(TextAlign::Right);
        assert_eq!(place(&left, B, 800.0, 600.0, 500.0, 16.0).0, 520.0);
    }

    #[test]
    fn after_and_center_align_and_the_seek_bar_wins() {
        // "bottom": origin 10% 80%, extent 80% 15%, after: its bottom at 570 px, below the bar.
        let (_, y) = place(&cue(region(10.0, 80.0, 80.0, 15.0, Some(DisplayAlign::After))), B, 800.0, 600.0, 500.0, 16.0);
        assert_eq!(y, 460.0, "kept above the bar");
        let (_, y) = place(&cue(region(0.0, 40.0, 100.0, 20.0, Some(DisplayAlign::Center))), B, 800.0, 600.0, 500.0, 16.0);
        assert_eq!(y, 280.0);
    }

    #[test]
    fn pixels_or_absurd_values_fall_back_or_stay_on_screen() {
        let px = Some(CueRegion { id: None, origin: Some(LengthPair { x: Length::Pixels(5.0), y: Length::Pixels(5.0) }), extent: None, display_align: None, text_align: None });
        assert_eq!(place(&cue(px), B, 800.0, 600.0, 500.0, 16.0), (300.0, 460.0), "pixels: no root extent known, default place");
        let (x, y) = place(&cue(region(500.0, -20.0, 900.0, 1e9, None)), B, 800.0, 600.0, 500.0, 16.0);
        assert!((0.0..=600.0).contains(&x) && (16.0..=460.0).contains(&y), "{x} {y}");
        let (x, _) = place(&cue(region(0.0, 0.0, 10.0, 10.0, None)), Block { w: 1000.0, h: 40.0 }, 800.0, 600.0, 500.0, 16.0);
        assert_eq!(x, 0.0, "wider than the window: from its left edge");
    }
}
