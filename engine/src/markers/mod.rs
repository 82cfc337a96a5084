//! Sparse-track markers: SCTE 35 ad-insertion cues in the forms Smooth Streaming
//! sparse streams carry them.
//!
//! One entry point, [`decode_marker`], takes a payload (a sparse fragment's sample, or
//! the bytes of a manifest `<f>` element, which the manifest parser has already
//! base64-decoded) and works out what it is:
//!
//! - a binary `splice_info_section` (first byte `table_id` 0xFC): [`scte35`];
//! - XML: SCTE 67 / ESAM `<AcquiredSignal>`, or SCTE 35's XML `<SpliceInfoSection>`
//!   / `<Signal><Binary>`: [`scte_xml`];
//! - base64 text of either (once: base64 of base64 is not unwrapped).
//!
//! The scheme a manifest names does not decide the form: Microsoft's own example
//! manifest (`urn:scte:scte35:2013:bin`) carries `AcquiredSignal` XML.
//! [`Marker::summary`] gives the fields an ad-insertion hook needs in one shape
//! whichever form arrived.

mod crc;
pub mod scte35;
pub mod scte_xml;

use std::time::Duration;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use crate::time::MediaTime;
pub use crc::crc32_mpeg2;
pub use scte35::{parse_splice_info_section, Pts, SpliceCommand, SpliceInfoSection};
pub use scte_xml::{parse_xml_signal, XmlSignal};

/// Largest payload accepted (a binary section is at most 4 KiB; XML signals are a few KiB).
pub const MAX_PAYLOAD_BYTES: usize = 64 << 10;

/// Deepest XML element nesting accepted.
pub const MAX_XML_DEPTH: usize = 32;

/// Why a marker payload could not be decoded.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum MarkerError {
    /// The payload is larger than [`MAX_PAYLOAD_BYTES`].
    #[error("marker payload is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Neither a splice_info_section, nor XML, nor base64 of either.
    #[error("marker payload is neither an SCTE 35 splice_info_section nor SCTE XML (raw or base64)")]
    Unrecognized,
    /// The section ends inside a field.
    #[error("splice_info_section truncated in {field} at byte {offset}")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Byte offset in the section.
        offset: usize,
    },
    /// `table_id` is not 0xFC.
    #[error("table_id is 0x{found:02X}, not 0xFC (splice_info_section)")]
    WrongTableId {
        /// The first byte.
        found: u8,
    },
    /// `section_length` says more bytes than there are.
    #[error("splice_info_section declares {declared} bytes, only {available} present")]
    SectionLength {
        /// 3 + section_length.
        declared: usize,
        /// Bytes given.
        available: usize,
    },
    /// The `CRC_32` does not match the section.
    #[error("splice_info_section CRC_32 is 0x{stored:08X}, the bytes give 0x{computed:08X}")]
    Crc {
        /// CRC_32 in the section.
        stored: u32,
        /// CRC-32/MPEG-2 of the bytes before it.
        computed: u32,
    },
    /// `encrypted_packet` is set; nothing in it can be read without the key.
    #[error("splice_info_section is encrypted (encryption_algorithm {algorithm}); no key is available")]
    Encrypted {
        /// `encryption_algorithm` (1 DES-ECB, 2 DES-CBC, 3 3DES, 32-63 private).
        algorithm: u8,
    },
    /// A field has a value the syntax does not allow.
    #[error("splice_info_section: {field} at byte {offset} {reason}")]
    Malformed {
        /// The field.
        field: &'static str,
        /// Byte offset.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// XML text that is not UTF-8 / UTF-16 with a BOM.
    #[error("marker XML is not UTF-8 (or UTF-16 with a BOM): invalid data at byte {offset}")]
    Encoding {
        /// Offset of the first invalid byte.
        offset: u64,
    },
    /// Malformed XML.
    #[error("marker XML is not well-formed at byte {offset}: {message}")]
    Xml {
        /// Where the reader stopped.
        offset: u64,
        /// The reader's description.
        message: String,
    },
    /// Well-formed XML with no splice or segmentation signal in it.
    #[error("marker XML <{root}> holds no SpliceInsert, TimeSignal, segmentation or Binary signal")]
    XmlNoSignal {
        /// The root element's name.
        root: String,
    },
    /// An XML attribute (or `<Binary>` content) that cannot be read.
    #[error("marker XML <{element}> {attribute}=\"{value}\" cannot be read")]
    XmlAttribute {
        /// Element.
        element: String,
        /// Attribute (`(content)` for element text).
        attribute: String,
        /// Value as written (truncated).
        value: String,
    },
}

/// A decoded marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker {
    /// A binary `splice_info_section` (raw or base64).
    Section(SpliceInfoSection),
    /// An XML signal (SCTE 67 / ESAM or SCTE 35 XML; raw or base64).
    Xml(XmlSignal),
}

/// The splice a marker announces, in one shape for every form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpliceSummary {
    /// `splice_command_type` (5 splice_insert, 6 time_signal, ...), when known.
    pub command_type: Option<u8>,
    /// `splice_event_id` (or the first segmentation event id of a time_signal).
    pub event_id: Option<u32>,
    /// The event is cancelled.
    pub cancel: bool,
    /// A break starts (`true`) or ends (`false`); `None` when the marker does not say.
    pub out_of_network: Option<bool>,
    /// The splice time on the 90 kHz PTS clock, `pts_adjustment` applied.
    pub splice_time: Option<MediaTime>,
    /// How long the break (or segment) lasts.
    pub duration: Option<Duration>,
    /// The splicer returns to the network by itself at the end of the break.
    pub auto_return: Option<bool>,
    /// `segmentation_type_id` of the first segmentation descriptor, if any.
    pub segmentation_type_id: Option<u8>,
}

impl Marker {
    /// The binary section: the marker itself, or the `<Binary>` inside XML.
    pub fn section(&self) -> Option<&SpliceInfoSection> {
        match self {
            Marker::Section(s) => Some(s),
            Marker::Xml(x) => x.binary.as_ref(),
        }
    }

    /// What the marker says, whichever form it came in. For XML, attributes win over
    /// an embedded `<Binary>` section where both speak.
    pub fn summary(&self) -> SpliceSummary {
        let mut out = self.section().map(section_summary).unwrap_or_default();
        if let Marker::Xml(x) = self {
            let adj = x.pts_adjustment.unwrap_or(0);
            let pts = |t: u64| MediaTime::new((t + adj) & ((1 << 33) - 1), scte35::PTS_TIMESCALE);
            if let Some(t) = x.splice_command_type {
                out.command_type = Some(t);
            }
            if let Some(s) = &x.splice_insert {
                out.command_type = out.command_type.or(Some(5));
                out.event_id = s.event_id.or(out.event_id);
                out.cancel = s.cancel;
                out.out_of_network = s.out_of_network.or(out.out_of_network);
                out.splice_time = s.pts_time.map(pts).or(out.splice_time);
                out.duration = s
                    .duration
                    .or(s.break_duration.map(|b| b.to_duration()))
                    .or(out.duration);
                out.auto_return = s.break_duration.map(|b| b.auto_return).or(out.auto_return);
            }
            if let Some(ts) = x.time_signal {
                out.command_type = out.command_type.or(Some(6));
                out.splice_time = ts.map(pts).or(out.splice_time);
            }
            if let Some(seg) = x.segmentations.first() {
                out.segmentation_type_id = seg.type_id.or(out.segmentation_type_id);
                if x.splice_insert.is_none() {
                    out.event_id = seg.event_id.or(out.event_id);
                    out.duration = seg.duration.or(out.duration);
                    out.cancel |= seg.cancel;
                }
            }
        }
        out
    }
}

fn section_summary(s: &SpliceInfoSection) -> SpliceSummary {
    let mut out = SpliceSummary { command_type: Some(s.command.command_type()), ..SpliceSummary::default() };
    let seg = s.descriptors.iter().find_map(|d| match &d.decoded {
        Some(scte35::DescriptorInfo::Segmentation(seg)) => Some(seg),
        _ => None,
    });
    match &s.command {
        SpliceCommand::Insert(i) => {
            out.event_id = Some(i.event_id);
            out.cancel = i.cancel;
            if !i.cancel {
                out.out_of_network = Some(i.out_of_network);
                out.splice_time = i.splice_time.map(|p| p.ticks());
                out.duration = i.break_duration.map(|b| b.to_duration());
                out.auto_return = i.break_duration.map(|b| b.auto_return);
            }
        }
        SpliceCommand::TimeSignal { time } => {
            out.splice_time = time.map(|p| p.ticks());
            if let Some(seg) = seg {
                out.event_id = Some(seg.event_id);
                out.cancel = seg.cancel;
                out.duration = seg.duration();
            }
        }
        _ => {}
    }
    out.segmentation_type_id = seg.filter(|s| !s.cancel).map(|s| s.type_id);
    out
}

/// base64 (standard alphabet, padding optional, whitespace ignored).
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    ENGINE.decode(compact).ok()
}

/// Decodes a marker payload: a binary `splice_info_section`, SCTE XML, or base64 of
/// either (see the module docs).
pub fn decode_marker(payload: &[u8]) -> Result<Marker, MarkerError> {
    decode(payload, true)
}

fn decode(payload: &[u8], allow_base64: bool) -> Result<Marker, MarkerError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(MarkerError::TooLarge { size: payload.len(), limit: MAX_PAYLOAD_BYTES });
    }
    if payload.first() == Some(&0xFC) {
        return parse_splice_info_section(payload).map(Marker::Section);
    }
    let Ok(text) = crate::text::xml_doc::decode_text(payload) else {
        return Err(MarkerError::Unrecognized);
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        return parse_xml_signal(payload).map(Marker::Xml);
    }
    if allow_base64 {
        if let Some(bytes) = decode_base64(trimmed) {
            return decode(&bytes, false);
        }
    }
    Err(MarkerError::Unrecognized)
}

#[cfg(test)]
mod tests;
