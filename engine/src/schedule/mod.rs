//! The download scheduler: a sans-I/O state machine that decides what to fetch next.
//!
//! It is fed [`Event`]s (downloads finished or failed, playhead moved, seek, decoder load)
//! and asked for [`Action`]s with [`Scheduler::poll`] at an injected instant, so it runs the
//! same under tokio ([`crate::session`]), in a simulator, and in deterministic tests.
//! Quality choice is delegated to a [`smoothplay_heuristics::QualitySelector`]; buffer
//! policy (how far ahead to fetch) is [`ScheduleConfig`]'s.

mod audio_level;
mod config;
mod event;
mod scheduler;
mod track;

pub use audio_level::{AudioLevels, AUDIO_SHARE_ALONE, AUDIO_SHARE_WITH_VIDEO};
pub use config::{LevelPin, ScheduleConfig};
pub use event::{Action, Event, FetchRequest, LevelReason, TrackId};
pub use scheduler::{ladder_for, Scheduler};
pub use track::{ChunkSlot, LevelMap, TrackKind, TrackPlan};
