//! The embedding API: open a presentation, play it into sinks, control it, watch events.
//!
//! ```no_run
//! # async fn demo() -> Result<(), smoothplay_engine::session::Error> {
//! use smoothplay_engine::session::{NullAudioSink, NullVideoSink, PlayerConfig, Session};
//! let session = Session::open("http://example.com/Big.ism/Manifest", PlayerConfig::default()).await?;
//! let stats = session
//!     .play(&mut NullVideoSink, &mut NullAudioSink, None, &mut |event| eprintln!("{event:?}"))
//!     .await?;
//! println!("{} frames, {} rebuffers", stats.video.frames_decoded, stats.rebuffer.count);
//! # Ok(()) }
//! ```

mod catalog;
mod config;
mod decode_meter;
mod driver;
mod error;
mod language;
mod live;
mod live_join;
mod events;
mod protection;
mod sink;
mod timed;
mod stats;
mod switch;
mod tracks;
mod trick;
mod worker;

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc::UnboundedReceiver;

use crate::drm::KeyProvider;
use smoothplay_heuristics::QualitySelector;
use crate::io::{source_for, ByteSource, FailoverSource, Limits, Location};
use crate::manifest::Manifest;

pub use catalog::{Track, TrackLevel, TrackPreferences, TrackType};
pub use config::{LiveConfig, PlayerConfig};
pub use language::{primary_language, same_language, system_language};
pub use error::Error;
pub use events::{Command, MarkerPayload, PlayerEvent, Status, TrackChoice};
pub use sink::{AudioSink, NullAudioSink, NullVideoSink, SinkError, VideoSink, VideoSinks};
pub use stats::{MAX_FRAGMENT_RECORDS, MAX_LIVE_SAMPLES, MAX_SKIPPED_RECORDS, AudioStats, DistanceSummary, EndReason, FragmentStats, LiveSample, LiveStats, PlaybackStats, RebufferStats, SkippedFragment, VideoStats};
pub use tracks::{select_tracks, select_tracks_with, LevelConfig, SelectedTrack, TrackSelection};
pub use protection::{KeyUse, ProtectionInfo};
pub use worker::{FragmentHook, HookError};
pub use timed::{FetchId, TimedFetch, TimedTracks, LOOKAHEAD as TIMED_LOOKAHEAD, MAX_TIMED_FRAGMENT_BYTES};

/// Largest manifest accepted (a long DVR window of 2 s fragments is a few MB).
pub(crate) const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// Fetches and parses the manifest of `input` (as [`Session::open`] takes it) without
/// choosing tracks or requiring anything playable: for listing the tracks of any
/// presentation ([`select_tracks_with`] then describes them).
pub async fn fetch_manifest(input: &str, config: &PlayerConfig) -> Result<Manifest, Error> {
    let location = Location::parse(input)?;
    let source = source_for(&location, config.http.clone()).map_err(Error::ManifestFetch)?;
    fetch_manifest_from(&*source, &location.manifest_url()).await.map(|(m, _)| m)
}

/// The manifest at `url`, and where it really came from when redirected.
async fn fetch_manifest_from(source: &dyn ByteSource, url: &str) -> Result<(Manifest, Option<String>), Error> {
    let body = source.fetch(url, Limits { max_body_bytes: MAX_MANIFEST_BYTES }).await.map_err(Error::ManifestFetch)?;
    let manifest = Manifest::parse(&body.body).map_err(|source| Error::Manifest { url: url.to_string(), source })?;
    Ok((manifest, body.redirected_to))
}

/// An opened presentation: the manifest is loaded and the tracks chosen; call
/// [`Session::play`] to play it.
pub struct Session {
    location: Location,
    source: Arc<dyn ByteSource>,
    manifest: Arc<Manifest>,
    selection: TrackSelection,
    config: PlayerConfig,
    hook: Option<FragmentHook>,
    keys: Option<Arc<dyn KeyProvider>>,
    selector: Option<Box<dyn QualitySelector>>,
    /// The origin-failover wrapper around `source`, when fallbacks were given.
    failover: Option<Arc<FailoverSource>>,
    opened_at: Instant,
}

impl Session {
    /// Opens `input` (an http(s) manifest URL, a `file://` URL, a presentation directory or
    /// a manifest file) with the default byte source for it.
    pub async fn open(input: &str, config: PlayerConfig) -> Result<Session, Error> {
        let location = Location::parse(input)?;
        let source = source_for(&location, config.http.clone()).map_err(Error::ManifestFetch)?;
        Self::open_with_source(location, source, config).await
    }

    /// Opens a location through a caller-supplied byte source (tests, custom transports).
    pub async fn open_with_source(location: Location, source: Arc<dyn ByteSource>, config: PlayerConfig) -> Result<Session, Error> {
        let opened_at = Instant::now();
        // Fallback origins: every request, the manifest's first, goes through the wrapper.
        let failover = match (&location, config.origin_fallbacks.is_empty()) {
            (Location::Http { base, .. }, false) => {
                let mut fallbacks = Vec::new();
                for f in &config.origin_fallbacks {
                    match Location::parse(f)? {
                        Location::Http { base, .. } => fallbacks.push(base),
                        Location::File { .. } => return Err(Error::Location(crate::io::LocationError::UnsupportedScheme(f.clone()))),
                    }
                }
                Some(Arc::new(FailoverSource::new(source.clone(), base.clone(), fallbacks)))
            }
            _ => None,
        };
        let source: Arc<dyn ByteSource> = match &failover {
            Some(f) => f.clone(),
            None => source,
        };
        let url = location.manifest_url();
        let (manifest, redirected_to) = fetch_manifest_from(&*source, &url).await?;
        // Redirected: fragment URLs are relative to where the manifest really is.
        let location = match redirected_to.as_deref().map(Location::parse) {
            Some(Ok(moved @ Location::Http { .. })) => {
                tracing::info!(from = %url, to = %moved.manifest_url(), "the manifest was redirected: fragments are fetched from there");
                moved
            }
            _ => location,
        };
        let selection = select_tracks_with(&manifest, &config.tracks)?;
        if selection.tracks.is_empty() {
            return Err(Error::NothingPlayable { url, reasons: selection.unsupported });
        }
        // A name check, not a build: some selectors precompute tables when built (mdp).
        if !smoothplay_heuristics::is_known_selector(&config.algorithm) {
            return Err(Error::UnknownAlgorithm { name: config.algorithm.clone() });
        }
        Ok(Session { location, source, manifest: Arc::new(manifest), selection, config, hook: None, keys: None, selector: None, failover, opened_at })
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's location.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Every `StreamIndex` of the manifest as a [`Track`] (kind, name, language, subtype,
    /// levels, whether it can be played), in manifest order.
    pub fn tracks(&self) -> &[Track] {
        &self.selection.available
    }

    /// The tracks that will play, and the streams left out with why.
    pub fn selection(&self) -> &TrackSelection {
        &self.selection
    }

    /// Runs `hook` on every parsed fragment before decoding (after decryption).
    pub fn set_fragment_hook(&mut self, hook: FragmentHook) {
        self.hook = Some(hook);
    }

    /// What the manifest's `<Protection>` says (KIDs, LA_URL, SystemIDs); `None` when clear.
    pub fn protection(&self) -> Option<ProtectionInfo> {
        ProtectionInfo::from_manifest(&self.manifest)
    }

    /// Uses this quality selector instead of the one named by `config.algorithm` (an
    /// embedding app's own ABR, or a research variant). It sees the video ladder of
    /// [`Session::selection`]'s video track, levels ascending by bitrate.
    pub fn set_selector(&mut self, selector: Box<dyn QualitySelector>) {
        self.selector = Some(selector);
    }

    /// Content keys for a protected presentation (user keys, a key file, a ClearKey
    /// license, or the embedding application's own DRM service).
    pub fn set_keys(&mut self, keys: Arc<dyn KeyProvider>) {
        self.keys = Some(keys);
    }

    /// Plays to the end (or until [`Command::Stop`]), sending frames and audio to the
    /// sinks and [`PlayerEvent`]s to `on_event`. Returns what happened.
    pub async fn play(
        self,
        video: &mut dyn VideoSink,
        audio: &mut dyn AudioSink,
        commands: Option<UnboundedReceiver<Command>>,
        on_event: &mut (dyn FnMut(PlayerEvent) + Send),
    ) -> Result<PlaybackStats, Error> {
        driver::drive(self, video, audio, commands, on_event).await
    }
}
