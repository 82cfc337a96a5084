//! Parameter exploration for the smoothplay selector (development aid, not a benchmark):
//! `cargo run --release --example tune -- VIDEO TRACE_DIR EVERY key=value...`
//! prints mean QoE_lin per chunk, rebuffering and switches for one parameter set.

use smoothplay_heuristics::algo::smoothplay::{Smoothplay, SmoothplayParams};
use smoothplay_heuristics::sim::{simulate, SimConfig, Trace, Video};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(video), Some(dir), Some(every)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: tune VIDEO TRACE_DIR EVERY key=value...");
        std::process::exit(2);
    };
    let video = Video::load(Path::new(video)).expect("video");
    let every: usize = every.parse().unwrap_or(1).max(1);
    let files = Trace::list(Path::new(dir)).expect("traces");
    let traces: Vec<Trace> = files.iter().step_by(every).map(|f| Trace::load(f).expect("trace")).collect();
    let mut p = SmoothplayParams::default();
    for kv in &args[3..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        let f: f64 = v.parse().expect("number");
        match k {
            "horizon" => p.horizon = f as usize,
            "regime_max" => p.regime_max = f as usize,
            "regime_ratio" => p.regime_ratio = f,
            "regime_confirm" => p.regime_confirm = f as usize,
            "rebuffer_penalty" => p.rebuffer_penalty = f,
            "buffer_value_per_s" => p.buffer_value_per_s = f,
            "buffer_credit_frac" => p.buffer_credit_frac = f,
            "low_buffer_frac" => p.low_buffer_frac = f,
            "low_buffer_safety" => p.low_buffer_safety = f,
            "switch_margin" => p.switch_margin = f,
            "abandonment" => p.abandonment = f != 0.0,
            "first_level" => p.first_level = f as usize,
            _ => panic!("unknown key {k}"),
        }
    }
    let cfg = SimConfig::validation();
    let (mut q, mut r, mut s) = (0.0, 0.0, 0.0);
    for t in &traces {
        let mut sel = Smoothplay::with_params(&video.ladder, p.clone());
        let m = simulate(&video, t, &mut sel, &cfg).metrics;
        q += m.qoe_lin_per_chunk;
        r += m.rebuffer_s;
        s += m.switches as f64;
    }
    let n = traces.len() as f64;
    println!("qoe/chunk {:.4} rebuf_s {:.3} switches {:.2}  {:?}", q / n, r / n, s / n, &args[3..]);
}
