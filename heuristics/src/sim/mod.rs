//! Trace-driven, virtual-time ABR simulator with the semantics of Sabre.
//!
//! [`trace`] loads networks, [`video`] and [`smooth`] load videos, [`network`] replays a
//! trace, [`session`] plays one session, [`qoe`] scores it.

pub mod http;
pub mod network;
pub mod oracle;
pub mod pensieve;
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
