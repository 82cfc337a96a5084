//! What the player knows of itself, shared between the session's event callback (which
//! updates it), the [`Controller`](crate::control::Controller) and readers such as the
//! IPC server (which watch it).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use smoothplay_engine::session::{PlayerEvent, Status};
use tokio::sync::{broadcast, watch};

/// How long a requested pause or speed wins over the engine's status reports before the
/// engine confirms it (the engine applies commands within one loop turn; a status sent
/// just before may still say otherwise).
const REQUEST_HOLD: Duration = Duration::from_secs(2);

/// The window over which `estimated-display-fps` counts presented frames.
const FPS_WINDOW: Duration = Duration::from_millis(1500);

/// A copy of the player's state at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The engine's latest status report (`None` before the first).
    pub status: Option<Status>,
    /// Pause asked for and not yet confirmed by a status report.
    pub pause_requested: Option<(bool, Instant)>,
    /// Speed asked for and not yet confirmed.
    pub speed_requested: Option<(f64, Instant)>,
    /// Volume in percent, 0 to [`crate::control::VOLUME_MAX`] (100 at start).
    pub volume: f64,
    /// Muted.
    pub mute: bool,
    /// Fullscreen asked for (headless: only remembered).
    pub fullscreen: bool,
    /// On-screen statistics asked for (headless: only remembered).
    pub stats: bool,
    /// Size of the last picture presented.
    pub frame_size: Option<(u32, u32)>,
    /// Frames presented per second over the last 1.5 s of status reports.
    pub display_fps: Option<f64>,
    /// What is playing (the URL or path given).
    pub path: Option<String>,
    /// The end of the presentation was reached.
    pub eof: bool,
    /// Quit was asked for.
    pub quitting: bool,
    /// The presentation's caption/subtitle tracks (names), for `cycle sid`.
    pub text_tracks: Vec<String>,
    /// The caption track shown (`sid`), `None`: off.
    pub sid: Option<String>,
    /// Captions drawn when there are some (`sub-visibility`, `v`).
    pub sub_visibility: bool,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            status: None,
            pause_requested: None,
            speed_requested: None,
            volume: 100.0,
            mute: false,
            fullscreen: false,
            stats: false,
            frame_size: None,
            display_fps: None,
            path: None,
            eof: false,
            quitting: false,
            text_tracks: Vec::new(),
            sid: None,
            sub_visibility: true,
        }
    }
}

impl Snapshot {
    /// Paused: what was last asked for, else what the engine reported (`None` before
    /// either).
    pub fn paused(&self) -> Option<bool> {
        self.pause_requested.map(|(p, _)| p).or(self.status.as_ref().map(|s| s.paused))
    }

    /// Playback speed (1 until reported otherwise).
    pub fn speed(&self) -> f64 {
        self.speed_requested.map(|(s, _)| s).or(self.status.as_ref().map(|s| s.speed)).unwrap_or(1.0)
    }

    /// The presentation's duration, when known (not live).
    pub fn duration(&self) -> Option<Duration> {
        self.status.as_ref().and_then(|s| s.duration)
    }
}

/// Something that happened, for listeners that report events (the IPC's `seek`,
/// `playback-restart`, `end-file`, `shutdown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A seek was started.
    Seek,
    /// Playback (re)started: at the beginning and after each seek, once the new position
    /// is ready (while paused: at the next status report after the seek).
    PlaybackRestart,
    /// Playback ended (the player is about to exit).
    EndFile(EndFileReason),
    /// The player is exiting.
    Shutdown,
}

/// Why playback ended, as mpv's `end-file` event says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndFileReason {
    /// The end was reached (also: `--duration` played, a live stream went idle).
    Eof,
    /// Stopped (Ctrl-C).
    Stop,
    /// The user quit.
    Quit,
    /// Playback failed.
    Error,
}

impl EndFileReason {
    /// mpv's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            EndFileReason::Eof => "eof",
            EndFileReason::Stop => "stop",
            EndFileReason::Quit => "quit",
            EndFileReason::Error => "error",
        }
    }
}

struct Inner {
    snap: Snapshot,
    fps_samples: VecDeque<(Instant, u64)>,
    restart_pending: bool,
}

/// The shared state: a [`Snapshot`] behind a lock, a change signal and a notice channel.
pub struct PlayerState {
    inner: Mutex<Inner>,
    version: watch::Sender<u64>,
    notices: broadcast::Sender<Notice>,
}

impl PlayerState {
    /// A fresh state (volume 100, nothing known).
    pub fn new() -> Arc<Self> {
        Arc::new(PlayerState {
            inner: Mutex::new(Inner { snap: Snapshot::default(), fps_samples: VecDeque::new(), restart_pending: true }),
            version: watch::Sender::new(0),
            notices: broadcast::Sender::new(256),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// A copy of the state now.
    pub fn snapshot(&self) -> Snapshot {
        self.lock().snap.clone()
    }

    /// Changes the state and tells the watchers.
    pub fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        f(&mut self.lock().snap);
        self.changed();
    }

    /// A receiver that is marked changed whenever the state changes.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// A receiver of the notices sent from now on.
    pub fn notices(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    /// Sends a notice to every listener.
    pub fn notify(&self, notice: Notice) {
        let _ = self.notices.send(notice);
    }

    /// A pause (or resume) was sent to the engine.
    pub fn request_pause(&self, paused: bool) {
        self.update(|s| s.pause_requested = Some((paused, Instant::now())));
    }

    /// A speed was sent to the engine.
    pub fn request_speed(&self, speed: f64) {
        self.update(|s| s.speed_requested = Some((speed, Instant::now())));
    }

    /// A seek was sent to the engine: `seek` now, `playback-restart` when it is done.
    pub fn seeking(&self) {
        self.lock().restart_pending = true;
        self.notify(Notice::Seek);
    }

    /// Quit was asked for.
    pub fn request_quit(&self) {
        self.update(|s| s.quitting = true);
    }

    /// The size of a picture just presented (watchers are told only when it changes).
    pub fn set_frame_size(&self, width: u32, height: u32) {
        let mut inner = self.lock();
        if inner.snap.frame_size != Some((width, height)) {
            inner.snap.frame_size = Some((width, height));
            drop(inner);
            self.changed();
        }
    }

    /// Feeds one engine event (call from `Session::play`'s callback).
    pub fn on_player_event(&self, event: &PlayerEvent) {
        self.on_player_event_at(event, Instant::now());
    }

    fn on_player_event_at(&self, event: &PlayerEvent, now: Instant) {
        let mut restart = false;
        {
            let mut inner = self.lock();
            match event {
                PlayerEvent::Status(status) => {
                    let Inner { snap, fps_samples, restart_pending } = &mut *inner;
                    fps_samples.push_back((now, status.frames_presented));
                    while fps_samples.len() > 2 && fps_samples.front().is_some_and(|(t, _)| now.duration_since(*t) > FPS_WINDOW) {
                        fps_samples.pop_front();
                    }
                    snap.display_fps = match (fps_samples.front(), fps_samples.back()) {
                        (Some((t0, f0)), Some((t1, f1))) if t1.duration_since(*t0) >= Duration::from_millis(400) && f1 >= f0 => {
                            Some((f1 - f0) as f64 / t1.duration_since(*t0).as_secs_f64())
                        }
                        _ => None, // too short a span, or a counter reset
                    };
                    if let Some((p, at)) = snap.pause_requested {
                        if p == status.paused || now.duration_since(at) > REQUEST_HOLD {
                            snap.pause_requested = None;
                        }
                    }
                    if let Some((s, at)) = snap.speed_requested {
                        if (s - status.speed).abs() < 1e-9 || now.duration_since(at) > REQUEST_HOLD {
                            snap.speed_requested = None;
                        }
                    }
                    // Paused, the engine does not report `Playing` after a seek: the
                    // first status after it (the new position, nothing to wait for) is
                    // the restart.
                    if *restart_pending && status.paused && !status.buffering {
                        *restart_pending = false;
                        restart = true;
                    }
                    snap.status = Some(status.clone());
                }
                PlayerEvent::TextTrackChanged { track } => inner.snap.sid = track.clone(),
                PlayerEvent::Playing => {
                    if inner.restart_pending {
                        inner.restart_pending = false;
                        restart = true;
                    }
                }
                PlayerEvent::Ended => inner.snap.eof = true,
                // Trick play sends no status: the picture shown is the position.
                PlayerEvent::TrickFrame { pts, speed, .. } => {
                    if let Some(status) = inner.snap.status.as_mut() {
                        status.position = *pts;
                        status.speed = *speed;
                    }
                }
                _ => return,
            }
        }
        self.changed();
        if restart {
            self.notify(Notice::PlaybackRestart);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn status(position_ms: u64, frames: u64, paused: bool) -> Status {
        Status {
            position: Duration::from_millis(position_ms),
            duration: Some(Duration::from_secs(20)),
            video_bitrate: Some(250_000),
            buffer: Duration::from_secs(4),
            bandwidth_bps: Some(1e7),
            frames_dropped: 1,
            paused,
            live_edge_distance: None,
            buffering: false,
            speed: 1.0,
            frames_presented: frames,
            seekable: Some((Duration::ZERO, Duration::from_secs(20))),
            video_size: Some((426, 240)),
            decode: None,
            video_track: None,
            audio_track: None,
        }
    }

    #[test]
    fn display_fps_counts_presented_frames_over_time() {
        let state = PlayerState::new();
        let t0 = Instant::now();
        state.on_player_event_at(&PlayerEvent::Status(status(0, 0, false)), t0);
        assert_eq!(state.snapshot().display_fps, None);
        for i in 1..=20u64 {
            state.on_player_event_at(&PlayerEvent::Status(status(i * 100, i * 3, false)), t0 + Duration::from_millis(i * 100));
        }
        let fps = state.snapshot().display_fps.unwrap();
        assert!((fps - 30.0).abs() < 1e-6, "{fps}");
    }

    #[test]
    fn a_requested_pause_holds_until_confirmed() {
        let state = PlayerState::new();
        let t0 = Instant::now();
        state.on_player_event_at(&PlayerEvent::Status(status(0, 0, false)), t0);
        state.request_pause(true);
        assert_eq!(state.snapshot().paused(), Some(true));
        // A status sent before the engine saw the pause does not undo it...
        state.on_player_event_at(&PlayerEvent::Status(status(100, 3, false)), Instant::now());
        assert_eq!(state.snapshot().paused(), Some(true));
        // ...the confirmation ends the request, and later reports rule again.
        state.on_player_event_at(&PlayerEvent::Status(status(100, 3, true)), Instant::now());
        assert_eq!(state.snapshot().pause_requested, None);
        state.on_player_event_at(&PlayerEvent::Status(status(100, 3, false)), Instant::now());
        assert_eq!(state.snapshot().paused(), Some(false));
    }

    #[test]
    fn restarts_follow_seeks() {
        let state = PlayerState::new();
        let mut notices = state.notices();
        state.on_player_event(&PlayerEvent::Playing);
        assert_eq!(notices.try_recv().unwrap(), Notice::PlaybackRestart, "the first start");
        state.on_player_event(&PlayerEvent::Playing);
        assert!(notices.try_recv().is_err(), "a rebuffer's end is no restart");
        state.seeking();
        assert_eq!(notices.try_recv().unwrap(), Notice::Seek);
        state.on_player_event(&PlayerEvent::Playing);
        assert_eq!(notices.try_recv().unwrap(), Notice::PlaybackRestart);
        // Paused: the next status after the seek.
        state.seeking();
        assert_eq!(notices.try_recv().unwrap(), Notice::Seek);
        state.on_player_event(&PlayerEvent::Status(status(5000, 10, true)));
        assert_eq!(notices.try_recv().unwrap(), Notice::PlaybackRestart);
    }
}
