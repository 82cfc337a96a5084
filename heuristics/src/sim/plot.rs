//! Minimal SVG plots (no plotting crate: the library stays std + serde): a session's bitrate
//! and buffer over time, and QoE CDFs across sessions.

use super::session::SessionResult;
use std::fmt::Write;

const W: f64 = 800.0;
const H: f64 = 400.0;
const M: f64 = 50.0;
const COLORS: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn frame(out: &mut String, title: &str, x_label: &str, y_label: &str, x_max: f64, y_max: f64) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="20" text-anchor="middle" font-size="14">{}</text>
<line x1="{M}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{M}" y1="{M}" x2="{M}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">{}</text>
<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">{}</text>
<text x="{M}" y="{}" text-anchor="middle">0</text><text x="{}" y="{}" text-anchor="middle">{:.1}</text>
<text x="{}" y="{}" text-anchor="end">{:.1}</text>
"#,
        W / 2.0,
        esc(title),
        H - M,
        W - M,
        H - M,
        H - M,
        W / 2.0,
        H - 10.0,
        esc(x_label),
        H / 2.0,
        H / 2.0,
        esc(y_label),
        H - M + 15.0,
        W - M,
        H - M + 15.0,
        x_max,
        M - 5.0,
        M + 4.0,
        y_max
    );
}

fn polyline(out: &mut String, pts: &[(f64, f64)], x_max: f64, y_min: f64, y_max: f64, color: &str, step: bool) {
    let sx = |x: f64| M + (W - 2.0 * M) * x / x_max.max(1e-9);
    let sy = |y: f64| H - M - (H - 2.0 * M) * (y - y_min) / (y_max - y_min).max(1e-9);
    let mut d = String::new();
    let mut prev_y: Option<f64> = None;
    for &(x, y) in pts {
        if let (true, Some(py)) = (step, prev_y) {
            let _ = write!(d, "{:.1},{:.1} ", sx(x), sy(py));
        }
        let _ = write!(d, "{:.1},{:.1} ", sx(x), sy(y));
        prev_y = Some(y);
    }
    let _ = writeln!(out, r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{d}"/>"#);
}

/// Bitrate (step line, left scale) and buffer (right scale, dashed) of one session.
pub fn session_svg(r: &SessionResult) -> String {
    let x_max = r.samples.last().map_or(1.0, |s| s.time_s);
    let kbps_max = r.samples.iter().map(|s| s.bitrate_kbps).fold(1.0, f64::max);
    let buf_max = r.samples.iter().map(|s| s.buffer_s).fold(1.0, f64::max);
    let mut out = String::new();
    frame(&mut out, &format!("{} on {}", r.algorithm, r.trace), "time (s)", "bitrate (kbps) / buffer", x_max, kbps_max);
    let rate: Vec<(f64, f64)> = r.samples.iter().filter(|s| !s.abandoned).map(|s| (s.time_s, s.bitrate_kbps)).collect();
    polyline(&mut out, &rate, x_max, 0.0, kbps_max, COLORS[0], true);
    let buf: Vec<(f64, f64)> = r.samples.iter().map(|s| (s.time_s, s.buffer_s)).collect();
    let mut b = String::new();
    polyline(&mut b, &buf, x_max, 0.0, buf_max, COLORS[1], false);
    out.push_str(&b.replace("stroke-width", "stroke-dasharray=\"4 2\" stroke-width"));
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" fill="{}">bitrate (max {kbps_max:.0} kbps)</text><text x="{}" y="{}" fill="{}">buffer (max {buf_max:.1} s)</text></svg>"#,
        W - M - 200.0,
        M + 10.0,
        COLORS[0],
        W - M - 200.0,
        M + 25.0,
        COLORS[1]
    );
    out
}

/// CDF of QoE_lin per chunk across sessions, one line per algorithm.
pub fn qoe_cdf_svg(results: &[SessionResult]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for r in results {
        if !names.contains(&r.algorithm.as_str()) {
            names.push(&r.algorithm);
        }
    }
    let vals = |n: &str| {
        let mut v: Vec<f64> = results.iter().filter(|r| r.algorithm == n).map(|r| r.metrics.qoe_lin_per_chunk).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    };
    let all: Vec<f64> = results.iter().map(|r| r.metrics.qoe_lin_per_chunk).collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min).clamp(-3.0, 0.0);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max).max(lo + 1e-3);
    let mut out = String::new();
    frame(&mut out, "CDF of QoE_lin per chunk", &format!("QoE_lin per chunk ({lo:.2} .. {hi:.2})"), "fraction of sessions", 1.0, 1.0);
    for (i, n) in names.iter().enumerate() {
        let v = vals(n);
        let pts: Vec<(f64, f64)> =
            v.iter().enumerate().map(|(k, q)| ((q.max(lo) - lo) / (hi - lo), (k + 1) as f64 / v.len() as f64)).collect();
        // x on [0,1] scaled to the range; y is the CDF.
        polyline(&mut out, &pts, 1.0, 0.0, 1.0, COLORS[i % COLORS.len()], true);
        let _ = writeln!(out, r#"<text x="{}" y="{}" fill="{}">{}</text>"#, M + 10.0, M + 15.0 * (i as f64 + 1.0), COLORS[i % COLORS.len()], esc(n));
    }
    out.push_str("</svg>\n");
    out
}
