//! Cues to SubRip (`.srt`) and WebVTT (`.vtt`) text.
//!
//! Both number the cues from 1 and write times rounded down to the millisecond (a cue
//! shorter than that gets 1 ms, so no cue has `end <= start`). Italic text is wrapped in
//! `<i>` (as SubRip players understand it too). A blank line would end a cue early in
//! both formats, so empty lines inside a cue's text are left out.
//!
//! Escaping: WebVTT text has `&`, `<` and `>` written as character references (which
//! also covers `-->`). SubRip has no escapes; `-->` inside text is written `-- >` so it
//! cannot be read as a timing line. Colours become `<font color="...">` in SubRip and,
//! for the eight colours WebVTT has default classes for (white, lime, cyan, red, yellow,
//! magenta, blue, black), `<c.name>` in WebVTT. A cue's region becomes WebVTT cue
//! settings (`position`, `size`, `line`, `align`) when its origin and extent are in
//! percent.

use std::fmt::Write as _;
use std::time::Duration;

use crate::text::ttml::{Cue, CueRegion, DisplayAlign, Length, TextAlign};

/// The cues as a SubRip document (UTF-8, `\n` line ends, cues in the order given).
pub fn write_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, cue) in cues.iter().enumerate() {
        let (start, end) = times(cue);
        let _ = write!(out, "{}\n{} --> {}\n", i + 1, timestamp(start, ','), timestamp(end, ','));
        out.push_str(&body(cue, Format::Srt));
        out.push_str("\n\n");
    }
    out
}

/// The cues as a WebVTT document (UTF-8, `\n` line ends, cues in the order given).
pub fn write_webvtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, cue) in cues.iter().enumerate() {
        let (start, end) = times(cue);
        let _ = write!(out, "{}\n{} --> {}", i + 1, timestamp(start, '.'), timestamp(end, '.'));
        if let Some(r) = &cue.region {
            out.push_str(&vtt_settings(r));
        }
        out.push('\n');
        out.push_str(&body(cue, Format::Vtt));
        out.push_str("\n\n");
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Srt,
    Vtt,
}

/// Start and end in whole milliseconds, end at least 1 ms after start.
fn times(cue: &Cue) -> (u128, u128) {
    let start = cue.start.as_millis();
    let end = cue.end.as_millis().max(start + 1);
    (start, end)
}

/// `HH:MM:SS,mmm` (SubRip) or `HH:MM:SS.mmm` (WebVTT); hours grow past two digits.
fn timestamp(ms: u128, sep: char) -> String {
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Formats a `Duration` the way the writers do (for logs and tests).
pub fn srt_timestamp(d: Duration) -> String {
    timestamp(d.as_millis(), ',')
}

fn escape(s: &str, f: Format) -> String {
    match f {
        Format::Vtt => s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"),
        Format::Srt => {
            let mut s = s.to_owned();
            while s.contains("-->") {
                s = s.replace("-->", "-- >");
            }
            s
        }
    }
}

/// A colour value safe to put inside an attribute.
fn safe_color(c: &str) -> Option<&str> {
    (!c.is_empty() && c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || "#(),. %".contains(ch)))
        .then_some(c)
}

/// The WebVTT default colour class for a TTML colour, if there is one.
fn vtt_class(c: &str) -> Option<&'static str> {
    let c = c.trim().to_ascii_lowercase();
    const NAMES: [(&str, &str); 8] = [
        ("white", "ffffff"),
        ("lime", "00ff00"),
        ("cyan", "00ffff"),
        ("red", "ff0000"),
        ("yellow", "ffff00"),
        ("magenta", "ff00ff"),
        ("blue", "0000ff"),
        ("black", "000000"),
    ];
    let hex = c.strip_prefix('#').map(|h| h.strip_suffix("ff").filter(|h| h.len() == 6).unwrap_or(h));
    NAMES.iter().find(|(name, rgb)| c == *name || hex == Some(*rgb)).map(|(name, _)| *name)
}

fn body(cue: &Cue, f: Format) -> String {
    let mut out = String::new();
    let spans: Vec<(&str, bool, Option<&str>)> = if cue.spans.is_empty() {
        vec![(cue.text.as_str(), cue.italic, cue.color.as_deref())]
    } else {
        cue.spans.iter().map(|s| (s.text.as_str(), s.italic, s.color.as_deref())).collect()
    };
    for (text, italic, color) in spans {
        let escaped = escape(text, f);
        if text.trim().is_empty() {
            out.push_str(&escaped);
            continue;
        }
        let (mut open, mut close) = (String::new(), String::new());
        match (f, color) {
            (Format::Srt, Some(c)) => {
                if let Some(c) = safe_color(c) {
                    open = format!("<font color=\"{c}\">");
                    close = "</font>".into();
                }
            }
            (Format::Vtt, Some(c)) => {
                if let Some(class) = vtt_class(c) {
                    open = format!("<c.{class}>");
                    close = "</c>".into();
                }
            }
            _ => {}
        }
        if italic {
            open.push_str("<i>");
            close.insert_str(0, "</i>");
        }
        out.push_str(&open);
        out.push_str(&escaped);
        out.push_str(&close);
    }
    out.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

fn percent(l: Length) -> Option<f32> {
    match l {
        Length::Percent(p) => Some(p),
        _ => None,
    }
}

fn pct(x: f32) -> String {
    let x = (x.clamp(0.0, 100.0) * 100.0).round() / 100.0;
    format!("{x}%")
}

/// WebVTT cue settings for a region (with a leading space), or nothing.
fn vtt_settings(r: &CueRegion) -> String {
    let mut s = String::new();
    if let (Some(o), Some(e)) = (r.origin, r.extent) {
        if let (Some(x), Some(y), Some(w), Some(h)) = (percent(o.x), percent(o.y), percent(e.x), percent(e.y)) {
            let _ = write!(s, " position:{} size:{}", pct(x + w / 2.0), pct(w));
            let line = match r.display_align.unwrap_or(DisplayAlign::Before) {
                DisplayAlign::Before => format!("{},start", pct(y)),
                DisplayAlign::Center => format!("{},center", pct(y + h / 2.0)),
                DisplayAlign::After => format!("{},end", pct(y + h)),
            };
            let _ = write!(s, " line:{line}");
        }
    }
    let align = match r.text_align {
        Some(TextAlign::Left) => Some("left"),
        Some(TextAlign::Center) => Some("center"),
        Some(TextAlign::Right) => Some("right"),
        Some(TextAlign::Start) => Some("start"),
        Some(TextAlign::End) => Some("end"),
        Some(TextAlign::Justify) | None => None,
    };
    if let Some(a) = align {
        let _ = write!(s, " align:{a}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::ttml::{CueSpan, LengthPair};

    fn cue(start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue {
            start: Duration::from_millis(start_ms),
            end: Duration::from_millis(end_ms),
            text: text.into(),
            italic: false,
            color: None,
            region: None,
            spans: vec![CueSpan { text: text.into(), italic: false, color: None }],
        }
    }

    #[test]
    fn srt_numbering_times_and_escapes() {
        let mut italic = cue(3_723_004, 3_725_000, "slanted\nsecond line");
        italic.spans[0].italic = true;
        italic.italic = true;
        let cues = vec![
            cue(1500, 3000, "a --> b\n\nafter a blank line"),
            italic,
            // Past 99 hours, and shorter than a millisecond.
            cue(360_000_000, 360_000_000, "x"),
        ];
        assert_eq!(
            write_srt(&cues),
            "1\n00:00:01,500 --> 00:00:03,000\na -- > b\nafter a blank line\n\n\
             2\n01:02:03,004 --> 01:02:05,000\n<i>slanted\nsecond line</i>\n\n\
             3\n100:00:00,000 --> 100:00:00,001\nx\n\n"
        );
        assert_eq!(srt_timestamp(Duration::from_millis(61_001)), "00:01:01,001");
    }

    #[test]
    fn webvtt_escapes_classes_and_settings() {
        let mut c = cue(0, 999, "");
        c.spans = vec![
            CueSpan { text: "1 < 2 & ".into(), italic: false, color: Some("#FFFF00".into()) },
            CueSpan { text: "--> end".into(), italic: true, color: Some("rgba(1,2,3,4)".into()) },
        ];
        c.text = "1 < 2 & --> end".into();
        c.region = Some(CueRegion {
            id: Some("r".into()),
            origin: Some(LengthPair { x: Length::Percent(10.0), y: Length::Percent(80.0) }),
            extent: Some(LengthPair { x: Length::Percent(80.0), y: Length::Percent(15.0) }),
            display_align: Some(DisplayAlign::After),
            text_align: Some(TextAlign::Center),
        });
        assert_eq!(
            write_webvtt(&[c]),
            "WEBVTT\n\n1\n00:00:00.000 --> 00:00:00.999 position:50% size:80% line:95%,end align:center\n\
             <c.yellow>1 &lt; 2 &amp; </c><i>--&gt; end</i>\n\n"
        );
        let mut srt_color = cue(0, 1, "red");
        srt_color.spans[0].color = Some("red\" onload=\"x".into());
        assert_eq!(write_srt(&[srt_color]), "1\n00:00:00,000 --> 00:00:00,001\nred\n\n");
    }

    #[test]
    fn from_ttml_to_both_formats() {
        let doc = br#"<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling"><body>
            <p begin="1s" end="2s">one<br/><span tts:fontStyle="italic">two</span></p></body></tt>"#;
        let cues = crate::text::parse_document(doc, &Default::default()).unwrap();
        assert_eq!(write_srt(&cues), "1\n00:00:01,000 --> 00:00:02,000\none\n<i>two</i>\n\n");
        assert_eq!(write_webvtt(&cues), "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\none\n<i>two</i>\n\n");
    }
}
