//! Full-set validation against the published Sabre / Pensieve figures (issue 3, item 4).
//! Needs ../shared/traces (or SMOOTHPLAY_TRACES): run with
//! `cargo test --release -p smoothplay-heuristics --test validation -- --ignored --nocapture`.

use smoothplay_heuristics::sim::{sweep, SimConfig, Trace, Video};

mod shared_traces;
use shared_traces::{load, traces_root};

fn mean_per_chunk(video: &Video, traces: &[Trace], algo: &str) -> f64 {
    let r = sweep::sweep(video, traces, &[algo.to_string()], &SimConfig::validation(), 0, &|_, _| {});
    r.iter().map(|s| s.metrics.qoe_lin_per_chunk).sum::<f64>() / r.len() as f64
}

#[test]
#[ignore = "needs ../shared/traces; run explicitly"]
fn sabre_and_pensieve_figures_within_5_percent() {
    let video = Video::load(&traces_root().join("videos/envivio_pensieve_sabre.json")).expect("video");
    // (set, every Nth trace, algorithm, published mean QoE_lin per chunk)
    let table: &[(&str, usize, &str, f64)] = &[
        ("fcc", 1, "bola", 0.875),
        ("fcc", 1, "bolae", 0.864),
        ("fcc", 1, "throughput", 0.763),
        ("fcc", 1, "dynamic", 0.929),
        ("fcc", 1, "dynamicdash", 0.886),
        ("hsdpa", 1, "bola", 0.783),
        ("hsdpa", 1, "bolae", 0.824),
        ("hsdpa", 1, "throughput", 0.644),
        ("hsdpa", 1, "dynamic", 0.783),
        ("hsdpa", 1, "dynamicdash", 0.839),
        ("fcc", 5, "robustmpc", 1.064),
        ("hsdpa", 5, "robustmpc", 0.854),
    ];
    let mut failures = Vec::new();
    for &(set, every, algo, published) in table {
        let ours = mean_per_chunk(&video, &load(set, every), algo);
        let dev = (ours - published) / published;
        println!("{set:<6} {algo:<12} ours {ours:.4} published {published:.3} deviation {:+.1}%", dev * 100.0);
        if dev.abs() > 0.05 {
            failures.push(format!("{set} {algo}: {ours:.4} vs {published}"));
        }
    }
    // RobustMPC on hsdpa was published from Pensieve's own simulator and its mpc.py, whose
    // size-indexing bug lowers it; tests/pensieve_validation.rs reproduces that figure within
    // 0.3% and gates it there. Here it is reported, not gated.
    failures.retain(|f| !f.starts_with("hsdpa robustmpc"));
    assert!(failures.is_empty(), "{failures:?}");
}
