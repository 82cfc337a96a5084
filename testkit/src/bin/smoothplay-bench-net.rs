//! `smoothplay-bench-net`: the real engine, headless and in real time, through the
//! shaping proxy, once per trace; the simulator's CSV columns per session.
//!
//! For each trace (and algorithm) it serves the presentation's parent directory with the
//! testkit origin on loopback, starts a `smoothplay-shaper` proxy with the trace in front of
//! it (clock from the first request, the simulator's `--throughput-scale` as `--scale`),
//! plays the manifest through the proxy with `Session::play` (null sinks, real-time
//! pacing, the given `--abr` and forward buffer), and computes the simulator's metrics from
//! `PlaybackStats`: the level of each fragment (the download that was kept; abandoned ones
//! are not in the stats), rebuffering after startup, startup time, abandonments.
//! `--sim-csv` also runs the simulator on the same presentation (fragment sizes read from
//! disk), traces and settings, and the summary puts both side by side.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use smoothplay_engine::session::{NullAudioSink, NullVideoSink, PlaybackStats, PlayerConfig, Session};
use smoothplay_heuristics::sim::qoe::Metrics;
use smoothplay_heuristics::sim::session::{SessionResult, SimConfig};
use smoothplay_heuristics::sim::sweep::{csv_row, run_named, CSV_HEADER};
use smoothplay_heuristics::sim::trace::Trace;
use smoothplay_heuristics::sim::video::Video;
use smoothplay_shaper::{Shaper, ShaperConfig};
use smoothplay_testkit::origin::Origin;

/// Play a presentation with the real engine (headless, real time) through the trace-shaping
/// proxy, once per trace, and write the simulator's CSV columns per session.
#[derive(Parser, Debug)]
#[command(name = "smoothplay-bench-net", version)]
struct Args {
    /// The presentation directory (`NAME.ism` holding `Manifest` and `QualityLevels(..)/`),
    /// e.g. the one scripts/make-bench-media.sh writes.
    #[arg(long)]
    media: PathBuf,
    /// Trace files or directories (every file, sorted by name), as for smoothplay-sim.
    #[arg(long, num_args = 1.., required = true)]
    traces: Vec<PathBuf>,
    /// Quality-selection algorithms, comma-separated.
    #[arg(long, default_value = "smoothplay", value_delimiter = ',')]
    abr: Vec<String>,
    /// Forward buffer of the player and maximum buffer of the simulator, seconds.
    #[arg(long, default_value_t = 30.0)]
    buffer: f64,
    /// Multiplier on the traces' bandwidth (proxy --scale, simulator --throughput-scale).
    #[arg(long, default_value_t = 0.95)]
    throughput_scale: f64,
    /// Use every Nth trace of the sorted listing (as smoothplay-sim --every).
    #[arg(long, default_value_t = 1)]
    every: usize,
    /// Play at most this many traces (after --every).
    #[arg(long)]
    limit: Option<usize>,
    /// Sessions played at the same time (each with its own origin and proxy). Keep 1 on a
    /// small machine: decoding competes with the timers that pace the link.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// CSV of the real sessions (default: stdout).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also simulate the same sessions and write the simulator's CSV here.
    #[arg(long)]
    sim_csv: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("smoothplay-bench-net: {e}");
        std::process::exit(1);
    }
}

struct Job {
    trace_path: PathBuf,
    trace: Trace,
    algo: String,
}

fn run(args: &Args) -> Result<(), String> {
    let media = args.media.canonicalize().map_err(|e| format!("{}: {e}", args.media.display()))?;
    let name = media.file_name().and_then(|n| n.to_str()).ok_or("--media must name a directory")?.to_string();
    let root = media.parent().ok_or("--media has no parent directory")?.to_path_buf();
    let video = Video::load(&media).map_err(|e| format!("{}: {e}", media.display()))?;
    for a in &args.abr {
        if !smoothplay_heuristics::ALGORITHMS.contains(&a.as_str()) {
            return Err(format!("unknown algorithm {a:?} (known: {})", smoothplay_heuristics::ALGORITHMS.join(", ")));
        }
    }
    let mut files = Vec::new();
    for p in &args.traces {
        files.extend(Trace::list(p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    let files: Vec<PathBuf> = files.into_iter().step_by(args.every.max(1)).take(args.limit.unwrap_or(usize::MAX)).collect();
    let mut jobs = Vec::new();
    for f in &files {
        let trace = Trace::load(f).map_err(|e| format!("{}: {e}", f.display()))?;
        for a in &args.abr {
            jobs.push(Job { trace_path: f.clone(), trace: trace.clone(), algo: a.clone() });
        }
    }
    let secs = video.fragments() as f64 * video.fragment_ms() / 1000.0;
    eprintln!(
        "{} sessions of {name} ({:.0} s, {} levels) through the shaper, {} at a time: about {:.0} min",
        jobs.len(),
        secs,
        video.ladder.levels.len(),
        args.jobs.max(1),
        jobs.len() as f64 * (secs + 5.0) / 60.0 / args.jobs.max(1) as f64
    );

    let sim_cfg = SimConfig { max_buffer_s: args.buffer, throughput_scale: args.throughput_scale, ..SimConfig::default() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = jobs.len();
    let results: Vec<(SessionResult, Option<SessionResult>)> = runtime.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(args.jobs.max(1)));
        let video = Arc::new(video);
        let mut handles = Vec::new();
        for job in jobs {
            let (sem, root, name, video, done, sim_cfg) = (sem.clone(), root.clone(), name.clone(), video.clone(), done.clone(), sim_cfg.clone());
            let (buffer, scale, want_sim) = (args.buffer, args.throughput_scale, args.sim_csv.is_some());
            handles.push(tokio::spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore");
                let real = play_one(&root, &name, &video, &job, buffer, scale).await;
                let sim = want_sim.then(|| run_named(&job.algo, &video, &job.trace, &sim_cfg)).flatten();
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let m = &real.metrics;
                let vs = sim.as_ref().map_or(String::new(), |s| format!(" | sim {:.2}, {:.0} kbps, {:.2} s", s.metrics.qoe_lin, s.metrics.mean_bitrate_kbps, s.metrics.rebuffer_s));
                eprintln!(
                    "[{n}/{total} {:.0} s] {} {}: QoE_lin {:.2}, {:.0} kbps, rebuffer {:.2} s, {} switches{vs}",
                    started.elapsed().as_secs_f64(),
                    job.trace_path.file_name().unwrap_or_default().to_string_lossy(),
                    job.algo,
                    m.qoe_lin,
                    m.mean_bitrate_kbps,
                    m.rebuffer_s,
                    m.switches
                );
                (real, sim)
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.expect("session task"));
        }
        out
    });

    let write = |path: Option<&Path>, rows: Vec<&SessionResult>| -> Result<(), String> {
        let mut text = String::from(CSV_HEADER);
        text.push('\n');
        for r in rows {
            text.push_str(&csv_row(r));
            text.push('\n');
        }
        match path {
            Some(p) => std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display())),
            None => {
                print!("{text}");
                Ok(())
            }
        }
    };
    write(args.csv.as_deref(), results.iter().map(|r| &r.0).collect())?;
    if let Some(p) = &args.sim_csv {
        write(Some(p), results.iter().filter_map(|r| r.1.as_ref()).collect())?;
        summary(&results);
    }
    Ok(())
}

/// Per algorithm: mean QoE real and simulated, median and worst |difference|.
fn summary(results: &[(SessionResult, Option<SessionResult>)]) {
    let mut algos: Vec<&str> = results.iter().map(|r| r.0.algorithm.as_str()).collect();
    algos.dedup();
    for a in algos {
        let pairs: Vec<(&Metrics, &Metrics)> = results.iter().filter(|r| r.0.algorithm == a).filter_map(|r| Some((&r.0.metrics, &r.1.as_ref()?.metrics))).collect();
        if pairs.is_empty() {
            continue;
        }
        let n = pairs.len() as f64;
        let mean = |f: &dyn Fn(&Metrics) -> f64, real: bool| pairs.iter().map(|(r, s)| f(if real { r } else { s })).sum::<f64>() / n;
        let mut d: Vec<f64> = pairs.iter().map(|(r, s)| (r.qoe_lin - s.qoe_lin).abs()).collect();
        d.sort_by(f64::total_cmp);
        let median = if d.len() % 2 == 1 { d[d.len() / 2] } else { (d[d.len() / 2 - 1] + d[d.len() / 2]) / 2.0 };
        eprintln!(
            "{a}: {} sessions; QoE_lin real {:.2} sim {:.2}; bitrate real {:.0} sim {:.0} kbps; rebuffer real {:.2} sim {:.2} s; |QoE diff| median {:.2} worst {:.2}",
            pairs.len(),
            mean(&|m| m.qoe_lin, true),
            mean(&|m| m.qoe_lin, false),
            mean(&|m| m.mean_bitrate_kbps, true),
            mean(&|m| m.mean_bitrate_kbps, false),
            mean(&|m| m.rebuffer_s, true),
            mean(&|m| m.rebuffer_s, false),
            median,
            d.last().copied().unwrap_or(0.0)
        );
    }
}

async fn play_one(root: &Path, name: &str, video: &Video, job: &Job, buffer: f64, scale: f64) -> SessionResult {
    let origin = Origin::serve(root.to_path_buf()).await;
    let config = ShaperConfig { scale, ..ShaperConfig::new(job.trace.clone()) };
    let shaper = Shaper::start(([127, 0, 0, 1], 0).into(), &origin.base, config).await.expect("start the shaper");
    let url = format!("{}{name}/Manifest", shaper.url());
    let mut player = PlayerConfig { algorithm: job.algo.clone(), ..PlayerConfig::default() };
    player.schedule.forward_buffer = Duration::from_secs_f64(buffer);
    let stats = match Session::open(&url, player).await {
        Ok(session) => session.play(&mut NullVideoSink, &mut NullAudioSink, None, &mut |_| {}).await,
        Err(e) => Err(e),
    };
    let stats = stats.unwrap_or_else(|e| {
        eprintln!("{}: playback failed: {e}", job.trace.name);
        PlaybackStats::default()
    });
    result_from_stats(&job.trace.name, &job.algo, video, &stats)
}

/// The simulator's metrics from what the engine reports.
fn result_from_stats(trace: &str, algo: &str, video: &Video, stats: &PlaybackStats) -> SessionResult {
    let kbps: Vec<f64> = (0..video.ladder.levels.len()).map(|l| video.kbps(l)).collect();
    let level_of = |bps: u64| {
        let k = bps as f64 / 1000.0;
        (0..kbps.len()).min_by(|&a, &b| (kbps[a] - k).abs().total_cmp(&(kbps[b] - k).abs())).unwrap_or(0)
    };
    // The download kept for each fragment (the last one, in download order); a fragment
    // skipped after retries counts at the lowest level.
    let mut levels = vec![None; video.fragments()];
    for f in &stats.video.fragments {
        if let Some(slot) = levels.get_mut(f.index) {
            *slot = Some(level_of(f.bitrate));
        }
    }
    let levels: Vec<usize> = levels.into_iter().map(|l| l.unwrap_or(0)).collect();
    let metrics = Metrics::compute(
        &kbps,
        &levels,
        stats.rebuffer.total_ms / 1000.0,
        stats.rebuffer.count as u32,
        stats.startup_ms.unwrap_or(0.0) / 1000.0,
        stats.video.abandoned as u32,
        None,
    );
    SessionResult { trace: trace.to_string(), algorithm: algo.to_string(), metrics, levels, samples: Vec::new() }
}
