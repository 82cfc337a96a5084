//! Trick play in the session: fast forward and rewind by fetching fragments and showing
//! only their key frames (the IDR every Smooth Streaming fragment starts with, and the
//! other IDRs its trun/sdtp flags as sync samples, as many as the speed can show: see
//! [`TrickPlan::key_frames_to_show`]), paced by [`TrickPlan`]. The normal pipeline (scheduler, workers, selector, estimator) is left
//! idle meanwhile, so trick downloads never count as normal playback for the quality
//! selector; the driver seeks back into it when trick play ends.
//!
//! The fragments walked are given by the driver ([`TrickChunk`]s): the manifest's on
//! demand; on live, a snapshot of the live timeline's announced fragments, the DVR window
//! up to the edge when trick play began (fast forward stops there, rewind at the window's
//! start).

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::decode::annexb::sample_has_idr;
use crate::decode::{H264Decoder, VideoFrame};
use crate::fmp4::parse_fragment;
use crate::io::Limits;
use crate::playout::{is_trick_speed, TrickPlan};
use crate::time::MediaTime;

use super::live_join::Net;
use super::worker::{FragmentHook, HookError};
use super::{Command, Error, PlayerEvent, VideoSink};

/// A fragment trick play may show: its start on the presentation timeline and in the
/// stream's ticks (for its URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TrickChunk {
    pub start: Duration,
    pub ticks: u64,
}

/// How trick play ended.
#[derive(Debug)]
pub(super) struct TrickEnd {
    /// Where normal playback resumes: the last key frame shown (or the start position when
    /// none was).
    pub position: Duration,
    /// The command that ended it (to be carried out by the driver), `None` when it ran
    /// to an end of the presentation or the command channel closed.
    pub command: Option<Command>,
    /// Forward trick play reached the last fragment.
    pub reached_end: bool,
}

/// A command arriving during trick play: another trick speed restarts the plan from where
/// it is (`None`: go on); anything else ends trick play and is handed back.
/// `shown` is the last key frame shown, `from` where trick play began.
fn on_command(cmd: Option<Command>, plan: &mut TrickPlan, starts: &[Duration], end: Duration, shown: Option<Duration>, from: Duration) -> Option<TrickEnd> {
    match cmd {
        Some(Command::SetSpeed(s)) if is_trick_speed(s) => {
            let now = Instant::now();
            let at = shown.unwrap_or_else(|| plan.position(now));
            *plan = TrickPlan::new(starts.to_vec(), end, s, at, now);
            None
        }
        other => Some(TrickEnd { position: shown.unwrap_or(from), command: other, reached_end: false }),
    }
}

/// Runs trick play on track `track` (video) over `chunks` (ending at `end`) from `from` at
/// `speed` until a command other than another trick speed arrives, or an end is reached.
#[allow(clippy::too_many_arguments)]
pub(super) async fn run(
    net: &Net<'_>,
    hook: Option<&FragmentHook>,
    track: usize,
    chunks: &[TrickChunk],
    end: Duration,
    speed: f64,
    from: Duration,
    video_sink: &mut dyn VideoSink,
    commands: &mut Option<mpsc::UnboundedReceiver<Command>>,
    on_event: &mut (dyn FnMut(PlayerEvent) + Send),
) -> Result<TrickEnd, Error> {
    let nothing = TrickEnd { position: from, command: None, reached_end: false };
    let Some(t) = net.selection.tracks.get(track) else { return Ok(nothing) };
    // The cheapest level: one picture per fragment, shown briefly.
    let level = 0usize;
    let Some(level_cfg) = t.levels.get(level).cloned() else { return Ok(nothing) };
    let starts: Vec<Duration> = chunks.iter().map(|c| c.start).collect();
    let mut plan = TrickPlan::new(starts.clone(), end, speed, from, Instant::now());
    tracing::info!(speed = plan.speed(), ?from, "trick play");
    let mut decoder = H264Decoder::new().map_err(|e| Error::Sink(super::SinkError(format!("trick-play decoder: {e}"))))?;
    let mut shown: Option<Duration> = None;
    loop {
        let Some(index) = plan.next_fetch(Instant::now()) else {
            let position = shown.unwrap_or(from);
            return Ok(TrickEnd { position, command: None, reached_end: plan.speed() > 0.0 });
        };
        let Some(chunk) = chunks.get(index) else { continue };
        let Some(url) = net.fragment_url(track, level, chunk.ticks) else { continue };
        let began = Instant::now();
        let fetched = tokio::select! {
            r = net.source.fetch(&url, Limits::default()) => r,
            cmd = recv(commands) => match on_command(cmd, &mut plan, &starts, end, shown, from) {
                Some(ended) => return Ok(ended),
                None => continue,
            },
        };
        let body = match fetched {
            Ok(f) => f.body,
            Err(e) => {
                tracing::warn!(%url, error = %e, "trick play: fragment skipped");
                continue;
            }
        };
        // Decoding is CPU work: off the async thread.
        let (hook_owned, level_owned, ticks, timescale, chooser) = (hook.cloned(), level_cfg.clone(), chunk.ticks, t.timescale, plan.clone());
        let decoded = tokio::task::spawn_blocking(move || {
            let r = key_frames(&mut decoder, &level_owned, body, ticks, timescale, hook_owned.as_ref(), |pts| chooser.key_frames_to_show(pts));
            (decoder, r)
        })
        .await;
        let Ok((back, decoded)) = decoded else {
            return Err(Error::Sink(super::SinkError("trick-play decoder panicked".into())));
        };
        decoder = back;
        let frames = match decoded {
            Ok(f) if !f.is_empty() => f,
            Ok(_) => continue,
            Err(HookError::Fatal(reason)) => return Err(Error::Decryption { url, fragment: index, reason }),
            Err(HookError::Skip(e)) => {
                tracing::warn!(%url, error = %e, "trick play: fragment skipped");
                continue;
            }
        };
        plan.on_cost(began.elapsed());
        for frame in frames {
            let pts = frame.pts.to_duration();
            let due = plan.show_time(pts);
            tokio::select! {
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(due)) => {}
                cmd = recv(commands) => match on_command(cmd, &mut plan, &starts, end, shown, from) {
                    Some(ended) => return Ok(ended),
                    None => break, // a new speed: the plan starts again from the last shown
                },
            }
            video_sink.decoded(&frame)?;
            video_sink.present(&frame)?;
            shown = Some(pts);
            on_event(PlayerEvent::TrickFrame { fragment: index, pts, speed: plan.speed() });
        }
    }
}

async fn recv(rx: &mut Option<mpsc::UnboundedReceiver<Command>>) -> Option<Command> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Parses a fragment and decodes its key frames that `choose` picks (given every key
/// frame's time; it returns those to show, in showing order): the first sample (a Smooth
/// fragment starts with an IDR) and the sync samples that hold an IDR slice (flags alone
/// are not trusted: a fragment without any says every sample is sync).
fn key_frames(
    decoder: &mut H264Decoder,
    level: &super::LevelConfig,
    body: bytes::Bytes,
    manifest_start: u64,
    timescale: u64,
    hook: Option<&FragmentHook>,
    choose: impl Fn(&[Duration]) -> Vec<Duration>,
) -> Result<Vec<VideoFrame>, HookError> {
    let mut fragment = parse_fragment(body).map_err(|e| HookError::Skip(e.to_string()))?;
    if let Some(hook) = hook {
        hook(&mut fragment, level)?;
    }
    let base = fragment.base_decode_time(manifest_start);
    let key: Vec<(Duration, &crate::fmp4::Sample)> = fragment
        .samples
        .iter()
        .enumerate()
        .filter(|(i, s)| *i == 0 || (s.is_sync && sample_has_idr(&s.data, level.nal_length_size)))
        .map(|(_, s)| (MediaTime::new(s.presentation_time(base), timescale).to_duration(), s))
        .collect();
    let pts: Vec<Duration> = key.iter().map(|k| k.0).collect();
    decoder.configure(&level.config, level.nal_length_size).map_err(|e| HookError::Skip(e.to_string()))?;
    let mut out = Vec::new();
    for t in choose(&pts) {
        let Some((_, sample)) = key.iter().find(|k| k.0 == t) else { continue };
        let pts = MediaTime::new(sample.presentation_time(base), timescale);
        let mut frames = decoder.decode(&sample.data, pts).map_err(|e| HookError::Skip(e.to_string()))?;
        frames.extend(decoder.flush().map_err(|e| HookError::Skip(e.to_string()))?);
        out.extend(frames.into_iter().next());
    }
    Ok(out)
}
