//! Choosing which streams and levels to play, and describing them to the scheduler.

use std::sync::Arc;
use std::time::Duration;

use smoothplay_heuristics::Level;

use crate::decode::{codec_for, CodecKind};
use crate::manifest::{Manifest, QualityLevel, StreamIndex, StreamKind};
use crate::schedule::{ChunkSlot, TrackKind, TrackPlan};

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
}

/// Picks the first decodable video stream and the first decodable audio stream.
pub fn select_tracks(manifest: &Manifest) -> TrackSelection {
    let mut sel = TrackSelection::default();
    for (kind, want) in [(TrackKind::Video, StreamKind::Video), (TrackKind::Audio, StreamKind::Audio)] {
        let mut chosen = None;
        for (i, stream) in manifest.streams.iter().enumerate().filter(|(_, s)| s.kind == want) {
            let (levels, problems) = playable_levels(stream, kind);
            let name = stream_label(stream, i);
            if levels.is_empty() {
                sel.unsupported.push(format!("{name}: not played: {}", problems.join(", ")));
                continue;
            }
            for p in problems {
                sel.unsupported.push(format!("{name}: level skipped: {p}"));
            }
            if let Some(d) = median_chunk_duration(stream).filter(|d| *d > MAX_FRAGMENT_DURATION) {
                sel.unsupported.push(format!(
                    "{name}: not played: its fragments last {:.0} s each (TimeScale {}): an implausible timescale",
                    d.as_secs_f64(),
                    stream.timescale
                ));
                continue;
            }
            // A live manifest may list nothing yet: its timeline grows from refreshes.
            if stream.chunks.is_empty() && !manifest.is_live {
                sel.unsupported.push(format!("{name}: no fragments listed"));
                continue;
            }
            chosen = Some((i, stream, levels));
            break;
        }
        if let Some((i, stream, levels)) = chosen {
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
            sel.tracks.push(SelectedTrack { kind, stream: i, levels, plan, timescale: stream.timescale });
        }
    }
    sel
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
