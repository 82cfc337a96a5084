//! Scenario planning (`algo::scenario`): regenerate the shipped library and evaluate.
//!
//! `scenario gen VIDEO DIR[,DIR...] EVERY OUT` writes the library from the TUNE half (even
//! index of each sorted listing) of every DIR: smoothplay plays each trace (throughput x0.95,
//! 60 s buffer) and every EVERY-th decision becomes a sample (`sim::scenario_lib`).
//!
//! `scenario eval VIDEO DIR[,DIR...] [key=value...]` prints tune / held-out / full rows per
//! set (mean QoE_lin per chunk, rebuffering s, switches per session). Keys: `ScenarioParams`
//! fields (`k`, `horizon`, `risk`, `point`, `low_buffer_safety`, `switch_margin`, ...,
//! `w0`..`w6` feature weights), plus `mode`:
//! - `mode=0` (default): the shipped library (`heuristics/data/scenarios.bin`);
//! - `mode=1` DIAGNOSTIC (not a player): a library built from ALL traces of the session's set
//!   except its own trace (leave-one-out; `every` = `lib_every`, default 3): what a causal
//!   policy that knows the trace distribution very well could reach;
//! - `mode=2` DIAGNOSTIC (peeks at the future): one scenario = the session's exact future
//!   throughput (0.5 s bins, 240 s), i.e. this planner with perfect information;
//! - `mode=3`: library built in memory from the tune half (same as `gen`, `lib_every`).

use smoothplay_heuristics::algo::scenario::{ScenarioLibrary, ScenarioParams, ScenarioPlay};
use smoothplay_heuristics::selector::QualitySelector;
use smoothplay_heuristics::sim::scenario_lib::{future_bps, record};
use smoothplay_heuristics::sim::{simulate, SimConfig, Trace, Video};
use smoothplay_heuristics::types::{Context, Decision, DownloadProgress, DownloadReport};
use std::path::Path;
use std::sync::Arc;

fn set_param(p: &mut ScenarioParams, k: &str, f: f64) {
    match k {
        "k" => p.k = f as usize,
        "horizon" => p.horizon = f as usize,
        "rebuffer_penalty" => p.rebuffer_penalty = f,
        "buffer_value_per_s" => p.buffer_value_per_s = f,
        "buffer_credit_frac" => p.buffer_credit_frac = f,
        "low_buffer_frac" => p.low_buffer_frac = f,
        "low_buffer_safety" => p.low_buffer_safety = f,
        "switch_margin" => p.switch_margin = f,
        "risk" => p.risk = f,
        "point" => p.point = f != 0.0,
        "recourse" => p.recourse = f != 0.0,
        "abandonment" => p.abandonment = f != 0.0,
        _ if k.starts_with('w') => p.weights[k[1..].parse::<usize>().expect("w index")] = f,
        _ => panic!("unknown key {k}"),
    }
}

/// DIAGNOSTIC: the planner told the session's exact future throughput.
struct Perfect<'a> {
    inner: ScenarioPlay,
    trace: &'a Trace,
    scale: f64,
}

impl QualitySelector for Perfect<'_> {
    fn name(&self) -> &str {
        "perfect"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let now = ctx.now.as_secs_f64();
        self.inner.set_scenarios(Some((0.5, vec![future_bps(self.trace, self.scale, now, 0.5, 480)])));
        self.inner.choose(ctx)
    }
    fn on_download(&mut self, ctx: &Context, r: &DownloadReport) {
        self.inner.on_download(ctx, r)
    }
    fn should_abandon(&mut self, ctx: &Context, p: &DownloadProgress) -> Option<usize> {
        self.inner.should_abandon(ctx, p)
    }
    fn watches_progress(&self) -> bool {
        self.inner.watches_progress()
    }
}

const BIN_S: f64 = 4.0;
const BINS: usize = 20;

fn load_set(dir: &str) -> Vec<(usize, Trace)> {
    let files = Trace::list(Path::new(dir)).expect("traces");
    files.iter().enumerate().map(|(i, f)| (i, Trace::load(f).expect("trace"))).collect()
}

fn build(video: &Video, traces: &[(usize, Trace)], cfg: &SimConfig, every: usize, keep: impl Fn(usize) -> bool) -> ScenarioLibrary {
    let mut lib = ScenarioLibrary::new(BIN_S, BINS);
    for (i, t) in traces {
        if keep(*i) {
            record(video, t, cfg, &mut lib, every, *i as u32);
        }
    }
    lib.finish();
    lib
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: scenario gen VIDEO DIRS EVERY OUT | scenario eval VIDEO DIRS key=value...";
    let (Some(cmd), Some(video), Some(dirs)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let video = Video::load(Path::new(video)).expect("video");
    let cfg = SimConfig::validation();
    if cmd == "gen" {
        let every: usize = args.get(3).and_then(|s| s.parse().ok()).expect(usage);
        let out = args.get(4).expect(usage);
        let mut lib = ScenarioLibrary::new(BIN_S, BINS);
        for dir in dirs.split(',') {
            for (i, t) in load_set(dir) {
                if i % 2 == 0 {
                    record(&video, &t, &cfg, &mut lib, every, i as u32);
                }
            }
        }
        std::fs::write(out, lib.to_bytes()).expect("write");
        println!("{} samples, {} bytes -> {out}", lib.len(), lib.to_bytes().len());
        return;
    }
    let mut p = ScenarioParams::default();
    let (mut mode, mut lib_every) = (0u32, 3usize);
    for kv in &args[3..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        let f: f64 = v.parse().expect("number");
        match k {
            "mode" => mode = f as u32,
            "lib_every" => lib_every = f as usize,
            _ => set_param(&mut p, k, f),
        }
    }
    let shipped = ScenarioLibrary::shipped();
    let tune_lib = (mode == 3).then(|| {
        let mut l = ScenarioLibrary::new(BIN_S, BINS);
        for dir in dirs.split(',') {
            for (i, t) in load_set(dir) {
                if i % 2 == 0 {
                    record(&video, &t, &cfg, &mut l, lib_every, i as u32);
                }
            }
        }
        l.finish();
        Arc::new(l)
    });
    for dir in dirs.split(',') {
        let traces = load_set(dir);
        let full_lib = (mode == 1).then(|| build(&video, &traces, &cfg, lib_every, |_| true));
        let threads = 2;
        let t0 = std::time::Instant::now();
        let results: Vec<(usize, f64, f64, f64)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|k| {
                    let (traces, video, cfg, p, full_lib, shipped, tune_lib) =
                        (&traces, &video, &cfg, &p, &full_lib, &shipped, &tune_lib);
                    s.spawn(move || {
                        traces
                            .iter()
                            .skip(k)
                            .step_by(threads)
                            .map(|(i, t)| {
                                let lib = match (mode, full_lib, tune_lib) {
                                    (1, Some(l), _) => Arc::new(l.without_source(*i as u32)),
                                    (3, _, Some(l)) => l.clone(),
                                    _ => shipped.clone(),
                                };
                                let sel = ScenarioPlay::with(&video.ladder, p.clone(), lib);
                                let m = if mode == 2 {
                                    let mut w = Perfect { inner: sel, trace: t, scale: cfg.throughput_scale };
                                    simulate(video, t, &mut w, cfg).metrics
                                } else {
                                    simulate(video, t, &mut { sel }, cfg).metrics
                                };
                                (*i, m.qoe_lin_per_chunk, m.rebuffer_s, m.switches as f64)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
        });
        let name = Path::new(dir).file_name().map_or(dir.to_string(), |n| n.to_string_lossy().into_owned());
        let mut line = format!("{name:6}");
        for (label, keep) in [("tune", 0usize), ("held", 1), ("full", 2)] {
            let sel: Vec<_> = results.iter().filter(|r| keep == 2 || r.0 % 2 == keep).collect();
            let n = sel.len().max(1) as f64;
            let q = sel.iter().map(|r| r.1).sum::<f64>() / n;
            let rb = sel.iter().map(|r| r.2).sum::<f64>() / n;
            let sw = sel.iter().map(|r| r.3).sum::<f64>() / n;
            line += &format!(" | {label} {q:.4} rb {rb:.3} sw {sw:.2}");
        }
        println!("{line}  {:.1}s {:?}", t0.elapsed().as_secs_f64(), &args[3..]);
    }
}
