//! Many sessions at once: every algorithm on every trace (on all cores with the `parallel`
//! feature), plus summaries and CSV rows.

use super::oracle;
use super::session::{simulate, SessionResult, SimConfig};
use super::trace::Trace;
use super::video::Video;
use crate::selector::{selector_with_buffer, ALGORITHMS};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Every name the simulator accepts: [`ALGORITHMS`] plus `optimal`.
pub fn all_algorithm_names() -> Vec<String> {
    ALGORITHMS.iter().map(|s| s.to_string()).chain(std::iter::once("optimal".to_string())).collect()
}

/// Runs one session of the named algorithm (`optimal` runs the offline oracle's plan).
/// `None` for an unknown name.
pub fn run_named(name: &str, video: &Video, trace: &Trace, cfg: &SimConfig) -> Option<SessionResult> {
    if name == "optimal" {
        return Some(oracle::run_optimal(video, trace, cfg));
    }
    let mut sel = selector_with_buffer(name, &video.ladder, Duration::from_secs_f64(cfg.max_buffer_s.max(0.0)))?;
    let mut r = simulate(video, trace, sel.as_mut(), cfg);
    r.algorithm = name.to_string(); // a preset reports the name it was asked by
    Some(r)
}

/// Runs every (trace, algorithm) pair and returns the results in (trace, algorithm) order,
/// skipping unknown algorithm names. `progress(done, total)` is called after each session,
/// from whichever thread ran it.
///
/// With the `parallel` feature (part of the default `cli`) sessions run on rayon: on
/// `threads` threads, or on the global pool (one thread per core) when `threads` is 0.
/// Without it they run one after another on the calling thread and `threads` is ignored.
/// Each session is independent and deterministic, so the results do not depend on either.
pub fn sweep(
    video: &Video,
    traces: &[Trace],
    algorithms: &[String],
    cfg: &SimConfig,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<SessionResult> {
    let jobs: Vec<(&Trace, &str)> =
        traces.iter().flat_map(|t| algorithms.iter().map(move |a| (t, a.as_str()))).collect();
    let total = jobs.len();
    let done = AtomicUsize::new(0);
    let run = |&(trace, name): &(&Trace, &str)| {
        let r = run_named(name, video, trace, cfg);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        r
    };
    run_jobs(&jobs, threads, &run).into_iter().flatten().collect()
}

/// Maps `run` over `jobs` on rayon, keeping the order of `jobs`.
#[cfg(feature = "parallel")]
fn run_jobs<J: Sync, R: Send>(jobs: &[J], threads: usize, run: &(dyn Fn(&J) -> R + Sync)) -> Vec<R> {
    use rayon::prelude::*;
    let map = || jobs.par_iter().map(run).collect();
    if threads == 0 {
        return map();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(map),
        // The OS refused the threads: the global pool still gets the work done.
        Err(_) => map(),
    }
}

/// Maps `run` over `jobs` on the calling thread (no `parallel` feature).
#[cfg(not(feature = "parallel"))]
fn run_jobs<J, R>(jobs: &[J], _threads: usize, run: &(dyn Fn(&J) -> R + Sync)) -> Vec<R> {
    jobs.iter().map(run).collect()
}

/// Means and medians of one algorithm over its sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Algorithm name.
    pub algorithm: String,
    /// Sessions summarised.
    pub sessions: usize,
    /// Mean QoE_lin per session.
    pub qoe_lin_mean: f64,
    /// Median QoE_lin per session.
    pub qoe_lin_median: f64,
    /// Mean QoE_lin per chunk (QoE_lin / (fragments - 1)).
    pub qoe_lin_per_chunk_mean: f64,
    /// Mean QoE_log.
    pub qoe_log_mean: f64,
    /// Mean QoE_HD.
    pub qoe_hd_mean: f64,
    /// Mean of mean bitrates, kbit/s.
    pub bitrate_kbps_mean: f64,
    /// Mean rebuffering, seconds.
    pub rebuffer_s_mean: f64,
    /// Median rebuffering, seconds.
    pub rebuffer_s_median: f64,
    /// Mean startup, seconds.
    pub startup_s_mean: f64,
    /// Mean switch count.
    pub switches_mean: f64,
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Summaries per algorithm, in the order algorithms first appear.
pub fn summarize(results: &[SessionResult]) -> Vec<Summary> {
    let mut names: Vec<&str> = Vec::new();
    for r in results {
        if !names.contains(&r.algorithm.as_str()) {
            names.push(&r.algorithm);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let rs: Vec<&SessionResult> = results.iter().filter(|r| r.algorithm == name).collect();
            let col = |f: &dyn Fn(&SessionResult) -> f64| rs.iter().map(|r| f(r)).collect::<Vec<f64>>();
            let qoe = col(&|r| r.metrics.qoe_lin);
            let reb = col(&|r| r.metrics.rebuffer_s);
            Summary {
                algorithm: name.to_string(),
                sessions: rs.len(),
                qoe_lin_mean: mean(&qoe),
                qoe_lin_median: median(&qoe),
                qoe_lin_per_chunk_mean: mean(&col(&|r| r.metrics.qoe_lin_per_chunk)),
                qoe_log_mean: mean(&col(&|r| r.metrics.qoe_log)),
                qoe_hd_mean: mean(&col(&|r| r.metrics.qoe_hd)),
                bitrate_kbps_mean: mean(&col(&|r| r.metrics.mean_bitrate_kbps)),
                rebuffer_s_mean: mean(&reb),
                rebuffer_s_median: median(&reb),
                startup_s_mean: mean(&col(&|r| r.metrics.startup_s)),
                switches_mean: mean(&col(&|r| r.metrics.switches as f64)),
            }
        })
        .collect()
}

/// CSV header of [`csv_row`].
pub const CSV_HEADER: &str = "trace,algorithm,qoe_lin,qoe_lin_per_chunk,qoe_log,qoe_hd,mean_bitrate_kbps,rebuffer_s,rebuffer_count,startup_s,switches,mean_switch_kbps,abandoned,live_latency_s";

/// One CSV row per session (trace names with commas or quotes are quoted).
pub fn csv_row(r: &SessionResult) -> String {
    let m = &r.metrics;
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    format!(
        "{},{},{:.6},{:.6},{:.6},{:.6},{:.3},{:.6},{},{:.6},{},{:.3},{},{}",
        quote(&r.trace),
        quote(&r.algorithm),
        m.qoe_lin,
        m.qoe_lin_per_chunk,
        m.qoe_log,
        m.qoe_hd,
        m.mean_bitrate_kbps,
        m.rebuffer_s,
        m.rebuffer_count,
        m.startup_s,
        m.switches,
        m.mean_switch_kbps,
        m.abandoned,
        m.live_latency_s.map_or(String::new(), |l| format!("{l:.3}")),
    )
}

/// The summary table printed by the CLI.
pub fn summary_table(summaries: &[Summary]) -> String {
    let mut s = format!(
        "{:<18} {:>5} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}\n",
        "algorithm", "n", "qoe_mean", "qoe_median", "qoe/chunk", "qoe_log", "qoe_hd", "kbps", "rebuf_s", "startup", "switches"
    );
    for m in summaries {
        s.push_str(&format!(
            "{:<18} {:>5} {:>10.3} {:>10.3} {:>9.4} {:>9.3} {:>9.2} {:>9.1} {:>9.3} {:>8.3} {:>8.2}\n",
            m.algorithm,
            m.sessions,
            m.qoe_lin_mean,
            m.qoe_lin_median,
            m.qoe_lin_per_chunk_mean,
            m.qoe_log_mean,
            m.qoe_hd_mean,
            m.bitrate_kbps_mean,
            m.rebuffer_s_mean,
            m.startup_s_mean,
            m.switches_mean
        ));
    }
    s
}

/// Development aid for tuning on one half of a trace set and checking on the other: given
/// `(index in the listing, QoE_lin per chunk, rebuffering s, switches)` per session, the means
/// over the even indices (tune half), the odd ones (held-out half) and all, as
/// `" | tune Q rb R sw S | held ... | full ..."`.
pub fn halves_summary(results: &[(usize, f64, f64, f64)]) -> String {
    let mut line = String::new();
    for (label, keep) in [("tune", Some(0)), ("held", Some(1)), ("full", None)] {
        let sel: Vec<_> = results.iter().filter(|r| keep.is_none_or(|k| r.0 % 2 == k)).collect();
        let n = sel.len().max(1) as f64;
        let mean = |f: fn(&&(usize, f64, f64, f64)) -> f64| sel.iter().map(f).sum::<f64>() / n;
        let (q, rb, sw) = (mean(|r| r.1), mean(|r| r.2), mean(|r| r.3));
        line += &format!(" | {label} {q:.4} rb {rb:.3} sw {sw:.2}");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_summary_splits_by_index_parity() {
        // Tune (even): QoE 1 and 3 -> 2; held (odd): 5; full: (1 + 5 + 3) / 3 = 3.
        let r = [(0, 1.0, 0.0, 2.0), (1, 5.0, 1.5, 4.0), (2, 3.0, 0.0, 0.0)];
        assert_eq!(
            halves_summary(&r),
            " | tune 2.0000 rb 0.000 sw 1.00 | held 5.0000 rb 1.500 sw 4.00 | full 3.0000 rb 0.500 sw 2.00"
        );
    }

    #[test]
    fn median_and_mean() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(mean(&[1.0, 2.0]), 1.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn sweep_runs_every_pair_in_order() {
        let v = Video::constant_bitrate(&[300, 750, 1200], Duration::from_secs(4), 10).unwrap();
        let traces = vec![Trace::constant(500.0, 80.0), Trace::constant(3000.0, 80.0)];
        let algos: Vec<String> = vec!["throughput".into(), "bba".into(), "nope".into()];
        let r = sweep(&v, &traces, &algos, &SimConfig::default(), 2, &|_, _| {});
        assert_eq!(r.len(), 4, "unknown algorithm skipped");
        assert_eq!((r[0].trace.as_str(), r[0].algorithm.as_str()), ("constant-500kbps", "throughput"));
        assert_eq!((r[3].trace.as_str(), r[3].algorithm.as_str()), ("constant-3000kbps", "bba"));
        let s = summarize(&r);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].sessions, 2);
        assert!(csv_row(&r[0]).starts_with("constant-500kbps,throughput,"));
    }

    #[test]
    fn sweep_results_and_progress_do_not_depend_on_threads() {
        let v = Video::constant_bitrate(&[300, 750, 1200, 3000], Duration::from_secs(4), 20).unwrap();
        let traces: Vec<Trace> = [400.0, 900.0, 2000.0, 5000.0].iter().map(|&k| Trace::constant(k, 80.0)).collect();
        let algos: Vec<String> = ["bola", "robustmpc", "smoothplay", "optimal"].iter().map(|s| s.to_string()).collect();
        let run = |threads: usize| {
            let calls = AtomicUsize::new(0);
            let last = AtomicUsize::new(0);
            let r = sweep(&v, &traces, &algos, &SimConfig::default(), threads, &|done, total| {
                assert_eq!(total, 16);
                calls.fetch_add(1, Ordering::Relaxed);
                last.fetch_max(done, Ordering::Relaxed);
            });
            assert_eq!((calls.into_inner(), last.into_inner()), (16, 16), "one progress call per session");
            r
        };
        let one = run(1);
        assert_eq!(one.len(), 16);
        assert_eq!(one, run(3));
        assert_eq!(one, run(0));
    }
}
