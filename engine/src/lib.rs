//! smoothplay-engine: a Microsoft Smooth Streaming (MS-SSTR) client engine.
//!
//! Pipeline, one module per stage:
//! [`manifest`] (client manifest model and parser) -> [`schedule`] (sans-I/O decision of
//! what to fetch next, fed by the [`smoothplay_heuristics`] quality selector) -> [`io`]
//! (HTTP and local byte sources) -> [`fmp4`] (fragment boxes to samples) -> [`drm`]
//! (PIFF/CENC sample decryption) -> [`decode`] (H.264 and AAC-LC) -> [`playout`]
//! (clock, frame pacing, drops). Live presentations add [`live`]: the timeline that grows
//! from manifest refreshes, tfrf and tfxd, and the decisions of following the live edge.
//! [`session`] is the embedding API and the tokio driver that wires them together.
//! [`limits`] gathers every bound on what untrusted input or a long session can make the
//! engine allocate or walk.
#![forbid(unsafe_code)]

pub mod time;
pub mod manifest;
pub mod fmp4;
pub mod drm;
pub mod decode;
pub mod io;
pub mod live;
pub mod schedule;
pub mod playout;
pub mod session;
pub mod text;
pub mod markers;
pub mod limits;

pub use time::MediaTime;
/// The quality-selection crate the engine drives, re-exported for embedders.
pub use smoothplay_heuristics as heuristics;
