//! Joining a live presentation: find the live edge by asking for the fragments after the
//! newest one the manifest lists until the server says "not yet", then watch the next one
//! appear, so that the join point and the edge follower start with the real phase of the
//! edge (see [`crate::live::follow`]). Bodies fetched on the way are kept for playback.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::io::{ByteSource, Fetched, Limits, Location};
use crate::manifest::{Chunk, Manifest};
use crate::schedule::Scheduler;
use crate::time::MediaTime;

use super::live::{Arrival, LiveState, Missing};
use super::tracks::TrackSelection;
use super::MAX_MANIFEST_BYTES;

/// Most fragments fetched while looking for the edge (a manifest far behind its server).
const MAX_PROBES: u32 = 12;

/// How the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Joined {
    /// The edge is known (with its phase when `LiveState::follower` says so).
    Edge,
    /// Nothing arrived within the idle timeout.
    Idle,
    /// The presentation ended while joining.
    Ended,
}

/// Where the fragments are and how to reach them.
pub(super) struct Net<'a> {
    pub source: &'a Arc<dyn ByteSource>,
    pub location: &'a Location,
    pub manifest: &'a Manifest,
    pub selection: &'a TrackSelection,
}

impl Net<'_> {
    /// URL of a track's fragment starting at `ticks`, at ladder level `level`.
    pub fn fragment_url(&self, track: usize, level: usize, ticks: u64) -> Option<String> {
        let t = self.selection.tracks.get(track)?;
        let l = t.levels.get(level)?;
        let stream = self.manifest.streams.get(t.stream)?;
        let q = stream.levels.get(l.manifest_index)?;
        let chunk = Chunk { start: MediaTime::new(ticks, stream.timescale), duration: None, payloads: Vec::new() };
        Some(self.location.resolve(&stream.fragment_url(q, &chunk)))
    }
}

/// Downloads and parses the manifest again.
pub(super) async fn fetch_manifest(source: Arc<dyn ByteSource>, url: String) -> Result<Manifest, String> {
    let body = source.fetch(&url, Limits { max_body_bytes: MAX_MANIFEST_BYTES }).await.map_err(|e| e.to_string())?;
    Manifest::parse(&body.body).map_err(|e| format!("{url}: bad manifest: {e}"))
}

/// Finds the live edge of the followed track. See the [module docs](self).
pub(super) async fn find_edge(
    live: &mut LiveState,
    sched: &mut Scheduler,
    net: &Net<'_>,
    config: &super::LiveConfig,
    cache: &mut HashMap<String, Fetched>,
) -> Joined {
    let track = live.edge_track();
    let started = Instant::now();
    let mut first_miss: Option<Instant> = None;
    let mut probes = 0;
    loop {
        let now = Instant::now();
        let fragment = live.follower.fragment();
        if now.saturating_duration_since(started) > config.idle_timeout {
            return Joined::Idle;
        }
        let Some((index, ticks)) = live.probe_target(track) else {
            if live.ended() {
                return Joined::Ended;
            }
            // Nothing listed yet (an encoder that has just started): wait and look again.
            tokio::time::sleep(fragment).await;
            if let Ok(m) = fetch_manifest(net.source.clone(), net.location.manifest_url()).await {
                live.on_manifest(&m, config, Instant::now());
                live.sync(sched, Instant::now());
            }
            continue;
        };
        if probes >= MAX_PROBES {
            return Joined::Edge;
        }
        probes += 1;
        let Some(url) = net.fragment_url(track, 0, ticks) else { return Joined::Edge };
        match net.source.fetch(&url, Limits::default()).await {
            Ok(f) => {
                let now = Instant::now();
                let sent_at = now.checked_sub(f.elapsed).unwrap_or(now);
                if live.on_downloaded(track, index, &f.body, sent_at, now) == Arrival::Fragment {
                    cache.insert(url, f);
                    live.sync(sched, now);
                    if live.follower.phase_known() {
                        return Joined::Edge;
                    }
                } else {
                    tokio::time::sleep(live.follower.retry_at(now).saturating_duration_since(now)).await;
                }
            }
            Err(e) if e.is_not_found() => {
                let now = Instant::now();
                let retry_at = match live.on_missing(track, index, ticks, 0, now) {
                    Missing::NotYet(at) | Missing::Suspect(at) => at,
                    Missing::PastTheEnd => {
                        live.sync(sched, now);
                        return Joined::Ended;
                    }
                    Missing::Gone => return Joined::Edge,
                };
                let since = now.saturating_duration_since(*first_miss.get_or_insert(now));
                // The edge is known; its phase takes at most one fragment to see. Do not
                // hold the start up for longer than that.
                if live.edge().is_some() && since > fragment.mul_f64(1.5) {
                    return Joined::Edge;
                }
                probes -= 1; // waiting for the same fragment is not another probe
                tokio::time::sleep(retry_at.saturating_duration_since(now).min(Duration::from_secs(2))).await;
            }
            Err(e) => {
                tracing::warn!(%url, error = %e, "looking for the live edge");
                return Joined::Edge;
            }
        }
    }
}
