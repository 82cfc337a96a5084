//! Scenario planning (`research::scenario`): regenerate the shipped library and evaluate.
//!
//! `scenario gen VIDEO DIR[,DIR...] EVERY OUT` writes the library from the TUNE half (even
//! index of each sorted listing) of every DIR: smoothplay plays each trace (throughput x0.95,
//! 60 s buffer) and every EVERY-th decision becomes a sample (`research::scenario_lib`).
//!
//! `scenario speed VIDEO TRACE [key=value...]`: on-CPU time per session (200 sessions).
//!
//! `scenario eval VIDEO DIR[,DIR...] [key=value...]` prints tune / held-out / full rows per
//! set (mean QoE_lin per chunk, rebuffering s, switches per session). Keys: `ScenarioParams`
//! fields (`k`, `horizon`, `risk`, `point`, `low_buffer_safety`, `switch_margin`, ...,
//! `w0`..`w6` feature weights), plus `mode`:
//! - `mode=0` (default): the shipped library (`heuristics/data/scenarios.bin`);
//! - `mode=1` DIAGNOSTIC (not a player): a library built from ALL traces of the session's set
//!   except every window of the session's own recording (leave-one-recording-out, see
//!   `Trace::recording`; sampled every `lib_every` decisions, default 3): what a causal policy that
//!   knows the trace distribution very well could reach with these features;
//! - `mode=4` DIAGNOSTIC (leaks): as 1 but leaving out only the session's own trace; the
//!   other windows of its recording overlap it, so the library holds its future;
//! - `mode=2` DIAGNOSTIC (peeks at the future): one scenario = the session's exact future
//!   throughput (0.5 s bins, 240 s), i.e. this planner with perfect information;
//!   `window=W`: only the next W s are exact, the regime estimate holds after them;
//! - `mode=5` DIAGNOSTIC (sees the true past of the link): scenarios = futures of the `k`
//!   trace moments, from other recordings of the set, whose true past 32 s (8 bins of 4 s,
//!   shape + `w_level` x log level) is nearest the session's true past 32 s (`PastMatch`);
//!   `leak=1` also allows the session's own trace and recording (a check that the pipeline
//!   profits when the library does hold the future);
//! - `mode=3`: library built in memory from the tune half (same as `gen`, `lib_every`).

use smoothplay_heuristics::research::scenario::{ScenarioLibrary, ScenarioParams, ScenarioPlay};
use smoothplay_heuristics::selector::QualitySelector;
use smoothplay_heuristics::research::scenario_lib::{future_bps, mean_kbps, record};
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
        "commit" => p.commit = f as usize,
        "mean_path" => p.mean_path = f != 0.0,
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
    /// Seconds of exact future; after that the (causal) regime estimate holds.
    window_s: f64,
}

impl QualitySelector for Perfect<'_> {
    fn name(&self) -> &str {
        "perfect"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let now = ctx.now.as_secs_f64();
        let mut path = future_bps(self.trace, self.scale, now, 0.5, 480);
        let known = (self.window_s / 0.5).ceil() as usize;
        if known < path.len() {
            match self.inner.regime_bps() {
                Some(r) => path[known..].iter_mut().for_each(|x| *x = r),
                None => path.truncate(known.max(1)),
            }
        }
        self.inner.set_scenarios(Some((0.5, vec![path])));
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

/// DIAGNOSTIC (mode 5): scenarios matched on the TRUE past of the trace (8 bins of 4 s before
/// now, ln ratio to their mean, plus that mean's log), from every other recording of the set,
/// each future scaled by the session's true past-32 s mean. Knows the past link exactly (a
/// player sees only its downloads) and the distribution of futures given it.
struct PastMatch<'a> {
    inner: ScenarioPlay,
    trace: &'a Trace,
    scale: f64,
    /// (features, future ratios, group)
    lib: &'a [([f64; PAST + 1], Vec<f64>, u32)],
    group: u32,
    k: usize,
    w_level: f64,
}

const PAST: usize = 8;

fn past_features(trace: &Trace, scale: f64, now: f64) -> ([f64; PAST + 1], f64) {
    let v: Vec<f64> = (0..PAST)
        .map(|i| {
            let a = now - (PAST - i) as f64 * BIN_S;
            mean_kbps(trace, scale, a.max(0.0), (a + BIN_S).max(0.001)).max(1.0) * 1000.0
        })
        .collect();
    let m = v.iter().sum::<f64>() / PAST as f64;
    let mut f = [0.0; PAST + 1];
    for i in 0..PAST {
        f[i] = (v[i] / m).ln();
    }
    f[PAST] = (m / 1e6).ln();
    (f, m)
}

impl QualitySelector for PastMatch<'_> {
    fn name(&self) -> &str {
        "pastmatch"
    }
    fn choose(&mut self, ctx: &Context) -> Decision {
        let now = ctx.now.as_secs_f64();
        if now >= PAST as f64 * BIN_S {
            let (f, m) = past_features(self.trace, self.scale, now);
            let mut nn: Vec<(f64, usize)> = self
                .lib
                .iter()
                .enumerate()
                .filter(|(_, e)| e.2 != self.group)
                .map(|(i, e)| {
                    let mut d: f64 = e.0[..PAST].iter().zip(&f[..PAST]).map(|(a, b)| (a - b).powi(2)).sum();
                    d += self.w_level * (e.0[PAST] - f[PAST]).powi(2);
                    (d, i)
                })
                .collect();
            let k = self.k.min(nn.len());
            nn.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
            let paths = nn[..k].iter().map(|&(_, i)| self.lib[i].1.iter().map(|r| r * m).collect()).collect();
            self.inner.set_scenarios(Some((BIN_S, paths)));
        } else {
            self.inner.set_scenarios(None);
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
    if cmd == "speed" {
        // On-CPU time per session on TRACE (= DIRS here), key=value as for eval.
        for kv in &args[3..] {
            let (k, v) = kv.split_once('=').expect("key=value");
            set_param(&mut p, k, v.parse().expect("number"));
        }
        let t = Trace::load(Path::new(dirs)).expect("trace");
        let lib = ScenarioLibrary::shipped();
        let cpu = || -> Option<u64> {
            std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
        };
        let n = 200;
        let c0 = cpu();
        for _ in 0..n {
            let mut sel = ScenarioPlay::with(&video.ladder, p.clone(), lib.clone());
            std::hint::black_box(simulate(&video, &t, &mut sel, &cfg));
        }
        if let (Some(a), Some(b)) = (c0, cpu()) {
            println!("{:.1} us on-CPU per session {:?}", (b - a) as f64 / 1e3 / n as f64, &args[3..]);
        }
        return;
    }
    let (mut mode, mut lib_every, mut w_level, mut leak, mut window_s) = (0u32, 3usize, 1.0f64, false, 240.0f64);
    for kv in &args[3..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        let f: f64 = v.parse().expect("number");
        match k {
            "mode" => mode = f as u32,
            "lib_every" => lib_every = f as usize,
            "w_level" => w_level = f,
            "leak" => leak = f != 0.0,
            "window" => window_s = f,
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
        let mut groups: Vec<String> = traces.iter().map(|(_, t)| t.recording().to_string()).collect();
        groups.sort();
        groups.dedup();
        let gid = |t: &Trace| groups.binary_search(&t.recording().to_string()).unwrap_or(0) as u32;
        // mode 1: sources are recordings (groups); mode 4: sources are traces (own trace only).
        let full_lib = (mode == 1 || mode == 4).then(|| {
            let mut l = ScenarioLibrary::new(BIN_S, BINS);
            for (i, t) in &traces {
                record(&video, t, &cfg, &mut l, lib_every, if mode == 1 { gid(t) } else { *i as u32 });
            }
            l.finish();
            l
        });
        let past_lib: Vec<([f64; PAST + 1], Vec<f64>, u32)> = if mode == 5 {
            let mut v = Vec::new();
            for (_, t) in &traces {
                let mut now = PAST as f64 * BIN_S;
                while now < 260.0 {
                    let (f, m) = past_features(t, cfg.throughput_scale, now);
                    let fut = future_bps(t, cfg.throughput_scale, now, BIN_S, BINS);
                    v.push((f, fut.iter().map(|x| x / m).collect(), gid(t)));
                    now += 2.0;
                }
            }
            v
        } else {
            Vec::new()
        };
        if mode == 1 {
            println!("{} recordings in {} traces", groups.len(), traces.len());
        }
        let threads = 2;
        let t0 = std::time::Instant::now();
        let results: Vec<(usize, f64, f64, f64)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|k| {
                    let (traces, video, cfg, p, full_lib, shipped, tune_lib, gid, past_lib) =
                        (&traces, &video, &cfg, &p, &full_lib, &shipped, &tune_lib, &gid, &past_lib);
                    s.spawn(move || {
                        traces
                            .iter()
                            .skip(k)
                            .step_by(threads)
                            .map(|(i, t)| {
                                let lib = match (mode, full_lib, tune_lib) {
                                    (1, Some(l), _) => Arc::new(l.without_source(gid(t))),
                                    (4, Some(l), _) => Arc::new(l.without_source(*i as u32)),
                                    (3, _, Some(l)) => l.clone(),
                                    _ => shipped.clone(),
                                };
                                let sel = ScenarioPlay::with(&video.ladder, p.clone(), lib);
                                let m = if mode == 5 {
                                    let mut w = PastMatch {
                                        inner: sel,
                                        trace: t,
                                        scale: cfg.throughput_scale,
                                        lib: past_lib,
                                        group: if leak { u32::MAX } else { gid(t) },
                                        k: p.k,
                                        w_level,
                                    };
                                    simulate(video, t, &mut w, cfg).metrics
                                } else if mode == 2 {
                                    let mut w = Perfect { inner: sel, trace: t, scale: cfg.throughput_scale, window_s };
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
        let line = format!("{name:6}{}", smoothplay_heuristics::sim::sweep::halves_summary(&results));
        println!("{line}  {:.1}s {:?}", t0.elapsed().as_secs_f64(), &args[3..]);
    }
}
