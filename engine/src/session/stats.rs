use serde::Serialize;

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
    /// Fragments that failed after retries and were skipped.
    pub skipped_fragments: Vec<SkippedFragment>,
    /// Streams that could not be played (unsupported codec...), with why.
    pub unsupported_streams: Vec<String>,
    /// The quality-selection algorithm.
    pub algorithm: String,
    /// Content keys used per track (protected presentations).
    pub decryption: Vec<super::protection::KeyUse>,
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
    /// Fragments downloaded, in download order.
    pub fragments: Vec<FragmentStats>,
    /// Mean decode time per frame, ms.
    pub mean_decode_ms: Option<f64>,
    /// Level switches between consecutive fragments.
    pub switches: u64,
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
    /// Fragments downloaded.
    pub fragments: Vec<FragmentStats>,
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
