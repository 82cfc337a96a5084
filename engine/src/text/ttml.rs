//! TTML (W3C Timed Text Markup Language 1/2, DFXP, IMSC 1 text profile) to timed cues.
//!
//! A Smooth Streaming text stream (`FourCC="TTML"` or `"DFXP"`) carries one TTML
//! document per sample in each fragment's `mdat`; sparse streams with
//! `ManifestOutput="true"` may also carry the same documents base64-encoded in the
//! manifest's `<c><f>` elements (`PayloadData::Bytes` of
//! [`crate::manifest::ChunkPayload`]). Both arrive here as bytes.
//!
//! # Which timeline the document's times are on
//!
//! ISO/IEC 14496-30 (timed text in ISO BMFF) puts the times of a TTML sample on the
//! track's media timeline: a caption at 62 s of the presentation says `begin="62s"`
//! even in the fragment that starts at 60 s. That is [`TimeBase::Presentation`], the
//! default here, and how Shaka Player reads Smooth Streaming text fragments. dash.js
//! instead reads Smooth Streaming TTML as relative to the sample start
//! (`MssParser` sets `ttmlTimeIsRelative`, and its text buffer then adds the sample
//! start): that is [`TimeBase::FragmentRelative`]. Encoders in the wild write both, so
//! [`TimeBase::Auto`] picks whichever reading puts the cues inside the fragment.
//! [`cues_for_fragment`] takes the fragment's start and duration for this and returns
//! cues on the presentation timeline, clipped to the fragment (a caption that spans a
//! fragment boundary is written into both documents; clipping keeps the two halves
//! from overlapping).
//!
//! # What is read
//!
//! `begin`/`end`/`dur` in every TTML time expression (see `ttml_time`), with `par` and
//! `seq` time containment through `body`, `div`, `p` and `span` (a child's times are
//! relative to its parent's begin, or to the previous sibling's end in a `seq`, and
//! clipped to the parent's end); spans with their own times split a paragraph into
//! several cues. `<br/>` is a line break; whitespace is collapsed unless
//! `xml:space="preserve"`. Styling: `tts:fontStyle` (italic, oblique), `tts:color`,
//! `tts:textAlign`, `tts:displayAlign`, `tts:origin`, `tts:extent`, from inline
//! attributes, referenced `<style>`s (chained) and regions, with TTML's priority (inline
//! over referenced over inherited over region). Namespaces are resolved, so any
//! prefix works; the TTML 1 (`http://www.w3.org/ns/ttml`) and the older DFXP
//! (`http://www.w3.org/2006/10/ttaf1`, `2006/04`) namespaces are both accepted, as are
//! elements with no namespace at all. `<metadata>`, images and foreign elements
//! contribute no text. `ttp:timeBase` other than `media` is read as `media`.
//!
//! Every size is bounded by [`TtmlLimits`]; nothing here panics on any input.

use std::collections::HashMap;
use std::time::Duration;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

use crate::text::ttml_time::{parse_time_expression, TimingParams};
use crate::text::xml_doc::{decode_text, text_piece};
use crate::time::MediaTime;

/// Bounds on what one TTML document may make the parser do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TtmlLimits {
    /// Largest document in bytes (default 4 MiB; a fragment's document is usually a few KiB).
    pub max_bytes: usize,
    /// Most cues one document may produce (default 10 000).
    pub max_cues: usize,
    /// Deepest element nesting (default 32; real documents use 5 or 6).
    pub max_depth: usize,
    /// Most `<style>` plus `<region>` definitions (default 1 000).
    pub max_definitions: usize,
    /// Most bytes of text in one `<p>` (default 64 KiB).
    pub max_paragraph_bytes: usize,
    /// Latest time a time expression may name (default 1 000 000 hours).
    pub max_time: Duration,
}

impl Default for TtmlLimits {
    fn default() -> Self {
        TtmlLimits {
            max_bytes: 4 << 20,
            max_cues: 10_000,
            max_depth: 32,
            max_definitions: 1_000,
            max_paragraph_bytes: 64 << 10,
            max_time: Duration::from_secs(3_600 * 1_000_000),
        }
    }
}

/// Why a TTML document could not be read.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum TtmlError {
    /// The document is larger than [`TtmlLimits::max_bytes`].
    #[error("TTML document is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Document size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Neither UTF-8 nor UTF-16 with a byte-order mark.
    #[error("TTML document is not UTF-8 (or UTF-16 with a BOM) text: invalid data at byte {offset}")]
    Encoding {
        /// Offset of the first invalid byte.
        offset: u64,
    },
    /// Malformed XML (unclosed or mismatched tags, bad attribute syntax, unbound prefix).
    #[error("TTML document is not well-formed XML at byte {offset}: {message}")]
    Xml {
        /// Where the XML reader stopped.
        offset: u64,
        /// The XML reader's description.
        message: String,
    },
    /// No root element.
    #[error("TTML document has no root element")]
    Empty,
    /// The root element is not `<tt>`.
    #[error("root element is <{found}>, expected TTML <tt>")]
    WrongRoot {
        /// The root's name as written (truncated).
        found: String,
    },
    /// A `begin`, `end` or `dur` that is not a valid time, or is too far.
    #[error("<{element}> at byte {offset}: {attribute}=\"{value}\" {reason}")]
    InvalidTime {
        /// Element name as written (truncated).
        element: String,
        /// `begin`, `end` or `dur`.
        attribute: &'static str,
        /// The value as written (truncated).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
        /// Byte offset of the element.
        offset: u64,
    },
    /// A `ttp:` timing parameter that cannot be used (a zero or malformed rate).
    #[error("ttp:{attribute}=\"{value}\" is not a usable timing parameter")]
    InvalidParameter {
        /// Parameter name.
        attribute: &'static str,
        /// The value as written (truncated).
        value: String,
    },
    /// A count or size went past one of the [`TtmlLimits`].
    #[error("TTML document at byte {offset}: more than {limit} {what}")]
    LimitExceeded {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
        /// Where the limit was hit.
        offset: u64,
    },
}

/// Longest value quoted back in an error.
const MAX_QUOTED: usize = 64;

fn quoted(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// One caption: text shown from `start` until `end`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    /// First instant the cue is shown.
    pub start: Duration,
    /// First instant it is no longer shown (`end > start` always).
    pub end: Duration,
    /// The text, lines joined by `\n`, whitespace collapsed as TTML renders it.
    pub text: String,
    /// The whole cue is italic (every non-blank span is).
    pub italic: bool,
    /// The colour every non-blank span has, as written (`yellow`, `#FFFF00`,
    /// `rgba(255,255,0,255)`); `None` when unspecified or mixed.
    pub color: Option<String>,
    /// Where to put it, when the document says.
    pub region: Option<CueRegion>,
    /// The text split by style, in order; concatenated it is `text`.
    pub spans: Vec<CueSpan>,
}

/// A run of cue text with one style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CueSpan {
    /// Text (may contain `\n`).
    pub text: String,
    /// Italic or oblique.
    pub italic: bool,
    /// Colour as written.
    pub color: Option<String>,
}

/// The region a cue is shown in (TTML `<region>` or inline `tts:origin`/`tts:extent`).
#[derive(Clone, Debug, PartialEq)]
pub struct CueRegion {
    /// `xml:id` of the `<region>`; `None` for an anonymous region from inline styles.
    pub id: Option<String>,
    /// Top-left corner (`tts:origin`).
    pub origin: Option<LengthPair>,
    /// Width and height (`tts:extent`).
    pub extent: Option<LengthPair>,
    /// Vertical placement of the text block inside the region.
    pub display_align: Option<DisplayAlign>,
    /// Horizontal alignment of the lines.
    pub text_align: Option<TextAlign>,
}

/// Two lengths: x then y (or width then height).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LengthPair {
    /// Horizontal.
    pub x: Length,
    /// Vertical.
    pub y: Length,
}

/// A TTML length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Length {
    /// Percent of the root container (`80%`).
    Percent(f32),
    /// Pixels (`640px`).
    Pixels(f32),
    /// Cells of `ttp:cellResolution` (`2c`).
    Cells(f32),
    /// Multiples of the font size (`1em`).
    Em(f32),
}

/// `tts:displayAlign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayAlign {
    /// Top of the region.
    Before,
    /// Middle.
    Center,
    /// Bottom.
    After,
}

/// `tts:textAlign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextAlign {
    /// `left`.
    Left,
    /// `center`.
    Center,
    /// `right`.
    Right,
    /// `start` (left in left-to-right text).
    Start,
    /// `end`.
    End,
    /// `justify` (TTML2).
    Justify,
}

/// How a fragment's TTML times map to the presentation timeline (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeBase {
    /// Times are presentation times (ISO/IEC 14496-30; Shaka Player).
    #[default]
    Presentation,
    /// Times are relative to the fragment's start (dash.js's reading of Smooth Streaming).
    FragmentRelative,
    /// `Presentation`, unless no cue would fall inside the fragment that way while some
    /// would as `FragmentRelative`.
    Auto,
}

/// The span of presentation time a fragment (or a manifest `<c>`) covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentSpan {
    /// Start on the presentation timeline (the chunk's `t`, or tfxd's time).
    pub start: Duration,
    /// Duration (the chunk's `d`, or tfxd's duration); cues with no end of their own
    /// end with the fragment.
    pub duration: Duration,
}

impl FragmentSpan {
    /// From a chunk's start and duration in its stream's timescale.
    pub fn from_media_time(start: MediaTime, duration: MediaTime) -> Self {
        FragmentSpan { start: start.to_duration(), duration: duration.to_duration() }
    }

    /// `start + duration` (saturating).
    pub fn end(&self) -> Duration {
        self.start.saturating_add(self.duration)
    }
}

/// The cues of one fragment's TTML document, on the presentation timeline, clipped to
/// the fragment, in document order. Cues with no end of their own end with the fragment.
pub fn cues_for_fragment(
    doc: &[u8],
    span: FragmentSpan,
    time_base: TimeBase,
    limits: &TtmlLimits,
) -> Result<Vec<Cue>, TtmlError> {
    let raw = parse_raw(doc, limits)?;
    let place = |c: &RawCue, offset: Duration| -> Option<(Duration, Duration)> {
        let start = c.begin.saturating_add(offset).max(span.start);
        let end = c.end.map_or(span.end(), |e| e.saturating_add(offset)).min(span.end());
        (end > start).then_some((start, end))
    };
    let offset = match time_base {
        TimeBase::Presentation => Duration::ZERO,
        TimeBase::FragmentRelative => span.start,
        TimeBase::Auto => {
            // A cue counts as inside when it begins or ends inside the fragment, or
            // covers it; an open-ended cue that began earlier does not count.
            let inside = |o: Duration| {
                let (start, end) = (span.start, span.end());
                raw.iter()
                    .filter(|c| {
                        let b = c.begin.saturating_add(o);
                        let e = c.end.map(|e| e.saturating_add(o));
                        (b >= start && b < end)
                            || e.is_some_and(|e| e > start && (e <= end || b < start))
                    })
                    .count()
            };
            if inside(Duration::ZERO) == 0 && inside(span.start) > 0 {
                span.start
            } else {
                Duration::ZERO
            }
        }
    };
    Ok(raw
        .into_iter()
        .filter_map(|c| {
            let (start, end) = place(&c, offset)?;
            Some(c.into_cue(start, end))
        })
        .collect())
}

/// The cues of a standalone TTML document, on the document's own timeline. A cue with
/// no end of its own (and no timed ancestor) ends where the document's last timed
/// element ends; when nothing in the document has an end, such cues are dropped.
pub fn parse_document(doc: &[u8], limits: &TtmlLimits) -> Result<Vec<Cue>, TtmlError> {
    let raw = parse_raw(doc, limits)?;
    let last = raw.iter().filter_map(|c| c.end).max();
    Ok(raw
        .into_iter()
        .filter_map(|c| {
            let end = c.end.or(last)?;
            (end > c.begin).then(|| {
                let begin = c.begin;
                c.into_cue(begin, end)
            })
        })
        .collect())
}

/// A cue on the document timeline; `end` is `None` when no element gave it one.
#[derive(Debug)]
struct RawCue {
    begin: Duration,
    end: Option<Duration>,
    spans: Vec<CueSpan>,
    region: Option<CueRegion>,
}

impl RawCue {
    fn into_cue(self, start: Duration, end: Duration) -> Cue {
        let text: String = self.spans.iter().map(|s| s.text.as_str()).collect();
        let visible: Vec<&CueSpan> = self.spans.iter().filter(|s| !s.text.trim().is_empty()).collect();
        let italic = !visible.is_empty() && visible.iter().all(|s| s.italic);
        let color = match visible.split_first() {
            Some((first, rest)) if rest.iter().all(|s| s.color == first.color) => first.color.clone(),
            _ => None,
        };
        Cue { start, end, text, italic, color, region: self.region, spans: self.spans }
    }
}

const TT_NS: [&str; 3] = [
    "http://www.w3.org/ns/ttml",
    "http://www.w3.org/2006/10/ttaf1",
    "http://www.w3.org/2006/04/ttaf1",
];
const STYLING_NS: [&str; 4] = [
    "http://www.w3.org/ns/ttml#styling",
    "http://www.w3.org/2006/10/ttaf1#styling",
    "http://www.w3.org/2006/10/ttaf1#style",
    "http://www.w3.org/2006/04/ttaf1#styling",
];
const PARAMETER_NS: [&str; 3] = [
    "http://www.w3.org/ns/ttml#parameter",
    "http://www.w3.org/2006/10/ttaf1#parameter",
    "http://www.w3.org/2006/04/ttaf1#parameter",
];
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Which vocabulary a name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vocab {
    /// No namespace (TTML's own attributes; elements of a document without `xmlns`).
    None,
    Tt,
    Styling,
    Parameter,
    Xml,
    Other,
}

fn vocab(res: &ResolveResult<'_>, prefix_hint: Option<&str>) -> Vocab {
    match res {
        ResolveResult::Unbound => Vocab::None,
        ResolveResult::Bound(ns) => {
            let ns = ns.into_inner();
            if TT_NS.contains(&ns) {
                Vocab::Tt
            } else if STYLING_NS.contains(&ns) {
                Vocab::Styling
            } else if PARAMETER_NS.contains(&ns) {
                Vocab::Parameter
            } else if ns == XML_NS {
                Vocab::Xml
            } else {
                Vocab::Other
            }
        }
        // An undeclared prefix: accept the conventional ones (documents that forgot
        // their xmlns:tts), ignore the rest.
        ResolveResult::Unknown(_) => match prefix_hint {
            Some("tts") => Vocab::Styling,
            Some("ttp") => Vocab::Parameter,
            Some("xml") => Vocab::Xml,
            _ => Vocab::Other,
        },
    }
}

/// What an element is to the parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tt,
    Head,
    Styling,
    Layout,
    Style,
    Region,
    Body,
    Div,
    P,
    Span,
    Br,
    /// `<metadata>`, images, foreign or unknown elements: no text, no timing.
    Ignored,
}

/// Style properties, each `None` when unspecified at this level.
#[derive(Clone, Debug, Default, PartialEq)]
struct Props {
    italic: Option<bool>,
    color: Option<String>,
    text_align: Option<TextAlign>,
    display_align: Option<DisplayAlign>,
    origin: Option<LengthPair>,
    extent: Option<LengthPair>,
}

impl Props {
    /// `other` wins where it says something.
    fn overlay(&mut self, other: &Props) {
        if other.italic.is_some() {
            self.italic = other.italic;
        }
        if other.color.is_some() {
            self.color.clone_from(&other.color);
        }
        if other.text_align.is_some() {
            self.text_align = other.text_align;
        }
        if other.display_align.is_some() {
            self.display_align = other.display_align;
        }
        if other.origin.is_some() {
            self.origin = other.origin;
        }
        if other.extent.is_some() {
            self.extent = other.extent;
        }
    }

    /// Only the inherited properties (TTML: fontStyle, color, textAlign).
    fn inherited(&self) -> Props {
        Props {
            italic: self.italic,
            color: self.color.clone(),
            text_align: self.text_align,
            ..Props::default()
        }
    }
}

/// A `<style>` or `<region>` definition: its own properties and the styles it references.
#[derive(Clone, Debug, Default)]
struct Definition {
    props: Props,
    refs: Vec<String>,
}

/// Deepest chain of style references followed (a cycle stops here too).
const MAX_STYLE_CHAIN: usize = 16;

/// One open element.
#[derive(Clone, Debug)]
struct Frame {
    kind: Kind,
    /// Document-time interval; `end: None` is unbounded.
    begin: Duration,
    end: Option<Duration>,
    /// The element is never active (empty interval): nothing under it shows.
    inactive: bool,
    seq: bool,
    /// In a `seq` container: where the next child starts.
    seq_cursor: Duration,
    /// Computed content style (inherited part plus this element's own).
    props: Props,
    region: Option<String>,
    preserve: bool,
    /// Inside a `<style>`/`<region>` being defined: the definition's id.
    defining: Option<(bool, String)>,
}

/// A piece of paragraph content: text or a line break, with its interval and style.
#[derive(Clone, Debug)]
struct Piece {
    begin: Duration,
    end: Option<Duration>,
    content: PieceContent,
    italic: bool,
    color: Option<String>,
    preserve: bool,
}

#[derive(Clone, Debug)]
enum PieceContent {
    Text(String),
    Break,
}

/// A `<p>` being collected.
struct Paragraph {
    begin: Duration,
    end: Option<Duration>,
    region: Option<CueRegion>,
    pieces: Vec<Piece>,
    bytes: usize,
}

struct Parser<'l> {
    limits: &'l TtmlLimits,
    params: TimingParams,
    styles: HashMap<String, Definition>,
    regions: HashMap<String, Definition>,
    stack: Vec<Frame>,
    paragraph: Option<Paragraph>,
    cues: Vec<RawCue>,
    seen_root: bool,
}

/// The element's attributes that matter, namespace-resolved.
#[derive(Default)]
struct Attrs {
    begin: Option<String>,
    end: Option<String>,
    dur: Option<String>,
    style: Option<String>,
    region: Option<String>,
    time_container: Option<String>,
    id: Option<String>,
    space: Option<String>,
    props: Props,
    params: Vec<(String, String)>,
}

fn parse_raw(doc: &[u8], limits: &TtmlLimits) -> Result<Vec<RawCue>, TtmlError> {
    if doc.len() > limits.max_bytes {
        return Err(TtmlError::TooLarge { size: doc.len(), limit: limits.max_bytes });
    }
    let text = decode_text(doc).map_err(|offset| TtmlError::Encoding { offset })?;
    let mut reader = NsReader::from_str(&text);
    reader.config_mut().allow_dangling_amp = true;
    let mut parser = Parser {
        limits,
        params: TimingParams::default(),
        styles: HashMap::new(),
        regions: HashMap::new(),
        stack: Vec::new(),
        paragraph: None,
        cues: Vec::new(),
        seen_root: false,
    };
    loop {
        let offset = reader.buffer_position();
        let (res, ev) = reader.read_resolved_event().map_err(|e| TtmlError::Xml {
            offset,
            message: e.to_string(),
        })?;
        let elem_vocab = match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                let prefix = name.prefix().map(|p| p.into_inner());
                vocab(&res, prefix)
            }
            _ => Vocab::None,
        };
        match &ev {
            Event::Start(e) => {
                let attrs = read_attrs(&reader, e, offset)?;
                parser.start(e, elem_vocab, attrs, offset)?;
            }
            Event::Empty(e) => {
                let attrs = read_attrs(&reader, e, offset)?;
                parser.start(e, elem_vocab, attrs, offset)?;
                parser.end(offset)?;
            }
            Event::End(_) => parser.end(offset)?,
            Event::Eof => {
                if !parser.seen_root {
                    return Err(TtmlError::Empty);
                }
                if !parser.stack.is_empty() {
                    return Err(TtmlError::Xml { offset, message: "unexpected end of document".into() });
                }
                return Ok(parser.cues);
            }
            other => {
                if let Some(piece) = text_piece(other) {
                    parser.text(&piece, offset)?;
                }
            }
        }
    }
}

fn read_attrs(reader: &NsReader<&[u8]>, e: &BytesStart<'_>, offset: u64) -> Result<Attrs, TtmlError> {
    let mut out = Attrs::default();
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    for attr in attrs {
        let attr = attr.map_err(|err| TtmlError::Xml { offset, message: err.to_string() })?;
        let key = attr.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (res, local) = reader.resolver().resolve_attribute(key);
        let prefix = key.prefix().map(|p| p.into_inner());
        let local = local.into_inner();
        let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(attr.value.as_bytes()).into_owned(),
        };
        match (vocab(&res, prefix), local) {
            (Vocab::None, "begin") => out.begin = Some(value),
            (Vocab::None, "end") => out.end = Some(value),
            (Vocab::None, "dur") => out.dur = Some(value),
            (Vocab::None, "style") => out.style = Some(value),
            (Vocab::None, "region") => out.region = Some(value),
            (Vocab::None, "timeContainer") => out.time_container = Some(value),
            (Vocab::Xml, "id") => out.id = Some(value),
            (Vocab::Xml, "space") => out.space = Some(value),
            (Vocab::Styling, name) => style_attr(&mut out.props, name, value.trim()),
            (Vocab::Parameter, name) => out.params.push((name.to_owned(), value)),
            _ => {}
        }
    }
    Ok(out)
}

/// One `tts:` attribute into `props`; values we cannot read are ignored, as a renderer would.
fn style_attr(props: &mut Props, name: &str, v: &str) {
    match name {
        "fontStyle" => props.italic = Some(matches!(v, "italic" | "oblique")),
        "color" if !v.is_empty() => props.color = Some(quoted(v)),
        "textAlign" => {
            props.text_align = match v {
                "left" => Some(TextAlign::Left),
                "center" => Some(TextAlign::Center),
                "right" => Some(TextAlign::Right),
                "start" => Some(TextAlign::Start),
                "end" => Some(TextAlign::End),
                "justify" => Some(TextAlign::Justify),
                _ => props.text_align,
            }
        }
        "displayAlign" => {
            props.display_align = match v {
                "before" => Some(DisplayAlign::Before),
                "center" => Some(DisplayAlign::Center),
                "after" => Some(DisplayAlign::After),
                _ => props.display_align,
            }
        }
        "origin" => props.origin = length_pair(v).or(props.origin),
        "extent" => props.extent = length_pair(v).or(props.extent),
        _ => {}
    }
}

fn length_pair(v: &str) -> Option<LengthPair> {
    let mut it = v.split_ascii_whitespace();
    let (x, y) = (length(it.next()?)?, length(it.next()?)?);
    it.next().is_none().then_some(LengthPair { x, y })
}

fn length(v: &str) -> Option<Length> {
    let (num, make): (&str, fn(f32) -> Length) = if let Some(n) = v.strip_suffix('%') {
        (n, Length::Percent)
    } else if let Some(n) = v.strip_suffix("px") {
        (n, Length::Pixels)
    } else if let Some(n) = v.strip_suffix("em") {
        (n, Length::Em)
    } else if let Some(n) = v.strip_suffix('c') {
        (n, Length::Cells)
    } else {
        return None;
    };
    let x: f32 = num.parse().ok()?;
    x.is_finite().then(|| make(x))
}

fn positive_int(attribute: &'static str, v: &str) -> Result<u64, TtmlError> {
    match v.trim().parse::<u64>() {
        Ok(n) if n > 0 && n <= 1_000_000_000 => Ok(n),
        _ => Err(TtmlError::InvalidParameter { attribute, value: quoted(v) }),
    }
}

impl Parser<'_> {
    fn element_kind(&self, local: &str, vocab: Vocab) -> Kind {
        if !matches!(vocab, Vocab::Tt | Vocab::None) {
            return Kind::Ignored;
        }
        let parent = self.stack.last().map(|f| f.kind);
        match (parent, local) {
            (None, "tt") => Kind::Tt,
            (Some(Kind::Tt), "head") => Kind::Head,
            (Some(Kind::Tt), "body") => Kind::Body,
            (Some(Kind::Head), "styling") => Kind::Styling,
            (Some(Kind::Head), "layout") => Kind::Layout,
            (Some(Kind::Styling), "style") | (Some(Kind::Region), "style") => Kind::Style,
            (Some(Kind::Layout), "region") => Kind::Region,
            (Some(Kind::Body | Kind::Div), "div") => Kind::Div,
            (Some(Kind::Body | Kind::Div), "p") => Kind::P,
            (Some(Kind::P | Kind::Span), "span") => Kind::Span,
            (Some(Kind::P | Kind::Span), "br") => Kind::Br,
            _ => Kind::Ignored,
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, vocab: Vocab, attrs: Attrs, offset: u64) -> Result<(), TtmlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(TtmlError::LimitExceeded {
                what: "levels of element nesting",
                limit: self.limits.max_depth,
                offset,
            });
        }
        let name = e.name();
        let local = name.local_name().into_inner();
        let kind = self.element_kind(local, vocab);
        if self.stack.is_empty() {
            if self.seen_root {
                return Err(TtmlError::Xml { offset, message: "more than one root element".into() });
            }
            self.seen_root = true;
            if kind != Kind::Tt {
                return Err(TtmlError::WrongRoot { found: quoted(name.into_inner()) });
            }
            self.read_params(&attrs)?;
        }
        let Some(parent) = self.stack.last().cloned() else {
            self.stack.push(Frame {
                kind,
                begin: Duration::ZERO,
                end: None,
                inactive: false,
                seq: false,
                seq_cursor: Duration::ZERO,
                props: Props::default(),
                region: None,
                preserve: attrs.space.as_deref() == Some("preserve"),
                defining: None,
            });
            return Ok(());
        };

        // Style and region definitions.
        let mut defining = parent.defining.clone();
        if matches!(kind, Kind::Style | Kind::Region) {
            let def = Definition {
                props: attrs.props.clone(),
                refs: attrs.style.as_deref().map(split_ids).unwrap_or_default(),
            };
            let nested_in_region = parent.kind == Kind::Region;
            if kind == Kind::Style && nested_in_region {
                // `<region><style tts:.../></region>`: the region's own properties.
                if let Some((true, id)) = &parent.defining {
                    let own = self.resolve_definition(&def, 0);
                    if let Some(r) = self.regions.get_mut(id) {
                        r.props.overlay(&own);
                    }
                }
            } else if let Some(id) = attrs.id.clone() {
                if self.styles.len() + self.regions.len() >= self.limits.max_definitions {
                    return Err(TtmlError::LimitExceeded {
                        what: "style and region definitions",
                        limit: self.limits.max_definitions,
                        offset,
                    });
                }
                let is_region = kind == Kind::Region;
                if is_region {
                    self.regions.insert(id.clone(), def);
                } else {
                    self.styles.insert(id.clone(), def);
                }
                defining = Some((is_region, id));
            }
        }

        let timed = matches!(kind, Kind::Body | Kind::Div | Kind::P | Kind::Span | Kind::Br);
        let (mut begin, mut end) = (parent.begin, parent.end);
        if timed {
            let time = |attribute: &'static str, v: &Option<String>| -> Result<Option<Duration>, TtmlError> {
                v.as_deref()
                    .map(|v| {
                        parse_time_expression(v, &self.params, self.limits.max_time).map_err(|p| {
                            TtmlError::InvalidTime {
                                element: quoted(name.into_inner()),
                                attribute,
                                value: quoted(v),
                                reason: p.reason(),
                                offset,
                            }
                        })
                    })
                    .transpose()
            };
            let (b, en, d) = (time("begin", &attrs.begin)?, time("end", &attrs.end)?, time("dur", &attrs.dur)?);
            let reference = if parent.seq { parent.seq_cursor } else { parent.begin };
            begin = reference.saturating_add(b.unwrap_or_default());
            let own_end = match (en, d) {
                (Some(e), Some(d)) => Some(reference.saturating_add(e).min(begin.saturating_add(d))),
                (Some(e), None) => Some(reference.saturating_add(e)),
                (None, Some(d)) => Some(begin.saturating_add(d)),
                (None, None) => None,
            };
            end = match (own_end, parent.end) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let inactive = parent.inactive || end.is_some_and(|e| e <= begin);

        // Computed style: inherited, then referenced styles, then inline attributes.
        let mut props = parent.props.inherited();
        if let Some(refs) = attrs.style.as_deref() {
            let def = Definition { props: Props::default(), refs: split_ids(refs) };
            props.overlay(&self.resolve_definition(&def, 0));
        }
        props.overlay(&attrs.props);
        let region = attrs.region.clone().or(parent.region.clone());
        let preserve = match attrs.space.as_deref() {
            Some("preserve") => true,
            Some("default") => false,
            _ => parent.preserve,
        };

        let frame = Frame {
            kind,
            begin,
            end,
            inactive,
            seq: attrs.time_container.as_deref() == Some("seq"),
            seq_cursor: begin,
            props,
            region,
            preserve,
            defining,
        };
        match kind {
            Kind::P => {
                let region = if inactive { None } else { self.cue_region(&frame, &attrs.props) };
                self.paragraph = Some(Paragraph { begin, end, region, pieces: Vec::new(), bytes: 0 });
            }
            Kind::Br if !inactive => {
                if let Some(p) = self.paragraph.as_mut() {
                    p.pieces.push(Piece {
                        begin: parent.begin.max(begin),
                        end: parent.end,
                        content: PieceContent::Break,
                        italic: false,
                        color: None,
                        preserve: frame.preserve,
                    });
                }
            }
            _ => {}
        }
        self.stack.push(frame);
        Ok(())
    }

    fn read_params(&mut self, attrs: &Attrs) -> Result<(), TtmlError> {
        let mut p = TimingParams::default();
        let mut tick_rate = None;
        for (name, v) in &attrs.params {
            match name.as_str() {
                "frameRate" => p.frame_rate = positive_int("frameRate", v)?,
                "subFrameRate" => p.sub_frame_rate = positive_int("subFrameRate", v)?,
                "tickRate" => tick_rate = Some(positive_int("tickRate", v)?),
                "frameRateMultiplier" => {
                    let mut it = v.split_ascii_whitespace();
                    let (Some(a), Some(b), None) = (it.next(), it.next(), it.next()) else {
                        return Err(TtmlError::InvalidParameter { attribute: "frameRateMultiplier", value: quoted(v) });
                    };
                    p.multiplier =
                        (positive_int("frameRateMultiplier", a)?, positive_int("frameRateMultiplier", b)?);
                }
                _ => {}
            }
        }
        let frame_rate_given = attrs.params.iter().any(|(n, _)| n == "frameRate");
        p.tick_rate = tick_rate.unwrap_or(if frame_rate_given { p.frame_rate * p.sub_frame_rate } else { 1 });
        self.params = p;
        Ok(())
    }

    /// A definition's properties with its references resolved (references first, then
    /// its own), following at most [`MAX_STYLE_CHAIN`] links.
    fn resolve_definition(&self, def: &Definition, depth: usize) -> Props {
        let mut out = Props::default();
        if depth < MAX_STYLE_CHAIN {
            for r in &def.refs {
                if let Some(d) = self.styles.get(r) {
                    out.overlay(&self.resolve_definition(d, depth + 1));
                }
            }
        }
        out.overlay(&def.props);
        out
    }

    /// The region a `<p>` shows in: its (inherited) region reference, with inline
    /// `tts:origin`/`tts:extent` on the `<p>` as an anonymous region.
    fn cue_region(&self, frame: &Frame, inline: &Props) -> Option<CueRegion> {
        let named = frame.region.as_ref().and_then(|id| {
            let def = self.regions.get(id)?;
            Some((id.clone(), self.resolve_definition(def, 0)))
        });
        let mut props = named.as_ref().map(|(_, p)| p.clone()).unwrap_or_default();
        props.overlay(&Props {
            origin: inline.origin,
            extent: inline.extent,
            display_align: inline.display_align,
            ..Props::default()
        });
        let text_align = frame.props.text_align.or(props.text_align);
        let region = CueRegion {
            id: named.map(|(id, _)| id),
            origin: props.origin,
            extent: props.extent,
            display_align: props.display_align,
            text_align,
        };
        (region.id.is_some()
            || region.origin.is_some()
            || region.extent.is_some()
            || region.display_align.is_some()
            || region.text_align.is_some())
        .then_some(region)
    }

    fn text(&mut self, piece: &str, offset: u64) -> Result<(), TtmlError> {
        let Some(frame) = self.stack.last() else { return Ok(()) };
        if frame.inactive || !matches!(frame.kind, Kind::P | Kind::Span) {
            return Ok(());
        }
        // Region styles apply to content that does not say otherwise.
        let region_props = frame
            .region
            .as_ref()
            .and_then(|id| self.regions.get(id))
            .map(|d| self.resolve_definition(d, 0))
            .unwrap_or_default();
        let italic = frame.props.italic.or(region_props.italic).unwrap_or(false);
        let color = frame.props.color.clone().or(region_props.color);
        let (begin, end, preserve) = (frame.begin, frame.end, frame.preserve);
        let Some(p) = self.paragraph.as_mut() else { return Ok(()) };
        p.bytes += piece.len();
        if p.bytes > self.limits.max_paragraph_bytes {
            return Err(TtmlError::LimitExceeded {
                what: "bytes of text in one <p>",
                limit: self.limits.max_paragraph_bytes,
                offset,
            });
        }
        p.pieces.push(Piece { begin, end, content: PieceContent::Text(piece.to_owned()), italic, color, preserve });
        Ok(())
    }

    fn end(&mut self, offset: u64) -> Result<(), TtmlError> {
        let Some(frame) = self.stack.pop() else { return Ok(()) };
        if let Some(parent) = self.stack.last_mut() {
            if parent.seq && matches!(frame.kind, Kind::Div | Kind::P | Kind::Span | Kind::Body) {
                parent.seq_cursor = frame.end.or(parent.end).unwrap_or(parent.seq_cursor);
            }
        }
        if frame.kind == Kind::P {
            if let Some(p) = self.paragraph.take() {
                if !frame.inactive {
                    self.emit(p, offset)?;
                }
            }
        }
        Ok(())
    }

    /// Turns a paragraph into cues: one per interval over which the same pieces show.
    fn emit(&mut self, p: Paragraph, offset: u64) -> Result<(), TtmlError> {
        let mut bounds: Vec<Duration> = vec![p.begin];
        for piece in &p.pieces {
            bounds.push(piece.begin);
            bounds.extend(piece.end);
        }
        bounds.extend(p.end);
        bounds.retain(|&t| t >= p.begin && p.end.is_none_or(|e| t <= e));
        bounds.sort_unstable();
        bounds.dedup();
        let mut slices: Vec<(Duration, Option<Duration>)> =
            bounds.windows(2).map(|w| (w[0], Some(w[1]))).collect();
        if p.end.is_none() {
            if let Some(&last) = bounds.last() {
                slices.push((last, None));
            }
        }
        let mut last: Option<RawCue> = None;
        for (a, b) in slices {
            let active = p.pieces.iter().filter(|x| {
                x.begin <= a
                    && match (x.end, b) {
                        (None, _) => true,
                        (Some(xe), Some(b)) => xe >= b,
                        (Some(_), None) => false,
                    }
            });
            let spans = assemble(active);
            if spans.is_empty() {
                if let Some(c) = last.take() {
                    self.push(c, offset)?;
                }
                continue;
            }
            match last.as_mut() {
                Some(c) if c.spans == spans && c.end == Some(a) => c.end = b,
                _ => {
                    if let Some(c) = last.take() {
                        self.push(c, offset)?;
                    }
                    last = Some(RawCue { begin: a, end: b, spans, region: p.region.clone() });
                }
            }
        }
        if let Some(c) = last {
            self.push(c, offset)?;
        }
        Ok(())
    }

    fn push(&mut self, c: RawCue, offset: u64) -> Result<(), TtmlError> {
        if self.cues.len() >= self.limits.max_cues {
            return Err(TtmlError::LimitExceeded { what: "cues", limit: self.limits.max_cues, offset });
        }
        self.cues.push(c);
        Ok(())
    }
}

fn split_ids(s: &str) -> Vec<String> {
    s.split_ascii_whitespace().take(MAX_STYLE_CHAIN).map(str::to_owned).collect()
}

/// Lays out pieces as TTML renders them: runs of whitespace collapse to one space
/// (unless preserved), lines are trimmed, leading and trailing blank lines dropped.
/// Returns the styled runs (empty when there is nothing visible).
fn assemble<'a>(pieces: impl Iterator<Item = &'a Piece>) -> Vec<CueSpan> {
    let mut spans: Vec<CueSpan> = Vec::new();
    let mut pending_space = false;
    let mut at_line_start = true;
    fn push(spans: &mut Vec<CueSpan>, italic: bool, color: &Option<String>, s: &str) {
        match spans.last_mut() {
            Some(l) if l.italic == italic && l.color == *color => l.text.push_str(s),
            _ => spans.push(CueSpan { text: s.to_owned(), italic, color: color.clone() }),
        }
    }
    fn newline(spans: &mut Vec<CueSpan>) {
        if let Some(l) = spans.last_mut() {
            let t = l.text.trim_end_matches(' ').len();
            l.text.truncate(t);
            l.text.push('\n');
        } else {
            spans.push(CueSpan { text: "\n".into(), italic: false, color: None });
        }
    }
    for piece in pieces {
        match &piece.content {
            PieceContent::Break => {
                newline(&mut spans);
                pending_space = false;
                at_line_start = true;
            }
            PieceContent::Text(t) => {
                let mut buf = String::new();
                for ch in t.chars() {
                    if piece.preserve {
                        match ch {
                            '\r' => {}
                            '\n' => {
                                push(&mut spans, piece.italic, &piece.color, &buf);
                                buf.clear();
                                newline(&mut spans);
                                at_line_start = true;
                            }
                            _ => {
                                buf.push(ch);
                                at_line_start = false;
                            }
                        }
                    } else if matches!(ch, ' ' | '\t' | '\n' | '\r') {
                        pending_space = !at_line_start;
                    } else {
                        if pending_space {
                            buf.push(' ');
                            pending_space = false;
                        }
                        buf.push(ch);
                        at_line_start = false;
                    }
                }
                if !buf.is_empty() {
                    push(&mut spans, piece.italic, &piece.color, &buf);
                }
            }
        }
    }
    // Drop leading and trailing blank lines and spaces.
    while let Some(first) = spans.first_mut() {
        let t = first.text.trim_start_matches(['\n', ' ']).to_owned();
        if t.is_empty() {
            spans.remove(0);
        } else {
            first.text = t;
            break;
        }
    }
    while let Some(last) = spans.last_mut() {
        let n = last.text.trim_end_matches(['\n', ' ']).len();
        if n == 0 {
            spans.pop();
        } else {
            last.text.truncate(n);
            break;
        }
    }
    spans
}

#[cfg(test)]
#[path = "ttml_tests.rs"]
mod tests;
