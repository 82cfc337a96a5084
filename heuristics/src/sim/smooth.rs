//! A Smooth Streaming presentation as a simulator video: the `Manifest`'s video stream
//! (bitrates, resolutions, chunk durations) plus every fragment's size read from disk.
//!
//! Only what the simulator needs is parsed: a small attribute scanner, no XML crate, since
//! the library stays std + serde. The engine has the full manifest parser.

use super::video::{Video, VideoError, MAX_FRAGMENTS, MAX_LEVELS};
use crate::types::Level;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest manifest accepted, bytes.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Video stream description taken from a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoStream {
    /// Levels ascending by bitrate.
    pub levels: Vec<Level>,
    /// Start time of each chunk, in timescale units.
    pub starts: Vec<u64>,
    /// Duration of each chunk, in timescale units.
    pub durations: Vec<u64>,
    /// Ticks per second.
    pub timescale: u64,
    /// URL template (`QualityLevels({bitrate})/Fragments(video={start time})`).
    pub url_template: String,
}

impl VideoStream {
    /// Relative URL of chunk `i` at `level`.
    pub fn fragment_url(&self, level: usize, i: usize) -> Option<String> {
        let bitrate = self.levels.get(level)?.bitrate_bps.to_string();
        let start = self.starts.get(i)?.to_string();
        Some(
            self.url_template
                .replace("{bitrate}", &bitrate)
                .replace("{Bitrate}", &bitrate)
                .replace("{start time}", &start)
                .replace("{start_time}", &start),
        )
    }

    /// The simulator's video: `fragment_bytes(url)` gives the size of each fragment from its
    /// relative URL (a file's length on disk, a HEAD's Content-Length); the fragment
    /// duration is the mean chunk duration.
    pub fn into_video(
        self,
        mut fragment_bytes: impl FnMut(&str) -> Result<u64, VideoError>,
    ) -> Result<Video, VideoError> {
        let mut sizes = Vec::with_capacity(self.starts.len());
        for i in 0..self.starts.len() {
            let mut row = Vec::with_capacity(self.levels.len());
            for l in 0..self.levels.len() {
                let rel = self.fragment_url(l, i).unwrap_or_default();
                row.push(fragment_bytes(&rel)? as f64 * 8.0);
            }
            sizes.push(row);
        }
        let total: u64 = self.durations.iter().sum();
        let mean_s = total as f64 / self.durations.len() as f64 / self.timescale as f64;
        Video::new(self.levels, Duration::from_secs_f64(mean_s), sizes)
    }
}

/// Tags `(name, attributes)` of an XML document, in order (no nesting information:
/// closing tags come back as names starting with `/`).
fn tags(xml: &str) -> Vec<(String, HashMap<String, String>)> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let body = rest[..close].trim_end_matches('/').trim();
        rest = &rest[close + 1..];
        if body.starts_with('?') || body.starts_with('!') {
            continue;
        }
        let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
        let name = body[..name_end].to_string();
        let mut attrs = HashMap::new();
        let mut a = &body[name_end..];
        while let Some(eq) = a.find('=') {
            let key = a[..eq].trim().to_string();
            let after = a[eq + 1..].trim_start();
            let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else { break };
            let inner = &after[1..];
            let Some(end) = inner.find(quote) else { break };
            attrs.insert(key, inner[..end].to_string());
            a = &inner[end + 1..];
        }
        out.push((name, attrs));
    }
    out
}

fn num(attrs: &HashMap<String, String>, key: &str) -> Result<Option<u64>, VideoError> {
    attrs
        .get(key)
        .map(|v| v.trim().parse::<u64>().map_err(|_| VideoError::Invalid(format!("attribute {key}={v:?} is not a number"))))
        .transpose()
}

/// Parses the first video `StreamIndex` of a Smooth Streaming client manifest.
pub fn parse_video_stream(xml: &str) -> Result<VideoStream, VideoError> {
    let mut timescale = 10_000_000u64;
    let mut in_video = false;
    let mut found: Option<VideoStream> = None;
    let mut next_start = 0u64;
    for (name, attrs) in tags(xml) {
        match name.as_str() {
            "SmoothStreamingMedia" => timescale = num(&attrs, "TimeScale")?.unwrap_or(timescale),
            "StreamIndex" if found.is_none() && attrs.get("Type").is_some_and(|t| t.eq_ignore_ascii_case("video")) => {
                in_video = true;
                found = Some(VideoStream {
                    levels: Vec::new(),
                    starts: Vec::new(),
                    durations: Vec::new(),
                    timescale: num(&attrs, "TimeScale")?.unwrap_or(timescale),
                    url_template: attrs.get("Url").cloned().unwrap_or_default(),
                });
            }
            "/StreamIndex" => in_video = false,
            "QualityLevel" if in_video => {
                let s = found.as_mut().ok_or_else(|| VideoError::Invalid("QualityLevel outside StreamIndex".into()))?;
                let bitrate = num(&attrs, "Bitrate")?.ok_or_else(|| VideoError::Invalid("QualityLevel without Bitrate".into()))?;
                let w = num(&attrs, "MaxWidth")?.or(num(&attrs, "Width")?);
                let h = num(&attrs, "MaxHeight")?.or(num(&attrs, "Height")?);
                if s.levels.len() >= MAX_LEVELS {
                    return Err(VideoError::Invalid(format!("more than {MAX_LEVELS} QualityLevels")));
                }
                s.levels.push(Level {
                    bitrate_bps: bitrate,
                    width: w.and_then(|v| u32::try_from(v).ok()),
                    height: h.and_then(|v| u32::try_from(v).ok()),
                });
            }
            "c" if in_video => {
                let s = found.as_mut().ok_or_else(|| VideoError::Invalid("c outside StreamIndex".into()))?;
                let t = num(&attrs, "t")?.unwrap_or(next_start);
                let d = num(&attrs, "d")?.ok_or_else(|| VideoError::Invalid(format!("c at t={t} without d (needs the next c's t; unsupported)")))?;
                let r = num(&attrs, "r")?.unwrap_or(1).max(1);
                if s.starts.len() as u64 + r > MAX_FRAGMENTS as u64 {
                    return Err(VideoError::Invalid(format!("more than {MAX_FRAGMENTS} chunks")));
                }
                let mut start = t;
                for _ in 0..r {
                    s.starts.push(start);
                    s.durations.push(d);
                    start = start.saturating_add(d);
                }
                next_start = start;
            }
            _ => {}
        }
    }
    let mut s = found.ok_or_else(|| VideoError::Invalid("no video StreamIndex".into()))?;
    if s.levels.is_empty() || s.starts.is_empty() || s.timescale == 0 {
        return Err(VideoError::Invalid("video stream without levels, chunks or timescale".into()));
    }
    s.levels.sort_by_key(|l| l.bitrate_bps);
    Ok(s)
}

/// Loads a presentation from disk: `path` is the folder with `Manifest` or the manifest file;
/// fragment sizes are the sizes of the files the URL template names, relative to its folder.
pub fn load_presentation(path: &Path) -> Result<Video, VideoError> {
    let (dir, manifest): (PathBuf, PathBuf) = if path.is_dir() {
        (path.to_path_buf(), path.join("Manifest"))
    } else {
        (path.parent().map(Path::to_path_buf).unwrap_or_default(), path.to_path_buf())
    };
    let io = |p: &Path, e| VideoError::Io(p.display().to_string(), e);
    let len = std::fs::metadata(&manifest).map_err(|e| io(&manifest, e))?.len();
    if len > MAX_MANIFEST_BYTES {
        return Err(VideoError::Invalid(format!("manifest is {len} bytes (max {MAX_MANIFEST_BYTES})")));
    }
    let xml = std::fs::read_to_string(&manifest).map_err(|e| io(&manifest, e))?;
    parse_video_stream(&xml)?.into_video(|rel| {
        let file = dir.join(rel);
        Ok(std::fs::metadata(&file).map_err(|e| io(&file, e))?.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fixture_manifest_and_sizes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media/small.ism");
        let v = load_presentation(Path::new(dir)).unwrap();
        assert_eq!(v.ladder.len(), 2);
        assert_eq!(v.ladder.levels[0], Level { bitrate_bps: 200_000, width: Some(320), height: Some(180) });
        assert_eq!(v.fragments(), 5);
        assert_eq!(v.ladder.fragment_duration, Duration::from_secs(2));
        let f = std::fs::metadata(format!("{dir}/QualityLevels(400000)/Fragments(video=40000000)")).unwrap().len();
        assert_eq!(v.size_bits(2, 1), f as f64 * 8.0);
    }

    #[test]
    fn expands_repeats_and_rejects_garbage() {
        let s = parse_video_stream(
            r#"<SmoothStreamingMedia TimeScale="1000"><StreamIndex Type="audio"><QualityLevel Bitrate="1"/><c d="5"/></StreamIndex>
            <StreamIndex Type="video" Url="Q({bitrate})/F({start time})"><QualityLevel Bitrate="900" MaxWidth="640" MaxHeight="360"/>
            <QualityLevel Bitrate="300"/><c t="10" d="2000" r="3"/><c d="1000"/></StreamIndex></SmoothStreamingMedia>"#,
        )
        .unwrap();
        assert_eq!(s.starts, vec![10, 2010, 4010, 6010]);
        assert_eq!(s.timescale, 1000);
        assert_eq!(s.levels[0].bitrate_bps, 300);
        assert_eq!(s.fragment_url(1, 3).unwrap(), "Q(900)/F(6010)");
        assert!(parse_video_stream("<SmoothStreamingMedia/>").is_err());
        assert!(parse_video_stream(r#"<StreamIndex Type="video"><QualityLevel Bitrate="x"/></StreamIndex>"#).is_err());
        assert!(parse_video_stream(r#"<StreamIndex Type="video"><QualityLevel Bitrate="1"/><c t="0"/></StreamIndex>"#).is_err());
        assert!(parse_video_stream("<<<>>>\u{0}<a b=\"").is_err());
    }
}
