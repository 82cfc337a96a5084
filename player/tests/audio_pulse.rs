//! The sound output against a real, paced audio server: a PulseAudio daemon with a null
//! sink (in a private runtime directory), recorded from its monitor with `parec`. The
//! demo's decoded audio is played through `audio::open` (ALSA's default device, routed to
//! the daemon by PULSE_SERVER) and must come out whole: found in the recording by
//! cross-correlation, correlated > 0.9 over the span played, and with no gap.
//!
//! Needs `pulseaudio`, `parec` and libasound2-plugins; without them the test fails with a
//! message, unless SMOOTHPLAY_SKIP_AUDIO_TESTS=1 (then it says it skipped). Bounded: every
//! process it started is killed and the test fails after 60 s.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smoothplay_engine::decode::AudioBlock;
use smoothplay_engine::schedule::{LevelPin, ScheduleConfig};
use smoothplay_engine::time::MediaTime;
use smoothplay_engine::session::{AudioSink, NullVideoSink, PlayerConfig, Session, SinkError};
use smoothplay_player::audio::{self, OutputConfig};
use common::pulse::Pulse;

/// Media played through the device.
const PLAY: Duration = Duration::from_millis(8_512);
/// Whole test, processes included.
const DEADLINE: Duration = Duration::from_secs(60);
const RATE: usize = 48_000;
/// Analysis window: 10 ms.
const WIN: usize = RATE / 100;

fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Processes started here, killed on drop (and by the watchdog).
#[derive(Default)]
struct Procs {
    parec: Option<Child>,
    pulse: Option<Pulse>,
}

impl Procs {
    fn kill_all(&mut self) {
        if let Some(mut c) = self.parec.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.pulse = None; // killed on drop
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Collects decoded blocks.
#[derive(Default)]
struct Collect(Vec<AudioBlock>);

impl AudioSink for Collect {
    fn write(&mut self, b: &AudioBlock) -> Result<(), SinkError> {
        self.0.push(b.clone());
        Ok(())
    }
}

fn decode_demo() -> Vec<AudioBlock> {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/demo.ism");
    let config = PlayerConfig {
        untimed: true,
        schedule: ScheduleConfig { video_pin: LevelPin::Min, ..ScheduleConfig::default() },
        ..PlayerConfig::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let session = Session::open(&demo.display().to_string(), config).await.expect("open the demo");
        let mut audio = Collect::default();
        session.play(&mut NullVideoSink, &mut audio, None, &mut |_| {}).await.expect("decode the demo");
        audio.0
    })
}

/// Plays `blocks` through the device as the session would: written `lead()` ahead of the
/// position, which follows the device while it reports one. Returns the blocks written.
fn play(out: &mut audio::AudioOutput, blocks: &[AudioBlock]) -> usize {
    let t0 = Instant::now();
    // The software clock: a position at an instant, following the device.
    let mut clock = (t0, blocks[0].pts.to_duration());
    let end = blocks[0].pts.to_duration() + PLAY;
    let mut next = 0;
    let mut first_audible = None;
    while next < blocks.len() && blocks[next].pts.to_duration() < end {
        assert!(t0.elapsed() < Duration::from_secs(30), "playback did not progress");
        let now = Instant::now();
        let position = match out.played_position(now) {
            Some(p) => {
                if first_audible.is_none() && p > clock.1 {
                    first_audible = Some(now - t0);
                }
                p
            }
            None => clock.1 + (now - clock.0),
        };
        clock = (now, position);
        while next < blocks.len() && blocks[next].pts.to_duration() <= position + out.lead() {
            out.write(&blocks[next]).unwrap();
            next += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    out.finish().unwrap();
    eprintln!("audio_pulse: device audible after {first_audible:?}; stats {:?}", out.stats());
    next
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path).unwrap().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn mono(stereo: &[f32]) -> Vec<f32> {
    stereo.chunks_exact(2).map(|f| 0.5 * (f[0] + f[1])).collect()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    ab / (aa * bb).sqrt()
}

/// Where `source` starts in `recording` (frames): envelopes (10 ms RMS) first, then
/// samples around the best envelope match.
fn find_offset(source: &[f32], recording: &[f32]) -> usize {
    let env = |x: &[f32]| -> Vec<f32> { x.chunks(WIN).map(|w| rms(w) as f32).collect() };
    let (es, er) = (env(source), env(recording));
    assert!(er.len() > es.len() / 2, "recording too short: {} windows for {}", er.len(), es.len());
    let lags = er.len().saturating_sub(es.len()) + 1;
    let coarse = (0..lags)
        .map(|lag| (lag, correlation(&es, &er[lag..])))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(lag, _)| lag)
        .unwrap();
    // One second of source from 1 s in, matched sample by sample within +-2 windows.
    let excerpt = &source[RATE..2 * RATE];
    let from = (coarse * WIN).saturating_sub(2 * WIN);
    (from..=coarse * WIN + 2 * WIN)
        .filter(|&o| o + 2 * RATE <= recording.len())
        .map(|o| (o, correlation(excerpt, &recording[o + RATE..o + 2 * RATE])))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(o, _)| o)
        .expect("an offset")
}

#[test]
fn decoded_audio_comes_out_of_a_pulseaudio_null_sink_whole() {
    if !(have("pulseaudio") && have("parec")) {
        if std::env::var("SMOOTHPLAY_SKIP_AUDIO_TESTS").as_deref() == Ok("1") {
            eprintln!("audio_pulse: skipped (pulseaudio/parec missing, SMOOTHPLAY_SKIP_AUDIO_TESTS=1)");
            return;
        }
        panic!("this test needs pulseaudio and parec (apt-get install pulseaudio pulseaudio-utils libasound2-plugins); set SMOOTHPLAY_SKIP_AUDIO_TESTS=1 to skip it");
    }
    let dir = std::env::temp_dir().join(format!("smoothplay-audio-pulse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let procs = Arc::new(Mutex::new(Procs::default()));
    let done = Arc::new(AtomicBool::new(false));
    {
        let (procs, done) = (procs.clone(), done.clone());
        std::thread::spawn(move || {
            let t = Instant::now();
            while t.elapsed() < DEADLINE {
                if done.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            procs.lock().unwrap_or_else(|p| p.into_inner()).kill_all();
            eprintln!("audio_pulse: over {DEADLINE:?}: processes killed, failing");
            std::process::exit(101);
        });
    }

    let demo = decode_demo();
    assert!(!demo.is_empty());
    assert!(demo.iter().all(|b| b.sample_rate == 48_000 && b.channels == 2), "the demo's audio is 48 kHz stereo");
    // Half a second of silence first: a monitor recording misses the first tens of ms a
    // sink plays after it wakes up, and that must not be the demo's.
    let lead_in = 24usize; // blocks of 1024 frames: 0.512 s
    let mut blocks: Vec<AudioBlock> = (0..lead_in)
        .map(|i| AudioBlock { pts: MediaTime::new(i as u64 * 1024, 48_000), sample_rate: 48_000, channels: 2, samples: vec![0.0; 2048] })
        .collect();
    blocks.extend(demo.into_iter().map(|mut b| {
        b.pts = MediaTime::new(b.pts.rescale(48_000).ticks + lead_in as u64 * 1024, 48_000);
        b
    }));

    let pulse = Pulse::start(&dir.join("run"), &dir);
    let server = pulse.server.clone();
    procs.lock().unwrap().pulse = Some(pulse);
    // For this process (cpal -> ALSA default -> pulse plugin) and for parec.
    std::env::set_var("PULSE_SERVER", &server);
    let rec_path = dir.join("rec.f32");
    let parec = Command::new("parec")
        .args(["-d", "test_sink.monitor", "--rate=48000", "--channels=2", "--format=float32le", "--latency-msec=20"])
        .env("PULSE_SERVER", &server)
        .stdout(File::create(&rec_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("run parec");
    procs.lock().unwrap().parec = Some(parec);
    std::thread::sleep(Duration::from_millis(300));

    eprintln!("audio_pulse: devices {:?}", audio::list_devices());
    let mut out = audio::open(None, &OutputConfig::default()).expect("open the default device (ALSA -> PulseAudio)");
    eprintln!("audio_pulse: {:?}", out.info());
    let written = play(&mut out, &blocks);
    drop(out);
    std::thread::sleep(Duration::from_millis(300));
    procs.lock().unwrap().kill_all();
    done.store(true, Ordering::Relaxed);

    for w in blocks[lead_in..written].windows(2) {
        let end = w[0].pts.to_duration().as_secs_f64() + w[0].frames() as f64 / 48_000.0;
        let gap = w[1].pts.to_duration().as_secs_f64() - end;
        if gap.abs() > 1e-4 {
            eprintln!("audio_pulse: source discontinuity at {:.3}: {:.4} s", end, gap);
        }
    }
    let source: Vec<f32> = blocks[lead_in..written].iter().flat_map(|b| b.samples.iter().copied()).collect();
    let recording = read_f32(&rec_path);
    let (src, rec) = (mono(&source), mono(&recording));
    let offset = find_offset(&src, &rec);
    assert!(offset + src.len() <= rec.len(), "the recording ends before the audio played: offset {offset}, {} + {} > {}", src.len(), offset, rec.len());
    let played = &rec[offset..offset + src.len()];
    let whole = correlation(&source, &recording[2 * offset..2 * (offset + src.len())]);
    // Per window: where the source has sound, so must the recording.
    let mut gaps = Vec::new();
    for (i, (s, r)) in src.chunks(WIN).zip(played.chunks(WIN)).enumerate() {
        let (es, er) = (rms(s), rms(r));
        if es > 0.01 && er < 0.3 * es {
            gaps.push(i as f64 * 0.01);
        }
    }
    let worst_second = src
        .chunks(RATE)
        .zip(played.chunks(RATE))
        .filter(|(s, _)| rms(s) > 0.01)
        .map(|(s, r)| correlation(s, r))
        .fold(1.0f64, f64::min);
    let passed = whole > 0.9 && worst_second > 0.9 && gaps.is_empty();
    // On failure (or SMOOTHPLAY_AUDIO_DIAG=1): the best local alignment of every quarter
    // second (a gap or a repeat shows as a change of lag).
    if !passed || std::env::var("SMOOTHPLAY_AUDIO_DIAG").as_deref() == Ok("1") {
        for (k, seg) in src.chunks(RATE / 4).enumerate() {
            let at = offset + k * RATE / 4;
            let best = (-2400i64..=2400)
                .filter_map(|l| {
                    let from = at as i64 + l;
                    (from >= 0 && from as usize + seg.len() <= rec.len()).then(|| (l, correlation(seg, &rec[from as usize..from as usize + seg.len()])))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            eprintln!("seg {:.2}s: lag {} corr {:.4}", k as f64 / 4.0, best.0, best.1);
        }
    }
    eprintln!(
        "audio_pulse: {:.2} s played, offset in recording {:.3} s, correlation {whole:.4} (worst second {worst_second:.4}), gaps at {gaps:?} s",
        src.len() as f64 / RATE as f64,
        offset as f64 / RATE as f64,
    );
    assert!(whole > 0.9, "correlation {whole}");
    assert!(worst_second > 0.9, "a second correlates {worst_second}");
    assert!(gaps.is_empty(), "gaps at {gaps:?} s");
    let _ = std::fs::remove_dir_all(&dir);
}
