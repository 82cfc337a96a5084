#![doc = include_str!("../README.md")]
//!
//! This umbrella crate re-exports the engine ([`engine`]) and the quality-selection
//! heuristics ([`heuristics`]).
#![forbid(unsafe_code)]
pub use smoothplay_engine as engine;
pub use smoothplay_heuristics as heuristics;
