//! Quality selection (ABR) for smoothplay, and a trace-driven simulator to measure it.
//!
//! - [`types`]: the plain inputs a player fills in ([`Ladder`], [`Context`], [`DownloadReport`], ...).
//! - [`estimator`]: [`BandwidthEstimator`] and implementations (EWMA, harmonic mean).
//! - [`selector`]: [`QualitySelector`], [`selector_by_name`] and [`ALGORITHMS`].
//! - [`algo`]: the algorithms, each from its published definition, and smoothplay's default.
//! - [`sim`]: the trace-driven simulator (Sabre's semantics) and the offline oracle.
//! - [`research`]: research selectors (`mdp`, `scenario`) and tools (Pensieve's environment,
//!   the scenario library builder), apart from what the player uses by default.
//!
//! The crate depends on std and serde only so that the engine and the simulator drive the
//! same code.
//!
//! # Limits
//!
//! What a selector keeps does not grow with playing time: per-ladder tables (BOLA's
//! utilities, [`research::mdp`]'s value iteration over at most [`research::mdp::MAX_STAGES`]
//! fragments and [`research::mdp::MAX_BUFFER_POINTS`] buffer levels), and the estimators'
//! windows (a fixed number of samples, the oldest dropped; EWMA state is O(1)). The
//! simulator reads the trace and movie files it is given whole: they come from the user,
//! not from a server.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// `!(x > 0.0)` is deliberate throughout: it is also true for NaN, which inputs may carry.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod algo;
pub mod estimator;
pub mod selector;
pub mod sim;
pub mod types;

pub mod research;

pub use estimator::{BandwidthEstimator, EwmaEstimator, HarmonicMeanEstimator};
pub use selector::{is_known_selector, selector_by_name, selector_with_buffer, QualitySelector, ALGORITHMS, DEFAULT_ALGORITHM, PRESETS};
pub use types::{
    BufferState, ChoiceReason, Context, Decision, DecodeCapacity, DownloadProgress, DownloadReport, FragmentSizes,
    Ladder, Level, Viewport,
};
