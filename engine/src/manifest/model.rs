//! The immutable client-manifest model (MS-SSTR §2.2.2), produced by
//! [`Manifest::parse`](crate::manifest::Manifest::parse).

use crate::manifest::audio_config::build_aac_lc_config;
use crate::manifest::protection::ProtectionHeader;
use crate::manifest::url_template;
use crate::time::MediaTime;

/// A parsed `<SmoothStreamingMedia>` document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// `MajorVersion` (1 or 2).
    pub major_version: u32,
    /// `MinorVersion` (0, 1 or 2; 2.2 brought `r`).
    pub minor_version: u32,
    /// Presentation `TimeScale` (default 10_000_000); streams may override it.
    pub timescale: u64,
    /// `Duration`; `None` when absent, or `0` in a live manifest (unknown length).
    pub duration: Option<MediaTime>,
    /// `IsLive` (any letter case).
    pub is_live: bool,
    /// `LookaheadCount` or IIS's `LookAheadFragmentCount`: fragments announced ahead by tfrf.
    pub lookahead_count: Option<u32>,
    /// `DVRWindowLength`; `None` when absent or `0`, both meaning an unbounded window.
    pub dvr_window_length: Option<MediaTime>,
    /// `CanSeek` (default true).
    pub can_seek: bool,
    /// `CanPause` (default true).
    pub can_pause: bool,
    /// `<Protection>/<ProtectionHeader>` entries in document order.
    pub protection: Vec<ProtectionHeader>,
    /// `<StreamIndex>` entries in document order.
    pub streams: Vec<StreamIndex>,
    /// Top-level `<CustomAttributes>` (`Name`, `Value`) in document order.
    pub custom_attributes: Vec<(String, String)>,
}

impl Manifest {
    /// Streams of one kind, in document order (several = alternatives such as languages).
    pub fn streams_of(&self, kind: StreamKind) -> impl Iterator<Item = &StreamIndex> + '_ {
        self.streams.iter().filter(move |s| s.kind == kind)
    }

    /// `true` when the manifest carries at least one protection header.
    pub fn is_protected(&self) -> bool {
        !self.protection.is_empty()
    }
}

/// `StreamIndex@Type`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// `video` (any case).
    Video,
    /// `audio` (any case).
    Audio,
    /// `text` (any case): captions, sparse data, chapter marks.
    Text,
    /// Anything else, as written.
    Other(String),
}

impl StreamKind {
    /// Interprets a `Type` attribute value, case-insensitively.
    pub fn from_type_attribute(s: &str) -> StreamKind {
        let t = s.trim();
        if t.eq_ignore_ascii_case("video") {
            StreamKind::Video
        } else if t.eq_ignore_ascii_case("audio") {
            StreamKind::Audio
        } else if t.eq_ignore_ascii_case("text") {
            StreamKind::Text
        } else {
            StreamKind::Other(t.to_owned())
        }
    }
}

/// One `<StreamIndex>`: a track type with its quality levels and its chunk timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamIndex {
    /// `Type`.
    pub kind: StreamKind,
    /// `Name` as written (it may not match the name used in `Url`).
    pub name: Option<String>,
    /// `Subtype` (`CAPT`, `SUBT`, `DATA`, `ZOET`...); `None` when absent or empty.
    pub subtype: Option<String>,
    /// `Url` template as written (empty when absent, e.g. for embedded text tracks).
    pub url_template: String,
    /// Timescale of this stream's times: `TimeScale`, else the presentation's.
    pub timescale: u64,
    /// `<QualityLevel>` entries in document order.
    pub levels: Vec<QualityLevel>,
    /// Chunks with `r` expanded, in increasing start time.
    pub chunks: Vec<Chunk>,
    /// `MaxWidth`.
    pub max_width: Option<u32>,
    /// `MaxHeight`.
    pub max_height: Option<u32>,
    /// `DisplayWidth`.
    pub display_width: Option<u32>,
    /// `DisplayHeight`.
    pub display_height: Option<u32>,
    /// `Language`.
    pub language: Option<String>,
    /// `ParentStreamIndex`: name of the stream whose timeline this sparse stream follows.
    pub parent_stream_index: Option<String>,
    /// `ManifestOutput`: the `<f>` elements carry the fragment data.
    pub manifest_output: bool,
    /// Stream-level `FourCC` (seen on trick-play streams); levels without one inherit it.
    pub fourcc: Option<String>,
    /// `Chunks` as declared (often stale or 0 in live manifests; `chunks` is authoritative).
    pub declared_chunk_count: Option<u32>,
    /// `QualityLevels` as declared.
    pub declared_level_count: Option<u32>,
}

impl StreamIndex {
    /// The fragment URL for `level` and `chunk`, relative to the manifest's base URL.
    ///
    /// The template is filled as text: `{bitrate}`/`{Bitrate}` -> the level's bitrate,
    /// `{start time}`/`{start_time}` -> the chunk's start ticks (exact u64),
    /// `{CustomAttributes}` -> the level's `Name=Value` pairs joined by `,` (with the
    /// separating `,` before it dropped when the level has none). Nothing is re-escaped.
    pub fn fragment_url(&self, level: &QualityLevel, chunk: &Chunk) -> String {
        url_template::fill(
            &self.url_template,
            level.bitrate,
            chunk.start.ticks,
            &level.custom_attributes,
        )
    }

    /// Index of the chunk containing `t` (any timescale): the last chunk starting at or
    /// before `t`, provided `t` is before its end. A chunk with no known duration
    /// contains every later time. `None` before the first chunk or after the last.
    pub fn chunk_at(&self, t: MediaTime) -> Option<usize> {
        let after = self.chunks.partition_point(|c| c.start <= t);
        let index = after.checked_sub(1)?;
        let chunk = self.chunks.get(index)?;
        match chunk.end() {
            Some(end) if t >= end => None,
            _ => Some(index),
        }
    }

    /// Start of the first chunk.
    pub fn start(&self) -> Option<MediaTime> {
        self.chunks.first().map(|c| c.start)
    }

    /// End of the last chunk (`None` without chunks or when its duration is unknown).
    pub fn end(&self) -> Option<MediaTime> {
        self.chunks.last().and_then(Chunk::end)
    }

    /// Time covered from the first chunk's start to the last chunk's end.
    pub fn duration(&self) -> Option<MediaTime> {
        let (start, end) = (self.start()?, self.end()?);
        Some(MediaTime::new(
            end.ticks.saturating_sub(start.ticks),
            self.timescale,
        ))
    }

    /// Levels that a decoder could be configured for (no fatal [`LevelProblem`]).
    pub fn playable_levels(&self) -> impl Iterator<Item = &QualityLevel> {
        self.levels.iter().filter(|l| l.is_playable())
    }
}

/// One chunk (fragment) of a stream's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Start time (`t`, or the previous chunk's end), in the stream's timescale.
    pub start: MediaTime,
    /// Duration: `d`, else the gap to the next chunk's `t`; `None` for a last chunk without `d`.
    pub duration: Option<MediaTime>,
    /// `<f>` children (embedded track-fragment data of sparse text streams).
    pub payloads: Vec<ChunkPayload>,
}

impl Chunk {
    /// `start + duration`, when the duration is known.
    pub fn end(&self) -> Option<MediaTime> {
        self.duration.map(|d| self.start.add_ticks(d.ticks))
    }
}

/// One `<f>` element inside a `<c>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkPayload {
    /// `i`: the `Index` of the quality level (track) this payload belongs to.
    pub track_index: Option<u32>,
    /// Other attributes (`s`, `q`... vendor extensions) as written.
    pub attributes: Vec<(String, String)>,
    /// The element's content.
    pub data: PayloadData,
}

/// Content of an `<f>` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadData {
    /// Empty element (size/quality hints only).
    Absent,
    /// Base64-decoded bytes (the fragment's sample data, MS-SSTR ManifestOutputSample).
    Bytes(Vec<u8>),
    /// Text that is not valid base64, kept as written.
    NotBase64(String),
}

/// One `<QualityLevel>` (a track: one bitrate of one stream).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualityLevel {
    /// `Index` (defaults to the position in the stream).
    pub index: u32,
    /// `Bitrate` in bits per second (0 when absent, see [`LevelProblem::MissingBitrate`]).
    pub bitrate: u64,
    /// `FourCC` as written (trimmed), inherited from the stream, or `AACL` assumed for
    /// audio without one. `None` when absent and not inferable.
    pub fourcc: Option<String>,
    /// `MaxWidth` (or v1.0's `Width`).
    pub max_width: Option<u32>,
    /// `MaxHeight` (or v1.0's `Height`).
    pub max_height: Option<u32>,
    /// `CodecPrivateData` decoded from hex (empty when absent or invalid).
    pub codec_private_data: Vec<u8>,
    /// `SamplingRate` in Hz.
    pub sampling_rate: Option<u32>,
    /// `Channels`.
    pub channels: Option<u16>,
    /// `BitsPerSample`.
    pub bits_per_sample: Option<u16>,
    /// `PacketSize` in bytes.
    pub packet_size: Option<u32>,
    /// `AudioTag` (WAVEFORMATEX format tag).
    pub audio_tag: Option<u32>,
    /// `NALUnitLengthField`: size of the big-endian NAL length prefix (default 4).
    pub nal_unit_length_field: u8,
    /// `<CustomAttributes>` (`Name`, `Value`) in document order.
    pub custom_attributes: Vec<(String, String)>,
    /// Problems found in this level; see [`LevelProblem::makes_unplayable`].
    pub problems: Vec<LevelProblem>,
}

impl QualityLevel {
    /// `true` for `H264`/`AVC1`/`DAVC` (any case).
    pub fn is_h264(&self) -> bool {
        self.fourcc_is(&["H264", "AVC1", "DAVC"])
    }

    /// `true` for `AACL` (AAC-LC, any case).
    pub fn is_aac_lc(&self) -> bool {
        self.fourcc_is(&["AACL"])
    }

    fn fourcc_is(&self, names: &[&str]) -> bool {
        self.fourcc
            .as_deref()
            .is_some_and(|f| names.iter().any(|n| f.eq_ignore_ascii_case(n)))
    }

    /// The AAC AudioSpecificConfig: `CodecPrivateData` when present, else one built
    /// for AAC-LC (object type 2) from `SamplingRate` and `Channels`. `None` for other
    /// codecs or when neither is available.
    pub fn audio_specific_config(&self) -> Option<Vec<u8>> {
        if !self.is_aac_lc() {
            return None;
        }
        if !self.codec_private_data.is_empty() {
            return Some(self.codec_private_data.clone());
        }
        build_aac_lc_config(self.sampling_rate?, self.channels?)
    }

    /// The first problem that prevents configuring a decoder for this level.
    pub fn unplayable_reason(&self) -> Option<&LevelProblem> {
        self.problems.iter().find(|p| p.makes_unplayable())
    }

    /// `true` when no problem prevents configuring a decoder (the codec itself may
    /// still be one we cannot decode: that is the decoder's call).
    pub fn is_playable(&self) -> bool {
        self.unplayable_reason().is_none()
    }
}

/// A problem confined to one quality level.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum LevelProblem {
    /// A video (or other non-audio, non-text) level without `FourCC`: the codec is unknown.
    #[error("no FourCC: the codec is unknown")]
    MissingFourCc,
    /// An audio level without `FourCC`; AAC-LC assumed, as dash.js does.
    #[error("no FourCC on an audio level; AACL assumed")]
    FourCcAssumedAacl,
    /// `CodecPrivateData` is not valid hex.
    #[error("CodecPrivateData is not valid hex: {reason}")]
    InvalidCodecPrivateData {
        /// What is wrong.
        reason: &'static str,
    },
    /// An H.264 level whose `CodecPrivateData` is not Annex-B SPS/PPS (e.g. VC-1 data
    /// under FourCC AVC1).
    #[error("CodecPrivateData of an H.264 level does not start with an Annex-B start code")]
    CodecPrivateDataNotAnnexB,
    /// An H.264 level without `CodecPrivateData` (SPS/PPS must then come in-band).
    #[error("no CodecPrivateData: SPS/PPS must come in-band")]
    MissingCodecPrivateData,
    /// An AAC level with neither `CodecPrivateData` nor `SamplingRate`+`Channels`.
    #[error("AAC level without CodecPrivateData and without SamplingRate/Channels to build an AudioSpecificConfig")]
    NoAudioSpecificConfig,
    /// `NALUnitLengthField` other than 1, 2 or 4.
    #[error("NALUnitLengthField={0} (must be 1, 2 or 4)")]
    InvalidNalUnitLengthField(String),
    /// No `Bitrate`; 0 assumed.
    #[error("no Bitrate; 0 assumed")]
    MissingBitrate,
}

impl LevelProblem {
    /// `true` when a decoder cannot be configured for the level.
    pub fn makes_unplayable(&self) -> bool {
        match self {
            LevelProblem::MissingFourCc
            | LevelProblem::InvalidCodecPrivateData { .. }
            | LevelProblem::CodecPrivateDataNotAnnexB
            | LevelProblem::NoAudioSpecificConfig
            | LevelProblem::InvalidNalUnitLengthField(_) => true,
            LevelProblem::FourCcAssumedAacl
            | LevelProblem::MissingCodecPrivateData
            | LevelProblem::MissingBitrate => false,
        }
    }
}
