//! Byte sources: where manifests and fragments come from.
//!
//! One trait, [`ByteSource`], with an HTTP implementation ([`HttpSource`], reqwest with
//! rustls, keep-alive, timeouts and retries), a local one ([`FileSource`], a
//! presentation directory on disk) and a wrapper ([`FailoverSource`]) that moves a
//! session to a fallback origin when the current one fails. Every transfer reports its
//! size, time to first byte and duration: that is what the bandwidth estimator learns
//! from.

mod error;
mod failover;
mod file;
mod http;
mod location;
mod retry;
mod source;

pub use error::FetchError;
pub use failover::{FailoverSource, OriginSwitch};
pub use file::FileSource;
pub use http::{HttpConfig, HttpSource};
pub use location::{Location, LocationError};
pub use retry::RetryPolicy;
pub use source::{ByteSource, FetchFuture, Fetched, Limits, Progress, ProgressFn};

/// Opens the right source for a location: HTTP for http(s) URLs, files otherwise.
pub fn source_for(location: &Location, http: HttpConfig) -> Result<std::sync::Arc<dyn ByteSource>, FetchError> {
    Ok(match location {
        Location::Http { .. } => std::sync::Arc::new(HttpSource::new(http)?),
        Location::File { .. } => std::sync::Arc::new(FileSource::new()),
    })
}
