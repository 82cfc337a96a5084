use std::time::Duration;

use smoothplay_heuristics::{DecodeCapacity, Viewport};

/// Index of a track in the scheduler (the order of the plans it was built with).
pub type TrackId = usize;

/// Something that happened, fed to [`super::Scheduler::on_event`].
#[derive(Debug, Clone)]
pub enum Event {
    /// A fragment arrived whole.
    Downloaded {
        /// The request it answers (stale requests from before a seek are ignored).
        request: FetchRequest,
        /// Body size.
        bytes: u64,
        /// Request sent to first byte.
        ttfb: Duration,
        /// Request sent to last byte.
        elapsed: Duration,
    },
    /// A fragment failed after the source's retries: the scheduler skips it and
    /// continues after the gap.
    Failed {
        /// The request that failed.
        request: FetchRequest,
    },
    /// Live: the server does not have the fragment yet (404, 412, a short body). Not a
    /// failure: it is requested again at `retry_at`.
    Unavailable {
        /// The request.
        request: FetchRequest,
        /// When to ask again (derived from the live timeline by the caller).
        retry_at: std::time::Instant,
    },
    /// Live: the server does not have this fragment at this level although newer ones
    /// exist (an encoder for some levels broke). The level is avoided for a while and the
    /// fragment asked for at another; when no level has it, it is skipped.
    LevelMissing {
        /// The request.
        request: FetchRequest,
    },
    /// Live: end of the newest available fragment (`None` on demand); the selector sees
    /// the distance from the playhead to it.
    LiveEdge(Option<Duration>),
    /// Bytes are arriving for a request in flight (only video requests matter: the
    /// selector may ask to abandon them).
    Progress {
        /// The request.
        request: FetchRequest,
        /// How far it has come.
        progress: crate::io::Progress,
    },
    /// The playhead is at this presentation time.
    Position(Duration),
    /// Playback started (true) or stopped: paused, stalled, not yet started (false).
    Playing(bool),
    /// The user seeks: flush and restart fetching at the fragment containing this time.
    Seek(Duration),
    /// Recent decoder performance (for CPU-aware quality selection).
    Decode(DecodeCapacity),
    /// The video surface size changed.
    Viewport(Viewport),
}

/// Why a video fragment is fetched at the level it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelReason {
    /// `--video-bitrate` (or [`super::LevelPin`]) fixed it.
    Pinned,
    /// The quality selector's choice, with its reason when it gives one.
    Chosen(Option<smoothplay_heuristics::ChoiceReason>),
    /// Capped after an abandoned download of this fragment.
    Abandoned,
    /// The chosen level is dark on the server (recent 404s): the nearest other one.
    Unavailable,
}

impl LevelReason {
    /// The name used in logs: `pinned`, `abandoned`, `unavailable`, the selector's reason
    /// (`startup`, `throughput`, `viewport`, `cpu`, `abandoned`), or `selector` when it
    /// gives none.
    pub fn as_str(self) -> &'static str {
        match self {
            LevelReason::Pinned => "pinned",
            LevelReason::Chosen(Some(r)) => r.as_str(),
            LevelReason::Chosen(None) => "selector",
            LevelReason::Abandoned => "abandoned",
            LevelReason::Unavailable => "unavailable",
        }
    }
}

/// One fragment to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchRequest {
    /// Track.
    pub track: TrackId,
    /// Fragment index on the track.
    pub chunk: usize,
    /// Level index into the track's ascending bitrates.
    pub level: usize,
    /// Seek generation the request belongs to.
    pub epoch: u64,
    /// Why this level (video; `None` for audio).
    pub reason: Option<LevelReason>,
}

/// What the driver should do, returned by [`super::Scheduler::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start fetching this fragment.
    Fetch(FetchRequest),
    /// Cancel this request: the selector abandoned it (too slow to arrive in time). The
    /// fragment will be requested again, usually at a lower level.
    Abandon(FetchRequest),
    /// Every fragment of this track has been fetched (or skipped).
    TrackEnded(TrackId),
}
