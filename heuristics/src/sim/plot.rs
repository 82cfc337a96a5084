//! SVG plots of simulator results (feature `plot`, drawn with plotters' SVG backend): one
//! session's bitrate and buffer over time, and QoE CDFs across sessions.

use super::session::SessionResult;
use plotters::prelude::*;
use std::fmt;

/// Size of every plot, pixels.
const SIZE: (u32, u32) = (800, 400);
/// Lowest QoE_lin per chunk drawn on the CDF axis: below it a session is a failure anyway, and
/// one catastrophic session would otherwise squash every other curve into a corner.
const CDF_FLOOR: f64 = -3.0;
/// One colour per algorithm, in order of first appearance (matplotlib's "tab10").
const COLORS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// A plot could not be drawn (plotters reported a layout or backend error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotError {
    /// Which plot failed.
    pub plot: String,
    /// plotters' message.
    pub message: String,
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plot {}: {}", self.plot, self.message)
    }
}

impl std::error::Error for PlotError {}

fn colour(i: usize) -> RGBColor {
    COLORS.get(i % COLORS.len()).copied().unwrap_or(BLACK)
}

/// Points of a step function: each value holds until the next point's x.
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    let mut prev_y: Option<f64> = None;
    for &(x, y) in points {
        if let Some(py) = prev_y {
            out.push((x, py));
        }
        out.push((x, y));
        prev_y = Some(y);
    }
    out
}

/// Empirical CDF of `values` (sorted here), as (value, fraction of values <= it), with each
/// value clamped to at least `floor`; it starts from 0 at the smallest value so the curve
/// rises from the axis.
fn cdf_points(mut values: Vec<f64>, floor: f64) -> Vec<(f64, f64)> {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len() as f64;
    let start = values.first().map(|&q| (q.max(floor), 0.0));
    start.into_iter().chain(values.iter().enumerate().map(|(k, &q)| (q.max(floor), (k + 1) as f64 / n))).collect()
}

/// Bitrate (step line, left axis, kbit/s) and buffer (dashed, right axis, seconds) of one
/// session, from its `samples` (empty unless the session ran with `record_samples`).
pub fn session_svg(r: &SessionResult) -> Result<String, PlotError> {
    let name = format!("session {} on {}", r.algorithm, r.trace);
    let err = |e: &dyn fmt::Display| PlotError { plot: name.clone(), message: e.to_string() };
    let x_max = r.samples.last().map_or(1.0, |s| s.time_s).max(1e-3);
    let kbps_max = r.samples.iter().map(|s| s.bitrate_kbps).fold(1.0, f64::max) * 1.05;
    let buf_max = r.samples.iter().map(|s| s.buffer_s).fold(1.0, f64::max) * 1.05;
    // Abandoned downloads delivered nothing playable: the bitrate line skips them.
    let rate: Vec<(f64, f64)> = r.samples.iter().filter(|s| !s.abandoned).map(|s| (s.time_s, s.bitrate_kbps)).collect();
    let buffer: Vec<(f64, f64)> = r.samples.iter().map(|s| (s.time_s, s.buffer_s)).collect();

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{} on {}", r.algorithm, r.trace), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .right_y_label_area_size(50)
            .build_cartesian_2d(0.0..x_max, 0.0..kbps_max)
            .map_err(|e| err(&e))?
            .set_secondary_coord(0.0..x_max, 0.0..buf_max);
        chart.configure_mesh().x_desc("time (s)").y_desc("bitrate (kbps)").draw().map_err(|e| err(&e))?;
        chart.configure_secondary_axes().y_desc("buffer (s)").draw().map_err(|e| err(&e))?;
        let rate_colour = colour(0);
        let buffer_colour = colour(1);
        chart
            .draw_series(LineSeries::new(steps(&rate), rate_colour.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label("bitrate (kbps)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], rate_colour.stroke_width(2)));
        chart
            .draw_secondary_series(DashedLineSeries::new(buffer, 6, 3, buffer_colour.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label("buffer (s)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], buffer_colour.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// CDF of QoE_lin per chunk across sessions, one line per algorithm (in order of first
/// appearance). Values below -3 are drawn at -3.
pub fn qoe_cdf_svg(results: &[SessionResult]) -> Result<String, PlotError> {
    let err = |e: &dyn fmt::Display| PlotError { plot: "qoe_cdf".into(), message: e.to_string() };
    let mut names: Vec<&str> = Vec::new();
    for r in results {
        if !names.contains(&r.algorithm.as_str()) {
            names.push(&r.algorithm);
        }
    }
    let all = results.iter().map(|r| r.metrics.qoe_lin_per_chunk).filter(|q| q.is_finite());
    let lo = all.clone().fold(f64::INFINITY, f64::min).clamp(CDF_FLOOR, 0.0);
    let hi = all.fold(f64::NEG_INFINITY, f64::max).max(lo + 1e-3);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("CDF of QoE_lin per chunk", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi, 0.0..1.0)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("QoE_lin per chunk")
            .y_desc("fraction of sessions")
            .draw()
            .map_err(|e| err(&e))?;
        for (i, name) in names.iter().enumerate() {
            let values = results.iter().filter(|r| r.algorithm == *name).map(|r| r.metrics.qoe_lin_per_chunk).collect();
            let c = colour(i);
            chart
                .draw_series(LineSeries::new(steps(&cdf_points(values, lo)), c.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Metrics, Sample};

    #[test]
    fn steps_hold_each_value_until_the_next_point() {
        assert_eq!(steps(&[(0.0, 1.0), (2.0, 3.0), (5.0, 2.0)]), vec![
            (0.0, 1.0),
            (2.0, 1.0),
            (2.0, 3.0),
            (5.0, 3.0),
            (5.0, 2.0)
        ]);
        assert!(steps(&[]).is_empty());
    }

    #[test]
    fn cdf_sorts_clamps_and_counts() {
        // Four sessions: the fraction at each sorted value is k/4; -7 is drawn at the floor.
        assert_eq!(cdf_points(vec![0.5, -7.0, 1.0, 0.25], -3.0), vec![
            (-3.0, 0.0),
            (-3.0, 0.25),
            (0.25, 0.5),
            (0.5, 0.75),
            (1.0, 1.0)
        ]);
        assert!(cdf_points(vec![], -3.0).is_empty());
    }

    /// The text content of every `<text>` element, trimmed.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text").skip(1).filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_string())).collect()
    }

    fn session(algorithm: &str, qoe_per_chunk: f64, samples: Vec<Sample>) -> SessionResult {
        SessionResult {
            trace: "t<1>".into(),
            algorithm: algorithm.into(),
            metrics: Metrics {
                fragments: 2,
                mean_bitrate_kbps: 0.0,
                rebuffer_s: 0.0,
                rebuffer_count: 0,
                startup_s: 0.0,
                switches: 0,
                mean_switch_kbps: 0.0,
                abandoned: 0,
                qoe_lin: qoe_per_chunk,
                qoe_lin_per_chunk: qoe_per_chunk,
                qoe_log: 0.0,
                qoe_hd: 0.0,
                live_latency_s: None,
            },
            levels: vec![],
            samples,
        }
    }

    fn sample(time_s: f64, bitrate_kbps: f64, buffer_s: f64, abandoned: bool) -> Sample {
        Sample { time_s, fragment: 0, level: 0, bitrate_kbps, buffer_s, abandoned }
    }

    #[test]
    fn session_plot_is_svg_with_both_series_and_escaped_title() {
        let r = session("bola", 1.0, vec![sample(1.0, 300.0, 4.0, false), sample(3.0, 4300.0, 8.0, false)]);
        let svg = session_svg(&r).expect("plot");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        let labels = texts(&svg);
        assert!(labels.iter().any(|t| t == "bola on t&lt;1&gt;"), "title escaped: {labels:?}");
        for axis in ["time (s)", "bitrate (kbps)", "buffer (s)"] {
            assert!(labels.iter().any(|t| t == axis), "{axis}: {labels:?}");
        }
        // Bitrate: one step line, 300 -> 4300 at t = 3 s (3 points) plus its legend swatch.
        let bitrate: Vec<&str> = svg.lines().filter(|l| l.contains("stroke=\"#1F77B4\"")).collect();
        assert_eq!(bitrate.len(), 2, "{bitrate:?}");
        assert!(bitrate.iter().any(|l| l.matches(',').count() == 3), "{bitrate:?}");
        // Buffer: dashes in the second colour (several segments) plus its legend swatch.
        assert!(svg.matches("stroke=\"#FF7F0E\"").count() > 3);
    }

    #[test]
    fn session_plot_without_samples_still_draws_axes() {
        let svg = session_svg(&session("bba", 0.0, vec![])).expect("plot");
        assert!(svg.contains("time (s)"));
    }

    #[test]
    fn cdf_plot_has_one_labelled_line_per_algorithm() {
        let rs = vec![session("bola", 0.8, vec![]), session("bba", -9.0, vec![]), session("bola", 1.1, vec![])];
        let svg = qoe_cdf_svg(&rs).expect("plot");
        let labels = texts(&svg);
        assert!(labels.iter().any(|t| t == "bola") && labels.iter().any(|t| t == "bba"), "{labels:?}");
        // Three sessions in two lines: bola's CDF steps through 1/2 and 1, bba's through 1.
        assert_eq!(svg.matches("stroke=\"#1F77B4\" stroke-width=\"2\"").count(), 2, "bola: line + legend");
        assert_eq!(svg.matches("stroke=\"#FF7F0E\" stroke-width=\"2\"").count(), 2, "bba: line + legend");
        assert!(!svg.contains("NaN"));
        let empty = qoe_cdf_svg(&[]).expect("plot with no sessions");
        assert!(empty.contains("CDF of QoE_lin per chunk"));
    }
}
