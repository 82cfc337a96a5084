//! The `smoothplay` binary driven over `--input-ipc-server` as an mpv client would: the
//! bundled demo (20 s, 2 s fragments) played in real time, headless.
//!
//! Every wait is bounded by a deadline and polls for the state it needs, so slow
//! machines take longer but do not fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::mpv_ipc::{secs, Ipc};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("smoothplay-ipc-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The player process; killed if the test fails before it exits.
struct Player(Child);

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Player {
    fn start(socket: &Path) -> Player {
        Player::start_on(socket, &repo().join("assets/demo.ism"))
    }

    fn start_on(socket: &Path, input: &Path) -> Player {
        let child = Command::new(env!("CARGO_BIN_EXE_smoothplay"))
            .env_remove("DISPLAY")
            .env("LC_ALL", "C")
            .env_remove("WAYLAND_DISPLAY")
            .args(["--headless", "--quiet", "--video-bitrate", "min"])
            .arg("--input-ipc-server")
            .arg(socket)
            .arg(input)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Player(child)
    }

    /// Panics once the player has exited.
    fn alive(&mut self) {
        if let Some(status) = self.0.try_wait().unwrap() {
            panic!("the player exited ({status}) before its IPC socket could be reached");
        }
    }

    fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()))
}

#[test]
fn an_mpv_client_controls_the_demo() {
    let dir = tmp_dir("control");
    let socket = dir.join("mpv.sock");
    let mut player = Player::start(&socket);
    let mut ipc = Ipc::connect(&socket, || player.alive());

    // Duration once the session runs: the demo's 20.01 s.
    let duration = secs(&ipc.wait_for("duration", Duration::from_secs(30), Value::is_number));
    assert!((duration - 20.01).abs() < 0.05, "duration {duration}");

    // Observed time-pos changes arrive as events while playing.
    ipc.ok(json!(["observe_property", 7, "time-pos"]));
    let first = ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "property-change" && e["id"] == 7 && e["data"].is_number());
    assert_eq!(first["name"], "time-pos");
    let later = ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "property-change" && e["id"] == 7 && e["data"].is_number() && e["data"] != first["data"]);
    assert!(secs(&later["data"]) > secs(&first["data"]), "{first} then {later}");
    ipc.ok(json!(["unobserve_property", 7]));

    // A screenshot has the picture's size: the lowest level, 426x240.
    let shot = dir.join("shot.png");
    ipc.ok(json!(["screenshot-to-file", shot.to_str().unwrap()]));
    let (w, h) = (ipc.get("width").unwrap(), ipc.get("height").unwrap());
    assert_eq!(png_size(&shot), (w.as_u64().unwrap() as u32, h.as_u64().unwrap() as u32));
    assert_eq!(png_size(&shot), (426, 240));

    // Pause: reads back at once, and time-pos stops advancing.
    ipc.ok(json!(["set_property", "pause", true]));
    assert_eq!(ipc.get("pause"), Some(json!(true)));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let a = ipc.get("time-pos").unwrap();
        std::thread::sleep(Duration::from_millis(600));
        let b = ipc.get("time-pos").unwrap();
        if a == b {
            break;
        }
        assert!(Instant::now() < deadline, "time-pos still advancing while paused: {a} then {b}");
    }
    assert_eq!(ipc.get("pause"), Some(json!(true)));

    // Seek while paused: the position moves, `seek` then `playback-restart` are sent.
    ipc.ok(json!(["seek", 10, "absolute"]));
    ipc.wait_for("time-pos", Duration::from_secs(10), |t| (secs(t) - 10.0).abs() < 0.3);
    ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "seek");
    ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "playback-restart");
    ipc.ok(json!(["set_property", "pause", false]));
    ipc.wait_for("time-pos", Duration::from_secs(15), |t| secs(t) > 10.5);
    assert_eq!(ipc.get("pause"), Some(json!(false)));

    // Player-level properties.
    ipc.ok(json!(["set_property", "volume", 50]));
    assert_eq!(ipc.get("volume"), Some(json!(50.0)));
    ipc.ok(json!(["add", "volume", 200]));
    assert_eq!(ipc.get("volume"), Some(json!(130.0)), "clamped to volume-max");
    ipc.ok(json!(["cycle", "mute"]));
    assert_eq!(ipc.get("mute"), Some(json!(true)));
    ipc.ok(json!(["set_property", "speed", 1.5]));
    assert_eq!(ipc.get("speed"), Some(json!(1.5)));
    for p in ["video-bitrate", "frame-drop-count", "drop-frame-count", "demuxer-cache-duration", "paused-for-cache"] {
        assert!(ipc.get(p).is_some(), "{p} has a value");
    }
    ipc.wait_for("estimated-display-fps", Duration::from_secs(10), |f| secs(f) > 1.0);

    // Errors answer, and the connection stays usable.
    let r = ipc.request(json!(["frobnicate", 1]));
    assert_eq!(r["error"], "invalid parameter", "{r}");
    let r = ipc.reply_to_raw(r#"{"command": ["get_property", "speed"], "request_id": 3"#);
    assert_eq!(r["error"], "invalid parameter", "malformed JSON: {r}");
    let r = ipc.request(json!(["get_property", "no-such-property"]));
    assert_eq!(r["error"], "property not found", "{r}");
    assert_eq!(ipc.get("speed"), Some(json!(1.5)));

    // A second client at the same time.
    let mut other = Ipc::connect(&socket, || player.alive());
    let names = (ipc.request(json!(["client_name"]))["data"].clone(), other.request(json!(["client_name"]))["data"].clone());
    assert_ne!(names.0, names.1);
    assert_eq!(other.get("mute"), Some(json!(true)));

    // Quit: the reply comes first, then end-file and shutdown, then the process exits 0.
    assert_eq!(ipc.request(json!(["quit"]))["error"], "success");
    let end = ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "end-file");
    assert_eq!(end["reason"], "quit");
    ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "shutdown");
    other.wait_event(Duration::from_secs(10), |e| e["event"] == "shutdown");
    let status = player.wait_exit(Duration::from_secs(5)).expect("the player exits within 5 s of quit");
    assert!(status.success(), "{status}");
    assert!(!socket.exists(), "the socket is removed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_commands_work_like_mpvs() {
    let dir = tmp_dir("text");
    let socket = dir.join("mpv.sock");
    let mut player = Player::start(&socket);
    let mut ipc = Ipc::connect(&socket, || player.alive());
    ipc.wait_for("duration", Duration::from_secs(30), Value::is_number);
    // Comments, empty lines and text commands get no reply; the next JSON one does.
    ipc.send_raw("# a comment");
    ipc.send_raw("");
    ipc.send_raw("set pause yes");
    ipc.send_raw("no-osd seek 5 absolute");
    assert_eq!(ipc.get("pause"), Some(json!(true)));
    ipc.wait_for("time-pos", Duration::from_secs(10), |t| (secs(t) - 5.0).abs() < 0.3);
    ipc.send_raw("quit");
    ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "shutdown");
    let status = player.wait_exit(Duration::from_secs(5)).expect("the player exits");
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tracks_switch_through_aid_vid_and_cycle() {
    let dir = tmp_dir("tracks");
    let socket = dir.join("mpv.sock");
    let mut player = Player::start_on(&socket, &repo().join("tests/fixtures/media/multitrack.ism"));
    let mut ipc = Ipc::connect(&socket, || player.alive());
    ipc.send_raw("set pause yes");
    ipc.wait_for("vid", Duration::from_secs(30), |v| v == "camera1");
    assert_eq!(ipc.get("aid"), Some(json!("audio_eng")));
    ipc.send_raw("set aid fr");
    ipc.wait_for("aid", Duration::from_secs(10), |v| v == "audio_fra");
    ipc.send_raw("cycle video");
    ipc.wait_for("vid", Duration::from_secs(10), |v| v == "camera2");
    ipc.ok(json!(["set_property", "aid", "audio_eng"]));
    ipc.wait_for("aid", Duration::from_secs(10), |v| v == "audio_eng");
    ipc.send_raw("quit");
    ipc.wait_event(Duration::from_secs(10), |e| e["event"] == "shutdown");
    assert!(player.wait_exit(Duration::from_secs(5)).expect("the player exits").success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn list_keys_prints_the_bindings() {
    let o = Command::new(env!("CARGO_BIN_EXE_smoothplay")).arg("--list-keys").output().unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for (key, command) in [("SPACE", "cycle pause"), ("RIGHT", "seek 5"), ("UP", "seek 60"), ("]", "multiply speed 1.1"), ("0", "add volume 2"), ("#", "cycle audio"), ("_", "cycle video"), ("q", "quit")] {
        assert!(out.lines().any(|l| l.split_whitespace().next() == Some(key) && l.contains(command)), "{key} -> {command} in:\n{out}");
    }
}

#[test]
fn a_regular_file_is_not_replaced_by_the_socket() {
    let dir = tmp_dir("file");
    let path = dir.join("not-a-socket");
    std::fs::write(&path, "keep me").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_smoothplay"))
        .args(["--headless", "--quiet"])
        .arg("--input-ipc-server")
        .arg(&path)
        .arg(repo().join("tests/fixtures/media/small.ism"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--input-ipc-server"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    let _ = std::fs::remove_dir_all(&dir);
}
