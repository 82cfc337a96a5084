//! Origin failover: the same presentation served by several origins.
//!
//! A [`FailoverSource`] wraps another [`ByteSource`] and a list of origin base URLs with
//! the same path layout (the primary, e.g. `http://a/live.ism/`, then fallbacks such as
//! `http://b/live.ism/`). Every request whose URL starts with one of those bases is sent
//! to the *current* origin (the base is swapped, the rest of the URL kept). When it
//! fails with an error the inner source already retried and gave up on
//! ([`FetchError::is_retryable`]: connection failures, timeouts, 5xx, 408, 429), the same
//! request is tried at the following origins in turn; the first that answers becomes
//! the current origin for all later requests (the move is sticky: there is no probing
//! back) and is recorded as an [`OriginSwitch`].
//!
//! 404 and 412 are not failover reasons: on a live presentation they mean "not yet
//! available", which the scheduler handles by waiting, and another origin would say the
//! same. Other non-retryable errors (too large, local files) are returned as they are.
//! When every origin has failed, the last error is returned.
//!
//! Callers learn of moves by polling: [`FailoverSource::switches`] counts them and
//! [`FailoverSource::take_switches`] drains the ones not yet taken (an event loop calls
//! it once per tick and turns each into an event or a log line).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{ByteSource, FetchError, FetchFuture, Fetched, Limits, Progress, ProgressFn};

/// One move of the session from an origin to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginSwitch {
    /// The base URL given up.
    pub from: String,
    /// The base URL used from now on.
    pub to: String,
    /// The error of the origin given up, for the request that caused the move.
    pub cause: FetchError,
}

#[derive(Debug)]
struct State {
    current: usize,
    pending: Vec<OriginSwitch>,
}

/// A [`ByteSource`] that moves to a fallback origin when the current one fails.
pub struct FailoverSource {
    inner: Arc<dyn ByteSource>,
    /// Base URLs, each ending in `/`; `[0]` is the primary.
    origins: Vec<String>,
    state: Mutex<State>,
    switches: AtomicU64,
}

impl std::fmt::Debug for FailoverSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailoverSource")
            .field("origins", &self.origins)
            .field("current", &self.current_origin())
            .field("switches", &self.switches())
            .finish_non_exhaustive()
    }
}

fn with_slash(base: String) -> String {
    if base.ends_with('/') {
        base
    } else {
        base + "/"
    }
}

impl FailoverSource {
    /// Wraps `inner`; `primary` and `fallbacks` are base URLs with the same layout (the
    /// manifest URL without its last segment, as in [`super::Location`]). A missing
    /// trailing `/` is added. Fallbacks equal to an earlier base are dropped.
    pub fn new<S: Into<String>>(inner: Arc<dyn ByteSource>, primary: impl Into<String>, fallbacks: impl IntoIterator<Item = S>) -> Self {
        let mut origins = vec![with_slash(primary.into())];
        for f in fallbacks {
            let f = with_slash(f.into());
            if !origins.contains(&f) {
                origins.push(f);
            }
        }
        FailoverSource { inner, origins, state: Mutex::new(State { current: 0, pending: Vec::new() }), switches: AtomicU64::new(0) }
    }

    /// All origins, the primary first.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// The base URL requests go to now.
    pub fn current_origin(&self) -> String {
        self.origins[self.lock().current].clone()
    }

    /// How many times the session has moved to another origin.
    pub fn switches(&self) -> u64 {
        self.switches.load(Ordering::Relaxed)
    }

    /// The moves since the last call, oldest first (each is returned once).
    pub fn take_switches(&self) -> Vec<OriginSwitch> {
        std::mem::take(&mut self.lock().pending)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: take it anyway.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The part of `url` after the longest configured base it starts with.
    fn relative<'u>(&self, url: &'u str) -> Option<&'u str> {
        self.origins.iter().filter(|b| url.starts_with(b.as_str())).map(|b| &url[b.len()..]).min_by_key(|rest| rest.len())
    }

    /// Runs `attempt` at the current origin, then at the others in order, moving the
    /// session to the first that succeeds.
    async fn fetch_failover<F>(&self, url: &str, mut attempt: F) -> Result<Fetched, FetchError>
    where
        F: FnMut(String) -> FetchFuture<'static>,
    {
        let Some(rest) = self.relative(url) else {
            return attempt(url.to_string()).await;
        };
        let start = self.lock().current;
        let n = self.origins.len();
        let mut first_error: Option<FetchError> = None;
        let mut last_error = None;
        for k in 0..n {
            let i = (start + k) % n;
            let target = format!("{}{rest}", self.origins[i]);
            match attempt(target).await {
                Ok(fetched) => {
                    // Any k > 0 follows a retryable failure, so `first_error` is set.
                    if let (true, Some(cause)) = (i != start, first_error) {
                        self.moved(start, i, cause);
                    }
                    return Ok(fetched);
                }
                Err(e) if e.is_retryable() => {
                    if k + 1 < n {
                        tracing::warn!(origin = %self.origins[i], error = %e, next = %self.origins[(i + 1) % n], "origin failed, trying the next one");
                    }
                    first_error.get_or_insert_with(|| e.clone());
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.expect("at least one origin"))
    }

    fn moved(&self, from: usize, to: usize, cause: FetchError) {
        let mut state = self.lock();
        // A concurrent request may have moved the session already: keep its choice.
        if state.current != from {
            return;
        }
        state.current = to;
        let switch = OriginSwitch { from: self.origins[from].clone(), to: self.origins[to].clone(), cause };
        tracing::warn!(from = %switch.from, to = %switch.to, cause = %switch.cause, "moved to another origin");
        state.pending.push(switch);
        self.switches.fetch_add(1, Ordering::Relaxed);
    }
}

impl ByteSource for FailoverSource {
    fn fetch<'a>(&'a self, url: &'a str, limits: Limits) -> FetchFuture<'a> {
        Box::pin(async move {
            let inner = self.inner.clone();
            self.fetch_failover(url, move |target| {
                let inner = inner.clone();
                Box::pin(async move { inner.fetch(&target, limits).await })
            })
            .await
        })
    }

    fn fetch_with_progress<'a>(&'a self, url: &'a str, limits: Limits, progress: ProgressFn) -> FetchFuture<'a> {
        Box::pin(async move {
            let inner = self.inner.clone();
            // Each origin's attempt needs its own callback; they all report to the caller's.
            let shared = Arc::new(Mutex::new(progress));
            self.fetch_failover(url, move |target| {
                let inner = inner.clone();
                let shared = shared.clone();
                let report: ProgressFn = Box::new(move |p: Progress| {
                    let mut f = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    (*f)(p);
                });
                Box::pin(async move { inner.fetch_with_progress(&target, limits, report).await })
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;

    /// Answers from a table (url -> result); anything else is a connection failure.
    #[derive(Default)]
    struct Fake {
        answers: HashMap<String, Result<Fetched, FetchError>>,
        requests: Mutex<Vec<String>>,
    }

    impl Fake {
        fn ok(mut self, url: &str, body: &'static str) -> Self {
            let f = Fetched { body: Bytes::from_static(body.as_bytes()), ttfb: Duration::ZERO, elapsed: Duration::from_millis(1), attempts: 1, redirected_to: None, content_type: None };
            self.answers.insert(url.into(), Ok(f));
            self
        }
        fn status(mut self, url: &str, status: u16) -> Self {
            self.answers.insert(url.into(), Err(FetchError::Status { url: url.into(), status }));
            self
        }
        fn requests(&self) -> Vec<String> {
            self.requests.lock().unwrap().clone()
        }
    }

    impl ByteSource for Fake {
        fn fetch<'a>(&'a self, url: &'a str, _limits: Limits) -> FetchFuture<'a> {
            self.requests.lock().unwrap().push(url.to_string());
            let answer = self.answers.get(url).cloned().unwrap_or_else(|| Err(FetchError::Connection { url: url.into(), reason: "refused".into() }));
            Box::pin(async move { answer })
        }

        fn fetch_with_progress<'a>(&'a self, url: &'a str, limits: Limits, mut progress: ProgressFn) -> FetchFuture<'a> {
            progress(Progress { bytes_done: 1, bytes_total: None, elapsed: Duration::ZERO, ttfb: None });
            self.fetch(url, limits)
        }
    }

    const A: &str = "http://a/live.ism/";
    const B: &str = "http://b/live.ism/";
    const C: &str = "http://c/live.ism/";

    fn failover(fake: Fake) -> (Arc<Fake>, FailoverSource) {
        let fake = Arc::new(fake);
        let source = FailoverSource::new(fake.clone(), A, [B, "http://c/live.ism"]);
        (fake, source)
    }

    async fn get(s: &FailoverSource, rel: &str) -> Result<String, FetchError> {
        let f = s.fetch(&format!("{A}{rel}"), Limits::default()).await?;
        Ok(String::from_utf8(f.body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn primary_fine_stays_on_primary() {
        let (fake, s) = failover(Fake::default().ok(&format!("{A}Manifest"), "m").ok(&format!("{B}Manifest"), "other"));
        assert_eq!(get(&s, "Manifest").await.unwrap(), "m");
        assert_eq!(s.switches(), 0);
        assert_eq!(s.current_origin(), A);
        assert!(s.take_switches().is_empty());
        assert_eq!(fake.requests(), [format!("{A}Manifest")]);
    }

    #[tokio::test]
    async fn primary_down_moves_to_fallback_and_stays() {
        let fake = Fake::default()
            .status(&format!("{A}f1"), 503)
            .ok(&format!("{A}f2"), "a2")
            .ok(&format!("{B}f1"), "b1")
            .ok(&format!("{B}f2"), "b2");
        let (fake, s) = failover(fake);
        assert_eq!(get(&s, "f1").await.unwrap(), "b1");
        assert_eq!(s.switches(), 1);
        assert_eq!(s.current_origin(), B);
        // Sticky: the primary is not asked again, even though it would answer f2.
        assert_eq!(get(&s, "f2").await.unwrap(), "b2");
        assert_eq!(fake.requests(), [format!("{A}f1"), format!("{B}f1"), format!("{B}f2")]);
        let moves = s.take_switches();
        assert_eq!(moves.len(), 1);
        assert_eq!((moves[0].from.as_str(), moves[0].to.as_str()), (A, B));
        assert!(matches!(moves[0].cause, FetchError::Status { status: 503, .. }));
        assert!(s.take_switches().is_empty(), "each move is taken once");
        assert_eq!(s.switches(), 1);
    }

    #[tokio::test]
    async fn not_found_and_precondition_do_not_fail_over() {
        let fake = Fake::default().status(&format!("{A}f1"), 404).status(&format!("{A}f2"), 412).ok(&format!("{B}f1"), "b1").ok(&format!("{B}f2"), "b2");
        let (fake, s) = failover(fake);
        assert!(matches!(get(&s, "f1").await, Err(FetchError::Status { status: 404, .. })));
        assert!(matches!(get(&s, "f2").await, Err(FetchError::Status { status: 412, .. })));
        assert_eq!(s.switches(), 0);
        assert_eq!(fake.requests(), [format!("{A}f1"), format!("{A}f2")]);
    }

    #[tokio::test]
    async fn all_down_returns_the_last_error() {
        let fake = Fake::default().status(&format!("{A}f"), 500).status(&format!("{B}f"), 502);
        let (fake, s) = failover(fake);
        // C is not in the table: a connection failure, the last one tried.
        let err = get(&s, "f").await.unwrap_err();
        assert!(matches!(&err, FetchError::Connection { url, .. } if url == &format!("{C}f")), "{err:?}");
        assert_eq!(s.switches(), 0);
        assert_eq!(s.current_origin(), A);
        assert_eq!(fake.requests(), [format!("{A}f"), format!("{B}f"), format!("{C}f")]);
    }

    #[tokio::test]
    async fn wraps_around_from_the_current_origin() {
        let fake = Fake::default().status(&format!("{A}f1"), 503).ok(&format!("{B}f1"), "b1").status(&format!("{B}f2"), 503).ok(&format!("{A}f2"), "a2");
        let (fake, s) = failover(fake);
        assert_eq!(get(&s, "f1").await.unwrap(), "b1");
        // B fails, C refuses, A answers: back to the primary.
        assert_eq!(get(&s, "f2").await.unwrap(), "a2");
        assert_eq!(s.current_origin(), A);
        assert_eq!(s.switches(), 2);
        let moves: Vec<_> = s.take_switches().into_iter().map(|m| (m.from, m.to)).collect();
        assert_eq!(moves, [(A.to_string(), B.to_string()), (B.to_string(), A.to_string())]);
        assert_eq!(fake.requests().len(), 5);
    }

    #[tokio::test]
    async fn urls_outside_the_bases_pass_through() {
        let (fake, s) = failover(Fake::default().ok("http://license/x", "key").status("http://other/y", 503).ok("http://b/other/y", "no"));
        let f = s.fetch("http://license/x", Limits::default()).await.unwrap();
        assert_eq!(&f.body[..], b"key");
        assert!(matches!(s.fetch("http://other/y", Limits::default()).await, Err(FetchError::Status { status: 503, .. })));
        assert_eq!(fake.requests(), ["http://license/x", "http://other/y"]);
        assert_eq!(s.switches(), 0);
    }

    #[tokio::test]
    async fn urls_built_on_a_fallback_base_go_to_the_current_origin() {
        let (fake, s) = failover(Fake::default().ok(&format!("{A}f"), "a"));
        let f = s.fetch(&format!("{C}f"), Limits::default()).await.unwrap();
        assert_eq!(&f.body[..], b"a");
        assert_eq!(fake.requests(), [format!("{A}f")]);
    }

    #[tokio::test]
    async fn progress_reaches_the_callers_callback_on_every_origin() {
        let fake = Fake::default().status(&format!("{A}f"), 503).ok(&format!("{B}f"), "b");
        let (_fake, s) = failover(fake);
        let seen = Arc::new(Mutex::new(0));
        let counter = seen.clone();
        let f = s
            .fetch_with_progress(&format!("{A}f"), Limits::default(), Box::new(move |_| *counter.lock().unwrap() += 1))
            .await
            .unwrap();
        assert_eq!(&f.body[..], b"b");
        assert_eq!(*seen.lock().unwrap(), 2, "one report per origin tried");
        assert_eq!(s.current_origin(), B);
        assert_eq!(s.switches(), 1);
    }
}
