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
//!
//! Details the rules above leave open, as implemented:
//! - "A typical duration" is the (lower) median of the held non-predicted durations. One
//!   merge judges all its claims against the value at its start; on an empty timeline, the
//!   median of the claims' own durations.
//! - Claims of equal trust on the same start: the newest wins (a refresh corrects itself).
//!   A less trusted duplicate is ignored, and counted as rejected only if it disagrees.
//! - Every overlap with the newest entry larger than 1/4 of a typical duration is
//!   rejected, whatever the sources; claims that start before the newest announced entry
//!   without matching a known start are rejected too (nothing is inserted in the middle).
//! - Evictions (window, memory cap, [`LiveTimeline::evict_before`]) never drop the newest
//!   announced entry nor the prediction, so the timeline, once non-empty, stays anchored
//!   and `len() <= max(max_entries, 2)`.
//! - After [`LiveTimeline::set_ended`] claims may still append real entries (a final
//!   manifest listing the last fragments); they are just not followed by a prediction.

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

/// One claim about a fragment, from one source.
#[derive(Debug, Clone, Copy)]
struct Claim {
    start: u64,
    duration: u64,
    source: Source,
    /// Downloaded (only [`LiveTimeline::mark_available`]).
    available: bool,
}

/// What applying one claim did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A real entry was appended (or took a prediction's place).
    Added { discontinuity: bool, evicted: usize },
    /// A known entry changed.
    Updated,
    /// Agreed with what was known, or a less trusted duplicate that agreed.
    Unchanged,
    /// Ignored (see [`Merge::rejected`]).
    Rejected,
}

impl Merge {
    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Added { discontinuity, evicted } => {
                self.added = self.added.saturating_add(1);
                self.evicted = self.evicted.saturating_add(evicted);
                self.discontinuity |= discontinuity;
            }
            Outcome::Updated => self.updated = self.updated.saturating_add(1),
            Outcome::Unchanged => {}
            Outcome::Rejected => self.rejected = self.rejected.saturating_add(1),
        }
    }
}

/// Lower median of `values` (reordered), `None` when empty.
/// Newest entries [`LiveTimeline::typical_duration`] and [`LiveTimeline::available_end`]
/// look at (8.5 minutes of 2 s fragments).
pub const TYPICAL_WINDOW: usize = 256;

fn lower_median(values: &mut [u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let mid = (values.len() - 1) / 2;
    let (_, median, _) = values.select_nth_unstable(mid);
    Some(*median)
}

impl LiveTimeline {
    /// An empty timeline (a live manifest may list no chunks yet).
    pub fn new(config: TimelineConfig) -> Self {
        let config = TimelineConfig { timescale: config.timescale.max(1), ..config };
        LiveTimeline { config, first_index: 0, entries: VecDeque::new(), ended: false }
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
        self.first_index.saturating_add(self.entries.len() as u64)
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
        let pos = usize::try_from(index.checked_sub(self.first_index)?).ok()?;
        self.entries.get(pos)
    }

    /// Entries with their absolute indices, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Entry)> + '_ {
        let first = self.first_index;
        self.entries.iter().enumerate().map(move |(i, e)| (first.saturating_add(i as u64), e))
    }

    /// The prediction (absolute index and entry), if one is held.
    pub fn prediction(&self) -> Option<(u64, &Entry)> {
        let last = self.entries.back().filter(|e| e.source == Source::Predicted)?;
        Some((self.end_index().saturating_sub(1), last))
    }

    /// Absolute index of the entry containing tick `t` (the last one starting at or before
    /// `t`; in a gap, the entry before the gap). `None` before the first entry or after
    /// the newest entry's end.
    ///
    /// The newest entry is the prediction when there is one; an entry's end is exclusive
    /// (`t == end` of the newest entry is after it).
    pub fn index_at(&self, t: u64) -> Option<u64> {
        if t >= self.entries.back()?.end() {
            return None;
        }
        let after = self.entries.partition_point(|e| e.start <= t);
        let pos = after.checked_sub(1)?;
        Some(self.first_index.saturating_add(pos as u64))
    }

    /// Absolute index of the first entry starting at or after `t` (`None` if none).
    pub fn index_from(&self, t: u64) -> Option<u64> {
        let pos = self.entries.partition_point(|e| e.start < t);
        (pos < self.entries.len()).then(|| self.first_index.saturating_add(pos as u64))
    }

    /// Start of the oldest entry held (the DVR window start).
    pub fn window_start(&self) -> Option<u64> {
        self.entries.front().map(|e| e.start)
    }

    /// End of the newest entry that is known available (downloaded): the live edge.
    ///
    /// The largest end among the newest [`TYPICAL_WINDOW`] available entries (ends grow
    /// with starts; the merge rules keep overlaps under a quarter fragment), so asking
    /// costs the same with a day-long unbounded window as with a short one.
    pub fn available_end(&self) -> Option<u64> {
        self.entries.iter().rev().filter(|e| e.available).take(TYPICAL_WINDOW).map(Entry::end).max()
    }

    /// End of the newest entry announced by a manifest, tfrf or tfxd (predictions not
    /// counted).
    pub fn announced_end(&self) -> Option<u64> {
        self.last_real().map(Entry::end)
    }

    /// Median duration of the entries held (what "a fragment" means for tolerances),
    /// `None` when empty.
    ///
    /// The lower median, of the non-predicted entries (a prediction only repeats its
    /// predecessor's duration), over the newest [`TYPICAL_WINDOW`] of them: every merge
    /// asks, so its cost must not grow with a day-long unbounded window.
    pub fn typical_duration(&self) -> Option<u64> {
        let mut real: Vec<u64> = self
            .entries
            .iter()
            .rev()
            .filter(|e| e.source != Source::Predicted)
            .take(TYPICAL_WINDOW)
            .map(|e| e.duration)
            .collect();
        if real.is_empty() {
            real = self.entries.iter().rev().take(TYPICAL_WINDOW).map(|e| e.duration).collect();
        }
        lower_median(&mut real)
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
    ///
    /// Such an ignored manifest counts all its chunks as rejected. Entries that end at or
    /// before a live manifest's first chunk start are evicted (never the newest announced
    /// one, nor the prediction), then the DVR window and memory cap apply.
    pub fn merge_manifest(&mut self, chunks: &[(u64, u64)], live: bool) -> Merge {
        if !live && self.last_real().is_some() {
            let known = chunks.iter().any(|&(start, _)| {
                self.position_of(start).is_some_and(|pos| {
                    self.entries.get(pos).is_some_and(|e| e.source != Source::Predicted)
                })
            });
            if !known {
                return Merge { rejected: chunks.len(), ..Merge::default() };
            }
        }
        let mut merge = self.merge_claims(chunks, Source::Manifest);
        if live {
            if let Some(&(window_start, _)) = chunks.first() {
                let evicted = self.evict_front(|e, _| e.end() <= window_start);
                merge.evicted = merge.evicted.saturating_add(evicted);
            }
        }
        let evicted = self.apply_window();
        merge.evicted = merge.evicted.saturating_add(evicted);
        merge
    }

    /// Merges a tfrf box's entries (the fragments after the one that carried it).
    pub fn merge_tfrf(&mut self, entries: &[(u64, u64)]) -> Merge {
        let mut merge = self.merge_claims(entries, Source::Tfrf);
        let evicted = self.apply_window();
        merge.evicted = merge.evicted.saturating_add(evicted);
        merge
    }

    /// A fragment was downloaded: its tfxd (or, without one, the start it was requested
    /// at and the sum of its sample durations) is the truth for it, and it is available.
    /// Predicts the next one when the timeline has not ended.
    ///
    /// A known start (the prediction's included) takes this duration and becomes
    /// available; a start after the newest announced entry is appended (gap and overlap
    /// rules apply); any other start is rejected.
    pub fn mark_available(&mut self, start: u64, duration: u64) -> Merge {
        let typical = self.typical_duration();
        let claim = Claim { start, duration, source: Source::Tfxd, available: true };
        let mut merge = Merge::default();
        merge.record(self.apply(claim, typical, true));
        let evicted = self.apply_window();
        merge.evicted = merge.evicted.saturating_add(evicted);
        merge
    }

    /// The server answered 404/412 for the entry at `index`. Only matters once the
    /// presentation has ended: a missing prediction is then removed (the end is reached).
    /// Returns true when the entry was removed.
    pub fn mark_missing(&mut self, index: u64) -> bool {
        if !self.ended || self.prediction().map(|(i, _)| i) != Some(index) {
            return false;
        }
        self.entries.pop_back().is_some()
    }

    /// Drops entries before tick `t` (e.g. fragments the server deleted); returns how many.
    ///
    /// Drops, from the oldest, the entries whose end is at or before `t`; never the newest
    /// announced entry nor the prediction.
    pub fn evict_before(&mut self, t: u64) -> usize {
        self.evict_front(|e, _| e.end() <= t)
    }

    /// Position (in `entries`) of the entry starting exactly at `start`.
    fn position_of(&self, start: u64) -> Option<usize> {
        self.entries.binary_search_by_key(&start, |e| e.start).ok()
    }

    /// Position of the newest non-predicted entry.
    fn last_real_pos(&self) -> Option<usize> {
        self.entries.iter().rposition(|e| e.source != Source::Predicted)
    }

    fn last_real(&self) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.source != Source::Predicted)
    }

    /// Applies a list of claims from one source, at most `max_added_per_merge` additions.
    fn merge_claims(&mut self, claims: &[(u64, u64)], source: Source) -> Merge {
        let typical = self.typical_duration().or_else(|| {
            let mut durations: Vec<u64> = claims
                .iter()
                .filter(|&&(s, d)| d > 0 && s.checked_add(d).is_some())
                .map(|&(_, d)| d)
                .take(self.config.max_added_per_merge.max(1))
                .collect();
            lower_median(&mut durations)
        });
        let mut merge = Merge::default();
        for &(start, duration) in claims {
            let can_add = merge.added < self.config.max_added_per_merge;
            let claim = Claim { start, duration, source, available: false };
            merge.record(self.apply(claim, typical, can_add));
        }
        merge
    }

    /// Applies one claim (see the module docs for the rules). `typical` is the fragment
    /// duration tolerances are measured in; `can_add` false rejects a claim that would add.
    fn apply(&mut self, claim: Claim, typical: Option<u64>, can_add: bool) -> Outcome {
        if claim.duration == 0 || claim.start.checked_add(claim.duration).is_none() {
            return Outcome::Rejected;
        }
        if let Some(pos) = self.position_of(claim.start) {
            return self.apply_duplicate(pos, claim, can_add);
        }
        let discontinuity = match self.last_real().copied() {
            None => false, // empty: the first entry
            Some(newest) => {
                if claim.start < newest.start {
                    // Before the first entry, or between two known ones.
                    return Outcome::Rejected;
                }
                let typical = typical.unwrap_or(newest.duration);
                let newest_end = newest.end();
                match claim.start.checked_sub(newest_end) {
                    Some(gap) => gap > typical,
                    None => {
                        let overlap = newest_end.saturating_sub(claim.start);
                        if overlap > typical / 4 {
                            return Outcome::Rejected;
                        }
                        false
                    }
                }
            }
        };
        if !can_add {
            return Outcome::Rejected;
        }
        let evicted = self.push_real(Entry {
            start: claim.start,
            duration: claim.duration,
            source: claim.source,
            available: claim.available,
            discontinuity,
        });
        Outcome::Added { discontinuity, evicted }
    }

    /// A claim on the start of the entry at `pos`.
    fn apply_duplicate(&mut self, pos: usize, claim: Claim, can_add: bool) -> Outcome {
        let last_real = self.last_real_pos();
        let Some(entry) = self.entries.get_mut(pos) else {
            return Outcome::Rejected;
        };
        if entry.source == Source::Predicted {
            if !can_add {
                return Outcome::Rejected;
            }
            *entry = Entry {
                start: claim.start,
                duration: claim.duration,
                source: claim.source,
                available: claim.available,
                discontinuity: false,
            };
            self.repredict();
            let evicted = self.enforce_cap();
            return Outcome::Added { discontinuity: false, evicted };
        }
        if claim.source < entry.source {
            return if claim.duration == entry.duration { Outcome::Unchanged } else { Outcome::Rejected };
        }
        let updated = Entry {
            duration: claim.duration,
            source: claim.source,
            available: entry.available || claim.available,
            ..*entry
        };
        if updated == *entry {
            return Outcome::Unchanged;
        }
        *entry = updated;
        if last_real == Some(pos) {
            self.repredict();
        }
        Outcome::Updated
    }

    /// Appends a real entry, in the prediction's place when there is one, then predicts
    /// the next one and applies the memory cap; returns how many entries the cap evicted.
    fn push_real(&mut self, entry: Entry) -> usize {
        match self.entries.back_mut() {
            Some(last) if last.source == Source::Predicted => *last = entry,
            _ => self.entries.push_back(entry),
        }
        self.repredict();
        self.enforce_cap()
    }

    /// Puts the prediction where it belongs after the newest real entry: moved if that
    /// entry changed, appended when missing (not once ended), removed if it would end past
    /// `u64::MAX`.
    fn repredict(&mut self) {
        let Some(newest) = self.last_real().copied() else {
            return;
        };
        let next = newest
            .end()
            .checked_add(newest.duration)
            .map(|_| Entry {
                start: newest.end(),
                duration: newest.duration,
                source: Source::Predicted,
                available: false,
                discontinuity: false,
            });
        let has_prediction = self.entries.back().is_some_and(|e| e.source == Source::Predicted);
        match (has_prediction, next) {
            (true, Some(next)) => {
                if let Some(last) = self.entries.back_mut() {
                    *last = next;
                }
            }
            (true, None) => {
                self.entries.pop_back();
            }
            (false, Some(next)) if !self.ended => self.entries.push_back(next),
            (false, _) => {}
        }
    }

    /// Drops the oldest entries beyond `max_entries`.
    fn enforce_cap(&mut self) -> usize {
        let max = self.config.max_entries;
        self.evict_front(|_, len| len > max)
    }

    /// Slides the DVR window (entries ending before `newest end - dvr_window` go), then
    /// applies the memory cap.
    fn apply_window(&mut self) -> usize {
        let mut evicted = 0;
        if let (Some(window), Some(newest_end)) = (self.config.dvr_window, self.announced_end()) {
            let threshold = newest_end.saturating_sub(window);
            evicted = self.evict_front(|e, _| e.end() < threshold);
        }
        evicted.saturating_add(self.enforce_cap())
    }

    /// Pops entries from the start while `evict(oldest, len)` holds, never the newest real
    /// entry nor anything after it (the prediction); returns how many.
    fn evict_front(&mut self, mut evict: impl FnMut(&Entry, usize) -> bool) -> usize {
        let Some(protected) = self.last_real_pos() else {
            return 0;
        };
        let mut evicted = 0;
        while evicted < protected {
            match self.entries.front() {
                Some(front) if evict(front, self.entries.len()) => {}
                _ => break,
            }
            self.entries.pop_front();
            self.first_index = self.first_index.saturating_add(1);
            evicted += 1;
        }
        evicted
    }
}

#[cfg(test)]
mod tests;
