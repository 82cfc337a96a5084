//! Trace-driven, virtual-time ABR simulator with the semantics of Sabre.
//!
//! [`trace`] loads networks, [`video`] and [`smooth`] load videos, [`network`] replays a
//! trace, [`session`] plays one session, [`qoe`] scores it, [`sweep`] runs many (on all cores
//! with the `parallel` feature) and `plot` (feature `plot`) draws them as SVG.

pub mod http;
pub mod network;
pub mod oracle;
#[cfg(feature = "plot")]
pub mod plot;
pub mod qoe;
pub mod session;
pub mod smooth;
pub mod sweep;
pub mod trace;
pub mod video;

pub use qoe::{Metrics, QoeModel};
pub use session::{simulate, LiveConfig, Sample, SessionResult, SimConfig};
pub use trace::Trace;
pub use video::Video;
