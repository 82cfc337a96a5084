//! The live timeline of one stream: which fragments exist, where they start, how long
//! they last, and what we know about each (announced by someone, or seen on the server).
//!
//! Sans-I/O: it is fed what the sources say and answers questions; it never fetches.
//! Sources, from least to most trusted:
//! - a **prediction** (`t + d` of the newest entry: where the next fragment should start),
//! - a **tfrf** box in a fragment (announces the next fragments),
//! - the **manifest** (a refresh lists the server's window),
//! - a fragment's own **tfxd** (its exact start and duration, from the file itself).
//!
//! Rules (documented because the sources disagree in practice):
//! - Times are exact u64 ticks in the stream's timescale.
//! - The timeline only **grows at its end** and **shrinks at its start**, so an entry's
//!   absolute index ([`LiveTimeline::first_index`] + position) never changes while it is
//!   held. A claim that would go between two known entries or before the first one is
//!   merged into the entry it overlaps, or ignored.
//! - A claim with the same start as a known entry is a duplicate: the duration of the more
//!   trusted source wins (tfxd > manifest > tfrf > prediction).
//! - A claim that overlaps the newest entry by a little (at most 1/4 of a typical
//!   duration: rounding between timescales, servers that lie a little) is appended after
//!   it as it is; a larger overlap with a less trusted source is rejected and counted.
//! - A gap up to a typical fragment duration is tolerated (played through); a larger gap
//!   (an encoder that restarted at a "future" timestamp) marks the new entry as a
//!   [`Entry::discontinuity`].
//! - A prediction that is contradicted (another source says the next fragment starts
//!   elsewhere) is replaced in place: its index now names the real next fragment.
//! - The window slides: entries ending before `newest end - DVRWindowLength` go, and so
//!   do entries before the start of a live manifest's window; with no DVR length (0 =
//!   unbounded) at most `max_entries` are kept, oldest dropped first.
//! - Invariant: while the timeline is not ended and not empty, exactly one
//!   [`Source::Predicted`] entry follows the newest announced or downloaded entry (the one
//!   to probe for: a 404 on it means "not yet"); there is none once it has ended.

use std::collections::VecDeque;

/// Who told us about an entry, ordered by trust (a later variant beats an earlier one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Nobody: `t + d` of the newest entry, the start the next fragment should have.
    Predicted,
    /// A tfrf box of an earlier fragment.
    Tfrf,
    /// A manifest (the first one or a refresh).
    Manifest,
    /// The fragment's own tfxd (it was downloaded).
    Tfxd,
}

/// One fragment on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Start, in ticks of the stream's timescale.
    pub start: u64,
    /// Duration in ticks (for a prediction: the previous entry's duration).
    pub duration: u64,
    /// The most trusted source that has told us about it.
    pub source: Source,
    /// The server has served it (a download succeeded). Announced is not available: ffmpeg
    /// lists fragments before they can be fetched, IIS withholds them.
    pub available: bool,
    /// It starts after a gap larger than a fragment (an encoder restart): decoders and
    /// clocks re-anchor here instead of waiting for the hole to fill.
    pub discontinuity: bool,
}

impl Entry {
    /// `start + duration` (saturating).
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.duration)
    }
}

/// Limits and window of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineConfig {
    /// Ticks per second of this stream (never 0).
    pub timescale: u64,
    /// `DVRWindowLength` in this stream's ticks; `None` = unbounded (0 in the manifest).
    pub dvr_window: Option<u64>,
    /// Most entries kept, whatever the window says (memory bound for a day of live).
    pub max_entries: usize,
    /// Most entries one manifest or tfrf may add at once (hostile input bound).
    pub max_added_per_merge: usize,
}

impl TimelineConfig {
    /// Defaults for a stream: unbounded window, 100 000 entries (2.3 days of 2 s
    /// fragments, about 3 MB), 10 000 per merge.
    pub fn new(timescale: u64) -> Self {
        TimelineConfig { timescale: timescale.max(1), dvr_window: None, max_entries: 100_000, max_added_per_merge: 10_000 }
    }
}

/// What one merge changed (for statistics and for deciding whether to refresh).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merge {
    /// Entries appended at the end (predictions not counted).
    pub added: usize,
    /// Known entries whose duration or source was updated.
    pub updated: usize,
    /// Claims ignored: before the window, between known entries, overlapping a more
    /// trusted entry, absurd (zero duration, end past `u64::MAX`), or over the limits.
    pub rejected: usize,
    /// Entries dropped from the start by the window or the memory cap.
    pub evicted: usize,
    /// A discontinuity was appended.
    pub discontinuity: bool,
}

/// A stream's live timeline. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct LiveTimeline {
    config: TimelineConfig,
    /// Absolute index of `entries[0]`.
    first_index: u64,
    entries: VecDeque<Entry>,
    /// No more fragments will come (the manifest turned on-demand): no predictions.
    ended: bool,
}

impl LiveTimeline {
    /// An empty timeline (a live manifest may list no chunks yet).
    pub fn new(config: TimelineConfig) -> Self {
        todo!()
    }

    /// The configuration.
    pub fn config(&self) -> &TimelineConfig {
        &self.config
    }

    /// Absolute index of the oldest entry held (grows as the window slides).
    pub fn first_index(&self) -> u64 {
        self.first_index
    }

    /// One past the absolute index of the newest entry (a prediction included).
    pub fn end_index(&self) -> u64 {
        self.first_index + self.entries.len() as u64
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is known yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry at an absolute index, if still held.
    pub fn get(&self, index: u64) -> Option<&Entry> {
        todo!()
    }

    /// Entries with their absolute indices, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Entry)> + '_ {
        let first = self.first_index;
        self.entries.iter().enumerate().map(move |(i, e)| (first + i as u64, e))
    }

    /// Absolute index of the entry containing tick `t` (the last one starting at or before
    /// `t`; in a gap, the entry before the gap). `None` before the first entry or after
    /// the newest entry's end.
    pub fn index_at(&self, t: u64) -> Option<u64> {
        todo!()
    }

    /// Absolute index of the first entry starting at or after `t` (`None` if none).
    pub fn index_from(&self, t: u64) -> Option<u64> {
        todo!()
    }

    /// Start of the oldest entry held (the DVR window start).
    pub fn window_start(&self) -> Option<u64> {
        self.entries.front().map(|e| e.start)
    }

    /// End of the newest entry that is known available (downloaded): the live edge.
    pub fn available_end(&self) -> Option<u64> {
        todo!()
    }

    /// End of the newest entry announced by a manifest, tfrf or tfxd (predictions not
    /// counted).
    pub fn announced_end(&self) -> Option<u64> {
        todo!()
    }

    /// Median duration of the entries held (what "a fragment" means for tolerances),
    /// `None` when empty.
    pub fn typical_duration(&self) -> Option<u64> {
        todo!()
    }

    /// True once the presentation has ended (see [`Self::set_ended`]).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The presentation ended (the manifest turned on-demand): no more predictions; a
    /// prediction held now is removed once it is reported missing, see
    /// [`Self::mark_missing`].
    pub fn set_ended(&mut self) {
        self.ended = true;
    }

    /// Merges a manifest's chunk list `(start, duration)` (increasing starts). For a live
    /// manifest (`live = true`) entries before its first chunk leave the window. An
    /// on-demand manifest whose starts match no known entry (ffmpeg's final manifest of a
    /// short run numbers chunks from 0 without `t`) adds nothing: the times we know win.
    pub fn merge_manifest(&mut self, chunks: &[(u64, u64)], live: bool) -> Merge {
        todo!()
    }

    /// Merges a tfrf box's entries (the fragments after the one that carried it).
    pub fn merge_tfrf(&mut self, entries: &[(u64, u64)]) -> Merge {
        todo!()
    }

    /// A fragment was downloaded: its tfxd (or, without one, the start it was requested
    /// at and the sum of its sample durations) is the truth for it, and it is available.
    /// Predicts the next one when the timeline has not ended.
    pub fn mark_available(&mut self, start: u64, duration: u64) -> Merge {
        todo!()
    }

    /// The server answered 404/412 for the entry at `index`. Only matters once the
    /// presentation has ended: a missing prediction is then removed (the end is reached).
    /// Returns true when the entry was removed.
    pub fn mark_missing(&mut self, index: u64) -> bool {
        todo!()
    }

    /// Drops entries before tick `t` (e.g. fragments the server deleted); returns how many.
    pub fn evict_before(&mut self, t: u64) -> usize {
        todo!()
    }
}
