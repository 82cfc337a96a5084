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
//!
//! `--player gstreamer` plays the same sessions with GStreamer instead (`gst-launch-1.0
//! playbin`, the Smooth Streaming demuxer `mssdemux` with its own rate adaptation and
//! default buffering, avdec_h264, `fakesink sync=true`: decoded and shown on the clock,
//! in real time). What is measured and how:
//! - the level of each fragment: from the proxy's request log (`QualityLevels(B)/
//!   Fragments(video=T)`; the last finished download of each fragment counts, downloads cut
//!   short count as abandoned), the same log any player leaves (`smoothplay-shaper --log`);
//! - each shown frame: `fakesink` reports every rendered buffer with its timestamp (`-v`,
//!   `silent=false`; rendering happens after the sink waited for the clock), read line by
//!   line from gst-launch's standard output with the wall time of arrival;
//! - startup: the first frame rendered, from the first request (the proxy's trace clock);
//! - rebuffering: wall time against media time. Late by `lag = (wall - t0) - pts`; every
//!   step of `lag` over 100 ms between consecutive frames is a stall (gst-launch pauses the
//!   pipeline while its queues report buffering under 100 %, or the sink waits on an empty
//!   queue: both show as such a step), summed after the first frame;
//! - QoE_lin and the other columns: `Metrics::compute`, as for the simulator and the engine.

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
use smoothplay_shaper::{RequestLog, Shaper, ShaperConfig};
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
    /// Which player: `smoothplay` (the engine, in process) or `gstreamer` (gst-launch-1.0
    /// playbin with mssdemux; --abr is then ignored, the algorithm column says
    /// `gst-mssdemux`).
    #[arg(long, default_value = "smoothplay")]
    player: String,
    /// gst-launch-1.0 to run for `--player gstreamer`.
    #[arg(long, default_value = "gst-launch-1.0")]
    gst_launch: String,
    /// One row per request of every session (from the proxy's log): fragment, level,
    /// request, headers, first and last byte on the trace clock, bytes, the download's rate
    /// (with its latency); with --sim-csv also the simulator's level for that fragment and
    /// when its download ended.
    #[arg(long)]
    fragments_csv: Option<PathBuf>,
}

/// The algorithm column of GStreamer's sessions.
const GST_ALGO: &str = "gst-mssdemux";

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
    let gst = match args.player.as_str() {
        "smoothplay" => false,
        "gstreamer" => true,
        p => return Err(format!("unknown player {p:?} (smoothplay or gstreamer)")),
    };
    if gst && args.sim_csv.is_some() {
        return Err("--sim-csv simulates smoothplay's algorithms; it does not apply to --player gstreamer".into());
    }
    let algos: Vec<String> = if gst { vec![GST_ALGO.to_string()] } else { args.abr.clone() };
    let mut jobs = Vec::new();
    for f in &files {
        let trace = Trace::load(f).map_err(|e| format!("{}: {e}", f.display()))?;
        for a in &algos {
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

    let sim_cfg = SimConfig { max_buffer_s: args.buffer, throughput_scale: args.throughput_scale, record_samples: args.fragments_csv.is_some(), ..SimConfig::default() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total = jobs.len();
    let results: Vec<(SessionResult, Option<SessionResult>, Vec<RequestLog>)> = runtime.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(args.jobs.max(1)));
        let video = Arc::new(video);
        let mut handles = Vec::new();
        for job in jobs {
            let (sem, root, name, video, done, sim_cfg) = (sem.clone(), root.clone(), name.clone(), video.clone(), done.clone(), sim_cfg.clone());
            let (buffer, scale, want_sim, gst_launch) = (args.buffer, args.throughput_scale, args.sim_csv.is_some(), args.gst_launch.clone());
            handles.push(tokio::spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore");
                let (real, log) = if gst { play_gst(&root, &name, &video, &job, scale, &gst_launch).await } else { play_one(&root, &name, &video, &job, buffer, scale).await };
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
                (real, sim, log)
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
        let pairs: Vec<(SessionResult, Option<SessionResult>)> = results.iter().map(|r| (r.0.clone(), r.1.clone())).collect();
        summary(&pairs);
    }
    if let Some(p) = &args.fragments_csv {
        let video = Video::load(&media).map_err(|e| format!("{}: {e}", media.display()))?;
        let mut text = String::from("trace,algorithm,fragment,level,kbps,at_s,headers_s,first_byte_s,done_s,cut_s,bytes,download_kbps,sim_level,sim_done_s,sim_buffer_s\n");
        for (real, sim, log) in &results {
            for r in log {
                let Some((index, level)) = fragment_of(&video, &r.request) else { continue };
                let s = |t: Option<Duration>| t.map_or(String::new(), |t| format!("{:.3}", t.as_secs_f64()));
                let rate = match r.done_at {
                    Some(d) if d > r.at => format!("{:.0}", r.bytes as f64 * 8.0 / 1000.0 / (d - r.at).as_secs_f64()),
                    _ => String::new(),
                };
                let sample = sim.as_ref().and_then(|s| s.samples.iter().rev().find(|x| x.fragment == index && !x.abandoned));
                text.push_str(&format!(
                    "{},{},{index},{level},{:.0},{:.3},{},{},{},{},{},{rate},{},{},{}\n",
                    real.trace,
                    real.algorithm,
                    video.kbps(level),
                    r.at.as_secs_f64(),
                    s(r.headers_at),
                    s(r.first_byte_at),
                    s(r.done_at),
                    s(r.cut_at),
                    r.bytes,
                    sim.as_ref().and_then(|s| s.levels.get(index)).map_or(String::new(), |l| l.to_string()),
                    sample.map_or(String::new(), |x| format!("{:.3}", x.time_s)),
                    sample.map_or(String::new(), |x| format!("{:.3}", x.buffer_s)),
                ));
            }
        }
        std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// The (fragment index, level) a Smooth Streaming video request is for
/// (`.../QualityLevels(BITRATE)/Fragments(video=TIME)`, TIME in 100 ns units), the level
/// being the ladder's nearest bitrate.
fn fragment_of(video: &Video, request: &str) -> Option<(usize, usize)> {
    let after = |key: &str| -> Option<u64> {
        let rest = &request[request.find(key)? + key.len()..];
        rest[..rest.find(')')?].parse().ok()
    };
    let bps = after("QualityLevels(")?;
    let t = after("Fragments(video=")?;
    let index = (t as f64 / 1e4 / video.fragment_ms()).round() as usize;
    let k = bps as f64 / 1000.0;
    let level = (0..video.ladder.levels.len()).min_by(|&a, &b| (video.kbps(a) - k).abs().total_cmp(&(video.kbps(b) - k).abs()))?;
    Some((index, level))
}

/// Levels of each fragment from a proxy request log: the last finished download of each
/// fragment (a fragment never fetched counts at the lowest level), and the number of
/// fragment downloads cut short (abandoned).
fn levels_from_log(video: &Video, log: &[RequestLog]) -> (Vec<usize>, u32, usize) {
    let mut levels = vec![None; video.fragments()];
    let mut abandoned = 0;
    for r in log {
        let Some((index, level)) = fragment_of(video, &r.request) else { continue };
        if r.done_at.is_some() && r.status == 200 {
            if let Some(slot) = levels.get_mut(index) {
                *slot = Some(level);
            }
        } else if r.cut_at.is_some() {
            abandoned += 1;
        }
    }
    let missing = levels.iter().filter(|l| l.is_none()).count();
    (levels.into_iter().map(|l| l.unwrap_or(0)).collect(), abandoned, missing)
}

/// Startup and stalls from the frames a player showed: (wall time since the trace clock's
/// start, presentation time), both in seconds, in the order shown. Startup is the first
/// frame's wall time; each step over `STALL_S` of `wall - pts` between consecutive frames
/// is a stall: (wall time it ended, length).
fn playout_from_frames(frames: &[(f64, f64)]) -> (f64, Vec<(f64, f64)>) {
    const STALL_S: f64 = 0.1;
    let Some(&(first, _)) = frames.first() else { return (0.0, Vec::new()) };
    let mut stalls = Vec::new();
    for w in frames.windows(2) {
        let step = (w[1].0 - w[1].1) - (w[0].0 - w[0].1);
        if step > STALL_S {
            stalls.push((w[1].0, step));
        }
    }
    (first, stalls)
}

/// What gst-launch showed: (wall time, pts) of each rendered video frame, and the
/// buffering pauses it announced (wall times), and whether it ended with EOS.
struct GstRun {
    frames: Vec<(Instant, f64)>,
    pauses: Vec<Instant>,
    eos: bool,
    exit: String,
}

/// `H:MM:SS.nnnnnnnnn` as seconds.
fn clock_time(s: &str) -> Option<f64> {
    let mut parts = s.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + sec)
}

/// Runs gst-launch-1.0 on `url` until it exits or `limit` passes, timing its output lines.
fn run_gst(gst_launch: &str, url: &str, limit: Duration) -> Result<GstRun, String> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new("stdbuf")
        .args(["-oL", gst_launch, "-v", "playbin"])
        .arg(format!("uri={url}"))
        .arg("video-sink=fakesink name=vsink sync=true silent=false")
        .arg("audio-sink=fakesink name=asink sync=true")
        // mssdemux, the demuxer the issue names (1.22 also ships mssdemux2, ranked above it).
        .env("GST_PLUGIN_FEATURE_RANK", "mssdemux2:NONE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{gst_launch} (through stdbuf): {e}"))?;
    let mut out = child.stdout.take().expect("piped stdout");
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        let deadline = Instant::now() + limit;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status.to_string(),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return format!("killed after {:.0} s (pid {pid})", limit.as_secs_f64());
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => return e.to_string(),
            }
        }
    });
    let mut run = GstRun { frames: Vec::new(), pauses: Vec::new(), eos: false, exit: String::new() };
    let mut line = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let now = Instant::now();
        for &b in &buf[..n] {
            if b != b'\n' && b != b'\r' {
                line.push(b);
                continue;
            }
            let text = String::from_utf8_lossy(&line);
            if text.contains("vsink: last-message = chain") {
                if let Some(pts) = text.split("pts: ").nth(1).and_then(|r| r.split(',').next()).and_then(clock_time) {
                    run.frames.push((now, pts));
                }
            } else if text.starts_with("Buffering, setting pipeline to PAUSED") {
                run.pauses.push(now);
            } else if text.starts_with("Got EOS") {
                run.eos = true;
            }
            line.clear();
        }
    }
    run.exit = watchdog.join().unwrap_or_default();
    Ok(run)
}

/// One session with GStreamer (see the module docs for what is measured).
async fn play_gst(root: &Path, name: &str, video: &Video, job: &Job, scale: f64, gst_launch: &str) -> (SessionResult, Vec<RequestLog>) {
    let origin = Origin::serve(root.to_path_buf()).await;
    let config = ShaperConfig { scale, ..ShaperConfig::new(job.trace.clone()) };
    let shaper = Shaper::start(([127, 0, 0, 1], 0).into(), &origin.base, config).await.expect("start the shaper");
    let url = format!("{}{name}/Manifest", shaper.url());
    let secs = video.fragments() as f64 * video.fragment_ms() / 1000.0;
    let limit = Duration::from_secs_f64(secs * 3.0 + 60.0);
    let gst = gst_launch.to_string();
    let run = tokio::task::spawn_blocking(move || run_gst(&gst, &url, limit)).await.expect("gst task");
    let log = shaper.log();
    let (levels, abandoned, missing) = levels_from_log(video, &log);
    let (mut startup, mut rebuffer, mut stalls, mut pauses, mut shown) = (0.0, 0.0, 0, 0, 0.0);
    let mut stall_list = String::new();
    match (&run, shaper.clock_start()) {
        (Ok(run), Some(t0)) => {
            let frames: Vec<(f64, f64)> = run.frames.iter().map(|&(t, pts)| (t.saturating_duration_since(t0).as_secs_f64(), pts)).collect();
            let (first, list) = playout_from_frames(&frames);
            startup = first;
            rebuffer = list.iter().map(|s| s.1).sum();
            stalls = list.len() as u32;
            stall_list = list.iter().map(|(end, len)| format!(" {len:.2} s to {end:.2} s")).collect::<Vec<_>>().join(",");
            pauses = run.pauses.len();
            shown = run.frames.last().map_or(0.0, |f| f.1);
            if !run.eos || shown < secs - 1.0 {
                eprintln!("{}: gstreamer did not play to the end (last frame {shown:.2} s, EOS {}, exit {})", job.trace.name, run.eos, run.exit);
            }
        }
        (Ok(_), None) => eprintln!("{}: gstreamer made no request", job.trace.name),
        (Err(e), _) => eprintln!("{}: {e}", job.trace.name),
    }
    eprintln!(
        "{}: gstreamer: {} frames shown up to {shown:.2} s, startup {startup:.2} s, {stalls} stalls ({rebuffer:.2} s:{stall_list}), {pauses} buffering pauses announced, {missing} fragments never fetched, {abandoned} downloads cut",
        job.trace.name,
        run.as_ref().map_or(0, |r| r.frames.len())
    );
    let kbps: Vec<f64> = (0..video.ladder.levels.len()).map(|l| video.kbps(l)).collect();
    let metrics = Metrics::compute(&kbps, &levels, rebuffer, stalls, startup, abandoned, None);
    (SessionResult { trace: job.trace.name.clone(), algorithm: job.algo.clone(), metrics, levels, samples: Vec::new() }, log)
}

/// Per algorithm: mean QoE real and simulated, median and worst |difference|.
fn summary(results: &[(SessionResult, Option<SessionResult>)]) {
    let mut algos: Vec<&str> = results.iter().map(|r| r.0.algorithm.as_str()).collect();
    algos.sort_unstable();
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

async fn play_one(root: &Path, name: &str, video: &Video, job: &Job, buffer: f64, scale: f64) -> (SessionResult, Vec<RequestLog>) {
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
    (result_from_stats(&job.trace.name, &job.algo, video, &stats), shaper.log())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn video() -> Video {
        Video::constant_bitrate(&[300, 750, 1200], Duration::from_secs(4), 3).unwrap()
    }

    fn log(request: &str, status: u16, done: bool, cut: bool) -> RequestLog {
        let s = Duration::from_secs(1);
        RequestLog {
            request: format!("GET /envivio.ism/{request}"),
            status,
            at: s,
            headers_at: Some(s),
            first_byte_at: Some(s),
            done_at: done.then_some(s),
            bytes: 1,
            cut_at: cut.then_some(s),
        }
    }

    #[test]
    fn requests_map_to_fragment_and_nearest_level() {
        let v = video();
        assert_eq!(fragment_of(&v, "GET /envivio.ism/QualityLevels(750000)/Fragments(video=40000000)"), Some((1, 1)));
        assert_eq!(fragment_of(&v, "GET /x/QualityLevels(1190000)/Fragments(video=80000000)"), Some((2, 2)), "nearest bitrate");
        assert_eq!(fragment_of(&v, "GET /envivio.ism/Manifest"), None);
        assert_eq!(fragment_of(&v, "GET /x/QualityLevels(abc)/Fragments(video=0)"), None);
    }

    #[test]
    fn the_last_finished_download_of_each_fragment_is_its_level() {
        let v = video();
        let l = [
            log("QualityLevels(1200000)/Fragments(video=0)", 200, false, true), // abandoned
            log("QualityLevels(300000)/Fragments(video=0)", 200, true, false),
            log("QualityLevels(750000)/Fragments(video=40000000)", 200, true, false),
            log("QualityLevels(1200000)/Fragments(video=80000000)", 404, true, false), // not a download
            log("Manifest", 200, true, false),
        ];
        assert_eq!(levels_from_log(&v, &l), (vec![0, 1, 0], 1, 1), "levels, abandoned, fragments never fetched");
    }

    #[test]
    fn stalls_are_jumps_of_wall_time_over_media_time() {
        // Startup at 0.5 s; frames every 40 ms; a 300 ms pause before the frame at 0.12 s.
        let frames = [(0.5, 0.0), (0.54, 0.04), (0.58, 0.08), (0.92, 0.12), (0.96, 0.16)];
        let (startup, stalls) = playout_from_frames(&frames);
        assert_eq!(startup, 0.5);
        assert_eq!(stalls.len(), 1);
        assert!((stalls[0].0 - 0.92).abs() < 1e-9 && (stalls[0].1 - 0.30).abs() < 1e-9, "{stalls:?}");
        assert_eq!(playout_from_frames(&[]), (0.0, Vec::new()));
        assert_eq!(clock_time("0:01:02.500000000"), Some(62.5));
        assert_eq!(clock_time("nonsense"), None);
    }
}
