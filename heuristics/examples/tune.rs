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
            "window" => p.window = f as usize,
            "long_weight" => p.long_weight = f,
            "error_window" => p.error_window = f as usize,
            "error_discount" => p.error_discount = f,
            "safety" => p.safety = f,
            "rebuffer_penalty" => p.rebuffer_penalty = f,
            "buffer_value_per_s" => p.buffer_value_per_s = f,
            "buffer_credit_cap_s" => p.buffer_credit_cap_s = f,
            "switch_penalty_mult" => p.switch_penalty_mult = f,
            "low_buffer_s" => p.low_buffer_s = f,
            "low_buffer_safety" => p.low_buffer_safety = f,
            "ewma_cap" => p.ewma_cap = f != 0.0,
            "initial_error" => p.initial_error = f,
            "regime" => p.regime = f != 0.0,
            "regime_max" => p.regime_max = f as usize,
            "regime_ratio" => p.regime_ratio = f,
            "regime_confirm" => p.regime_confirm = f as usize,
            "reversal_mult" => p.reversal_mult = f,
            "reversal_window" => p.reversal_window = f as usize,
            "pess_quantile" => p.pess_quantile = f,
            "pess_weight" => p.pess_weight = f,
            "switch_margin" => p.switch_margin = f,
            "adaptive_low_buffer" => p.adaptive_low_buffer = f != 0.0,
            "low_buffer_error_mult" => p.low_buffer_error_mult = f,
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
