use std::time::Duration;

use super::catalog::TrackType;

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
    /// Jump by a signed number of seconds from the playhead (clamped to the presentation,
    /// or live to the DVR window and the edge).
    SeekBy(f64),
    /// Live: jump to the live edge at the target delay.
    GoLive,
    /// Playback speed. From 0.25 to 4.0 (1.0 normal) every frame is played at that rate
    /// (below 0.9 or above 1.1 audio sinks mute). Above 4.0 (up to 32) or below zero (down
    /// to -32) is trick play, on demand only: fast forward or rewind showing only the key
    /// frame each fragment starts with, fetched at the lowest level, skipping fragments
    /// when the link or decoder cannot keep pace; audio is paused meanwhile and trick
    /// downloads are not reported to the quality selector. Magnitudes under 2 in trick
    /// play are taken as 2, over 32 as 32. Any other command ends trick play at the last
    /// key frame shown, and so does a speed of 0.25..=4, which resumes normal playback
    /// there at that speed. Forward trick play that reaches the end ends the session;
    /// rewind that reaches the start resumes normal playback there at 1x. Live, any speed
    /// but 1 stops following the edge ([`Command::GoLive`] returns to it); trick speeds
    /// are ignored live.
    SetSpeed(f64),
    /// Instant replay: jump back this far from the playhead (not before the start) and
    /// play at 1x.
    InstantReplay(Duration),
    /// The size, in physical pixels, of where the video is shown: the quality selector
    /// does not pick levels far above it.
    SetViewport {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Play another track of the same kind from the next fragment boundary on (an audio
    /// language, a camera angle): seamless, without a seek or a stall; buffered media of
    /// the old track after the boundary is dropped. See [`PlayerEvent::TrackSwitched`]
    /// (done) and [`PlayerEvent::TrackSwitchFailed`] (a name no track has, a live
    /// presentation, a text track: playback goes on unchanged).
    SwitchTrack {
        /// [`TrackType::Video`] or [`TrackType::Audio`].
        kind: TrackType,
        /// Which one.
        track: TrackChoice,
    },
    /// Show captions from this text track (by `Name`, else by language: `fra`, `fr`), or
    /// none (`None`). Cues are emitted from the playhead on; an unknown name is reported
    /// with [`PlayerEvent::Unsupported`] and changes nothing.
    SetTextTrack(Option<String>),
    /// End playback now.
    Stop,
}

/// Which track [`Command::SwitchTrack`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackChoice {
    /// By `Name` (any case, or `#N` for the stream's position); audio also by language
    /// (`fr`, `fra`) when no name matches.
    Name(String),
    /// The next playable track of the kind, in manifest order, wrapping (mpv's `cycle`).
    Next,
}

/// What a sparse-track entry carried (see [`PlayerEvent::Marker`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum MarkerPayload {
    /// An SCTE 35 `splice_info_section` or SCTE 67 / SCTE 35 XML signal
    /// ([`crate::markers::decode_marker`]); [`crate::markers::Marker::summary`] gives the
    /// splice in one shape.
    Decoded(Box<crate::markers::Marker>),
    /// Something else (a chapter title, an unknown scheme, a truncated section): the bytes
    /// as carried, and why they could not be decoded.
    Undecoded {
        /// The payload.
        data: Vec<u8>,
        /// Why [`crate::markers::decode_marker`] refused it.
        error: String,
    },
}

impl MarkerPayload {
    /// The splice it announces, when decoded.
    pub fn summary(&self) -> Option<crate::markers::SpliceSummary> {
        match self {
            MarkerPayload::Decoded(m) => Some(m.summary()),
            MarkerPayload::Undecoded { .. } => None,
        }
    }
}

/// Something the session reports while playing.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// Periodic status.
    Status(Status),
    /// Trick play showed the key frame of a fragment (see [`Command::SetSpeed`]).
    TrickFrame {
        /// Fragment index in the video track.
        fragment: usize,
        /// Its presentation time.
        pts: Duration,
        /// The trick speed (negative: rewind).
        speed: f64,
    },
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
    /// Live: no new fragment is coming; buffered media plays out and the player keeps
    /// polling (the encoder may be restarting).
    LiveWaiting,
    /// Live: new fragments arrived after a wait.
    LiveResumed,
    /// The timeline jumps here (an encoder restarted at a later timestamp); clocks and
    /// decoders re-anchor.
    Discontinuity {
        /// Where playback continues, on the manifest timeline.
        at: Duration,
    },
    /// The position fell out of the live window (paused or stalled too long, or a seek
    /// before its start): playback continues at the oldest fragment still there.
    BehindLiveWindow {
        /// Where playback continues.
        resumed_at: Duration,
    },
    /// Requests now go to another origin.
    OriginSwitched {
        /// The origin given up on.
        from: String,
        /// The origin used from now on.
        to: String,
    },
    /// The first picture or audio of a track switched to with [`Command::SwitchTrack`]
    /// was presented (video: shown; audio: written to the audio sink).
    TrackSwitched {
        /// Video or audio.
        kind: TrackType,
        /// The track's name before.
        from: String,
        /// Its name now.
        to: String,
        /// Where the new track starts: a fragment boundary, on the presentation timeline.
        at: Duration,
        /// The playhead when the command came (`at` minus this: the switch time in media).
        asked_at: Duration,
        /// Wall time from the command to the first new picture or audio presented.
        latency: Duration,
    },
    /// A [`Command::SwitchTrack`] could not be carried out; the tracks playing go on.
    TrackSwitchFailed {
        /// Video or audio (as asked).
        kind: TrackType,
        /// What was asked for (a name, a language, `next`).
        asked: String,
        /// Why, with the tracks of that kind when the name matches none.
        error: String,
    },
    /// A caption reached by the playhead: shown from `cue.start` until `cue.end` (on the
    /// presentation timeline). Only cues of the chosen text track
    /// ([`super::TrackSelection::text`], [`Command::SetTextTrack`]).
    Cue {
        /// The text track's `Name`.
        track: String,
        /// Times, text (lines joined by `\n`), italic, colour, region, styled spans.
        cue: crate::text::Cue,
    },
    /// A sparse-track entry (an SCTE 35 ad marker, a chapter mark...) reached by the
    /// playhead. To act on ad breaks, watch these: `payload.summary()` says whether a
    /// break starts (`out_of_network`), its splice time and duration.
    Marker {
        /// The sparse stream's `Name`.
        stream: String,
        /// Its presentation time (`<c t>`, or the fragment sample's time).
        time: Duration,
        /// Its `<c d>` (or sample duration), when given.
        duration: Option<Duration>,
        /// What it carried.
        payload: MarkerPayload,
    },
    /// The text track shown changed ([`Command::SetTextTrack`]); `None`: captions off.
    TextTrackChanged {
        /// The track's `Name`.
        track: Option<String>,
    },
    /// Video fragments are now fetched at another level (bitrates in bit/s).
    LevelSwitch {
        /// The previous level's bitrate.
        from: u64,
        /// The new level's bitrate.
        to: u64,
        /// Why the new level (see [`crate::schedule::LevelReason::as_str`]).
        reason: Option<crate::schedule::LevelReason>,
    },
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
    /// Live: distance from the playhead to the live edge; `None` for on-demand.
    pub live_edge_distance: Option<Duration>,
    /// True while waiting for data (startup, a seek, a rebuffer): mpv's `paused-for-cache`.
    pub buffering: bool,
    /// Playback speed (1.0 normal; see [`Command::SetSpeed`]).
    pub speed: f64,
    /// Frames shown so far.
    pub frames_presented: u64,
    /// Where a seek can go: on-demand the presentation, live the DVR window up to the
    /// newest fragment.
    pub seekable: Option<(Duration, Duration)>,
    /// Size (MaxWidth x MaxHeight) of the video level being fetched, when the manifest says.
    pub video_size: Option<(u32, u32)>,
    /// Decoding cost per picture over the last few fragments, and the frame interval it
    /// must fit in (what CPU-aware selection watches).
    pub decode: Option<(Duration, Duration)>,
    /// `Name` of the video track being fetched (after [`Command::SwitchTrack`]: the new
    /// one, from the command on).
    pub video_track: Option<String>,
    /// `Name` of the audio track being fetched.
    pub audio_track: Option<String>,
}
