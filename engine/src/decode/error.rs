//! `DecodeError`: everything that can go wrong between a sample and a decoded frame.

use crate::time::MediaTime;

/// A decoding failure.
///
/// Variants are grouped by who is at fault: the manifest names a codec we do not have
/// ([`DecodeError::is_unsupported`]: report it and keep playing the other streams), the
/// configuration or sample bytes are malformed (skip the sample or fragment), or the
/// underlying decoder refused the bitstream (its message is kept as text, translated at
/// the openh264 / symphonia boundary).
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The stream's FourCC names a codec this engine cannot decode (WVC1, WMAP, AACH, TTML...).
    #[error("unsupported codec FourCC {fourcc:?}: no decoder for it in this build")]
    UnsupportedCodec {
        /// The FourCC exactly as the manifest gave it.
        fourcc: String,
    },
    /// The QualityLevel has no FourCC attribute, so the codec is unknown.
    #[error("the quality level has no FourCC: codec unknown, cannot decode")]
    MissingFourCc,
    /// NALUnitLengthField must be 1, 2 or 4 bytes.
    #[error("NALUnitLengthField {size} is invalid: must be 1, 2 or 4")]
    InvalidNalLengthSize {
        /// The size given.
        size: u8,
    },
    /// CodecPrivateData could not be turned into H.264 parameter sets.
    #[error("H.264 CodecPrivateData is invalid: {reason}")]
    InvalidCodecPrivateData {
        /// What is wrong with it.
        reason: String,
    },
    /// A length prefix is cut off by the end of the sample.
    #[error("truncated NAL length prefix at offset {offset}: {nal_length_size} bytes needed, {available} left")]
    TruncatedLengthPrefix {
        /// Byte offset of the prefix inside the sample.
        offset: usize,
        /// NALUnitLengthField in force.
        nal_length_size: u8,
        /// Bytes left in the sample.
        available: usize,
    },
    /// A length prefix declares more bytes than the sample still holds (often a wrong
    /// NALUnitLengthField, or a corrupt or truncated sample).
    #[error("NAL unit at offset {offset} declares {declared} bytes but only {available} remain in the sample")]
    TruncatedNalUnit {
        /// Byte offset of the length prefix inside the sample.
        offset: usize,
        /// Length the prefix declares.
        declared: usize,
        /// Bytes left after the prefix.
        available: usize,
    },
    /// A length prefix of zero (no real muxer writes one; usually a wrong NALUnitLengthField).
    #[error("zero-length NAL unit at offset {offset} (wrong NALUnitLengthField?)")]
    ZeroLengthNalUnit {
        /// Byte offset of the length prefix inside the sample.
        offset: usize,
    },
    /// A sample or access unit above the size limit we accept.
    #[error("sample of {size} bytes exceeds the {limit}-byte limit")]
    SampleTooLarge {
        /// Size of the sample.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// `H264Decoder::decode` was called before `configure`.
    #[error("H.264 decoder used before configure() gave it CodecPrivateData")]
    NotConfigured,
    /// openh264 refused the bitstream or failed internally.
    #[error(
        "H.264 decode failed{}: {message} (openh264 code {native_code})",
        at(pts)
    )]
    H264 {
        /// Presentation time of the sample being decoded, when there was one.
        pts: Option<MediaTime>,
        /// openh264's native return code (0 when the failure came from its Rust wrapper).
        native_code: i64,
        /// The wrapper's message.
        message: String,
    },
    /// The AudioSpecificConfig is malformed.
    #[error("AudioSpecificConfig is invalid: {reason}")]
    InvalidAudioSpecificConfig {
        /// What is wrong with it.
        reason: String,
    },
    /// The AudioSpecificConfig is valid but asks for something our AAC decoder cannot do
    /// (HE-AAC/SBR, more than 2 channels, 960-sample frames...).
    #[error("unsupported AAC configuration: {reason}")]
    UnsupportedAudioConfig {
        /// What is unsupported.
        reason: String,
    },
    /// symphonia refused an access unit.
    #[error("AAC decode failed{}: {reason}", at(pts))]
    Aac {
        /// Presentation time of the access unit.
        pts: Option<MediaTime>,
        /// symphonia's message.
        reason: String,
    },
}

fn at(pts: &Option<MediaTime>) -> String {
    match pts {
        Some(t) => format!(" at {t} ({} ticks @ {})", t.ticks, t.timescale),
        None => String::new(),
    }
}

impl DecodeError {
    /// True when the stream cannot be decoded at all by this build (codec or configuration
    /// not supported): the caller should report it and disable this stream, not retry.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            DecodeError::UnsupportedCodec { .. }
                | DecodeError::MissingFourCc
                | DecodeError::UnsupportedAudioConfig { .. }
        )
    }
}
