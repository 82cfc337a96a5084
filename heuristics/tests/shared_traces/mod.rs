//! The ../shared/traces folder for the explicit (ignored) validation tests.

use smoothplay_heuristics::sim::Trace;
use std::path::PathBuf;

/// `SMOOTHPLAY_TRACES`, or ../shared/traces beside the repository.
pub fn traces_root() -> PathBuf {
    std::env::var_os("SMOOTHPLAY_TRACES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/traces")))
}

/// Every `every`-th trace of a set's sorted listing.
pub fn load(set: &str, every: usize) -> Vec<Trace> {
    let files = Trace::list(&traces_root().join(set)).expect("trace folder (set SMOOTHPLAY_TRACES)");
    files.iter().step_by(every).map(|f| Trace::load(f).expect("trace")).collect()
}
