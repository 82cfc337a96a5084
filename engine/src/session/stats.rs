use serde::Serialize;

/// Most [`FragmentStats`] kept per track (`video.fragments`, `audio.fragments`): the most
/// recent ones. A day of live at 2 s fragments is 43 200 fragments per track; the totals
/// ([`VideoStats::fragments_total`], [`VideoStats::bytes_total`] and the audio ones) stay
/// exact whatever is dropped. 10 000 records are about 5.5 hours of 2 s fragments, about
/// 400 KiB.
pub const MAX_FRAGMENT_RECORDS: usize = 10_000;

/// Most [`SkippedFragment`]s kept (the most recent); [`PlaybackStats::skipped_total`]
/// counts them all.
pub const MAX_SKIPPED_RECORDS: usize = 1_000;

/// Most [`LiveSample`]s kept in [`LiveStats::samples`]: two hours at one a second. When a
/// longer session reaches it, every other sample is dropped and the interval between
/// samples doubles ([`LiveStats::sample_interval_ms`]), so the samples always cover the
/// whole session evenly and never number more than this.
pub const MAX_LIVE_SAMPLES: usize = 7_200;

/// Appends `item` to a list that keeps only its most recent `cap` items: when full, the
/// oldest quarter is dropped at once (amortised O(1) per push). `v.len() <= cap` after.
pub(crate) fn push_recent<T>(v: &mut Vec<T>, item: T, cap: usize) {
    let cap = cap.max(1);
    if v.len() >= cap {
        let drop = (cap / 4).max(1).max(v.len() + 1 - cap);
        v.drain(..drop.min(v.len()));
    }
    v.push(item);
}

/// What happened during a playback, written by `--stats-json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlaybackStats {
    /// From `play` being called to the first frame (or audio) presented, in ms.
    pub startup_ms: Option<f64>,
    /// Wall time of the whole playback, ms.
    pub wall_ms: f64,
    /// Video track.
    pub video: VideoStats,
    /// Audio track.
    pub audio: AudioStats,
    /// Stalls after playback started (not counting startup and seeks).
    pub rebuffer: RebufferStats,
    /// Fragments that failed after retries and were skipped: the most recent
    /// [`MAX_SKIPPED_RECORDS`].
    pub skipped_fragments: Vec<SkippedFragment>,
    /// Every fragment skipped (exact, also past [`MAX_SKIPPED_RECORDS`]).
    pub skipped_total: u64,
    /// Streams that could not be played (unsupported codec...), with why.
    pub unsupported_streams: Vec<String>,
    /// The quality-selection algorithm.
    pub algorithm: String,
    /// Content keys used per track (protected presentations).
    pub decryption: Vec<super::protection::KeyUse>,
    /// Live figures; `None` for an on-demand presentation.
    pub live: Option<LiveStats>,
    /// Why playback ended.
    pub ended_by: EndReason,
}

/// Why a playback ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The end of the presentation was played (for live: the event ended).
    #[default]
    Completed,
    /// [`super::Command::Stop`].
    Stopped,
    /// The `play_for` limit (`--duration`) was reached.
    PlayedFor,
    /// Live: no new fragment arrived within the idle timeout.
    LiveIdle,
}

/// Video counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VideoStats {
    /// Frames out of the decoder.
    pub frames_decoded: u64,
    /// Frames presented on time.
    pub frames_presented: u64,
    /// Frames dropped because their time had passed.
    pub frames_dropped: u64,
    /// Fragments downloaded, in download order: the most recent [`MAX_FRAGMENT_RECORDS`].
    pub fragments: Vec<FragmentStats>,
    /// Every fragment downloaded (exact, also past [`MAX_FRAGMENT_RECORDS`]).
    pub fragments_total: u64,
    /// Bytes of every fragment downloaded (exact).
    pub bytes_total: u64,
    /// Mean decode time per frame, ms.
    pub mean_decode_ms: Option<f64>,
    /// Level switches between consecutive fragments.
    pub switches: u64,
    /// Downloads abandoned because they would have arrived too late.
    pub abandoned: u64,
}

/// Audio counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AudioStats {
    /// Samples decoded per channel.
    pub samples_decoded: u64,
    /// Sample rate of the decoded audio.
    pub sample_rate: Option<u32>,
    /// Channel count.
    pub channels: Option<u16>,
    /// Fragments downloaded: the most recent [`MAX_FRAGMENT_RECORDS`].
    pub fragments: Vec<FragmentStats>,
    /// Every fragment downloaded (exact, also past [`MAX_FRAGMENT_RECORDS`]).
    pub fragments_total: u64,
    /// Bytes of every fragment downloaded (exact).
    pub bytes_total: u64,
}

/// One downloaded fragment.
#[derive(Debug, Clone, Serialize)]
pub struct FragmentStats {
    /// Fragment index on its stream.
    pub index: usize,
    /// Declared bitrate of its level, bit/s.
    pub bitrate: u64,
    /// Body size.
    pub bytes: u64,
    /// Request to last byte, ms.
    pub download_ms: f64,
    /// Request to first byte, ms.
    pub ttfb_ms: f64,
}

/// Rebuffering.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RebufferStats {
    /// Number of stalls.
    pub count: u64,
    /// Their total length, ms.
    pub total_ms: f64,
}

/// A fragment given up on.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedFragment {
    /// `video` or `audio`.
    pub track: String,
    /// Fragment index.
    pub index: usize,
    /// Its URL.
    pub url: String,
    /// Why.
    pub error: String,
}

/// Live playback figures (`--stats-json`'s `live` object); `None` for on-demand.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveStats {
    /// Distance from the presented position to the live edge (the newest available
    /// fragment's end), measured every 100 ms. `mean` and `max` are exact over the whole
    /// session; `p50` and `p95` come from at most 200 000 measurements, evenly spread (past
    /// that, about 5.5 hours, every other one is dropped and the interval doubles).
    pub edge_distance_ms: DistanceSummary,
    /// Once per [`LiveStats::sample_interval_ms`] while playing (once a second for the
    /// first two hours); at most [`MAX_LIVE_SAMPLES`], evenly spread over the session.
    pub samples: Vec<LiveSample>,
    /// Time between two `samples`: 1000 ms, doubled each time [`MAX_LIVE_SAMPLES`] is
    /// reached.
    pub sample_interval_ms: u64,
    /// Manifest downloads after the first.
    pub manifest_refreshes: u64,
    /// Entries read from tfrf boxes.
    pub tfrf_entries: u64,
    /// Requests answered "not there yet" (404/412/short body) and tried again.
    pub unavailable_retries: u64,
    /// Timestamp jumps crossed (encoder restarts).
    pub discontinuities: u64,
    /// Moves to a fallback origin.
    pub origin_switches: u64,
    /// Start of the DVR window at the end of playback, ms of the manifest timeline.
    pub window_start_ms: Option<f64>,
}

/// Mean and percentiles of the distance to the live edge, ms.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct DistanceSummary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest.
    pub max: f64,
}

/// One live sample.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct LiveSample {
    /// Wall clock, ms since the Unix epoch.
    pub wall_unix_ms: f64,
    /// Presentation time of the frame on screen, ms of the manifest timeline.
    pub position_ms: f64,
    /// The player's view of the newest available fragment's end, ms of the same timeline.
    pub edge_ms: f64,
}
