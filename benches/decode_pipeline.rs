//! The engine's decode path against raw openh264 + symphonia on the same access units.
//!
//! * engine: fragment bytes -> `parse_fragment` -> `H264Decoder::configure`/`decode` ->
//!   `VideoFrame` (planes packed into owned buffers), and `AacDecoder` -> `AudioBlock`
//!   (interleaved f32) likewise. This is what the session's decode workers run, minus the
//!   channel send to playout.
//! * raw: the same decoders driven directly (openh264 with the engine's `NoFlush` config,
//!   symphonia's AAC decoder from the same AudioSpecificConfig) on inputs prepared up front:
//!   one Annex-B buffer per sample (SPS/PPS in front of the first) and raw AAC access
//!   units. The pictures are left in openh264's buffers and the audio in symphonia's.
//! * raw + plane copy: raw, plus copying each picture out of openh264's strided buffers,
//!   which the engine must do (the picture is only borrowed until the next call).
//! * parts: the engine's extra steps alone (fragment parse, Annex-B conversion, and the
//!   per-frame MD5 that only `--framemd5` pays).
//!
//! After criterion, an interleaved engine/raw measurement prints the ratio of thread CPU
//! times (engine pass and raw pass alternate, so machine load hits both alike).
//! `SMOOTHPLAY_BENCH_MODE=ratio` runs only that; `SMOOTHPLAY_BENCH_ROUNDS` sets its rounds.
//! The presentation is `assets/demo.ism` (top level) when present, else small.ism 400k, or
//! `$SMOOTHPLAY_BENCH_ISM`.
//!
//! Run: `cargo bench -p smoothplay --bench decode_pipeline`

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput};
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use openh264::OpenH264API;
use smoothplay::engine::decode::annexb::{append_sample_as_annexb, codec_private_to_annexb};
use smoothplay::engine::decode::{AacDecoder, H264Decoder, VideoFormat, VideoFrame};
use smoothplay::engine::fmp4::parse_fragment;
use smoothplay::engine::time::MediaTime;
use symphonia::core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder as _, AudioDecoderOptions};
use symphonia::core::packet::Packet;
use symphonia::default::codecs::AacDecoder as SymphoniaAac;

use common::LoadedTrack;

/// Everything the benches feed the decoders, prepared once.
struct Inputs {
    video: LoadedTrack,
    audio: LoadedTrack,
    /// One Annex-B buffer per video sample in decode order; SPS/PPS before the first.
    video_annexb: Vec<Vec<u8>>,
    /// Raw AAC access units in decode order.
    audio_units: Vec<Bytes>,
    /// The engine's frames, for the MD5 sub-benchmark.
    engine_frames: Vec<VideoFrame>,
}

impl Inputs {
    fn load() -> Inputs {
        let dir = common::presentation_dir();
        let manifest = common::load_manifest(&dir);
        let video = common::top_video(&dir, &manifest);
        let audio = common::audio(&dir, &manifest);
        let mut video_annexb = Vec::new();
        let mut parameter_sets = Some(codec_private_to_annexb(&video.config).expect("CodecPrivateData holds SPS and PPS"));
        for (_, body) in &video.fragments {
            let fragment = parse_fragment(body.clone()).expect("video fragment parses");
            for s in &fragment.samples {
                let mut buf = parameter_sets.take().unwrap_or_default();
                append_sample_as_annexb(&s.data, video.nal_length_size, &mut buf).expect("sample is length-prefixed");
                video_annexb.push(buf);
            }
        }
        let mut audio_units = Vec::new();
        for (_, body) in &audio.fragments {
            let fragment = parse_fragment(body.clone()).expect("audio fragment parses");
            audio_units.extend(fragment.samples.into_iter().map(|s| s.data));
        }
        let engine_frames = engine_video_frames(&video);
        eprintln!(
            "decode_pipeline: {} | {}: {} fragments, {} bytes, {} samples -> {} frames | {}: {} access units",
            dir.display(),
            video.label,
            video.fragments.len(),
            video.bytes(),
            video_annexb.len(),
            engine_frames.len(),
            audio.label,
            audio_units.len()
        );
        let inputs = Inputs { video, audio, video_annexb, audio_units, engine_frames };
        inputs.check_same_output();
        inputs
    }

    /// The comparison is only fair if both paths decode the same pictures: same count, and
    /// the same bytes (MD5 per picture, display order).
    fn check_same_output(&self) {
        let raw = raw_video_copied(&self.video_annexb);
        assert_eq!(raw.len(), self.engine_frames.len(), "engine and raw picture counts differ");
        for (i, (r, e)) in raw.iter().zip(&self.engine_frames).enumerate() {
            assert_eq!(r.md5_hex(), e.md5_hex(), "picture {i} differs between engine and raw decoding");
        }
        assert_eq!(raw_audio(&self.audio.config, &self.audio_units), engine_audio(&self.audio), "audio sample counts differ");
    }
}

// ---------- engine paths ----------

fn engine_video_visit(track: &LoadedTrack, mut visit: impl FnMut(VideoFrame)) {
    let mut dec = H264Decoder::new().expect("openh264 starts");
    dec.configure(&track.config, track.nal_length_size).expect("level configures");
    for (start, body) in &track.fragments {
        let fragment = parse_fragment(body.clone()).expect("fragment parses");
        let base = fragment.base_decode_time(*start);
        for s in &fragment.samples {
            let pts = MediaTime::new(s.presentation_time(base), track.timescale);
            for frame in dec.decode(&s.data, pts).expect("sample decodes") {
                visit(frame);
            }
        }
    }
    for frame in dec.flush().expect("flush") {
        visit(frame);
    }
}

/// Engine video path; returns the picture count.
fn engine_video(track: &LoadedTrack) -> usize {
    let mut n = 0;
    engine_video_visit(track, |f| {
        black_box(&f);
        n += 1;
    });
    n
}

fn engine_video_frames(track: &LoadedTrack) -> Vec<VideoFrame> {
    let mut frames = Vec::new();
    engine_video_visit(track, |f| frames.push(f));
    frames
}

/// Engine audio path; returns samples per channel.
fn engine_audio(track: &LoadedTrack) -> usize {
    let mut dec = AacDecoder::new(&track.config).expect("AAC decoder");
    let mut frames = 0;
    for (start, body) in &track.fragments {
        let fragment = parse_fragment(body.clone()).expect("fragment parses");
        let base = fragment.base_decode_time(*start);
        for s in &fragment.samples {
            let block = dec.decode(&s.data, MediaTime::new(s.presentation_time(base), track.timescale)).expect("AU decodes");
            frames += black_box(block).frames();
        }
    }
    frames
}

// ---------- raw paths ----------

fn raw_openh264() -> Decoder {
    // The engine's configuration: no flush after each call (B-frame streams), explicit drain.
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    Decoder::with_api_config(OpenH264API::from_source(), config).expect("openh264 starts")
}

fn raw_video_visit(annexb: &[Vec<u8>], mut visit: impl FnMut(&DecodedYUV<'_>)) {
    let mut dec = raw_openh264();
    for buf in annexb {
        if let Some(yuv) = dec.decode(buf).expect("raw decode") {
            visit(&yuv);
        }
    }
    for yuv in dec.flush_remaining().expect("raw flush") {
        visit(&yuv);
    }
}

/// Raw openh264; pictures stay in the decoder's buffers. Returns the picture count.
fn raw_video(annexb: &[Vec<u8>]) -> usize {
    let mut n = 0;
    raw_video_visit(annexb, |yuv| {
        black_box(yuv.dimensions());
        n += 1;
    });
    n
}

fn copy_plane(plane: &[u8], stride: usize, width: usize, rows: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(width * rows);
    for row in plane.chunks(stride).take(rows) {
        out.extend_from_slice(&row[..width.min(row.len())]);
    }
    out
}

fn copy_yuv(yuv: &DecodedYUV<'_>) -> VideoFrame {
    let (w, h) = yuv.dimensions();
    let (ys, us, vs) = yuv.strides();
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    VideoFrame {
        pts: MediaTime::zero(1),
        width: w as u32,
        height: h as u32,
        y: copy_plane(yuv.y(), ys, w, h),
        u: copy_plane(yuv.u(), us, cw, ch),
        v: copy_plane(yuv.v(), vs, cw, ch),
        format: VideoFormat::default(),
    }
}

/// Raw openh264 plus copying every picture into packed planes.
fn raw_video_copied(annexb: &[Vec<u8>]) -> Vec<VideoFrame> {
    let mut frames = Vec::new();
    raw_video_visit(annexb, |yuv| frames.push(copy_yuv(yuv)));
    frames
}

fn raw_video_copy_count(annexb: &[Vec<u8>]) -> usize {
    let mut n = 0;
    raw_video_visit(annexb, |yuv| {
        black_box(copy_yuv(yuv));
        n += 1;
    });
    n
}

/// Raw symphonia on prepared access units; output stays in symphonia's buffer. Returns
/// samples per channel.
fn raw_audio(asc: &[u8], units: &[Bytes]) -> usize {
    let mut params = AudioCodecParameters::new();
    params.for_codec(CODEC_ID_AAC).with_extra_data(asc.to_vec().into_boxed_slice());
    let mut dec = SymphoniaAac::try_new(&params, &AudioDecoderOptions::default()).expect("symphonia AAC");
    let mut frames = 0;
    for au in units {
        let packet = Packet::new(0, Default::default(), 1024u64.into(), &au[..]);
        let buf = dec.decode(&packet).expect("raw AAC decode");
        frames += black_box(buf.frames());
    }
    frames
}

// ---------- engine-only steps ----------

fn parse_only(track: &LoadedTrack) -> usize {
    track.fragments.iter().map(|(_, b)| parse_fragment(b.clone()).map(|f| f.samples.len()).unwrap_or(0)).sum()
}

fn annexb_only(track: &LoadedTrack, scratch: &mut Vec<u8>) -> usize {
    let mut n = 0;
    for (_, body) in &track.fragments {
        if let Ok(fragment) = parse_fragment(body.clone()) {
            for s in &fragment.samples {
                scratch.clear();
                if append_sample_as_annexb(&s.data, track.nal_length_size, scratch).is_ok() {
                    n += scratch.len();
                }
            }
        }
    }
    n
}

// ---------- criterion ----------

fn criterion_benches(c: &mut Criterion, inputs: &Inputs) {
    let frames = inputs.engine_frames.len() as u64;
    let mut g = c.benchmark_group("decode_pipeline/video");
    g.throughput(Throughput::Elements(frames));
    let label = &inputs.video.label;
    g.bench_function(BenchmarkId::new("engine", label), |b| b.iter(|| engine_video(&inputs.video)));
    g.bench_function(BenchmarkId::new("raw_openh264", label), |b| b.iter(|| raw_video(&inputs.video_annexb)));
    g.bench_function(BenchmarkId::new("raw_openh264+plane_copy", label), |b| b.iter(|| raw_video_copy_count(&inputs.video_annexb)));
    g.finish();

    let mut g = c.benchmark_group("decode_pipeline/audio");
    g.throughput(Throughput::Elements(inputs.audio_units.len() as u64));
    let label = &inputs.audio.label;
    g.bench_function(BenchmarkId::new("engine", label), |b| b.iter(|| engine_audio(&inputs.audio)));
    g.bench_function(BenchmarkId::new("raw_symphonia", label), |b| b.iter(|| raw_audio(&inputs.audio.config, &inputs.audio_units)));
    g.finish();

    let mut g = c.benchmark_group("decode_pipeline/engine_parts");
    g.throughput(Throughput::Elements(frames));
    g.bench_function("video parse_fragment (all fragments)", |b| b.iter(|| parse_only(&inputs.video)));
    let mut scratch = Vec::new();
    g.bench_function("video parse+annexb (all samples)", |b| b.iter(|| annexb_only(&inputs.video, &mut scratch)));
    g.bench_function("md5 of every frame (--framemd5 only)", |b| {
        b.iter(|| inputs.engine_frames.iter().map(|f| f.md5_hex().len()).sum::<usize>())
    });
    g.finish();
}

// ---------- interleaved ratio ----------

/// CPU time of the calling thread (Linux schedstat, ns); wall time elsewhere.
fn thread_cpu() -> Duration {
    let ns = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()));
    match ns {
        Some(ns) => Duration::from_nanos(ns),
        None => {
            static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
            START.get_or_init(Instant::now).elapsed()
        }
    }
}

/// Runs `f` `reps` times; thread CPU time per pass and the last pass's result.
fn cpu_of(reps: u32, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let t0 = thread_cpu();
    let mut n = 0;
    for _ in 0..reps {
        n = black_box(f());
    }
    (thread_cpu().saturating_sub(t0) / reps, n)
}

/// The kernel updates a running thread's schedstat at scheduler ticks (4 ms at HZ=250),
/// so a timed unit must be long against that: enough passes to last about 250 ms.
fn reps_for(mut f: impl FnMut() -> usize) -> u32 {
    let start = Instant::now();
    black_box(f());
    let one = start.elapsed().as_secs_f64().max(1e-6);
    (0.25 / one).ceil().clamp(1.0, 1000.0) as u32
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

struct Pair {
    name: &'static str,
    engine: Vec<f64>,
    raw: Vec<f64>,
}

impl Pair {
    fn report(&self) -> (f64, f64) {
        let (e, r) = (median(self.engine.clone()), median(self.raw.clone()));
        let per_round = median(self.engine.iter().zip(&self.raw).map(|(e, r)| e / r).collect());
        println!(
            "{:<32} engine {:>9.2} ms  raw {:>9.2} ms  engine/raw {:.3} (median of per-round ratios {:.3})",
            self.name,
            e * 1e3,
            r * 1e3,
            e / r,
            per_round
        );
        (e, r)
    }
}

fn ratio_report(inputs: &Inputs) {
    let rounds: usize = std::env::var("SMOOTHPLAY_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(9);
    let mut video = Pair { name: "video (engine vs raw openh264)", engine: vec![], raw: vec![] };
    let mut copy = Pair { name: "video (raw+copy vs raw)", engine: vec![], raw: vec![] };
    let mut audio = Pair { name: "audio (engine vs raw symphonia)", engine: vec![], raw: vec![] };
    let (frames, samples) = (inputs.engine_frames.len(), raw_audio(&inputs.audio.config, &inputs.audio_units));
    // Warm-up passes size the timed units, then engine and raw alternate, order flipping
    // every round.
    let video_reps = reps_for(|| raw_video(&inputs.video_annexb));
    let audio_reps = reps_for(|| raw_audio(&inputs.audio.config, &inputs.audio_units));
    let _ = engine_video(&inputs.video);
    for round in 0..rounds {
        let engine = || engine_video(&inputs.video);
        let raw = || raw_video(&inputs.video_annexb);
        let ((te, ne), (tr, nr)) = if round % 2 == 0 {
            (cpu_of(video_reps, engine), cpu_of(video_reps, raw))
        } else {
            let r = cpu_of(video_reps, raw);
            (cpu_of(video_reps, engine), r)
        };
        assert_eq!((ne, nr), (frames, frames));
        video.engine.push(te.as_secs_f64());
        video.raw.push(tr.as_secs_f64());
        let (tc, nc) = cpu_of(video_reps, || raw_video_copy_count(&inputs.video_annexb));
        assert_eq!(nc, frames);
        copy.engine.push(tc.as_secs_f64());
        copy.raw.push(tr.as_secs_f64());
        let (ta, na) = cpu_of(audio_reps, || engine_audio(&inputs.audio));
        let (tb, nb) = cpu_of(audio_reps, || raw_audio(&inputs.audio.config, &inputs.audio_units));
        assert_eq!((na, nb), (samples, samples));
        audio.engine.push(ta.as_secs_f64());
        audio.raw.push(tb.as_secs_f64());
    }
    println!(
        "\n== engine/raw thread-CPU per pass, median of {rounds} interleaved rounds ({video_reps} video / {audio_reps} audio passes each): {} ({frames} frames), {} ({samples} samples/ch) ==",
        inputs.video.label, inputs.audio.label
    );
    let (ve, vr) = video.report();
    copy.report();
    let (ae, ar) = audio.report();
    println!("{:<32} engine {:>9.2} ms  raw {:>9.2} ms  engine/raw {:.3}", "video+audio", (ve + ae) * 1e3, (vr + ar) * 1e3, (ve + ae) / (vr + ar));
}

fn main() {
    let inputs = Inputs::load();
    if std::env::var("SMOOTHPLAY_BENCH_MODE").as_deref() != Ok("ratio") {
        let mut c = common::criterion();
        criterion_benches(&mut c, &inputs);
        c.final_summary();
    }
    ratio_report(&inputs);
}
