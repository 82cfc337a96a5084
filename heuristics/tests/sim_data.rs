//! Simulator checks on the committed traces (no dependency on ../shared).

use smoothplay_heuristics::sim::{sweep, SimConfig, Trace, Video};
use smoothplay_heuristics::ALGORITHMS;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn traces() -> Vec<Trace> {
    ["fcc_test_fcc_trace_14731_1020.txt", "fcc_trace_866_640.txt", "hsdpa_bus_ljansbakken_0.txt", "hsdpa_metro_kalbakken_0.txt"]
        .iter()
        .map(|n| Trace::load(&data(n)).expect("trace"))
        .collect()
}

#[test]
fn oracle_bounds_every_rule_and_sessions_are_complete() {
    let video = Video::load(&data("envivio_pensieve_sabre.json")).expect("video");
    assert_eq!(video.fragments(), 48);
    let cfg = SimConfig::validation();
    for t in traces() {
        let opt = sweep::run_named("optimal", &video, &t, &cfg).expect("optimal");
        assert_eq!(opt.levels.len(), 48);
        for name in ALGORITHMS {
            let r = sweep::run_named(name, &video, &t, &cfg).expect(name);
            assert_eq!(r.levels.len(), 48, "{name} on {}", t.name);
            assert!(r.metrics.rebuffer_s >= 0.0 && r.metrics.startup_s > 0.0);
            assert!(
                opt.metrics.qoe_lin >= r.metrics.qoe_lin - 1e-6,
                "{name} on {}: {} > optimal {}",
                t.name,
                r.metrics.qoe_lin,
                opt.metrics.qoe_lin
            );
        }
    }
}

#[test]
fn throughput_scale_slows_downloads() {
    // Same selector and trace; x0.5 throughput can only lower the mean bitrate or add stalls.
    let video = Video::load(&data("envivio_pensieve_sabre.json")).expect("video");
    let t = Trace::load(&data("fcc_trace_866_640.txt")).expect("trace");
    let full = sweep::run_named("throughput", &video, &t, &SimConfig::default()).expect("run");
    let half = sweep::run_named("throughput", &video, &t, &SimConfig { throughput_scale: 0.5, ..SimConfig::default() })
        .expect("run");
    assert!(half.metrics.mean_bitrate_kbps < full.metrics.mean_bitrate_kbps);
    assert!(half.metrics.startup_s > full.metrics.startup_s);
}

#[test]
#[cfg(feature = "cli")] // the binary needs it (`required-features`)
fn cli_writes_csv_and_summary() {
    let out = std::env::temp_dir().join(format!("smoothplay-sim-test-{}.csv", std::process::id()));
    let plot_dir = std::env::temp_dir().join(format!("smoothplay-sim-plot-{}", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_smoothplay-sim"))
        .arg("--video")
        .arg(data("envivio_pensieve_sabre.json"))
        .arg("--traces")
        .arg(data("fcc_trace_866_640.txt"))
        .arg(data("hsdpa_bus_ljansbakken_0.txt"))
        .args(["--algo", "bola,smoothplay", "--buffer", "60", "--throughput-scale", "0.95", "--csv"])
        .arg(&out)
        .arg("--plot")
        .arg(&plot_dir)
        .output()
        .expect("run smoothplay-sim");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(stdout.contains("bola") && stdout.contains("smoothplay"), "{stdout}");
    let csv = std::fs::read_to_string(&out).expect("csv");
    let mut lines = csv.lines();
    let header = lines.next().expect("header");
    for col in ["trace", "algorithm", "qoe_lin", "mean_bitrate_kbps", "rebuffer_s", "startup_s", "switches"] {
        assert!(header.split(',').any(|c| c == col), "missing {col} in {header}");
    }
    assert_eq!(lines.count(), 4, "2 traces x 2 algorithms");
    assert!(plot_dir.join("qoe_cdf.svg").exists());
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_dir_all(&plot_dir);
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_smoothplay-sim"))
        .args(["--video", "x.json", "--traces", "y", "--algo", "nope"])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown algorithm"));
}
