//! The `smoothplay` binary as a user runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The binary, headless whatever the developer's session has (no display: no window).
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_smoothplay"));
    c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    c
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn small() -> String {
    repo().join("tests/fixtures/media/small.ism").display().to_string()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("smoothplay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_clean_failure(o: &Output, needle: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(1), "exit status 1 expected; stderr: {e}");
    assert!(e.contains(needle), "stderr should mention {needle:?}: {e}");
    assert!(!e.contains("panicked"), "no panic: {e}");
}

#[test]
fn help_lists_the_options() {
    let o = bin().arg("--help").output().unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for opt in ["--headless", "--untimed", "--video-bitrate", "--framemd5", "--dump-video", "--stats-json", "--start", "--abr", "--duration", "--live-delay", "--live-idle-timeout", "--origin-fallback"] {
        assert!(out.contains(opt), "--help mentions {opt}");
    }
    // Every algorithm the engine accepts is named in --help (clap may wrap the text).
    let words: Vec<&str> = out.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    for name in smoothplay_engine::heuristics::ALGORITHMS {
        assert!(words.contains(name), "--help names the algorithm {name}");
    }
}

#[test]
fn framemd5_stats_and_y4m_outputs() {
    let md5 = tmp("small.framemd5");
    let stats = tmp("small.json");
    let y4m = tmp("small.y4m");
    let o = bin()
        .args(["--headless", "--untimed", "--quiet", "--video-bitrate", "min", &small()])
        .arg("--framemd5").arg(&md5)
        .arg("--stats-json").arg(&stats)
        .arg("--dump-video").arg(&y4m)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));

    let text = std::fs::read_to_string(&md5).unwrap();
    assert!(text.starts_with("#format: frame checksums\n"));
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 250);
    let fields: Vec<&str> = lines[1].split(',').map(str::trim).collect();
    assert_eq!(fields.len(), 6, "stream, dts, pts, duration, size, hash");
    assert_eq!(fields[4], "86400", "320x180 yuv420p");
    assert_eq!(fields[5].len(), 32);

    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert!(s["startup_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(s["video"]["frames_decoded"], 250);
    assert_eq!(s["video"]["frames_dropped"], 0);
    let frags = s["video"]["fragments"].as_array().unwrap();
    assert_eq!(frags.len(), 5);
    assert!(frags.iter().all(|f| f["bitrate"] == 200_000 && f["bytes"].as_u64().unwrap() > 0 && f["download_ms"].as_f64().is_some()));
    assert_eq!(s["audio"]["samples_decoded"], 470 * 1024);
    assert_eq!(s["rebuffer"]["count"], 0);
    assert!(s["rebuffer"]["total_ms"].as_f64().is_some());
    assert!(s["wall_ms"].as_f64().unwrap() > 0.0);
    assert!(s["cpu_ms"].as_f64().is_some());

    let y = std::fs::read(&y4m).unwrap();
    assert!(y.starts_with(b"YUV4MPEG2 W320 H180"));
    let frames = y.windows(6).filter(|w| w == b"FRAME\n").count();
    assert_eq!(frames, 250);
}

#[test]
fn bad_inputs_fail_cleanly() {
    assert_clean_failure(&bin().args(["--quiet", "/no/such/presentation"]).output().unwrap(), "no such file");
    let dir = tmp("garbage.ism");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Manifest"), b"<html>not a manifest</html>").unwrap();
    assert_clean_failure(&bin().arg("--quiet").arg(&dir).output().unwrap(), "bad manifest");
    assert_clean_failure(&bin().args(["--quiet", "http://127.0.0.1:9/a.ism/Manifest"]).output().unwrap(), "connection");
    assert_clean_failure(&bin().args(["--quiet", "--abr", "magic", &small()]).output().unwrap(), "robustmpc");
    let o = bin().args(["--video-bitrate", "fast", &small()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "usage errors exit 2");
    assert!(stderr(&o).contains("invalid video bitrate"));
}

#[test]
fn plays_the_bundled_demo_without_a_url() {
    let stats = tmp("demo.json");
    let o = bin().args(["--headless", "--untimed", "--quiet", "--stats-json"]).arg(&stats).current_dir(repo()).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert!(s["url"].as_str().unwrap().ends_with("assets/demo.ism"));
    assert!(s["video"]["frames_decoded"].as_u64().unwrap() >= 400, "about 20 s at 25 fps");
}

const KID: &str = "00112233445566778899aabbccddeeff";
const KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";

fn framemd5_of(args: &[&str], input: &str) -> Vec<String> {
    let out = tmp(&format!("{}.md5", input.replace('/', "_")));
    let o = bin().args(["--untimed", "--quiet", "--video-bitrate", "min"]).args(args).arg("--framemd5").arg(&out).arg(input).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(&out).unwrap().lines().filter(|l| !l.starts_with('#')).map(|l| l.rsplit(',').next().unwrap().trim().to_string()).collect()
}

#[test]
fn keys_from_the_command_line_and_a_key_file() {
    let clear = framemd5_of(&[], &small());
    let ctr = repo().join("tests/fixtures/media/small-piff-ctr.ism").display().to_string();
    assert_eq!(framemd5_of(&["--key", &format!("{KID}:{KEY}")], &ctr), clear);
    let file = tmp("keys.txt");
    std::fs::write(&file, format!("# test keys\n{KID}:{KEY}\n")).unwrap();
    let cbc = repo().join("tests/fixtures/media/small-piff-cbc.ism").display().to_string();
    assert_eq!(framemd5_of(&["--key-file", file.to_str().unwrap()], &cbc), clear);

    let o = bin().args(["--quiet", "--untimed", &ctr]).output().unwrap();
    assert_clean_failure(&o, "33221100554477668899aabbccddeeff");
    assert!(stderr(&o).contains(KID) && stderr(&o).contains("--key"), "{}", stderr(&o));
    let o = bin().args(["--quiet", "--untimed", "--key", &format!("{KID}:2b7e151628aed2a6abf7158809cf4f3d"), &ctr]).output().unwrap();
    assert_clean_failure(&o, "wrong key");
}

#[test]
fn clearkey_url_fetches_the_key() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(smoothplay_testkit::clearkey::serve(std::collections::HashMap::from([(
        [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
        [0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c],
    )])));
    let bento = repo().join("tests/fixtures/media/small-bento-cenc.ism").display().to_string();
    assert_eq!(framemd5_of(&["--clearkey-url", &server.url], &bento), framemd5_of(&[], &small()));
    assert_eq!(server.requests.lock().unwrap().len(), 1);
}

/// A live stream as a user plays it: joins behind the edge (`--start -12`), shows LIVE in
/// the status line, stops after `--duration` with exit 0 and writes the live statistics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_with_duration_start_behind_and_live_stats() {
    use smoothplay_testkit::live_origin::{LiveConfig, LiveOrigin};
    let origin = LiveOrigin::demo(LiveConfig::default()).await.unwrap();
    origin.advance(std::time::Duration::from_secs(30));
    let stats = tmp("live.json");
    let url = origin.manifest_url();
    let stats_arg = stats.clone();
    let o = tokio::task::spawn_blocking(move || {
        bin().args(["--headless", "--duration", "4", "--start=-12", &url]).arg("--stats-json").arg(&stats_arg).output().unwrap()
    })
    .await
    .unwrap();
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(e.contains("LIVE -"), "status line shows the distance to the edge: {e}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let live = &json["live"];
    for key in ["edge_distance_ms", "samples", "manifest_refreshes", "tfrf_entries", "unavailable_retries", "discontinuities", "origin_switches", "window_start_ms"] {
        assert!(!live[key].is_null(), "live.{key} in {live}");
    }
    let first = &live["samples"][0];
    let behind = first["edge_ms"].as_f64().unwrap() - first["position_ms"].as_f64().unwrap();
    assert!((behind - 12_000.0).abs() < 2_500.0, "started 12 s behind: {behind}");
    assert_eq!(json["ended_by"], "played_for");
    assert!(json["video"]["frames_decoded"].as_u64().unwrap() >= 90, "{}", json["video"]);
}

/// The fault matrix's exit codes (README, "Fault matrix"; the engine's side is
/// tests/fault_matrix.rs): a manifest that cannot be had exits 1 with one message naming
/// the URL; a fragment that cannot be had is skipped, reported, and the player exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_exit_codes_and_messages() {
    use smoothplay_testkit::origin::{Fault, Origin};
    let root = repo().join("tests/fixtures/media");
    let run = |args: Vec<String>| tokio::task::spawn_blocking(move || bin().args(["--headless", "--untimed", "--quiet"]).args(args).output().unwrap());

    // A 403 on the manifest.
    let o = Origin::serve(root.clone()).await;
    o.fault("Manifest", Fault::Status { status: 403, times: 99 });
    let url = format!("{}small.ism/Manifest", o.base);
    let out = run(vec![url.clone()]).await.unwrap();
    assert_clean_failure(&out, &format!("{url}: HTTP status 403"));

    // A redirect loop.
    o.fault("/a/", Fault::Redirect("/b/small.ism/Manifest".into()));
    o.fault("/b/", Fault::Redirect("/a/small.ism/Manifest".into()));
    let out = run(vec![format!("{}a/small.ism/Manifest", o.base)]).await.unwrap();
    assert_clean_failure(&out, "redirect refused: redirect loop");

    // A self-signed certificate: refused, the URL and the certificate named, with a hint.
    let tls = Origin::serve_tls(root.clone(), &smoothplay_testkit::tls::self_signed()).await;
    let url = format!("{}small.ism/Manifest", tls.base);
    let out = run(vec![url.clone()]).await.unwrap();
    assert_clean_failure(&out, &format!("{url}: TLS handshake failed: invalid peer certificate"));
    assert!(stderr(&out).contains("never skips this check"), "{}", stderr(&out));

    // A fragment answering 500 every time: skipped, reported, exit 0.
    let o = Origin::serve(root).await;
    o.fault("QualityLevels(200000)/Fragments(video=40000000)", Fault::Status { status: 500, times: 99 });
    let stats = tmp("fault-500.json");
    let out = run(vec!["--video-bitrate".into(), "min".into(), "--stats-json".into(), stats.display().to_string(), format!("{}small.ism/Manifest", o.base)]).await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(s["video"]["frames_decoded"], 200, "the other four fragments");
    assert_eq!(s["skipped_fragments"][0]["index"], 2, "{}", s["skipped_fragments"]);
}

fn multitrack() -> String {
    repo().join("tests/fixtures/media/multitrack.ism").display().to_string()
}

/// The binary with the user's locale set to `lang` (`C`: no language).
fn bin_in_locale(lang: &str) -> Command {
    let mut c = bin();
    c.env_remove("LC_ALL").env_remove("LC_MESSAGES").env("LANG", lang);
    c
}

/// The rows of `--list-tracks` as (chosen, kind, name, language, subtype).
fn track_rows(o: &Output) -> Vec<(bool, String, String, String, String)> {
    assert!(o.status.success(), "{}", stderr(o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('('))
        .map(|l| {
            let f: Vec<&str> = l[1..].split_whitespace().collect();
            (l.starts_with('*'), f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

#[test]
fn list_tracks_prints_every_track_and_what_would_play() {
    let o = bin_in_locale("C").args(["--list-tracks", &multitrack()]).output().unwrap();
    let rows = track_rows(&o);
    let row = |c: bool, k: &str, n: &str, l: &str, s: &str| (c, k.to_string(), n.to_string(), l.to_string(), s.to_string());
    assert_eq!(
        rows,
        [
            row(true, "video", "camera1", "-", "-"),
            row(false, "video", "camera2", "-", "-"),
            row(true, "audio", "audio_eng", "eng", "-"),
            row(false, "audio", "audio_fra", "fra", "-"),
            row(false, "text", "captions_eng", "eng", "CAPT"),
            row(false, "text", "subtitles_fra", "fra", "SUBT"),
            row(false, "sparse", "scte35", "-", "SCTE35"),
        ]
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("160x90 H264 60 kbit/s, 320x180 H264 150 kbit/s"), "{out}");
    assert!(out.contains("AACL 48000 Hz 1 ch"), "{out}");
    assert!(out.contains("(follows camera1; data in the manifest)"), "{out}");
    assert!(stderr(&o).is_empty(), "nothing played: {}", stderr(&o));

    // The locale picks the audio; options pick the rest.
    let chosen = |o: &Output| track_rows(o).into_iter().filter(|r| r.0).map(|r| r.2).collect::<Vec<_>>();
    assert_eq!(chosen(&bin_in_locale("fr_CA.UTF-8").args(["--list-tracks", &multitrack()]).output().unwrap()), ["camera1", "audio_fra"]);
    let o = bin_in_locale("fr_CA.UTF-8").args(["--list-tracks", "--video-track", "camera2", "--audio-lang", "eng", "--text-lang", "fr", &multitrack()]).output().unwrap();
    assert_eq!(chosen(&o), ["camera2", "audio_eng", "subtitles_fra"]);
    let o = bin_in_locale("C").args(["--list-tracks", "--audio-track", "audio_fra", "--text-track", "captions_eng", &multitrack()]).output().unwrap();
    assert_eq!(chosen(&o), ["camera1", "audio_fra", "captions_eng"]);

    // Tracks that cannot play are listed with why.
    let msdocs = repo().join("tests/fixtures/peer-manifests/msdocs_live_sparse_scte35.ismc").display().to_string();
    let o = bin().args(["--list-tracks", &msdocs]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(r#"(not playable: unsupported codec FourCC "WVC1""#), "{out}");
}

#[test]
fn a_track_that_does_not_exist_is_a_clear_error_listing_the_tracks() {
    for args in [["--list-tracks", "--audio-lang", "de"], ["--untimed", "--audio-lang", "de"]] {
        let o = bin().arg("--quiet").args(args).arg(multitrack()).output().unwrap();
        assert_clean_failure(&o, r#"no audio track in language "de"; the audio tracks are: "audio_eng" (eng), "audio_fra" (fra)"#);
    }
    let o = bin().args(["--quiet", "--untimed", "--video-track", "camera3", &multitrack()]).output().unwrap();
    assert_clean_failure(&o, r#"no video track named "camera3"; the video tracks are: "camera1", "camera2""#);
    let o = bin().args(["--quiet", "--untimed", "--text-lang", "en", &small()]).output().unwrap();
    assert_clean_failure(&o, "the presentation has no text tracks");
}

/// The Bitrate of the audio track `name` in multitrack.ism's Manifest.
fn audio_bitrate(name: &str) -> u64 {
    let manifest = std::fs::read_to_string(repo().join("tests/fixtures/media/multitrack.ism/Manifest")).unwrap();
    let stream = &manifest[manifest.find(&format!("Name=\"{name}\"")).unwrap()..];
    let bitrate = &stream[stream.find("Bitrate=\"").unwrap() + 9..];
    bitrate[..bitrate.find('"').unwrap()].parse().unwrap()
}

/// Plays `multitrack.ism` headless: the video checksums and the audio fragments' bitrates
/// (audio_eng's and audio_fra's differ) tell which tracks played.
fn play_multitrack(mut c: Command, args: &[&str]) -> (Vec<String>, Vec<u64>, String) {
    let md5 = tmp(&format!("multitrack{}.md5", args.join("_")));
    let stats = tmp(&format!("multitrack{}.json", args.join("_")));
    let o = c.args(["--headless", "--untimed", "--video-bitrate", "max"]).args(args).arg("--framemd5").arg(&md5).arg("--stats-json").arg(&stats).arg(multitrack()).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let frames = std::fs::read_to_string(&md5).unwrap().lines().filter(|l| !l.starts_with('#')).map(|l| l.rsplit(',').next().unwrap().trim().to_string()).collect();
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    let audio = s["audio"]["fragments"].as_array().unwrap().iter().map(|f| f["bitrate"].as_u64().unwrap()).collect();
    (frames, audio, stderr(&o))
}

#[test]
fn plays_the_chosen_angle_and_language() {
    let (cam1, audio, e) = play_multitrack(bin_in_locale("C"), &[]);
    assert_eq!(cam1.len(), 150, "6 s at 25 fps");
    let (eng, fra) = (audio_bitrate("audio_eng"), audio_bitrate("audio_fra"));
    assert_ne!(eng, fra);
    assert_eq!(audio, [eng; 3], "audio_eng");
    assert!(e.contains("tracks: video camera1, audio audio_eng (eng)"), "{e}");
    assert!(!e.contains("error"), "{e}");

    let (frames, audio, _) = play_multitrack(bin_in_locale("fr_FR.UTF-8"), &[]);
    assert!(frames == cam1, "camera1");
    assert_eq!(audio, [fra; 3], "the locale's language: audio_fra");

    let (cam2, audio, e) = play_multitrack(bin_in_locale("fr_FR.UTF-8"), &["--video-track", "camera2", "--audio-lang", "en", "--text-lang", "fr"]);
    assert_eq!(cam2.len(), 150);
    assert!(cam2.iter().zip(&cam1).all(|(a, b)| a != b), "camera2 shows other pictures");
    assert_eq!(audio, [eng; 3]);
    assert!(e.contains("tracks: video camera2, audio audio_eng (eng), text subtitles_fra (fra) (--list-tracks lists them)"), "{e}");
}

#[test]
fn help_lists_the_track_options() {
    let o = bin().arg("--help").output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    for opt in ["--list-tracks", "--video-track", "--audio-track", "--audio-lang", "--text-track", "--text-lang", "--captions-out"] {
        assert!(out.contains(opt), "--help mentions {opt}");
    }
}

/// `--captions-out` (by extension) and `--events-log` on multitrack with its English captions.
#[test]
fn captions_out_and_events_log() {
    let (srt, log) = (tmp("captions.srt"), tmp("events.jsonl"));
    let o = bin()
        .args(["--headless", "-q", "--text-track", "captions_eng", "--captions-out"])
        .arg(&srt)
        .arg("--events-log")
        .arg(&log)
        .arg(multitrack())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&srt).unwrap();
    eprintln!("{text}");
    // The fixture's style is white text: the writer keeps the colours as <font> tags.
    for part in ["1\n00:00:00,500 --> 00:00:01,800\n", "Hello from camera one.", "2\n00:00:02,200 --> 00:00:03,500\n", "Two lines:\nthe second line", "3\n00:00:04,500 --> 00:00:05,800\n"] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    assert!(!text.contains("\n4\n"), "three cues: {text}");
    assert!(text.contains("<i>Italic</i>") && text.contains("yellow"), "{text}");

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    eprintln!("{kinds:?}");
    assert_eq!((kinds.first(), kinds.last()), (Some(&"start"), Some(&"end")));
    for k in ["first_frame", "cue", "marker"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(lines.iter().all(|l| l["wall_ms"].is_number() && l["pos_s"].is_number()));
    let cues: Vec<(f64, &str)> = lines.iter().filter(|l| l["kind"] == "cue").map(|l| (l["start_s"].as_f64().unwrap(), l["text"].as_str().unwrap())).collect();
    assert_eq!(cues, [(0.5, "Hello from camera one."), (2.2, "Two lines:\nthe second line"), (4.5, "Italic and yellow")]);
    let markers: Vec<(f64, &serde_json::Value)> = lines.iter().filter(|l| l["kind"] == "marker").map(|l| (l["time_s"].as_f64().unwrap(), &l["decoded"])).collect();
    assert_eq!(markers.iter().map(|m| m.0).collect::<Vec<_>>(), [2.0, 4.0, 5.0]);
    assert_eq!((markers[0].1["out_of_network"].as_bool(), markers[0].1["break_duration_s"].as_f64()), (Some(true), Some(2.0)));
    assert_eq!(markers[2].1["splice_time_s"].as_f64(), Some(5.0));
    // From the lowest level up to the top once the first downloads are measured: the
    // selector's forecast says so.
    let switches: Vec<(u64, &str)> = lines.iter().filter(|l| l["kind"] == "level_switch").map(|l| (l["to"].as_u64().unwrap(), l["reason"].as_str().unwrap_or("null"))).collect();
    assert_eq!(switches, [(150_000, "throughput")], "{lines:?}");
    let end = lines.last().unwrap();
    assert_eq!((end["ended_by"].as_str(), end["frames_decoded"].as_u64(), end["rebuffer_count"].as_u64()), (Some("completed"), Some(150), Some(0)));

    // WebVTT, untimed; a name that is neither .srt nor .vtt is refused before playing.
    let vtt = tmp("captions.vtt");
    let o = bin().args(["--headless", "-q", "--untimed", "--text-lang", "fr", "--captions-out"]).arg(&vtt).arg(multitrack()).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&vtt).unwrap();
    assert!(text.starts_with("WEBVTT\n\n1\n00:00:00.500 --> 00:00:01.800"), "{text}");
    assert!(text.contains("Bonjour de la caméra un.") && text.contains("Deux lignes :\nla deuxième ligne") && text.contains("Fin."), "{text}");
    let o = bin().args(["--headless", "-q", "--untimed", "--captions-out", "x.txt"]).arg(multitrack()).output().unwrap();
    assert_clean_failure(&o, ".srt or .vtt");
}
