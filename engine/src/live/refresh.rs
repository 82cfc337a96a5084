//! When to download a live manifest again.
//!
//! A live client can walk the timeline from tfrf boxes alone, so the manifest is fetched
//! again only when tfrf is absent or stops announcing new fragments (ffmpeg serves the
//! newest fragment before its tfrf is written; some servers strip tfrf): then once per
//! fragment duration, backing off while the stream is idle (an encoder that stopped:
//! poll, but not every 2 s for an hour) and after failed refreshes.
//!
//! Sparse streams (ad markers) are the exception: their entries come only from the
//! manifest unless the server points at them in fragment responses (MS-SSTR 2.2.5). A
//! session that follows sparse streams and has seen no such pointer keeps refreshing once
//! per fragment duration even while tfrf carries the timeline
//! ([`RefreshPolicy::set_sparse_polling`]).

use std::time::{Duration, Instant};

/// Most time between two manifest refreshes while one is wanted.
const MAX_INTERVAL: Duration = Duration::from_secs(10);

/// The manifest refresh schedule of a live session. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    fragment: Duration,
    last_refresh: Instant,
    last_tfrf_growth: Option<Instant>,
    failures: u32,
    /// A refresh is wanted at once (the timeline looks wrong).
    asap: bool,
    /// Sparse entries come only from the manifest: tfrf does not stop refreshes.
    sparse_polling: bool,
}

impl RefreshPolicy {
    /// The manifest was fetched at `now`; fragments last about `fragment`.
    pub fn new(fragment: Duration, now: Instant) -> Self {
        let fragment = if fragment.is_zero() { Duration::from_secs(2) } else { fragment };
        RefreshPolicy { fragment, last_refresh: now, last_tfrf_growth: None, failures: 0, asap: false, sparse_polling: false }
    }

    /// Updates the typical fragment duration.
    pub fn set_fragment(&mut self, fragment: Duration) {
        if !fragment.is_zero() {
            self.fragment = fragment;
        }
    }

    /// A downloaded fragment carried a tfrf and the timeline grew (from its entries, or
    /// because it was the newest fragment): tfrf and probing carry the timeline.
    pub fn on_tfrf_growth(&mut self, now: Instant) {
        self.last_tfrf_growth = Some(now);
    }

    /// Whether sparse streams need the manifest (see the module docs): true while some are
    /// followed and the server has pointed at none of their fragments.
    pub fn set_sparse_polling(&mut self, on: bool) {
        self.sparse_polling = on;
    }

    /// Asks for a refresh now: a predicted fragment is missing while the stream goes on
    /// (its start was probably wrong: a small gap between fragments).
    pub fn request_now(&mut self) {
        self.asap = true;
    }

    /// A refresh finished (`ok`: the manifest was fetched and parsed).
    pub fn on_refreshed(&mut self, ok: bool, now: Instant) {
        self.asap = false;
        self.last_refresh = now;
        self.failures = if ok { 0 } else { self.failures.saturating_add(1) };
    }

    /// True while tfrf keeps the timeline growing (no refresh needed).
    pub fn tfrf_carries(&self, now: Instant) -> bool {
        self.last_tfrf_growth.is_some_and(|t| now.saturating_duration_since(t) < self.fragment * 2)
    }

    /// When the next refresh is due, given how long the edge has not moved.
    pub fn next_refresh(&self, idle_for: Option<Duration>) -> Instant {
        if self.asap {
            return self.last_refresh;
        }
        let mut interval = self.fragment;
        if let Some(idle) = idle_for.filter(|i| *i > self.fragment * 3) {
            interval = interval.max(idle / 4);
        }
        if self.failures > 0 {
            interval = interval.max(self.fragment.saturating_mul(1 << self.failures.min(5)));
        }
        let due = self.last_refresh + interval.min(MAX_INTERVAL);
        match self.last_tfrf_growth {
            // tfrf carries the timeline: look again only once it has been silent for 2 F.
            Some(t) if !self.sparse_polling => due.max(t + self.fragment * 2),
            _ => due,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Duration = Duration::from_secs(2);

    #[test]
    fn without_tfrf_refreshes_once_per_fragment() {
        let t0 = Instant::now();
        let mut p = RefreshPolicy::new(F, t0);
        assert_eq!(p.next_refresh(None), t0 + F);
        p.on_refreshed(true, t0 + F);
        assert_eq!(p.next_refresh(Some(Duration::from_secs(1))), t0 + F * 2);
    }

    #[test]
    fn a_growing_tfrf_stream_needs_no_polling_until_it_goes_silent() {
        let t0 = Instant::now();
        let mut p = RefreshPolicy::new(F, t0);
        p.on_tfrf_growth(t0 + Duration::from_millis(1500));
        assert!(p.tfrf_carries(t0 + Duration::from_millis(3000)));
        assert_eq!(p.next_refresh(None), t0 + Duration::from_millis(5500), "2 F after the last growth");
        p.on_tfrf_growth(t0 + Duration::from_millis(3500));
        assert_eq!(p.next_refresh(None), t0 + Duration::from_millis(7500), "moves with every growth");
        assert!(!p.tfrf_carries(t0 + Duration::from_millis(7500)));
    }

    #[test]
    fn backs_off_while_idle_and_after_failures_at_most_ten_seconds() {
        let t0 = Instant::now();
        let mut p = RefreshPolicy::new(F, t0);
        assert_eq!(p.next_refresh(Some(Duration::from_secs(20))), t0 + Duration::from_secs(5), "idle 20 s: every 5 s");
        assert_eq!(p.next_refresh(Some(Duration::from_secs(600))), t0 + Duration::from_secs(10), "capped");
        p.on_refreshed(false, t0);
        p.on_refreshed(false, t0);
        assert_eq!(p.next_refresh(None), t0 + Duration::from_secs(8), "two failures: 4 F");
        p.on_refreshed(true, t0);
        assert_eq!(p.next_refresh(None), t0 + F);
    }

    #[test]
    fn sparse_streams_without_pointers_keep_one_refresh_per_fragment_while_tfrf_carries() {
        let t0 = Instant::now();
        let mut p = RefreshPolicy::new(F, t0);
        p.set_sparse_polling(true);
        p.on_tfrf_growth(t0 + Duration::from_millis(1500));
        assert_eq!(p.next_refresh(None), t0 + F, "once per fragment, tfrf or not");
        p.set_sparse_polling(false);
        assert_eq!(p.next_refresh(None), t0 + Duration::from_millis(5500), "a pointer was seen: tfrf carries again");
    }

    #[test]
    fn a_requested_refresh_is_due_at_once_even_while_tfrf_carries() {
        let t0 = Instant::now();
        let mut p = RefreshPolicy::new(F, t0);
        p.on_tfrf_growth(t0);
        p.request_now();
        assert_eq!(p.next_refresh(None), t0);
        p.on_refreshed(true, t0 + F);
        assert_eq!(p.next_refresh(None), t0 + F * 2, "once");
    }
}
