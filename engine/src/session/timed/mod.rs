//! Text and sparse tracks through playback: captions and ad markers.
//!
//! [`TimedTracks`] is sans-I/O: it is told the playhead and what was fetched, and says
//! which text or sparse fragment to fetch next and which [`PlayerEvent`]s are due. It
//! never touches the A/V scheduler: text and sparse fragments are small, fetched a little
//! ahead of the playhead ([`LOOKAHEAD`]) outside the buffer accounting, and a fragment
//! that cannot be had or read is skipped with a report ([`PlayerEvent::FragmentSkipped`],
//! track `text` or `sparse`) while audio and video carry on.
//!
//! - **Captions**: the chosen text track's fragments (or the manifest's inline `<f>`
//!   payloads when it has them) are read as TTML with [`TimeBase::Auto`]: presentation
//!   times as ISO/IEC 14496-30 says (Shaka's reading), unless no cue would then fall inside
//!   its fragment while some would as fragment-relative times (dash.js's reading of some
//!   encoders). Each cue becomes [`PlayerEvent::Cue`] when the playhead reaches its start.
//! - **Markers**: every sparse stream (`ParentStreamIndex`/`ManifestOutput`, Subtype
//!   SCTE35, ADVT, CHAP, DATA...) is followed: `<c>` entries with inline `<f>` payloads
//!   from the manifest (live: from every refreshed manifest too), fragment files when a
//!   `<c>` has no payload. Each entry becomes [`PlayerEvent::Marker`] at its `<c t>`
//!   (a fragment's sample time), its payload decoded by
//!   [`crate::markers::decode_marker`] or kept raw with why it could not be.
//!
//! - **Live**: new entries come from refreshed manifests, and, for a client that follows
//!   the timeline by `tfrf` alone and never reads the manifest again, from the text
//!   fragments' own `tfrf` (the next fragment is probed at the predicted time when the
//!   newest one announces none, again every [`LIVE_RETRY`] of playback while it is not
//!   there, or as soon as audio or video publish that period:
//!   [`TimedTracks::on_published`]) and from the sparse stream pointers that the server puts on the parent
//!   track's fragment responses ([`TimedTracks::on_sparse_pointer`]). Fragments long
//!   behind the playhead are forgotten ([`MAX_CHUNKS`] per stream).
//!
//! The session drives it itself; it is public for apps that fetch on their own (or test
//! a manifest's markers without playing it).
//!
//! After a seek, cues that end after the target and markers at or after it are emitted
//! again as the playhead reaches them; those before it are not.

mod runner;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::time::Duration;

pub(super) use runner::{Pointers, TimedRunner};

use crate::fmp4::parse_fragment;
use crate::live::SparsePointer;
use crate::manifest::{url_template, Manifest, PayloadData, QualityLevel, StreamIndex};
use crate::markers::decode_marker;
use crate::text::{cues_for_fragment, Cue, FragmentSpan, TimeBase, TtmlLimits};
use crate::time::MediaTime;

use super::catalog::{Track, TrackType};
use super::events::MarkerPayload;
use super::PlayerEvent;

/// How far ahead of the playhead text and sparse fragments are fetched.
pub const LOOKAHEAD: Duration = Duration::from_secs(10);
/// Most text/sparse downloads in flight per followed stream.
const MAX_IN_FLIGHT: usize = 2;
/// Largest text or sparse fragment accepted.
pub const MAX_TIMED_FRAGMENT_BYTES: u64 = 1 << 20;
/// Most cues and markers kept (the oldest go first on very long live sessions).
const MAX_ITEMS: usize = 20_000;
/// Most fragments remembered per followed stream (live: the oldest go first).
pub const MAX_CHUNKS: usize = 4_096;
/// Live: how much playback passes before a text fragment not yet published is asked for
/// again.
pub const LIVE_RETRY: Duration = Duration::from_secs(1);

/// A text or sparse fragment to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedFetch {
    /// Which download this is (give it back to [`TimedTracks::on_fetched`]).
    pub id: FetchId,
    /// The fragment URL relative to the manifest (resolve it against the location).
    pub relative_url: String,
}

/// Identifies a text/sparse download: the follow generation and the fragment's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FetchId {
    follow: u32,
    ticks: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Text,
    Sparse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Not needed: its data came inline from the manifest.
    Inline,
    Wanted,
    InFlight,
    Done,
}

#[derive(Debug, Clone)]
struct TimedChunk {
    ticks: u64,
    start: Duration,
    duration: Option<Duration>,
    /// The same in the stream's timescale.
    duration_ticks: Option<u64>,
    relative_url: String,
    state: ChunkState,
    /// Live: predicted from the previous fragment's end, not announced (a failed fetch
    /// means "not published yet", not an error).
    predicted: bool,
    /// Not asked for before the playhead reaches this (a predicted fragment not there yet).
    not_before: Option<Duration>,
}

/// One text or sparse stream being followed.
#[derive(Debug)]
struct Followed {
    id: u32,
    name: String,
    timescale: u64,
    url_template: String,
    level: Option<QualityLevel>,
    chunks: Vec<TimedChunk>,
}

impl Followed {
    fn new(id: u32, stream: usize, s: &StreamIndex) -> Followed {
        let name = s.name.clone().unwrap_or_else(|| format!("#{stream}"));
        Followed { id, name, timescale: s.timescale, url_template: s.url_template.clone(), level: s.levels.first().cloned(), chunks: Vec::new() }
    }

    fn to_duration(&self, ticks: u64) -> Duration {
        MediaTime::new(ticks, self.timescale).to_duration()
    }

    fn position_of(&self, ticks: u64) -> Option<usize> {
        self.chunks.binary_search_by_key(&ticks, |c| c.ticks).ok()
    }

    /// Adds a fragment announced by time alone (tfrf, a sparse pointer, a prediction),
    /// in time order; `None` when it is known already or the stream has no level.
    fn add_announced(&mut self, ticks: u64, duration: Option<u64>, predicted: bool) -> Option<usize> {
        let level = self.level.as_ref()?;
        let at = match self.chunks.binary_search_by_key(&ticks, |c| c.ticks) {
            Ok(_) => return None,
            Err(at) => at,
        };
        let relative_url = url_template::fill(&self.url_template, level.bitrate, ticks, &level.custom_attributes);
        let chunk = TimedChunk {
            ticks,
            start: self.to_duration(ticks),
            duration: duration.map(|d| self.to_duration(d)),
            duration_ticks: duration,
            relative_url,
            state: ChunkState::Wanted,
            predicted,
            not_before: None,
        };
        self.chunks.insert(at, chunk);
        Some(at)
    }

    /// Forgets the oldest fragments beyond [`MAX_CHUNKS`] (long live sessions).
    fn trim(&mut self) {
        if self.chunks.len() > MAX_CHUNKS {
            let excess = self.chunks.len() - MAX_CHUNKS;
            self.chunks.drain(..excess);
        }
    }

    /// Adds the chunks of `s` not seen yet; returns the inline payloads of the new ones
    /// (chunk start ticks, bytes).
    fn add_chunks(&mut self, s: &StreamIndex) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut inline = Vec::new();
        let Some(level) = s.levels.first() else { return inline };
        let known: HashSet<u64> = self.chunks.iter().map(|c| c.ticks).collect();
        // Entries older than what is remembered were forgotten on purpose (live).
        let oldest = if self.chunks.len() >= MAX_CHUNKS { self.chunks.first().map(|c| c.ticks) } else { None };
        for c in s.chunks.iter().filter(|c| !known.contains(&c.start.ticks) && oldest.is_none_or(|o| c.start.ticks > o)) {
            let payloads: Vec<Vec<u8>> = c
                .payloads
                .iter()
                .filter_map(|p| match &p.data {
                    PayloadData::Bytes(b) => Some(b.clone()),
                    PayloadData::NotBase64(t) => Some(t.clone().into_bytes()),
                    PayloadData::Absent => None,
                })
                .collect();
            // A prediction just before an entry the manifest lists instead was wrong (a
            // gap in the timeline): dropped.
            let index = self.chunks.partition_point(|k| k.ticks < c.start.ticks);
            if index > 0 && self.chunks[index - 1].predicted && self.chunks[index - 1].state != ChunkState::Done {
                self.chunks.remove(index - 1);
            }
            let index = self.chunks.partition_point(|k| k.ticks < c.start.ticks);
            self.chunks.insert(
                index,
                TimedChunk {
                    ticks: c.start.ticks,
                    start: c.start.to_duration(),
                    duration: c.duration.map(|d| d.to_duration()),
                    duration_ticks: c.duration.map(|d| d.ticks),
                    relative_url: s.fragment_url(level, c),
                    state: if payloads.is_empty() { ChunkState::Wanted } else { ChunkState::Inline },
                    predicted: false,
                    not_before: None,
                },
            );
            if !payloads.is_empty() {
                inline.push((c.start.ticks, payloads));
            }
        }
        self.trim();
        inline
    }
}

#[derive(Debug, Clone)]
struct Item {
    start: Duration,
    end: Duration,
    class: Class,
    /// The follow generation it came from (text items of an old track are dropped).
    follow: u32,
    emitted: bool,
    event: PlayerEvent,
}

/// The text and sparse tracks of a session (see the module docs).
#[derive(Debug)]
pub struct TimedTracks {
    text: Option<Followed>,
    sparse: Vec<Followed>,
    items: Vec<Item>,
    /// Reports to send with the next [`TimedTracks::due`].
    reports: Vec<PlayerEvent>,
    /// Cues ending at or before this, and markers before it, are not emitted (the last
    /// seek or text-track switch).
    text_origin: Duration,
    marker_origin: Duration,
    next_id: u32,
    limits: TtmlLimits,
    /// A live presentation: text fragments announce their successors.
    live: bool,
    /// The playhead at the last [`TimedTracks::next_fetches`].
    position: Duration,
}

impl TimedTracks {
    /// Follows the text track at `text` (a `StreamIndex` position) if any, and every
    /// sparse stream of `tracks` (the manifest's tracks, [`Track::list`]).
    pub fn new(manifest: &Manifest, tracks: &[Track], text: Option<usize>) -> TimedTracks {
        let mut t = TimedTracks {
            text: None,
            sparse: Vec::new(),
            items: Vec::new(),
            reports: Vec::new(),
            text_origin: Duration::ZERO,
            marker_origin: Duration::ZERO,
            next_id: 0,
            limits: TtmlLimits::default(),
            live: manifest.is_live,
            position: Duration::ZERO,
        };
        for track in tracks.iter().filter(|t| t.kind == TrackType::Sparse) {
            if let Some(s) = manifest.streams.get(track.stream) {
                let id = t.take_id();
                let mut f = Followed::new(id, track.stream, s);
                let inline = f.add_chunks(s);
                t.sparse.push(f);
                let at = t.sparse.len() - 1;
                t.add_inline(Class::Sparse, at, inline);
            }
        }
        if let Some(stream) = text {
            t.follow_text(manifest, stream);
        }
        t
    }

    /// [`TimedTracks::new`] with the manifest's own track list: every sparse stream, and
    /// the text track at `text` (a `StreamIndex` position).
    pub fn for_manifest(manifest: &Manifest, text: Option<usize>) -> TimedTracks {
        TimedTracks::new(manifest, &Track::list(manifest), text)
    }

    fn take_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// The name of the text track shown, if any.
    pub fn text_track(&self) -> Option<&str> {
        self.text.as_ref().map(|f| f.name.as_str())
    }

    fn follow_text(&mut self, manifest: &Manifest, stream: usize) {
        let Some(s) = manifest.streams.get(stream) else { return };
        let id = self.take_id();
        let mut f = Followed::new(id, stream, s);
        let inline = f.add_chunks(s);
        self.text = Some(f);
        self.add_inline(Class::Text, 0, inline);
    }

    /// Shows the text track at `stream` instead (`None`: no captions) from `position` on.
    pub fn set_text(&mut self, manifest: &Manifest, stream: Option<usize>, position: Duration) {
        self.items.retain(|i| i.class != Class::Text);
        self.text = None;
        self.text_origin = position;
        if let Some(stream) = stream {
            self.follow_text(manifest, stream);
        }
    }

    /// A seek to `to`: what lies after it is emitted again as the playhead reaches it.
    pub fn seek(&mut self, to: Duration) {
        self.text_origin = to;
        self.marker_origin = to;
        for i in &mut self.items {
            i.emitted = false;
        }
    }

    /// A refreshed live manifest: new `<c>` entries of the followed streams.
    pub fn on_manifest(&mut self, manifest: &Manifest) {
        let find = |name: &str| manifest.streams.iter().find(|s| s.name.as_deref() == Some(name));
        for at in 0..self.sparse.len() {
            let Some(s) = find(&self.sparse[at].name) else { continue };
            let inline = self.sparse[at].add_chunks(s);
            self.add_inline(Class::Sparse, at, inline);
        }
        if let Some(s) = self.text.as_ref().and_then(|t| find(&t.name)) {
            let inline = self.text.as_mut().map(|t| t.add_chunks(s)).unwrap_or_default();
            self.add_inline(Class::Text, 0, inline);
        }
    }

    fn followed(&self, class: Class, at: usize) -> Option<&Followed> {
        match class {
            Class::Text => self.text.as_ref(),
            Class::Sparse => self.sparse.get(at),
        }
    }

    fn add_inline(&mut self, class: Class, at: usize, inline: Vec<(u64, Vec<Vec<u8>>)>) {
        for (ticks, payloads) in inline {
            let Some(f) = self.followed(class, at) else { return };
            let Some(chunk) = f.position_of(ticks) else { continue };
            let c = f.chunks[chunk].clone();
            let samples: Vec<(Duration, Option<Duration>, Vec<u8>)> = payloads.into_iter().map(|p| (c.start, c.duration, p)).collect();
            self.add_samples(class, at, chunk, samples);
        }
    }

    /// Turns a fragment's (or a `<c>`'s) samples into cues or markers; a document or
    /// payload that cannot be read is reported.
    fn add_samples(&mut self, class: Class, at: usize, chunk: usize, samples: Vec<(Duration, Option<Duration>, Vec<u8>)>) {
        let Some(f) = self.followed(class, at) else { return };
        let (name, follow) = (f.name.clone(), f.id);
        let fragment_end = f.chunks.get(chunk).and_then(|c| c.duration.map(|d| c.start + d));
        for (start, duration, data) in samples {
            match class {
                Class::Text => {
                    let duration = duration.or(fragment_end.map(|e| e.saturating_sub(start))).unwrap_or(Duration::ZERO);
                    match cues_for_fragment(&data, FragmentSpan { start, duration }, TimeBase::Auto, &self.limits) {
                        Ok(cues) => {
                            for cue in cues {
                                self.push(Item { start: cue.start, end: cue.end, class, follow, emitted: false, event: PlayerEvent::Cue { track: name.clone(), cue } });
                            }
                        }
                        Err(e) => self.report(class, &name, chunk, start, e.to_string()),
                    }
                }
                Class::Sparse => {
                    let payload = match decode_marker(&data) {
                        Ok(m) => MarkerPayload::Decoded(Box::new(m)),
                        Err(e) => {
                            tracing::warn!(stream = %name, time = ?start, error = %e, "marker payload not decoded: kept raw");
                            MarkerPayload::Undecoded { data, error: e.to_string() }
                        }
                    };
                    let end = start + duration.unwrap_or(Duration::ZERO);
                    self.push(Item { start, end, class, follow, emitted: false, event: PlayerEvent::Marker { stream: name.clone(), time: start, duration, payload } });
                }
            }
        }
    }

    fn push(&mut self, item: Item) {
        if self.items.len() >= MAX_ITEMS {
            self.items.remove(0);
        }
        // Kept in start order (cues of one fragment arrive in document order).
        let at = self.items.partition_point(|i| i.start <= item.start);
        self.items.insert(at, item);
    }

    fn report(&mut self, class: Class, name: &str, chunk: usize, at: Duration, error: String) {
        let track = match class {
            Class::Text => "text",
            Class::Sparse => "sparse",
        };
        tracing::warn!(track, stream = name, chunk, %error, "text/sparse fragment skipped");
        self.reports.push(PlayerEvent::FragmentSkipped { track: track.to_string(), index: chunk, error: format!("{name} at {:.3}s: {error}", at.as_secs_f64()) });
    }

    /// The fragments to download now (marked in flight): those of the followed streams
    /// that end after the playhead and start within [`LOOKAHEAD`] of it, at most
    /// [`MAX_IN_FLIGHT`] per stream at once.
    pub fn next_fetches(&mut self, position: Duration) -> Vec<TimedFetch> {
        self.position = position;
        if self.live {
            self.catch_up_live_text(position);
        }
        let mut out = Vec::new();
        for f in self.text.iter_mut().chain(self.sparse.iter_mut()) {
            let mut in_flight = f.chunks.iter().filter(|c| c.state == ChunkState::InFlight).count();
            for c in f.chunks.iter_mut() {
                if in_flight >= MAX_IN_FLIGHT || c.start > position + LOOKAHEAD {
                    break;
                }
                let ends_after = c.duration.is_none_or(|d| c.start + d > position);
                let due = c.not_before.is_none_or(|t| position >= t);
                if c.state == ChunkState::Wanted && ends_after && due {
                    c.state = ChunkState::InFlight;
                    in_flight += 1;
                    out.push(TimedFetch { id: FetchId { follow: f.id, ticks: c.ticks }, relative_url: c.relative_url.clone() });
                }
            }
        }
        out
    }

    /// A sparse stream pointer from a fragment response (MS-SSTR 2.2.5): the named sparse
    /// stream has a fragment starting at `ticks`. Returns whether it was new (and will be
    /// fetched when the playhead comes within [`LOOKAHEAD`]).
    pub fn on_sparse_pointer(&mut self, pointer: &SparsePointer) -> bool {
        let Some(f) = self.sparse.iter_mut().find(|f| f.name == pointer.stream) else { return false };
        let added = f.add_announced(pointer.ticks, None, false).is_some();
        f.trim();
        added
    }

    /// Live: audio or video published a fragment starting at `start` (the encoder
    /// publishes every stream of a period together), so a predicted text fragment starting
    /// by then is asked for now rather than at its next retry.
    pub fn on_published(&mut self, start: Duration) {
        for c in self.text.iter_mut().flat_map(|f| f.chunks.iter_mut()) {
            if c.predicted && c.state == ChunkState::Wanted && c.start <= start {
                c.not_before = None;
            }
        }
    }

    /// Whether any sparse stream is followed (a live session then wants its entries).
    pub fn follows_sparse(&self) -> bool {
        !self.sparse.is_empty()
    }

    /// A download finished: its samples become cues or markers, or it is reported and
    /// skipped. Results for a text track no longer shown are dropped.
    pub fn on_fetched(&mut self, id: FetchId, result: Result<Vec<u8>, String>) {
        let (class, at) = match (&self.text, self.sparse.iter().position(|f| f.id == id.follow)) {
            (Some(t), _) if t.id == id.follow => (Class::Text, 0),
            (_, Some(at)) => (Class::Sparse, at),
            _ => return,
        };
        let f = match class {
            Class::Text => self.text.as_mut(),
            Class::Sparse => self.sparse.get_mut(at),
        };
        let Some(f) = f else { return };
        let Some(index) = f.position_of(id.ticks) else { return };
        let c = &mut f.chunks[index];
        let (chunk_start, ticks, timescale, name, predicted) = (c.start, c.ticks, f.timescale, f.name.clone(), c.predicted);
        let position = self.position;
        if result.is_err() && predicted {
            // Not published yet: asked for again a little later.
            c.state = ChunkState::Wanted;
            c.not_before = Some(position + LIVE_RETRY);
            return;
        }
        c.state = ChunkState::Done;
        let fragment = result.and_then(|body| parse_fragment(body.into()).map_err(|e| format!("not a fragment: {e}")));
        if let (Ok(fragment), true, Class::Text) = (&fragment, self.live, class) {
            self.extend_live_text(ticks, fragment);
        }
        let samples = fragment.map(|fragment| {
            let base = fragment.base_decode_time(ticks);
            fragment
                .samples
                .iter()
                .map(|s| {
                    let t = MediaTime::new(s.presentation_time(base), timescale).to_duration();
                    let d = (s.duration > 0).then(|| MediaTime::new(u64::from(s.duration), timescale).to_duration());
                    (t, d, s.data.to_vec())
                })
                .collect::<Vec<_>>()
        });
        let Some(index) = self.followed(class, at).and_then(|f| f.position_of(ticks)) else { return };
        match samples {
            Ok(samples) => self.add_samples(class, at, index, samples),
            Err(e) => self.report(class, &name, index, chunk_start, e),
        }
    }

    /// Live text whose newest known fragment ended before the playhead (a manifest holds
    /// back its newest entries; a join or a seek lands past them): the fragment holding
    /// the playhead is predicted from that one's duration, and followed from there.
    fn catch_up_live_text(&mut self, position: Duration) {
        let Some(f) = self.text.as_mut() else { return };
        let Some(last) = f.chunks.last() else { return };
        let Some(d) = last.duration_ticks.filter(|d| *d > 0) else { return };
        let end = last.ticks.saturating_add(d);
        let position_ticks = u64::try_from(position.as_nanos() * u128::from(f.timescale) / 1_000_000_000).unwrap_or(u64::MAX);
        if position_ticks < end {
            return;
        }
        let steps = (position_ticks - end) / d;
        f.add_announced(end.saturating_add(steps.saturating_mul(d)), Some(d), true);
        f.trim();
    }

    /// Live text: the fragment at `ticks` says how long it is (tfxd) and which fragments
    /// follow (tfrf); when nothing later is known, the next one is predicted at its end.
    fn extend_live_text(&mut self, ticks: u64, fragment: &crate::fmp4::Fragment) {
        let Some(f) = self.text.as_mut() else { return };
        if let (Some(x), Some(i)) = (fragment.tfxd, f.position_of(ticks)) {
            if x.start == ticks && x.duration > 0 {
                f.chunks[i].duration = Some(f.to_duration(x.duration));
                f.chunks[i].duration_ticks = Some(x.duration);
            }
        }
        for e in &fragment.tfrf {
            f.add_announced(e.start, (e.duration > 0).then_some(e.duration), false);
        }
        let Some(last) = f.chunks.last() else { return };
        if let Some(d) = last.duration_ticks.filter(|d| *d > 0) {
            f.add_announced(last.ticks.saturating_add(d), Some(d), true);
        }
        f.trim();
    }

    /// The events due at `position`: reports, then cues whose start and markers whose
    /// time the playhead has reached (in time order), each once.
    pub fn due(&mut self, position: Duration) -> Vec<PlayerEvent> {
        let mut out = std::mem::take(&mut self.reports);
        let text_follow = self.text.as_ref().map(|t| t.id);
        for i in self.items.iter_mut() {
            if i.start > position {
                break;
            }
            if i.emitted {
                continue;
            }
            i.emitted = true;
            let wanted = match i.class {
                Class::Text => Some(i.follow) == text_follow && i.end > self.text_origin,
                Class::Sparse => i.start >= self.marker_origin,
            };
            if wanted {
                out.push(i.event.clone());
            }
        }
        out
    }

    /// The cue text on screen at `position`, if any (for tests and status displays).
    pub fn cue_at(&self, position: Duration) -> Option<&Cue> {
        self.items.iter().find_map(|i| match &i.event {
            PlayerEvent::Cue { cue, .. } if cue.start <= position && position < cue.end => Some(cue),
            _ => None,
        })
    }
}
