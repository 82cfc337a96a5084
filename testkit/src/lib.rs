//! Test support for smoothplay (not published).
//!
//! - [`origin`]: a loopback HTTP origin that serves a presentation directory, with
//!   scripted faults (error statuses, Retry-After, delays, resets, redirects, gzip,
//!   headers), a request log, on IPv4, IPv6 or TLS.
//! - [`raw_origin`]: a bare HTTP/1.1 file server over TCP for malformed answers (a reset
//!   inside the headers, a body shorter or longer than its Content-Length, a trickle, a
//!   stall, a huge header).
//! - [`tls`]: certificates for an https origin (self-signed, expired, private CA).
//! - [`live_origin`]: an on-demand presentation re-published as an endless live one, on
//!   a clock the test controls (pause/resume, dark levels, end of event).
//! - [`oracle`]: independent references from ffmpeg (per-frame md5, decoded audio) to
//!   compare the engine's output with.
//! - [`ffmpeg_live`]: a real live origin, ffmpeg's `smoothstreaming` muxer encoding in
//!   real time into a directory that [`origin::Origin`] serves.
#![forbid(unsafe_code)]

pub mod clearkey;
pub mod es;
pub mod ffmpeg_live;
pub mod live_origin;
pub mod live_text;
pub mod oracle;
pub mod origin;
pub mod raw_origin;
pub mod sinks;
pub mod tls;

/// The repository root (for fixtures and assets).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture presentation under tests/fixtures/media.
pub fn fixture_media(name: &str) -> std::path::PathBuf {
    repo_root().join("tests/fixtures/media").join(name)
}
