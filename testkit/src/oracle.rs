//! Independent references from ffmpeg, to compare the engine's decoding with.
//!
//! The engine's own fragment parser extracts the access units (that part is mechanical
//! and tested against the peer fixtures); the *decoding* reference is ffmpeg's, a
//! different decoder from openh264 and symphonia.

use std::path::Path;
use std::process::Command;

/// True when an `ffmpeg` binary is on PATH.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg").arg("-version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// Panics with a clear message when ffmpeg is missing: the oracle tests must not pass
/// vacuously (CI installs ffmpeg; see scripts/install-deps.sh).
pub fn require_ffmpeg() {
    assert!(ffmpeg_available(), "ffmpeg is required for oracle tests: run scripts/install-deps.sh");
}

/// The md5 column of a framemd5 listing (ffmpeg's or ours), in order.
pub fn parse_framemd5(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_string()))
        .collect()
}

fn run_ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg").args(["-hide_banner", "-v", "error", "-nostdin"]).args(args).output().expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// ffmpeg's per-frame md5 (yuv420p) of an Annex-B H.264 elementary stream.
pub fn ffmpeg_h264_framemd5(annexb: &Path) -> Vec<String> {
    let p = annexb.to_str().expect("utf-8 path");
    let out = run_ffmpeg(&["-f", "h264", "-i", p, "-pix_fmt", "yuv420p", "-f", "framemd5", "-"]);
    parse_framemd5(&String::from_utf8_lossy(&out))
}

/// ffmpeg's decoded frames (yuv420p, all the same size) of an Annex-B H.264 stream.
pub fn ffmpeg_h264_frames(annexb: &Path, width: u32, height: u32) -> Vec<Vec<u8>> {
    let p = annexb.to_str().expect("utf-8 path");
    let out = run_ffmpeg(&["-f", "h264", "-i", p, "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"]);
    let size = (width as usize * height as usize * 3) / 2;
    out.chunks(size).filter(|c| c.len() == size).map(<[u8]>::to_vec).collect()
}

/// ffmpeg's decode of an ADTS AAC stream as interleaved f32 samples.
pub fn ffmpeg_aac_f32(adts: &Path) -> Vec<f32> {
    let p = adts.to_str().expect("utf-8 path");
    let out = run_ffmpeg(&["-f", "aac", "-i", p, "-f", "f32le", "-acodec", "pcm_f32le", "-"]);
    out.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// PSNR in dB of two equally sized 8-bit buffers (`f64::INFINITY` when identical).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "frame sizes differ");
    let mse: f64 = a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>() / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// Signal-to-noise ratio in dB of `test` against `reference`.
pub fn snr_db(reference: &[f32], test: &[f32]) -> f64 {
    let n = reference.len().min(test.len());
    let signal: f64 = reference[..n].iter().map(|&x| f64::from(x).powi(2)).sum();
    let noise: f64 = reference[..n].iter().zip(&test[..n]).map(|(&r, &t)| (f64::from(r) - f64::from(t)).powi(2)).sum();
    if noise == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (signal / noise).log10()
    }
}

/// md5 hex of bytes.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    let d = md5::Md5::digest(data);
    d.iter().map(|b| format!("{b:02x}")).collect()
}
