use std::time::Instant;

use bytes::Bytes;

use super::{ByteSource, FetchError, FetchFuture, Fetched, Limits};

/// Local files: a presentation directory written by a packager (ffmpeg's `smoothstreaming`
/// muxer names fragment files exactly like their URLs). URLs here are file paths.
#[derive(Debug, Clone, Default)]
pub struct FileSource;

impl FileSource {
    /// A file source.
    pub fn new() -> Self {
        FileSource
    }
}

impl ByteSource for FileSource {
    fn fetch<'a>(&'a self, url: &'a str, limits: Limits) -> FetchFuture<'a> {
        Box::pin(async move {
            let path = url.strip_prefix("file://").unwrap_or(url);
            let start = Instant::now();
            let err = |e: std::io::Error| FetchError::File {
                path: path.to_string(),
                reason: e.to_string(),
                not_found: e.kind() == std::io::ErrorKind::NotFound,
            };
            let meta = tokio::fs::metadata(path).await.map_err(err)?;
            if meta.len() > limits.max_body_bytes {
                return Err(FetchError::TooLarge { url: path.to_string(), limit: limits.max_body_bytes });
            }
            // "First byte" = the file was found; the read that follows is the transfer,
            // so estimators see a (very high) throughput rather than none at all.
            let ttfb = start.elapsed();
            let body = tokio::fs::read(path).await.map_err(err)?;
            let elapsed = start.elapsed().max(ttfb + std::time::Duration::from_micros(1));
            Ok(Fetched { body: Bytes::from(body), ttfb, elapsed, attempts: 1, redirected_to: None, content_type: None })
        })
    }
}
