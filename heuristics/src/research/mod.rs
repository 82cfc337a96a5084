//! Research code: what was built to answer questions about quality selection, kept apart
//! from what the player ships by default ([`crate::algo`] and [`crate::sim`]).
//!
//! - [`mdp`]: the `mdp` selector, finite-horizon value iteration for a Markov model of
//!   throughput learned from traces (issue 3). Selectable (`--abr mdp`, `--algo mdp`), not
//!   the default: its gain over `smoothplay` out of sample is small and its model is fitted
//!   to two trace sets.
//! - [`scenario`]: the `scenario` selector, smoothplay's plans evaluated on futures from a
//!   library of recorded traces (CS2P-style matching, Fugu-style planning). Selectable, but
//!   too slow to ship as a default.
//! - [`scenario_lib`]: builds `scenario`'s library from traces (offline, reads the future).
//! - [`pensieve`]: the environment of Pensieve's test simulator and its MPC controller, to
//!   compare with figures measured there (`tests/pensieve_validation.rs`).
//!
//! Both selectors stay in [`crate::ALGORITHMS`], so the simulator and the player accept their
//! names. Their development tools are the examples under `examples/research/` (`tune`, `mdp`,
//! `scenario`).

pub mod mdp;
pub mod pensieve;
pub mod scenario;
pub mod scenario_lib;
