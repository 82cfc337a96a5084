//! Command-line arguments of `smoothplay-sim` (clap derive).

use clap::Parser;
use smoothplay_heuristics::sim::{sweep, LiveConfig, SimConfig};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Videos: a Sabre movie JSON file, a Smooth Streaming presentation folder (Manifest + fragments),
or an http:// manifest URL (fragment sizes by HEAD).
Traces: files or folders of them; '<ms> <kbps> <latency_ms>' text or Sabre network JSON.

The CSV has one row per session: trace,algorithm,qoe_lin,qoe_lin_per_chunk,qoe_log,qoe_hd,
mean_bitrate_kbps,rebuffer_s,rebuffer_count,startup_s,switches,mean_switch_kbps,abandoned,
live_latency_s. Means and medians per algorithm go to stdout; a progress bar to stderr when it
is a terminal.";

/// Run ABR algorithms over network traces in virtual time (Sabre's model) and report QoE.
#[derive(Debug, Parser)]
#[command(name = "smoothplay-sim", version, after_help = AFTER_HELP)]
pub struct Args {
    /// Video: Sabre movie JSON, Smooth Streaming folder, or http:// manifest URL.
    #[arg(long, value_name = "FILE|DIR|URL")]
    pub video: String,

    /// Network traces: files or folders (every trace file inside, sorted by name).
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub traces: Vec<PathBuf>,

    /// Algorithms, comma-separated, or `all`: throughput bba bola bolae dynamic dynamicdash
    /// robustmpc classic smoothplay scenario mdp optimal.
    #[arg(long, value_name = "NAME[,NAME...]", value_delimiter = ',', required = true, value_parser = algorithm_name)]
    pub algo: Vec<String>,

    /// Write one CSV row per session to this file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Maximum buffer, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = SimConfig::default().max_buffer_s, value_parser = positive)]
    pub buffer: f64,

    /// Multiplier on every trace bandwidth (the Sabre validation uses 0.95).
    #[arg(long, value_name = "F", default_value_t = SimConfig::default().throughput_scale, value_parser = positive)]
    pub throughput_scale: f64,

    /// Never abandon a download in flight.
    #[arg(long)]
    pub no_abandon: bool,

    /// Live mode: join this many fragments behind the live edge (fragments appear at their
    /// wall-clock time; the mean distance to the live edge is reported). VOD when absent.
    #[arg(long, value_name = "JOIN_FRAGMENTS")]
    pub live: Option<usize>,

    /// Use every Nth trace of the sorted listing.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub every: usize,

    /// Worker threads; 0 uses one per core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Write SVG plots here: qoe_cdf.svg and session_ALGO_TRACE.svg.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,

    /// Draw sessions (bitrate and buffer over time) for the first N traces.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub plot_sessions: usize,
}

impl Args {
    /// The algorithms to run, `all` expanded, each once, in the order first named.
    pub fn algorithms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for name in &self.algo {
            let names = if name == "all" { sweep::all_algorithm_names() } else { vec![name.clone()] };
            for n in names {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// Simulator settings from the flags.
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            max_buffer_s: self.buffer,
            throughput_scale: self.throughput_scale,
            abandonment: !self.no_abandon,
            live: self.live.map(|join_fragments| LiveConfig { join_fragments }),
            record_samples: self.plot.is_some(),
            ..SimConfig::default()
        }
    }
}

/// One `--algo` item: a known name, or `all` (expanded by [`Args::algorithms`]).
fn algorithm_name(name: &str) -> Result<String, String> {
    let known = sweep::all_algorithm_names();
    if name == "all" || known.iter().any(|k| k == name) || smoothplay_heuristics::PRESETS.contains(&name) {
        Ok(name.to_string())
    } else {
        Err(format!("unknown algorithm {name:?} (known: {}, {}, all)", known.join(", "), smoothplay_heuristics::PRESETS.join(", ")))
    }
}

/// A finite number above zero.
fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        Ok(_) => Err("must be a positive number".into()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        let base = ["smoothplay-sim", "--video", "v.json", "--traces", "a", "b/"];
        Args::try_parse_from(base.iter().chain(extra))
    }

    #[test]
    fn definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn help_shows_every_default() {
        let help = Args::command().render_long_help().to_string();
        for (flag, default) in
            [("--buffer", "60"), ("--throughput-scale", "1"), ("--every", "1"), ("--threads", "0"), ("--plot-sessions", "3")]
        {
            let after = help.split_once(flag).map_or("", |(_, rest)| rest);
            let entry = after.split("\n  -").next().unwrap_or("");
            assert!(entry.contains(&format!("[default: {default}]")), "{flag}: {entry}");
        }
    }

    #[test]
    fn defaults_match_the_simulator_defaults() {
        let a = parse(&["--algo", "bola"]).expect("parse");
        assert_eq!(a.traces, vec![PathBuf::from("a"), PathBuf::from("b/")]);
        let cfg = a.sim_config();
        let d = SimConfig::default();
        assert_eq!((cfg.max_buffer_s, cfg.throughput_scale, cfg.abandonment), (60.0, 1.0, true));
        assert_eq!((cfg.max_buffer_s, cfg.throughput_scale, cfg.live), (d.max_buffer_s, d.throughput_scale, None));
        assert!(!cfg.record_samples);
        assert_eq!((a.every, a.threads, a.plot_sessions), (1, 0, 3));
    }

    #[test]
    fn every_flag_reaches_the_config() {
        let a = parse(&[
            "--algo",
            "bola,robustmpc",
            "--buffer",
            "20",
            "--throughput-scale",
            "0.95",
            "--no-abandon",
            "--live",
            "5",
            "--every",
            "10",
            "--threads",
            "2",
            "--plot",
            "out",
            "--plot-sessions",
            "1",
            "--csv",
            "x.csv",
        ])
        .expect("parse");
        let cfg = a.sim_config();
        assert_eq!((cfg.max_buffer_s, cfg.throughput_scale, cfg.abandonment), (20.0, 0.95, false));
        assert_eq!(cfg.live.map(|l| l.join_fragments), Some(5));
        assert!(cfg.record_samples, "plots need the time series");
        assert_eq!((a.every, a.threads, a.plot_sessions), (10, 2, 1));
        assert_eq!(a.csv, Some(PathBuf::from("x.csv")));
        assert_eq!(a.algorithms(), vec!["bola", "robustmpc"]);
    }

    #[test]
    fn presets_are_named_but_not_in_all() {
        let a = parse(&["--algo", "smoothplay-outages,all"]).expect("parse");
        let names = a.algorithms();
        assert_eq!(names.iter().filter(|n| n.as_str() == "smoothplay-outages").count(), 1);
        assert_eq!(names.len(), 13, "all (the 11 selectors and optimal), plus the preset named");
    }

    #[test]
    fn all_expands_and_repeats_are_dropped() {
        let a = parse(&["--algo", "bola,all,optimal"]).expect("parse");
        let names = a.algorithms();
        assert_eq!(names.len(), 12); // 11 selectors (ALGORITHMS) + optimal
        assert_eq!(names.first().map(String::as_str), Some("bola"));
        assert_eq!(names.last().map(String::as_str), Some("optimal"));
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        let e = parse(&["--algo", "bola,nope"]).expect_err("unknown name");
        assert!(e.to_string().contains("unknown algorithm \"nope\""), "{e}");
        for bad in [["--buffer", "0"], ["--buffer", "-1"], ["--throughput-scale", "NaN"], ["--every", "0"]] {
            assert!(parse(&["--algo", "bola", bad[0], bad[1]]).is_err(), "{bad:?}");
        }
        assert!(parse(&["--algo", "bola", "--frobnicate"]).is_err());
        assert!(Args::try_parse_from(["smoothplay-sim", "--video", "v", "--algo", "bola"]).is_err(), "--traces required");
        assert!(Args::try_parse_from(["smoothplay-sim", "--video", "v", "--traces", "t"]).is_err(), "--algo required");
    }
}
