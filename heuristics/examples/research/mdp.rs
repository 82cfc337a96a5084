//! Trains and evaluates the `mdp` selector (development aid; regenerates the shipped model):
//! `cargo run --release -p smoothplay-heuristics --example mdp -- VIDEO TRACE_DIR[,TRACE_DIR...] [key=value...]`
//!
//! 1. Training: replays every TUNE-half trace (even index of each set's sorted listing) with
//!    the simulator, driven by `smoothplay` (key `teacher=mdp` then repeats with the first
//!    model's policy), and records each session's sequence of per-download throughputs
//!    (bytes over transfer time, abandoned downloads included: the selector sees the same).
//!    The counts of one model are pooled over all sets given (no set label at run time).
//! 2. Value iteration for the video's ladder (time printed), then simulation of every trace
//!    of each set: tune / held-out / full rows (QoE_lin per chunk, rebuffering s, switches).
//!
//! Keys: `bins` (16), `last=0|1` (last-sample component, 0), `alpha` (EWMA weight, 0.3),
//! `lo`/`hi` (grid centres, kbit/s: 150 / 8000), `prior` (4), `sigma` (0.5), `step` (buffer
//! grid s, 0.5), `abandon=0|1` (1), `teacher=mdp` (second round), `write=PATH` (save model JSON).
//! `recording=1`: the halves are whole recordings (even / odd in the sorted list of recording
//! names) instead of windows (even / odd index), so no trace content is shared between them;
//! `recording=2` swaps the halves (the other fold of a two-fold cross-validation).
//! Labelled diagnostic (peeks at the future, not a player): `peek=1` fits the model on the
//! evaluated traces themselves (all of them) to bound what a better model could give.

use smoothplay_heuristics::research::mdp::{Mdp, MdpModel, MdpParams, MdpTable};
use smoothplay_heuristics::algo::smoothplay::Smoothplay;
use smoothplay_heuristics::selector::QualitySelector;
use smoothplay_heuristics::sim::{simulate, SimConfig, Trace, Video};
use smoothplay_heuristics::types::{Context, Decision, DownloadProgress, DownloadReport};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Wraps a selector and records its per-download throughput samples (kbit/s).
struct Recorder<S> {
    inner: S,
    samples: Vec<(f64, f64)>,
}

impl<S: QualitySelector + ?Sized> QualitySelector for Recorder<Box<S>> {
    fn name(&self) -> &str {
        "recorder"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        self.inner.choose(ctx)
    }
    fn on_download(&mut self, ctx: &Context, r: &DownloadReport) {
        if let Some(bps) = r.throughput_bps() {
            self.samples.push((bps / 1000.0, r.bytes as f64 * 8.0));
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

fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = 2;
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|k| {
                let f = &f;
                s.spawn(move || items.iter().enumerate().skip(k).step_by(threads).map(|(i, t)| (i, f(t))).collect::<Vec<_>>())
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().expect("worker")).collect()
    });
    out.sort_by_key(|r| r.0);
    out.into_iter().map(|r| r.1).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(video), Some(dirs)) = (args.first(), args.get(1)) else {
        eprintln!("usage: mdp VIDEO TRACE_DIR[,TRACE_DIR...] key=value...");
        std::process::exit(2);
    };
    let video = Video::load(Path::new(video)).expect("video");
    let (mut bins, mut last, mut alpha, mut lo, mut hi, mut prior, mut sigma) = (16usize, false, 0.3, 150.0, 8000.0, 4.0, 0.5);
    let mut params = MdpParams::default();
    let (mut var_bins, mut var_hi, mut beta) = (0usize, 0.6, 0.2);
    let (mut teacher_mdp, mut write, mut peek, mut detail) = (false, None, false, false);
    let (mut mix, mut forget, mut calib) = (false, 1.0, 0usize);
    let (mut split, mut split_by, mut split2) = (1usize, 0u8, 1usize);
    let mut by_recording = 0u8;
    let mut extra_teachers: Vec<String> = Vec::new();
    let mut dur_edges: Vec<f64> = Vec::new();
    let mut ewma2 = 0.0;
    let mut alphas: Vec<f64> = Vec::new();
    let mut by2: Option<u8> = None;
    for kv in &args[2..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        let f = || v.parse::<f64>().expect("number");
        match k {
            "bins" => bins = f() as usize,
            "var" => var_bins = f() as usize,
            "var_hi" => var_hi = f(),
            "beta" => beta = f(),
            "last" => last = f() != 0.0,
            "alpha" => alpha = f(),
            "lo" => lo = f(),
            "hi" => hi = f(),
            "prior" => prior = f(),
            "sigma" => sigma = f(),
            "step" => params.buffer_step_s = f(),
            "pen" => params.rebuffer_penalty = f(),
            "tscale" => params.throughput_scale = f(),
            "abandon" => params.abandonment = f() != 0.0,
            "teacher" => teacher_mdp = v == "mdp",
            "write" => write = Some(v.to_string()),
            "peek" => peek = f() != 0.0,
            "detail" => detail = f() != 0.0,
            "mix" => mix = f() != 0.0,
            "split" => split = f() as usize,
            "by" => split_by = f() as u8,
            "split2" => split2 = f() as usize,
            "ewma2" => ewma2 = f(),
            "alphas" => alphas = v.split(':').map(|e| e.parse().expect("alpha")).collect(),
            "by2" => by2 = Some(f() as u8),
            "teachers" => extra_teachers = v.split(':').map(String::from).collect(),
            "calib" => calib = f() as usize,
            "dur" => dur_edges = v.split(':').map(|e| e.parse().expect("edge")).collect(),
            "forget" => forget = f(),
            "recording" => by_recording = f() as u8,
            _ => panic!("unknown key {k}"),
        }
    }
    let cfg = SimConfig::validation();
    let sets: Vec<(String, Vec<(usize, Trace)>)> = dirs
        .split(',')
        .map(|dir| {
            let files = Trace::list(Path::new(dir)).expect("traces");
            let name = Path::new(dir).file_name().map_or(dir.to_string(), |n| n.to_string_lossy().into_owned());
            let traces: Vec<(usize, Trace)> =
                files.iter().enumerate().map(|(i, f)| (i, Trace::load(f).expect("trace"))).collect();
            if by_recording == 0 {
                return (name, traces);
            }
            // recording=1: the halves are recordings (even / odd index of the sorted list of
            // recording names), not windows: windows of one recording overlap, so an
            // even/odd split by window shares trace content between the halves.
            let mut recs: Vec<String> = traces.iter().map(|(_, t)| t.recording().to_string()).collect();
            recs.sort();
            recs.dedup();
            let traces = traces
                .into_iter()
                .map(|(i, t)| {
                    let g = recs.binary_search(&t.recording().to_string()).unwrap_or(0);
                    (2 * i + (g + usize::from(by_recording == 2)) % 2, t)
                })
                .collect();
            (name, traces)
        })
        .collect();
    let groups: Vec<Vec<&Trace>> = {
        let per_set: Vec<Vec<&Trace>> =
            sets.iter().map(|(_, ts)| ts.iter().filter(|(i, _)| peek || i % 2 == 0).map(|(_, t)| t).collect()).collect();
        let g = if mix { per_set } else { vec![per_set.concat()] };
        // split=N: each group cut into N quantile groups of a per-trace statistic of the
        // trace file (by=0: std of log bandwidth, by=1: mean of log bandwidth, time-weighted).
        let stat = |t: &Trace, by: u8| {
            let tot: f64 = t.periods.iter().map(|p| p.duration_ms).sum();
            let mean = t.periods.iter().map(|p| p.duration_ms * p.bandwidth_kbps.max(1.0).ln()).sum::<f64>() / tot;
            let var = t.periods.iter().map(|p| p.duration_ms * (p.bandwidth_kbps.max(1.0).ln() - mean).powi(2)).sum::<f64>() / tot;
            // by=2: roughness, the time-weighted mean |log change| between consecutive periods.
            let rough = t.periods.windows(2).map(|w| (w[1].bandwidth_kbps.max(1.0) / w[0].bandwidth_kbps.max(1.0)).ln().abs()).sum::<f64>()
                / (t.periods.len().max(2) - 1) as f64;
            match by {
                1 => mean,
                2 => rough,
                _ => var.sqrt(),
            }
        };
        fn cut<'t>(g: Vec<Vec<&'t Trace>>, n: usize, by: u8, stat: &dyn Fn(&Trace, u8) -> f64) -> Vec<Vec<&'t Trace>> {
            g.into_iter()
                .flat_map(|mut ts| {
                    ts.sort_by(|a, b| stat(a, by).total_cmp(&stat(b, by)));
                    let len = ts.len();
                    (0..n).map(move |k| ts[k * len / n..(k + 1) * len / n].to_vec()).collect::<Vec<_>>()
                })
                .collect()
        }
        // split2=M: then each of those cut into M by the other statistic.
        cut(cut(g, split, split_by, &stat), split2, by2.unwrap_or(1 - split_by.min(1)), &stat)
    };
    // alphas=a0:a1:...: EWMA weight per group (groups in order: set, then ascending statistic).
    let fit = |gi: usize, train: &Vec<&Trace>, teacher: Option<&Vec<Arc<MdpTable>>>| {
        let alpha = alphas.get(gi).copied().unwrap_or(alpha);
        let mut m = MdpModel::empty(lo, hi, bins, last, alpha);
        if var_bins > 1 {
            m = m.with_variability(var_bins, var_hi, beta);
        }
        if ewma2 > 0.0 {
            m = m.with_second_ewma(ewma2);
        }
        if !dur_edges.is_empty() {
            m = m.with_duration_classes(dur_edges.clone());
        }
        m.prior = prior;
        m.kernel_sigma = sigma;
        let seqs = par_map(train, |t| match teacher {
            None => {
                let mut r = Recorder { inner: Box::new(Smoothplay::new(&video.ladder)) as Box<dyn QualitySelector>, samples: Vec::new() };
                simulate(&video, t, &mut r, &cfg);
                r.samples
            }
            Some(tab) => {
                let mut r = Recorder { inner: Box::new(Mdp::with_tables(&video.ladder, tab.clone(), params.abandonment)) as Box<dyn QualitySelector>, samples: Vec::new() };
                simulate(&video, t, &mut r, &cfg);
                r.samples
            }
        });
        for s in &seqs {
            m.add_session(s);
        }
        // More sessions over the same tune traces, driven by other built-in rules
        // (teachers=robustmpc:bola:...): other download sizes and timings.
        for name in &extra_teachers {
            let seqs = par_map(train, |t| {
                let sel = smoothplay_heuristics::selector_by_name(name, &video.ladder).expect("teacher name");
                let mut r = Recorder { inner: sel, samples: Vec::new() };
                simulate(&video, t, &mut r, &cfg);
                r.samples
            });
            for s in &seqs {
                m.add_session(s);
            }
        }
        m
    };
    let t0 = Instant::now();
    let mut models: Vec<MdpModel> = groups.iter().enumerate().map(|(i, g)| fit(i, g, None)).collect();
    let fit_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let build = |models: &Vec<MdpModel>| -> Vec<Arc<MdpTable>> {
        models.iter().map(|m| Arc::new(MdpTable::build(&video.ladder, m, cfg.max_buffer_s, &params))).collect()
    };
    let mut table = build(&models);
    let build_s = t0.elapsed().as_secs_f64();
    if teacher_mdp {
        models = groups.iter().enumerate().map(|(i, g)| fit(i, g, Some(&table))).collect();
        table = build(&models);
    }
    let model = &models[0];
    println!(
        "model x{}: {} bins, last {}, alpha {alpha}, {} transitions; fit {fit_s:.2} s, value iteration {build_s:.2} s{}",
        models.len(),
        bins,
        last,
        model.counts.iter().map(|&c| c as u64).sum::<u64>(),
        if peek { "  [PEEK: fitted on all traces, diagnostic]" } else { "" }
    );
    if let Some(path) = &write {
        std::fs::write(path, serde_json::to_string(&models).expect("json")).expect("write model");
    }
    for (name, traces) in &sets {
        if detail {
            // Mean bitrate and switching per fragment index: mdp, smoothplay, the oracle.
            let rows = par_map(traces, |(_, t)| {
                let mut sel = Mdp::with_tables(&video.ladder, table.clone(), params.abandonment);
                sel.forget = forget;
                let a = simulate(&video, t, &mut sel, &cfg).levels;
                let b = simulate(&video, t, &mut Smoothplay::new(&video.ladder), &cfg).levels;
                let o = smoothplay_heuristics::sim::oracle::run_optimal(&video, t, &cfg).levels;
                [a, b, o]
            });
            let n = video.fragments();
            let m = rows.len() as f64;
            println!("{name}: frag | kbps mdp smoothplay optimal | switch kbps mdp smoothplay optimal");
            for i in 0..n {
                let k = |j: usize| rows.iter().map(|r| video.kbps(r[j][i])).sum::<f64>() / m;
                let sw = |j: usize| {
                    if i == 0 { 0.0 } else { rows.iter().map(|r| (video.kbps(r[j][i]) - video.kbps(r[j][i - 1])).abs()).sum::<f64>() / m }
                };
                println!("{i:2} | {:6.0} {:6.0} {:6.0} | {:5.0} {:5.0} {:5.0}", k(0), k(1), k(2), sw(0), sw(1), sw(2));
            }
            continue;
        }
        if calib > 0 {
            // Model calibration: the value the policy expects at fragment `calib` against the
            // QoE_lin the session then scores from that fragment on (Mbit/s units, sums).
            let rows = par_map(traces, |(_, t)| {
                struct Probe { inner: Mdp, at: usize, value: f64 }
                impl QualitySelector for Probe {
                    fn name(&self) -> &str { "probe" }
                    fn choose(&mut self, ctx: &Context) -> Decision {
                        let d = self.inner.choose(ctx);
                        if ctx.fragment_index == self.at { self.value = self.inner.last_value; }
                        d
                    }
                    fn on_download(&mut self, ctx: &Context, r: &DownloadReport) { self.inner.on_download(ctx, r) }
                    fn should_abandon(&mut self, ctx: &Context, p: &DownloadProgress) -> Option<usize> { self.inner.should_abandon(ctx, p) }
                    fn watches_progress(&self) -> bool { self.inner.watches_progress() }
                }
                let mut pr = Probe { inner: Mdp::with_tables(&video.ladder, table.clone(), params.abandonment), at: calib, value: 0.0 };
                let mut c2 = cfg.clone();
                c2.record_samples = true;
                let r = simulate(&video, t, &mut pr, &c2);
                // Realised from fragment `calib` on: bitrate - switches, minus 4.3 x the rebuffering
                // of those fragments (approximated by the session's rebuffering after the probe).
                let kb = |i: usize| video.kbps(r.levels[i]) / 1000.0;
                let mut q = 0.0;
                for i in calib..r.levels.len() {
                    q += kb(i) - (kb(i) - kb(i - 1)).abs();
                }
                (pr.value, q, r.metrics.rebuffer_s)
            });
            let m = rows.len() as f64;
            let v = rows.iter().map(|r| r.0).sum::<f64>() / m;
            let q = rows.iter().map(|r| r.1).sum::<f64>() / m;
            let rb = rows.iter().map(|r| r.2).sum::<f64>() / m;
            println!("{name}: at fragment {calib}: expected {v:.3}, realised bitrate-switching {q:.3}, session rebuffering {rb:.3} s");
            continue;
        }
        let results = par_map(traces, |(i, t)| {
            let mut sel = Mdp::with_tables(&video.ladder, table.clone(), params.abandonment);
            sel.forget = forget;
            let m = simulate(&video, t, &mut sel, &cfg).metrics;
            (*i, m.qoe_lin_per_chunk, m.rebuffer_s, m.switches as f64)
        });
        let line = format!("{name:6}{}", smoothplay_heuristics::sim::sweep::halves_summary(&results));
        println!("{line}  {:?}", &args[2..]);
    }
}
