//! `smoothplay-sim`: run ABR algorithms over network traces and report QoE.
//!
//! ```text
//! smoothplay-sim --video FILE --traces PATH... --algo NAME[,NAME...] [--csv FILE]
//!                [--buffer SECONDS] [--throughput-scale F] [--no-abandon] [--live JOIN]
//!                [--every N] [--threads N] [--plot DIR] [--plot-sessions N] [--json]
//! ```
//! Arguments are parsed by hand: the crate keeps std + serde only.

use smoothplay_heuristics::sim::{plot, sweep, LiveConfig, SimConfig, Trace, Video};
use std::io::Write;
use std::path::PathBuf;

const USAGE: &str = "usage: smoothplay-sim --video FILE --traces PATH... --algo NAME[,NAME...]|all [--csv FILE]
  [--buffer SECONDS (60)] [--throughput-scale F (1.0)] [--no-abandon] [--live JOIN_FRAGMENTS]
  [--every N (use every Nth trace of the sorted listing)] [--threads N (all cores)]
  [--plot DIR] [--plot-sessions N (3)]
videos: Sabre movie JSON, a Smooth Streaming presentation folder (Manifest + fragments),
  or an http:// manifest URL (fragment sizes by HEAD)
traces: files or folders; '<ms> <kbps> <latency_ms>' text or Sabre network JSON
algorithms: throughput bba bola bolae dynamic dynamicdash robustmpc classic smoothplay optimal all";

struct Args {
    video: String,
    traces: Vec<PathBuf>,
    algos: Vec<String>,
    csv: Option<PathBuf>,
    cfg: SimConfig,
    every: usize,
    threads: usize,
    plot: Option<PathBuf>,
    plot_sessions: usize,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1).peekable();
    let mut video = None;
    let mut traces = Vec::new();
    let mut algos = Vec::new();
    let mut csv = None;
    let mut cfg = SimConfig::default();
    let mut every = 1;
    let mut threads = 0;
    let mut plot = None;
    let mut plot_sessions = 3;
    fn val<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse().map_err(|_| format!("{flag}: cannot parse {v:?}"))
    }
    while let Some(a) = it.next() {
        match a.as_str() {
            "--video" => video = Some(val::<String>(&a, it.next())?),
            "--traces" => {
                while let Some(p) = it.peek() {
                    if p.starts_with("--") {
                        break;
                    }
                    traces.push(PathBuf::from(it.next().unwrap_or_default()));
                }
            }
            "--algo" => {
                for n in val::<String>(&a, it.next())?.split(',') {
                    if n == "all" {
                        algos.extend(sweep::all_algorithm_names());
                    } else if sweep::all_algorithm_names().iter().any(|k| k == n) {
                        algos.push(n.to_string());
                    } else {
                        return Err(format!("unknown algorithm {n:?}"));
                    }
                }
            }
            "--csv" => csv = Some(PathBuf::from(val::<String>(&a, it.next())?)),
            "--buffer" => cfg.max_buffer_s = val(&a, it.next())?,
            "--throughput-scale" => cfg.throughput_scale = val(&a, it.next())?,
            "--no-abandon" => cfg.abandonment = false,
            "--live" => cfg.live = Some(LiveConfig { join_fragments: val(&a, it.next())? }),
            "--every" => every = val::<usize>(&a, it.next())?.max(1),
            "--threads" => threads = val(&a, it.next())?,
            "--plot" => plot = Some(PathBuf::from(val::<String>(&a, it.next())?)),
            "--plot-sessions" => plot_sessions = val(&a, it.next())?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let video = video.ok_or("--video is required")?;
    if traces.is_empty() {
        return Err("--traces is required".into());
    }
    if algos.is_empty() {
        return Err("--algo is required".into());
    }
    if !(cfg.max_buffer_s > 0.0 && cfg.throughput_scale > 0.0) {
        return Err("--buffer and --throughput-scale must be positive".into());
    }
    algos.dedup();
    Ok(Args { video, traces, algos, csv, cfg, every, threads, plot, plot_sessions })
}

fn run() -> Result<(), String> {
    let args = parse().map_err(|e| if e.is_empty() { USAGE.to_string() } else { format!("{e}\n{USAGE}") })?;
    let video = Video::load_location(&args.video).map_err(|e| format!("{}: {e}", args.video))?;
    let mut files = Vec::new();
    for p in &args.traces {
        files.extend(Trace::list(p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    let mut traces = Vec::new();
    for f in files.iter().step_by(args.every) {
        traces.push(Trace::load(f).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    let mut cfg = args.cfg.clone();
    cfg.record_samples = args.plot.is_some();
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    #[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; MSRV is 1.85
    let progress = |done: usize, total: usize| {
        if total >= 50 && (done % (total / 50).max(1) == 0 || done == total) {
            let filled = done * 40 / total;
            let bar: String = "#".repeat(filled) + &"-".repeat(40 - filled);
            let mut e = std::io::stderr();
            let _ = if tty { write!(e, "\r[{bar}] {done}/{total}") } else { writeln!(e, "[{bar}] {done}/{total}") };
            if done == total && tty {
                let _ = writeln!(e);
            }
        }
    };
    let results = sweep::sweep(&video, &traces, &args.algos, &cfg, args.threads, &progress);
    if let Some(path) = &args.csv {
        let mut s = String::from(sweep::CSV_HEADER);
        s.push('\n');
        for r in &results {
            s.push_str(&sweep::csv_row(r));
            s.push('\n');
        }
        std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    print!("{}", sweep::summary_table(&sweep::summarize(&results)));
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let write = |name: String, svg: String| std::fs::write(dir.join(name), svg).map_err(|e| e.to_string());
        write("qoe_cdf.svg".into(), plot::qoe_cdf_svg(&results))?;
        for r in results.iter().filter(|r| traces.iter().take(args.plot_sessions).any(|t| t.name == r.trace)) {
            let safe: String = r.trace.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
            write(format!("session_{}_{}.svg", r.algorithm, safe), plot::session_svg(r))?;
        }
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(2);
    }
}
