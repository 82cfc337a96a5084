//! Network traces: periods of constant bandwidth and per-request latency.
//!
//! Formats: the text format of `shared/traces` (`<duration_ms> <bandwidth_kbps> <latency_ms>`
//! per line) and Sabre's network JSON (`[{"duration_ms":..,"bandwidth_kbps":..,"latency_ms":..}]`).

use serde::Deserialize;
use std::path::Path;

/// Upper bound on periods per trace.
pub const MAX_PERIODS: usize = 100_000;
/// Largest trace file read, bytes.
pub const MAX_TRACE_BYTES: u64 = 16 << 20;

/// One period of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Period {
    /// Length of the period in milliseconds (> 0 after loading).
    pub duration_ms: f64,
    /// Throughput during the period in kbit/s (= bits per millisecond).
    pub bandwidth_kbps: f64,
    /// Latency of a request made during the period, in milliseconds.
    pub latency_ms: f64,
}

/// A network trace, replayed cyclically.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Name (file stem) used in reports.
    pub name: String,
    /// Periods with positive duration; at least one has positive bandwidth.
    pub periods: Vec<Period>,
}

/// Why a trace could not be loaded.
#[derive(Debug)]
pub enum TraceError {
    /// Reading the file failed.
    Io(std::io::Error),
    /// A text line is malformed (1-based line number and the line).
    Line(usize, String),
    /// Sabre JSON did not parse.
    Json(serde_json::Error),
    /// The trace has no usable period (none with positive duration and bandwidth), or too many.
    Unusable(String),
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceError::Io(e) => write!(f, "reading trace: {e}"),
            TraceError::Line(n, l) => write!(f, "trace line {n} is not '<ms> <kbps> <ms>': {l:?}"),
            TraceError::Json(e) => write!(f, "trace JSON: {e}"),
            TraceError::Unusable(why) => write!(f, "unusable trace: {why}"),
        }
    }
}

impl std::error::Error for TraceError {}

impl Trace {
    /// Builds a trace, dropping zero-length periods and validating the rest.
    pub fn new(name: impl Into<String>, periods: Vec<Period>) -> Result<Self, TraceError> {
        if periods.len() > MAX_PERIODS {
            return Err(TraceError::Unusable(format!("{} periods (max {MAX_PERIODS})", periods.len())));
        }
        let periods: Vec<Period> = periods.into_iter().filter(|p| p.duration_ms > 0.0).collect();
        for p in &periods {
            let ok = p.duration_ms.is_finite()
                && p.bandwidth_kbps.is_finite()
                && p.bandwidth_kbps >= 0.0
                && p.latency_ms.is_finite()
                && p.latency_ms >= 0.0;
            if !ok {
                return Err(TraceError::Unusable(format!("bad period {p:?}")));
            }
        }
        if !periods.iter().any(|p| p.bandwidth_kbps > 0.0) {
            return Err(TraceError::Unusable("no period with positive bandwidth".into()));
        }
        Ok(Trace { name: name.into(), periods })
    }

    /// A single-period constant trace (handy in tests).
    pub fn constant(bandwidth_kbps: f64, latency_ms: f64) -> Self {
        Trace {
            name: format!("constant-{bandwidth_kbps}kbps"),
            periods: vec![Period { duration_ms: 1e9, bandwidth_kbps, latency_ms }],
        }
    }

    /// Parses the text format.
    pub fn parse_text(name: &str, text: &str) -> Result<Self, TraceError> {
        let mut periods = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let nums: Vec<f64> = line
                .split_whitespace()
                .map(|t| t.parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| TraceError::Line(i + 1, line.to_string()))?;
            let [d, b, l] = nums[..] else {
                return Err(TraceError::Line(i + 1, line.to_string()));
            };
            if periods.len() == MAX_PERIODS {
                return Err(TraceError::Unusable(format!("more than {MAX_PERIODS} periods")));
            }
            periods.push(Period { duration_ms: d, bandwidth_kbps: b, latency_ms: l });
        }
        Self::new(name, periods)
    }

    /// Parses Sabre's network JSON.
    pub fn parse_json(name: &str, text: &str) -> Result<Self, TraceError> {
        let periods: Vec<Period> = serde_json::from_str(text).map_err(TraceError::Json)?;
        Self::new(name, periods)
    }

    /// Loads a file: `.json` as Sabre JSON, anything else as text.
    pub fn load(path: &Path) -> Result<Self, TraceError> {
        let len = std::fs::metadata(path).map_err(TraceError::Io)?.len();
        if len > MAX_TRACE_BYTES {
            return Err(TraceError::Unusable(format!("{} is {len} bytes (max {MAX_TRACE_BYTES})", path.display())));
        }
        let text = std::fs::read_to_string(path).map_err(TraceError::Io)?;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "json") {
            Self::parse_json(&name, &text)
        } else {
            Self::parse_text(&name, &text)
        }
    }

    /// The recording this trace was cut from, by name: the name without its trailing
    /// numeric `_<offset>` and `_<n>` fields (`test_fcc_trace_216810_http---www.facebook.com_840_0`
    /// -> `test_fcc_trace_216810_http---www.facebook.com`). The fcc and hsdpa sets are
    /// overlapping windows of fewer recordings; anything learned from trace content must be
    /// held out by recording, not by window.
    pub fn recording(&self) -> &str {
        let mut s = self.name.as_str();
        for _ in 0..2 {
            if let Some((head, tail)) = s.rsplit_once('_') {
                if !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit()) {
                    s = head;
                }
            }
        }
        s
    }

    /// Trace files under `path` (a file, or every regular file of a directory, sorted by name).
    pub fn list(path: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        if path.is_dir() {
            let mut v: Vec<_> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .filter(|p| !p.file_name().is_some_and(|n| n.eq_ignore_ascii_case("README.md")))
                .collect();
            v.sort();
            Ok(v)
        } else {
            Ok(vec![path.to_path_buf()])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_drops_trailing_window_numbers() {
        let t = |n: &str| Trace::parse_text(n, "1000 504 80\n").unwrap();
        assert_eq!(t("test_fcc_trace_216810_http---www.facebook.com_840_0").recording(), "test_fcc_trace_216810_http---www.facebook.com");
        assert_eq!(t("trace_866_http---www.amazon.com_640").recording(), "trace_866_http---www.amazon.com");
        assert_eq!(t("bus.ljansbakken-oslo-report.2010-09-28_1407CEST.log_0").recording(), "bus.ljansbakken-oslo-report.2010-09-28_1407CEST.log");
        assert_eq!(t("plain").recording(), "plain");
    }

    #[test]
    fn parses_text_and_json_alike() {
        let t = Trace::parse_text("a", "1000 504 80\n500.5 0 80\n\n0 100 80\n").unwrap();
        assert_eq!(t.periods.len(), 2, "zero-length period dropped");
        assert_eq!(t.periods[1].duration_ms, 500.5);
        let j = Trace::parse_json(
            "a",
            r#"[{"duration_ms":1000,"bandwidth_kbps":504,"latency_ms":80},{"duration_ms":500.5,"bandwidth_kbps":0,"latency_ms":80}]"#,
        )
        .unwrap();
        assert_eq!(t.periods, j.periods);
    }

    #[test]
    fn rejects_bad_traces() {
        assert!(matches!(Trace::parse_text("a", "1000 504"), Err(TraceError::Line(1, _))));
        assert!(matches!(Trace::parse_text("a", "1000 x 80"), Err(TraceError::Line(1, _))));
        assert!(matches!(Trace::parse_text("a", "1000 0 80"), Err(TraceError::Unusable(_))));
        assert!(matches!(Trace::parse_text("a", ""), Err(TraceError::Unusable(_))));
        assert!(matches!(Trace::parse_text("a", "1000 -5 80\n1000 5 80"), Err(TraceError::Unusable(_))));
        assert!(matches!(Trace::parse_text("a", "1000 NaN 80"), Err(TraceError::Unusable(_))));
    }
}
