use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::{ByteSource, FetchError, FetchFuture, Fetched, Limits, Progress, ProgressFn, RetryPolicy};

/// Least time between two progress reports.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// Settings of the HTTP source. Defaults suit a desktop player on a real network.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Connection set-up limit.
    pub connect_timeout: Duration,
    /// Whole-request limit (headers and body).
    pub request_timeout: Duration,
    /// Retries on 5xx, timeouts and resets.
    pub retry: RetryPolicy,
    /// Sent as User-Agent.
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            retry: RetryPolicy::default(),
            user_agent: concat!("smoothplay/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// HTTP(S) source on reqwest (rustls; connections are kept alive and reused).
#[derive(Debug, Clone)]
pub struct HttpSource {
    client: reqwest::Client,
    config: HttpConfig,
}

impl HttpSource {
    /// Builds the client.
    pub fn new(config: HttpConfig) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| FetchError::Setup(e.to_string()))?;
        Ok(HttpSource { client, config })
    }

    async fn fetch_once(&self, url: &str, limits: Limits, progress: &mut Option<ProgressFn>) -> Result<Fetched, FetchError> {
        let start = Instant::now();
        let mut response = self.client.get(url).send().await.map_err(|e| classify(url, e, &self.config))?;
        let ttfb = start.elapsed();
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status { url: url.to_string(), status: status.as_u16() });
        }
        if let Some(len) = response.content_length() {
            if len > limits.max_body_bytes {
                return Err(FetchError::TooLarge { url: url.to_string(), limit: limits.max_body_bytes });
            }
        }
        let total = response.content_length();
        let mut body = BytesMut::new();
        let mut last_report = start;
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(url, e, &self.config))? {
            if body.len() as u64 + chunk.len() as u64 > limits.max_body_bytes {
                return Err(FetchError::TooLarge { url: url.to_string(), limit: limits.max_body_bytes });
            }
            body.extend_from_slice(&chunk);
            if let Some(report) = progress.as_mut() {
                if last_report.elapsed() >= PROGRESS_INTERVAL {
                    last_report = Instant::now();
                    report(Progress { bytes_done: body.len() as u64, bytes_total: total, elapsed: start.elapsed(), ttfb: Some(ttfb) });
                }
            }
        }
        Ok(Fetched { body: Bytes::from(body), ttfb, elapsed: start.elapsed(), attempts: 1 })
    }
}

fn classify(url: &str, e: reqwest::Error, config: &HttpConfig) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout { url: url.to_string(), after: config.request_timeout }
    } else {
        // Walk the source chain: reqwest's own message ("error sending request") hides the cause.
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        FetchError::Connection { url: url.to_string(), reason }
    }
}

impl ByteSource for HttpSource {
    fn fetch<'a>(&'a self, url: &'a str, limits: Limits) -> FetchFuture<'a> {
        self.fetch_with_retries(url, limits, None)
    }

    fn fetch_with_progress<'a>(&'a self, url: &'a str, limits: Limits, progress: ProgressFn) -> FetchFuture<'a> {
        self.fetch_with_retries(url, limits, Some(progress))
    }
}

impl HttpSource {
    fn fetch_with_retries<'a>(&'a self, url: &'a str, limits: Limits, mut progress: Option<ProgressFn>) -> FetchFuture<'a> {
        Box::pin(async move {
            let policy = self.config.retry;
            let mut attempt = 1;
            loop {
                match self.fetch_once(url, limits, &mut progress).await {
                    Ok(mut f) => {
                        f.attempts = attempt;
                        return Ok(f);
                    }
                    Err(e) if e.is_retryable() && attempt < policy.max_attempts.max(1) => {
                        attempt += 1;
                        tracing::debug!(%url, error = %e, attempt, "retrying");
                        tokio::time::sleep(policy.backoff(attempt)).await;
                    }
                    Err(e) => return Err(e),
                }
            }
        })
    }
}
