//! The `smoothplay` binary in its window, on a virtual X server (Xvfb) with the software
//! Vulkan driver (lavapipe), driven as a user would: its picture read back from the screen,
//! keys typed with xdotool, its sound recorded from a PulseAudio null sink.
//!
//! - `the_window_shows_the_frame_due_letterboxed`: the demo's top level (1280x720) in an
//!   800x600 window, paused after 3 s: the IPC screenshot is the decoded frame due at
//!   `time-pos` (against the CPU conversion of the same frame decoded here), and the screen
//!   shows it scaled to 800x450 at y = 75 between black bars, with the seek bar drawn.
//! - `keys_control_the_player`: SPACE, RIGHT, 9, 0, m, f, q typed into the window change
//!   what the IPC reads back; q ends the process with status 0.
//! - `the_window_plays_the_demo_aloud`: the whole demo through PulseAudio with no rebuffer,
//!   sound in the recording for at least 15 of its 20 s.
//!
//! Needs `Xvfb`, `xdotool`, ImageMagick's `import`, a Vulkan driver (mesa-vulkan-drivers
//! gives lavapipe), and for the sound test `pulseaudio` and `parec`; without them the tests
//! fail with a message, unless SMOOTHPLAY_SKIP_WINDOW_TESTS=1 (then they say they skipped).
//! One X server per test, on a display number free at the time; the tests take turns (one
//! player at a time on a small machine). Every wait polls for the state it needs under a
//! deadline, and every process started here is killed when the test ends, passed or not.

mod common;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::mpv_ipc::{secs, Ipc};
use common::pulse::Pulse;
use serde_json::{json, Value};
use smoothplay_engine::decode::VideoFrame;
use smoothplay_engine::schedule::{LevelPin, ScheduleConfig};
use smoothplay_engine::session::{NullAudioSink, PlayerConfig, Session, SinkError, VideoSink};
use smoothplay_player::video::convert::to_rgb8;

/// The window tests take turns: each runs a player that decodes and renders on the CPU.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn demo() -> PathBuf {
    repo().join("assets/demo.ism")
}

fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// A Vulkan driver is installed (lavapipe on machines without a GPU).
fn have_vulkan_driver() -> bool {
    let dirs = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];
    std::env::var_os("VK_ICD_FILENAMES").is_some()
        || std::env::var_os("VK_DRIVER_FILES").is_some()
        || dirs.iter().any(|d| std::fs::read_dir(d).is_ok_and(|mut r| r.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json")))))
}

/// True when the test can run; false (after saying so) when the tools are missing and
/// SMOOTHPLAY_SKIP_WINDOW_TESTS=1; panics with what to install otherwise.
fn tools_present(test: &str, extra: &[&str]) -> bool {
    let mut missing: Vec<String> = ["Xvfb", "xdotool", "import"].iter().chain(extra).filter(|t| !have(t)).map(|t| t.to_string()).collect();
    if !have_vulkan_driver() {
        missing.push("a Vulkan driver (lavapipe)".into());
    }
    if missing.is_empty() {
        return true;
    }
    if std::env::var("SMOOTHPLAY_SKIP_WINDOW_TESTS").as_deref() == Ok("1") {
        eprintln!("\n!!!!!!!! SKIPPING window test {test}: missing {} (SMOOTHPLAY_SKIP_WINDOW_TESTS=1) !!!!!!!!\n", missing.join(", "));
        return false;
    }
    panic!(
        "window test {test} cannot run: missing {}\n(apt-get install xvfb xdotool imagemagick mesa-vulkan-drivers pulseaudio pulseaudio-utils \
         libasound2-plugins; set SMOOTHPLAY_SKIP_WINDOW_TESTS=1 to skip these tests)",
        missing.join(", ")
    );
}

/// A fresh directory for one test, removed when the test passes.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("smoothplay-window-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }

    /// A 0700 subdirectory (XDG_RUNTIME_DIR must be private).
    fn private(&self, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let d = self.0.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        d
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            eprintln!("window test files kept in {}", self.0.display());
        }
    }
}

/// A child process killed (and reaped) when dropped.
struct Proc {
    name: &'static str,
    child: Child,
}

impl Proc {
    fn spawn(name: &'static str, cmd: &mut Command) -> Proc {
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
        Proc { name, child }
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.exited() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            if std::thread::panicking() {
                eprintln!("killed {} (pid {})", self.name, self.child.id());
            }
        }
    }
}

/// Runs a short command with a time limit (killed past it).
fn run_bounded(cmd: &mut Command, within: Duration) -> Output {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let deadline = Instant::now() + within;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{cmd:?} did not finish within {within:?}; stderr: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An Xvfb server of its own: 1024x768x24, no TCP.
struct Xvfb {
    display: String,
    _proc: Proc,
}

impl Xvfb {
    fn start(dir: &TempDir, salt: u32) -> Xvfb {
        // A display number from the pid, moved on past those in use (lock file or socket).
        let mut n = 100 + (std::process::id() * 7 + salt * 131) % 800;
        for _ in 0..800 {
            let taken = Path::new(&format!("/tmp/.X{n}-lock")).exists() || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists();
            if !taken {
                break;
            }
            n = 100 + (n - 100 + 1) % 800;
        }
        let display = format!(":{n}");
        let log = File::create(dir.0.join("xvfb.log")).unwrap();
        let mut proc = Proc::spawn(
            "Xvfb",
            Command::new("Xvfb").args([display.as_str(), "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset"]).stdout(Stdio::null()).stderr(log),
        );
        // Ready once a client can talk to it.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(s) = proc.exited() {
                panic!("Xvfb {display} exited ({s}): {}", std::fs::read_to_string(dir.0.join("xvfb.log")).unwrap_or_default());
            }
            let ok = Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && run_bounded(Command::new("xdotool").arg("getmouselocation").env("DISPLAY", &display), Duration::from_secs(5)).status.success();
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "Xvfb {display} not answering within 15 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Xvfb { display, _proc: proc }
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = run_bounded(Command::new("xdotool").args(args).env("DISPLAY", &self.display), Duration::from_secs(10));
        assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The whole screen, as RGB8.
    fn grab(&self, path: &Path) -> Image {
        let out = run_bounded(
            Command::new("import").args(["-display", &self.display, "-window", "root"]).arg(format!("PNG24:{}", path.display())),
            Duration::from_secs(20),
        );
        assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
        Image::read_png(path)
    }
}

/// The player in a window on `x`; its stderr goes to `log`.
struct Player {
    proc: Proc,
    log: PathBuf,
}

impl Player {
    fn start(x: &Xvfb, dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Player {
        Player::start_with(x, dir, args, env, &demo())
    }

    /// Plays `input` instead of the demo.
    fn start_with(x: &Xvfb, dir: &TempDir, args: &[&str], env: &[(&str, &str)], input: &Path) -> Player {
        let log = dir.0.join("player.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_smoothplay"));
        cmd.args(args)
            .arg(input)
            .env("DISPLAY", &x.display)
            .env("XDG_RUNTIME_DIR", dir.private("xdg"))
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("PULSE_SERVER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Player { proc: Proc::spawn("smoothplay", &mut cmd), log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fails unless the player is still running (with its log).
    fn assert_running(&mut self, doing: &str) {
        if let Some(s) = self.proc.exited() {
            panic!("the player exited ({s}) while {doing}; its stderr:\n{}", self.log());
        }
    }

    /// The window's id, once it is mapped.
    fn window(&mut self, x: &Xvfb) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.assert_running("waiting for its window");
            let log = self.log();
            assert!(!log.contains("playing headless") && !log.contains("without a window"), "the player could not open its window:\n{log}");
            let out = run_bounded(Command::new("xdotool").args(["search", "--onlyvisible", "--name", "smoothplay"]).env("DISPLAY", &x.display), Duration::from_secs(10));
            if let Some(id) = String::from_utf8_lossy(&out.stdout).lines().next().filter(|l| !l.trim().is_empty()) {
                return id.trim().to_string();
            }
            assert!(Instant::now() < deadline, "no smoothplay window on {} within 30 s; its stderr:\n{log}", x.display);
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Packed RGB8.
#[derive(Clone)]
struct Image {
    w: usize,
    h: usize,
    rgb: Vec<u8>,
}

impl Image {
    fn read_png(path: &Path) -> Image {
        let mut decoder = png::Decoder::new(BufReader::new(File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let px = info.line_size / w;
        let mut rgb = Vec::with_capacity(w * h * 3);
        for row in buf[..info.line_size * h].chunks(info.line_size) {
            for p in row[..w * px].chunks(px) {
                match p.len() {
                    1 | 2 => rgb.extend([p[0]; 3]),
                    _ => rgb.extend(&p[..3]),
                }
            }
        }
        Image { w, h, rgb }
    }

    fn px(&self, x: usize, y: usize) -> [u8; 3] {
        let i = 3 * (y * self.w + x);
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    fn crop(&self, x0: usize, y0: usize, w: usize, h: usize) -> Image {
        assert!(x0 + w <= self.w && y0 + h <= self.h, "crop {w}x{h}+{x0}+{y0} of {}x{}", self.w, self.h);
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in y0..y0 + h {
            rgb.extend(&self.rgb[3 * (y * self.w + x0)..3 * (y * self.w + x0 + w)]);
        }
        Image { w, h, rgb }
    }

    /// Largest channel value in rows `y0..y1`, columns `x0..x1`.
    fn max_in(&self, x0: usize, x1: usize, y0: usize, y1: usize) -> u8 {
        (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).map(|(x, y)| self.px(x, y).into_iter().max().unwrap()).max().unwrap_or(0)
    }

    /// Bilinear resampling, pixel centres mapped onto pixel centres (what a GPU's linear
    /// filter does when it draws a texture into a rectangle).
    fn resize_bilinear(&self, w: usize, h: usize) -> Image {
        let (sx, sy) = (self.w as f64 / w as f64, self.h as f64 / h as f64);
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            let fy = ((y as f64 + 0.5) * sy - 0.5).clamp(0.0, (self.h - 1) as f64);
            let (y0, ty) = (fy.floor() as usize, fy - fy.floor());
            let y1 = (y0 + 1).min(self.h - 1);
            for x in 0..w {
                let fx = ((x as f64 + 0.5) * sx - 0.5).clamp(0.0, (self.w - 1) as f64);
                let (x0, tx) = (fx.floor() as usize, fx - fx.floor());
                let x1 = (x0 + 1).min(self.w - 1);
                let (a, b, c, d) = (self.px(x0, y0), self.px(x1, y0), self.px(x0, y1), self.px(x1, y1));
                for ch in 0..3 {
                    let top = f64::from(a[ch]) * (1.0 - tx) + f64::from(b[ch]) * tx;
                    let bottom = f64::from(c[ch]) * (1.0 - tx) + f64::from(d[ch]) * tx;
                    rgb.push((top * (1.0 - ty) + bottom * ty).round() as u8);
                }
            }
        }
        Image { w, h, rgb }
    }

    fn write_png(&self, path: &Path) {
        let mut e = png::Encoder::new(std::io::BufWriter::new(File::create(path).unwrap()), self.w as u32, self.h as u32);
        e.set_color(png::ColorType::Rgb);
        e.set_depth(png::BitDepth::Eight);
        e.write_header().unwrap().write_image_data(&self.rgb).unwrap();
    }
}

/// PSNR in dB (infinite when identical) and the largest difference.
fn psnr(a: &Image, b: &Image) -> (f64, u8) {
    assert_eq!((a.w, a.h), (b.w, b.h), "sizes differ");
    let mut se = 0.0f64;
    let mut max = 0u8;
    for (&x, &y) in a.rgb.iter().zip(&b.rgb) {
        let d = x.abs_diff(y);
        max = max.max(d);
        se += f64::from(d) * f64::from(d);
    }
    let mse = se / a.rgb.len() as f64;
    (if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }, max)
}

/// Keeps the decoded frames with pts in a window, and every pts.
struct Keep {
    from: Duration,
    to: Duration,
    frames: Vec<VideoFrame>,
    pts: Vec<Duration>,
}

impl VideoSink for Keep {
    fn decoded(&mut self, f: &VideoFrame) -> Result<(), SinkError> {
        let pts = f.pts.to_duration();
        self.pts.push(pts);
        if pts >= self.from && pts <= self.to {
            self.frames.push(f.clone());
        }
        Ok(())
    }
    fn present(&mut self, _: &VideoFrame) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The demo's top level decoded here, as fast as possible, up to `to` (+1 s): the frames
/// in `from..=to` and the pts of all decoded.
fn decode_top_level(from: Duration, to: Duration) -> Keep {
    let config = PlayerConfig {
        untimed: true,
        schedule: ScheduleConfig { video_pin: LevelPin::Max, ..ScheduleConfig::default() },
        play_for: Some(to + Duration::from_secs(1)),
        ..PlayerConfig::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let session = Session::open(&demo().display().to_string(), config).await.expect("open the demo");
        let mut keep = Keep { from, to, frames: Vec::new(), pts: Vec::new() };
        session.play(&mut keep, &mut NullAudioSink, None, &mut |_| {}).await.expect("decode the demo");
        keep
    })
}

fn frame_image(f: &VideoFrame) -> Image {
    Image { w: f.width as usize, h: f.height as usize, rgb: to_rgb8(f) }
}

#[test]
fn the_window_shows_the_frame_due_letterboxed() {
    if !tools_present("picture", &[]) {
        return;
    }
    let _turn = serial();
    let t0 = Instant::now();
    let dir = TempDir::new("picture");
    let x = Xvfb::start(&dir, 1);
    let socket = dir.0.join("mpv.sock");
    let mut player = Player::start(&x, &dir, &["--geometry", "800x600", "--no-audio", "--video-bitrate", "max", "--input-ipc-server", socket.to_str().unwrap(), "-q"], &[]);
    let mut ipc = Ipc::connect(&socket, || player.assert_running("waiting for its IPC socket"));
    let window = player.window(&x);
    let geometry = x.xdotool(&["getwindowgeometry", &window]);
    assert!(geometry.contains("Position: 0,0") && geometry.contains("Geometry: 800x600"), "the window is 800x600 at 0,0 (no window manager): {geometry}");

    ipc.wait_for("time-pos", Duration::from_secs(40), |t| t.as_f64().is_some_and(|t| t > 3.0));
    ipc.ok(json!(["set_property", "pause", true]));
    let time_pos = ipc.settled_time_pos();
    assert_eq!(ipc.get("pause"), Some(json!(true)));
    assert_eq!((ipc.get("width"), ipc.get("height")), (Some(json!(1280)), Some(json!(720))), "the pinned top level is shown");
    let shot = dir.0.join("a.png");
    ipc.ok(json!(["screenshot-to-file", shot.to_str().unwrap()]));
    let a = Image::read_png(&shot);
    assert_eq!((a.w, a.h), (1280, 720), "the screenshot is at the frame's size");

    // The screen: poll until the paused display (the seek bar) is drawn.
    let screen_path = dir.0.join("b.png");
    let deadline = Instant::now() + Duration::from_secs(15);
    let b = loop {
        let b = x.grab(&screen_path).crop(0, 0, 800, 600);
        if b.max_in(16, 784, 570, 590) > 40 {
            break b;
        }
        assert!(Instant::now() < deadline, "no seek bar at the bottom of the paused window within 15 s (see {})", screen_path.display());
        std::thread::sleep(Duration::from_millis(200));
    };
    let played_for = t0.elapsed();
    ipc.ok(json!(["quit"]));
    let status = player.proc.wait_exit(Duration::from_secs(10)).expect("the player quits within 10 s");
    assert!(status.success(), "exit status {status}");

    // The reference: this level decoded here; the frame due is the last one at or before
    // time-pos (pts from the decoder, not assumed from a frame rate).
    let due = Duration::from_secs_f64(time_pos);
    let reference = decode_top_level(due.saturating_sub(Duration::from_millis(200)), due + Duration::from_millis(200));
    let steps: Vec<Duration> = reference.pts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(steps.iter().all(|d| *d == Duration::from_millis(40)), "the demo is 25 fps from 0: {:?}", &reference.pts[..5]);
    let expected = reference.frames.iter().rposition(|f| f.pts.to_duration() <= due).expect("a frame at or before time-pos");
    let expected_pts = reference.frames[expected].pts.to_duration();
    // Which frame the screenshot is: the closest of those around time-pos.
    let scores: Vec<(Duration, f64, u8)> = reference.frames.iter().map(|f| {
        let (p, m) = psnr(&frame_image(f), &a);
        (f.pts.to_duration(), p, m)
    }).collect();
    let best = (0..scores.len()).max_by(|&i, &j| scores[i].1.total_cmp(&scores[j].1)).unwrap();
    eprintln!(
        "picture: paused at time-pos {time_pos:.4} (after {:.1} s); frame due {:.3}; screenshot vs frames around it: {}",
        played_for.as_secs_f64(),
        expected_pts.as_secs_f64(),
        scores.iter().map(|(t, p, m)| format!("{:.2}s {p:.2} dB (max diff {m})", t.as_secs_f64())).collect::<Vec<_>>().join(", ")
    );
    // A frame due less than 10 ms before the pause may not have been presented yet: the
    // pause command can reach the session between the frame's time and its presentation.
    let race = best + 1 == expected && due - expected_pts < Duration::from_millis(10);
    if race {
        eprintln!("picture: the pause came {:?} after frame {:.3} was due, before it was shown: comparing with the one before", due - expected_pts, expected_pts.as_secs_f64());
    }
    let shown = frame_image(&reference.frames[best]);
    let (psnr_a, max_a) = psnr(&a, &shown);

    // The screen: 16:9 in 800x600 is 800x450 at y = 75, black above and below. The OSD
    // draws the time (above the bar) and the seek bar (y 576..584) in the bottom bar while
    // paused: there, only the rows clear of both must be black.
    let top = b.max_in(0, 800, 0, 75);
    let bottom_clear = b.max_in(0, 800, 525, 540).max(b.max_in(0, 800, 590, 600));
    let picture = b.crop(0, 75, 800, 450);
    let scaled = shown.resize_bilinear(800, 450);
    let (psnr_b, max_b) = psnr(&picture, &scaled);
    // The picture's edge rows are picture, not bar.
    let edges = (b.max_in(0, 800, 75, 76), b.max_in(0, 800, 524, 525));
    let osd = b.max_in(16, 784, 576, 584);
    eprintln!(
        "picture: screenshot vs the frame's CPU conversion {psnr_a:.2} dB (max diff {max_a}); screen picture area vs the frame scaled to 800x450: \
         {psnr_b:.2} dB (max diff {max_b}); bars: top max {top}, bottom (clear rows) max {bottom_clear}; seek bar max {osd}; total {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // SMOOTHPLAY_WINDOW_PNG_DIR=dir keeps the pictures there; a failure keeps them in the
    // test's directory.
    let failing = !(best == expected || race) || psnr_a <= 40.0 || psnr_b <= 25.0;
    let keep = std::env::var_os("SMOOTHPLAY_WINDOW_PNG_DIR").map(PathBuf::from).or_else(|| failing.then(|| dir.0.clone()));
    if let Some(d) = keep {
        std::fs::create_dir_all(&d).unwrap();
        if d != dir.0 {
            let _ = std::fs::copy(&shot, d.join("a.png"));
            let _ = std::fs::copy(&screen_path, d.join("b.png"));
        }
        shown.write_png(&d.join("reference.png"));
        scaled.write_png(&d.join("reference-800x450.png"));
    }
    assert!(best == expected || race, "the screenshot is the frame at {:.3}, not the one due at time-pos {time_pos:.4} ({:.3})", scores[best].0.as_secs_f64(), expected_pts.as_secs_f64());
    assert!(psnr_a > 40.0, "screenshot vs the CPU conversion of the frame: {psnr_a:.2} dB (max diff {max_a})");
    assert!(top <= 2, "the top bar (rows 0..75) is black: max {top}");
    assert!(bottom_clear <= 2, "the bottom bar (rows 525..540, 590..600) is black: max {bottom_clear}");
    assert!(edges.0 > 2 && edges.1 > 2, "the picture fills rows 75..525 (first/last row max {edges:?})");
    assert!(psnr_b > 25.0, "the window's picture vs the frame scaled to 800x450: {psnr_b:.2} dB");
    assert!(osd > 40, "the seek bar is drawn while paused (max {osd})");
}

#[test]
fn keys_control_the_player() {
    if !tools_present("keys", &[]) {
        return;
    }
    let _turn = serial();
    let t0 = Instant::now();
    let dir = TempDir::new("keys");
    let x = Xvfb::start(&dir, 2);
    let socket = dir.0.join("mpv.sock");
    let mut player = Player::start(&x, &dir, &["--geometry", "640x360", "--no-audio", "--video-bitrate", "min", "--input-ipc-server", socket.to_str().unwrap(), "-q"], &[]);
    let mut ipc = Ipc::connect(&socket, || player.assert_running("waiting for its IPC socket"));
    let window = player.window(&x);
    // Without a window manager the focus must be given (XTEST keys go to the focus).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let _ = run_bounded(Command::new("xdotool").args(["windowfocus", "--sync", &window]).env("DISPLAY", &x.display), Duration::from_secs(5));
        let focused = run_bounded(Command::new("xdotool").arg("getwindowfocus").env("DISPLAY", &x.display), Duration::from_secs(5));
        if String::from_utf8_lossy(&focused.stdout).trim() == window {
            break;
        }
        assert!(Instant::now() < deadline, "the window {window} never got the keyboard focus");
        std::thread::sleep(Duration::from_millis(100));
    }
    ipc.wait_for("time-pos", Duration::from_secs(30), |t| t.as_f64().is_some_and(|t| t > 0.2));
    let key = |k: &str| {
        x.xdotool(&["key", k]);
    };
    let wait = Duration::from_secs(10);

    // SPACE pauses; RIGHT while paused moves the position by exactly 5 s; SPACE plays on.
    assert_eq!(ipc.get("pause"), Some(json!(false)));
    key("space");
    ipc.wait_for("pause", wait, |v| *v == json!(true));
    let before = ipc.settled_time_pos();
    assert!(before < 12.0, "time-pos {before}: room for a 5 s seek and the rest of the test");
    key("Right");
    let after = secs(&ipc.wait_for("time-pos", wait, |t| t.as_f64().is_some_and(|t| (t - before - 5.0).abs() < 0.05)));
    key("space");
    ipc.wait_for("pause", wait, |v| *v == json!(false));
    let moving = secs(&ipc.wait_for("time-pos", wait, |t| t.as_f64().is_some_and(|t| t > after + 0.1)));

    // 9 and 0: volume -2 / +2 (mpv units, 100 to start); m mute; f fullscreen.
    assert_eq!(ipc.get("volume"), Some(json!(100.0)));
    key("9");
    ipc.wait_for("volume", wait, |v| *v == json!(98.0));
    key("9");
    ipc.wait_for("volume", wait, |v| *v == json!(96.0));
    key("0");
    ipc.wait_for("volume", wait, |v| *v == json!(98.0));
    assert_eq!(ipc.get("mute"), Some(json!(false)));
    key("m");
    ipc.wait_for("mute", wait, |v| *v == json!(true));
    assert_eq!(ipc.get("fullscreen"), Some(json!(false)));
    key("f");
    ipc.wait_for("fullscreen", wait, |v| *v == json!(true));

    // q: the process ends, status 0.
    player.assert_running("before q");
    let q_at = Instant::now();
    key("q");
    let status = player.proc.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("still running 10 s after q; stderr:\n{}", player.log()));
    assert!(status.success(), "exit status after q: {status}; stderr:\n{}", player.log());
    eprintln!(
        "keys: paused at {before:.3}, RIGHT -> {after:.3}, playing again ({moving:.3}); volume 98/96/98, mute, fullscreen; exit 0 {:.2} s after q; total {:.1} s",
        q_at.elapsed().as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn the_window_plays_the_demo_aloud() {
    if !tools_present("sound", &["pulseaudio", "parec"]) {
        return;
    }
    let _turn = serial();
    let t0 = Instant::now();
    let dir = TempDir::new("sound");
    let x = Xvfb::start(&dir, 3);
    let pulse = Pulse::start(&dir.private("pulse-run"), &dir.0);
    let recording = dir.0.join("rec.f32");
    let mut parec = Proc::spawn(
        "parec",
        Command::new("parec")
            .args(["-d", "test_sink.monitor", "--rate=48000", "--channels=2", "--format=float32le", "--latency-msec=20"])
            .env("PULSE_SERVER", &pulse.server)
            .stdout(File::create(&recording).unwrap())
            .stderr(Stdio::null()),
    );
    let stats_path = dir.0.join("stats.json");
    let mut player = Player::start(&x, &dir, &["--geometry", "320x240", "--stats-json", stats_path.to_str().unwrap(), "-q"], &[("PULSE_SERVER", pulse.server.as_str())]);
    let played_at = Instant::now();
    let status = player.proc.wait_exit(Duration::from_secs(45)).unwrap_or_else(|| panic!("the 20 s demo still playing after 45 s; stderr:\n{}", player.log()));
    let wall = played_at.elapsed();
    assert!(status.success(), "exit status {status}; stderr:\n{}", player.log());
    // Let the sink's last period reach the monitor, then stop recording.
    std::thread::sleep(Duration::from_millis(300));
    let _ = parec.child.kill();
    let _ = parec.child.wait();

    let log = player.log();
    assert!(!log.contains("no sound") && !log.contains("playing headless"), "the player played without its window or sound:\n{log}");
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(&stats_path).expect("the stats JSON")).expect("valid stats JSON");
    assert_eq!(stats["ended_by"], "completed", "stats: {stats}");
    assert_eq!(stats["rebuffer"]["count"], 0, "no rebuffering: {}", stats["rebuffer"]);

    // 100 ms windows of the recording (48 kHz stereo float): which have sound.
    let samples: Vec<f32> = std::fs::read(&recording).unwrap().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let win = 2 * 4800;
    let rms: Vec<f64> = samples.chunks(win).map(|w| (w.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / w.len() as f64).sqrt()).collect();
    let loud: Vec<bool> = rms.iter().map(|&r| r > 0.01).collect();
    let audible = loud.iter().filter(|&&l| l).count() as f64 * 0.1;
    let first = loud.iter().position(|&l| l).map(|i| i as f64 * 0.1);
    let last = loud.iter().rposition(|&l| l).map(|i| (i + 1) as f64 * 0.1);
    let longest_quiet = loud.split(|&l| l).skip(1).map(|run| run.len()).max().unwrap_or(0) as f64 * 0.1;
    let peak_rms = rms.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "sound: player ran {:.1} s, video {} frames ({} dropped), recording {:.1} s, sound in {audible:.1} s of it (from {first:?} to {last:?} s, longest quiet stretch inside {longest_quiet:.1} s, peak 100 ms RMS {peak_rms:.3}); total {:.1} s",
        wall.as_secs_f64(),
        stats["video"]["frames_decoded"],
        stats["video"]["frames_dropped"],
        samples.len() as f64 / 96_000.0,
        t0.elapsed().as_secs_f64()
    );
    assert!(audible >= 15.0, "sound in only {audible:.1} s of the recording (100 ms windows with RMS > 0.01)");
}

#[test]
fn a_small_window_does_not_fetch_levels_far_above_its_size() {
    if !tools_present("viewport", &[]) {
        return;
    }
    let _turn = serial();
    let dir = TempDir::new("viewport");
    let x = Xvfb::start(&dir, 3);
    let stats = dir.0.join("stats.json");
    // 320x180: the 426x240 level is within the selector's slack, 640x360 and 1280x720 are
    // far above. Loopback bandwidth would otherwise pick the top level at once.
    let mut player = Player::start(&x, &dir, &["--geometry", "320x180", "--no-audio", "--duration", "6", "--stats-json", stats.to_str().unwrap(), "-q"], &[]);
    player.window(&x);
    let status = player.proc.wait_exit(Duration::from_secs(60)).unwrap_or_else(|| panic!("still running after 60 s; stderr:\n{}", player.log()));
    assert!(status.success(), "exit status {status}; stderr:\n{}", player.log());
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let bitrates: Vec<u64> = json["video"]["fragments"].as_array().unwrap().iter().map(|f| f["bitrate"].as_u64().unwrap()).collect();
    assert!(!bitrates.is_empty());
    assert!(bitrates.iter().all(|b| *b == 250_000), "a 320x180 window fetched larger levels: {bitrates:?}");

    // The same play headless (no viewport) goes up the ladder: the cap is the window's.
    let headless = dir.0.join("headless.json");
    let out = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_smoothplay")).args(["--headless", "--duration", "6", "-q", "--stats-json", headless.to_str().unwrap()]).arg(demo()),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&headless).unwrap()).unwrap();
    let top = json["video"]["fragments"].as_array().unwrap().iter().filter_map(|f| f["bitrate"].as_u64()).max().unwrap();
    assert!(top > 250_000, "headless stayed at the lowest level: the comparison means nothing");
}

#[test]
fn captions_are_drawn_in_their_ttml_region() {
    if !tools_present("captions", &[]) {
        return;
    }
    let _turn = serial();
    let dir = TempDir::new("captions");
    let x = Xvfb::start(&dir, 1);
    let socket = dir.0.join("mpv.sock");
    let multitrack = repo().join("tests/fixtures/media/multitrack.ism");
    let args = ["--geometry", "800x600", "--no-audio", "--text-track", "captions_eng", "--input-ipc-server", socket.to_str().unwrap(), "-q"];
    let mut player = Player::start_with(&x, &dir, &args, &[], &multitrack);
    let mut ipc = Ipc::connect(&socket, || player.assert_running("waiting for its IPC socket"));
    player.window(&x);
    // 16:9 in 800x600: black bars at rows 0..75 and 525..600. The cue at 2.2-3.5 s is in
    // the "bottom" region, the one at 4.5-5.8 s in "top" (origin 10% 5%: row 30, in the
    // top bar). Pause inside each and look at the top bar.
    let mut top_bar_at = |t: f64, name: &str| {
        ipc.ok(json!(["set_property", "pause", false]));
        ipc.wait_for("time-pos", Duration::from_secs(40), |v| v.as_f64().is_some_and(|v| v > t));
        ipc.ok(json!(["set_property", "pause", true]));
        std::thread::sleep(Duration::from_millis(400)); // a redraw
        let shot = x.grab(&dir.0.join(name)).crop(0, 0, 800, 600);
        // Yellow text ("yellow" in the third cue): red and green high, blue low.
        let yellow = (25..75).flat_map(|y| (80..720).map(move |x| (x, y))).filter(|&(x, y)| {
            let p = shot.px(x, y);
            p[0] > 200 && p[1] > 200 && p[2] < 80
        }).count();
        (shot.max_in(80, 720, 25, 75), shot.max_in(0, 800, 0, 20), shot.max_in(0, 80, 25, 75), yellow)
    };
    let (bottom_cue_region, _, _, _) = top_bar_at(2.5, "bottom.png");
    let (top_cue_region, above, beside, yellow) = top_bar_at(4.7, "top.png");
    ipc.ok(json!(["quit"]));
    let status = player.proc.wait_exit(Duration::from_secs(10)).expect("the player quits within 10 s");
    assert!(status.success(), "exit status {status}");
    eprintln!("captions: top bar rows 25..75 max {bottom_cue_region} with the bottom cue, {top_cue_region} with the top cue (rows 0..20 {above}, left of the region {beside})");
    assert!(bottom_cue_region <= 2, "the bottom-region cue leaves the top bar black (max {bottom_cue_region})");
    assert!(top_cue_region > 150, "the top-region cue is drawn in the top bar (max {top_cue_region}; see {})", dir.0.display());
    assert!(above <= 2 && beside <= 2, "inside its region: rows 0..20 max {above}, columns 0..80 max {beside}");
    eprintln!("captions: {yellow} yellow pixels in the top cue");
    assert!(yellow >= 20, "the span tts:color=\"yellow\" is drawn yellow ({yellow} pixels)");
}
