//! The client-manifest parser: a quick-xml event loop with one small function per
//! element. Unknown elements are skipped (with their subtree), unknown attributes are
//! ignored, and every count and size is checked against [`ManifestLimits`].

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::manifest::attr_values::{decode_hex, AttrSite};
use crate::manifest::encoding::decode_document;
use crate::manifest::error::{quoted, ManifestError};
use crate::manifest::level_checks::{check_level, LevelAttrs};
use crate::manifest::limits::ManifestLimits;
use crate::manifest::model::{
    ChunkPayload, Manifest, PayloadData, QualityLevel, StreamIndex, StreamKind,
};
use crate::manifest::protection::{decode_base64, ProtectionHeader};
use crate::manifest::timeline::{ChunkSpec, TimelineBuilder};
use crate::manifest::xml_util::{attributes, local_name, text_piece, Attr, AttrProblem};
use crate::time::{MediaTime, DEFAULT_TIMESCALE};

/// Parses a client manifest under `limits`.
pub(crate) fn parse_manifest(
    xml: &[u8],
    limits: &ManifestLimits,
) -> Result<Manifest, ManifestError> {
    if xml.len() > limits.max_bytes {
        return Err(ManifestError::TooLarge {
            size: xml.len(),
            limit: limits.max_bytes,
        });
    }
    let text = decode_document(xml)?;
    let mut parser = Parser::new(limits);
    let mut reader = Reader::from_str(&text);
    // A bare `&` in text is kept as text rather than failing the document.
    reader.config_mut().allow_dangling_amp = true;
    loop {
        let offset = reader.buffer_position();
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                return Err(ManifestError::Xml {
                    offset: reader.buffer_position(),
                    message: e.to_string(),
                })
            }
        };
        match &ev {
            Event::Start(e) => parser.start(e, offset)?,
            Event::Empty(e) => {
                parser.start(e, offset)?;
                parser.end(offset)?;
            }
            Event::End(_) => parser.end(offset)?,
            Event::Eof => return parser.eof(offset),
            other => {
                if let Some(piece) = text_piece(other) {
                    parser.text(&piece, offset)?;
                }
            }
        }
        if parser.done {
            return parser.finish();
        }
    }
}

/// Which element the parser is inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    Media,
    MediaCustomAttributes,
    Protection,
    ProtectionHeader,
    Stream,
    Level,
    LevelCustomAttributes,
    Chunk,
    Payload,
    /// An element we do not interpret (its subtree is skipped).
    Skip,
}

impl Frame {
    /// The element name the frame stands for (for messages).
    fn element_name(self) -> &'static str {
        match self {
            Frame::Media => "SmoothStreamingMedia",
            Frame::MediaCustomAttributes | Frame::LevelCustomAttributes => "CustomAttributes",
            Frame::Protection => "Protection",
            Frame::ProtectionHeader => "ProtectionHeader",
            Frame::Stream => "StreamIndex",
            Frame::Level => "QualityLevel",
            Frame::Chunk => "c",
            Frame::Payload => "f",
            Frame::Skip => "(unknown element)",
        }
    }
}

/// A stream being built.
struct StreamBuilder {
    stream: StreamIndex,
    timeline: TimelineBuilder,
}

/// A `<c>` being built (its `<f>` children arrive before its end tag).
struct ChunkBuilder {
    spec: ChunkSpec,
    payloads: Vec<ChunkPayload>,
}

/// A `<ProtectionHeader>` being built.
struct HeaderBuilder {
    system_id: String,
}

struct Parser<'l> {
    limits: &'l ManifestLimits,
    frames: Vec<Frame>,
    manifest: Option<Manifest>,
    stream: Option<StreamBuilder>,
    level: Option<(QualityLevel, LevelAttrs)>,
    chunk: Option<ChunkBuilder>,
    payload: Option<ChunkPayload>,
    header: Option<HeaderBuilder>,
    /// Text of the current `<ProtectionHeader>` or `<f>`.
    text: String,
    total_chunks: usize,
    done: bool,
}

fn is(name: &str, expected: &str) -> bool {
    name.eq_ignore_ascii_case(expected)
}

impl<'l> Parser<'l> {
    fn new(limits: &'l ManifestLimits) -> Self {
        Parser {
            limits,
            frames: Vec::new(),
            manifest: None,
            stream: None,
            level: None,
            chunk: None,
            payload: None,
            header: None,
            text: String::new(),
            total_chunks: 0,
            done: false,
        }
    }

    /// The attributes of `e`, with reading problems turned into manifest errors.
    fn attrs<'a>(
        &self,
        e: &'a BytesStart<'_>,
        element: &'static str,
        offset: u64,
    ) -> impl Iterator<Item = Result<Attr<'a>, ManifestError>> + 'a {
        let limit = self.limits.max_attribute_len;
        attributes(e, limit).map(move |r| {
            r.map_err(|p| match p {
                AttrProblem::Syntax(message) => ManifestError::Xml {
                    offset,
                    message: format!("<{element}>: {message}"),
                },
                AttrProblem::TooLong => ManifestError::LimitExceeded {
                    element,
                    what: "bytes in an attribute value",
                    limit,
                    offset,
                },
            })
        })
    }

    fn limit(
        &self,
        element: &'static str,
        what: &'static str,
        limit: usize,
        offset: u64,
    ) -> ManifestError {
        ManifestError::LimitExceeded {
            element,
            what,
            limit,
            offset,
        }
    }

    /// Room for one more of `what` inside `element`: an error once `count` has reached `max`.
    fn room_for_one_more(
        count: usize,
        max: usize,
        element: &'static str,
        what: &'static str,
        offset: u64,
    ) -> Result<(), ManifestError> {
        if count >= max {
            return Err(ManifestError::LimitExceeded { element, what, limit: max, offset });
        }
        Ok(())
    }

    /// A start tag (or the start half of an empty-element tag).
    fn start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ManifestError> {
        if self.frames.len() >= self.limits.max_depth {
            return Err(ManifestError::TooDeep {
                limit: self.limits.max_depth,
                offset,
            });
        }
        let name = local_name(e);
        let frame = match self.frames.last().copied() {
            None => {
                if !is(name, "SmoothStreamingMedia") {
                    return Err(ManifestError::WrongRoot {
                        found: quoted(name),
                    });
                }
                self.media(e, offset)?;
                Frame::Media
            }
            Some(Frame::Media) if is(name, "StreamIndex") => {
                self.stream_start(e, offset)?;
                Frame::Stream
            }
            Some(Frame::Media) if is(name, "Protection") => Frame::Protection,
            Some(Frame::Media) if is(name, "CustomAttributes") => Frame::MediaCustomAttributes,
            Some(Frame::Protection) if is(name, "ProtectionHeader") => {
                self.header_start(e, offset)?;
                Frame::ProtectionHeader
            }
            Some(Frame::Stream) if is(name, "QualityLevel") => {
                self.level_start(e, offset)?;
                Frame::Level
            }
            Some(Frame::Stream) if is(name, "c") => {
                self.chunk_start(e, offset)?;
                Frame::Chunk
            }
            Some(Frame::Level) if is(name, "CustomAttributes") => Frame::LevelCustomAttributes,
            Some(f @ (Frame::MediaCustomAttributes | Frame::LevelCustomAttributes))
                if is(name, "Attribute") =>
            {
                self.custom_attribute(e, f, offset)?;
                Frame::Skip
            }
            Some(Frame::Chunk) if is(name, "f") => {
                self.payload_start(e, offset)?;
                Frame::Payload
            }
            Some(_) => Frame::Skip,
        };
        self.frames.push(frame);
        Ok(())
    }

    /// An end tag (or the end half of an empty-element tag).
    fn end(&mut self, offset: u64) -> Result<(), ManifestError> {
        match self.frames.pop() {
            Some(Frame::Media) => self.done = true,
            Some(Frame::ProtectionHeader) => self.header_end(offset)?,
            Some(Frame::Stream) => self.stream_end(),
            Some(Frame::Level) => self.level_end(),
            Some(Frame::Chunk) => self.chunk_end()?,
            Some(Frame::Payload) => self.payload_end(),
            _ => {}
        }
        Ok(())
    }

    /// Character data: kept only inside `<ProtectionHeader>` and `<f>`.
    fn text(&mut self, piece: &str, offset: u64) -> Result<(), ManifestError> {
        let element = match self.frames.last() {
            Some(Frame::ProtectionHeader) => "ProtectionHeader",
            Some(Frame::Payload) => "f",
            _ => return Ok(()),
        };
        if self.text.len().saturating_add(piece.len()) > self.limits.max_text_len {
            return Err(self.limit(element, "bytes of text", self.limits.max_text_len, offset));
        }
        self.text.push_str(piece);
        Ok(())
    }

    fn eof(&mut self, offset: u64) -> Result<Manifest, ManifestError> {
        match self.frames.last() {
            None => Err(ManifestError::Empty),
            Some(f) => Err(ManifestError::Xml {
                offset,
                message: format!("document ends inside an unclosed <{}>", f.element_name()),
            }),
        }
    }

    fn finish(&mut self) -> Result<Manifest, ManifestError> {
        self.manifest.take().ok_or(ManifestError::Empty)
    }

    /// `<SmoothStreamingMedia>`.
    fn media(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ManifestError> {
        const EL: &str = "SmoothStreamingMedia";
        let mut major = None;
        let mut minor = 0u32;
        let mut timescale = DEFAULT_TIMESCALE;
        let mut duration = None;
        let mut dvr = None;
        let mut m = Manifest {
            major_version: 0,
            minor_version: 0,
            timescale,
            duration: None,
            is_live: false,
            lookahead_count: None,
            dvr_window_length: None,
            can_seek: true,
            can_pause: true,
            protection: Vec::new(),
            streams: Vec::new(),
            custom_attributes: Vec::new(),
        };
        for a in self.attrs(e, EL, offset) {
            let a = a?;
            let site = AttrSite {
                element: EL,
                attribute: a.name,
                offset,
            };
            let v = &*a.value;
            match a.name {
                n if is(n, "MajorVersion") => major = Some(site.uint::<u32>(v)?),
                n if is(n, "MinorVersion") => minor = site.uint(v)?,
                n if is(n, "TimeScale") => timescale = site.u64(v)?,
                n if is(n, "Duration") => duration = Some(site.u64(v)?),
                n if is(n, "IsLive") => m.is_live = site.bool(v)?,
                n if is(n, "LookaheadCount") || is(n, "LookAheadFragmentCount") => {
                    m.lookahead_count = Some(site.uint(v)?)
                }
                n if is(n, "DVRWindowLength") => dvr = Some(site.u64(v)?),
                n if is(n, "CanSeek") => m.can_seek = site.bool(v)?,
                n if is(n, "CanPause") => m.can_pause = site.bool(v)?,
                _ => {}
            }
            if is(a.name, "TimeScale") && timescale == 0 {
                return Err(site.invalid(v, "must not be 0"));
            }
        }
        let major = major.ok_or(ManifestError::MissingAttribute {
            element: EL,
            attribute: "MajorVersion",
            offset,
        })?;
        if !(1..=2).contains(&major) {
            return Err(ManifestError::Unsupported {
                feature: format!("MajorVersion {major} (1 and 2 are known)"),
            });
        }
        m.major_version = major;
        m.minor_version = minor;
        m.timescale = timescale;
        // A live manifest writes Duration="0" for "unknown".
        m.duration = duration
            .filter(|&d| !(d == 0 && m.is_live))
            .map(|d| MediaTime::new(d, timescale));
        m.dvr_window_length = dvr
            .filter(|&d| d != 0)
            .map(|d| MediaTime::new(d, timescale));
        self.manifest = Some(m);
        Ok(())
    }

    /// `<Attribute Name Value>` inside a `<CustomAttributes>`.
    fn custom_attribute(
        &mut self,
        e: &BytesStart<'_>,
        frame: Frame,
        offset: u64,
    ) -> Result<(), ManifestError> {
        let mut name = String::new();
        let mut value = String::new();
        for a in self.attrs(e, "Attribute", offset) {
            let a = a?;
            if is(a.name, "Name") {
                name = a.value.trim().to_owned();
            } else if is(a.name, "Value") {
                value = a.value.trim().to_owned();
            }
        }
        let max = self.limits.max_custom_attributes;
        let list = match frame {
            Frame::LevelCustomAttributes => {
                self.level.as_mut().map(|(l, _)| &mut l.custom_attributes)
            }
            _ => self.manifest.as_mut().map(|m| &mut m.custom_attributes),
        };
        if let Some(list) = list {
            Self::room_for_one_more(list.len(), max, "CustomAttributes", "attributes", offset)?;
            list.push((name, value));
        }
        Ok(())
    }

    /// `<ProtectionHeader SystemID>`.
    fn header_start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ManifestError> {
        let count = self.manifest.as_ref().map_or(0, |m| m.protection.len());
        Self::room_for_one_more(count, self.limits.max_protection_headers, "Protection", "ProtectionHeader elements", offset)?;
        let mut system_id = String::new();
        for a in self.attrs(e, "ProtectionHeader", offset) {
            let a = a?;
            if is(a.name, "SystemID") {
                system_id = a.value.into_owned();
            }
        }
        self.header = Some(HeaderBuilder { system_id });
        self.text.clear();
        Ok(())
    }

    fn header_end(&mut self, _offset: u64) -> Result<(), ManifestError> {
        if let (Some(h), Some(m)) = (self.header.take(), self.manifest.as_mut()) {
            m.protection.push(ProtectionHeader::from_parts(
                h.system_id,
                &self.text,
                self.limits.max_kids,
            ));
        }
        self.text.clear();
        Ok(())
    }

    /// `<StreamIndex>`.
    fn stream_start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ManifestError> {
        const EL: &str = "StreamIndex";
        let (count, timescale) = self
            .manifest
            .as_ref()
            .map_or((0, DEFAULT_TIMESCALE), |m| (m.streams.len(), m.timescale));
        Self::room_for_one_more(count, self.limits.max_streams, "SmoothStreamingMedia", "StreamIndex elements", offset)?;
        let mut s = StreamIndex {
            kind: StreamKind::Other(String::new()),
            name: None,
            subtype: None,
            url_template: String::new(),
            timescale,
            levels: Vec::new(),
            chunks: Vec::new(),
            max_width: None,
            max_height: None,
            display_width: None,
            display_height: None,
            language: None,
            parent_stream_index: None,
            manifest_output: false,
            fourcc: None,
            declared_chunk_count: None,
            declared_level_count: None,
        };
        let mut kind = None;
        let non_empty = |v: &str| Some(v.to_owned()).filter(|v| !v.trim().is_empty());
        for a in self.attrs(e, EL, offset) {
            let a = a?;
            let site = AttrSite {
                element: EL,
                attribute: a.name,
                offset,
            };
            let v = &*a.value;
            match a.name {
                n if is(n, "Type") => kind = Some(StreamKind::from_type_attribute(v)),
                n if is(n, "Name") => s.name = non_empty(v),
                n if is(n, "Subtype") => s.subtype = non_empty(v).map(|v| v.trim().to_owned()),
                n if is(n, "Url") => s.url_template = v.trim().to_owned(),
                n if is(n, "TimeScale") => {
                    s.timescale = site.u64(v)?;
                    if s.timescale == 0 {
                        return Err(site.invalid(v, "must not be 0"));
                    }
                }
                n if is(n, "Chunks") => s.declared_chunk_count = Some(site.uint(v)?),
                n if is(n, "QualityLevels") => s.declared_level_count = Some(site.uint(v)?),
                n if is(n, "MaxWidth") => s.max_width = Some(site.uint(v)?),
                n if is(n, "MaxHeight") => s.max_height = Some(site.uint(v)?),
                n if is(n, "DisplayWidth") => s.display_width = Some(site.uint(v)?),
                n if is(n, "DisplayHeight") => s.display_height = Some(site.uint(v)?),
                n if is(n, "Language") => s.language = non_empty(v),
                n if is(n, "ParentStreamIndex") => s.parent_stream_index = non_empty(v),
                n if is(n, "ManifestOutput") => s.manifest_output = site.bool(v)?,
                n if is(n, "FourCC") => s.fourcc = non_empty(v).map(|v| v.trim().to_owned()),
                _ => {}
            }
        }
        s.kind = kind.ok_or(ManifestError::MissingAttribute {
            element: EL,
            attribute: "Type",
            offset,
        })?;
        let timeline = TimelineBuilder::new(count, s.timescale);
        self.stream = Some(StreamBuilder {
            stream: s,
            timeline,
        });
        Ok(())
    }

    fn stream_end(&mut self) {
        if let (Some(b), Some(m)) = (self.stream.take(), self.manifest.as_mut()) {
            let mut stream = b.stream;
            stream.chunks = b.timeline.finish();
            m.streams.push(stream);
        }
    }

    /// `<QualityLevel>`.
    fn level_start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ManifestError> {
        const EL: &str = "QualityLevel";
        let position = self.stream.as_ref().map_or(0, |s| s.stream.levels.len());
        Self::room_for_one_more(position, self.limits.max_levels_per_stream, "StreamIndex", "QualityLevel elements", offset)?;
        let mut l = QualityLevel {
            index: u32::try_from(position).unwrap_or(u32::MAX),
            bitrate: 0,
            fourcc: None,
            max_width: None,
            max_height: None,
            codec_private_data: Vec::new(),
            sampling_rate: None,
            channels: None,
            bits_per_sample: None,
            packet_size: None,
            audio_tag: None,
            nal_unit_length_field: 4,
            custom_attributes: Vec::new(),
            problems: Vec::new(),
        };
        let mut extra = LevelAttrs::default();
        for a in self.attrs(e, EL, offset) {
            let a = a?;
            let site = AttrSite {
                element: EL,
                attribute: a.name,
                offset,
            };
            let v = &*a.value;
            match a.name {
                n if is(n, "Index") => l.index = site.uint(v)?,
                n if is(n, "Bitrate") => {
                    l.bitrate = site.u64(v)?;
                    extra.bitrate_seen = true;
                }
                n if is(n, "FourCC") => {
                    l.fourcc = Some(v.trim().to_owned()).filter(|f| !f.is_empty())
                }
                // v1.0 manifests write Width/Height; MaxWidth/MaxHeight win when both appear.
                n if is(n, "MaxWidth") => l.max_width = Some(site.uint(v)?),
                n if is(n, "MaxHeight") => l.max_height = Some(site.uint(v)?),
                n if is(n, "Width") => l.max_width = l.max_width.or(Some(site.uint(v)?)),
                n if is(n, "Height") => l.max_height = l.max_height.or(Some(site.uint(v)?)),
                n if is(n, "CodecPrivateData") => extra.codec_private_data = Some(decode_hex(v)),
                n if is(n, "SamplingRate") => l.sampling_rate = Some(site.uint(v)?),
                n if is(n, "Channels") => l.channels = Some(site.uint(v)?),
                n if is(n, "BitsPerSample") => l.bits_per_sample = Some(site.uint(v)?),
                n if is(n, "PacketSize") => l.packet_size = Some(site.uint(v)?),
                n if is(n, "AudioTag") => l.audio_tag = Some(site.uint(v)?),
                n if is(n, "NALUnitLengthField") => {
                    extra.nal_unit_length_field = Some(v.trim().to_owned())
                }
                _ => {}
            }
        }
        self.level = Some((l, extra));
        Ok(())
    }

    fn level_end(&mut self) {
        let (Some((mut level, extra)), Some(b)) = (self.level.take(), self.stream.as_mut()) else {
            return;
        };
        check_level(&mut level, extra, &b.stream);
        b.stream.levels.push(level);
    }

    /// `<c t d r n>`.
    fn chunk_start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ManifestError> {
        let mut spec = ChunkSpec {
            offset,
            ..ChunkSpec::default()
        };
        for a in self.attrs(e, "c", offset) {
            let a = a?;
            let site = AttrSite {
                element: "c",
                attribute: a.name,
                offset,
            };
            match a.name {
                "t" | "T" => spec.t = Some(site.u64(&a.value)?),
                "d" | "D" => spec.d = Some(site.u64(&a.value)?),
                "r" | "R" => spec.r = Some(site.u64(&a.value)?),
                _ => {}
            }
        }
        self.chunk = Some(ChunkBuilder {
            spec,
            payloads: Vec::new(),
        });
        Ok(())
    }

    fn chunk_end(&mut self) -> Result<(), ManifestError> {
        let (Some(c), Some(b)) = (self.chunk.take(), self.stream.as_mut()) else {
            return Ok(());
        };
        let per_stream_left = self
            .limits
            .max_chunks_per_stream
            .saturating_sub(b.timeline.len());
        let total_left = self
            .limits
            .max_total_chunks
            .saturating_sub(self.total_chunks);
        let (budget, limit) = if per_stream_left <= total_left {
            (per_stream_left, self.limits.max_chunks_per_stream)
        } else {
            (total_left, self.limits.max_total_chunks)
        };
        let added = b.timeline.push(&c.spec, c.payloads, budget, limit)?;
        self.total_chunks += added;
        Ok(())
    }

    /// `<f i ...>` inside a `<c>`.
    fn payload_start(&mut self, e: &BytesStart<'_>, offset: u64) -> Result<(), ManifestError> {
        let count = self.chunk.as_ref().map_or(0, |c| c.payloads.len());
        Self::room_for_one_more(count, self.limits.max_payloads_per_chunk, "c", "f elements", offset)?;
        let mut p = ChunkPayload {
            track_index: None,
            attributes: Vec::new(),
            data: PayloadData::Absent,
        };
        for a in self.attrs(e, "f", offset) {
            let a = a?;
            if a.name == "i" {
                p.track_index = Some(
                    AttrSite {
                        element: "f",
                        attribute: "i",
                        offset,
                    }
                    .uint(&a.value)?,
                );
            } else if p.attributes.len() < self.limits.max_custom_attributes {
                p.attributes.push((a.name.to_owned(), a.value.into_owned()));
            }
        }
        self.payload = Some(p);
        self.text.clear();
        Ok(())
    }

    fn payload_end(&mut self) {
        let (Some(mut p), Some(c)) = (self.payload.take(), self.chunk.as_mut()) else {
            return;
        };
        let t = self.text.trim();
        p.data = if t.is_empty() {
            PayloadData::Absent
        } else {
            match decode_base64(t) {
                Some(bytes) => PayloadData::Bytes(bytes),
                None => PayloadData::NotBase64(t.to_owned()),
            }
        };
        c.payloads.push(p);
        self.text.clear();
    }
}
