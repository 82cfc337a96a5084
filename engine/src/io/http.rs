use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::{ByteSource, FetchError, FetchFuture, Fetched, Limits, Progress, ProgressFn, RetryPolicy};

/// Least time between two progress reports.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// Settings of the HTTP source. Defaults suit a desktop player on a real network.
///
/// What bounds a request whatever the server does: one attempt ends within
/// `request_timeout` (a stalled connection or a body trickling in a byte at a time
/// included: the limit covers the headers and the whole body); a request ends within
/// `retry.max_attempts` such attempts plus the waits between them (backoff, or a 429/503's
/// `Retry-After` up to `max_retry_after`). Defaults: 3 x 20 s + 0.2 s + 0.4 s.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Connection set-up limit.
    pub connect_timeout: Duration,
    /// Whole-request limit (headers and body).
    pub request_timeout: Duration,
    /// Retries on 5xx, 408, 429, timeouts and resets.
    pub retry: RetryPolicy,
    /// Longest wait honoured from a `Retry-After` header (delta-seconds) before the next
    /// attempt; a longer one is cut to this. Default 10 s.
    pub max_retry_after: Duration,
    /// Redirects followed for one request (default 10); a loop or an https to http move
    /// is refused at once.
    pub max_redirects: usize,
    /// Extra trusted root certificates (DER), beside the system's (for a private CA).
    pub extra_root_certs: Vec<Vec<u8>>,
    /// Sent as User-Agent.
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            retry: RetryPolicy::default(),
            max_retry_after: Duration::from_secs(10),
            max_redirects: 10,
            extra_root_certs: Vec::new(),
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
        let max_redirects = config.max_redirects;
        let mut roots = Vec::new();
        for der in &config.extra_root_certs {
            roots.push(reqwest::Certificate::from_der(der).map_err(|e| FetchError::Setup(format!("extra root certificate: {e}")))?);
        }
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                match redirect_refusal(attempt.previous(), attempt.url(), max_redirects) {
                    Some(reason) => attempt.error(reason),
                    None => attempt.follow(),
                }
            }))
            .tls_certs_merge(roots)
            .build()
            .map_err(|e| FetchError::Setup(e.to_string()))?;
        Ok(HttpSource { client, config })
    }

    /// One attempt; on failure, also the server's `Retry-After` when it sent one.
    async fn fetch_once(&self, url: &str, limits: Limits, progress: &mut Option<ProgressFn>) -> Result<Fetched, (FetchError, Option<Duration>)> {
        let start = Instant::now();
        let plain = |e: FetchError| (e, None);
        let mut response = self.client.get(url).send().await.map_err(|e| plain(classify(url, e, &self.config)))?;
        let ttfb = start.elapsed();
        let redirected_to = (response.url().as_str() != url).then(|| response.url().to_string());
        let status = response.status();
        // Bounded: a header longer than this is not a content type anyone needs.
        let content_type = response.headers().get(reqwest::header::CONTENT_TYPE).filter(|v| v.len() <= 4096).and_then(|v| v.to_str().ok()).map(str::to_string);
        if !status.is_success() {
            let retry_after = response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| retry_after(v.as_bytes()));
            return Err((FetchError::Status { url: url.to_string(), status: status.as_u16() }, retry_after));
        }
        if let Some(len) = response.content_length() {
            if len > limits.max_body_bytes {
                return Err(plain(FetchError::TooLarge { url: url.to_string(), limit: limits.max_body_bytes }));
            }
        }
        let total = response.content_length();
        let mut body = BytesMut::new();
        let mut last_report = start;
        while let Some(chunk) = response.chunk().await.map_err(|e| plain(classify(url, e, &self.config)))? {
            if body.len() as u64 + chunk.len() as u64 > limits.max_body_bytes {
                return Err(plain(FetchError::TooLarge { url: url.to_string(), limit: limits.max_body_bytes }));
            }
            body.extend_from_slice(&chunk);
            if let Some(report) = progress.as_mut() {
                if last_report.elapsed() >= PROGRESS_INTERVAL {
                    last_report = Instant::now();
                    report(Progress { bytes_done: body.len() as u64, bytes_total: total, elapsed: start.elapsed(), ttfb: Some(ttfb) });
                }
            }
        }
        Ok(Fetched { body: Bytes::from(body), ttfb, elapsed: start.elapsed(), attempts: 1, redirected_to, content_type })
    }
}

/// Why a redirect from `previous` (the original URL first) to `next` is refused, if it is.
fn redirect_refusal(previous: &[reqwest::Url], next: &reqwest::Url, max_redirects: usize) -> Option<String> {
    // `previous` holds the original URL and every redirect target so far.
    if previous.len() > max_redirects {
        return Some(format!("more than {max_redirects} redirects"));
    }
    if previous.contains(next) {
        return Some(format!("redirect loop back to {next}"));
    }
    if previous.last().is_some_and(|from| from.scheme() == "https") && next.scheme() != "https" {
        return Some(format!("https to {} downgrade to {next}", next.scheme()));
    }
    None
}

/// A `Retry-After` value in delta-seconds (an HTTP-date is not honoured: the backoff applies).
fn retry_after(value: &[u8]) -> Option<Duration> {
    std::str::from_utf8(value).ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The rustls error behind a failed request, if that is what failed. It sits inside
/// io::Errors (tokio-rustls wraps it, hyper wraps that again) whose `source()` skips the
/// wrapped error, so each io::Error is opened with `get_ref`.
fn find_rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        if let Some(r) = find_rustls_error(inner) {
            return Some(r);
        }
    }
    e.source().and_then(find_rustls_error)
}

fn classify(url: &str, e: reqwest::Error, config: &HttpConfig) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout { url: url.to_string(), after: config.request_timeout };
    }
    if let Some(tls) = find_rustls_error(&e) {
        return FetchError::Tls { url: url.to_string(), reason: tls.to_string() };
    }
    // Walk the source chain: reqwest's own message ("error sending request") hides the cause.
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    if e.is_redirect() {
        let why = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or(reason);
        return FetchError::Redirect { url: url.to_string(), reason: why };
    }
    FetchError::Connection { url: url.to_string(), reason }
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
                    Err((e, retry_after)) if e.is_retryable() && attempt < policy.max_attempts.max(1) => {
                        attempt += 1;
                        // The server's Retry-After (429, 503) when longer than our backoff, capped.
                        let wait = policy.backoff(attempt).max(retry_after.unwrap_or_default().min(self.config.max_retry_after));
                        tracing::debug!(%url, error = %e, attempt, ?wait, "retrying");
                        tokio::time::sleep(wait).await;
                    }
                    Err((e, _)) => return Err(e),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &[&str]) -> Vec<reqwest::Url> {
        list.iter().map(|u| reqwest::Url::parse(u).unwrap()).collect()
    }

    #[test]
    fn redirects_are_refused_past_the_limit_in_a_loop_and_on_downgrade() {
        let next = reqwest::Url::parse("http://h/c").unwrap();
        assert_eq!(redirect_refusal(&urls(&["http://h/a", "http://h/b"]), &next, 10), None);
        let chain: Vec<String> = (0..11).map(|i| format!("http://h/{i}")).collect();
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        assert_eq!(redirect_refusal(&urls(&chain), &next, 10).as_deref(), Some("more than 10 redirects"));
        assert!(redirect_refusal(&urls(&["http://h/c", "http://h/b"]), &next, 10).unwrap().contains("loop"));
        assert!(redirect_refusal(&urls(&["https://h/a"]), &next, 10).unwrap().contains("https to http"));
        assert_eq!(redirect_refusal(&urls(&["http://h/a"]), &reqwest::Url::parse("https://h/a").unwrap(), 10), None, "upgrades are fine");
    }

    #[test]
    fn retry_after_takes_delta_seconds_only() {
        assert_eq!(retry_after(b" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after(b"-1"), None);
    }
}
