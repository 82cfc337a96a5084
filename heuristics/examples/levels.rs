//! Prints the level sequence of named algorithms on one trace (development aid):
//! `cargo run --release --example levels -- VIDEO TRACE ALGO...`
use smoothplay_heuristics::sim::{sweep, SimConfig, Trace, Video};
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (Some(v), Some(t)) = (a.first(), a.get(1)) else { return };
    let video = Video::load(Path::new(v)).expect("video");
    let trace = Trace::load(Path::new(t)).expect("trace");
    for name in &a[2..] {
        let Some(r) = sweep::run_named(name, &video, &trace, &SimConfig::validation()) else { continue };
        let s: String = r.levels.iter().map(|l| char::from(b'0' + *l as u8)).collect();
        println!("{name:<11} {s} qoe {:.1} rebuf {:.2}", r.metrics.qoe_lin, r.metrics.rebuffer_s);
    }
}
