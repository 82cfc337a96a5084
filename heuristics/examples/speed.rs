//! Per-session timing on a shared machine (development aid; the benchmark of record is
//! benches/sim.rs): reports wall time and on-CPU time (Linux `/proc/thread-self/schedstat`),
//! which stays meaningful when other processes compete for the cores.
use smoothplay_heuristics::sim::{sweep, SimConfig, Trace, Video};
use std::path::Path;
use std::time::Instant;

fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let video = Video::load(&dir.join("envivio_pensieve_sabre.json")).expect("video");
    let trace = Trace::load(&dir.join("fcc_test_fcc_trace_14731_1020.txt")).expect("trace");
    let cfg = SimConfig::validation();
    println!("{:<12} {:>12} {:>12}", "algorithm", "wall us", "cpu us");
    for name in sweep::all_algorithm_names() {
        let n = if name == "optimal" { 10 } else { 1000 };
        let (t0, c0) = (Instant::now(), cpu_ns());
        for _ in 0..n {
            std::hint::black_box(sweep::run_named(&name, &video, &trace, &cfg));
        }
        let wall = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
        let cpu = match (c0, cpu_ns()) {
            (Some(a), Some(b)) => format!("{:12.1}", (b - a) as f64 / 1e3 / n as f64),
            _ => format!("{:>12}", "n/a"),
        };
        println!("{name:<12} {wall:12.1} {cpu}");
    }
}
