//! Parameter exploration for the smoothplay selector (development aid, not a benchmark):
//! `cargo run --release --example tune -- VIDEO TRACE_DIR[,TRACE_DIR...] EVERY key=value...`
//! prints, per trace set, mean QoE_lin per chunk, rebuffering and switches on the tune half
//! (even index of the sorted listing), the held-out half (odd index) and the full set, so
//! parameters can be chosen on one half and checked on the other. `EVERY` > 1 keeps every
//! EVERY-th trace of each half. Keys are `SmoothplayParams` fields, plus:
//! - `max_buffer=S` (default 60) and `live=J` (joined J fragments behind the live edge;
//!   default VOD): the simulator's settings (throughput x 0.95 always);
//! - `links_with_outages=1`: start from `SmoothplayParams::links_with_outages()` (put it
//!   before other keys);
//! - `dump=1`: one line per trace on stderr (set, index, name, QoE_lin per chunk, rebuffering s),
//!   for comparing two settings trace by trace;
//! - `show=N`: level sequence of the N-th trace, smoothplay and the oracle;
//! - `detail=1`: mean bitrate and switching per fragment index, smoothplay vs the oracle;
//! - `clairvoyant=W`: forecast = the true mean throughput of the next W s of the trace
//!   (how much of the gap to the oracle is forecast error);
//! - `ewma_hint=HL [combine=0|1|2|3]`: forecast = EWMA of transfer throughput with half-life
//!   HL s of transfer time (alone, mean, min or max with the regime estimate).

use smoothplay_heuristics::algo::smoothplay::{Smoothplay, SmoothplayParams};
use smoothplay_heuristics::sim::oracle::run_optimal;
use smoothplay_heuristics::research::scenario_lib;
use smoothplay_heuristics::selector::QualitySelector;
use smoothplay_heuristics::sim::{simulate, SimConfig, Trace, Video};
use smoothplay_heuristics::types::{Context, Decision, DownloadProgress, DownloadReport};
use std::path::Path;

fn set_param(p: &mut SmoothplayParams, k: &str, f: f64) {
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
        "live_first_level" => p.live_first_level = f as usize,
        "outage_low_buffer_frac" => p.outage_low_buffer_frac = f,
        "outage_kbps" => p.outage_kbps = f,
        "outage_low_buffer_max_s" => p.outage_low_buffer_max_s = f,
        "outage_count" => p.outage_count = f as usize,
        "outage_exclude" => p.outage_exclude = f != 0.0,
        "outage_hold" => p.outage_hold = f != 0.0,
        "outage_reserve_s" => p.outage_reserve_s = f,
        "outage_safety" => p.outage_safety = f,
        "outage_min_s" => p.outage_min_s = f,
        _ => panic!("unknown key {k}"),
    }
}

/// Diagnostic: smoothplay told the true mean throughput of the next `window_s` seconds of
/// the trace before each decision (what a perfect forecast of that kind would buy).
struct Clairvoyant<'a> {
    inner: Smoothplay,
    trace: &'a Trace,
    scale: f64,
    window_s: f64,
}

impl Clairvoyant<'_> {
    fn mean_kbps(&self, from_s: f64) -> f64 {
        scenario_lib::mean_kbps(self.trace, self.scale, from_s, from_s + self.window_s)
    }
}

impl QualitySelector for Clairvoyant<'_> {
    fn name(&self) -> &str {
        "clairvoyant"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let kbps = self.mean_kbps(ctx.now.as_secs_f64());
        if ctx.fragment_index > 0 {
            self.inner.set_throughput_hint(Some(kbps * 1000.0));
        }
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

/// Experiment: smoothplay planning on a time-weighted EWMA of transfer throughput
/// (half-life in seconds of transfer time) instead of the regime estimate.
struct EwmaHint {
    inner: Smoothplay,
    half_life_s: f64,
    est: Option<f64>,
    /// 0: EWMA alone, 1: mean with the regime estimate, 2: min, 3: max.
    combine: u8,
}

impl QualitySelector for EwmaHint {
    fn name(&self) -> &str {
        "ewmahint"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        self.inner.set_throughput_hint(None);
        let regime = self.inner.prediction_bps();
        let hint = match (regime, self.est, self.combine) {
            (Some(r), Some(e), 1) => Some(0.5 * (r + e)),
            (Some(r), Some(e), 2) => Some(r.min(e)),
            (Some(r), Some(e), 3) => Some(r.max(e)),
            (_, e, _) => e,
        };
        self.inner.set_throughput_hint(hint);
        self.inner.choose(ctx)
    }
    fn on_download(&mut self, ctx: &Context, r: &DownloadReport) {
        if !r.abandoned {
            if let Some(rate) = r.throughput_bps() {
                let a = 0.5f64.powf(r.transfer_time().as_secs_f64() / self.half_life_s);
                self.est = Some(self.est.map_or(rate, |e| a * e + (1.0 - a) * rate));
            }
        }
        self.inner.on_download(ctx, r)
    }
    fn should_abandon(&mut self, ctx: &Context, p: &DownloadProgress) -> Option<usize> {
        self.inner.should_abandon(ctx, p)
    }
    fn watches_progress(&self) -> bool {
        self.inner.watches_progress()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(video), Some(dirs), Some(every)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: tune VIDEO TRACE_DIR[,TRACE_DIR...] EVERY key=value...");
        std::process::exit(2);
    };
    let video = Video::load(Path::new(video)).expect("video");
    let every: usize = every.parse().unwrap_or(1).max(1);
    let mut p = SmoothplayParams::default();
    let mut show = None;
    let mut dump = false;
    let mut detail = false;
    let mut clairvoyant_s = None;
    let mut ewma_hl = None;
    let mut combine = 0u8;
    let mut cfg = SimConfig::validation();
    for kv in &args[3..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        let f: f64 = v.parse().expect("number");
        if k == "max_buffer" {
            cfg.max_buffer_s = f;
        } else if k == "live" {
            cfg.live = Some(smoothplay_heuristics::sim::LiveConfig { join_fragments: f as usize });
        } else if k == "combine" {
            combine = f as u8;
        } else if k == "ewma_hint" {
            ewma_hl = Some(f);
        } else if k == "clairvoyant" {
            clairvoyant_s = Some(f);
        } else if k == "detail" {
            detail = f != 0.0;
        } else if k == "links_with_outages" {
            if f != 0.0 {
                p = SmoothplayParams::links_with_outages();
            }
        } else if k == "dump" {
            dump = f != 0.0;
        } else if k == "show" {
            show = Some(f as usize);
        } else {
            set_param(&mut p, k, f);
        }
    }
    let cfg = cfg;
    for dir in dirs.split(',') {
        let files = Trace::list(Path::new(dir)).expect("traces");
        // (index in the sorted listing, trace): every EVERY-th of each half.
        let traces: Vec<(usize, Trace)> = files
            .iter()
            .enumerate()
            .filter(|(i, _)| (i / 2) % every == 0)
            .map(|(i, f)| (i, Trace::load(f).expect("trace")))
            .collect();
        if detail {
            // Mean bitrate per fragment index, smoothplay vs the oracle (where the gap is).
            let n = video.fragments();
            let (mut a, mut o) = (vec![0.0; n], vec![0.0; n]);
            let (mut swa, mut swo) = (vec![0.0; n], vec![0.0; n]);
            for (_, t) in &traces {
                let mut sel = Smoothplay::with_params(&video.ladder, p.clone());
                let r = simulate(&video, t, &mut sel, &cfg);
                let ro = run_optimal(&video, t, &cfg);
                for i in 0..n {
                    a[i] += video.kbps(r.levels[i]);
                    o[i] += video.kbps(ro.levels[i]);
                    if i > 0 {
                        swa[i] += (video.kbps(r.levels[i]) - video.kbps(r.levels[i - 1])).abs();
                        swo[i] += (video.kbps(ro.levels[i]) - video.kbps(ro.levels[i - 1])).abs();
                    }
                }
            }
            let m = traces.len() as f64;
            for i in 0..n {
                println!("{i:2} kbps {:7.0} {:7.0}  switch {:6.0} {:6.0}", a[i] / m, o[i] / m, swa[i] / m, swo[i] / m);
            }
            continue;
        }
        if let Some(n) = show {
            if let Some((_, t)) = traces.get(n) {
                let mut sel = Smoothplay::with_params(&video.ladder, p.clone());
                let r = simulate(&video, t, &mut sel, &cfg);
                let o = run_optimal(&video, t, &cfg);
                println!("{} smoothplay {:.3} rebuf {:.2} {:?}", t.name, r.metrics.qoe_lin_per_chunk, r.metrics.rebuffer_s, r.levels);
                println!("{} optimal    {:.3} rebuf {:.2} {:?}", t.name, o.metrics.qoe_lin_per_chunk, o.metrics.rebuffer_s, o.levels);
            }
            continue;
        }
        let threads = 2;
        let results: Vec<(usize, f64, f64, f64)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|k| {
                    let (traces, video, cfg, p) = (&traces, &video, &cfg, &p);
                    s.spawn(move || {
                        traces
                            .iter()
                            .skip(k)
                            .step_by(threads)
                            .map(|(i, t)| {
                                let sel = Smoothplay::with_params(&video.ladder, p.clone());
                                let m = match clairvoyant_s {
                                    Some(w) => {
                                        let mut c = Clairvoyant { inner: sel, trace: t, scale: cfg.throughput_scale, window_s: w };
                                        simulate(video, t, &mut c, cfg).metrics
                                    }
                                    None => match ewma_hl {
                                        Some(hl) => {
                                            let mut e = EwmaHint { inner: sel, half_life_s: hl, est: None, combine };
                                            simulate(video, t, &mut e, cfg).metrics
                                        }
                                        None => simulate(video, t, &mut { sel }, cfg).metrics,
                                    },
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
        if dump {
            for &(i, q, rb, _) in &results {
                let t = traces.iter().find(|(j, _)| *j == i).map_or("", |(_, t)| t.name.as_str());
                eprintln!("{name} {i} {t} {q:.5} {rb:.3}");
            }
        }
        let line = format!("{name:6}{}", smoothplay_heuristics::sim::sweep::halves_summary(&results));
        println!("{line}  {:?}", &args[3..]);
    }
}
