//! Choosing which streams and levels to play, and describing them to the scheduler.

use std::sync::Arc;
use std::time::Duration;

use smoothplay_heuristics::Level;

use crate::decode::{codec_for, CodecKind};
use crate::manifest::{Manifest, QualityLevel, StreamIndex, StreamKind};
use crate::schedule::{ChunkSlot, TrackKind, TrackPlan};

use super::catalog::{Track, TrackPreferences, TrackType};
use super::Error;

/// How to configure a decoder for one level.
#[derive(Debug, Clone)]
pub struct LevelConfig {
    /// Index of the level in the manifest's `StreamIndex`.
    pub manifest_index: usize,
    /// Declared bitrate.
    pub bitrate: u64,
    /// Codec.
    pub codec: CodecKind,
    /// H.264: Annex-B SPS/PPS. AAC: the AudioSpecificConfig.
    pub config: Vec<u8>,
    /// H.264 NAL length prefix size.
    pub nal_length_size: u8,
}

/// A stream chosen for playback.
#[derive(Debug, Clone)]
pub struct SelectedTrack {
    /// Audio or video.
    pub kind: TrackKind,
    /// Index of the `StreamIndex` in the manifest.
    pub stream: usize,
    /// Playable levels, ascending by bitrate (scheduler level indices index this).
    pub levels: Vec<Arc<LevelConfig>>,
    /// What the scheduler needs.
    pub plan: TrackPlan,
    /// The stream's timescale.
    pub timescale: u64,
}

/// The chosen tracks and what was left out and why.
#[derive(Debug, Clone, Default)]
pub struct TrackSelection {
    /// Video first (if any), then audio (if any).
    pub tracks: Vec<SelectedTrack>,
    /// Human-readable reasons for streams or levels not played.
    pub unsupported: Vec<String>,
    /// The caption/subtitle track chosen (its `StreamIndex` position), when one was asked
    /// for: its cues are emitted as [`super::PlayerEvent::Cue`] during playback.
    pub text: Option<usize>,
    /// Every `StreamIndex` of the manifest as a [`Track`], in manifest order, with why
    /// each one cannot be played.
    pub available: Vec<Track>,
}

impl TrackSelection {
    /// `true` when the `StreamIndex` at `stream` is one of the chosen tracks (video,
    /// audio or text).
    pub fn contains(&self, stream: usize) -> bool {
        self.tracks.iter().any(|t| t.stream == stream) || self.text == Some(stream)
    }
}

/// Picks the first decodable video stream and the first decodable audio stream (no
/// preferences, no locale match): [`select_tracks_with`] with
/// `TrackPreferences { locale: Some(""), .. }`.
pub fn select_tracks(manifest: &Manifest) -> TrackSelection {
    let prefs = TrackPreferences { locale: Some(String::new()), ..TrackPreferences::default() };
    select_tracks_with(manifest, &prefs).unwrap_or_else(|_| unreachable!("no preference given, none can fail"))
}

/// Picks the tracks to play as `prefs` asks: video by name, else the first decodable;
/// audio by name and/or language, else the first decodable in the locale's language
/// ([`TrackPreferences::locale_language`]), else the first decodable; text only when asked
/// for. A name or language that no track of that kind has is [`Error::NoSuchTrack`]
/// (listing the tracks), one whose tracks cannot be played [`Error::TrackNotPlayable`].
/// Streams left out are listed in [`TrackSelection::unsupported`]; every stream is in
/// [`TrackSelection::available`].
pub fn select_tracks_with(manifest: &Manifest, prefs: &TrackPreferences) -> Result<TrackSelection, Error> {
    let mut available = Track::list(manifest);
    // What a decoder can take, stream by stream (video and audio).
    let checks: Vec<Option<StreamCheck>> = manifest
        .streams
        .iter()
        .enumerate()
        .map(|(i, stream)| {
            let kind = match stream.kind {
                StreamKind::Video => TrackKind::Video,
                StreamKind::Audio => TrackKind::Audio,
                _ => return None,
            };
            Some(check_stream(manifest, i, stream, kind))
        })
        .collect();
    for (track, check) in available.iter_mut().zip(&checks) {
        if let Some(c) = check {
            track.unplayable = c.result.as_ref().err().cloned();
            for (level, why) in track.levels.iter_mut().zip(&c.level_problems) {
                if level.unplayable.is_none() {
                    level.unplayable = why.clone();
                }
            }
        }
    }

    let mut sel = TrackSelection::default();
    let locale = prefs.audio_track.is_none() && prefs.audio_lang.is_none();
    let locale = if locale { prefs.locale_language() } else { None };
    for (kind, ttype, name, lang) in [
        (TrackKind::Video, TrackType::Video, &prefs.video_track, &None),
        (TrackKind::Audio, TrackType::Audio, &prefs.audio_track, &prefs.audio_lang),
    ] {
        let asked = name.is_some() || lang.is_some();
        let mut candidates = candidates(&available, &ttype, name.as_deref(), lang.as_deref())?;
        if let (TrackKind::Audio, Some(l)) = (kind, &locale) {
            // The locale's language first, the manifest's order otherwise.
            candidates.sort_by_key(|&i| !available[i].has_language(l));
        }
        let mut chosen = None;
        let mut reasons = Vec::new();
        for i in candidates {
            let stream = &manifest.streams[i];
            let Some(check) = &checks[i] else { continue };
            sel.unsupported.extend(check.messages.iter().cloned());
            match &check.result {
                Err(reason) => reasons.push(format!("{}: {reason}", available[i].describe())),
                Ok(levels) => {
                    chosen = Some((i, stream, levels.clone()));
                    break;
                }
            }
        }
        if let Some((i, stream, levels)) = chosen {
            sel.tracks.push(selected(manifest, kind, i, stream, levels));
        } else if asked {
            let track = name.clone().or_else(|| lang.clone()).unwrap_or_default();
            return Err(Error::TrackNotPlayable { kind: ttype, track: format!("{track:?}"), reason: reasons.join("; ") });
        }
    }

    // Captions: only when asked for; the first playable match.
    if prefs.text_track.is_some() || prefs.text_lang.is_some() {
        let candidates = candidates(&available, &TrackType::Text, prefs.text_track.as_deref(), prefs.text_lang.as_deref())?;
        match candidates.iter().find(|&&i| available[i].is_playable()) {
            Some(&i) => sel.text = Some(i),
            None => {
                let reasons: Vec<String> = candidates.iter().map(|&i| format!("{}: {}", available[i].describe(), available[i].unplayable.clone().unwrap_or_default())).collect();
                let track = prefs.text_track.clone().or_else(|| prefs.text_lang.clone()).unwrap_or_default();
                return Err(Error::TrackNotPlayable { kind: TrackType::Text, track: format!("{track:?}"), reason: reasons.join("; ") });
            }
        }
    }
    sel.available = available;
    Ok(sel)
}

/// The video or audio `StreamIndex` at `index` as a track to play (a track switch during
/// playback): its decodable levels and its plan; why not when it cannot be played.
pub(super) fn select_stream(manifest: &Manifest, index: usize) -> Result<SelectedTrack, String> {
    let stream = manifest.streams.get(index).ok_or_else(|| format!("no stream #{index}"))?;
    let kind = match stream.kind {
        StreamKind::Video => TrackKind::Video,
        StreamKind::Audio => TrackKind::Audio,
        _ => return Err(format!("{} is not a video or audio stream", stream_label(stream, index))),
    };
    let levels = check_stream(manifest, index, stream, kind).result?;
    Ok(selected(manifest, kind, index, stream, levels))
}

fn selected(manifest: &Manifest, kind: TrackKind, i: usize, stream: &StreamIndex, levels: Vec<Arc<LevelConfig>>) -> SelectedTrack {
    let plan = TrackPlan::complete(
        kind,
        chunk_slots(stream, manifest),
        levels
            .iter()
            .map(|l| {
                let q = &stream.levels[l.manifest_index];
                Level { bitrate_bps: l.bitrate, width: q.max_width, height: q.max_height }
            })
            .collect(),
    );
    SelectedTrack { kind, stream: i, levels, plan, timescale: stream.timescale }
}

/// The tracks of `kind` with `name` and `lang` (each when given), in manifest order;
/// [`Error::NoSuchTrack`] when a name or language given matches none.
pub(super) fn candidates(tracks: &[Track], kind: &TrackType, name: Option<&str>, lang: Option<&str>) -> Result<Vec<usize>, Error> {
    let of_kind: Vec<&Track> = tracks.iter().filter(|t| t.kind == *kind).collect();
    let missing = |by: &'static str, asked: &str| Error::NoSuchTrack {
        kind: kind.clone(),
        by,
        asked: asked.to_string(),
        available: of_kind.iter().map(|t| t.describe()).collect(),
    };
    let mut matching: Vec<&Track> = of_kind.clone();
    if let Some(n) = name {
        matching.retain(|t| t.has_name(n));
        if matching.is_empty() {
            return Err(missing("named", n));
        }
    }
    if let Some(l) = lang {
        matching.retain(|t| t.has_language(l));
        if matching.is_empty() {
            return Err(missing("in language", l));
        }
    }
    Ok(matching.iter().map(|t| t.stream).collect())
}

/// Whether a video or audio stream can be played: its decodable levels (ascending) or
/// why not, and the messages for [`TrackSelection::unsupported`] when it is tried.
struct StreamCheck {
    result: Result<Vec<Arc<LevelConfig>>, String>,
    messages: Vec<String>,
    /// Per manifest level, why a decoder cannot take it.
    level_problems: Vec<Option<String>>,
}

fn check_stream(manifest: &Manifest, i: usize, stream: &StreamIndex, kind: TrackKind) -> StreamCheck {
    let level_problems = stream.levels.iter().enumerate().map(|(idx, q)| level_config(q, idx, kind).err()).collect();
    let (levels, problems) = playable_levels(stream, kind);
    let name = stream_label(stream, i);
    let mut messages = Vec::new();
    let result = if levels.is_empty() {
        let reason = problems.join(", ");
        messages.push(format!("{name}: not played: {reason}"));
        Err(reason)
    } else {
        messages.extend(problems.iter().map(|p| format!("{name}: level skipped: {p}")));
        if let Some(d) = median_chunk_duration(stream).filter(|d| *d > MAX_FRAGMENT_DURATION) {
            let reason = format!("its fragments last {:.0} s each (TimeScale {}): an implausible timescale", d.as_secs_f64(), stream.timescale);
            messages.push(format!("{name}: not played: {reason}"));
            Err(reason)
        } else if stream.chunks.is_empty() && !manifest.is_live {
            // A live manifest may list nothing yet: its timeline grows from refreshes.
            messages.push(format!("{name}: no fragments listed"));
            Err("no fragments listed".to_string())
        } else {
            Ok(levels)
        }
    };
    StreamCheck { result, messages, level_problems }
}

/// Longest typical fragment duration accepted. Smooth fragments last seconds; minutes
/// mean a wrong `TimeScale` (a playback of months that would never end).
const MAX_FRAGMENT_DURATION: Duration = Duration::from_secs(600);

fn median_chunk_duration(stream: &StreamIndex) -> Option<Duration> {
    let mut d: Vec<Duration> = stream.chunks.iter().filter_map(|c| c.duration).map(|d| d.to_duration()).collect();
    d.sort();
    d.get(d.len() / 2).copied()
}

fn stream_label(stream: &StreamIndex, i: usize) -> String {
    let kind = match &stream.kind {
        StreamKind::Video => "video",
        StreamKind::Audio => "audio",
        StreamKind::Text => "text",
        StreamKind::Other(o) => o.as_str(),
    };
    match &stream.name {
        Some(n) => format!("{kind} stream {n:?}"),
        None => format!("{kind} stream #{i}"),
    }
}

fn playable_levels(stream: &StreamIndex, kind: TrackKind) -> (Vec<Arc<LevelConfig>>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (idx, q) in stream.levels.iter().enumerate() {
        match level_config(q, idx, kind) {
            Ok(c) => out.push(Arc::new(c)),
            Err(why) => problems.push(format!("level {} ({} bit/s): {why}", q.index, q.bitrate)),
        }
    }
    out.sort_by_key(|l| l.bitrate);
    (out, problems)
}

fn level_config(q: &QualityLevel, manifest_index: usize, kind: TrackKind) -> Result<LevelConfig, String> {
    if !q.is_playable() {
        return Err("unplayable level (see manifest warnings)".to_string());
    }
    let codec = codec_for(q.fourcc.as_deref()).map_err(|e| e.to_string())?;
    let config = match (kind, codec) {
        (TrackKind::Video, CodecKind::H264) => {
            if q.codec_private_data.is_empty() {
                return Err("H.264 level without CodecPrivateData (SPS/PPS)".to_string());
            }
            q.codec_private_data.clone()
        }
        (TrackKind::Audio, CodecKind::AacLc) => q
            .audio_specific_config()
            .ok_or_else(|| "AAC level without CodecPrivateData or SamplingRate/Channels".to_string())?,
        (k, c) => return Err(format!("{c:?} in a {k:?} stream")),
    };
    Ok(LevelConfig { manifest_index, bitrate: q.bitrate, codec, config, nal_length_size: q.nal_unit_length_field })
}

/// Fragment slots in presentation time. A last chunk without a duration gets the
/// presentation's end, else the previous chunk's duration.
fn chunk_slots(stream: &StreamIndex, manifest: &Manifest) -> Vec<ChunkSlot> {
    let mut out: Vec<ChunkSlot> = Vec::with_capacity(stream.chunks.len());
    for c in &stream.chunks {
        let start = c.start.to_duration();
        let duration = match c.duration {
            Some(d) => d.to_duration(),
            None => manifest
                .duration
                .map(|d| d.to_duration().saturating_sub(start))
                .filter(|d| !d.is_zero())
                .or_else(|| out.last().map(|p| p.duration))
                .unwrap_or(Duration::from_secs(2)),
        };
        out.push(ChunkSlot { start, duration });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTITRACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media/multitrack.ism/Manifest");

    fn multitrack() -> Manifest {
        Manifest::parse(&std::fs::read(MULTITRACK).unwrap()).unwrap()
    }

    fn prefs() -> TrackPreferences {
        TrackPreferences { locale: Some(String::new()), ..TrackPreferences::default() }
    }

    fn chosen(sel: &TrackSelection, m: &Manifest) -> Vec<String> {
        sel.tracks.iter().map(|t| m.streams[t.stream].name.clone().unwrap()).chain(sel.text.map(|i| m.streams[i].name.clone().unwrap())).collect()
    }

    #[test]
    fn every_stream_index_is_a_track() {
        let m = multitrack();
        let sel = select_tracks(&m);
        let t = &sel.available;
        let kinds: Vec<(&str, &str)> = t.iter().map(|t| (t.kind.as_str(), t.name.as_deref().unwrap())).collect();
        assert_eq!(
            kinds,
            [("video", "camera1"), ("video", "camera2"), ("audio", "audio_eng"), ("audio", "audio_fra"), ("text", "captions_eng"), ("text", "subtitles_fra"), ("sparse", "scte35")]
        );
        assert!(t.iter().all(Track::is_playable), "{t:#?}");
        assert_eq!(t[1].levels.len(), 2);
        assert_eq!((t[1].levels[1].width, t[1].levels[1].height, t[1].levels[1].bitrate), (Some(320), Some(180), 150_000));
        assert_eq!(t[1].levels[1].to_string(), "320x180 H264 150 kbit/s");
        assert_eq!((t[3].language.as_deref(), t[3].levels[0].sampling_rate, t[3].levels[0].channels), (Some("fra"), Some(48_000), Some(1)));
        assert_eq!(t[5].subtype.as_deref(), Some("SUBT"));
        assert_eq!((t[6].subtype.as_deref(), t[6].parent.as_deref(), t[6].manifest_output, t[6].fragments), (Some("SCTE35"), Some("camera1"), true, 3));
        assert_eq!(chosen(&sel, &m), ["camera1", "audio_eng"], "the first video and audio, no text");
        assert!(sel.unsupported.is_empty(), "{:?}", sel.unsupported);
    }

    #[test]
    fn preferences_choose_by_name_and_language() {
        let m = multitrack();
        let pick = |p: TrackPreferences| chosen(&select_tracks_with(&m, &p).unwrap(), &m);
        assert_eq!(pick(TrackPreferences { video_track: Some("camera2".into()), ..prefs() }), ["camera2", "audio_eng"]);
        assert_eq!(pick(TrackPreferences { video_track: Some("CAMERA2".into()), ..prefs() }), ["camera2", "audio_eng"], "names ignore case");
        assert_eq!(pick(TrackPreferences { audio_lang: Some("fr".into()), ..prefs() }), ["camera1", "audio_fra"]);
        assert_eq!(pick(TrackPreferences { audio_lang: Some("fre".into()), ..prefs() }), ["camera1", "audio_fra"], "ISO 639-2/B");
        assert_eq!(pick(TrackPreferences { audio_track: Some("audio_fra".into()), ..prefs() }), ["camera1", "audio_fra"]);
        assert_eq!(pick(TrackPreferences { text_lang: Some("fr-CA".into()), ..prefs() }), ["camera1", "audio_eng", "subtitles_fra"]);
        assert_eq!(pick(TrackPreferences { text_track: Some("captions_eng".into()), ..prefs() }), ["camera1", "audio_eng", "captions_eng"]);
        // The locale chooses the default audio; an explicit choice overrides it.
        assert_eq!(pick(TrackPreferences { locale: Some("fr_FR.UTF-8".into()), ..prefs() }), ["camera1", "audio_fra"]);
        assert_eq!(pick(TrackPreferences { locale: Some("de_DE.UTF-8".into()), ..prefs() }), ["camera1", "audio_eng"], "no match: the first");
        assert_eq!(pick(TrackPreferences { locale: Some("fr_FR".into()), audio_lang: Some("en".into()), ..prefs() }), ["camera1", "audio_eng"]);
    }

    #[test]
    fn a_track_that_does_not_exist_is_an_error_listing_the_tracks() {
        let m = multitrack();
        let err = |p: TrackPreferences| select_tracks_with(&m, &p).unwrap_err();
        let e = err(TrackPreferences { audio_lang: Some("de".into()), ..prefs() });
        assert!(matches!(&e, Error::NoSuchTrack { kind: TrackType::Audio, by: "in language", asked, available } if asked == "de" && available.len() == 2), "{e:?}");
        assert_eq!(e.to_string(), r#"no audio track in language "de"; the audio tracks are: "audio_eng" (eng), "audio_fra" (fra)"#);
        let e = err(TrackPreferences { video_track: Some("camera3".into()), ..prefs() });
        assert_eq!(e.to_string(), r#"no video track named "camera3"; the video tracks are: "camera1", "camera2""#);
        let e = err(TrackPreferences { text_track: Some("scte35".into()), ..prefs() });
        assert!(e.to_string().contains(r#"the text tracks are: "captions_eng" (eng), "subtitles_fra" (fra)"#), "{e}");
        let e = err(TrackPreferences { audio_track: Some("audio_eng".into()), audio_lang: Some("fra".into()), ..prefs() });
        assert!(matches!(e, Error::NoSuchTrack { by: "in language", .. }), "name and language must both match: {e}");
        let small = Manifest::parse(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media/small.ism/Manifest")).unwrap()).unwrap();
        let e = select_tracks_with(&small, &TrackPreferences { text_lang: Some("en".into()), ..prefs() }).unwrap_err();
        assert_eq!(e.to_string(), r#"no text track in language "en"; the presentation has no text tracks"#);
    }

    #[test]
    fn an_unplayable_track_asked_for_says_why() {
        let xml = std::fs::read_to_string(MULTITRACK).unwrap().replacen(r#"FourCC="H264" MaxWidth="160""#, r#"FourCC="WVC1" MaxWidth="160""#, 2).replace(r#"FourCC="H264""#, r#"FourCC="WVC1""#);
        let m = Manifest::parse(xml.as_bytes()).unwrap();
        let e = select_tracks_with(&m, &TrackPreferences { video_track: Some("camera2".into()), ..prefs() }).unwrap_err();
        assert!(matches!(&e, Error::TrackNotPlayable { kind: TrackType::Video, .. }), "{e:?}");
        assert!(e.to_string().starts_with(r#"the video track "camera2" cannot be played: "camera2": level 0 (60000 bit/s): "#), "{e}");
        // Without a preference, audio still plays and the video streams are reported.
        let sel = select_tracks(&m);
        assert_eq!(chosen(&sel, &m), ["audio_eng"]);
        assert_eq!(sel.unsupported.len(), 2, "{:?}", sel.unsupported);
        assert!(sel.available[0].unplayable.is_some() && sel.available[0].levels[0].unplayable.is_some());
    }
}
