//! Simulator checks on the committed traces (no dependency on ../shared).

use smoothplay_heuristics::sim::{sweep, LiveConfig, SimConfig, Trace, Video};
use smoothplay_heuristics::ALGORITHMS;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Every selector completes sessions on ladders and settings unlike the validation ones (one
/// level, twelve levels up to 40 Mbit/s, 1 s and 10 s fragments, a 400-fragment video, a tiny
/// and a huge buffer, live): every fragment played, finite figures, no panic.
#[test]
fn every_selector_survives_unusual_ladders_and_settings() {
    let trace = Trace::load(&data("hsdpa_bus_ljansbakken_0.txt")).expect("trace");
    let many: Vec<u64> = (0..12).map(|i| (100.0 * 1.6f64.powi(i)) as u64).collect(); // 100 .. 17 600 kbps
    let cases: Vec<(&str, Video, SimConfig)> = vec![
        ("one level", Video::constant_bitrate(&[800], Duration::from_secs(4), 20).unwrap(), SimConfig::default()),
        ("twelve levels", Video::constant_bitrate(&many, Duration::from_secs(2), 40).unwrap(), SimConfig::default()),
        ("1 s fragments, 10 s buffer", Video::constant_bitrate(&[300, 1200, 4000], Duration::from_secs(1), 60).unwrap(), SimConfig { max_buffer_s: 10.0, ..SimConfig::default() }),
        ("10 s fragments, 300 s buffer", Video::constant_bitrate(&[300, 1200, 40_000], Duration::from_secs(10), 12).unwrap(), SimConfig { max_buffer_s: 300.0, ..SimConfig::default() }),
        ("400 fragments", Video::constant_bitrate(&[300, 750, 1850, 4300], Duration::from_secs(2), 400).unwrap(), SimConfig::default()),
        ("live", Video::constant_bitrate(&[300, 750, 1850, 4300], Duration::from_secs(2), 60).unwrap(), SimConfig { live: Some(LiveConfig { join_fragments: 3 }), max_buffer_s: 20.0, ..SimConfig::default() }),
    ];
    for (label, video, cfg) in &cases {
        for name in ALGORITHMS {
            let r = sweep::run_named(name, video, &trace, cfg).expect(name);
            assert_eq!(r.levels.len(), video.fragments(), "{name}, {label}");
            assert!(r.levels.iter().all(|&q| q < video.ladder.len()), "{name}, {label}");
            let m = &r.metrics;
            assert!(m.qoe_lin.is_finite() && m.rebuffer_s.is_finite() && m.rebuffer_s >= 0.0, "{name}, {label}: {m:?}");
        }
    }
}
