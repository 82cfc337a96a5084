use crate::io::{FetchError, LocationError};
use crate::manifest::ManifestError;

use super::{SinkError, TrackType};

fn available_tracks(kind: &TrackType, available: &[String]) -> String {
    if available.is_empty() {
        format!("the presentation has no {kind} tracks")
    } else {
        format!("the {kind} tracks are: {}", available.join(", "))
    }
}

/// Why a presentation could not be opened or played. Classified by who is at fault:
/// the user's input, the server, the content, or a local sink.
#[non_exhaustive]
#[derive(thiserror::Error, Debug)]
pub enum Error {
    /// The location the user gave is unusable.
    #[error(transparent)]
    Location(#[from] LocationError),
    /// The manifest could not be fetched.
    #[error("cannot load the manifest: {0}")]
    ManifestFetch(FetchError),
    /// The manifest is malformed or unsupported.
    #[error("{url}: bad manifest: {source}")]
    Manifest {
        /// Where it came from.
        url: String,
        /// What is wrong with it.
        source: ManifestError,
    },
    /// Nothing in the presentation can be decoded.
    #[error("nothing playable in {url}: {}", reasons.join("; "))]
    NothingPlayable {
        /// The manifest URL.
        url: String,
        /// One reason per stream.
        reasons: Vec<String>,
    },
    /// A quality-selection algorithm name that does not exist.
    #[error("unknown quality-selection algorithm {name:?}; choose one of: {}, {}", smoothplay_heuristics::ALGORITHMS.join(", "), smoothplay_heuristics::PRESETS.join(", "))]
    UnknownAlgorithm {
        /// The name given.
        name: String,
    },
    /// Decryption cannot start (no key for any KID, a bad key file, a license failure).
    #[error("{0}")]
    Drm(#[from] crate::drm::DrmError),
    /// A key given for a KID does not match the PlayReady header's CHECKSUM.
    #[error("the key given for KID {kid} does not match the CHECKSUM in the manifest's PlayReady header: wrong key")]
    WrongKey {
        /// The KID, both byte orders.
        kid: String,
    },
    /// A fragment could not be decrypted; playback stopped so that nothing wrong is shown.
    #[error("{url} (fragment {fragment}): {reason}")]
    Decryption {
        /// The fragment URL.
        url: String,
        /// Fragment index.
        fragment: usize,
        /// What went wrong.
        reason: String,
    },
    /// A sink failed (disk full, window closed...).
    #[error("output failed: {0}")]
    Sink(#[from] SinkError),
    /// A track asked for by name or language (`--audio-lang`, `--video-track`...) is not
    /// in the manifest; the message lists the tracks of that kind.
    #[error("no {kind} track {by} {asked:?}; {}", available_tracks(kind, available))]
    NoSuchTrack {
        /// Which kind of track was asked for.
        kind: TrackType,
        /// `named` or `in language`.
        by: &'static str,
        /// The name or language asked for.
        asked: String,
        /// The tracks of that kind, as `"name" (language)`.
        available: Vec<String>,
    },
    /// The track asked for exists but cannot be played (unsupported codec...).
    #[error("the {kind} track {track} cannot be played: {reason}")]
    TrackNotPlayable {
        /// Which kind of track.
        kind: TrackType,
        /// The track, as `"name" (language)`.
        track: String,
        /// Why.
        reason: String,
    },
    /// The seek target is outside the presentation.
    #[error("cannot seek to {requested:?}: the presentation spans {start:?}..{end:?}")]
    SeekOutOfRange {
        /// Requested position.
        requested: std::time::Duration,
        /// Presentation start.
        start: std::time::Duration,
        /// Presentation end.
        end: std::time::Duration,
    },
}
