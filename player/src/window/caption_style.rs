//! A caption's styled runs for the window: TTML colours (`tts:color`: the named colours,
//! `#rrggbb`, `#rrggbbaa`, `rgb()`, `rgba()`) and italic, per span, white and upright where
//! the document says nothing.

use smoothplay_engine::text::Cue;

use super::layout::{Rgba, TextRun};

const WHITE: Rgba = [1.0, 1.0, 1.0, 1.0];

/// The runs to draw for `cue`, in order; their texts concatenated are the cue's text.
pub fn runs(cue: &Cue) -> Vec<TextRun> {
    let base = cue.color.as_deref().and_then(parse_color).unwrap_or(WHITE);
    if cue.spans.is_empty() {
        return vec![TextRun { text: cue.text.clone(), color: base, italic: cue.italic }];
    }
    cue.spans
        .iter()
        .map(|s| TextRun { text: s.text.clone(), color: s.color.as_deref().and_then(parse_color).unwrap_or(base), italic: s.italic })
        .collect()
}

/// A TTML colour as linear RGBA (the overlay's space), `None` when not understood.
pub fn parse_color(s: &str) -> Option<Rgba> {
    let s = s.trim();
    let srgb: [u8; 4] = if let Some(hex) = s.strip_prefix('#') {
        let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex.len() {
            6 => [byte(0)?, byte(2)?, byte(4)?, 255],
            8 => [byte(0)?, byte(2)?, byte(4)?, byte(6)?],
            _ => return None,
        }
    } else if let Some(args) = s.strip_prefix("rgba(").or_else(|| s.strip_prefix("rgb(")).and_then(|r| r.strip_suffix(')')) {
        let v: Vec<u8> = args.split(',').map(|p| p.trim().parse::<u8>().ok()).collect::<Option<_>>()?;
        match v[..] {
            [r, g, b] if s.starts_with("rgb(") => [r, g, b, 255],
            [r, g, b, a] if s.starts_with("rgba(") => [r, g, b, a],
            _ => return None,
        }
    } else {
        named(&s.to_ascii_lowercase())?
    };
    let lin = |c: u8| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    Some([lin(srgb[0]), lin(srgb[1]), lin(srgb[2]), f32::from(srgb[3]) / 255.0])
}

/// TTML's named colours (TTML1 §7.2.2), as sRGB bytes.
fn named(name: &str) -> Option<[u8; 4]> {
    Some(match name {
        "transparent" => [0, 0, 0, 0],
        "black" => [0, 0, 0, 255],
        "silver" => [192, 192, 192, 255],
        "gray" => [128, 128, 128, 255],
        "white" => [255, 255, 255, 255],
        "maroon" => [128, 0, 0, 255],
        "red" => [255, 0, 0, 255],
        "purple" => [128, 0, 128, 255],
        "fuchsia" | "magenta" => [255, 0, 255, 255],
        "green" => [0, 128, 0, 255],
        "lime" => [0, 255, 0, 255],
        "olive" => [128, 128, 0, 255],
        "yellow" => [255, 255, 0, 255],
        "navy" => [0, 0, 128, 255],
        "blue" => [0, 0, 255, 255],
        "teal" => [0, 128, 128, 255],
        "aqua" | "cyan" => [0, 255, 255, 255],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothplay_engine::text::CueSpan;
    use std::time::Duration;

    #[test]
    fn colours_in_every_form() {
        assert_eq!(parse_color("yellow"), Some([1.0, 1.0, 0.0, 1.0]));
        assert_eq!(parse_color("#FFFF00"), parse_color("yellow"));
        assert_eq!(parse_color("rgba(255,255,0,255)"), parse_color("yellow"));
        assert_eq!(parse_color("rgb(255, 255, 0)"), parse_color("yellow"));
        assert_eq!(parse_color("#00000080").map(|c| c[3]), Some(128.0 / 255.0));
        let grey = parse_color("gray").unwrap();
        assert!((grey[0] - 0.2158).abs() < 1e-3, "sRGB 128 is linear 0.216: {grey:?}");
        for bad in ["", "#FFF", "#GGGGGG", "rgb(1,2)", "rgba(1,2,3)", "rgb(300,0,0)", "chartreuse"] {
            assert_eq!(parse_color(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn runs_follow_the_spans_over_the_cue_defaults() {
        let span = |text: &str, italic, color: Option<&str>| CueSpan { text: text.into(), italic, color: color.map(str::to_string) };
        // The fixture's third cue: "<span italic>Italic</span> and <span yellow>yellow</span>", white by style.
        let cue = Cue {
            start: Duration::ZERO,
            end: Duration::from_secs(1),
            text: "Italic and yellow".into(),
            italic: false,
            color: Some("white".into()),
            region: None,
            spans: vec![span("Italic", true, Some("white")), span(" and ", false, None), span("yellow", false, Some("yellow"))],
        };
        let r = runs(&cue);
        assert_eq!(r.iter().map(|r| r.text.as_str()).collect::<String>(), cue.text);
        assert_eq!((r[0].italic, r[1].italic, r[2].italic), (true, false, false));
        assert_eq!((r[1].color, r[2].color), (WHITE, [1.0, 1.0, 0.0, 1.0]));
        let plain = Cue { spans: Vec::new(), color: None, italic: true, ..cue };
        assert_eq!(runs(&plain), [TextRun { text: "Italic and yellow".into(), color: WHITE, italic: true }]);
    }
}
