use std::time::{Duration, Instant};

use smoothplay_heuristics::{
    BufferState, Context, DecodeCapacity, DownloadProgress, DownloadReport, Ladder, QualitySelector, Viewport,
};

use super::track::{LevelMap, TrackState};
use super::{Action, Event, FetchRequest, LevelReason, ScheduleConfig, TrackId, TrackKind, TrackPlan};

/// A gap between fragments longer than this is a hole that playback jumps over.
const HOLE: Duration = Duration::from_millis(500);

/// Live: times a fragment missing at every level is waited for before it is skipped,
/// and the wait between two tries.
const ALL_DARK_ROUNDS: u32 = 4;
const ALL_DARK_WAIT: Duration = Duration::from_millis(500);

/// How long a level that stopped delivering is avoided before it is tried again.
const DARK_LEVEL_BACKOFF: Duration = Duration::from_secs(20);

/// Borrows the context fields of a scheduler without borrowing its selector.
macro_rules! view {
    ($s:expr) => {
        View {
            tracks: &$s.tracks,
            ladder: &$s.ladder,
            video: $s.video,
            position: $s.position,
            playing: $s.playing,
            forward_buffer: $s.config.forward_buffer,
            decode: $s.decode,
            viewport: $s.viewport,
            started_at: $s.started_at,
            live_edge: $s.live_edge,
        }
    };
}

/// The sans-I/O download scheduler. See the [module docs](super).
pub struct Scheduler {
    tracks: Vec<TrackState>,
    config: ScheduleConfig,
    selector: Box<dyn QualitySelector>,
    /// The video track's ladder, as the selector sees it.
    ladder: Ladder,
    video: Option<TrackId>,
    position: Duration,
    playing: bool,
    epoch: u64,
    decode: Option<DecodeCapacity>,
    viewport: Option<Viewport>,
    started_at: Option<Instant>,
    /// Actions decided while handling events (abandonments), returned by the next poll.
    pending: Vec<Action>,
    /// Since when the video track has been idle with a full buffer.
    idle_since: Option<Instant>,
    /// Live: end of the newest available fragment (the live edge).
    live_edge: Option<Duration>,
    /// The link's throughput over every download, for audio tracks with several levels.
    audio_levels: super::AudioLevels,
}

impl Scheduler {
    /// A scheduler for these tracks (at most one video track is adapted; audio tracks play
    /// their highest level). Fetching starts at the first fragment.
    pub fn new(plans: Vec<TrackPlan>, config: ScheduleConfig, selector: Box<dyn QualitySelector>) -> Self {
        let video = plans.iter().position(|p| p.kind == TrackKind::Video);
        let ladder = ladder_for(&plans);
        let position = plans.iter().filter_map(|p| p.chunks.first()).map(|c| c.start).min().unwrap_or_default();
        Scheduler {
            tracks: plans.into_iter().map(TrackState::new).collect(),
            config,
            selector,
            ladder,
            video,
            position,
            playing: false,
            epoch: 0,
            decode: None,
            viewport: None,
            started_at: None,
            pending: Vec::new(),
            idle_since: None,
            live_edge: None,
            audio_levels: super::AudioLevels::default(),
        }
    }

    /// Replaces a track's fragment list (a live timeline grew or slid). Indices are
    /// absolute, so requests in flight and the next fragment to fetch keep naming the same
    /// fragments; a next fragment that left the window moves to the oldest one held.
    pub fn update_plan(&mut self, track: TrackId, first_index: usize, chunks: Vec<super::ChunkSlot>, growing: bool) {
        let Some(t) = self.tracks.get_mut(track) else { return };
        t.plan.chunks = chunks;
        t.plan.first_index = first_index;
        t.plan.growing = growing;
        if t.next_chunk < first_index && t.in_flight.is_none() {
            t.next_chunk = first_index;
        }
        if growing {
            t.end_reported = false;
        }
        if Some(track) == self.video {
            self.ladder.fragment_count = (!growing).then(|| t.plan.end_index());
            if !t.plan.chunks.is_empty() {
                self.ladder.fragment_duration = typical_duration(&t.plan);
            }
        }
    }

    /// Replaces a playing track by another stream of the same kind on the same timeline
    /// (an audio language, a camera angle), from the fragment `from` of `plan` on:
    /// fetching restarts there at the new stream's levels, the request in flight is
    /// forgotten (the caller cancels it), what was fetched of the old stream after
    /// `from` no longer counts as buffered. Nothing else changes: the other tracks, the
    /// epoch and the selector with its bandwidth history. A video stream whose ladder
    /// differs from the selector's is fetched through a [`LevelMap`].
    pub fn switch_track(&mut self, track: TrackId, plan: TrackPlan, from: usize) {
        let Some(t) = self.tracks.get_mut(track) else { return };
        let from = from.clamp(plan.first_index, plan.end_index());
        let from_start = plan.get(from).map(|c| c.start).or(plan.chunks.last().map(|c| c.end())).unwrap_or_default();
        t.level_map = if Some(track) == self.video {
            let ladder: Vec<u64> = self.ladder.levels.iter().map(|l| l.bitrate_bps).collect();
            LevelMap::between(&ladder, &plan.levels.iter().map(|l| l.bitrate_bps).collect::<Vec<_>>())
        } else {
            None
        };
        t.plan = plan;
        t.next_chunk = from;
        t.buffered_end = t.buffered_end.min(from_start);
        t.in_flight = None;
        t.wait_until = None;
        t.end_reported = false;
        t.retry_cap = None;
        t.dark_until.clear();
        t.all_dark_rounds = None;
        t.skipped.retain(|(s, _)| *s < from_start);
        self.pending.retain(|a| !matches!(a, Action::Abandon(r) if r.track == track));
    }

    /// Absolute index of the next fragment a track will request.
    pub fn next_chunk(&self, track: TrackId) -> Option<usize> {
        self.tracks.get(track).map(|t| t.next_chunk)
    }

    /// Where playback should continue when the playhead has reached a hole in the
    /// timeline (a timestamp jump after an encoder restart, or a gap in an on-demand
    /// manifest): the hole is crossed instead of played through in real time. A hole is a
    /// gap of more than [`HOLE`] between two fragments; the jump happens once the playhead
    /// reaches the end of the media before the hole on some track (the first to run out,
    /// as a stall would) and every track has fetched its fragment after the hole. Returns
    /// the earliest start after the holes.
    pub fn hole_end(&self, position: Duration) -> Option<Duration> {
        let mut ran_out = false;
        let mut target: Option<Duration> = None;
        for t in &self.tracks {
            let plan = &t.plan;
            let skipped = |c: &super::ChunkSlot| t.skipped.iter().any(|(s, _)| *s == c.start);
            // The fragment the playhead is in (or the last one before it).
            let after = plan.chunks.partition_point(|c| c.start <= position);
            let mut i = after.checked_sub(1)?;
            if plan.chunks.get(i).is_some_and(skipped) {
                // In a skipped fragment: the hole runs to the next one that is not.
                let mut j = i;
                while plan.chunks.get(j).is_some_and(skipped) {
                    j += 1;
                }
                let next = plan.chunks.get(j)?;
                if plan.first_index + j >= t.next_chunk {
                    return None; // nothing fetched past it yet
                }
                ran_out = true;
                target = Some(target.map_or(next.start, |x| x.min(next.start)));
                continue;
            }
            // Follow the contiguous run of media to its end.
            while let (Some(c), Some(n)) = (plan.chunks.get(i), plan.chunks.get(i + 1)) {
                if n.start > c.end() + HOLE || skipped(n) {
                    break;
                }
                i += 1;
            }
            let before = plan.chunks.get(i)?;
            // The first fragment with media after the run.
            let mut j = i + 1;
            while plan.chunks.get(j).is_some_and(skipped) {
                j += 1;
            }
            let next = plan.chunks.get(j)?;
            if (j == i + 1 && next.start <= before.end() + HOLE) || plan.first_index + j >= t.next_chunk {
                return None; // no hole after the playhead here, or nothing fetched past it yet
            }
            ran_out |= position + Duration::from_millis(1) >= before.end();
            target = Some(target.map_or(next.start, |x| x.min(next.start)));
        }
        target.filter(|_| ran_out)
    }

    /// The video ladder the selector works on.
    pub fn ladder(&self) -> &Ladder {
        &self.ladder
    }

    /// The plan of a track.
    pub fn plan(&self, track: TrackId) -> Option<&TrackPlan> {
        self.tracks.get(track).map(|t| &t.plan)
    }

    /// Current seek generation; requests of older generations are stale.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Media buffered ahead of the playhead on a track (skipped fragments not counted).
    pub fn buffer_ahead(&self, track: TrackId) -> Duration {
        self.tracks.get(track).map_or(Duration::ZERO, |t| t.media_ahead(self.position))
    }

    /// Smallest buffer over all tracks (what stalls playback).
    pub fn min_buffer_ahead(&self) -> Duration {
        (0..self.tracks.len()).map(|t| self.buffer_ahead(t)).min().unwrap_or_default()
    }

    /// End of contiguous downloaded media on a track.
    pub fn buffered_end(&self, track: TrackId) -> Option<Duration> {
        self.tracks.get(track).map(|t| t.buffered_end)
    }

    /// True once every track has fetched (or skipped) all its fragments.
    pub fn all_fetched(&self) -> bool {
        self.tracks.iter().all(TrackState::finished)
    }

    /// Name of the quality-selection algorithm in use.
    pub fn selector_name(&self) -> &str {
        self.selector.name()
    }

    /// The earliest instant at which [`Self::poll`] may have something new to say
    /// without any event arriving (a selector's wait expiring).
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.tracks.iter().filter_map(|t| t.wait_until).min()
    }

    /// Feeds one event.
    pub fn on_event(&mut self, event: Event, now: Instant) {
        self.started_at.get_or_insert(now);
        match event {
            Event::Downloaded { request, bytes, ttfb, elapsed } => {
                let Some(media_duration) = self.complete(request) else { return };
                self.audio_levels.on_download(bytes, elapsed);
                if let Some(track) = self.tracks.get_mut(request.track) {
                    track.last_level = Some(request.level);
                }
                if Some(request.track) == self.video {
                    let level = self.ladder_level(request.track, request.level);
                    let report = DownloadReport { level, bytes, ttfb, duration: elapsed, media_duration, abandoned: false };
                    let ctx = view!(self).context(request.chunk, now);
                    self.selector.on_download(&ctx, &report);
                }
            }
            // Skip the fragment: playback continues after the gap.
            Event::Failed { request } => {
                let slot = self.tracks.get(request.track).and_then(|t| t.plan.get(request.chunk)).copied();
                if self.complete(request).is_some() {
                    if let (Some(t), Some(c)) = (self.tracks.get_mut(request.track), slot) {
                        t.skipped.push((c.start, c.end()));
                    }
                }
            }
            // Live: the fragment is announced or predicted but not on the server yet: ask
            // again at `retry_at`, at the same level, without counting a failure.
            Event::Unavailable { request, retry_at } => {
                if request.epoch != self.epoch {
                    return;
                }
                if let Some(t) = self.tracks.get_mut(request.track) {
                    if t.in_flight == Some((request.chunk, request.level)) {
                        t.in_flight = None;
                        t.wait_until = Some(retry_at);
                    }
                }
            }
            Event::LiveEdge(edge) => self.live_edge = edge,
            Event::LevelMissing { request } => {
                if request.epoch != self.epoch {
                    return;
                }
                let Some(t) = self.tracks.get_mut(request.track) else { return };
                if t.in_flight != Some((request.chunk, request.level)) {
                    return;
                }
                if t.dark_until.len() < t.plan.levels.len() {
                    t.dark_until.resize(t.plan.levels.len(), None);
                }
                t.dark_until[request.level] = Some(now + DARK_LEVEL_BACKOFF);
                if t.deliverable(request.level, now).is_none() {
                    // Gone at every level: give the levels another chance, and, live, ask
                    // again a few times (a refresh may correct a wrong predicted start)
                    // before skipping it.
                    t.dark_until.iter_mut().for_each(|d| *d = None);
                    let rounds = match t.all_dark_rounds {
                        Some((chunk, n)) if chunk == request.chunk => n + 1,
                        _ => 1,
                    };
                    if t.plan.growing && rounds <= ALL_DARK_ROUNDS {
                        t.all_dark_rounds = Some((request.chunk, rounds));
                        t.in_flight = None;
                        t.wait_until = Some(now + ALL_DARK_WAIT);
                    } else {
                        t.all_dark_rounds = None;
                        self.complete(request);
                    }
                } else {
                    t.in_flight = None;
                }
            }
            Event::Progress { request, progress } => self.consider_abandoning(request, progress, now),
            Event::Position(p) => {
                self.position = p;
                for t in &mut self.tracks {
                    t.skipped.retain(|(_, e)| *e > p);
                }
            }
            Event::Playing(p) => self.playing = p,
            Event::Seek(to) => {
                self.epoch += 1;
                self.position = to;
                for t in &mut self.tracks {
                    let i = t.plan.chunk_at(to);
                    t.next_chunk = i;
                    t.buffered_end = t.plan.get(i).map_or(to, |c| c.start);
                    t.in_flight = None;
                    t.wait_until = None;
                    t.end_reported = false;
                    t.skipped.clear();
                }
                self.pending.clear();
                self.idle_since = None;
                self.selector.on_seek();
            }
            Event::Decode(d) => self.decode = Some(d),
            Event::Viewport(v) => self.viewport = Some(v),
        }
    }

    /// A plan level of a track as the selector's ladder names it.
    fn ladder_level(&self, track: TrackId, level: usize) -> usize {
        match self.tracks.get(track).and_then(|t| t.level_map.as_ref()) {
            Some(m) => m.to_ladder(level),
            None => level,
        }
    }

    /// The plan level of a track that a selector level fetches.
    fn plan_level(&self, track: TrackId, level: usize) -> usize {
        match self.tracks.get(track).and_then(|t| t.level_map.as_ref()) {
            Some(m) => m.to_plan(level),
            None => level,
        }
    }

    /// Asks the selector whether an in-flight video request should be abandoned; if so,
    /// reports the partial download to it and queues [`Action::Abandon`].
    fn consider_abandoning(&mut self, request: FetchRequest, p: crate::io::Progress, now: Instant) {
        if request.epoch != self.epoch || Some(request.track) != self.video || request.level == 0 || !self.selector.watches_progress() {
            return;
        }
        let Some(track) = self.tracks.get(request.track) else { return };
        if track.in_flight != Some((request.chunk, request.level)) {
            return;
        }
        let ladder_level = self.ladder_level(request.track, request.level);
        let progress = DownloadProgress {
            fragment_index: request.chunk,
            level: ladder_level,
            bytes_done: p.bytes_done,
            bytes_total: p.bytes_total,
            elapsed: p.elapsed,
            ttfb: p.ttfb,
        };
        let ctx = view!(self).context(request.chunk, now);
        let Some(suggested) = self.selector.should_abandon(&ctx, &progress) else { return };
        let suggested = self.plan_level(request.track, suggested);
        let report = DownloadReport {
            level: ladder_level,
            bytes: p.bytes_done,
            ttfb: p.ttfb.unwrap_or(p.elapsed),
            duration: p.elapsed,
            media_duration: Duration::ZERO,
            abandoned: true,
        };
        self.selector.on_download(&ctx, &report);
        if let Some(track) = self.tracks.get_mut(request.track) {
            track.in_flight = None; // the same fragment is chosen again on the next poll,
            // below the abandoned level whatever the selector says: asking again for
            // what just proved too slow would loop.
            track.retry_cap = Some((request.chunk, suggested.min(request.level - 1)));
        }
        self.pending.push(Action::Abandon(request));
    }

    /// Marks `request` done (downloaded, or skipped after failing): the track's buffer
    /// now reaches the fragment's end. Returns the fragment's duration, or `None` for a
    /// stale or unknown request.
    fn complete(&mut self, request: FetchRequest) -> Option<Duration> {
        if request.epoch != self.epoch {
            return None;
        }
        let track = self.tracks.get_mut(request.track)?;
        if track.in_flight != Some((request.chunk, request.level)) {
            return None;
        }
        track.in_flight = None;
        track.retry_cap = None;
        track.next_chunk = track.next_chunk.max(request.chunk + 1);
        let chunk = track.plan.get(request.chunk)?;
        track.buffered_end = track.buffered_end.max(chunk.end());
        Some(chunk.duration)
    }

    /// What to do now: fragments to fetch (at most one in flight per track, audio and
    /// video in parallel) and tracks that have ended.
    pub fn poll(&mut self, now: Instant) -> Vec<Action> {
        self.started_at.get_or_insert(now);
        let mut actions = std::mem::take(&mut self.pending);
        for id in 0..self.tracks.len() {
            if self.tracks[id].in_flight.is_none() && self.tracks[id].next_chunk < self.tracks[id].plan.first_index {
                self.tracks[id].next_chunk = self.tracks[id].plan.first_index; // left the window
            }
            let (next, in_flight, waiting, end_reported, end_index, growing, kind, n_levels) = {
                let t = &self.tracks[id];
                (t.next_chunk, t.in_flight.is_some(), t.wait_until.is_some_and(|w| now < w), t.end_reported,
                 t.plan.end_index(), t.plan.growing, t.plan.kind, t.plan.levels.len())
            };
            if in_flight || waiting {
                continue;
            }
            if next >= end_index {
                if growing {
                    continue; // live: wait for the timeline to grow
                }
                if !end_reported {
                    self.tracks[id].end_reported = true;
                    actions.push(Action::TrackEnded(id));
                }
                continue;
            }
            // Skipped fragments are no media: they do not fill the buffer (a manifest that
            // lists fragments the server does not have must not stop fetching for good).
            if self.tracks[id].media_ahead(self.position) >= self.config.forward_buffer || n_levels == 0 {
                if Some(id) == self.video {
                    self.idle_since.get_or_insert(now);
                }
                continue;
            }
            if Some(id) == self.video {
                // BOLA-E grows its placeholder buffer by the time spent idle with a full one.
                if let Some(since) = self.idle_since.take() {
                    self.selector.on_idle(now.saturating_duration_since(since));
                }
            }
            let (level, reason) = match kind {
                TrackKind::Audio => (self.audio_levels.choose(&self.tracks[id].plan.levels, self.video.is_some()), None),
                TrackKind::Video => {
                    let bitrates: Vec<u64> = self.tracks[id].plan.levels.iter().map(|l| l.bitrate_bps).collect();
                    match self.config.video_pin.resolve(&bitrates) {
                        Some(l) => (l, Some(LevelReason::Pinned)),
                        None => {
                            let ctx = view!(self).context(next, now);
                            let d = self.selector.choose(&ctx);
                            if let Some(w) = d.wait.filter(|w| !w.is_zero()) {
                                self.tracks[id].wait_until = Some(now + w);
                                continue;
                            }
                            let cap = match self.tracks[id].retry_cap {
                                Some((chunk, cap)) if chunk == next => cap,
                                _ => n_levels - 1,
                            };
                            let chosen = self.plan_level(id, d.level);
                            let reason = if chosen > cap { LevelReason::Abandoned } else { LevelReason::Chosen(self.selector.last_reason()) };
                            (chosen.min(cap), Some(reason))
                        }
                    }
                }
            };
            let t = &mut self.tracks[id];
            let Some(deliverable) = t.deliverable(level, now) else { continue };
            let reason = if deliverable != level { reason.map(|_| LevelReason::Unavailable) } else { reason };
            let level = deliverable;
            t.wait_until = None;
            t.in_flight = Some((next, level));
            actions.push(Action::Fetch(FetchRequest { track: id, chunk: next, level, epoch: self.epoch, reason }));
        }
        actions
    }
}

/// The fields a selector [`Context`] is built from, borrowed apart from the selector so
/// that it can be called with `&mut` while the context borrows the rest.
struct View<'a> {
    tracks: &'a [TrackState],
    ladder: &'a Ladder,
    video: Option<TrackId>,
    position: Duration,
    playing: bool,
    forward_buffer: Duration,
    decode: Option<DecodeCapacity>,
    viewport: Option<Viewport>,
    started_at: Option<Instant>,
    live_edge: Option<Duration>,
}

impl<'a> View<'a> {
    fn context(&self, fragment_index: usize, now: Instant) -> Context<'a> {
        let video = self.video.and_then(|v| self.tracks.get(v));
        let level = video.map_or(Duration::ZERO, |t| t.media_ahead(self.position));
        Context {
            ladder: self.ladder,
            fragment_index,
            buffer: BufferState { level, target: self.forward_buffer, max: self.forward_buffer },
            last_level: video.and_then(|t| t.last_level.map(|l| t.level_map.as_ref().map_or(l, |m| m.to_ladder(l)))),
            live_edge_distance: self.live_edge.map(|e| e.saturating_sub(self.position)),
            decode: self.decode,
            viewport: self.viewport,
            playing: self.playing,
            now: self.started_at.map_or(Duration::ZERO, |s| now.saturating_duration_since(s)),
        }
    }
}

/// The ladder a quality selector sees for these tracks: the video track's levels, its
/// typical fragment duration and its fragment count (empty without video).
pub fn ladder_for(plans: &[TrackPlan]) -> Ladder {
    match plans.iter().find(|p| p.kind == TrackKind::Video) {
        Some(p) => {
            let mut l = Ladder::new(p.levels.clone(), typical_duration(p));
            l.fragment_count = (!p.growing).then_some(p.chunks.len());
            l
        }
        None => Ladder::new(Vec::new(), Duration::from_secs(2)),
    }
}

/// The median fragment duration of a track (Smooth fragments are near-constant).
fn typical_duration(plan: &TrackPlan) -> Duration {
    let mut d: Vec<Duration> = plan.chunks.iter().map(|c| c.duration).collect();
    d.sort();
    d.get(d.len() / 2).copied().unwrap_or(Duration::from_secs(2))
}

#[cfg(test)]
mod tests;
