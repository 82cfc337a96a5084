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
    // Optional algorithm names as arguments (default: every built-in and the oracle).
    let names: Vec<String> = std::env::args().skip(1).collect();
    let names = if names.is_empty() { sweep::all_algorithm_names() } else { names };
    if names.iter().any(|n| n == "mdp") {
        // mdp's one-time value iteration per ladder (cached afterwards), timed apart.
        let (t0, c0) = (Instant::now(), cpu_ns());
        let tables = smoothplay_heuristics::research::mdp::shared_tables(&video.ladder, cfg.max_buffer_s);
        let cpu = match (c0, cpu_ns()) {
            (Some(a), Some(b)) => format!("{:.1} ms cpu", (b - a) as f64 / 1e6),
            _ => "cpu n/a".into(),
        };
        println!("mdp value iteration ({} tables, once per ladder): {:.1} ms wall, {cpu}", tables.len(), t0.elapsed().as_secs_f64() * 1e3);
    }
    println!("{:<12} {:>12} {:>12}", "algorithm", "wall us", "cpu us");
    for name in names {
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
