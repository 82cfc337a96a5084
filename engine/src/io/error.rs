use std::time::Duration;

/// Why a fetch failed. Classified by fault so callers can decide to retry, skip or stop.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The server answered with an error status.
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The requested URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// No complete answer within the time limit.
    #[error("{url}: timed out after {after:?}")]
    Timeout {
        /// The requested URL.
        url: String,
        /// How long we waited.
        after: Duration,
    },
    /// The connection could not be made, or broke (reset, closed early, DNS failure).
    #[error("{url}: connection failed: {reason}")]
    Connection {
        /// The requested URL.
        url: String,
        /// What the network stack said.
        reason: String,
    },
    /// The body is larger than the configured limit.
    #[error("{url}: body larger than the {limit} byte limit")]
    TooLarge {
        /// The requested URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A redirect was refused: too many in a row, a loop, or a move from https to http
    /// (a downgrade that would drop the transport security the user asked for).
    #[error("{url}: redirect refused: {reason}")]
    Redirect {
        /// The requested URL.
        url: String,
        /// Which rule refused it.
        reason: String,
    },
    /// The TLS handshake failed; a certificate the system does not trust (self-signed,
    /// expired, for another name) is never accepted silently.
    #[error("{url}: TLS handshake failed: {reason}")]
    Tls {
        /// The requested URL.
        url: String,
        /// What rustls said (it names the certificate problem).
        reason: String,
    },
    /// A local file could not be read.
    #[error("{path}: {reason}")]
    File {
        /// The file path.
        path: String,
        /// What the OS said.
        reason: String,
        /// True when the file does not exist.
        not_found: bool,
    },
    /// The HTTP client could not be built (a configuration problem, not the server's).
    #[error("HTTP client setup failed: {0}")]
    Setup(String),
}

impl FetchError {
    /// True for failures that can succeed on a later try: 5xx, 408, 429, timeouts, resets.
    /// 404/412 are not retried here: for on-demand content they are final, and live
    /// playback handles "not yet available" in the scheduler.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            FetchError::Timeout { .. } | FetchError::Connection { .. } => true,
            _ => false,
        }
    }

    /// True for "not there (yet)": HTTP 404 or 412, or a missing local file. On demand
    /// that is final; live, a fragment the encoder has not finished answers so.
    pub fn is_not_found(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 404 || *status == 412,
            FetchError::File { not_found, .. } => *not_found,
            _ => false,
        }
    }

    /// The URL or path this error is about, if any.
    pub fn url(&self) -> Option<&str> {
        match self {
            FetchError::Status { url, .. }
            | FetchError::Timeout { url, .. }
            | FetchError::Connection { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::Redirect { url, .. }
            | FetchError::Tls { url, .. } => Some(url),
            FetchError::File { path, .. } => Some(path),
            FetchError::Setup(_) => None,
        }
    }
}
