//! `smoothplay-sim`: run ABR algorithms over network traces and report QoE.
//!
//! ```text
//! smoothplay-sim --video FILE|DIR|URL --traces PATH... --algo NAME[,NAME...]|all [--csv FILE]
//!                [--buffer SECONDS] [--throughput-scale F] [--no-abandon] [--live JOIN]
//!                [--every N] [--threads N] [--plot DIR] [--plot-sessions N]
//! ```
//! `smoothplay-sim --help` describes every flag and its default.
#![forbid(unsafe_code)]

mod args;

use args::Args;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use smoothplay_heuristics::sim::{plot, sweep, SessionResult, Trace, Video};
use std::io::IsTerminal;
use std::path::Path;

/// A bar on stderr while sessions run; hidden when stderr is not a terminal (logs, pipes, CI).
fn progress_bar(sessions: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(sessions as u64);
    if let Ok(style) = ProgressStyle::with_template("[{bar:40}] {pos}/{len} sessions, {elapsed} elapsed, eta {eta}") {
        bar.set_style(style.progress_chars("#>-"));
    }
    bar
}

fn write_csv(path: &Path, results: &[SessionResult]) -> Result<(), String> {
    let mut s = String::from(sweep::CSV_HEADER);
    s.push('\n');
    for r in results {
        s.push_str(&sweep::csv_row(r));
        s.push('\n');
    }
    std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
}

/// `qoe_cdf.svg` over every session, and `session_<algo>_<trace>.svg` for the sessions on the
/// first `sessions` traces.
fn write_plots(dir: &Path, results: &[SessionResult], traces: &[Trace], sessions: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |name: String, svg: Result<String, plot::PlotError>| {
        let path = dir.join(name);
        std::fs::write(&path, svg.map_err(|e| e.to_string())?).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("qoe_cdf.svg".into(), plot::qoe_cdf_svg(results))?;
    for r in results.iter().filter(|r| traces.iter().take(sessions).any(|t| t.name == r.trace)) {
        // Trace names come from file names: keep the plot's file name portable.
        let safe: String =
            r.trace.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        write(format!("session_{}_{}.svg", r.algorithm, safe), plot::session_svg(r))?;
    }
    Ok(())
}

fn run(args: &Args) -> Result<(), String> {
    let video = Video::load_location(&args.video).map_err(|e| format!("{}: {e}", args.video))?;
    let mut files = Vec::new();
    for p in &args.traces {
        files.extend(Trace::list(p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    let traces = files
        .iter()
        .step_by(args.every)
        .map(|f| Trace::load(f).map_err(|e| format!("{}: {e}", f.display())))
        .collect::<Result<Vec<_>, _>>()?;
    let algorithms = args.algorithms();
    let bar = progress_bar(traces.len() * algorithms.len());
    let results = sweep::sweep(&video, &traces, &algorithms, &args.sim_config(), args.threads, &|_, _| bar.inc(1));
    bar.finish();
    if let Some(path) = &args.csv {
        write_csv(path, &results)?;
    }
    print!("{}", sweep::summary_table(&sweep::summarize(&results)));
    if let Some(dir) = &args.plot {
        write_plots(dir, &results, &traces, args.plot_sessions)?;
    }
    Ok(())
}

fn main() {
    // clap prints usage errors and --help itself (exit 2 and 0); errors past parsing exit 2 too.
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("smoothplay-sim: {e}");
        std::process::exit(2);
    }
}
