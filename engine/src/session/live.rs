//! The live part of a session: one [`LiveTimeline`] per played track, the
//! [`EdgeFollower`] and the [`RefreshPolicy`], fed by the driver with what downloads and
//! manifest refreshes said, and pushed into the scheduler's plans. Decisions are the
//! live module's; this file only translates between fragments, manifests and them.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::fmp4::parse_fragment;
use crate::live::{EdgeFollower, FollowConfig, IdleWatch, LiveTimeline, RefreshPolicy, TimelineConfig};
use crate::manifest::{Manifest, StreamIndex};
use crate::schedule::{ChunkSlot, Scheduler, TrackKind};
use crate::time::MediaTime;

use super::config::LiveConfig;
use super::stats::{DistanceSummary, LiveSample, LiveStats, MAX_LIVE_SAMPLES};
use super::tracks::TrackSelection;

/// A fragment body that does not parse is taken for one still being written this many
/// times before it is handed on (and skipped) as a bad fragment.
const SHORT_BODY_RETRIES: u32 = 5;

/// How often the distance to the edge is measured for the summary.
const SUMMARY_INTERVAL: Duration = Duration::from_millis(100);
/// One [`LiveSample`] per this many measurements (once a second).
const SAMPLES_PER_RECORD: u64 = 10;
const SAMPLE_INTERVAL_MS: u64 = 1000;
/// Measurements kept for the summary's percentiles (a day at 100 ms is 864 000): when
/// reached, every other one is dropped and only every other later measurement is kept, so
/// the kept ones stay evenly spread over the session. Mean and maximum are kept exactly.
pub(crate) const MAX_DISTANCES: usize = 200_000;
/// Entries kept in the small bookkeeping maps (404s per fragment and level, bodies still
/// being written): only recent fragments matter, so a full map is emptied.
pub(crate) const MAX_RECENT_ENTRIES: usize = 256;
/// Fragments of the followed track remembered as "asked for, not there yet".
pub(crate) const MAX_MISSED: usize = 64;
/// How far short of a whole fragment past a predicted start another track's published
/// media may end for the prediction to be suspect (fragments of different tracks do not
/// end at the same instants).
const SUSPECT_TOLERANCE: Duration = Duration::from_millis(250);

/// What a download told the live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arrival {
    /// A real fragment: decode it.
    Fragment,
    /// An empty or unparsable body from a server still writing it: ask again.
    NotYet,
}

/// Why a request got 404/412.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Missing {
    /// Beyond the edge: not published yet; ask again at this time.
    NotYet(Instant),
    /// A prediction not there although another track has published past its start (the
    /// encoder publishes every stream of a period together): probably a wrong start (a
    /// small gap before the real fragment, as when a stream's last audio frame ends short
    /// of the video). Ask again at this time, and look for the real start meanwhile
    /// ([`LiveState::reprobe_target`]); not yet reason enough to call it gone.
    Suspect(Instant),
    /// Newer fragments exist, so this one should too: the level (or the fragment) is gone.
    Gone,
    /// The presentation ended and this was a prediction past its end.
    PastTheEnd,
}

pub(super) struct LiveState {
    timelines: Vec<LiveTimeline>,
    kinds: Vec<TrackKind>,
    /// Index of each track's stream in the manifest, and its name (to match refreshes).
    streams: Vec<(usize, Option<String>)>,
    pub follower: EdgeFollower,
    pub refresh: RefreshPolicy,
    pub stats: LiveStats,
    /// A refresh request is in flight.
    pub refreshing: bool,
    /// Whether the stream has stopped (waiting, timed out).
    pub idle: IdleWatch,
    next_sample: Option<Instant>,
    /// Distances kept for the percentiles: one measurement in `distance_every`.
    distances_ms: Vec<f64>,
    distance_every: u64,
    /// Exact over every measurement.
    distance_sum: f64,
    distance_max: f64,
    measurements: u64,
    /// One [`LiveSample`] per this many measurements (doubles at [`MAX_LIVE_SAMPLES`]).
    sample_every: u64,
    short_bodies: std::collections::HashMap<(usize, u64), u32>,
    video: Option<usize>,
    /// When the last fragment was fetched again for its tfrf.
    last_reprobe: Option<Instant>,
    /// 404s per (track, fragment start, level).
    misses: std::collections::HashMap<(usize, u64, usize), u32>,
    /// Fragments of the followed track that were asked for and not there yet.
    missed: std::collections::HashSet<u64>,
    /// For those: the earliest time a request for it was sent that the server answered
    /// with the fragment (from the first bytes of a download, also one abandoned later).
    served: std::collections::HashMap<u64, Instant>,
    /// The last download on the followed track was one of those: its arrival is a step
    /// of the edge seen as it happened, at this time (when the request that found it on
    /// the server was sent, not when the body finished arriving: on a slow link that is
    /// most of a fragment later, and the follower would wait that much too long for the
    /// next step).
    step_observed: Option<Instant>,
}

impl LiveState {
    pub fn new(manifest: &Manifest, selection: &TrackSelection, config: &LiveConfig, now: Instant) -> LiveState {
        let mut timelines = Vec::new();
        let mut streams = Vec::new();
        for t in &selection.tracks {
            let stream = &manifest.streams[t.stream];
            let mut tc = TimelineConfig::new(stream.timescale);
            tc.dvr_window = manifest.dvr_window_length.map(|d| d.rescale(stream.timescale).ticks).filter(|d| *d > 0);
            let mut tl = LiveTimeline::new(tc);
            tl.merge_manifest(&chunk_pairs(stream), true);
            timelines.push(tl);
            streams.push((t.stream, stream.name.clone()));
        }
        let video = selection.tracks.iter().position(|t| t.kind == TrackKind::Video);
        let kinds = selection.tracks.iter().map(|t| t.kind).collect();
        let mut s = LiveState {
            timelines,
            kinds,
            streams,
            follower: EdgeFollower::new(FollowConfig::for_fragment(Duration::from_secs(2), config.target_delay), Duration::from_secs(2)),
            refresh: RefreshPolicy::new(Duration::from_secs(2), now),
            stats: LiveStats { sample_interval_ms: SAMPLE_INTERVAL_MS, ..LiveStats::default() },
            refreshing: false,
            idle: IdleWatch::new(config.idle_timeout),
            next_sample: None,
            distances_ms: Vec::new(),
            distance_every: 1,
            distance_sum: 0.0,
            distance_max: 0.0,
            measurements: 0,
            sample_every: SAMPLES_PER_RECORD,
            short_bodies: Default::default(),
            video,
            missed: Default::default(),
            misses: Default::default(),
            last_reprobe: None,
            served: Default::default(),
            step_observed: None,
        };
        s.learn_fragment_duration(config, now);
        s
    }

    /// The track whose edge is followed: video, else the first track.
    pub fn edge_track(&self) -> usize {
        self.video.unwrap_or(0)
    }

    fn learn_fragment_duration(&mut self, config: &LiveConfig, now: Instant) {
        let Some(tl) = self.timelines.get(self.edge_track()) else { return };
        let Some(d) = tl.typical_duration() else { return };
        let f = MediaTime::new(d, tl.config().timescale).to_duration();
        if !f.is_zero() && f != self.follower.fragment() {
            let mut fc = *self.follower.config();
            if config.target_delay.is_none() {
                fc.target = FollowConfig::for_fragment(f, None).target;
            }
            let mut follower = EdgeFollower::new(fc, f);
            std::mem::swap(&mut follower, &mut self.follower);
            // Keep what was learned of the edge.
            if let Some(e) = follower.edge() {
                self.follower.on_edge(e, now, false);
            }
            self.follower.set_following(follower.is_following());
            self.refresh.set_fragment(f);
        }
    }

    fn to_duration(&self, track: usize, ticks: u64) -> Duration {
        let ts = self.timelines.get(track).map_or(1, |t| t.config().timescale);
        MediaTime::new(ticks, ts).to_duration()
    }

    /// The live edge: the newest fragment known available on the followed track (the
    /// newest announced one before any download).
    pub fn edge(&self) -> Option<Duration> {
        let track = self.edge_track();
        let tl = self.timelines.get(track)?;
        tl.available_end().or(tl.announced_end()).map(|t| self.to_duration(track, t))
    }

    /// Start of the window (the oldest fragment held on the followed track).
    pub fn window_start(&self) -> Option<Duration> {
        let track = self.edge_track();
        self.timelines.get(track)?.window_start().map(|t| self.to_duration(track, t))
    }

    /// True once the presentation turned on-demand.
    pub fn ended(&self) -> bool {
        self.timelines.iter().all(LiveTimeline::is_ended)
    }

    /// Start tick of a track's fragment (for its URL), if still held.
    pub fn fragment_start(&self, track: usize, index: usize) -> Option<u64> {
        self.timelines.get(track)?.get(index as u64).map(|e| e.start)
    }

    /// The prediction (next fragment to probe for) of a track: (absolute index, start tick).
    pub fn probe_target(&self, track: usize) -> Option<(usize, u64)> {
        let tl = self.timelines.get(track)?;
        tl.prediction().map(|(i, e)| (i as usize, e.start))
    }

    /// Pushes every track's timeline into the scheduler and the edge to the follower.
    pub fn sync(&mut self, sched: &mut Scheduler, now: Instant) {
        for (track, tl) in self.timelines.iter().enumerate() {
            let ts = tl.config().timescale;
            let slots: Vec<ChunkSlot> = tl
                .iter()
                .map(|(_, e)| ChunkSlot { start: MediaTime::new(e.start, ts).to_duration(), duration: MediaTime::new(e.duration, ts).to_duration() })
                .collect();
            sched.update_plan(track, tl.first_index() as usize, slots, !tl.is_ended());
        }
        if let Some(edge) = self.edge() {
            let observed = self.step_observed.take();
            self.follower.on_edge(edge, observed.unwrap_or(now), observed.is_some());
        }
        sched.on_event(crate::schedule::Event::LiveEdge(self.edge()), now);
        self.stats.window_start_ms = self.window_start().map(ms);
    }

    /// The server is answering a request for `track`'s fragment `index` sent at `sent_at`
    /// with a body (its first bytes arrived): if it was missing before, it appeared by then.
    pub fn on_served(&mut self, track: usize, index: usize, sent_at: Instant) {
        if track == self.edge_track() && self.missed.contains(&(index as u64)) {
            let at = self.served.entry(index as u64).or_insert(sent_at);
            *at = (*at).min(sent_at);
        }
    }

    /// A fragment of `track` at `index` arrived, asked for at `sent_at`. Reads its tfxd
    /// and tfrf into the timeline.
    pub fn on_downloaded(&mut self, track: usize, index: usize, body: &Bytes, sent_at: Instant, now: Instant) -> Arrival {
        let Some(tl) = self.timelines.get_mut(track) else { return Arrival::Fragment };
        let requested = tl.get(index as u64).copied();
        let parsed = if body.is_empty() { None } else { parse_fragment(body.clone()).ok() };
        let Some(fragment) = parsed else {
            if track == self.video.unwrap_or(0) {
                self.served.remove(&(index as u64)); // a body still being written: not there yet
            }
            if self.short_bodies.len() >= MAX_RECENT_ENTRIES {
                self.short_bodies.clear(); // bounded: only the newest fragments matter
            }
            let n = self.short_bodies.entry((track, index as u64)).or_insert(0);
            *n += 1;
            return if *n <= SHORT_BODY_RETRIES { Arrival::NotYet } else { Arrival::Fragment };
        };
        self.short_bodies.remove(&(track, index as u64));
        if track == self.video.unwrap_or(0) && self.missed.remove(&(index as u64)) {
            let served = self.served.remove(&(index as u64)).unwrap_or(sent_at);
            self.step_observed = Some(served.min(sent_at));
        }
        let (start, duration) = match (fragment.tfxd, requested) {
            (Some(x), _) => (x.start, x.duration),
            (None, Some(e)) => (e.start, if fragment.duration() > 0 { fragment.duration() } else { e.duration }),
            (None, None) => return Arrival::Fragment,
        };
        if duration > 0 {
            tl.mark_available(start, duration);
        }
        let before = tl.announced_end();
        if !fragment.tfrf.is_empty() {
            let entries: Vec<(u64, u64)> = fragment.tfrf.iter().map(|e| (e.start, e.duration)).collect();
            self.stats.tfrf_entries += entries.len() as u64;
            tl.merge_tfrf(&entries);
        }
        // The server writes tfrf and the timeline moved on: no manifest polling needed. A
        // fragment served before its tfrf was written (ffmpeg's `free` placeholder) or a
        // server that strips tfrf leaves refreshes on.
        if fragment.tfrf_present && (tl.announced_end() > before || before.is_none_or(|b| b <= start.saturating_add(duration))) {
            self.refresh.on_tfrf_growth(now);
        }
        Arrival::Fragment
    }

    /// The server said 404/412 (or equivalent) for `track`'s fragment `index` at ladder
    /// level `level`. Not there *yet* only when nothing says it should exist: it is the
    /// prediction, no newer fragment is known, and the other tracks have not moved past
    /// it. Otherwise it is gone at that level (asked twice, for an announced one: a level
    /// can lag its siblings by a moment).
    pub fn on_missing(&mut self, track: usize, index: usize, ticks: u64, level: usize, now: Instant) -> Missing {
        let Some(tl) = self.timelines.get_mut(track) else { return Missing::Gone };
        let Some(entry) = tl.get(index as u64).copied() else { return Missing::Gone };
        if entry.start != ticks {
            // The prediction it asked for was replaced (a refresh showed where the next
            // fragment really starts): ask for the real one now.
            return Missing::NotYet(now);
        }
        if tl.is_ended() && tl.mark_missing(index as u64) {
            return Missing::PastTheEnd;
        }
        let index = index as u64;
        let newer_known = (index + 1..tl.end_index()).filter_map(|i| tl.get(i)).any(|e| e.available || e.source != crate::live::Source::Predicted);
        let end = self.to_duration(track, entry.end());
        let fragment = self.follower.fragment();
        // The streams are published together: when the others have this time already and
        // this one is late (the followed track a quarter fragment after its due step; another
        // track a quarter fragment behind the others), it will not come at this start and
        // level.
        let (late, margin) = if track == self.edge_track() {
            (self.follower.idle_for(now).is_some_and(|i| i > fragment.mul_f64(1.25)), Duration::ZERO)
        } else {
            (true, fragment / 4 + Duration::from_millis(100))
        };
        let others_past = late
            && (0..self.timelines.len())
                .filter(|&t| t != track)
                .filter_map(|t| self.timelines[t].available_end().map(|e| self.to_duration(t, e)))
                .any(|e| e + Duration::from_millis(100) >= end + margin);
        if self.misses.len() >= MAX_RECENT_ENTRIES {
            self.misses.clear(); // bounded; only recent misses matter
        }
        let misses = self.misses.entry((track, entry.start, level)).or_insert(0);
        *misses += 1;
        let announced = entry.source != crate::live::Source::Predicted || newer_known;
        if entry.available || others_past || (announced && *misses >= 2) {
            return Missing::Gone;
        }
        self.stats.unavailable_retries += 1;
        if track == self.edge_track() {
            self.missed.insert(index);
            if self.missed.len() > MAX_MISSED {
                self.missed.clear(); // bounded: only the newest misses matter
                self.served.clear();
                self.missed.insert(index);
            }
        } else if entry.source == crate::live::Source::Predicted {
            let start = self.to_duration(track, entry.start);
            let published_past = (0..self.timelines.len())
                .filter(|&t| t != track)
                .filter_map(|t| self.timelines[t].available_end().map(|e| self.to_duration(t, e)))
                .any(|e| e + SUSPECT_TOLERANCE >= start + fragment);
            if published_past {
                return Missing::Suspect(self.follower.retry_at(now));
            }
        }
        Missing::NotYet(self.follower.retry_at(now))
    }

    /// A predicted fragment of `track` is missing while the stream goes on: its start was
    /// probably wrong (a small gap between fragments). Returns the newest available
    /// fragment (index, start tick) to fetch again for its tfrf, which by now announces
    /// the real next one, at most once per fragment duration; and asks for a manifest
    /// refresh.
    pub fn reprobe_target(&mut self, track: usize, index: usize, now: Instant) -> Option<(usize, u64)> {
        let tl = self.timelines.get(track)?;
        if tl.get(index as u64)?.source != crate::live::Source::Predicted {
            return None;
        }
        self.refresh.request_now();
        if self.last_reprobe.is_some_and(|t| now.saturating_duration_since(t) < self.follower.fragment()) {
            return None;
        }
        let previous = tl.get((index as u64).checked_sub(1)?)?;
        if !previous.available {
            return None;
        }
        self.last_reprobe = Some(now);
        Some((index - 1, previous.start))
    }

    /// The fragments of `track` the server has announced or served (predictions left
    /// out), in order: what trick play may walk. Each as (start, start ticks), and the end
    /// of the last.
    pub fn announced(&self, track: usize) -> (Vec<(Duration, u64)>, Option<Duration>) {
        let Some(tl) = self.timelines.get(track) else { return (Vec::new(), None) };
        let real: Vec<&crate::live::Entry> = tl.iter().map(|(_, e)| e).filter(|e| e.available || e.source != crate::live::Source::Predicted).collect();
        let end = real.last().map(|e| self.to_duration(track, e.end()));
        (real.iter().map(|e| (self.to_duration(track, e.start), e.start)).collect(), end)
    }

    /// A track switch: `track` now plays the manifest's stream `index` (named `name`) on
    /// the same timeline; refreshed manifests are read for that stream from now on.
    pub fn switch_stream(&mut self, track: usize, index: usize, name: Option<String>) {
        if let Some(s) = self.streams.get_mut(track) {
            *s = (index, name);
        }
        self.misses.retain(|(t, _, _), _| *t != track);
        self.short_bodies.retain(|(t, _), _| *t != track);
    }

    /// A refreshed manifest arrived.
    pub fn on_manifest(&mut self, manifest: &Manifest, config: &LiveConfig, now: Instant) {
        self.stats.manifest_refreshes += 1;
        for (track, tl) in self.timelines.iter_mut().enumerate() {
            let (index, name) = &self.streams[track];
            let kind = self.kinds[track];
            let stream = find_stream(manifest, *index, name.as_deref(), kind);
            if let Some(stream) = stream {
                tl.merge_manifest(&chunk_pairs(stream), manifest.is_live);
            }
            if !manifest.is_live {
                tl.set_ended();
            }
        }
        self.learn_fragment_duration(config, now);
    }

    /// Records the distance to the edge for the statistics: every 100 ms for the summary
    /// (the distance is a sawtooth with the fragment period: sampling it once a second
    /// would alias), and a [`LiveSample`] once a second.
    pub fn sample(&mut self, position: Duration, now: Instant) {
        if self.next_sample.is_some_and(|t| now < t) {
            return;
        }
        let Some(edge) = self.edge() else { return };
        self.next_sample = Some(now + SUMMARY_INTERVAL);
        let distance = ms(edge.saturating_sub(position));
        self.measurements += 1;
        self.distance_sum += distance;
        self.distance_max = self.distance_max.max(distance);
        if (self.measurements - 1) % self.distance_every == 0 {
            self.distances_ms.push(distance);
            if self.distances_ms.len() >= MAX_DISTANCES {
                // Over 5.5 hours: keep memory flat by halving the resolution evenly.
                decimate(&mut self.distances_ms);
                self.distance_every *= 2;
            }
        }
        if (self.measurements - 1) % self.sample_every == 0 {
            let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            self.stats.samples.push(LiveSample { wall_unix_ms: ms(wall), position_ms: ms(position), edge_ms: ms(edge) });
            if self.stats.samples.len() >= MAX_LIVE_SAMPLES {
                decimate(&mut self.stats.samples);
                self.sample_every *= 2;
                self.stats.sample_interval_ms *= 2;
            }
        }
    }

    #[cfg(test)]
    /// Lengths of the structures that grow with playing time, for memory tests: (live
    /// samples, distance measurements kept, timeline entries per track, 404 and short-body
    /// bookkeeping entries).
    pub fn footprint(&self) -> LiveFootprint {
        LiveFootprint {
            samples: self.stats.samples.len(),
            distances: self.distances_ms.len(),
            timeline_entries: self.timelines.iter().map(LiveTimeline::len).max().unwrap_or(0),
            bookkeeping: self.misses.len() + self.short_bodies.len() + self.missed.len() + self.served.len(),
        }
    }

    /// The statistics, with the distance summary computed.
    pub fn finish(mut self) -> LiveStats {
        let mut summary = summarize(&mut self.distances_ms);
        if self.distance_every > 1 && self.measurements > 0 {
            // Decimated: the percentiles are estimates, mean and maximum stay exact.
            summary.mean = self.distance_sum / self.measurements as f64;
            summary.max = self.distance_max;
        }
        self.stats.edge_distance_ms = summary;
        self.stats.window_start_ms = self.window_start().map(ms);
        self.stats
    }
}

/// Lengths of [`LiveState`]'s growing structures (see [`LiveState::footprint`]).
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LiveFootprint {
    pub samples: usize,
    pub distances: usize,
    pub timeline_entries: usize,
    pub bookkeeping: usize,
}

/// Keeps the items at even positions (the first, the third...), in place.
fn decimate<T: Copy>(v: &mut Vec<T>) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        i % 2 == 1
    });
}

fn find_stream<'a>(manifest: &'a Manifest, index: usize, name: Option<&str>, kind: TrackKind) -> Option<&'a StreamIndex> {
    let want = match kind {
        TrackKind::Video => crate::manifest::StreamKind::Video,
        TrackKind::Audio => crate::manifest::StreamKind::Audio,
    };
    if let Some(n) = name {
        if let Some(s) = manifest.streams.iter().find(|s| s.kind == want && s.name.as_deref() == Some(n)) {
            return Some(s);
        }
    }
    manifest.streams.get(index).filter(|s| s.kind == want)
}

/// A stream's chunks as (start, duration) ticks; a chunk without a duration is left out
/// (the next refresh or the fragment itself will tell it).
fn chunk_pairs(stream: &StreamIndex) -> Vec<(u64, u64)> {
    stream.chunks.iter().filter_map(|c| Some((c.start.ticks, c.duration?.ticks))).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Mean, median, 95th percentile and maximum of `values` (sorted in place).
pub(super) fn summarize(values: &mut [f64]) -> DistanceSummary {
    if values.is_empty() {
        return DistanceSummary::default();
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let pct = |p: f64| values[((p * (n - 1) as f64).round() as usize).min(n - 1)];
    DistanceSummary { mean: values.iter().sum::<f64>() / n as f64, p50: pct(0.5), p95: pct(0.95), max: values[n - 1] }
}

#[cfg(test)]
mod memory_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/demo.ism/");

    /// The demo presentation as a live one whose manifest lists video fragments 0..=8:
    /// fragment 9 (18..20 s) is the prediction to probe for.
    fn demo_live(now: Instant) -> (LiveState, Scheduler) {
        let xml = std::fs::read_to_string(format!("{DEMO}Manifest")).unwrap();
        let xml = xml.replacen("<c n=\"9\" d=\"20000000\" />", "", 1);
        let manifest = Manifest::parse(xml.as_bytes()).unwrap();
        let selection = super::super::tracks::select_tracks(&manifest);
        let plans = selection.tracks.iter().map(|t| t.plan.clone()).collect::<Vec<_>>();
        let ladder = crate::schedule::ladder_for(&plans);
        let selector = smoothplay_heuristics::selector_by_name("smoothplay", &ladder).unwrap();
        let mut sched = Scheduler::new(plans, crate::schedule::ScheduleConfig::default(), selector);
        let mut live = LiveState::new(&manifest, &selection, &LiveConfig::default(), now);
        live.sync(&mut sched, now);
        (live, sched)
    }

    #[test]
    fn an_observed_step_is_timed_by_the_request_that_found_the_fragment_not_by_its_last_byte() {
        let t0 = Instant::now();
        let ms = |v: u64| t0 + Duration::from_millis(v);
        let (mut live, mut sched) = demo_live(t0);
        assert_eq!(live.probe_target(0).map(|(i, _)| i), Some(9));
        let start = live.fragment_start(0, 9).unwrap();
        assert!(matches!(live.on_missing(0, 9, start, 0, t0), Missing::NotYet(_)), "not there yet");
        // At 100 ms a request finds it (its first bytes arrive), at 600 ms a lower level is
        // asked for after an abandonment, and its last byte arrives at 2000 ms (a slow link).
        live.on_served(0, 9, ms(100));
        let body = Bytes::from(std::fs::read(format!("{DEMO}QualityLevels(250000)/Fragments(video=180000000)")).unwrap());
        assert_eq!(live.on_downloaded(0, 9, &body, ms(600), ms(2000)), Arrival::Fragment);
        live.sync(&mut sched, ms(2000));
        assert_eq!(live.edge(), Some(Duration::from_secs(20)));
        assert!(live.follower.phase_known());
        // The edge stepped at 100 ms: the next fragment is due at 2100 ms, and a "not yet"
        // for it at 2000 ms is asked again then (not at 2000 + 2000 ms, a fragment late).
        assert_eq!(live.follower.idle_for(ms(2000)), Some(Duration::from_millis(1900)));
        assert_eq!(live.follower.retry_at(ms(2000)), ms(2100));

        // Without first bytes seen, the request that brought the fragment times the step.
        let (mut live, mut sched) = demo_live(t0);
        live.on_missing(0, 9, start, 0, t0);
        live.on_downloaded(0, 9, &body, ms(300), ms(1500));
        live.sync(&mut sched, ms(1500));
        assert_eq!(live.follower.retry_at(ms(1500)), ms(2300));

        // A fragment never missed (caught up with, not a step seen as it happened) leaves
        // the phase unknown.
        let (mut live, mut sched) = demo_live(t0);
        live.on_served(0, 9, ms(100)); // never missed: ignored
        live.on_downloaded(0, 9, &body, ms(100), ms(1500));
        live.sync(&mut sched, ms(1500));
        assert!(!live.follower.phase_known());
    }

    #[test]
    fn summary_of_distances() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = summarize(&mut v);
        assert_eq!(s.mean, 50.5);
        assert_eq!(s.p50, 51.0);
        assert_eq!(s.p95, 95.0);
        assert_eq!(s.max, 100.0);
        assert_eq!(summarize(&mut []), DistanceSummary::default());
    }
}
