//! The tokio driver: carries out the scheduler's actions, feeds decode workers, paces
//! playout against the clock and keeps the statistics. Decisions live in the scheduler
//! and the pacer; this file only moves data between them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smoothplay_heuristics::{selector_with_buffer, BandwidthEstimator, DownloadReport, EwmaEstimator};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::decode::{AudioBlock, VideoFrame};
use crate::io::{FetchError, Fetched, Limits, Progress, ProgressFn};
use crate::live::Liveness;
use crate::manifest::Manifest;
use crate::playout::{trim_audio_after, trim_audio_before, AudioMaster, Clock, FrameDecision, PlaybackClock, SystemClock, VideoPacer, MAX_RATE, MIN_RATE, is_trick_speed};
use crate::schedule::{ladder_for, Action, Event, FetchRequest, Scheduler, TrackKind};

use crate::drm::{KeyProvider, StaticKeys};

use super::decode_meter::DecodeMeter;
use super::live::{Arrival, LiveState, Missing};
use super::live_join::{self, Joined, Net};
use super::protection::{self, ProtectionInfo};
use super::stats::{push_recent, EndReason, FragmentStats, PlaybackStats, SkippedFragment, MAX_FRAGMENT_RECORDS, MAX_SKIPPED_RECORDS};
use super::switch::{self, Cuts, Pending, Verdict};
use super::catalog::TrackType;
use super::timed::{Pointers, TimedRunner};
use super::worker::{Job, Output, Worker};
use super::{AudioSink, Command, Error, PlayerEvent, Session, Status, VideoSink};

/// Playback state.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Waiting for enough data; `stall_since` is set for a rebuffer (not startup or seek).
    Buffering { stall_since: Option<Instant> },
    Playing,
    Paused,
}

struct TrackRt {
    kind: TrackKind,
    worker: Worker,
    rx: mpsc::Receiver<Output>,
    /// The worker has flushed everything of the current epoch.
    eos: bool,
    /// Which generation (stream, after track switches) owns which span of the timeline.
    cuts: Cuts,
    /// A switch whose new track has not been presented yet.
    pending: Option<Pending>,
    /// How long the track's last fragment took to download.
    last_fetch: Option<Duration>,
}

/// A finished download: the request, its URL, the fragment's start tick it asked for, the
/// track's generation when it was asked for, and the outcome.
type FetchResult = (FetchRequest, String, u64, u32, Result<Fetched, FetchError>);

pub(super) async fn drive(
    session: Session,
    video_sink: &mut dyn VideoSink,
    audio_sink: &mut dyn AudioSink,
    mut commands: Option<mpsc::UnboundedReceiver<Command>>,
    on_event: &mut (dyn FnMut(PlayerEvent) + Send),
) -> Result<PlaybackStats, Error> {
    let Session { location, source, manifest, mut selection, config, hook: user_hook, keys, selector: custom_selector, failover, opened_at } = session;
    // Decryption runs before any user hook; a missing or wrong key stops here, before
    // anything is rendered.
    let key_uses = Arc::new(Mutex::new(Vec::new()));
    let hook = match ProtectionInfo::from_manifest(&manifest) {
        None => user_hook,
        Some(info) => {
            let keys: Arc<dyn KeyProvider> = keys.unwrap_or_else(|| Arc::new(StaticKeys::new()));
            protection::preflight(&manifest, &info, keys.as_ref())?;
            let others: Vec<&String> = info.system_ids.iter().filter(|s| !s.to_ascii_uppercase().contains("9A04F079")).collect();
            if !others.is_empty() {
                on_event(PlayerEvent::Unsupported(format!("protection systems other than PlayReady listed (ignored, keys come from the user): {others:?}")));
            }
            let decrypt = protection::decrypt_hook(info, keys, key_uses.clone());
            Some(match user_hook {
                None => decrypt,
                Some(user) => Arc::new(move |f: &mut crate::fmp4::Fragment, l: &super::LevelConfig| {
                    decrypt(f, l)?;
                    user(f, l)
                }) as super::FragmentHook,
            })
        }
    };
    let clock = SystemClock;
    let t0 = clock.now();
    let mut stats = PlaybackStats { algorithm: config.algorithm.clone(), ..Default::default() };
    for u in &selection.unsupported {
        stats.unsupported_streams.push(u.clone());
        on_event(PlayerEvent::Unsupported(u.clone()));
    }

    let plans = selection.tracks.iter().map(|t| t.plan.clone()).collect::<Vec<_>>();
    let ladder = ladder_for(&plans);
    let selector = match custom_selector {
        Some(s) => s,
        None => selector_with_buffer(&config.algorithm, &ladder, config.schedule.forward_buffer)
            .ok_or_else(|| Error::UnknownAlgorithm { name: config.algorithm.clone() })?,
    };
    stats.algorithm = selector.name().to_string();
    let mut sched = Scheduler::new(plans, config.schedule.clone(), selector);
    if let Some((width, height)) = config.viewport {
        sched.on_event(Event::Viewport(smoothplay_heuristics::Viewport { width, height }), t0);
    }
    let mut estimator = EwmaEstimator::sabre_default(ladder.fragment_duration);

    let mut tracks: Vec<TrackRt> = selection
        .tracks
        .iter()
        .map(|t| {
            let cap = if t.kind == TrackKind::Video { config.decoded_frames_ahead.max(2) } else { 64 };
            let (tx, rx) = mpsc::channel(cap);
            TrackRt { kind: t.kind, worker: Worker::spawn(t.kind, tx, hook.clone()), rx, eos: false, cuts: Cuts::default(), pending: None, last_fetch: None }
        })
        .collect();
    let video_track = tracks.iter().position(|t| t.kind == TrackKind::Video);
    let audio_track = tracks.iter().position(|t| t.kind == TrackKind::Audio);

    let mut live = manifest.is_live.then(|| LiveState::new(&manifest, &selection, &config.live, t0));
    let mut body_cache: HashMap<String, Fetched> = HashMap::new();
    // Built where used: a track switch changes `selection`.
    macro_rules! net {
        () => {
            Net { source: &source, location: &location, manifest: &manifest, selection: &selection }
        };
    }
    let mut timed = TimedRunner::new(&manifest, &selection, source.clone(), location.clone()); // captions, markers
    if let Some(live) = live.as_mut() {
        live.refresh.set_sparse_polling(timed.follows_sparse()); // until the server points at them
    }
    if let Some(live) = live.as_mut() {
        live.sync(&mut sched, t0);
        match live_join::find_edge(live, &mut sched, &net!(), &config.live, &mut body_cache).await {
            Joined::Edge | Joined::Ended => {}
            Joined::Idle => {
                on_event(PlayerEvent::LiveWaiting);
                tracing::warn!("no live fragment arrived within {:?}", config.live.idle_timeout);
            }
        }
    }

    let start = sched.plan(0).and_then(|p| p.chunks.first()).map(|c| c.start).unwrap_or_default();
    let end = selection.tracks.iter().filter_map(|t| t.plan.chunks.last()).map(|c| c.end()).max().unwrap_or_default();
    let mut duration = if live.is_some() { None } else { manifest.duration.map(|d| d.to_duration()).or(Some(end.saturating_sub(start))) };

    let mut playback = PlaybackClock::new(start);
    let pacer = VideoPacer { untimed: config.untimed };
    let mut state = State::Buffering { stall_since: None };
    let mut seek_target: Option<Duration> = None;
    let mut fetches: JoinSet<FetchResult> = JoinSet::new();
    let mut in_flight: Vec<(FetchRequest, u32, tokio::task::AbortHandle)> = Vec::new();
    // End of the audio written to the sink (cannot be taken back by a track switch).
    let mut audio_written_end: Option<Duration> = None;
    let mut video_q: VecDeque<VideoFrame> = VecDeque::new();
    let mut audio_q: VecDeque<AudioBlock> = VecDeque::new();
    let mut untimed_position = start;
    // Media played (for --duration), and the last presented frame's time.
    let mut played = Duration::ZERO;
    let mut last_position: Option<Duration> = None;
    let mut shown_position: Option<Duration> = None;
    // The audio device's clock, when it has one, leads the playback clock.
    let mut audio_master = AudioMaster::new();
    // The user's speed (1.0 unless changed by `Command::SetSpeed`).
    let mut user_speed = 1.0_f64;
    // What the audio sink was last told: running (not paused) and rate.
    let mut sink_running = false;
    let mut sink_rate = 1.0_f64;
    // Seeks the scheduler, the workers and the clock to `to` (decode runs forward from
    // the fragment's key frame to the exact time).
    macro_rules! seek_to {
        ($to:expr, $now:expr) => {{
            let (to, now): (Duration, Instant) = ($to, $now);
            sched.on_event(Event::Seek(to), now);
            timed.seek(to);
            for (_, _, h) in in_flight.drain(..) {
                h.abort(); // stale now
            }
            for t in tracks.iter_mut() {
                t.worker.set_epoch(sched.epoch());
                t.eos = false;
                t.cuts.restart();
                if let Some(p) = t.pending.as_mut() {
                    p.at = p.at.min(to); // everything from the target on is the new track
                }
            }
            audio_written_end = None;
            video_q.clear();
            audio_q.clear();
            audio_sink.flush();
            audio_master.reset();
            playback.stop(now);
            playback.set_position(to, now);
            untimed_position = to;
            seek_target = Some(to);
            shown_position = None;
            if state != State::Paused {
                state = State::Buffering { stall_since: None };
            }
        }};
    }
    if let Some(live) = live.as_mut() {
        // Join: behind the edge by the target (or `--start -S`), or at a position on the
        // timeline; never before the oldest fragment still there.
        let window_start = live.window_start().unwrap_or(start);
        let at = match config.start_at {
            Some(at) => {
                live.follower.set_following(false);
                at
            }
            None => live.follower.join_position(config.live.start_behind, clock.now()).unwrap_or(window_start),
        };
        if config.live.start_behind.is_some() {
            live.follower.set_following(false);
        }
        seek_to!(at.max(window_start), clock.now());
    } else if let Some(at) = config.start_at {
        if at < start || at >= end {
            return Err(Error::SeekOutOfRange { requested: at, start, end });
        }
        seek_to!(at, t0);
    }

    let (progress_tx, mut progress_rx) = mpsc::unbounded_channel::<(FetchRequest, Progress)>();
    let (refresh_tx, mut refresh_rx) = mpsc::channel::<Result<Manifest, String>>(1);
    let (reprobe_tx, mut reprobe_rx) = mpsc::channel::<(usize, usize, Instant, Result<Fetched, FetchError>)>(4);
    // Live: fetches the newest fragment of `track` before a missing prediction again, for
    // its tfrf, which by now announces the real next start (see `LiveState::reprobe_target`).
    macro_rules! reprobe {
        ($live:expr, $track:expr, $chunk:expr, $now:expr) => {
            if let Some((index, ticks)) = $live.reprobe_target($track, $chunk, $now) {
                if let Some(url) = net!().fragment_url($track, 0, ticks) {
                    let (src, tx, track) = (source.clone(), reprobe_tx.clone(), $track);
                    tokio::spawn(async move {
                        let sent = Instant::now();
                        let _ = tx.send((track, index, sent, src.fetch(&url, Limits::default()).await)).await;
                    });
                }
            }
        };
    }
    let mut last_frame_duration = Duration::from_millis(40);
    let mut next_status = t0;
    let mut last_video_level: Option<usize> = None;
    let mut meter = DecodeMeter::default();
    let mut commands_open = commands.is_some();
    // A command that ended trick play, carried out next.
    let mut replay: Option<Command> = None;
    if config.start_speed != 1.0 {
        replay = Some(Command::SetSpeed(config.start_speed));
    }

    loop {
        let now = clock.now();
        let mut position = if config.untimed { untimed_position } else { playback.position(now) };
        if state == State::Playing && !config.untimed {
            if let Some(to) = audio_sink.played_position(now).and_then(|audible| audio_master.correct(position, audible, now)) {
                playback.set_position(to, now);
                position = to;
            }
        }
        tell_audio_sink(&playback, audio_sink, &mut sink_running, &mut sink_rate);
        sched.on_event(Event::Position(position), now);
        if state == State::Playing {
            if let Some(last) = last_position {
                played += position.saturating_sub(last);
            }
        }
        last_position = Some(position);
        if config.play_for.is_some_and(|limit| played >= limit) {
            tracing::info!("played {played:?}: stopping (--duration)");
            stats.ended_by = EndReason::PlayedFor;
            break;
        }

        if let Some(f) = failover.as_ref() {
            for switch in f.take_switches() {
                tracing::warn!(from = %switch.from, to = %switch.to, cause = %switch.cause, "origin failover");
                if let Some(l) = live.as_mut() {
                    l.stats.origin_switches += 1;
                }
                on_event(PlayerEvent::OriginSwitched { from: switch.from, to: switch.to });
            }
        }

        // 0. Timeline: holes (a timestamp jump) are crossed, not waited through; live, the
        // playhead follows the edge and stays inside the window.
        if state != State::Paused {
            if let Some(to) = sched.hole_end(position).filter(|to| *to > position) {
                tracing::info!("timeline jumps from {position:?} to {to:?}");
                playback.set_position(to, now);
                untimed_position = to;
                last_position = Some(to); // a jump is not media played
                if let Some(live) = live.as_mut() {
                    live.stats.discontinuities += 1;
                    live.follower.reset_phase();
                }
                on_event(PlayerEvent::Discontinuity { at: to });
                continue;
            }
        }
        if let Some(l) = live.as_mut() {
            if !l.refreshing && now >= l.refresh.next_refresh(l.follower.idle_for(now)) {
                l.refreshing = true;
                let (src, url, tx) = (source.clone(), location.manifest_url(), refresh_tx.clone());
                tokio::spawn(async move {
                    let _ = tx.send(live_join::fetch_manifest(src, url).await).await;
                });
            }
            let window_start = l.window_start();
            if let Some(ws) = window_start.filter(|ws| position < *ws && state != State::Paused) {
                // One fragment into the window, so that the next slide does not drop it again
                // before it is fetched.
                let to = (ws + l.follower.fragment()).min(l.edge().unwrap_or(ws)).max(ws);
                tracing::info!("position {position:?} fell out of the live window: continuing at {to:?}");
                on_event(PlayerEvent::BehindLiveWindow { resumed_at: to });
                seek_to!(to, now);
                continue;
            }
            if state == State::Playing && !config.untimed && user_speed == 1.0 {
                let steer = l.follower.steer(position, now);
                if let Some(to) = steer.jump_to {
                    tracing::info!("far behind the live edge: jumping to {to:?}");
                    seek_to!(to, now);
                    continue;
                }
                if (steer.rate - playback.rate()).abs() > 1e-3 {
                    playback.set_rate(steer.rate, now);
                }
                l.sample(shown_position.unwrap_or(position), now);
            }
            let idle = l.follower.idle_for(now).unwrap_or(now.saturating_duration_since(t0));
            match l.idle.update(idle, l.follower.fragment()) {
                Some(Liveness::Waiting) => {
                    tracing::warn!("no new live fragment for {idle:?}: waiting for the live stream");
                    on_event(PlayerEvent::LiveWaiting);
                }
                Some(Liveness::Resumed) => on_event(PlayerEvent::LiveResumed),
                Some(Liveness::TimedOut) => {
                    tracing::warn!("no new live fragment for {idle:?}: the live stream has stopped");
                    stats.ended_by = EndReason::LiveIdle;
                    break;
                }
                None => {}
            }
            if l.ended() && duration.is_none() {
                duration = l.window_start().zip(l.edge()).map(|(a, b)| b.saturating_sub(a));
            }
        }

        // 1. Scheduler decisions.
        for action in sched.poll(now) {
            match action {
                Action::Fetch(req) => {
                    let Some(t) = selection.tracks.get(req.track) else { continue };
                    let ticks = match live.as_ref() {
                        Some(live) => live.fragment_start(req.track, req.chunk),
                        None => manifest.streams[t.stream].chunks.get(req.chunk).map(|c| c.start.ticks),
                    };
                    let Some(url) = ticks.and_then(|ticks| net!().fragment_url(req.track, req.level, ticks)) else { continue };
                    let generation = tracks[req.track].cuts.generation();
                    let ticks = ticks.unwrap_or_default();
                    let src = source.clone();
                    // Fetched while looking for the live edge: no second download.
                    let cached = body_cache.remove(&url);
                    // Untimed playback never stalls, so it never abandons: the buffer the
                    // selector sees is always near empty there, and would abandon everything.
                    let progress_tx = (!config.untimed && t.kind == TrackKind::Video).then(|| progress_tx.clone());
                    let handle = fetches.spawn(async move {
                        if let Some(f) = cached {
                            return (req, url, ticks, generation, Ok(f));
                        }
                        let r = match progress_tx {
                            Some(tx) => {
                                let report: ProgressFn = Box::new(move |p| {
                                    let _ = tx.send((req, p));
                                });
                                src.fetch_with_progress(&url, Limits::default(), report).await
                            }
                            None => src.fetch(&url, Limits::default()).await,
                        };
                        (req, url, ticks, generation, r)
                    });
                    in_flight.push((req, generation, handle));
                }
                Action::Abandon(req) => {
                    if let Some(i) = in_flight.iter().position(|(r, g, _)| *r == req && *g == tracks[req.track].cuts.generation()) {
                        in_flight.swap_remove(i).2.abort();
                        stats.video.abandoned += 1;
                        tracing::info!(chunk = req.chunk, level = req.level, "download abandoned");
                    }
                }
                Action::TrackEnded(id) => {
                    if let Some(t) = tracks.get(id) {
                        let _ = t.worker.jobs.send(Job::EndOfStream { epoch: sched.epoch(), generation: t.cuts.generation() });
                    }
                }
            }
        }

        // 2. Playout.
        let has_video = video_track.is_some();
        match state {
            State::Buffering { stall_since } => {
                // Live, the buffer cannot grow past the distance to the edge.
                let start_buffer = live.as_ref().map_or(config.start_buffer, |l| config.start_buffer.min(l.follower.config().target));
                let enough = sched.all_fetched() || sched.min_buffer_ahead() >= start_buffer;
                // Wait for the first picture, unless video has ended (or never had any):
                // audio must not wait on a video track whose every fragment failed.
                let first_ready = video_track.and_then(|v| tracks.get(v)).is_none_or(|v| v.eos) || !video_q.is_empty();
                if (enough || config.untimed) && first_ready {
                    state = State::Playing;
                    playback.start(now);
                    sched.on_event(Event::Playing(true), now);
                    if let Some(since) = stall_since {
                        stats.rebuffer.total_ms += ms(now - since);
                    }
                    if stats.startup_ms.is_none() {
                        stats.startup_ms = Some(ms(now - opened_at));
                        body_cache.clear(); // what joining fetched and playback did not use
                    }
                    on_event(PlayerEvent::Playing);
                }
            }
            State::Playing if !config.untimed => {
                let starving = (0..selection.tracks.len()).any(|i| {
                    !tracks[i].eos && sched.buffered_end(i).is_some_and(|e| position >= e) && !sched.all_fetched()
                });
                if starving {
                    playback.stop(now);
                    state = State::Buffering { stall_since: Some(now) };
                    sched.on_event(Event::Playing(false), now);
                    stats.rebuffer.count += 1;
                    on_event(PlayerEvent::Rebuffering);
                }
            }
            _ => {}
        }
        let mut deadline = now + Duration::from_millis(50);
        if state == State::Playing {
            let position = if config.untimed { untimed_position } else { playback.position(now) };
            while let Some(f) = video_q.front() {
                let pts = f.pts.to_duration();
                let dur = video_q.get(1).map(|n| n.pts.to_duration().saturating_sub(pts)).filter(|d| !d.is_zero()).unwrap_or(last_frame_duration);
                match pacer.decide(pts, dur, position) {
                    FrameDecision::Present => {
                        video_sink.present(f)?;
                        if let Some(t) = video_track.and_then(|v| tracks.get_mut(v)) {
                            switch_presented(t, TrackType::Video, pts, clock.now(), on_event);
                        }
                        shown_position = Some(pts);
                        stats.video.frames_presented += 1;
                        last_frame_duration = dur;
                        if config.untimed {
                            untimed_position = untimed_position.max(pts + dur);
                        }
                        video_q.pop_front();
                    }
                    FrameDecision::DropLate => {
                        stats.video.frames_dropped += 1;
                        meter.dropped();
                        last_frame_duration = dur;
                        video_q.pop_front();
                    }
                    FrameDecision::Wait(w) => {
                        deadline = deadline.min(now + w);
                        break;
                    }
                }
            }
            let audio_until = position + audio_sink.lead();
            while let Some(b) = audio_q.front() {
                let pts = b.pts.to_duration();
                if config.untimed || pts <= audio_until {
                    audio_sink.write(b)?;
                    audio_written_end = Some(pts + block_duration(b));
                    if let Some(t) = audio_track.and_then(|a| tracks.get_mut(a)) {
                        switch_presented(t, TrackType::Audio, pts, clock.now(), on_event);
                    }
                    if config.untimed && !has_video {
                        untimed_position = untimed_position.max(pts + block_duration(b));
                    }
                    audio_q.pop_front();
                } else {
                    deadline = deadline.min(now + (pts - audio_until));
                    break;
                }
            }
        }
        if state == State::Paused && shown_position.is_none() {
            // Paused after a seek (or before the first picture): show the picture at the
            // new position, as players do; the clock stays where it is.
            if let Some(f) = video_q.pop_front() {
                video_sink.present(&f)?;
                if let Some(t) = video_track.and_then(|v| tracks.get_mut(v)) {
                    switch_presented(t, TrackType::Video, f.pts.to_duration(), clock.now(), on_event);
                }
                shown_position = Some(f.pts.to_duration());
                stats.video.frames_presented += 1;
            }
        }
        timed.run(if config.untimed { untimed_position } else { playback.position(now) }, &mut stats, on_event);
        if tracks.iter().all(|t| t.eos) && video_q.is_empty() && audio_q.is_empty() && fetches.is_empty() && sched.all_fetched() {
            break;
        }

        // 3. Status.
        if now >= next_status {
            next_status = now + config.status_interval;
            on_event(PlayerEvent::Status(Status {
                position: if config.untimed { untimed_position } else { playback.position(now) },
                duration,
                video_bitrate: last_video_level.and_then(|l| video_track.and_then(|v| selection.tracks[v].levels.get(l)).map(|c| c.bitrate)),
                buffer: sched.min_buffer_ahead(),
                bandwidth_bps: estimator.estimate_bps(),
                frames_dropped: stats.video.frames_dropped,
                paused: state == State::Paused,
                live_edge_distance: live.as_ref().filter(|l| !l.ended()).and_then(|l| l.follower.distance(shown_position.unwrap_or(position))),
                buffering: matches!(state, State::Buffering { .. }),
                speed: user_speed,
                frames_presented: stats.video.frames_presented,
                seekable: match live.as_ref() {
                    Some(l) => l.window_start().zip(l.edge()),
                    None => Some((start, end)),
                },
                video_size: last_video_level.and_then(|l| {
                    let t = &selection.tracks[video_track?];
                    let q = manifest.streams.get(t.stream)?.levels.get(t.levels.get(l)?.manifest_index)?;
                    q.max_width.zip(q.max_height)
                }),
                decode: meter.capacity(0, last_frame_duration).map(|c| (c.decode_time_per_frame, c.frame_duration)),
                video_track: video_track.and_then(|v| selection.available.get(selection.tracks[v].stream)).map(|t| t.label()),
                audio_track: audio_track.and_then(|a| selection.available.get(selection.tracks[a].stream)).map(|t| t.label()),
            }));
            for t in tracks.iter_mut() {
                t.cuts.prune(position);
            }
        }
        deadline = deadline.min(next_status);
        if let Some(l) = live.as_ref().filter(|l| !l.refreshing) {
            deadline = deadline.min(l.refresh.next_refresh(l.follower.idle_for(now)).max(now));
        }
        if let Some(w) = sched.next_wakeup() {
            deadline = deadline.min(w.max(now));
        }
        if config.untimed && state == State::Playing && (!video_q.is_empty() || !audio_q.is_empty()) {
            deadline = now;
        }

        tell_audio_sink(&playback, audio_sink, &mut sink_running, &mut sink_rate);

        // 4. Wait for something to happen.
        let video_room = video_q.len() < config.decoded_frames_ahead.max(2);
        let audio_room = audio_q.len() < 256;
        let (vrx, arx) = split_rx(&mut tracks);
        tokio::select! {
            biased;
            cmd = next_cmd(&mut replay, &mut commands), if commands_open || replay.is_some() => {
                // A relative seek is a seek from the playhead now.
                let cmd = match cmd {
                    Some(Command::SeekBy(by)) if by.is_finite() => {
                        let from = if config.untimed { untimed_position } else { playback.position(clock.now()) };
                        let to = if by >= 0.0 { from + Duration::from_secs_f64(by) } else { from.saturating_sub(Duration::from_secs_f64(-by)) };
                        Some(Command::Seek(match live.as_ref() {
                            Some(_) => to,
                            // Past either end of on-demand: its first or last moment.
                            None => to.clamp(start, end.saturating_sub(Duration::from_millis(1)).max(start)),
                        }))
                    }
                    Some(Command::SeekBy(by)) => {
                        tracing::warn!("relative seek by {by} s ignored");
                        continue;
                    }
                    Some(Command::InstantReplay(back)) => {
                        let now = clock.now();
                        let from = if config.untimed { untimed_position } else { playback.position(now) };
                        user_speed = 1.0;
                        playback.set_rate(1.0, now);
                        if state == State::Paused {
                            replay = Some(Command::Resume);
                        }
                        let lowest = live.as_ref().and_then(|l| l.window_start()).unwrap_or(start);
                        Some(Command::Seek(from.saturating_sub(back).max(lowest)))
                    }
                    other => other,
                };
                match cmd {
                    None => commands_open = false,
                    Some(Command::Stop) => {
                        stats.ended_by = EndReason::Stopped;
                        break;
                    }
                    Some(Command::GoLive) => {
                        if let Some(l) = live.as_mut() {
                            if let Some(to) = l.follower.join_position(None, clock.now()) {
                                l.follower.set_following(true);
                                let to = to.max(l.window_start().unwrap_or(to));
                                seek_to!(to, clock.now());
                                if state == State::Paused {
                                    state = State::Buffering { stall_since: None };
                                }
                            }
                        }
                    }
                    Some(Command::Pause) => {
                        if state == State::Playing {
                            playback.stop(clock.now());
                            sched.on_event(Event::Playing(false), clock.now());
                        }
                        if let Some(l) = live.as_mut() {
                            l.follower.set_following(false); // resumes where it paused, like a DVR
                            playback.set_rate(user_speed, clock.now());
                        }
                        state = State::Paused;
                    }
                    Some(Command::SetSpeed(speed)) if is_trick_speed(speed) && video_track.is_some() => {
                        // Trick play: the normal pipeline idles; audio pauses.
                        let now = clock.now();
                        let from = shown_position.unwrap_or(if config.untimed { untimed_position } else { playback.position(now) });
                        playback.stop(now);
                        audio_sink.set_paused(true);
                        sink_running = false;
                        let vt = video_track.unwrap_or(0);
                        let (chunks, end) = trick_chunks(live.as_ref(), &manifest, &selection, vt);
                        if let Some(l) = live.as_mut() {
                            l.follower.set_following(false); // a DVR move; the edge is rejoined below
                        }
                        let ended = super::trick::run(&net!(), hook.as_ref(), vt, &chunks, end, speed, from, video_sink, &mut commands, on_event).await?;
                        tracing::info!(at = ?ended.position, "trick play ended");
                        if ended.reached_end && live.is_none() {
                            stats.ended_by = EndReason::Completed;
                            break;
                        }
                        user_speed = 1.0;
                        playback.set_rate(1.0, clock.now());
                        if ended.command.is_none() && state == State::Paused {
                            state = State::Buffering { stall_since: None };
                        }
                        seek_to!(ended.position, clock.now());
                        // Live: fast forward ran into the edge as it was when trick play
                        // began. It moved on meanwhile (nothing followed it): find it again,
                        // then go live, as a DVR does.
                        replay = ended.command;
                        if let (Some(l), true, None) = (live.as_mut(), ended.reached_end, replay.as_ref()) {
                            let _ = live_join::find_edge(l, &mut sched, &net!(), &config.live, &mut body_cache).await;
                            replay = Some(Command::GoLive);
                        }
                    }
                    Some(Command::SetSpeed(speed)) if is_trick_speed(speed) => tracing::warn!("trick speed {speed} ignored (no video)"),
                    Some(Command::SetSpeed(speed)) => {
                        user_speed = if speed.is_finite() { speed.clamp(MIN_RATE, MAX_RATE) } else { 1.0 };
                        if let Some(l) = live.as_mut() {
                            if user_speed != 1.0 {
                                l.follower.set_following(false); // GoLive returns to the edge
                            }
                        }
                        playback.set_rate(user_speed, clock.now());
                    }
                    Some(Command::SetViewport { width, height }) => {
                        tracing::info!(width, height, "viewport");
                        sched.on_event(Event::Viewport(smoothplay_heuristics::Viewport { width, height }), clock.now());
                    }
                    Some(Command::SeekBy(_) | Command::InstantReplay(_)) => {} // made seeks above
                    Some(Command::SwitchTrack { kind, track: choice }) => {
                        let now = clock.now();
                        let position = if config.untimed { untimed_position } else { playback.position(now) };
                        // What the video sink has seen (every picture in the queue went
                        // through `decoded`) and the audio sink holds cannot be taken back.
                        let video_committed = video_q.back().map(|f| f.pts.to_duration()).or(shown_position).map_or(position, |p| p + last_frame_duration);
                        let playing = switch::Playing { manifest: &manifest, selection: &selection, live: live.is_some(), position };
                        let decided = switch::plan(&playing, &kind, &choice, |i| {
                            let video = tracks.get(i)?.kind == TrackKind::Video;
                            Some(switch::TrackNow {
                                plan: sched.plan(i)?,
                                next_chunk: sched.next_chunk(i)?,
                                committed: if video { video_committed } else { audio_written_end.unwrap_or(position) },
                                lead: switch::switch_lead(tracks[i].last_fetch, if video { Duration::ZERO } else { audio_sink.lead() }),
                            })
                        });
                        match decided {
                            Ok(None) => tracing::info!("{kind} track {choice:?}: already playing"),
                            Err(error) => {
                                tracing::warn!("{kind} track switch to {choice:?}: {error}");
                                let asked = match &choice {
                                    super::TrackChoice::Name(n) => n.clone(),
                                    super::TrackChoice::Next => "next".to_string(),
                                };
                                on_event(PlayerEvent::TrackSwitchFailed { kind, asked, error });
                            }
                            Ok(Some(sw)) => {
                                tracing::info!(from = %sw.from_name, to = %sw.to_name, at = ?sw.at, "{kind} track switch");
                                let t = &mut tracks[sw.track];
                                let generation = t.cuts.cut(sw.at);
                                t.worker.supersede(generation, sw.old_chunk);
                                t.eos = false;
                                let from = t.pending.take().map_or(sw.from_name, |p| p.from);
                                t.pending = Some(Pending { at: sw.at, from, to: sw.to_name, asked: now, asked_position: position });
                                in_flight.retain(|(r, _, h)| r.track != sw.track || {
                                    h.abort();
                                    false
                                });
                                sched.switch_track(sw.track, sw.to.plan.clone(), sw.new_chunk);
                                if let Some(live) = live.as_mut() {
                                    live.switch_stream(sw.track, sw.to.stream, manifest.streams.get(sw.to.stream).and_then(|s| s.name.clone()));
                                    live.refresh.request_now(); // the new stream's own entries
                                }
                                if sw.to.kind == TrackKind::Audio {
                                    // Decoded old audio after the boundary is not played.
                                    audio_q.retain_mut(|b| trim_audio_after(b, sw.at));
                                }
                                selection.tracks[sw.track] = sw.to;
                            }
                        }
                    }
                    Some(Command::SetTextTrack(name)) => timed.set_text_track(name.as_deref(), if config.untimed { untimed_position } else { playback.position(clock.now()) }, on_event),
                    Some(Command::Resume) => {
                        if state == State::Paused {
                            state = State::Buffering { stall_since: None };
                        }
                    }
                    Some(Command::Seek(to)) => {
                        let now = clock.now();
                        match live.as_mut() {
                            Some(l) => {
                                // Anywhere in the window; before it: its oldest fragment, said so.
                                let (ws, edge) = (l.window_start().unwrap_or(start), l.edge().unwrap_or(to));
                                let target = l.follower.join_position(None, clock.now()).unwrap_or(edge);
                                let clamped = to.clamp(ws, target.max(ws));
                                if to < ws {
                                    tracing::warn!("seek to {to:?} is before the live window ({ws:?}): continuing at its start");
                                    on_event(PlayerEvent::BehindLiveWindow { resumed_at: ws });
                                }
                                l.follower.set_following(clamped >= target);
                                playback.set_rate(user_speed, now);
                                seek_to!(clamped, now);
                            }
                            None if to < start || to >= end => tracing::warn!("seek to {to:?} outside {start:?}..{end:?} ignored"),
                            None => seek_to!(to, now),
                        }
                    }
                }
            }
            Some((req, progress)) = progress_rx.recv() => {
                if req.epoch == sched.epoch() {
                    let now = clock.now();
                    if let (Some(l), Some(_)) = (live.as_mut(), progress.ttfb) {
                        l.on_served(req.track, req.chunk, now.checked_sub(progress.elapsed).unwrap_or(now));
                    }
                    sched.on_event(Event::Progress { request: req, progress }, now);
                }
            }
            Some(joined) = fetches.join_next(), if !fetches.is_empty() => {
                let Ok((req, url, ticks, generation, result)) = joined else { continue }; // aborted
                in_flight.retain(|(r, g, _)| !(*r == req && *g == generation));
                if req.epoch != sched.epoch() || tracks.get(req.track).is_none_or(|t| t.cuts.generation() != generation) {
                    continue; // from before a seek or a track switch
                }
                let now = clock.now();
                let Some(t) = selection.tracks.get(req.track) else { continue };
                let Some(level) = t.levels.get(req.level).cloned() else { continue };
                let kind = t.kind;
                let result = match (result, live.as_mut()) {
                    // Live: read what the fragment says of the timeline (tfxd, tfrf); a body
                    // still being written is "not yet".
                    (Ok(f), Some(live)) => match live.on_downloaded(req.track, req.chunk, &f.body, now.checked_sub(f.elapsed).unwrap_or(now), now) {
                        Arrival::Fragment => {
                            live.sync(&mut sched, now);
                            Ok(f)
                        }
                        Arrival::NotYet => {
                            let retry_at = live.follower.retry_at(now);
                            sched.on_event(Event::Unavailable { request: req, retry_at }, now);
                            continue;
                        }
                    },
                    (Err(e), Some(live)) if e.is_not_found() => {
                        match live.on_missing(req.track, req.chunk, ticks, req.level, now) {
                            Missing::NotYet(retry_at) => sched.on_event(Event::Unavailable { request: req, retry_at }, now),
                            Missing::Suspect(retry_at) => {
                                sched.on_event(Event::Unavailable { request: req, retry_at }, now);
                                reprobe!(live, req.track, req.chunk, now); // the real start, soon
                            }
                            Missing::Gone => {
                                tracing::info!(%url, "not on the server although newer fragments are: trying another level");
                                sched.on_event(Event::LevelMissing { request: req }, now);
                                // A wrong prediction (a small gap before the next fragment)
                                // looks the same: the newest fragment's tfrf says.
                                reprobe!(live, req.track, req.chunk, now);
                            }
                            Missing::PastTheEnd => {
                                // The presentation ended before this predicted fragment.
                                live.sync(&mut sched, now);
                                sched.on_event(Event::Failed { request: req }, now);
                            }
                        }
                        continue;
                    }
                    (r, _) => r,
                };
                match result {
                    Ok(f) => {
                        let pointers = f.content_type.as_deref().map_or(Pointers::None, |ct| timed.on_content_type(ct));
                        if let Some(live) = live.as_mut() {
                            if pointers != Pointers::None {
                                live.refresh.set_sparse_polling(false);
                            }
                            if pointers == Pointers::New {
                                live.refresh.request_now(); // for entries between two pointers
                            }
                            timed.on_published(crate::MediaTime::new(ticks, t.timescale).to_duration());
                        }
                        sched.on_event(Event::Downloaded { request: req, bytes: f.body.len() as u64, ttfb: f.ttfb, elapsed: f.elapsed }, now);
                        let fs = FragmentStats { index: req.chunk, bitrate: level.bitrate, bytes: f.body.len() as u64, download_ms: ms(f.elapsed), ttfb_ms: ms(f.ttfb) };
                        if kind == TrackKind::Video {
                            estimator.on_download(&DownloadReport { level: req.level, bytes: f.body.len() as u64, ttfb: f.ttfb, duration: f.elapsed, media_duration: Duration::ZERO, abandoned: false });
                            if let Some(from) = last_video_level.filter(|l| *l != req.level) {
                                stats.video.switches += 1;
                                on_event(PlayerEvent::LevelSwitch { from: t.levels.get(from).map_or(0, |l| l.bitrate), to: level.bitrate, reason: req.reason });
                            }
                            last_video_level = Some(req.level);
                            stats.video.fragments_total += 1;
                            stats.video.bytes_total += fs.bytes;
                            push_recent(&mut stats.video.fragments, fs, MAX_FRAGMENT_RECORDS);
                        } else {
                            stats.audio.fragments_total += 1;
                            stats.audio.bytes_total += fs.bytes;
                            push_recent(&mut stats.audio.fragments, fs, MAX_FRAGMENT_RECORDS);
                        }
                        tracks[req.track].last_fetch = Some(f.elapsed);
                        let _ = tracks[req.track].worker.jobs.send(Job::Fragment { epoch: req.epoch, chunk: req.chunk, url, level, body: f.body, manifest_start: ticks, timescale: t.timescale, generation });
                    }
                    Err(e) => {
                        sched.on_event(Event::Failed { request: req }, now);
                        skip(&mut stats, on_event, kind, req.chunk, url, e.to_string());
                    }
                }
            }
            Some(done) = timed.recv() => timed.on_fetched(done),
            Some((track, index, sent, result)) = reprobe_rx.recv() => {
                if let (Some(live), Ok(f)) = (live.as_mut(), result) {
                    let now = clock.now();
                    live.on_downloaded(track, index, &f.body, sent, now);
                    live.sync(&mut sched, now);
                }
            }
            Some(refreshed) = refresh_rx.recv() => {
                let now = clock.now();
                if let Some(live) = live.as_mut() {
                    live.refreshing = false;
                    match refreshed {
                        Ok(m) => {
                            live.refresh.on_refreshed(true, now);
                            live.on_manifest(&m, &config.live, now);
                            timed.on_manifest(&m);
                            live.sync(&mut sched, now);
                        }
                        Err(e) => {
                            live.refresh.on_refreshed(false, now);
                            tracing::warn!("manifest refresh failed: {e}");
                        }
                    }
                }
            }
            Some(out) = recv_opt(vrx), if video_room => {
                handle_output(out, video_track.unwrap_or(0), &mut tracks, &sched, &mut stats, on_event, &mut video_q, &mut audio_q, seek_target, video_sink, &mut meter, &selection)?;
            }
            Some(out) = recv_opt(arx), if audio_room => {
                let a = tracks.iter().position(|t| t.kind == TrackKind::Audio).unwrap_or(0);
                handle_output(out, a, &mut tracks, &sched, &mut stats, on_event, &mut video_q, &mut audio_q, seek_target, video_sink, &mut meter, &selection)?;
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {}
        }
        if let Some(d) = meter.capacity(last_video_level.unwrap_or(0), last_frame_duration) {
            sched.on_event(Event::Decode(d), clock.now());
        }
    }

    // Shut the workers down.
    for t in tracks.iter_mut() {
        t.worker.set_epoch(u64::MAX);
        t.rx.close();
        while t.rx.try_recv().is_ok() {}
    }
    for t in tracks.iter_mut() {
        let (tx, _) = std::sync::mpsc::channel();
        t.worker.jobs = tx; // drop the sender so the worker's recv ends
        if let Some(h) = t.worker.handle.take() {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
    }
    video_sink.finish()?;
    audio_sink.finish()?;
    stats.video.mean_decode_ms = meter.mean_ms();
    stats.wall_ms = ms(clock.now() - t0);
    stats.decryption = key_uses.lock().unwrap_or_else(|p| p.into_inner()).clone();
    stats.live = live.map(LiveState::finish);
    on_event(PlayerEvent::Ended);
    Ok(stats)
}

/// Tells the audio sink when the playback clock stops, starts or changes rate.
fn tell_audio_sink(playback: &PlaybackClock, sink: &mut dyn AudioSink, running: &mut bool, rate: &mut f64) {
    if playback.is_running() != *running {
        *running = playback.is_running();
        sink.set_paused(!*running);
    }
    if playback.rate() != *rate {
        *rate = playback.rate();
        sink.set_rate(*rate);
    }
}

fn split_rx(tracks: &mut [TrackRt]) -> (Option<&mut mpsc::Receiver<Output>>, Option<&mut mpsc::Receiver<Output>>) {
    let mut v = None;
    let mut a = None;
    for t in tracks.iter_mut() {
        match t.kind {
            TrackKind::Video => v = Some(&mut t.rx),
            TrackKind::Audio => a = Some(&mut t.rx),
        }
    }
    (v, a)
}

async fn recv_opt(rx: Option<&mut mpsc::Receiver<Output>>) -> Option<Output> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The command that ended trick play, else the next from the channel.
async fn next_cmd(replay: &mut Option<Command>, rx: &mut Option<mpsc::UnboundedReceiver<Command>>) -> Option<Command> {
    match replay.take() {
        Some(c) => Some(c),
        None => recv_cmd(rx).await,
    }
}

async fn recv_cmd(rx: &mut Option<mpsc::UnboundedReceiver<Command>>) -> Option<Command> {
    match rx {
        Some(rx) => rx.recv().await,
        None => None,
    }
}

/// Says [`PlayerEvent::TrackSwitched`] when `pts`, just presented, is the first of a
/// pending switch's new track.
fn switch_presented(t: &mut TrackRt, kind: TrackType, pts: Duration, now: Instant, on_event: &mut (dyn FnMut(PlayerEvent) + Send)) {
    if t.pending.as_ref().is_some_and(|p| pts + Duration::from_millis(1) >= p.at) {
        if let Some(p) = t.pending.take() {
            let latency = now.saturating_duration_since(p.asked);
            tracing::info!(from = %p.from, to = %p.to, at = ?p.at, ?latency, "{kind} track switched");
            on_event(PlayerEvent::TrackSwitched { kind, from: p.from, to: p.to, at: p.at, asked_at: p.asked_position, latency });
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn block_duration(b: &AudioBlock) -> Duration {
    let frames = b.samples.len() as u64 / u64::from(b.channels.max(1));
    Duration::from_secs_f64(frames as f64 / f64::from(b.sample_rate.max(1)))
}

fn skip(stats: &mut PlaybackStats, on_event: &mut (dyn FnMut(PlayerEvent) + Send), kind: TrackKind, index: usize, url: String, error: String) {
    let track = if kind == TrackKind::Video { "video" } else { "audio" }.to_string();
    tracing::warn!(%url, %error, "fragment skipped");
    on_event(PlayerEvent::FragmentSkipped { track: track.clone(), index, error: format!("{url}: {error}") });
    stats.skipped_total += 1;
    push_recent(&mut stats.skipped_fragments, SkippedFragment { track, index, url, error }, MAX_SKIPPED_RECORDS);
}

#[allow(clippy::too_many_arguments)]
fn handle_output(
    out: Output,
    track: usize,
    tracks: &mut [TrackRt],
    sched: &Scheduler,
    stats: &mut PlaybackStats,
    on_event: &mut (dyn FnMut(PlayerEvent) + Send),
    video_q: &mut VecDeque<VideoFrame>,
    audio_q: &mut VecDeque<AudioBlock>,
    seek_target: Option<Duration>,
    video_sink: &mut dyn VideoSink,
    meter: &mut DecodeMeter,
    selection: &super::TrackSelection,
) -> Result<(), Error> {
    let current = sched.epoch();
    let kind = tracks.get(track).map_or(TrackKind::Video, |t| t.kind);
    match out {
        Output::Video { epoch, generation, frame } if epoch == current => {
            let pts = frame.pts.to_duration();
            if tracks.get(track).is_some_and(|t| t.cuts.verdict(generation, pts, pts) == Verdict::Drop) {
                return Ok(()); // the other side of a track switch's boundary
            }
            if seek_target.is_some_and(|t| frame.pts.to_duration() + Duration::from_millis(1) <= t) {
                return Ok(()); // decoded only to reach the seek target
            }
            stats.video.frames_decoded += 1;
            video_sink.decoded(&frame)?;
            video_q.push_back(frame);
        }
        Output::Audio { epoch, generation, mut block } if epoch == current => {
            let start = block.pts.to_duration();
            match tracks.get(track).map_or(Verdict::Keep, |t| t.cuts.verdict(generation, start, start + block_duration(&block))) {
                Verdict::Keep => {}
                Verdict::Drop => return Ok(()),
                Verdict::Trim { from, to } => {
                    if !trim_audio_before(&mut block, from) || to.is_some_and(|to| !trim_audio_after(&mut block, to)) {
                        return Ok(());
                    }
                }
            }
            if let Some(t) = seek_target {
                if !trim_audio_before(&mut block, t) {
                    return Ok(());
                }
            }
            let ch = u64::from(block.channels.max(1));
            stats.audio.samples_decoded += block.samples.len() as u64 / ch;
            stats.audio.sample_rate = Some(block.sample_rate);
            stats.audio.channels = Some(block.channels);
            audio_q.push_back(block);
        }
        Output::FragmentDone { epoch, frames, decode_time } if epoch == current && kind == TrackKind::Video => {
            meter.fragment(frames, decode_time);
        }
        Output::Abort { epoch, chunk, url, error } if epoch == current => {
            return Err(Error::Decryption { url, fragment: chunk, reason: error });
        }
        Output::FragmentFailed { epoch, chunk, url, error } if epoch == current => {
            skip(stats, on_event, kind, chunk, url, error);
        }
        Output::Fatal { error } => {
            let name = selection.tracks.get(track).map_or("track", |t| if t.kind == TrackKind::Video { "video" } else { "audio" });
            let msg = format!("{name}: decoder unavailable: {error}");
            stats.unsupported_streams.push(msg.clone());
            on_event(PlayerEvent::Unsupported(msg));
            if let Some(t) = tracks.get_mut(track) {
                t.eos = true;
            }
        }
        Output::EndOfStream { epoch, generation } if epoch == current && tracks.get(track).is_some_and(|t| t.cuts.generation() == generation) => {
            if let Some(t) = tracks.get_mut(track) {
                t.eos = true;
            }
        }
        _ => {} // stale: from before a seek
    }
    Ok(())
}

/// The fragments trick play may walk on the video track `vt`, and their end: on demand the
/// manifest's; live, the live timeline's announced ones (the DVR window up to the edge).
fn trick_chunks(live: Option<&LiveState>, manifest: &Manifest, selection: &super::TrackSelection, vt: usize) -> (Vec<super::trick::TrickChunk>, Duration) {
    use super::trick::TrickChunk;
    if let Some(l) = live {
        let (chunks, end) = l.announced(vt);
        return (chunks.into_iter().map(|(start, ticks)| TrickChunk { start, ticks }).collect(), end.unwrap_or_default());
    }
    let Some(t) = selection.tracks.get(vt) else { return (Vec::new(), Duration::ZERO) };
    let stream = &manifest.streams[t.stream];
    let chunks = t.plan.chunks.iter().zip(&stream.chunks).map(|(slot, c)| TrickChunk { start: slot.start, ticks: c.start.ticks }).collect();
    (chunks, t.plan.chunks.last().map(|c| c.end()).unwrap_or_default())
}
