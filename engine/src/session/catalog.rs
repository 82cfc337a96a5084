//! Every `StreamIndex` of a manifest as a [`Track`] a user can list and choose, and the
//! user's [`TrackPreferences`].

use crate::manifest::{Manifest, QualityLevel, StreamIndex, StreamKind};

use super::language::same_language;

/// What a track carries.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TrackType {
    /// Pictures (`Type="video"`); several video tracks are camera angles.
    Video,
    /// Sound (`Type="audio"`); several audio tracks are languages or mixes.
    Audio,
    /// Captions or subtitles: a `Type="text"` stream with Subtype `CAPT`/`SUBT` or TTML
    /// levels.
    Text,
    /// Any other `Type="text"` stream: sparse data following a parent stream's timeline
    /// (ad markers such as `SCTE35`/`ADVT`, chapter marks `CHAP`, `DATA`).
    Sparse,
    /// A `Type` this client does not know, as written.
    Other(String),
}

impl TrackType {
    /// `video`, `audio`, `text`, `sparse`, or the `Type` as written.
    pub fn as_str(&self) -> &str {
        match self {
            TrackType::Video => "video",
            TrackType::Audio => "audio",
            TrackType::Text => "text",
            TrackType::Sparse => "sparse",
            TrackType::Other(t) => t,
        }
    }

    fn of(stream: &StreamIndex) -> TrackType {
        match &stream.kind {
            StreamKind::Video => TrackType::Video,
            StreamKind::Audio => TrackType::Audio,
            StreamKind::Text if is_captions(stream) => TrackType::Text,
            StreamKind::Text => TrackType::Sparse,
            StreamKind::Other(t) => TrackType::Other(t.clone()),
        }
    }
}

impl std::fmt::Display for TrackType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Caption/subtitle Subtypes (MS-SSTR: `CAPT` captions, `SUBT` subtitles) or TTML levels.
fn is_captions(stream: &StreamIndex) -> bool {
    let subtype = stream.subtype.as_deref().unwrap_or("");
    ["CAPT", "SUBT"].iter().any(|s| subtype.eq_ignore_ascii_case(s))
        || (stream.parent_stream_index.is_none()
            && stream.levels.iter().any(|l| l.fourcc.as_deref().is_some_and(|f| f.eq_ignore_ascii_case("TTML") || f.eq_ignore_ascii_case("DFXP"))))
}

/// One `<QualityLevel>` of a track, as a user would want it described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackLevel {
    /// `Index`.
    pub index: u32,
    /// `Bitrate` in bit/s.
    pub bitrate: u64,
    /// `FourCC` (`H264`, `AACL`, `TTML`...).
    pub fourcc: Option<String>,
    /// Video: `MaxWidth`.
    pub width: Option<u32>,
    /// Video: `MaxHeight`.
    pub height: Option<u32>,
    /// Audio: `SamplingRate` in Hz.
    pub sampling_rate: Option<u32>,
    /// Audio: `Channels`.
    pub channels: Option<u16>,
    /// Why a decoder cannot be configured for this level; `None` when it can (as far as
    /// the manifest tells).
    pub unplayable: Option<String>,
}

impl TrackLevel {
    fn of(q: &QualityLevel) -> TrackLevel {
        TrackLevel {
            index: q.index,
            bitrate: q.bitrate,
            fourcc: q.fourcc.clone().filter(|f| !f.is_empty()),
            width: q.max_width,
            height: q.max_height,
            sampling_rate: q.sampling_rate,
            channels: q.channels,
            unplayable: q.unplayable_reason().map(|p| p.to_string()),
        }
    }
}

impl std::fmt::Display for TrackLevel {
    /// `640x360 H264 500 kbit/s`, `AACL 48000 Hz 2 ch 96 kbit/s`, `TTML 1 kbit/s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let (Some(w), Some(h)) = (self.width, self.height) {
            parts.push(format!("{w}x{h}"));
        }
        if let Some(c) = &self.fourcc {
            parts.push(c.clone());
        }
        if let Some(r) = self.sampling_rate {
            parts.push(format!("{r} Hz"));
        }
        if let Some(c) = self.channels {
            parts.push(format!("{c} ch"));
        }
        parts.push(if self.bitrate >= 1000 { format!("{} kbit/s", (self.bitrate + 500) / 1000) } else { format!("{} bit/s", self.bitrate) });
        if let Some(why) = &self.unplayable {
            parts.push(format!("(unplayable: {why})"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// One `StreamIndex` of the manifest: something the user can list and choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// Position of the `StreamIndex` in the manifest (`Manifest::streams`), the track's
    /// identity within a session.
    pub stream: usize,
    /// What it carries.
    pub kind: TrackType,
    /// `Name` (what `--video-track`/`--audio-track`/`--text-track` match).
    pub name: Option<String>,
    /// `Language` as written (`eng`, `en-US`...).
    pub language: Option<String>,
    /// `Subtype` (`CAPT`, `SUBT`, `SCTE35`, `DATA`...).
    pub subtype: Option<String>,
    /// `ParentStreamIndex`: the stream whose timeline a sparse track follows.
    pub parent: Option<String>,
    /// `ManifestOutput`: the data is in the manifest's `<f>` elements.
    pub manifest_output: bool,
    /// Levels in manifest order.
    pub levels: Vec<TrackLevel>,
    /// Fragments listed in the manifest.
    pub fragments: usize,
    /// Why this track cannot be played; `None` when it can. Text and sparse tracks are
    /// "playable" when their format is one the engine reads (TTML, `<f>` payloads).
    pub unplayable: Option<String>,
}

impl Track {
    /// `true` when [`Track::unplayable`] is `None`.
    pub fn is_playable(&self) -> bool {
        self.unplayable.is_none()
    }

    /// The name, or `#N` (the stream's position) for an unnamed stream.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("#{}", self.stream),
        }
    }

    /// `true` when `name` is this track's `Name` (exactly, else ignoring ASCII case) or
    /// `#N` for its position.
    pub fn has_name(&self, name: &str) -> bool {
        self.name.as_deref().is_some_and(|n| n == name || n.eq_ignore_ascii_case(name)) || name == format!("#{}", self.stream)
    }

    /// `true` when the track's `Language` is `lang`'s primary language (`eng` = `en` =
    /// `en-US`, any case).
    pub fn has_language(&self, lang: &str) -> bool {
        self.language.as_deref().is_some_and(|l| same_language(l, lang))
    }

    /// How an error message names it: `"camera2"`, `"audio_fra" (fra)`.
    pub fn describe(&self) -> String {
        match &self.language {
            Some(l) => format!("{:?} ({l})", self.label()),
            None => format!("{:?}", self.label()),
        }
    }

    /// Describes every stream of `manifest`. `unplayable` is filled by the track
    /// selection, which knows the decoders.
    pub(super) fn list(manifest: &Manifest) -> Vec<Track> {
        manifest
            .streams
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let kind = TrackType::of(s);
                let unplayable = match &kind {
                    TrackType::Text | TrackType::Sparse => text_problem(s, manifest.is_live),
                    TrackType::Other(t) => Some(format!("unknown stream type {t:?}")),
                    TrackType::Video | TrackType::Audio => None,
                };
                Track {
                    stream: i,
                    kind,
                    name: s.name.clone(),
                    language: s.language.clone().filter(|l| !l.trim().is_empty()),
                    subtype: s.subtype.clone(),
                    parent: s.parent_stream_index.clone(),
                    manifest_output: s.manifest_output,
                    levels: s.levels.iter().map(TrackLevel::of).collect(),
                    fragments: s.chunks.len(),
                    unplayable,
                }
            })
            .collect()
    }
}

/// Why a text or sparse stream cannot be followed.
fn text_problem(s: &StreamIndex, live: bool) -> Option<String> {
    if s.chunks.is_empty() && !live {
        return Some("no fragments listed".to_string());
    }
    if s.url_template.is_empty() && !s.manifest_output {
        return Some("no Url template and no ManifestOutput data".to_string());
    }
    None
}

/// Which tracks to play, as the user asked (`--video-track`, `--audio-lang`...). Every
/// field is optional; with none set the defaults are: the manifest's first playable video
/// track, the audio track in the system locale's language (else the first playable),
/// and no captions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackPreferences {
    /// Video track (camera angle) by `Name`.
    pub video_track: Option<String>,
    /// Audio track by `Name`.
    pub audio_track: Option<String>,
    /// Audio language (`fr`, `fra`, `fr-CA`: the primary language is compared).
    pub audio_lang: Option<String>,
    /// Caption/subtitle track by `Name` (recorded in the selection; shown once the
    /// engine renders captions).
    pub text_track: Option<String>,
    /// Caption/subtitle language.
    pub text_lang: Option<String>,
    /// The user's language for the default audio track: `None` reads the environment
    /// (`LC_ALL`, `LC_MESSAGES`, `LANG`) when the session opens; `Some("")` turns the
    /// locale match off (the first audio track plays).
    pub locale: Option<String>,
}

impl TrackPreferences {
    /// The locale language to match audio against (see [`TrackPreferences::locale`]).
    pub fn locale_language(&self) -> Option<String> {
        match &self.locale {
            Some(l) => super::language::primary_language(l),
            None => super::language::system_language(),
        }
    }
}
