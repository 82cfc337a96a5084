//! Which level of an audio track to fetch when it has several bitrates.
//!
//! The quality selector adapts the video; audio gets a share of the link measured over every
//! download (audio and video alike: the same link carries both). With video, the highest
//! audio level whose bitrate fits [`AUDIO_SHARE_WITH_VIDEO`] of the measured throughput;
//! an audio-only presentation may use [`AUDIO_SHARE_ALONE`] of it. Before anything is
//! measured, the lowest level (a quick start, as the video starts low too). A single-level
//! track always gets its one level.

use std::time::Duration;

use smoothplay_heuristics::Level;

/// Share of the throughput the audio may take beside video.
pub const AUDIO_SHARE_WITH_VIDEO: f64 = 0.2;
/// Share of the throughput an audio-only presentation may take (a safety margin).
pub const AUDIO_SHARE_ALONE: f64 = 0.8;
/// Weight of a new sample in the moving average.
const NEW_SAMPLE_WEIGHT: f64 = 0.3;

/// The link's throughput as every download saw it, and the audio level it affords.
#[derive(Debug, Clone, Default)]
pub struct AudioLevels {
    bps: Option<f64>,
}

impl AudioLevels {
    /// A download of `bytes` took `elapsed` (request to last byte).
    pub fn on_download(&mut self, bytes: u64, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if bytes == 0 || secs <= 0.0 {
            return;
        }
        let sample = bytes as f64 * 8.0 / secs;
        self.bps = Some(match self.bps {
            Some(old) => old + NEW_SAMPLE_WEIGHT * (sample - old),
            None => sample,
        });
    }

    /// The measured throughput, bit/s.
    pub fn throughput_bps(&self) -> Option<f64> {
        self.bps
    }

    /// The level to fetch from `levels` (ascending by bitrate).
    pub fn choose(&self, levels: &[Level], with_video: bool) -> usize {
        let Some(bps) = self.bps else { return 0 };
        let share = if with_video { AUDIO_SHARE_WITH_VIDEO } else { AUDIO_SHARE_ALONE };
        levels.iter().rposition(|l| l.bitrate_bps as f64 <= share * bps).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(kbps: &[u64]) -> Vec<Level> {
        kbps.iter().map(|k| Level { bitrate_bps: k * 1000, width: None, height: None }).collect()
    }

    #[test]
    fn the_lowest_until_measured_then_what_the_share_affords() {
        let l = levels(&[32, 64, 128]);
        let mut a = AudioLevels::default();
        assert_eq!(a.choose(&l, true), 0);
        a.on_download(125_000, Duration::from_secs(1)); // 1 Mbit/s
        assert_eq!(a.choose(&l, true), 2, "128k is 12.8 % of 1 Mbit/s");
        assert_eq!(a.choose(&l, false), 2);
        let mut slow = AudioLevels::default();
        slow.on_download(12_500, Duration::from_secs(1)); // 100 kbit/s
        assert_eq!(slow.choose(&l, true), 0, "beside video: 20 kbit/s affords none, the lowest");
        assert_eq!(slow.choose(&l, false), 1, "alone: 80 kbit/s affords 64k");
        assert_eq!(slow.choose(&levels(&[96]), false), 0, "one level: that one");
    }

    #[test]
    fn the_average_moves_with_new_samples_and_ignores_empty_ones() {
        let mut a = AudioLevels::default();
        a.on_download(125_000, Duration::from_secs(1));
        a.on_download(0, Duration::from_secs(1));
        a.on_download(10, Duration::ZERO);
        assert_eq!(a.throughput_bps(), Some(1e6));
        a.on_download(12_500, Duration::from_secs(1));
        assert_eq!(a.throughput_bps(), Some(1e6 + 0.3 * (1e5 - 1e6)));
    }
}
