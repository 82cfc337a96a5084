//! Quick per-session timing (development aid; the benchmark of record is benches/sim.rs).
use smoothplay_heuristics::sim::{sweep, SimConfig, Trace, Video};
use std::path::Path;
use std::time::Instant;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let video = Video::load(&dir.join("envivio_pensieve_sabre.json")).expect("video");
    let trace = Trace::load(&dir.join("fcc_test_fcc_trace_14731_1020.txt")).expect("trace");
    let cfg = SimConfig::validation();
    for name in sweep::all_algorithm_names() {
        let n = if name == "optimal" { 5 } else { 200 };
        let t0 = Instant::now();
        for _ in 0..n {
            std::hint::black_box(sweep::run_named(&name, &video, &trace, &cfg));
        }
        println!("{name:<12} {:8.1} us/session", t0.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
}
