//! Decode workers: one thread per track turns fragment bytes into frames or audio.
//!
//! Parsing, decryption and decoding are CPU work, so they run off the async driver. The
//! output channel is bounded: a worker blocks when playout is far enough ahead, which
//! bounds the memory held in decoded frames.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::decode::{AacDecoder, AudioBlock, H264Decoder, VideoFrame};
use crate::fmp4::{parse_fragment, Fragment};
use crate::schedule::TrackKind;
use crate::time::MediaTime;

use super::tracks::LevelConfig;

/// Hook run on every parsed fragment before decoding (decryption plugs in here).
pub type FragmentHook = Arc<dyn Fn(&mut Fragment, &LevelConfig) -> Result<(), HookError> + Send + Sync>;

/// A [`FragmentHook`] failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookError {
    /// Skip this fragment and go on (like a download failure).
    Skip(String),
    /// Stop playback (a missing or wrong content key: nothing later can be right either).
    Fatal(String),
}

/// Work for a decode worker.
pub(crate) enum Job {
    /// Decode one downloaded fragment.
    Fragment {
        epoch: u64,
        chunk: usize,
        url: String,
        level: Arc<LevelConfig>,
        body: Bytes,
        /// Start time from the manifest, in the stream timescale (used when the fragment
        /// carries neither tfxd nor tfdt).
        manifest_start: u64,
        /// The stream's timescale.
        timescale: u64,
        /// The track's generation (a track switch starts a new one, from another stream):
        /// the decoder restarts when it changes, and outputs carry it.
        generation: u32,
    },
    /// No more fragments: flush the decoder.
    EndOfStream { epoch: u64, generation: u32 },
}

/// What a worker produces, tagged with the seek generation it belongs to.
#[allow(clippy::large_enum_variant)] // frames are moved once; boxing them would add an allocation each
pub(crate) enum Output {
    Video { epoch: u64, generation: u32, frame: VideoFrame },
    Audio { epoch: u64, generation: u32, block: AudioBlock },
    /// A fragment was decoded: its cost (parse, decrypt, decode; not the time spent
    /// waiting for playout to take frames), for CPU-aware quality selection.
    FragmentDone { epoch: u64, frames: u64, decode_time: Duration },
    /// A fragment could not be parsed, decrypted or decoded; it is skipped.
    FragmentFailed { epoch: u64, chunk: usize, url: String, error: String },
    /// The decoder could not even be created.
    Fatal { error: String },
    /// Playback must stop (a fragment hook said so).
    Abort { epoch: u64, chunk: usize, url: String, error: String },
    EndOfStream { epoch: u64, generation: u32 },
}

/// Handle to a running worker.
pub(crate) struct Worker {
    pub jobs: std_mpsc::Sender<Job>,
    pub epoch: Arc<AtomicU64>,
    /// After a track switch: (generation, fragment): fragments of older generations from
    /// that index on are superseded and not decoded.
    superseded: Arc<Mutex<Option<(u32, usize)>>>,
    pub handle: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts a worker thread for a track.
    pub fn spawn(kind: TrackKind, out: mpsc::Sender<Output>, hook: Option<FragmentHook>) -> Worker {
        let (jobs, rx) = std_mpsc::channel();
        let epoch = Arc::new(AtomicU64::new(0));
        let current = epoch.clone();
        let superseded = Arc::new(Mutex::new(None));
        let skip = superseded.clone();
        let handle = std::thread::Builder::new()
            .name(format!("decode-{kind:?}").to_lowercase())
            .spawn(move || run(kind, rx, out, current, skip, hook))
            .ok();
        Worker { jobs, epoch, superseded, handle }
    }

    /// A track switch: fragments of generations before `generation` from index `chunk`
    /// on are not decoded any more (their output would be dropped).
    pub fn supersede(&self, generation: u32, chunk: usize) {
        *self.superseded.lock().unwrap_or_else(|p| p.into_inner()) = Some((generation, chunk));
    }

    /// Starts a new seek generation: queued work of older ones is dropped.
    pub fn set_epoch(&self, epoch: u64) {
        self.epoch.store(epoch, Ordering::SeqCst);
    }
}

/// One decoder per worker; only one variant exists per thread, so size does not matter.
#[allow(clippy::large_enum_variant)]
enum Decoder {
    Video { dec: H264Decoder, level: Option<usize> },
    Audio { dec: Option<AacDecoder>, level: Option<usize> },
}

fn run(
    kind: TrackKind,
    jobs: std_mpsc::Receiver<Job>,
    out: mpsc::Sender<Output>,
    current: Arc<AtomicU64>,
    superseded: Arc<Mutex<Option<(u32, usize)>>>,
    hook: Option<FragmentHook>,
) {
    let mut decoder = match kind {
        TrackKind::Video => match H264Decoder::new() {
            Ok(dec) => Decoder::Video { dec, level: None },
            Err(e) => {
                let _ = out.blocking_send(Output::Fatal { error: e.to_string() });
                return;
            }
        },
        TrackKind::Audio => Decoder::Audio { dec: None, level: None },
    };
    let mut decoder_epoch = 0u64;
    let mut decoder_generation = 0u32;
    while let Ok(job) = jobs.recv() {
        let (job_epoch, job_generation) = match &job {
            Job::Fragment { epoch, generation, .. } | Job::EndOfStream { epoch, generation } => (*epoch, *generation),
        };
        if job_epoch != current.load(Ordering::SeqCst) {
            continue; // from before a seek
        }
        if job_epoch != decoder_epoch {
            // A seek happened: forget reference frames and pending output.
            decoder_epoch = job_epoch;
            match &mut decoder {
                Decoder::Video { dec, level } => {
                    let _ = dec.reset();
                    *level = None;
                }
                Decoder::Audio { dec, .. } => {
                    if let Some(d) = dec {
                        d.reset();
                    }
                }
            }
        }
        if let Job::Fragment { chunk, .. } = &job {
            let cut = *superseded.lock().unwrap_or_else(|p| p.into_inner());
            if cut.is_some_and(|(g, from)| job_generation < g && *chunk >= from) {
                continue; // the track switched to another stream before this fragment
            }
        }
        if job_generation != decoder_generation {
            // A track switch: the old stream's pictures still held come out (those
            // before the boundary are shown), then the decoder starts over with the new
            // stream's parameters at its first fragment's IDR picture.
            let old = std::mem::replace(&mut decoder_generation, job_generation);
            match &mut decoder {
                Decoder::Video { dec, level } => {
                    for frame in dec.flush().unwrap_or_default() {
                        if out.blocking_send(Output::Video { epoch: job_epoch, generation: old, frame }).is_err() {
                            return;
                        }
                    }
                    let _ = dec.reset();
                    *level = None;
                }
                Decoder::Audio { dec, level } => {
                    *dec = None;
                    *level = None;
                }
            }
        }
        let ok = match job {
            Job::Fragment { epoch, chunk, url, level, body, manifest_start, timescale, generation } => {
                let mut sender = Sender { out: &out, epoch, generation, waiting: Duration::ZERO };
                let started = Instant::now();
                match decode_fragment(&mut decoder, &level, body, manifest_start, timescale, &mut sender, hook.as_ref()) {
                    Ok(frames) => {
                        let decode_time = started.elapsed().saturating_sub(sender.waiting);
                        out.blocking_send(Output::FragmentDone { epoch, frames, decode_time })
                    }
                    Err(HookError::Skip(error)) => out.blocking_send(Output::FragmentFailed { epoch, chunk, url, error }),
                    Err(HookError::Fatal(error)) => out.blocking_send(Output::Abort { epoch, chunk, url, error }),
                }
            }
            Job::EndOfStream { epoch, generation } => {
                if let Decoder::Video { dec, .. } = &mut decoder {
                    match dec.flush() {
                        Ok(frames) => {
                            for frame in frames {
                                if out.blocking_send(Output::Video { epoch, generation, frame }).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => tracing::warn!("flushing the video decoder: {e}"),
                    }
                }
                out.blocking_send(Output::EndOfStream { epoch, generation })
            }
        };
        if ok.is_err() {
            return; // the driver is gone
        }
    }
}

/// Sends decoder output to playout, keeping apart the time spent blocked on a full
/// channel (playout is ahead: that is not decoding cost).
struct Sender<'a> {
    out: &'a mpsc::Sender<Output>,
    epoch: u64,
    generation: u32,
    waiting: Duration,
}

impl Sender<'_> {
    fn send(&mut self, make: impl FnOnce(u64, u32) -> Output) -> Result<(), ()> {
        let t = Instant::now();
        let r = self.out.blocking_send(make(self.epoch, self.generation)).map_err(|_| ());
        self.waiting += t.elapsed();
        r
    }
}

fn decode_fragment(
    decoder: &mut Decoder,
    level: &LevelConfig,
    body: Bytes,
    manifest_start: u64,
    timescale: u64,
    out: &mut Sender<'_>,
    hook: Option<&FragmentHook>,
) -> Result<u64, HookError> {
    let skip = |e: String| HookError::Skip(e);
    let mut fragment = parse_fragment(body).map_err(|e| skip(e.to_string()))?;
    let encrypted = fragment.encryption.is_some();
    if let Some(hook) = hook {
        hook(&mut fragment, level)?;
    }
    // A decode error right after decryption means the plaintext is wrong (a wrong key the
    // structural check could not see): stop rather than show garbage.
    let skip = |e: String| if encrypted { HookError::Fatal(format!("{e} (after decryption: wrong key?)")) } else { HookError::Skip(e) };
    let base = fragment.base_decode_time(manifest_start);
    let mut produced = 0u64;
    match decoder {
        Decoder::Video { dec, level: current } => {
            if *current != Some(level.manifest_index) {
                // New level (or first fragment): its SPS/PPS go in front of the next sample.
                dec.configure(&level.config, level.nal_length_size).map_err(|e| skip(e.to_string()))?;
                *current = Some(level.manifest_index);
            }
            for s in &fragment.samples {
                let pts = s.presentation_time(base);
                let frames = dec.decode(&s.data, MediaTime::new(pts, timescale)).map_err(|e| skip(e.to_string()))?;
                for frame in frames {
                    produced += 1;
                    out.send(|epoch, generation| Output::Video { epoch, generation, frame }).map_err(|_| skip("driver gone".into()))?;
                }
            }
        }
        Decoder::Audio { dec, level: current } => {
            if dec.is_none() || *current != Some(level.manifest_index) {
                *dec = Some(AacDecoder::new(&level.config).map_err(|e| skip(e.to_string()))?);
                *current = Some(level.manifest_index);
            }
            let Some(dec) = dec.as_mut() else { return Err(skip("no audio decoder".into())) };
            for s in &fragment.samples {
                let pts = s.presentation_time(base);
                let block = dec.decode(&s.data, MediaTime::new(pts, timescale)).map_err(|e| skip(e.to_string()))?;
                produced += 1;
                out.send(|epoch, generation| Output::Audio { epoch, generation, block }).map_err(|_| skip("driver gone".into()))?;
            }
        }
    }
    Ok(produced)
}
