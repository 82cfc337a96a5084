use std::time::Duration;

use smoothplay_heuristics::Level;

/// What a track carries; audio and video are fetched in parallel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackKind {
    /// The video stream; its level is chosen by the quality selector.
    Video,
    /// An audio stream; it plays its highest (or only) level.
    Audio,
}

/// One fragment on a track's timeline, in presentation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSlot {
    /// Start of the fragment.
    pub start: Duration,
    /// Its duration.
    pub duration: Duration,
}

impl ChunkSlot {
    /// End of the fragment.
    pub fn end(&self) -> Duration {
        self.start + self.duration
    }
}

/// What the scheduler needs to know about a track: its fragments and its levels.
///
/// Fragments are named by absolute index: `chunks[0]` is fragment `first_index`. On
/// demand `first_index` is 0 and the list is complete; live, the list grows at its end
/// and loses fragments at its start as the window slides (see
/// [`crate::live::LiveTimeline`]), and indices keep naming the same fragments.
#[derive(Debug, Clone)]
pub struct TrackPlan {
    /// Audio or video.
    pub kind: TrackKind,
    /// Fragments in time order.
    pub chunks: Vec<ChunkSlot>,
    /// The playable levels, ascending by bitrate; actions name levels by index into this.
    pub levels: Vec<Level>,
    /// Absolute index of `chunks[0]`.
    pub first_index: usize,
    /// More fragments may come (a live presentation that has not ended): reaching the end
    /// of the list means waiting, not the end of the track.
    pub growing: bool,
}

impl TrackPlan {
    /// A complete (on-demand) plan starting at fragment 0.
    pub fn complete(kind: TrackKind, chunks: Vec<ChunkSlot>, levels: Vec<Level>) -> Self {
        TrackPlan { kind, chunks, levels, first_index: 0, growing: false }
    }

    /// Absolute index of the fragment containing `t` (the first one if `t` is before it,
    /// the last one if after).
    pub fn chunk_at(&self, t: Duration) -> usize {
        let after = self.chunks.partition_point(|c| c.start <= t);
        self.first_index + after.saturating_sub(1)
    }

    /// The fragment at an absolute index, if held.
    pub fn get(&self, index: usize) -> Option<&ChunkSlot> {
        self.chunks.get(index.checked_sub(self.first_index)?)
    }

    /// One past the absolute index of the last fragment held.
    pub fn end_index(&self) -> usize {
        self.first_index + self.chunks.len()
    }
}

/// Run-time state of one track.
#[derive(Debug, Clone)]
pub(crate) struct TrackState {
    pub plan: TrackPlan,
    /// Next fragment to request.
    pub next_chunk: usize,
    /// End of the media downloaded contiguously ahead of the playhead.
    pub buffered_end: Duration,
    /// The request in flight, if any: (chunk, level).
    pub in_flight: Option<(usize, usize)>,
    /// Do not request before this instant (a selector's wait).
    pub wait_until: Option<std::time::Instant>,
    /// Level of the last completed fragment.
    pub last_level: Option<usize>,
    /// True once the end has been reported.
    pub end_reported: bool,
    /// After an abandonment: (fragment, highest level allowed for its retry).
    pub retry_cap: Option<(usize, usize)>,
    /// Levels the server stopped delivering (a broken encoder), avoided until the instant.
    pub dark_until: Vec<Option<std::time::Instant>>,
    /// Live: (fragment, rounds) of a fragment missing at every level, waited for again
    /// rather than skipped (its predicted start may be wrong and a refresh may fix it).
    pub all_dark_rounds: Option<(usize, u32)>,
    /// Fragments given up on (start, end) that the playhead has not passed yet: they are
    /// holes to jump over, and no media to count as buffered.
    pub skipped: Vec<(Duration, Duration)>,
    /// Video after a switch to a stream whose ladder differs from the one the selector
    /// was built with: for each selector level, the plan level to fetch (see
    /// [`LevelMap`]). `None`: the same ladder, levels used as they are.
    pub level_map: Option<LevelMap>,
}

/// Translates between the selector's ladder and a track plan's levels when they differ
/// (a camera angle encoded at other bitrates): a selector level fetches the highest plan
/// level at or below its bitrate (the lowest when none is), and a plan level is reported
/// to the selector as the ladder level nearest its bitrate. The selector keeps its
/// bandwidth history and its ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelMap {
    to_plan: Vec<usize>,
    to_ladder: Vec<usize>,
}

impl LevelMap {
    /// The map between `ladder` and `plan` bitrates (both ascending); `None` when they are
    /// the same.
    pub fn between(ladder: &[u64], plan: &[u64]) -> Option<LevelMap> {
        if ladder == plan || plan.is_empty() || ladder.is_empty() {
            return None;
        }
        let to_plan = ladder.iter().map(|&b| plan.iter().rposition(|&p| p <= b).unwrap_or(0)).collect();
        let to_ladder = plan
            .iter()
            .map(|&p| (0..ladder.len()).min_by_key(|&i| ladder[i].abs_diff(p)).unwrap_or(0))
            .collect();
        Some(LevelMap { to_plan, to_ladder })
    }

    /// The plan level a selector level fetches.
    pub fn to_plan(&self, ladder_level: usize) -> usize {
        self.to_plan.get(ladder_level).or(self.to_plan.last()).copied().unwrap_or(0)
    }

    /// The selector level a plan level is reported as.
    pub fn to_ladder(&self, plan_level: usize) -> usize {
        self.to_ladder.get(plan_level).or(self.to_ladder.last()).copied().unwrap_or(0)
    }
}

impl TrackState {
    pub fn new(plan: TrackPlan) -> Self {
        let start = plan.chunks.first().map(|c| c.start).unwrap_or_default();
        let next_chunk = plan.first_index;
        TrackState { plan, next_chunk, buffered_end: start, in_flight: None, wait_until: None, last_level: None, end_reported: false, retry_cap: None, dark_until: Vec::new(), all_dark_rounds: None, skipped: Vec::new(), level_map: None }
    }

    /// `level` if it delivers, else the nearest level below that does, else the nearest
    /// above; `None` when every level is dark.
    pub fn deliverable(&self, level: usize, now: std::time::Instant) -> Option<usize> {
        let dark = |l: usize| self.dark_until.get(l).copied().flatten().is_some_and(|u| now < u);
        let n = self.plan.levels.len();
        (0..=level.min(n.saturating_sub(1))).rev().chain(level + 1..n).find(|&l| !dark(l))
    }

    /// Media really fetched ahead of `position`: the fetched fragments' time after it,
    /// skipped fragments and gaps in the timeline not counted (a timestamp jump of years
    /// is no buffer).
    pub fn media_ahead(&self, position: Duration) -> Duration {
        let first = self.plan.chunks.partition_point(|c| c.end() <= position);
        let fetched = self.next_chunk.saturating_sub(self.plan.first_index).min(self.plan.chunks.len());
        self.plan.chunks[first.min(fetched)..fetched]
            .iter()
            .filter(|c| !self.skipped.iter().any(|(s, _)| *s == c.start))
            .map(|c| c.end().saturating_sub(c.start.max(position)))
            .sum()
    }

    pub fn finished(&self) -> bool {
        !self.plan.growing && self.next_chunk >= self.plan.end_index() && self.in_flight.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_at_uses_the_containing_fragment() {
        let s = Duration::from_secs;
        let mut plan = TrackPlan::complete(
            TrackKind::Video,
            (0..5).map(|i| ChunkSlot { start: s(10 + 2 * i), duration: s(2) }).collect(),
            vec![Level::from_bitrate(1)],
        );
        assert_eq!(plan.chunk_at(s(0)), 0);
        assert_eq!(plan.chunk_at(s(10)), 0);
        assert_eq!(plan.chunk_at(Duration::from_millis(13_999)), 1);
        assert_eq!(plan.chunk_at(s(14)), 2);
        assert_eq!(plan.chunk_at(s(99)), 4);
        plan.first_index = 100;
        assert_eq!(plan.chunk_at(s(14)), 102);
        assert_eq!(plan.get(102).map(|c| c.start), Some(s(14)));
        assert_eq!(plan.get(99), None);
        assert_eq!(plan.end_index(), 105);
    }

    #[test]
    fn a_level_map_goes_by_bitrate() {
        assert_eq!(LevelMap::between(&[100, 200], &[100, 200]), None, "same ladder");
        let m = LevelMap::between(&[100, 200, 400], &[150, 500]).unwrap();
        assert_eq!((0..3).map(|l| m.to_plan(l)).collect::<Vec<_>>(), [0, 0, 0], "nothing at or below 100: the lowest");
        assert_eq!((m.to_ladder(0), m.to_ladder(1)), (0, 2), "150 nearest 100 (a tie goes low), 500 nearest 400");
        let m = LevelMap::between(&[100, 200, 400], &[90, 210, 390, 800]).unwrap();
        assert_eq!((0..3).map(|l| m.to_plan(l)).collect::<Vec<_>>(), [0, 0, 2]);
        assert_eq!((0..4).map(|l| m.to_ladder(l)).collect::<Vec<_>>(), [0, 1, 2, 2]);
    }
}
