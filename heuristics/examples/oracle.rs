//! The oracle on every trace of some sets: DP time, largest layer, and the plan's QoE_lin
//! with the first level free and fixed (diagnostics for `sim::oracle`).
//!
//! `cargo run --release -p smoothplay-heuristics --example oracle -- VIDEO BUFFER_S LIVE|vod [first=N] DIR...`
//! (`first=N`: the fixed first level, default 0, the lowest).

use smoothplay_heuristics::sim::oracle::{optimal, run_plan};
use smoothplay_heuristics::sim::{LiveConfig, SimConfig, Trace, Video};
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: oracle VIDEO BUFFER_S LIVE|vod [first=N] DIR...");
        std::process::exit(2);
    }
    let video = Video::load_location(&args[0]).expect("video");
    let buffer: f64 = args[1].parse().expect("buffer");
    let live = args[2].parse().ok().map(|j| LiveConfig { join_fragments: j });
    let cfg = SimConfig { max_buffer_s: buffer, throughput_scale: 0.95, live, ..SimConfig::default() };
    let mut fixed = 0;
    for dir in &args[3..] {
        if let Some(f) = dir.strip_prefix("first=") {
            fixed = f.parse().expect("first=N");
            continue;
        }
        let (mut free, mut low, mut worst_states, mut secs, mut count, mut worst_gap) = (0.0, 0.0, 0, 0.0, 0, 0.0f64);
        let (mut secs_low, mut low_states) = (0.0, 0);
        for path in Trace::list(Path::new(dir)).expect("dir") {
            let trace = Trace::load(&path).expect("trace");
            let start = Instant::now();
            let plan = optimal(&video, &trace, &cfg, None);
            secs += start.elapsed().as_secs_f64();
            let replay = run_plan(&video, &trace, &cfg, &plan.levels).metrics.qoe_lin;
            worst_gap = worst_gap.max((replay - plan.qoe_lin).abs());
            free += replay;
            let start = Instant::now();
            let p0 = optimal(&video, &trace, &cfg, Some(fixed));
            secs_low += start.elapsed().as_secs_f64();
            low_states = low_states.max(p0.max_states);
            let low_replay = run_plan(&video, &trace, &cfg, &p0.levels).metrics.qoe_lin;
            worst_gap = worst_gap.max((low_replay - p0.qoe_lin).abs());
            low += low_replay;
            worst_states = worst_states.max(plan.max_states);
            count += 1;
        }
        let n = count as f64;
        println!(
            "{dir}: {count} traces, optimal (first free) {:.3}, first at level {fixed} {:.3}, DP {:.1} ms/trace, largest layer {worst_states}; first at level {fixed}: DP {:.1} ms/trace, largest layer {low_states}; |DP - replay| <= {worst_gap:.2e}",
            free / n,
            low / n,
            secs * 1000.0 / n,
            secs_low * 1000.0 / n
        );
    }
}
