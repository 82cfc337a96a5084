//! Playout: clocks and the decision of when to show or drop a video frame.
//!
//! Everything here is sans-I/O: wall time comes from an injected [`Clock`], so the
//! pacing rules are tested with a [`ManualClock`] and no sleeping.

mod audio_master;
mod audio_trim;
mod clock;
mod pacer;
mod playback_clock;
mod trick;

pub use audio_master::AudioMaster;
pub use audio_trim::{trim_audio_after, trim_audio_before};
pub use clock::{Clock, ManualClock, SystemClock};
pub use pacer::{FrameDecision, VideoPacer};
pub use playback_clock::{PlaybackClock, MAX_RATE, MIN_RATE};
pub use trick::{is_trick_speed, TrickPlan, MAX_TRICK_SPEED, MIN_PICTURE_WALL, MIN_TRICK_SPEED};
