//! Videos to simulate: a ladder plus the size of every fragment at every level.
//!
//! Sources: Sabre movie JSON (`{"segment_duration_ms", "bitrates_kbps", "segment_sizes_bits"}`)
//! or a Smooth Streaming presentation on disk (see [`super::smooth`]).

use crate::types::{Ladder, Level};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// Upper bounds on what a video description may declare.
pub const MAX_LEVELS: usize = 64;
/// Largest movie JSON read, bytes.
pub const MAX_MOVIE_BYTES: u64 = 64 << 20;
/// Upper bound on fragments per video.
pub const MAX_FRAGMENTS: usize = 1_000_000;

/// A video: ladder and per-fragment sizes in bits.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    /// Ladder (with `fragment_sizes` in bytes and `fragment_count` set).
    pub ladder: Ladder,
    /// Sizes in bits, `[fragment][level]` (kept in bits so Sabre movies replay exactly).
    pub sizes_bits: Vec<Vec<f64>>,
}

/// Why a video description could not be used.
#[derive(Debug)]
pub enum VideoError {
    /// Reading a file failed (path and error).
    Io(String, std::io::Error),
    /// JSON did not parse.
    Json(serde_json::Error),
    /// Parsed, but inconsistent or out of limits (reason).
    Invalid(String),
}

impl std::fmt::Display for VideoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VideoError::Io(p, e) => write!(f, "reading {p}: {e}"),
            VideoError::Json(e) => write!(f, "movie JSON: {e}"),
            VideoError::Invalid(why) => write!(f, "invalid video: {why}"),
        }
    }
}

impl std::error::Error for VideoError {}

#[derive(Deserialize)]
struct SabreMovie {
    segment_duration_ms: f64,
    bitrates_kbps: Vec<f64>,
    segment_sizes_bits: Vec<Vec<f64>>,
}

impl Video {
    /// Builds a video from levels (ascending), fragment duration and sizes in bits.
    pub fn new(levels: Vec<Level>, fragment_duration: Duration, sizes_bits: Vec<Vec<f64>>) -> Result<Self, VideoError> {
        if levels.is_empty() || levels.len() > MAX_LEVELS {
            return Err(VideoError::Invalid(format!("{} levels (1..={MAX_LEVELS})", levels.len())));
        }
        if levels.windows(2).any(|w| w[0].bitrate_bps >= w[1].bitrate_bps) {
            return Err(VideoError::Invalid("bitrates not strictly ascending".into()));
        }
        if sizes_bits.is_empty() || sizes_bits.len() > MAX_FRAGMENTS {
            return Err(VideoError::Invalid(format!("{} fragments (1..={MAX_FRAGMENTS})", sizes_bits.len())));
        }
        if fragment_duration.is_zero() {
            return Err(VideoError::Invalid("zero fragment duration".into()));
        }
        for (i, row) in sizes_bits.iter().enumerate() {
            if row.len() != levels.len() {
                return Err(VideoError::Invalid(format!("fragment {i} has {} sizes for {} levels", row.len(), levels.len())));
            }
            if row.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
                return Err(VideoError::Invalid(format!("fragment {i} has a negative or non-finite size")));
            }
        }
        let mut ladder = Ladder::new(levels, fragment_duration);
        ladder.fragment_sizes =
            Some(sizes_bits.iter().map(|r| r.iter().map(|b| (b / 8.0).round() as u64).collect()).collect());
        ladder.fragment_count = Some(sizes_bits.len());
        Ok(Video { ladder, sizes_bits })
    }

    /// Parses a Sabre movie JSON.
    pub fn parse_sabre_json(text: &str) -> Result<Self, VideoError> {
        let m: SabreMovie = serde_json::from_str(text).map_err(VideoError::Json)?;
        if !(m.segment_duration_ms.is_finite() && m.segment_duration_ms > 0.0 && m.segment_duration_ms < 3.6e6) {
            return Err(VideoError::Invalid(format!("segment_duration_ms {}", m.segment_duration_ms)));
        }
        if m.bitrates_kbps.iter().any(|b| !(b.is_finite() && *b > 0.0 && *b < 1e9)) {
            return Err(VideoError::Invalid("bitrate out of range".into()));
        }
        let levels = m.bitrates_kbps.iter().map(|k| Level::from_bitrate((k * 1000.0).round() as u64)).collect();
        Self::new(levels, Duration::from_secs_f64(m.segment_duration_ms / 1000.0), m.segment_sizes_bits)
    }

    /// Loads a video named by a string: `http://...` is a Smooth Streaming manifest URL
    /// (fragment sizes by HTTP HEAD), anything else a path for [`Video::load`].
    pub fn load_location(location: &str) -> Result<Self, VideoError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            super::http::load_presentation_http(location)
        } else {
            Self::load(Path::new(location))
        }
    }

    /// Loads a video: a `.json` file as Sabre movie JSON, otherwise a Smooth Streaming
    /// presentation (a folder holding `Manifest`, or the manifest file itself).
    pub fn load(path: &Path) -> Result<Self, VideoError> {
        if path.extension().is_some_and(|e| e == "json") {
            let len = std::fs::metadata(path).map_err(|e| VideoError::Io(path.display().to_string(), e))?.len();
            if len > MAX_MOVIE_BYTES {
                return Err(VideoError::Invalid(format!("{} is {len} bytes (max {MAX_MOVIE_BYTES})", path.display())));
            }
            let text = std::fs::read_to_string(path).map_err(|e| VideoError::Io(path.display().to_string(), e))?;
            Self::parse_sabre_json(&text)
        } else {
            super::smooth::load_presentation(path)
        }
    }

    /// Number of fragments.
    pub fn fragments(&self) -> usize {
        self.sizes_bits.len()
    }

    /// Fragment duration in ms.
    pub fn fragment_ms(&self) -> f64 {
        self.ladder.fragment_duration.as_secs_f64() * 1000.0
    }

    /// Size in bits of `fragment` at `level` (0 when out of range).
    pub fn size_bits(&self, fragment: usize, level: usize) -> f64 {
        self.sizes_bits.get(fragment).and_then(|r| r.get(level)).copied().unwrap_or(0.0)
    }

    /// Bitrate of `level` in kbit/s.
    pub fn kbps(&self, level: usize) -> f64 {
        self.ladder.bitrate_bps(level) as f64 / 1000.0
    }

    /// A synthetic constant-bitrate video (sizes = bitrate x duration), for tests.
    pub fn constant_bitrate(bitrates_kbps: &[u64], fragment: Duration, fragments: usize) -> Result<Self, VideoError> {
        let levels: Vec<Level> = bitrates_kbps.iter().map(|k| Level::from_bitrate(k * 1000)).collect();
        let d_ms = fragment.as_secs_f64() * 1000.0;
        let row: Vec<f64> = bitrates_kbps.iter().map(|k| *k as f64 * d_ms).collect();
        Self::new(levels, fragment, vec![row; fragments])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sabre_movie() {
        let v = Video::parse_sabre_json(
            r#"{"segment_duration_ms": 4000, "bitrates_kbps": [300, 750], "segment_sizes_bits": [[8, 16], [24, 32]]}"#,
        )
        .unwrap();
        assert_eq!(v.fragments(), 2);
        assert_eq!(v.ladder.bitrate_bps(1), 750_000);
        assert_eq!(v.ladder.known_fragment_bytes(1, 1), Some(4));
        assert_eq!(v.size_bits(1, 0), 24.0);
        assert_eq!(v.ladder.fragment_count, Some(2));
    }

    #[test]
    fn rejects_inconsistent_movies() {
        let bad = [
            r#"{"segment_duration_ms": 4000, "bitrates_kbps": [300, 750], "segment_sizes_bits": [[8]]}"#,
            r#"{"segment_duration_ms": 0, "bitrates_kbps": [300], "segment_sizes_bits": [[8]]}"#,
            r#"{"segment_duration_ms": 4000, "bitrates_kbps": [750, 300], "segment_sizes_bits": [[8, 8]]}"#,
            r#"{"segment_duration_ms": 4000, "bitrates_kbps": [], "segment_sizes_bits": []}"#,
            r#"{"segment_duration_ms": 4000, "bitrates_kbps": [300], "segment_sizes_bits": [[-1]]}"#,
        ];
        for b in bad {
            assert!(matches!(Video::parse_sabre_json(b), Err(VideoError::Invalid(_))), "{b}");
        }
        assert!(matches!(Video::parse_sabre_json("{"), Err(VideoError::Json(_))));
    }
}
