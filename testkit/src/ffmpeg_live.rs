//! A real live origin: ffmpeg's `smoothstreaming` muxer encoding a test picture in real
//! time into a directory, which [`crate::origin::Origin`] then serves over loopback.
//!
//! [`FfmpegLive::start`] runs `ffmpeg -re` on lavfi sources (`testsrc2`, a moving
//! picture, and a 440 Hz `sine`), encodes small H.264 (x264 veryfast, one thread, no
//! B-frames, a GOP of exactly one fragment so every fragment starts with an IDR) and AAC,
//! and muxes with `-f smoothstreaming -window_size 10 -extra_window_size 5
//! -lookahead_count 2 -min_frag_duration 2000000` into `<root>/live.ism`. Serve `root`:
//! the manifest URL is `http://127.0.0.1:PORT/live.ism/Manifest`.
//!
//! # What ffmpeg 5.1 (5.1.9, Debian 12) produces here
//! Measured by running it (the defaults below: 480x270 + 320x180, 25 fps, 2 s fragments),
//! watching the directory every 20 ms and under `strace`:
//!
//! - **Manifest while live**: `MajorVersion="2" MinorVersion="0" Duration="0"
//!   IsLive="true" LookAheadFragmentCount="2" DVRWindowLength="0"`, chunks as
//!   `<c t d>`. The very first manifest (written at start) lists no chunks at all.
//! - **Which chunks it lists**: the window (10 per stream once full) ends two fragments
//!   before the newest file on disk: with files 0..=N, the manifest lists up to N-2. The
//!   first chunks appear about 6 s after the start (when fragment 2 is written). The
//!   manifest is rewritten once per fragment, right after the fragment files.
//! - **Files on disk**: per level 17 `Fragments(...)` files (window + extra window +
//!   lookahead) plus as many `FragmentInfo(...)` (the moof alone); older ones are deleted.
//! - **When a fragment appears**: about 0.3-0.5 s after its end time (the next
//!   fragment's first packet closes it; x264's lookahead adds a few frames). It is
//!   written to `QualityLevels(B)/temp` and renamed, and the manifest goes through
//!   `Manifest.tmp` + rename, so neither is ever seen partially written: the origin never
//!   serves a short body. (`FragmentInfo` files are written in place and can be seen
//!   empty; players do not ask for them.)
//! - **tfrf**: a new fragment carries `tfxd` and a 61-byte `free` box where the tfrf
//!   goes, no tfrf. When fragment N+1 is written, N's file is rewritten *in place* (same
//!   size, so its mtime changes) to `tfrf` with 1 entry + a 16-byte `free`; when N+2 is
//!   written, to `tfrf` with 2 entries (version 1, 64-bit times). So every fragment the
//!   manifest lists already has its full tfrf, and what a tfrf announces exists on disk;
//!   a player fetching the newest fragment at once sees no tfrf. The fragment after the
//!   newest (its URL follows from tfxd t+d) is a 404 until it is written.
//! - **Start times**: with AAC in the same run, audio starts at 0 and video at
//!   t=213333 (AAC's 1024-sample priming at 48 kHz, the whole presentation shifted so
//!   audio is non-negative); without audio, video starts at 0. Video fragments are
//!   exactly 20000000 ticks; audio ones vary around it (20266666, 20053333, 19840000...).
//! - **Normal stop** (`q` on stdin, or the `-t` limit): exit status 0; the manifest is
//!   rewritten on-demand (`Duration` = end of the last fragment, no `IsLive`), lists the
//!   lookahead fragments too, the last one short (the remaining part of a GOP), and keeps
//!   only the last `window_size` chunks. Files stay on disk. **Quirk**: while no fragment
//!   has been deleted yet (runs under about 34 s), the final manifest uses `<c n d>`
//!   without `t`, so the video timeline restarts at 0 while the files are named from
//!   213333 (or from the `-output_ts_offset`): fetched by the manifest, those video URLs
//!   are 404s. Longer runs keep `<c t d>`.
//! - **Killed** (SIGKILL): the manifest stays `IsLive="true"` as it was, never growing.
//! - **Restart** into the same directory with `-output_ts_offset S`: the first manifest
//!   is rewritten at once with no chunks; video continues at exactly S x 10^7, audio 1024
//!   samples earlier (S x 10^7 - 213333). The previous run's files are not deleted.
//! - stderr always carries `Track 0 starts with a nonzero dts ..., while the moov already
//!   has been written` (harmless); it goes to `<root>/ffmpeg.log`.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use smoothplay_engine::manifest::Manifest;

use crate::origin::Origin;

/// The presentation directory's name under the root.
pub const PRESENTATION: &str = "live.ism";
/// Frames per second of the test picture.
pub const FPS: u32 = 25;
/// Fragment length (and GOP length).
pub const FRAGMENT: Duration = Duration::from_secs(2);
/// The `-window_size` passed to the muxer (chunks listed per stream).
pub const WINDOW: usize = 10;
/// The `-lookahead_count` passed to the muxer.
pub const LOOKAHEAD: usize = 2;
/// Video start time (ticks) when audio is encoded in the same run: AAC priming.
pub const AAC_PRIMING_TICKS: u64 = 213_333;

/// One video quality level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoLevel {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Target bitrate in kbit/s; it names the level's directory, so keep them distinct.
    pub kbps: u32,
}

/// How to run the encoder.
#[derive(Debug, Clone)]
pub struct FfmpegLiveOptions {
    /// Stop by itself after this much media (`-t`); `None` runs until stopped or dropped.
    pub duration: Option<Duration>,
    /// `-output_ts_offset`: timestamps start here (a restart continuing a timeline).
    pub output_ts_offset: Option<Duration>,
    /// The root directory to write `live.ism` into (created if missing, never deleted by
    /// the harness); `None` makes a fresh temporary one, deleted on drop.
    pub dir: Option<PathBuf>,
    /// Video levels, largest first (the picture is drawn at the first one's size).
    pub video: Vec<VideoLevel>,
    /// Whether to add an AAC audio stream (48 kHz stereo, 64 kbit/s).
    pub audio: bool,
}

impl Default for FfmpegLiveOptions {
    fn default() -> Self {
        FfmpegLiveOptions {
            duration: None,
            output_ts_offset: None,
            dir: None,
            video: vec![VideoLevel { width: 480, height: 270, kbps: 600 }, VideoLevel { width: 320, height: 180, kbps: 300 }],
            audio: true,
        }
    }
}

/// A running `ffmpeg -f smoothstreaming` encode. Dropping it kills ffmpeg, waits for it
/// and deletes the directory when the harness made it.
#[derive(Debug)]
pub struct FfmpegLive {
    child: Child,
    stdin: Option<ChildStdin>,
    root: PathBuf,
    owns_root: bool,
    started: Instant,
    /// Wall-clock start, to tell this run's manifests from an earlier run's.
    spawned_at: SystemTime,
}

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

fn fresh_temp_dir() -> io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name = format!("smoothplay-ffmpeg-live-{}-{}-{nanos}", std::process::id(), NEXT_DIR.fetch_add(1, Ordering::Relaxed));
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn seconds(d: Duration) -> String {
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

/// The ffmpeg arguments for `opts`, writing into `presentation`.
fn ffmpeg_args(opts: &FfmpegLiveOptions, presentation: &Path) -> Vec<String> {
    let first = opts.video.first().copied().unwrap_or(VideoLevel { width: 320, height: 180, kbps: 300 });
    let gop = (FPS as u128 * FRAGMENT.as_millis() / 1000).to_string();
    let mut a: Vec<String> = ["-hide_banner", "-nostats", "-loglevel", "warning", "-y"].map(String::from).to_vec();
    a.extend(["-re", "-f", "lavfi", "-i"].map(String::from));
    a.push(format!("testsrc2=size={}x{}:rate={FPS}", first.width, first.height));
    if opts.audio {
        a.extend(["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"].map(String::from));
    }
    if let Some(t) = opts.duration {
        a.extend(["-t".into(), seconds(t)]);
    }
    if let Some(off) = opts.output_ts_offset {
        a.extend(["-output_ts_offset".into(), seconds(off)]);
    }
    let n = opts.video.len();
    if n > 0 {
        let mut graph = format!("[0:v]split={n}");
        for i in 0..n {
            graph += &format!("[s{i}]");
        }
        for (i, l) in opts.video.iter().enumerate() {
            graph += &format!(";[s{i}]scale={}:{}[v{i}]", l.width, l.height);
        }
        a.extend(["-filter_complex".into(), graph]);
        for i in 0..n {
            a.extend(["-map".into(), format!("[v{i}]")]);
        }
        a.extend(
            ["-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-bf", "0", "-sc_threshold", "0", "-pix_fmt", "yuv420p"]
                .map(String::from),
        );
        a.extend(["-g".into(), gop.clone(), "-keyint_min".into(), gop]);
        for (i, l) in opts.video.iter().enumerate() {
            a.extend([format!("-b:v:{i}"), format!("{}k", l.kbps), format!("-maxrate:v:{i}"), format!("{}k", l.kbps * 3 / 2)]);
            a.extend([format!("-bufsize:v:{i}"), format!("{}k", l.kbps * 2)]);
        }
    }
    if opts.audio {
        a.extend(["-map", "1:a", "-c:a", "aac", "-b:a", "64k", "-ac", "2"].map(String::from));
    }
    a.extend(["-f", "smoothstreaming", "-window_size"].map(String::from));
    a.push(WINDOW.to_string());
    a.extend(["-extra_window_size", "5", "-lookahead_count"].map(String::from));
    a.push(LOOKAHEAD.to_string());
    a.extend(["-min_frag_duration".into(), FRAGMENT.as_micros().to_string()]);
    a.push(presentation.display().to_string());
    a
}

impl FfmpegLive {
    /// Starts the encoder. Fails when ffmpeg cannot be run (see
    /// [`crate::oracle::require_ffmpeg`]) or the directory cannot be made.
    pub fn start(opts: FfmpegLiveOptions) -> io::Result<FfmpegLive> {
        let (root, owns_root) = match &opts.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                (dir.clone(), false)
            }
            None => (fresh_temp_dir()?, true),
        };
        match Self::spawn(&opts, &root) {
            Ok((child, stdin)) => Ok(FfmpegLive { child, stdin: Some(stdin), root, owns_root, started: Instant::now(), spawned_at: SystemTime::now() }),
            Err(e) => {
                if owns_root {
                    let _ = std::fs::remove_dir_all(&root);
                }
                Err(e)
            }
        }
    }

    fn spawn(opts: &FfmpegLiveOptions, root: &Path) -> io::Result<(Child, ChildStdin)> {
        // (`-y`: on a restart the output path exists, and ffmpeg would ask on stdin.)
        if opts.video.is_empty() && !opts.audio {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no video level and no audio: nothing to encode"));
        }
        let log = OpenOptions::new().create(true).append(true).open(root.join("ffmpeg.log"))?;
        let mut child = Command::new("ffmpeg")
            .args(ffmpeg_args(opts, &root.join(PRESENTATION)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run ffmpeg ({e}): install it (scripts/install-deps.sh)")))?;
        let stdin = child.stdin.take().expect("piped stdin");
        Ok((child, stdin))
    }

    /// Stops the current encode (normally, as [`Self::stop`] does, killing it if that
    /// fails) and starts another into the same directory with `opts` (its `dir` is
    /// ignored), e.g. with an `output_ts_offset` that continues the timeline.
    pub fn restart(&mut self, opts: FfmpegLiveOptions) -> io::Result<()> {
        if self.child.try_wait()?.is_none() && self.stop(Duration::from_secs(10)).is_err() {
            self.kill()?;
        }
        self.spawned_at = SystemTime::now();
        let (child, stdin) = Self::spawn(&opts, &self.root)?;
        self.child = child;
        self.stdin = Some(stdin);
        self.started = Instant::now();
        Ok(())
    }

    /// The directory to serve: it holds `live.ism/` (and `ffmpeg.log`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The presentation directory, `<root>/live.ism`.
    pub fn presentation_dir(&self) -> PathBuf {
        self.root.join(PRESENTATION)
    }

    /// `<root>/live.ism/Manifest`.
    pub fn manifest_path(&self) -> PathBuf {
        self.presentation_dir().join("Manifest")
    }

    /// When the current ffmpeg process was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// What ffmpeg wrote to stderr so far (all runs into this root).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("ffmpeg.log")).unwrap_or_default()
    }

    /// ffmpeg's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once ffmpeg has ended, without waiting.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Reads and parses the manifest as it is now.
    pub fn manifest(&self) -> io::Result<Manifest> {
        let bytes = std::fs::read(self.manifest_path())?;
        Manifest::parse(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", self.manifest_path().display())))
    }

    /// Polls (every 50 ms, blocking) until the current run has written a manifest that
    /// lists at least one chunk; fails after `timeout` or if ffmpeg exits first. A
    /// manifest left by an earlier run into the same directory is not taken (after a
    /// [`Self::restart`] the old one stays until the new run replaces it). Blocks the thread: from a
    /// current-thread tokio runtime that also serves the origin, use
    /// [`Self::wait_for_manifest_async`].
    pub fn wait_for_manifest(&mut self, timeout: Duration) -> io::Result<Manifest> {
        self.wait_for(timeout, has_chunks)
    }

    /// Polls (blocking) until the current run's manifest satisfies `ready`.
    pub fn wait_for(&mut self, timeout: Duration, mut ready: impl FnMut(&Manifest) -> bool) -> io::Result<Manifest> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(m) = self.step(&mut ready, deadline, timeout)? {
                return Ok(m);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// [`Self::wait_for_manifest`] for async callers (sleeps with tokio).
    pub async fn wait_for_manifest_async(&mut self, timeout: Duration) -> io::Result<Manifest> {
        self.wait_for_async(timeout, has_chunks).await
    }

    /// [`Self::wait_for`] for async callers (sleeps with tokio).
    pub async fn wait_for_async(&mut self, timeout: Duration, mut ready: impl FnMut(&Manifest) -> bool) -> io::Result<Manifest> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(m) = self.step(&mut ready, deadline, timeout)? {
                return Ok(m);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One look at the manifest: `Some` when ready, an error once ffmpeg has ended or
    /// the deadline has passed without it.
    fn step(&mut self, ready: &mut impl FnMut(&Manifest) -> bool, deadline: Instant, timeout: Duration) -> io::Result<Option<Manifest>> {
        // Checked before reading, so a manifest written as ffmpeg ended is still seen.
        let ended = self.child.try_wait()?;
        // The manifest is replaced by rename, so a read sees a whole one (or none yet).
        let ours = std::fs::metadata(self.manifest_path()).and_then(|m| m.modified()).is_ok_and(|t| t >= self.spawned_at);
        match self.manifest() {
            Ok(m) if ours && ready(&m) => return Ok(Some(m)),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Some(status) = ended {
            return Err(io::Error::other(format!("ffmpeg ended ({status}) before the manifest was ready; its log:\n{}", self.log())));
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, format!("manifest not ready after {timeout:?}; ffmpeg's log:\n{}", self.log())));
        }
        Ok(None)
    }

    /// Ends the encode normally: writes `q` to ffmpeg's stdin and waits (at most
    /// `timeout`) for it to finish the last fragment and rewrite the manifest as
    /// on-demand. Kills it and fails when it does not end in time.
    pub fn stop(&mut self, timeout: Duration) -> io::Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        if let Some(mut stdin) = self.stdin.take() {
            // A broken pipe means it is ending anyway.
            let _ = stdin.write_all(b"q").and_then(|()| stdin.flush());
        }
        self.wait_exit(timeout)
    }

    /// Waits (at most `timeout`) for ffmpeg to end by itself (the `duration` limit);
    /// kills it and fails when it does not.
    pub fn wait_exit(&mut self, timeout: Duration) -> io::Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                self.kill()?;
                return Err(io::Error::new(io::ErrorKind::TimedOut, format!("ffmpeg still running after {timeout:?}; killed it")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills ffmpeg (SIGKILL: the manifest stays live, as after an encoder crash) and
    /// reaps it.
    pub fn kill(&mut self) -> io::Result<()> {
        self.stdin = None;
        if self.child.try_wait()?.is_none() {
            self.child.kill()?;
        }
        self.child.wait().map(drop)
    }

    /// Serves [`Self::root`] with the loopback origin; the manifest is at
    /// [`Self::manifest_url`]`(&origin)`.
    pub async fn serve(&self) -> Origin {
        Origin::serve(self.root.clone()).await
    }

    /// The manifest URL on an origin serving [`Self::root`].
    pub fn manifest_url(origin: &Origin) -> String {
        format!("{}{PRESENTATION}/Manifest", origin.base)
    }
}

fn has_chunks(m: &Manifest) -> bool {
    m.streams.iter().any(|s| !s.chunks.is_empty())
}

impl Drop for FfmpegLive {
    fn drop(&mut self) {
        let _ = self.kill();
        if self.owns_root {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_options() {
        let opts = FfmpegLiveOptions { duration: Some(Duration::from_millis(12_500)), output_ts_offset: Some(Duration::from_secs(100)), ..Default::default() };
        let args = ffmpeg_args(&opts, Path::new("/x/live.ism")).join(" ");
        assert!(args.contains("-t 12.500000"), "{args}");
        assert!(args.contains("-output_ts_offset 100.000000"), "{args}");
        assert!(args.contains("[0:v]split=2[s0][s1];[s0]scale=480:270[v0];[s1]scale=320:180[v1]"), "{args}");
        assert!(args.contains("-g 50 -keyint_min 50"), "{args}");
        assert!(args.contains("-b:v:1 300k"), "{args}");
        assert!(args.contains("-map 1:a"), "{args}");
        assert!(args.ends_with("-min_frag_duration 2000000 /x/live.ism"), "{args}");
        let silent = ffmpeg_args(&FfmpegLiveOptions { audio: false, video: vec![VideoLevel { width: 320, height: 180, kbps: 300 }], ..Default::default() }, Path::new("o"));
        assert!(!silent.iter().any(|a| a.contains("sine") || a == "1:a"));
    }
}
