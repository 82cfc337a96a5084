//! smoothplay: a Microsoft Smooth Streaming (MS-SSTR) client engine.
//!
//! This umbrella crate re-exports the engine ([`engine`]) and the quality-selection
//! heuristics ([`heuristics`]); see the README for the architecture.
pub use smoothplay_engine as engine;
pub use smoothplay_heuristics as heuristics;
