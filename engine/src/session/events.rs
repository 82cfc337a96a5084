use std::time::Duration;

/// A control command for a playing session (send through the `commands` channel).
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Stop the clock; fetching continues up to the forward buffer.
    Pause,
    /// Restart the clock.
    Resume,
    /// Jump to a presentation time: fetching restarts at the fragment containing it and
    /// decoding runs forward from that fragment's key frame to the exact time.
    Seek(Duration),
    /// End playback now.
    Stop,
}

/// Something the session reports while playing.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// Periodic status.
    Status(Status),
    /// A fragment failed after retries and was skipped; playback continues after the gap.
    FragmentSkipped {
        /// `video` or `audio`.
        track: String,
        /// Fragment index.
        index: usize,
        /// Why.
        error: String,
    },
    /// Playback stalled for lack of data.
    Rebuffering,
    /// Playback started or resumed after buffering.
    Playing,
    /// A stream or level will not be played, and why (unsupported codec...).
    Unsupported(String),
    /// The end was reached.
    Ended,
}

/// A snapshot for status lines and on-screen stats.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// Playhead.
    pub position: Duration,
    /// Presentation length, when known.
    pub duration: Option<Duration>,
    /// Bitrate of the video level being fetched.
    pub video_bitrate: Option<u64>,
    /// Media buffered ahead (smallest over the tracks).
    pub buffer: Duration,
    /// Throughput estimate, bit/s.
    pub bandwidth_bps: Option<f64>,
    /// Frames dropped so far.
    pub frames_dropped: u64,
    /// True while paused.
    pub paused: bool,
}
