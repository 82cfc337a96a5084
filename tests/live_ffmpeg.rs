//! Live playback against the real origin: ffmpeg's `smoothstreaming` muxer encoding in
//! real time (`-re`, small pictures, x264 without B-frames) into a temporary directory
//! that testkit's loopback origin serves (see testkit/src/ffmpeg_live.rs for what ffmpeg
//! 5.1 writes). Each test joins the stream, follows it for about 20 s of media and checks
//! that there was no stall, that the playhead stayed within the target distance of the
//! live edge, and that every frame the player decoded is bit-identical to ffmpeg's own
//! decode of the same access units.
//!
//! Each test takes about 30 s of wall time (ffmpeg lists the first chunks about 6 s
//! after it starts, then 20 s of playback at real time). They run one at a time, so two
//! encoders and two players do not share the CPU with each other as well as with
//! whatever else the machine runs.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use smoothplay::engine::decode::{annexb, CodecKind};
use smoothplay::engine::fmp4::Fragment;
use smoothplay::engine::manifest::StreamKind;
use smoothplay::engine::session::{FragmentHook, LevelConfig, LiveConfig, LiveStats, PlayerConfig, PlayerEvent, Session};
use smoothplay::engine::time::MediaTime;
use smoothplay_testkit::ffmpeg_live::{FfmpegLive, FfmpegLiveOptions, VideoLevel, FPS, FRAGMENT};
use smoothplay_testkit::oracle;
use smoothplay_testkit::sinks::{RecordingAudio, RecordingVideo};

/// Media followed per test.
const PLAY_FOR: Duration = Duration::from_secs(20);
/// Encoder run time: about 6 s until the first chunks are listed, the join, 20 s of
/// playback; generous, as ffmpeg is killed when the test ends anyway. Over 34 s also
/// keeps ffmpeg 5.1's `<c n d>` quirk of short runs away.
const ENCODE_FOR: Duration = Duration::from_secs(90);
/// Waiting for the first chunks (about 6 s on an idle machine).
const FIRST_CHUNKS: Duration = Duration::from_secs(30);
/// Bound on one playback (20 s of media plus the join).
const PLAYBACK_LIMIT: Duration = Duration::from_secs(60);
/// Smooth Streaming's default timescale (ffmpeg writes it).
const TIMESCALE: u64 = 10_000_000;
const FRAGMENT_MS: f64 = 2000.0;
/// Status events (position, distance to the edge) this often: a dense record of the
/// distance next to the engine's once-a-second samples.
const STATUS_INTERVAL: Duration = Duration::from_millis(100);

/// One test at a time (see the module docs).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A video fragment as the player's decode worker received it (after parsing).
struct Captured {
    bitrate: u64,
    /// (presentation time in ticks, access unit), in decode order.
    samples: Vec<(u64, Bytes)>,
}

/// What one live playback produced.
struct Played {
    played: common::Played,
    captured: Vec<Captured>,
    /// Per video bitrate, the manifest's CodecPrivateData (Annex-B SPS/PPS) and
    /// NALUnitLengthField: the reference streams are built from the manifest, not from
    /// what the engine made of it.
    levels: std::collections::HashMap<u64, (Vec<u8>, u8)>,
}

/// Two levels: the default selector switches up after its first download on loopback,
/// so the comparison with ffmpeg crosses a level switch.
fn two_levels() -> Vec<VideoLevel> {
    vec![VideoLevel { width: 320, height: 180, kbps: 400 }, VideoLevel { width: 192, height: 108, kbps: 150 }]
}

fn one_level() -> Vec<VideoLevel> {
    vec![VideoLevel { width: 320, height: 180, kbps: 300 }]
}

/// Starts ffmpeg, waits for the first chunks, serves the directory and plays it live
/// with recording sinks and a hook that keeps every video fragment's samples.
async fn play_live(video: Vec<VideoLevel>, live: LiveConfig) -> (FfmpegLive, Played) {
    oracle::require_ffmpeg();
    let opts = FfmpegLiveOptions { duration: Some(ENCODE_FOR), video, audio: true, ..FfmpegLiveOptions::default() };
    let mut encoder = FfmpegLive::start(opts).unwrap_or_else(|e| panic!("starting ffmpeg: {e}"));
    let listed = encoder.wait_for_manifest_async(FIRST_CHUNKS).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(listed.is_live, "IsLive while encoding");
    eprintln!("first chunks listed {:.1} s after ffmpeg started", encoder.started().elapsed().as_secs_f64());
    let origin = encoder.serve().await;
    let url = FfmpegLive::manifest_url(&origin);

    let config = PlayerConfig { play_for: Some(PLAY_FOR), live, status_interval: STATUS_INTERVAL, ..PlayerConfig::default() };
    let mut session = Session::open(&url, config).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    assert!(session.manifest().is_live);
    let levels = session
        .manifest()
        .streams_of(StreamKind::Video)
        .flat_map(|s| &s.levels)
        .map(|l| (l.bitrate, (l.codec_private_data.clone(), l.nal_unit_length_field)))
        .collect();
    let captured = Arc::new(Mutex::new(Vec::new()));
    let sink = captured.clone();
    let hook: FragmentHook = Arc::new(move |f: &mut Fragment, level: &LevelConfig| {
        if level.codec == CodecKind::H264 {
            // tfxd carries the time (ffmpeg writes it): no manifest time is needed.
            let base = f.base_decode_time(0);
            let samples = f.samples.iter().map(|s| (s.presentation_time(base), s.data.clone())).collect();
            sink.lock().unwrap().push(Captured { bitrate: level.bitrate, samples });
        }
        Ok(())
    });
    session.set_fragment_hook(hook);

    let mut video = RecordingVideo::default();
    let mut audio = RecordingAudio::default();
    let mut events = Vec::new();
    let stats = tokio::time::timeout(PLAYBACK_LIMIT, session.play(&mut video, &mut audio, None, &mut |e| events.push(e)))
        .await
        .unwrap_or_else(|_| panic!("live playback did not end within {PLAYBACK_LIMIT:?}; ffmpeg's log:\n{}", encoder.log()))
        .unwrap_or_else(|e| panic!("live playback failed: {e}; ffmpeg's log:\n{}", encoder.log()));
    assert!(encoder.try_wait().unwrap().is_none(), "ffmpeg still encoding when playback ended; its log:\n{}", encoder.log());
    drop(origin);
    let captured = std::mem::take(&mut *captured.lock().unwrap());
    (encoder, Played { played: common::Played { stats, video, audio, events }, captured, levels })
}

fn live(p: &Played) -> &LiveStats {
    p.played.stats.live.as_ref().expect("live stats")
}

/// Limits on the distance to the live edge, in ms.
struct Bounds {
    /// The follower's target (the mean it holds).
    target_ms: f64,
    /// Largest mean distance allowed.
    max_mean_ms: f64,
    /// Largest 95th percentile allowed (the sawtooth peaks at target + F/2).
    max_p95_ms: f64,
}

/// Prints the figures (for the README) and checks what every live run must show.
///
/// The distance is checked twice: on the engine's own summary
/// (`LiveStats::edge_distance_ms`, measured every 100 ms) and on an independent dense
/// record taken here from the Status events (every 100 ms); the two must agree. (A
/// summary sampled once a second would alias with the edge's 2 s steps.)
fn report_and_check_following(name: &str, p: &Played, bounds: Bounds) {
    let s = &p.played.stats;
    let l = live(p);
    let d = &l.edge_distance_ms;
    let dense = dense_distances_ms(p);
    let (dense_mean, dense_p50, dense_p95, dense_max) = summary(&dense);
    let sampled: Vec<i64> = l.samples.iter().map(|x| (x.edge_ms - x.position_ms).round() as i64).collect();
    let fragments: Vec<(u64, u64, f64)> = s.video.fragments.iter().map(|f| (f.bitrate / 1000, f.bytes, (f.download_ms * 10.0).round() / 10.0)).collect();
    eprintln!(
        "{name}: distance to the edge (ms) every {STATUS_INTERVAL:?} ({} values): mean {dense_mean}, p50 {dense_p50}, p95 {dense_p95}, max {dense_max}; \
         engine's summary: mean {:.0}, p50 {:.0}, p95 {:.0}, max {:.0}; stalls {} ({:.0} ms); skipped {}; manifest refreshes {}; unavailable retries {}; \
         tfrf entries {}; frames decoded {} presented {} dropped {}; startup {:.0} ms; switches {}",
        dense.len(),
        d.mean,
        d.p50,
        d.p95,
        d.max,
        s.rebuffer.count,
        s.rebuffer.total_ms,
        s.skipped_fragments.len(),
        l.manifest_refreshes,
        l.unavailable_retries,
        l.tfrf_entries,
        s.video.frames_decoded,
        s.video.frames_presented,
        s.video.frames_dropped,
        s.startup_ms.unwrap_or(f64::NAN),
        s.video.switches,
    );
    eprintln!("{name}: the engine's 1 Hz samples of the distance (ms): {sampled:?}");
    eprintln!("{name}: video fragments (kbit/s, bytes, download ms): {fragments:?}");
    let notable: Vec<&PlayerEvent> = p.played.events.iter().filter(|e| !matches!(e, PlayerEvent::Status(_))).collect();
    eprintln!("{name}: events {notable:?}");

    assert_eq!(s.ended_by, smoothplay::engine::session::EndReason::PlayedFor, "played the whole {PLAY_FOR:?}");
    assert_eq!(s.rebuffer.count, 0, "no stall: {:?}", s.rebuffer);
    assert!(s.skipped_fragments.is_empty(), "no skipped fragment: {:?}", s.skipped_fragments);
    assert_eq!(l.discontinuities, 0, "ffmpeg's timeline has no holes");
    // One a second over about 20 s of following.
    assert!(l.samples.len() >= 15, "{} edge-distance samples", l.samples.len());
    for x in &l.samples {
        assert!(x.edge_ms >= x.position_ms, "{x:?}: never ahead of the edge");
    }
    assert!(dense.len() >= 150, "{} Status events while playing", dense.len());
    let mean = dense_mean as f64;
    assert!(mean <= bounds.max_mean_ms, "mean distance to the edge {mean} ms over {} ms (dense {:?}, engine's {d:?})", bounds.max_mean_ms, summary(&dense));
    assert!((mean - bounds.target_ms).abs() <= 500.0, "mean distance {mean} ms not held at the target {} ms", bounds.target_ms);
    assert!(d.mean <= bounds.max_mean_ms, "engine's mean distance {:.0} ms over {} ms: {d:?}", d.mean, bounds.max_mean_ms);
    assert!((d.mean - mean).abs() <= 150.0, "engine's mean {:.0} ms and the dense record's {mean} ms agree", d.mean);
    assert!(d.p95 <= bounds.max_p95_ms && dense_p95 as f64 <= bounds.max_p95_ms, "p95 distance over {} ms: engine's {d:?}, dense {:?}", bounds.max_p95_ms, summary(&dense));
    // 20 s of media at 25 fps: 500 frames, plus what was decoded ahead when it stopped
    // (at most `decoded_frames_ahead`, 16, and the one in hand).
    let expected = PLAY_FOR.as_secs() * u64::from(FPS);
    let decoded = s.video.frames_decoded;
    assert!(decoded >= expected && decoded <= expected + 20, "{decoded} frames decoded for {PLAY_FOR:?} at {FPS} fps");
    assert_eq!(decoded as usize, p.played.video.frames.lock().unwrap().len(), "the sink saw every decoded frame");
    assert!(s.video.frames_presented >= expected - 2, "{} frames presented", s.video.frames_presented);
    assert!(s.audio.samples_decoded > 0, "audio played too");
}

/// The distance to the edge of every Status event after playback started.
fn dense_distances_ms(p: &Played) -> Vec<f64> {
    let events = &p.played.events;
    let playing = events.iter().position(|e| matches!(e, PlayerEvent::Playing)).unwrap_or(events.len());
    events[playing..]
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::Status(s) => s.live_edge_distance.map(|d| d.as_secs_f64() * 1000.0),
            _ => None,
        })
        .collect()
}

/// (mean, p50, p95, max), rounded to ms.
fn summary(values: &[f64]) -> (i64, i64, i64, i64) {
    if values.is_empty() {
        return (0, 0, 0, 0);
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pct = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)].round() as i64;
    ((v.iter().sum::<f64>() / v.len() as f64).round() as i64, pct(0.5), pct(0.95), pct(1.0))
}

/// Checks the player's decoded frames against ffmpeg's decode of the same access units.
///
/// Alignment: the hook sees every video fragment the decode worker got, in order, from
/// the one holding the join position on (every fragment starts with an IDR, so decoding
/// starts there). The player decodes that fragment from its IDR but hands the sink only
/// the frames at or after the join position (the others were decoded only to reach it),
/// and it stops with frames decoded but not yet taken by playout (the worker runs a
/// little ahead). So the sink's frames are one contiguous run of the captured access
/// units: the run starts at the captured sample whose presentation time equals the
/// first recorded frame's pts (inside the first captured fragment) and is as long as
/// the recording. ffmpeg decodes all captured access units (from the IDR, as the player
/// did), one Annex-B stream per run of fragments at the same level (every fragment
/// starts with an IDR; the level's SPS/PPS from the manifest's CodecPrivateData go
/// first, as the engine configures its decoder with them at a switch), and its framemd5 list, matched one to one with the captured
/// samples (no B-frames: decode order is presentation order, one frame per access
/// unit), is sliced to that run and compared frame by frame, md5 and pts.
fn check_bit_exact(name: &str, p: &Played, work: &std::path::Path) {
    assert!(!p.captured.is_empty(), "the hook saw video fragments");
    let mut reference: Vec<(u64, u64, String)> = Vec::new(); // (pts ticks, bitrate, md5)
    let mut runs = Vec::new();
    let mut run_start = 0;
    while run_start < p.captured.len() {
        let first = &p.captured[run_start];
        let run_end = run_start + p.captured[run_start..].iter().take_while(|c| c.bitrate == first.bitrate).count();
        let (codec_private, nal_length_size) = p.levels.get(&first.bitrate).expect("a manifest level with that bitrate");
        let mut es = annexb::codec_private_to_annexb(codec_private).expect("the level's SPS/PPS");
        let mut times = Vec::new();
        for c in &p.captured[run_start..run_end] {
            for (pts, data) in &c.samples {
                annexb::append_sample_as_annexb(data, *nal_length_size, &mut es).expect("Annex-B");
                times.push(*pts);
            }
        }
        let path = work.join(format!("{name}-run{run_start}-{}.h264", first.bitrate));
        std::fs::write(&path, &es).unwrap();
        let md5s = oracle::ffmpeg_h264_framemd5(&path);
        assert_eq!(md5s.len(), times.len(), "ffmpeg decoded one frame per access unit ({})", path.display());
        runs.push(format!("{} x {} kbit/s", run_end - run_start, first.bitrate / 1000));
        reference.extend(times.into_iter().zip(md5s).map(|(t, m)| (t, first.bitrate, m)));
        run_start = run_end;
    }

    let frames = p.played.video.frames.lock().unwrap();
    let first_pts = frames.first().expect("decoded frames").pts;
    let pts_of = |ticks: u64| MediaTime::new(ticks, TIMESCALE).to_duration();
    let offset = reference.iter().position(|(t, _, _)| pts_of(*t) == first_pts).unwrap_or_else(|| panic!("first frame's pts {first_pts:?} is not a captured sample's"));
    let per_fragment = p.captured[0].samples.len();
    eprintln!(
        "{name}: {} captured access units in {} fragments ({}); the first {offset} (of the join fragment's {per_fragment}) were decoded only to reach the join position; \
         comparing the {} recorded frames with ffmpeg's frames {offset}..{}",
        reference.len(),
        p.captured.len(),
        runs.join(", then "),
        frames.len(),
        offset + frames.len()
    );
    assert!(offset < per_fragment, "the first recorded frame is in the first captured fragment (the join): offset {offset}");
    assert!(offset + frames.len() <= reference.len(), "every recorded frame was captured: {} + {} > {}", offset, frames.len(), reference.len());
    let mut differing = Vec::new();
    for (i, (frame, (ticks, bitrate, md5))) in frames.iter().zip(&reference[offset..]).enumerate() {
        assert_eq!(frame.pts, pts_of(*ticks), "recorded frame {i}: pts against the captured access units (a gap or a repeat)");
        if frame.md5 != *md5 {
            differing.push((i, frame.pts, *bitrate));
        }
    }
    assert!(differing.is_empty(), "{} of {} frames differ from ffmpeg's decode: {:?}", differing.len(), frames.len(), &differing[..differing.len().min(10)]);
}

fn work_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smoothplay-live-ffmpeg-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_ffmpeg_live_at_the_default_delay_bit_exact() {
    let _one_at_a_time = SERIAL.lock().await;
    let (_encoder, p) = play_live(two_levels(), LiveConfig::default()).await;
    let name = "default delay";
    // Default target: 1.5 fragments (a sawtooth from 2 down to 1 fragment behind the
    // edge). Mean within 2 fragments.
    report_and_check_following(name, &p, Bounds { target_ms: 1.5 * FRAGMENT_MS, max_mean_ms: 2.0 * FRAGMENT_MS, max_p95_ms: 2.5 * FRAGMENT_MS });
    let work = work_dir("default");
    check_bit_exact("default", &p, &work);
    let _ = std::fs::remove_dir_all(&work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_ffmpeg_live_at_a_low_delay_bit_exact() {
    let _one_at_a_time = SERIAL.lock().await;
    let target = Duration::from_millis(1500);
    assert!(target < FRAGMENT);
    let (_encoder, p) = play_live(one_level(), LiveConfig { target_delay: Some(target), ..LiveConfig::default() }).await;
    // Under one fragment on average (a sawtooth from 2.5 s down to 0.5 s).
    report_and_check_following("low delay 1.5 s", &p, Bounds { target_ms: 1500.0, max_mean_ms: FRAGMENT_MS, max_p95_ms: 1.5 * FRAGMENT_MS });
    let work = work_dir("low");
    check_bit_exact("low", &p, &work);
    let _ = std::fs::remove_dir_all(&work);
}
