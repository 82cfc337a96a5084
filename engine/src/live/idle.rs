//! Noticing that a live stream has stopped, and that it is back.
//!
//! The deployment guide's encoder failover: when fragments stop, the server goes idle,
//! and later continues with a "future" timestamp. The player plays what it has, says it is
//! waiting, keeps polling, and gives up only after the idle timeout.

use std::time::Duration;

/// A change in the stream's liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// No new fragment for longer than a stream hiccup: report "waiting for the live stream".
    Waiting,
    /// New fragments again after a wait.
    Resumed,
    /// Nothing new for the idle timeout: the stream is over.
    TimedOut,
}

/// Watches the time since the live edge last moved. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct IdleWatch {
    timeout: Duration,
    waiting: bool,
}

impl IdleWatch {
    /// Gives up after `timeout` without a new fragment.
    pub fn new(timeout: Duration) -> Self {
        IdleWatch { timeout, waiting: false }
    }

    /// True while "waiting" has been reported and the stream has not come back.
    pub fn is_waiting(&self) -> bool {
        self.waiting
    }

    /// The edge has not moved for `idle`; fragments last `fragment`. Returns a change,
    /// each reported once: waiting after 3 fragments (at least 6 s), timed out after the
    /// timeout, resumed when the edge moves again after a wait.
    pub fn update(&mut self, idle: Duration, fragment: Duration) -> Option<Liveness> {
        let stalled = idle > (fragment * 3).max(Duration::from_secs(6));
        if idle > self.timeout {
            return Some(Liveness::TimedOut);
        }
        match (stalled, self.waiting) {
            (true, false) => {
                self.waiting = true;
                Some(Liveness::Waiting)
            }
            (false, true) => {
                self.waiting = false;
                Some(Liveness::Resumed)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Duration = Duration::from_secs(2);

    #[test]
    fn waits_once_resumes_once_and_times_out() {
        let s = Duration::from_secs;
        let mut w = IdleWatch::new(s(60));
        assert_eq!(w.update(s(1), F), None);
        assert_eq!(w.update(s(6), F), None, "a late fragment is no stop");
        assert_eq!(w.update(Duration::from_millis(6001), F), Some(Liveness::Waiting));
        assert!(w.is_waiting());
        assert_eq!(w.update(s(30), F), None, "reported once");
        assert_eq!(w.update(s(0), F), Some(Liveness::Resumed));
        assert_eq!(w.update(s(0), F), None);
        assert_eq!(w.update(s(61), F), Some(Liveness::TimedOut));
    }

    #[test]
    fn long_fragments_wait_three_of_them() {
        let mut w = IdleWatch::new(Duration::from_secs(600));
        assert_eq!(w.update(Duration::from_secs(29), Duration::from_secs(10)), None);
        assert_eq!(w.update(Duration::from_secs(31), Duration::from_secs(10)), Some(Liveness::Waiting));
    }
}
