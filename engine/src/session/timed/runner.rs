//! Carries out [`TimedTracks`]' downloads for the driver (the only I/O of captions and
//! markers): each on its own task, so a slow or failing text server never holds up audio
//! and video.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::io::{ByteSource, Limits, Location};
use crate::manifest::Manifest;

use super::super::catalog::TrackType;
use super::super::stats::{PlaybackStats, SkippedFragment};
use super::super::{PlayerEvent, TrackSelection};
use super::{FetchId, TimedTracks, MAX_TIMED_FRAGMENT_BYTES};

/// What a fragment response said of sparse fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::session) enum Pointers {
    /// It carried no sparse stream pointer.
    None,
    /// Only fragments already known.
    Known,
    /// A new sparse fragment. A pointer names only the latest one, so others published
    /// since the last pointer are in the manifest alone: worth one refresh (markers are
    /// rare, so this costs little).
    New,
}

/// A finished text/sparse download.
pub(in crate::session) type TimedDone = (FetchId, Result<Vec<u8>, String>);

/// [`TimedTracks`] plus its downloads.
pub(in crate::session) struct TimedRunner {
    tracks: TimedTracks,
    source: Arc<dyn ByteSource>,
    location: Location,
    tx: mpsc::UnboundedSender<TimedDone>,
    rx: mpsc::UnboundedReceiver<TimedDone>,
    /// The manifest's tracks, to resolve [`super::super::Command::SetTextTrack`].
    available: Vec<super::super::Track>,
    manifest: Arc<Manifest>,
}

impl TimedRunner {
    pub(in crate::session) fn new(manifest: &Arc<Manifest>, selection: &TrackSelection, source: Arc<dyn ByteSource>, location: Location) -> TimedRunner {
        let (tx, rx) = mpsc::unbounded_channel();
        TimedRunner {
            tracks: TimedTracks::new(manifest, &selection.available, selection.text),
            source,
            location,
            tx,
            rx,
            available: selection.available.clone(),
            manifest: manifest.clone(),
        }
    }

    /// Starts the downloads due at `position` and sends the events due there (skipped
    /// fragments also go into `stats`).
    pub(in crate::session) fn run(&mut self, position: Duration, stats: &mut PlaybackStats, on_event: &mut (dyn FnMut(PlayerEvent) + Send)) {
        for fetch in self.tracks.next_fetches(position) {
            let url = self.location.resolve(&fetch.relative_url);
            let (source, tx) = (self.source.clone(), self.tx.clone());
            tokio::spawn(async move {
                let r = source.fetch(&url, Limits { max_body_bytes: MAX_TIMED_FRAGMENT_BYTES }).await;
                let _ = tx.send((fetch.id, r.map(|f| f.body.to_vec()).map_err(|e| e.to_string())));
            });
        }
        for event in self.tracks.due(position) {
            if let PlayerEvent::FragmentSkipped { track, index, error } = &event {
                stats.skipped_fragments.push(SkippedFragment { track: track.clone(), index: *index, url: String::new(), error: error.clone() });
            }
            on_event(event);
        }
    }

    /// The next finished download (never ends: the runner holds a sender).
    pub(in crate::session) async fn recv(&mut self) -> Option<TimedDone> {
        self.rx.recv().await
    }

    /// A finished download.
    pub(in crate::session) fn on_fetched(&mut self, (id, result): TimedDone) {
        self.tracks.on_fetched(id, result);
    }

    /// A seek.
    pub(in crate::session) fn seek(&mut self, to: Duration) {
        self.tracks.seek(to);
    }

    /// The `Content-Type` of an audio or video fragment response: the sparse stream
    /// pointers in it (MS-SSTR 2.2.5).
    pub(in crate::session) fn on_content_type(&mut self, content_type: &str) -> Pointers {
        let pointers = crate::live::parse_child_track(content_type);
        let mut new = false;
        for p in &pointers {
            if self.tracks.on_sparse_pointer(p) {
                tracing::debug!(stream = %p.stream, ticks = p.ticks, "sparse fragment announced by the server");
                new = true;
            }
        }
        match (pointers.is_empty(), new) {
            (true, _) => Pointers::None,
            (false, false) => Pointers::Known,
            (false, true) => Pointers::New,
        }
    }

    /// Live: audio or video published a fragment starting at `start`.
    pub(in crate::session) fn on_published(&mut self, start: Duration) {
        self.tracks.on_published(start);
    }

    /// Whether sparse streams are followed.
    pub(in crate::session) fn follows_sparse(&self) -> bool {
        self.tracks.follows_sparse()
    }

    /// A refreshed live manifest.
    pub(in crate::session) fn on_manifest(&mut self, manifest: &Manifest) {
        self.tracks.on_manifest(manifest);
    }

    /// [`super::super::Command::SetTextTrack`]: a text track by name or language, or none.
    /// An unknown one is reported ([`PlayerEvent::Unsupported`]) and changes nothing.
    pub(in crate::session) fn set_text_track(&mut self, name: Option<&str>, position: Duration, on_event: &mut (dyn FnMut(PlayerEvent) + Send)) {
        let stream = match name {
            None => None,
            Some(n) => {
                let found = self.available.iter().filter(|t| t.kind == TrackType::Text).find(|t| t.has_name(n)).or_else(|| self.available.iter().filter(|t| t.kind == TrackType::Text).find(|t| t.has_language(n)));
                match found {
                    Some(t) => Some(t.stream),
                    None => {
                        let names: Vec<String> = self.available.iter().filter(|t| t.kind == TrackType::Text).map(|t| t.describe()).collect();
                        on_event(PlayerEvent::Unsupported(format!("no text track {n:?}; the text tracks are: {}", names.join(", "))));
                        return;
                    }
                }
            }
        };
        self.tracks.set_text(&self.manifest, stream, position);
        on_event(PlayerEvent::TextTrackChanged { track: self.tracks.text_track().map(str::to_string) });
    }
}
