//! Shared helpers for the decode integration tests: ffmpeg as the independent encoder and
//! reference decoder, Annex-B access-unit splitting, PSNR/SNR.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use smoothplay_engine::decode::annexb::{self, NAL_PPS, NAL_SPS};

/// True when ffmpeg and ffprobe run; otherwise prints a loud skip message.
pub fn ffmpeg_available(test: &str) -> bool {
    let ok = ["ffmpeg", "ffprobe"].iter().all(|t| {
        Command::new(t)
            .arg("-version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    });
    if !ok {
        eprintln!("\n!!!!!!!! SKIPPING {test}: ffmpeg/ffprobe not found on PATH (apt-get install ffmpeg) !!!!!!!!\n");
    }
    ok
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "smoothplay-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// x264 options for baseline-like streams: no B-frames, an IDR every 10 frames, closed GOPs.
pub const CLOSED_GOP_10_NO_B: &[&str] = &["-bf", "0", "-g", "10", "-keyint_min", "10", "-sc_threshold", "0"];

/// Runs a tool, panicking with its stderr on failure; returns stdout.
pub fn run(tool: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let mut all = vec!["-hide_banner", "-loglevel", "error", "-nostdin", "-y"];
    all.extend_from_slice(args);
    run("ffmpeg", &all)
}

/// ffmpeg's own decode of the video in `input` as framemd5 text (the independent oracle).
pub fn ffmpeg_framemd5(input: &Path) -> String {
    let input = input.to_str().expect("UTF-8 temp path");
    let out = ffmpeg(&["-i", input, "-fflags", "+bitexact", "-pix_fmt", "yuv420p", "-f", "framemd5", "-"]);
    String::from_utf8(out).expect("framemd5 is text")
}

/// Encodes `frames` frames of a moving test pattern at 25 fps with libx264 into `out`
/// (container chosen by extension; `.h264` gives Annex-B). `x264` are extra output args.
pub fn encode_video(out: &Path, size: &str, frames: u32, x264: &[&str]) {
    let src = format!("testsrc2=size={size}:rate=25,format=yuv420p");
    let n = frames.to_string();
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        &src,
        "-frames:v",
        &n,
        "-c:v",
        "libx264",
    ];
    args.extend_from_slice(x264);
    let o = out.to_str().expect("utf-8 path");
    args.push(o);
    ffmpeg(&args);
}

/// An Annex-B stream split the way a Smooth packager stores it: the SPS/PPS (as
/// CodecPrivateData, Annex-B) and one sample per access unit holding its other NAL units
/// (parameter sets and access unit delimiters removed, so the decoder must get them from
/// the CodecPrivateData).
pub struct Elementary {
    pub codec_private_data: Vec<u8>,
    pub access_units: Vec<Vec<Vec<u8>>>,
}

impl Elementary {
    pub fn parse(stream: &[u8]) -> Self {
        let mut cpd = Vec::new();
        let mut seen_ps = false;
        let mut aus: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut current: Vec<Vec<u8>> = Vec::new();
        let mut current_has_vcl = false;
        for nal in annexb::nal_units(stream) {
            let t = nal[0] & 0x1f;
            let is_vcl = t == 1 || t == 5;
            // first_mb_in_slice == 0 (ue(v) "1") starts a new picture.
            let starts_picture = is_vcl && nal.get(1).is_some_and(|b| b & 0x80 != 0);
            let starts_au = (starts_picture || matches!(t, 6..=9)) && current_has_vcl;
            if starts_au {
                aus.push(std::mem::take(&mut current));
                current_has_vcl = false;
            }
            match t {
                // Parameter sets before the first picture become CodecPrivateData; later
                // repeats are dropped like a Smooth packager does.
                NAL_SPS | NAL_PPS => {
                    if !seen_ps {
                        cpd.extend_from_slice(&annexb::START_CODE);
                        cpd.extend_from_slice(nal);
                    }
                }
                9 => {}
                _ => {
                    if is_vcl {
                        seen_ps = true;
                        current_has_vcl = true;
                    }
                    current.push(nal.to_vec());
                }
            }
        }
        if !current.is_empty() {
            aus.push(current);
        }
        Elementary {
            codec_private_data: cpd,
            access_units: aus,
        }
    }

    /// Every access unit as a length-prefixed sample.
    pub fn samples(&self, nal_length_size: u8) -> Vec<Vec<u8>> {
        self.access_units
            .iter()
            .map(|au| {
                let refs: Vec<&[u8]> = au.iter().map(Vec::as_slice).collect();
                annexb::to_length_prefixed(&refs, nal_length_size).expect("NAL fits the prefix")
            })
            .collect()
    }
}

/// Packet pts in decode order, as ffprobe reads them from a container.
pub fn packet_pts(file: &Path) -> Vec<i64> {
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts",
            "-of",
            "csv=p=0",
            file.to_str().unwrap(),
        ],
    );
    String::from_utf8(out)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

/// ffmpeg's decode of `input` as packed yuv420p pictures of `w`x`h`.
pub fn reference_pictures(dir: &TempDir, input: &Path, w: usize, h: usize) -> Vec<Vec<u8>> {
    let raw = dir.path("ref.yuv");
    ffmpeg(&[
        "-i",
        input.to_str().unwrap(),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        raw.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&raw).unwrap();
    let frame = w * h + 2 * (w / 2) * (h / 2);
    assert_eq!(bytes.len() % frame, 0, "reference decode is whole pictures");
    bytes.chunks(frame).map(<[u8]>::to_vec).collect()
}

/// PSNR in dB between two 8-bit pictures (infinity when identical).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// SNR in dB of `test` against `reference`.
pub fn snr(reference: &[f32], test: &[f32]) -> f64 {
    assert_eq!(reference.len(), test.len());
    let signal: f64 = reference.iter().map(|&x| f64::from(x).powi(2)).sum();
    let noise: f64 = reference
        .iter()
        .zip(test)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    if noise == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (signal / noise).log10()
    }
}

// --- A minimal test-only fragment reader (independent of engine::fmp4) ---------------

pub fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// Child boxes of `data` as (type, body).
pub fn boxes(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = be32(data, pos);
        assert!(
            size >= 8 && pos + size <= data.len(),
            "box size {size} at {pos}"
        );
        out.push((
            [data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]],
            &data[pos + 8..pos + size],
        ));
        pos += size;
    }
    out
}

/// Sample payloads of one single-track fragment, in decode order.
pub fn fragment_samples(bytes: &[u8]) -> Vec<Vec<u8>> {
    let top = boxes(bytes);
    let moof = top.iter().find(|(t, _)| t == b"moof").expect("moof").1;
    let mdat = top.iter().find(|(t, _)| t == b"mdat").expect("mdat").1;
    let traf = boxes(moof)
        .into_iter()
        .find(|(t, _)| t == b"traf")
        .expect("traf")
        .1;
    let children = boxes(traf);
    let tfhd = children.iter().find(|(t, _)| t == b"tfhd").expect("tfhd").1;
    let tf_flags = be32(tfhd, 0) & 0xff_ffff;
    let mut p = 8;
    for (flag, len) in [(0x1, 8), (0x2, 4), (0x8, 4)] {
        if tf_flags & flag != 0 {
            p += len;
        }
    }
    let default_size = (tf_flags & 0x10 != 0).then(|| be32(tfhd, p));
    let trun = children.iter().find(|(t, _)| t == b"trun").expect("trun").1;
    let flags = be32(trun, 0) & 0xff_ffff;
    let count = be32(trun, 4);
    let mut p = 8 + if flags & 0x1 != 0 { 4 } else { 0 } + if flags & 0x4 != 0 { 4 } else { 0 };
    let mut sizes = Vec::new();
    for _ in 0..count {
        if flags & 0x100 != 0 {
            p += 4;
        }
        let size = if flags & 0x200 != 0 {
            p += 4;
            be32(trun, p - 4)
        } else {
            default_size.expect("sample size")
        };
        sizes.push(size);
        p += if flags & 0x400 != 0 { 4 } else { 0 } + if flags & 0x800 != 0 { 4 } else { 0 };
    }
    let mut at = 0;
    sizes
        .into_iter()
        .map(|s| {
            let v = mdat[at..at + s].to_vec();
            at += s;
            v
        })
        .collect()
}
