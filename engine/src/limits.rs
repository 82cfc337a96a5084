//! Every limit on what untrusted input (a server, a file, a long-running session) can make
//! the engine allocate, walk or wait for, gathered in one place. The limits are defined
//! next to the code that enforces them; this module re-exports them and documents the
//! ones that are not constants of ours (the HTTP client's) or are private.
//!
//! | what | limit | enforced in |
//! |---|---|---|
//! | manifest body fetched | [`MAX_MANIFEST_BYTES`] (16 MiB) | `session` (the fetch stops there) |
//! | manifest document, elements, chunks after `r`, attributes, text, KIDs | [`ManifestLimits`] (16 MiB; 64 streams, 64 levels each; 1 000 000 chunks per stream, 4 000 000 in all; ...) | [`crate::manifest`]: counted before anything is allocated, `r` checked before expansion |
//! | fragment body fetched | [`MAX_FRAGMENT_BYTES`] (64 MiB, [`crate::io::Limits`]' default) | [`crate::io`] (Content-Length checked before reading, the body while reading) |
//! | one box, one fragment | [`MAX_BOX_SIZE`] (256 MiB): a box claiming more (2^32, 2^64 bytes) is [`crate::fmp4::BoxError::TooLarge`] before any read | [`crate::fmp4`] |
//! | box nesting, children per container | [`MAX_DEPTH`] (4), [`MAX_CHILDREN`] (4 096) | [`crate::fmp4`] |
//! | samples per `trun`, per fragment | [`MAX_SAMPLES_PER_TRUN`], [`MAX_SAMPLES_PER_FRAGMENT`] (1 000 000): a `trun` announcing 4 billion samples is `TooMany` from its count field alone; a count not backed by bytes is `Truncated` (per-sample fields) or bounded by the `mdat` (defaults only) | [`crate::fmp4`] |
//! | `trun` boxes per `traf` | [`MAX_TRUNS_PER_TRAF`] (4 096) | [`crate::fmp4`] |
//! | entries pre-allocated from an untrusted count | [`MAX_PREALLOC`] (4 096); beyond, vectors grow only as real bytes are parsed | [`crate::fmp4`] |
//! | subsamples per sample (`senc`) | 65 535 (a u16 count), and never more than the bytes left in the box can hold (6 bytes each): reserved from the bytes, not the count | [`crate::fmp4`] |
//! | tfrf entries per fragment | 255 (a u8 count), each backed by bytes | [`crate::fmp4`] |
//! | WRMHEADER nesting, attribute length | 16 levels, 4 096 bytes | [`crate::manifest`] (PlayReady header) |
//! | HTTP redirects | 10 hops (reqwest's default policy); a loop ends there | [`crate::io::HttpSource`] |
//! | HTTP response header size | hyper's HTTP/1 defaults: 100 headers, about 400 KiB of header bytes; more is an error | [`crate::io::HttpSource`] |
//! | HTTP time | connect 5 s, whole request 20 s, retries ([`crate::io::HttpConfig`]) | [`crate::io`] |
//! | concurrent requests | one fragment request per track (the scheduler keeps one in flight per track), at most one manifest refresh, at most one tfrf re-probe per fragment duration | [`crate::schedule`], `session` |
//! | live timeline entries | [`TIMELINE_MAX_ENTRIES`] (100 000: 2.3 days of 2 s fragments) with `DVRWindowLength` 0; the DVR window otherwise | [`crate::live::LiveTimeline`] |
//! | entries one manifest or tfrf adds at once | [`TIMELINE_MAX_ADDED_PER_MERGE`] (10 000) | [`crate::live::LiveTimeline`] |
//! | scheduler plans | a copy of the track's timeline: the same bound | [`crate::schedule::Scheduler::update_plan`] |
//! | per-fragment statistics | [`MAX_FRAGMENT_RECORDS`] per track (most recent; totals exact) | `session` |
//! | skipped-fragment reports | [`MAX_SKIPPED_RECORDS`] (most recent; total exact) | `session` |
//! | live samples (`live.samples`) | [`MAX_LIVE_SAMPLES`] (7 200, evenly spread: the interval doubles) | `session` |
//! | edge distance measurements | 200 000 (evenly decimated; mean and max exact) | `session` |
//! | live 404 / short-body bookkeeping | 256 entries per map, 64 missed fragments (emptied when full) | `session` |
//! | content keys | what the user gave (`--key`, key file, ClearKey answer for the manifest's KIDs), stored twice (both byte orders); one key-use record per track | [`crate::drm::StaticKeys`], `session` |
//!
//! Every structure that grows with playing time is in the table; a day of live in virtual
//! time checks them (`session::live::memory_tests`).

pub use crate::fmp4::limits::{
    MAX_BOX_SIZE, MAX_CHILDREN, MAX_DEPTH, MAX_PREALLOC, MAX_SAMPLES_PER_FRAGMENT, MAX_SAMPLES_PER_TRUN, MAX_TRUNS_PER_TRAF,
    MAX_UNKNOWN_KEPT,
};
pub use crate::manifest::ManifestLimits;
pub use crate::session::{MAX_FRAGMENT_RECORDS, MAX_LIVE_SAMPLES, MAX_SKIPPED_RECORDS};

/// Largest manifest body fetched, in bytes (the first manifest and every refresh).
pub const MAX_MANIFEST_BYTES: u64 = crate::session::MAX_MANIFEST_BYTES;

/// Largest fragment body fetched, in bytes: [`crate::io::Limits`]' default.
pub const MAX_FRAGMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Most entries a live timeline keeps when the window is unbounded (`DVRWindowLength` 0):
/// [`crate::live::TimelineConfig::new`]'s default.
pub const TIMELINE_MAX_ENTRIES: usize = 100_000;

/// Most entries one manifest or tfrf merge may add: [`crate::live::TimelineConfig::new`]'s
/// default.
pub const TIMELINE_MAX_ADDED_PER_MERGE: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_values_are_the_enforced_ones() {
        assert_eq!(crate::io::Limits::default().max_body_bytes, MAX_FRAGMENT_BYTES);
        let tc = crate::live::TimelineConfig::new(10_000_000);
        assert_eq!(tc.max_entries, TIMELINE_MAX_ENTRIES);
        assert_eq!(tc.max_added_per_merge, TIMELINE_MAX_ADDED_PER_MERGE);
        assert_eq!(MAX_MANIFEST_BYTES, ManifestLimits::DEFAULT_MAX_BYTES as u64);
    }
}
