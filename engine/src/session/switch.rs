//! Switching a playing track, an audio language or a camera angle, at a fragment
//! boundary. Sans-I/O: the driver asks, this module decides; the driver then moves the
//! data.
//!
//! How a switch goes ([`plan`]):
//! 1. The track asked for is found ([`resolve`]: by name, else audio by language, or the
//!    next one of its kind).
//! 2. The boundary: the first fragment boundary of the playing track that lies at least
//!    [`switch_lead`] ahead of the playhead (time to fetch and decode the new stream's
//!    first fragment) and after everything that cannot be taken back (pictures already
//!    handed to the video sink, audio already written to the audio sink), but never past
//!    the first fragment not downloaded yet. Buffered media of the old track after the
//!    boundary is dropped rather than played out, so a switch takes one lead plus at most
//!    one fragment, whatever the forward buffer holds.
//! 3. The driver starts a new *generation* of the track at the boundary
//!    ([`Cuts::cut`]); every decoded picture and audio block carries the generation of
//!    the fragment it came from, and [`Cuts::verdict`] keeps what belongs to the
//!    generation that owns its time: the old stream before the boundary, the new one
//!    after (an audio block across the boundary is trimmed to it). The scheduler fetches
//!    the new stream from the boundary's fragment on
//!    ([`crate::schedule::Scheduler::switch_track`]); the decode worker restarts its
//!    decoder at the new stream's first fragment (its own SPS/PPS or
//!    AudioSpecificConfig, an IDR picture first).
//!
//! The clock never stops and the other track is not touched: no seek.

use std::time::{Duration, Instant};

use crate::manifest::Manifest;
use crate::schedule::TrackPlan;

use super::catalog::{Track, TrackType};
use super::events::TrackChoice;
use super::tracks::{candidates, select_stream, SelectedTrack, TrackSelection};
use super::Error;

/// The least time between a switch command and the boundary where the new track starts.
pub(super) const MIN_LEAD: Duration = Duration::from_millis(500);

/// How far ahead of the playhead a switch can land: twice the time the track's last
/// fragment took to download (none yet: 1 s), at least [`MIN_LEAD`], plus what the audio
/// sink holds ahead of the playhead (it cannot be taken back).
pub(super) fn switch_lead(last_fetch: Option<Duration>, sink_lead: Duration) -> Duration {
    (last_fetch.unwrap_or(Duration::from_secs(1)) * 2).max(MIN_LEAD) + sink_lead
}

/// Absolute index of the fragment of `plan` at which a switched track starts: the first
/// one starting at or after `earliest`, but not after the first one not downloaded yet
/// (`next_chunk`: nothing is gained by waiting past it) unless that one starts before
/// `committed` (media already presented). `None` when no fragment starts there: the
/// track has ended.
pub(super) fn boundary(plan: &TrackPlan, next_chunk: usize, earliest: Duration, committed: Duration) -> Option<usize> {
    let first_from = |t: Duration| plan.first_index + plan.chunks.partition_point(|c| c.start < t);
    let k = first_from(earliest.max(committed)).min(next_chunk.max(first_from(committed)));
    (k < plan.end_index()).then_some(k)
}

/// The stream (position in the manifest) that `choice` names among the tracks of
/// `kind`; `current` is the one playing. A name is a track's `Name` (or `#N`); for audio,
/// a language when no name matches. [`Error::NoSuchTrack`] lists the tracks of the kind.
pub(super) fn resolve(available: &[Track], kind: &TrackType, choice: &TrackChoice, current: usize) -> Result<usize, Error> {
    let matching = match choice {
        TrackChoice::Name(name) => match candidates(available, kind, Some(name), None) {
            Ok(m) => m,
            Err(e) => match (kind, candidates(available, kind, None, Some(name))) {
                (TrackType::Audio, Ok(m)) => m,
                _ => return Err(e),
            },
        },
        TrackChoice::Next => {
            let playable: Vec<usize> = available.iter().filter(|t| t.kind == *kind && t.is_playable()).map(|t| t.stream).collect();
            let after = playable.iter().position(|&s| s == current).map_or(0, |i| i + 1);
            return Ok(playable.get(after % playable.len().max(1)).copied().unwrap_or(current));
        }
    };
    if matching.contains(&current) {
        return Ok(current);
    }
    match matching.iter().find(|&&i| available[i].is_playable()) {
        Some(&i) => Ok(i),
        None => Err(Error::TrackNotPlayable {
            kind: kind.clone(),
            track: match choice {
                TrackChoice::Name(n) => format!("{n:?}"),
                TrackChoice::Next => "next".to_string(),
            },
            reason: matching.iter().map(|&i| format!("{}: {}", available[i].describe(), available[i].unplayable.clone().unwrap_or_default())).collect::<Vec<_>>().join("; "),
        }),
    }
}

/// What the playing session looks like when a switch is asked for.
pub(super) struct Playing<'a> {
    /// The manifest.
    pub manifest: &'a Manifest,
    /// The tracks playing, and every track.
    pub selection: &'a TrackSelection,
    /// A live presentation: the new stream takes over the old one's timeline (see
    /// [`plan`]).
    pub live: bool,
    /// The playhead.
    pub position: Duration,
}

/// Per playing track: its plan, next fragment to fetch, the end of what cannot be taken
/// back, and the lead ([`switch_lead`]).
pub(super) struct TrackNow<'a> {
    /// The scheduler's plan of the track.
    pub plan: &'a TrackPlan,
    /// The next fragment it would fetch.
    pub next_chunk: usize,
    /// End of the media already presented or handed to a sink.
    pub committed: Duration,
    /// How far ahead the switch can land.
    pub lead: Duration,
}

/// A switch decided: the driver carries it out.
pub(super) struct Switch {
    /// The scheduler track (position in [`TrackSelection::tracks`]).
    pub track: usize,
    /// The new stream, ready for the scheduler and the worker.
    pub to: SelectedTrack,
    /// The old track's fragment (absolute index) where the new stream starts.
    pub old_chunk: usize,
    /// The new stream's fragment (absolute index) to fetch first.
    pub new_chunk: usize,
    /// The boundary, on the presentation timeline.
    pub at: Duration,
    /// Names, for the event.
    pub from_name: String,
    /// Names, for the event.
    pub to_name: String,
}

/// Decides a switch of the `kind` track to `choice`; `now_of` describes the playing
/// track of that kind (by its position in [`TrackSelection::tracks`]). `Ok(None)`: that
/// track already plays. `Err`: why not, for [`super::PlayerEvent::TrackSwitchFailed`].
pub(super) fn plan<'p>(
    playing: &Playing<'_>,
    kind: &TrackType,
    choice: &TrackChoice,
    now_of: impl FnOnce(usize) -> Option<TrackNow<'p>>,
) -> Result<Option<Switch>, String> {
    let want = match kind {
        TrackType::Video => crate::schedule::TrackKind::Video,
        TrackType::Audio => crate::schedule::TrackKind::Audio,
        other => return Err(format!("{other} tracks cannot be switched during playback yet")),
    };
    let Some(track) = playing.selection.tracks.iter().position(|t| t.kind == want) else {
        return Err(format!("no {kind} track is playing"));
    };
    let current = playing.selection.tracks[track].stream;
    let available = &playing.selection.available;
    let to = resolve(available, kind, choice, current).map_err(|e| e.to_string())?;
    if to == current {
        return Ok(None);
    }
    let name = |i: usize| available.get(i).map_or_else(|| format!("#{i}"), Track::label);
    let mut new = select_stream(playing.manifest, to).map_err(|why| format!("the {kind} track {:?} cannot be played: {why}", name(to)))?;
    let Some(now) = now_of(track) else { return Err(format!("the {kind} track has no plan")) };
    if playing.live {
        // The manifest the session opened is stale by now, and the live timeline (tfrf,
        // probing) is per playing track: the new stream takes the old one's timeline, as
        // the angles and languages of one live encoder share it (Smooth Streaming cuts
        // every stream at the same times). Its own entries merge in at the next refresh.
        if new.timescale != playing.selection.tracks[track].timescale {
            return Err(format!("the {kind} track {:?} has another timescale ({} against {}): it cannot take over the live timeline", name(to), new.timescale, playing.selection.tracks[track].timescale));
        }
        new.plan = TrackPlan { levels: std::mem::take(&mut new.plan.levels), ..now.plan.clone() };
    }
    let earliest = playing.position + now.lead;
    let Some(old_chunk) = boundary(now.plan, now.next_chunk, earliest, now.committed) else {
        return Err(format!("too late to switch to {:?}: the {kind} track has no fragment left after {:.3} s", name(to), earliest.as_secs_f64()));
    };
    let at = now.plan.get(old_chunk).map(|c| c.start).unwrap_or(earliest);
    // The new stream's fragment that holds the boundary (the same one on a shared timeline).
    let new_chunk = new.plan.chunk_at(at);
    Ok(Some(Switch { track, to: new, old_chunk, new_chunk, at, from_name: name(current), to_name: name(to) }))
}

/// A switch asked for whose new track has not been presented yet.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    /// The boundary.
    pub at: Duration,
    /// Names.
    pub from: String,
    /// Names.
    pub to: String,
    /// When the command came.
    pub asked: Instant,
    /// The playhead then.
    pub asked_position: Duration,
}

/// What to do with a decoded picture or audio block of some generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It belongs to the generation that owns its time.
    Keep,
    /// It does not (old stream after the boundary, new stream before it).
    Drop,
    /// Only this span of it does (an audio block across a boundary).
    Trim {
        /// Drop what is before.
        from: Duration,
        /// Drop what is after.
        to: Option<Duration>,
    },
}

/// Which generation of a track owns which span of the timeline.
#[derive(Debug, Clone)]
pub(super) struct Cuts {
    /// (start, generation), ascending; the first starts at zero, each runs to the next.
    segments: Vec<(Duration, u32)>,
    generation: u32,
}

impl Default for Cuts {
    fn default() -> Self {
        Cuts { segments: vec![(Duration::ZERO, 0)], generation: 0 }
    }
}

impl Cuts {
    /// The newest generation (what is being fetched now).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// A new generation owns the timeline from `at` on; returns it.
    pub fn cut(&mut self, at: Duration) -> u32 {
        self.generation += 1;
        self.segments.retain(|(s, _)| *s < at);
        self.segments.push((at, self.generation));
        self.generation
    }

    /// After a seek everything is fetched again: the newest generation owns it all.
    pub fn restart(&mut self) {
        self.segments = vec![(Duration::ZERO, self.generation)];
    }

    /// Forgets the spans before the playhead.
    pub fn prune(&mut self, position: Duration) {
        while self.segments.len() > 1 && self.segments[1].0 <= position {
            self.segments.remove(0);
        }
    }

    /// What to keep of media of `generation` spanning `start..end` (`end == start` for a
    /// picture: it is kept when its time is the generation's).
    pub fn verdict(&self, generation: u32, start: Duration, end: Duration) -> Verdict {
        let Some(i) = self.segments.iter().position(|(_, g)| *g == generation) else { return Verdict::Drop };
        let from = self.segments[i].0;
        let to = self.segments.get(i + 1).map(|s| s.0);
        let inside = |t: Duration| t >= from && to.is_none_or(|to| t < to);
        if end <= start {
            return if inside(start) { Verdict::Keep } else { Verdict::Drop };
        }
        let (a, b) = (start.max(from), to.map_or(end, |to| end.min(to)));
        if a >= b {
            Verdict::Drop
        } else if a == start && b == end {
            Verdict::Keep
        } else {
            Verdict::Trim { from: a, to: (b < end).then_some(b) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{ChunkSlot, TrackKind};

    const MULTITRACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media/multitrack.ism/Manifest");
    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn plan6() -> TrackPlan {
        TrackPlan::complete(TrackKind::Audio, (0..6).map(|i| ChunkSlot { start: S(2 * i), duration: S(2) }).collect(), Vec::new())
    }

    #[test]
    fn the_boundary_is_the_first_fragment_start_after_the_lead_but_not_after_what_is_fetched() {
        let p = plan6();
        assert_eq!(boundary(&p, 6, MS(1500), S(0)), Some(1), "everything fetched: the first start at or after 1.5 s");
        assert_eq!(boundary(&p, 6, S(2), S(0)), Some(1), "a boundary exactly there");
        assert_eq!(boundary(&p, 1, MS(2500), S(0)), Some(1), "fragment 1 is not fetched: start there, nothing to drop");
        assert_eq!(boundary(&p, 6, MS(1500), MS(4100)), Some(3), "media up to 4.1 s already presented");
        assert_eq!(boundary(&p, 2, MS(500), MS(4100)), Some(3), "even when it was fetched");
        assert_eq!(boundary(&p, 6, MS(10_500), S(0)), None, "the last fragment has begun");
    }

    #[test]
    fn the_lead_covers_a_fetch_twice_and_the_sink() {
        assert_eq!(switch_lead(None, Duration::ZERO), S(2));
        assert_eq!(switch_lead(Some(MS(10)), Duration::ZERO), MIN_LEAD);
        assert_eq!(switch_lead(Some(MS(400)), MS(400)), MS(1200));
    }

    #[test]
    fn generations_own_their_spans() {
        let mut c = Cuts::default();
        assert_eq!(c.verdict(0, S(5), S(6)), Verdict::Keep);
        assert_eq!(c.cut(S(2)), 1);
        // Pictures.
        assert_eq!(c.verdict(0, MS(1960), MS(1960)), Verdict::Keep);
        assert_eq!(c.verdict(0, S(2), S(2)), Verdict::Drop, "old stream after the boundary");
        assert_eq!(c.verdict(1, S(2), S(2)), Verdict::Keep);
        assert_eq!(c.verdict(1, MS(1960), MS(1960)), Verdict::Drop, "new stream before it");
        // Audio blocks across the boundary.
        assert_eq!(c.verdict(0, MS(1990), MS(2011)), Verdict::Trim { from: MS(1990), to: Some(S(2)) });
        assert_eq!(c.verdict(1, MS(1990), MS(2011)), Verdict::Trim { from: S(2), to: None });
        // A second switch before the first is heard: the middle generation keeps its span.
        assert_eq!(c.cut(S(4)), 2);
        assert_eq!(c.verdict(1, S(3), S(3)), Verdict::Keep);
        assert_eq!(c.verdict(1, S(4), S(4)), Verdict::Drop);
        assert_eq!(c.verdict(0, S(3), S(3)), Verdict::Drop);
        // A switch back to an earlier boundary replaces later spans.
        assert_eq!(c.cut(S(2)), 3);
        assert_eq!(c.verdict(1, S(3), S(3)), Verdict::Drop);
        assert_eq!(c.verdict(2, S(5), S(5)), Verdict::Drop);
        assert_eq!(c.verdict(3, S(5), S(5)), Verdict::Keep);
        c.prune(S(3));
        assert_eq!(c.verdict(0, S(1), S(1)), Verdict::Drop, "pruned");
        c.restart();
        assert_eq!((c.verdict(3, S(0), S(0)), c.generation()), (Verdict::Keep, 3), "after a seek the newest owns it all");
    }

    fn multitrack() -> (Manifest, TrackSelection) {
        let m = Manifest::parse(&std::fs::read(MULTITRACK).unwrap()).unwrap();
        let sel = super::super::tracks::select_tracks(&m);
        (m, sel)
    }

    #[test]
    fn names_languages_and_cycling_resolve_to_streams() {
        let (_, sel) = multitrack();
        let a = &sel.available;
        let name = |n: &str| TrackChoice::Name(n.to_string());
        assert_eq!(resolve(a, &TrackType::Audio, &name("audio_fra"), 2).unwrap(), 3);
        assert_eq!(resolve(a, &TrackType::Audio, &name("fr"), 2).unwrap(), 3, "audio by language");
        assert_eq!(resolve(a, &TrackType::Video, &name("CAMERA2"), 0).unwrap(), 1);
        assert_eq!(resolve(a, &TrackType::Video, &TrackChoice::Next, 0).unwrap(), 1);
        assert_eq!(resolve(a, &TrackType::Video, &TrackChoice::Next, 1).unwrap(), 0, "wraps");
        assert_eq!(resolve(a, &TrackType::Audio, &TrackChoice::Next, 3).unwrap(), 2);
        let e = resolve(a, &TrackType::Video, &name("camera3"), 0).unwrap_err();
        assert_eq!(e.to_string(), r#"no video track named "camera3"; the video tracks are: "camera1", "camera2""#);
        let e = resolve(a, &TrackType::Audio, &name("de"), 2).unwrap_err();
        assert_eq!(e.to_string(), r#"no audio track named "de"; the audio tracks are: "audio_eng" (eng), "audio_fra" (fra)"#);
    }

    #[test]
    fn a_switch_lands_on_a_shared_boundary_of_the_new_stream() {
        let (m, sel) = multitrack();
        let playing = Playing { manifest: &m, selection: &sel, live: false, position: MS(300) };
        let audio_plan = sel.tracks[1].plan.clone();
        let now = |_| Some(TrackNow { plan: &audio_plan, next_chunk: 3, committed: MS(300), lead: switch_lead(Some(MS(5)), Duration::ZERO) });
        let s = plan(&playing, &TrackType::Audio, &TrackChoice::Name("fra".into()), now).unwrap().unwrap();
        assert_eq!((s.track, s.to.stream, s.old_chunk, s.new_chunk), (1, 3, 1, 1));
        assert_eq!(s.at, Duration::from_nanos(2_005_333_300), "audio_eng's second fragment starts at 20053333 ticks");
        assert_eq!((s.from_name.as_str(), s.to_name.as_str()), ("audio_eng", "audio_fra"));
        assert!(plan(&playing, &TrackType::Audio, &TrackChoice::Name("audio_eng".into()), now).unwrap().is_none(), "already playing");
        let e = plan(&playing, &TrackType::Text, &TrackChoice::Next, now).err().unwrap();
        assert_eq!(e, "text tracks cannot be switched during playback yet");
    }

    #[test]
    fn a_live_switch_keeps_the_live_timeline_and_takes_the_new_levels() {
        let (m, sel) = multitrack();
        let playing = Playing { manifest: &m, selection: &sel, live: true, position: Duration::from_secs(3600) };
        // The playing audio track's live timeline: fragment 1800 onwards, an hour in.
        let slots = (0..4).map(|k| crate::schedule::ChunkSlot { start: Duration::from_secs(3600 + 2 * k), duration: Duration::from_secs(2) }).collect();
        let live_plan = TrackPlan { first_index: 1800, growing: true, chunks: slots, ..sel.tracks[1].plan.clone() };
        let now = |_| Some(TrackNow { plan: &live_plan, next_chunk: 1801, committed: Duration::from_secs(3601), lead: MS(500) });
        let s = plan(&playing, &TrackType::Audio, &TrackChoice::Name("fra".into()), now).unwrap().unwrap();
        assert_eq!((s.old_chunk, s.new_chunk, s.at), (1801, 1801, Duration::from_secs(3602)), "the next boundary after the lead, same index");
        assert_eq!((s.to.plan.first_index, s.to.plan.growing, s.to.plan.chunks.len()), (1800, true, 4), "the live timeline, not the stale manifest's");
        assert_eq!(s.to.plan.levels.iter().map(|l| l.bitrate_bps).collect::<Vec<_>>(), [32155], "audio_fra's ladder");
        assert_eq!(s.to.stream, 3);
    }
}
