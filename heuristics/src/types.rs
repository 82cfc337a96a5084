//! Plain input and output types shared by every estimator and selector.
//!
//! These are the engine-facing interface: the engine (and the simulator) fill a [`Context`]
//! before each fragment request, pass a [`DownloadReport`] after each download and a
//! [`DownloadProgress`] while one is in flight. Nothing here knows about HTTP or MP4.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One quality level (Smooth Streaming `QualityLevel`, DASH `Representation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Nominal (declared) bitrate in bits per second.
    pub bitrate_bps: u64,
    /// Picture width in pixels, when known (audio-only levels have none).
    pub width: Option<u32>,
    /// Picture height in pixels, when known.
    pub height: Option<u32>,
}

impl Level {
    /// A level with a bitrate and no resolution.
    pub fn from_bitrate(bitrate_bps: u64) -> Self {
        Level { bitrate_bps, width: None, height: None }
    }

    /// Pixels per picture, when the resolution is known.
    pub fn pixels(&self) -> Option<u64> {
        Some(u64::from(self.width?) * u64::from(self.height?))
    }
}

/// Fragment sizes in bytes, indexed `[fragment][level]` (the layout of Sabre's
/// `segment_sizes_bits`, in bytes).
pub type FragmentSizes = Vec<Vec<u64>>;

/// The bitrate ladder of one stream plus what is known about its fragments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ladder {
    /// Levels in ascending bitrate order; index 0 is the lowest. Selectors return indices into this.
    pub levels: Vec<Level>,
    /// Nominal duration of one fragment (Smooth Streaming fragments are near-constant).
    pub fragment_duration: Duration,
    /// Exact fragment sizes in bytes `[fragment][level]`, when known (sizes read from disk,
    /// by HTTP HEAD, or from a movie description). `None` means "estimate from bitrate".
    pub fragment_sizes: Option<FragmentSizes>,
    /// Number of fragments in the presentation, when known (VOD). `None` for open-ended live.
    pub fragment_count: Option<usize>,
}

impl Ladder {
    /// A ladder with no known fragment sizes or count. `levels` are sorted ascending by bitrate.
    pub fn new(mut levels: Vec<Level>, fragment_duration: Duration) -> Self {
        levels.sort_by_key(|l| l.bitrate_bps);
        Ladder { levels, fragment_duration, fragment_sizes: None, fragment_count: None }
    }

    /// A ladder from bitrates in kbit/s (the unit of Sabre movie files), ascending.
    pub fn from_kbps(bitrates_kbps: &[u64], fragment_duration: Duration) -> Self {
        Self::new(
            bitrates_kbps.iter().map(|k| Level::from_bitrate(k.saturating_mul(1000))).collect(),
            fragment_duration,
        )
    }

    /// Number of levels.
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    /// True when the ladder has no levels (selectors then always answer level 0).
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Index of the highest level; 0 for an empty ladder.
    pub fn top(&self) -> usize {
        self.levels.len().saturating_sub(1)
    }

    /// Bitrate of `level` in bit/s; 0 when out of range.
    pub fn bitrate_bps(&self, level: usize) -> u64 {
        self.levels.get(level).map_or(0, |l| l.bitrate_bps)
    }

    /// Fragment duration in seconds.
    pub fn fragment_s(&self) -> f64 {
        self.fragment_duration.as_secs_f64()
    }

    /// Exact size in bytes of fragment `fragment` at `level`, when known.
    pub fn known_fragment_bytes(&self, fragment: usize, level: usize) -> Option<u64> {
        self.fragment_sizes.as_ref()?.get(fragment)?.get(level).copied()
    }

    /// Size in bytes of fragment `fragment` at `level`: the known size, or bitrate x duration.
    pub fn fragment_bytes(&self, fragment: usize, level: usize) -> u64 {
        self.known_fragment_bytes(fragment, level).unwrap_or_else(|| {
            (self.bitrate_bps(level) as f64 * self.fragment_s() / 8.0).round() as u64
        })
    }

    /// Fragments left from `fragment_index` (inclusive) to the end, when the count is known.
    pub fn remaining_fragments(&self, fragment_index: usize) -> Option<usize> {
        self.fragment_count.map(|n| n.saturating_sub(fragment_index))
    }
}

/// What happened to one fragment request (completed or abandoned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadReport {
    /// Level that was requested.
    pub level: usize,
    /// Bytes received (all of them unless `abandoned`).
    pub bytes: u64,
    /// Time from sending the request to the first byte of the body.
    pub ttfb: Duration,
    /// Time from sending the request to the last byte received (includes `ttfb`).
    pub duration: Duration,
    /// Media duration the fragment holds (zero when abandoned: nothing was added to the buffer).
    pub media_duration: Duration,
    /// True when the request was cancelled before completion.
    pub abandoned: bool,
}

impl DownloadReport {
    /// Transfer time after the first byte (`duration - ttfb`).
    pub fn transfer_time(&self) -> Duration {
        self.duration.saturating_sub(self.ttfb)
    }

    /// Throughput during the transfer in bit/s (bytes over transfer time), `None` when the
    /// transfer time is zero.
    pub fn throughput_bps(&self) -> Option<f64> {
        let t = self.transfer_time().as_secs_f64();
        (t > 0.0).then(|| self.bytes as f64 * 8.0 / t)
    }
}

/// Buffer occupancy as seen by the selector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BufferState {
    /// Media buffered ahead of the playhead.
    pub level: Duration,
    /// Level the player aims to keep (it stops fetching above `max - fragment_duration`).
    pub target: Duration,
    /// Hard maximum the player will hold.
    pub max: Duration,
}

/// How well the decoder keeps up, measured over a recent window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecodeCapacity {
    /// Mean wall time to decode one frame.
    pub decode_time_per_frame: Duration,
    /// Duration of one frame (the budget: 1/fps).
    pub frame_duration: Duration,
    /// Frames decoded in the window.
    pub frames_decoded: u64,
    /// Frames dropped (late or skipped) in the window.
    pub frames_dropped: u64,
    /// Level these measurements were taken at.
    pub level: usize,
}

impl DecodeCapacity {
    /// Decode time as a fraction of the frame budget (1.0 = exactly real time).
    pub fn load(&self) -> Option<f64> {
        let budget = self.frame_duration.as_secs_f64();
        (budget > 0.0).then(|| self.decode_time_per_frame.as_secs_f64() / budget)
    }

    /// Fraction of frames dropped in the window.
    pub fn drop_ratio(&self) -> f64 {
        let total = self.frames_decoded + self.frames_dropped;
        if total == 0 {
            0.0
        } else {
            self.frames_dropped as f64 / total as f64
        }
    }
}

/// Size of the surface the video is shown on, in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewport {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Everything a selector may look at when choosing the next fragment's level.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The stream's ladder.
    pub ladder: &'a Ladder,
    /// Index of the fragment about to be requested (0 = first of the presentation).
    pub fragment_index: usize,
    /// Current buffer state.
    pub buffer: BufferState,
    /// Level of the previously downloaded fragment, `None` before the first.
    pub last_level: Option<usize>,
    /// Distance from the playhead to the live edge (live streams only).
    pub live_edge_distance: Option<Duration>,
    /// Recent decoder performance, when the player measures it.
    pub decode: Option<DecodeCapacity>,
    /// Size of the video surface, when known.
    pub viewport: Option<Viewport>,
    /// True while media is playing (false during startup, rebuffering or pause).
    pub playing: bool,
    /// Time since the session started (wall clock in the engine, virtual in the simulator).
    pub now: Duration,
}

/// A selector's answer: which level to fetch, and optionally how long to wait first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Index into [`Ladder::levels`].
    pub level: usize,
    /// Idle time before sending the request (BOLA's "delay"); `None` means fetch now.
    pub wait: Option<Duration>,
}

impl Decision {
    /// Fetch `level` now.
    pub fn now(level: usize) -> Self {
        Decision { level, wait: None }
    }
}

/// Why a selector chose the level it did (for logs and analytics; see
/// [`crate::QualitySelector::last_reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceReason {
    /// No throughput measured yet: the configured first level.
    Startup,
    /// The forecast of throughput and buffer (the planner's own choice).
    Throughput,
    /// Capped by the viewport (the level would be far larger than the window).
    Viewport,
    /// Capped by decode capacity (the CPU could not keep up at a higher level).
    Cpu,
    /// Capped after an abandoned download of this fragment.
    Abandoned,
}

impl ChoiceReason {
    /// The name used in logs: `startup`, `throughput`, `viewport`, `cpu`, `abandoned`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChoiceReason::Startup => "startup",
            ChoiceReason::Throughput => "throughput",
            ChoiceReason::Viewport => "viewport",
            ChoiceReason::Cpu => "cpu",
            ChoiceReason::Abandoned => "abandoned",
        }
    }
}

/// Progress of a download in flight, for abandonment decisions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DownloadProgress {
    /// Fragment being downloaded.
    pub fragment_index: usize,
    /// Level being downloaded.
    pub level: usize,
    /// Body bytes received so far.
    pub bytes_done: u64,
    /// Total body bytes, when known (Content-Length or ladder sizes).
    pub bytes_total: Option<u64>,
    /// Time since the request was sent.
    pub elapsed: Duration,
    /// Time to first byte, once the first byte has arrived.
    pub ttfb: Option<Duration>,
}
