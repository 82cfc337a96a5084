use std::time::Duration;

use crate::io::HttpConfig;
use crate::schedule::ScheduleConfig;

/// Settings of a playback session. Defaults play like a desktop player.
#[derive(Debug, Clone)]
pub struct PlayerConfig {
    /// Buffer policy and level pinning.
    pub schedule: ScheduleConfig,
    /// Quality-selection algorithm (see [`smoothplay_heuristics::ALGORITHMS`]).
    pub algorithm: String,
    /// Decode as fast as possible and present every frame (no pacing, no drops).
    pub untimed: bool,
    /// HTTP timeouts and retries.
    pub http: HttpConfig,
    /// Start here instead of at the beginning (on-demand only).
    pub start_at: Option<Duration>,
    /// Media that must be buffered before playback starts (and resumes after a stall).
    pub start_buffer: Duration,
    /// How often a [`super::PlayerEvent::Status`] is emitted.
    pub status_interval: Duration,
    /// Decoded video frames held ahead of presentation (memory bound on decoded frames).
    pub decoded_frames_ahead: usize,
    /// Stop after this much media has played (live or on-demand); `None` = to the end.
    pub play_for: Option<Duration>,
    /// Live playback settings (ignored for on-demand presentations).
    pub live: LiveConfig,
    /// Alternate origins with the same path layout, tried in order when the manifest's
    /// origin keeps failing (`--origin-fallback`).
    pub origin_fallbacks: Vec<String>,
    /// The size in pixels of where the video will be shown, from the start (a window's
    /// initial size): the selector does not fetch levels far above it. Later changes come
    /// through [`super::Command::SetViewport`].
    pub viewport: Option<(u32, u32)>,
    /// Which video, audio and text tracks to play (by name or language); the default
    /// plays the first video, the audio in the system locale's language else the first,
    /// and no captions.
    pub tracks: super::TrackPreferences,
    /// Speed at start (1.0 normal): as if [`super::Command::SetSpeed`] were sent first, so
    /// above 4 or below zero playback starts in trick play.
    pub start_speed: f64,
}

/// How a live presentation is followed.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    /// Target distance between the playhead and the live edge (the end of the newest
    /// fragment the server has); `None` = the default, 1.5 fragment durations.
    pub target_delay: Option<Duration>,
    /// Start this far behind the live edge instead of at the target delay (`--start -S`).
    pub start_behind: Option<Duration>,
    /// End cleanly when no new fragment has arrived for this long.
    pub idle_timeout: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig { target_delay: None, start_behind: None, idle_timeout: Duration::from_secs(60) }
    }
}

impl Default for PlayerConfig {
    fn default() -> Self {
        PlayerConfig {
            schedule: ScheduleConfig::default(),
            algorithm: smoothplay_heuristics::DEFAULT_ALGORITHM.to_string(),
            untimed: false,
            http: HttpConfig::default(),
            start_at: None,
            // One 2 s fragment: fast start, and enough to cover the next request's latency.
            start_buffer: Duration::from_millis(2000),
            status_interval: Duration::from_millis(500),
            decoded_frames_ahead: 16,
            play_for: None,
            live: LiveConfig::default(),
            origin_fallbacks: Vec::new(),
            viewport: None,
            tracks: super::TrackPreferences::default(),
            start_speed: 1.0,
        }
    }
}
