use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;

use super::FetchError;

/// A completed transfer and its timing, the input of bandwidth estimation.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body.
    pub body: Bytes,
    /// From the request being sent to the first byte of the body (headers received).
    pub ttfb: Duration,
    /// From the request being sent to the last byte received (includes `ttfb`).
    pub elapsed: Duration,
    /// How many attempts it took (1 when the first succeeded).
    pub attempts: u32,
    /// Where the body came from when redirects led elsewhere (relative URLs in it, such
    /// as a manifest's fragment URLs, resolve against this); `None` when not redirected.
    pub redirected_to: Option<String>,
    /// The response's `Content-Type`, when the source has one (HTTP). Smooth Streaming
    /// servers put the sparse stream pointer there (MS-SSTR 2.2.5, `ChildTrack="..."`).
    pub content_type: Option<String>,
}

/// Size limits on what a source accepts, so a hostile server cannot exhaust memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body accepted, in bytes.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // A 2 s fragment at 50 Mbit/s is 12.5 MB; 64 MiB leaves room for long fragments.
        Limits { max_body_bytes: 64 * 1024 * 1024 }
    }
}

/// The boxed future a [`ByteSource`] returns (boxed so the trait is object-safe).
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Fetched, FetchError>> + Send + 'a>>;

/// How far a transfer has come, reported while it runs (for abandonment decisions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Body bytes received so far.
    pub bytes_done: u64,
    /// Body size, when the server said (Content-Length).
    pub bytes_total: Option<u64>,
    /// Since the request was sent.
    pub elapsed: Duration,
    /// Request to first byte, once the headers have arrived.
    pub ttfb: Option<Duration>,
}

/// Receives [`Progress`] reports during a fetch.
pub type ProgressFn = Box<dyn FnMut(Progress) + Send>;

/// Something that can fetch a whole resource by URL (or path).
///
/// Implementations report timing in [`Fetched`], enforce [`Limits`], and classify
/// failures in [`FetchError`]. Retrying is the implementation's business (see
/// [`super::RetryPolicy`]): a returned error is final for this request.
pub trait ByteSource: Send + Sync {
    /// Fetches `url` whole, at most `limits.max_body_bytes`.
    fn fetch<'a>(&'a self, url: &'a str, limits: Limits) -> FetchFuture<'a>;

    /// Like [`Self::fetch`], reporting progress as bytes arrive (at most every 50 ms).
    /// Sources that cannot report progress (local files are read at once) just fetch.
    fn fetch_with_progress<'a>(&'a self, url: &'a str, limits: Limits, progress: ProgressFn) -> FetchFuture<'a> {
        drop(progress);
        self.fetch(url, limits)
    }
}
