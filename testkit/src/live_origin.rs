//! A simulated live Smooth Streaming origin on a clock the test controls.
//!
//! [`LiveOrigin`] re-publishes an on-demand presentation directory (such as
//! `assets/demo.ism`) as an endless live presentation over loopback HTTP:
//!
//! - **Timeline.** The source is looped forever. Fragment `k` of loop `m` of a stream
//!   starts at `base + m*P + t_k` (+ the jumps of earlier encoder pauses), where `t_k`
//!   is its start in the source and `P` the longest stream's end in the source (the
//!   shorter stream gets a small gap at each loop end).
//! - **Clock.** `now = base + (wall time since start, unless frozen + advance()) * 10^7`.
//!   A fragment ending at `e` is available from `e + availability_delay`; before that,
//!   and once it ends before `now - window`, it is answered with
//!   [`LiveConfig::not_available_status`].
//! - **Fragments** are the source bytes with `tfxd` (64-bit) set to the published start,
//!   `mfhd` numbered along the live timeline, `tfdt` (if any) rewritten, and a `tfrf`
//!   announcing the following fragments available at request time, laid out like the
//!   chosen [`Style`]. Box sizes and `trun` data offsets are fixed up.
//! - **Manifest** (`/<name>.ism/Manifest`): `IsLive="TRUE"`, the retained window as
//!   `<c t d/>`, the newest `lookahead` available fragments withheld, quality levels
//!   copied verbatim from the source manifest. A source `<c>`'s children (a sparse
//!   stream's inline `<f>` payloads) come with each published copy of it; sparse streams
//!   (`ParentStreamIndex`) are listed up to their newest available fragment.
//! - **Text and sparse streams**: a TTML text fragment's `begin`/`end` times move with
//!   its fragment ([`crate::live_text`]). Parent-track fragment responses carry the
//!   sparse stream pointer of MS-SSTR 2.2.5 in their `Content-Type`
//!   (`video/mp4;ChildTrack="scte35=T"`: the latest available fragment of each sparse
//!   stream naming that track in `ParentStreamIndex`, starting before the requested
//!   fragment ends), unless [`LiveConfig::sparse_pointers`] is off.
//! - **Controls**: [`LiveOrigin::advance`], [`LiveOrigin::pause_encoder`],
//!   [`LiveOrigin::resume_encoder`], [`LiveOrigin::set_level_dark`], [`LiveOrigin::kill`],
//!   [`LiveOrigin::end_event`], [`LiveOrigin::set_throttle`] /
//!   [`LiveOrigin::set_throttle_matching`] (a slow link for fragment bodies), and a
//!   request log.
//!
//! Source files are read once and kept in memory; each response is rewritten on
//! request (fragments are small), so the origin is deterministic given the clock.
//! Times are in 10^7 ticks per second; sources with another timescale are refused.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use quick_xml::events::{BytesStart, Event};
use smoothplay_engine::manifest::Manifest;

/// Ticks per second of every time this origin handles.
pub const TIMESCALE: u64 = 10_000_000;

const UUID_TFXD: [u8; 16] = [
    0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2,
];
const UUID_TFRF: [u8; 16] = [
    0xd4, 0x80, 0x7e, 0xf2, 0xca, 0x39, 0x46, 0x95, 0x8e, 0x54, 0x26, 0xcb, 0x9e, 0x46, 0xa7, 0x9f,
];

/// How fragments announce their successors (the manifest withholds the newest
/// `lookahead` available fragments in both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Like ffmpeg's `smoothstreaming` muxer: the `traf` reserves room for a full `tfrf`.
    /// The newest fragment carries only a `free` placeholder box; a fragment with fewer
    /// than `lookahead` successors has a short `tfrf` followed by a `free` box of the rest.
    Ffmpeg,
    /// Like IIS Media Services: every fragment carries a `tfrf` sized to its entries
    /// (an empty `tfrf` on the newest one).
    Iis,
}

/// Settings of a [`LiveOrigin`].
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The presentation is served at `/<name>.ism/`.
    pub name: String,
    /// Tick offset of the timeline and of the clock at start (may exceed 2^53).
    pub base: u64,
    /// How fragments carry `tfrf`.
    pub style: Style,
    /// Whether fragments carry `tfrf` at all (false: only manifest refresh shows growth).
    pub tfrf: bool,
    /// `LookAheadFragmentCount`: the newest fragments withheld from the manifest, and the
    /// most entries a `tfrf` carries.
    pub lookahead: u32,
    /// Retained window (`DVRWindowLength`); `Duration::ZERO` keeps everything.
    pub window: Duration,
    /// A fragment is available this long after its end time.
    pub availability_delay: Duration,
    /// Status for fragments not available (not yet, or no longer): 404, or 412 as some
    /// servers answer.
    pub not_available_status: u16,
    /// Whether the wall clock drives the live clock (false: only `advance()` does, which
    /// makes tests exact).
    pub wall_clock: bool,
    /// Encoder-failover shape: after `resume_encoder`, the manifest lists only the new
    /// encoder's fragments (none at first); the older ones are still served.
    pub resume_forgets_history: bool,
    /// Whether parent-track fragment responses point at sparse fragments (MS-SSTR 2.2.5).
    pub sparse_pointers: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            name: "live".to_string(),
            base: 0,
            style: Style::Iis,
            tfrf: true,
            lookahead: 2,
            window: Duration::from_secs(30),
            availability_delay: Duration::from_millis(500),
            not_available_status: 404,
            wall_clock: true,
            resume_forgets_history: false,
            sparse_pointers: true,
        }
    }
}

/// One answered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The request path (percent-decoded).
    pub path: String,
    /// The status sent.
    pub status: u16,
    /// Wall time since the origin started.
    pub at: Duration,
    /// The live clock (ticks) when it was answered.
    pub clock: u64,
}

/// A fragment on the published timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Published start (ticks).
    pub start: u64,
    /// Duration (ticks).
    pub duration: u64,
    /// Live clock time it became available (ticks).
    pub available_at: u64,
    /// Position on the live timeline (loop * fragments per loop + index in the source).
    pub index: u64,
}

/// A running live origin; it stops when dropped.
pub struct LiveOrigin {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LiveOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LiveOrigin {
    /// Serves `source` (an on-demand presentation directory holding `Manifest`) as live, on
    /// a free loopback port.
    pub async fn start(source: impl AsRef<Path>, config: LiveConfig) -> io::Result<LiveOrigin> {
        Self::start_at(source, config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// The same on `addr`.
    pub async fn start_at(source: impl AsRef<Path>, config: LiveConfig, addr: SocketAddr) -> io::Result<LiveOrigin> {
        let source = Source::load(source.as_ref())?;
        let state = ClockState {
            started: Instant::now(),
            manual: 0,
            runs: vec![Run { shift: 0, first: vec![0; source.streams.len()], end: None }],
            paused_at: None,
            ended_at: None,
            listed_from_run: 0,
            dark: HashMap::new(),
            killed: false,
            throttles: Vec::new(),
            log: Vec::new(),
        };
        let inner = Arc::new(Inner { config, source, state: Mutex::new(state) });
        let app = axum::Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(LiveOrigin { url: format!("http://{addr}/"), inner, task })
    }

    /// Serves the bundled `assets/demo.ism` as live.
    pub async fn demo(config: LiveConfig) -> io::Result<LiveOrigin> {
        Self::start(crate::repo_root().join("assets/demo.ism"), config).await
    }

    /// `http://127.0.0.1:PORT/<name>.ism/Manifest`.
    pub fn manifest_url(&self) -> String {
        format!("{}{}.ism/Manifest", self.url, self.inner.config.name)
    }

    /// The presentation's base URL (fragment URLs are relative to it).
    pub fn presentation_url(&self) -> String {
        format!("{}{}.ism/", self.url, self.inner.config.name)
    }

    /// The configured tick offset.
    pub fn base(&self) -> u64 {
        self.inner.config.base
    }

    /// The loop period `P` in ticks.
    pub fn period(&self) -> u64 {
        self.inner.source.period
    }

    /// The settings it runs with.
    pub fn config(&self) -> &LiveConfig {
        &self.inner.config
    }

    /// The live clock now, in ticks.
    pub fn now_ticks(&self) -> u64 {
        self.inner.lock().now(&self.inner.config)
    }

    /// Moves the live clock forward at once.
    pub fn advance(&self, by: Duration) {
        self.inner.lock().manual += ticks(by);
    }

    /// The encoder stops: no fragment becomes available after those available now, and
    /// the manifest stops growing. No-op when already paused or ended.
    pub fn pause_encoder(&self) {
        let cfg = &self.inner.config;
        let src = &self.inner.source;
        let mut st = self.inner.lock();
        if st.paused_at.is_some() || st.ended_at.is_some() {
            return;
        }
        let now = st.now(cfg);
        st.close_run(cfg, src, now);
        st.paused_at = Some(now);
    }

    /// The encoder comes back: fragments continue where they stopped, with their
    /// timestamps jumped forward by the paused time plus `skip` (a discontinuity). Without
    /// a pause before, pauses and resumes at once (a pure jump of `skip`).
    pub fn resume_encoder(&self, skip: Duration) {
        let cfg = &self.inner.config;
        let src = &self.inner.source;
        let mut st = self.inner.lock();
        if st.ended_at.is_some() {
            return;
        }
        let now = st.now(cfg);
        let paused_at = match st.paused_at.take() {
            Some(t) => t,
            None => {
                st.close_run(cfg, src, now);
                now
            }
        };
        let last = st.runs.last().expect("at least one run");
        let shift = last.shift + (now - paused_at) + ticks(skip);
        let first = last.end.clone().expect("closed run");
        st.runs.push(Run { shift, first, end: None });
        if cfg.resume_forgets_history {
            st.listed_from_run = st.runs.len() - 1;
        }
    }

    /// A video (or any) level goes dark: its fragments that become available from now
    /// on answer 404 while `dark`; the other levels continue. Fragments published before
    /// stay served.
    pub fn set_level_dark(&self, bitrate: u64, dark: bool) {
        let cfg = &self.inner.config;
        let mut st = self.inner.lock();
        let now = st.now(cfg);
        let spans = st.dark.entry(bitrate).or_default();
        match (dark, spans.last_mut()) {
            (true, Some((_, None))) => {}
            (true, _) => spans.push((now, None)),
            (false, Some((_, end @ None))) => *end = Some(now),
            (false, _) => {}
        }
    }

    /// Limits the send rate of every fragment body to `bits_per_sec` (`None`: full
    /// speed again). See [`Self::set_throttle_matching`].
    pub fn set_throttle(&self, bits_per_sec: Option<u64>) {
        self.set_throttle_matching("", bits_per_sec);
    }

    /// Limits the send rate of the fragment bodies whose request path contains `pattern`
    /// (`""`: every fragment; e.g. `"QualityLevels(1200000)"` or `"video="`) to
    /// `bits_per_sec`, or lifts that pattern's limit (`None`). Like the static origin's
    /// `Fault::Throttle`, a throttled body is sent in 8 KiB pieces, each after the time it
    /// takes at the rate; the rate is looked up again for every piece, so a change applies
    /// at once, to bodies already being sent too. When several patterns match, the lowest
    /// rate applies. Manifests and error answers are never throttled. Each response is
    /// paced on its own (parallel audio and video requests each get the rate).
    pub fn set_throttle_matching(&self, pattern: &str, bits_per_sec: Option<u64>) {
        let mut st = self.inner.lock();
        st.throttles.retain(|(p, _)| p != pattern);
        if let Some(rate) = bits_per_sec {
            st.throttles.push((pattern.to_string(), rate.max(1)));
        }
    }

    /// The rate a fragment body requested at `path` is sent at now (`None`: full speed).
    pub fn throttle_for(&self, path: &str) -> Option<u64> {
        self.inner.lock().throttle_for(path)
    }

    /// Every request fails with 503 from now on.
    pub fn kill(&self) {
        self.inner.lock().killed = true;
    }

    /// Undoes [`Self::kill`] (the clock kept running meanwhile).
    pub fn revive(&self) {
        self.inner.lock().killed = false;
    }

    /// The event ends: the manifest turns on-demand (no `IsLive`, `Duration` set, every
    /// retained fragment listed), no new fragment appears and the window stops sliding.
    pub fn end_event(&self) {
        let cfg = &self.inner.config;
        let src = &self.inner.source;
        let mut st = self.inner.lock();
        if st.ended_at.is_some() {
            return;
        }
        let now = st.now(cfg);
        if st.paused_at.is_none() {
            st.close_run(cfg, src, now);
        }
        st.ended_at = Some(now);
    }

    /// The fragments of the stream whose `Type` is `kind` (e.g. "video") that are
    /// available and retained now, oldest first (what tfrf and the manifest draw from).
    pub fn available(&self, kind: &str) -> Vec<Published> {
        let Some(s) = self.inner.source.stream_of(kind) else {
            return Vec::new();
        };
        let st = self.inner.lock();
        let now = st.now(&self.inner.config);
        st.available(&self.inner.config, &self.inner.source, s, now)
    }

    /// The URL of a fragment of stream `kind` at `bitrate` starting at `start`.
    pub fn fragment_url(&self, kind: &str, bitrate: u64, start: u64) -> String {
        let s = self.inner.source.stream_of(kind).unwrap_or(0);
        let path = self.inner.source.streams[s].template.fill(bitrate, start);
        format!("{}{}", self.presentation_url(), path)
    }

    /// Requests answered so far.
    pub fn log(&self) -> Vec<LogEntry> {
        self.inner.lock().log.clone()
    }

    /// Number of requests whose path contains `pattern`.
    pub fn requests_matching(&self, pattern: &str) -> usize {
        self.inner.lock().log.iter().filter(|e| e.path.contains(pattern)).count()
    }

    /// Number of manifest requests.
    pub fn manifest_requests(&self) -> usize {
        let path = self.inner.manifest_path();
        self.inner.lock().log.iter().filter(|e| e.path.eq_ignore_ascii_case(&path)).count()
    }

    /// The manifest as it would be served now (without logging a request).
    pub fn manifest_now(&self) -> String {
        let st = self.inner.lock();
        let now = st.now(&self.inner.config);
        st.manifest(&self.inner.config, &self.inner.source, now)
    }
}

fn ticks(d: Duration) -> u64 {
    u64::try_from(d.as_nanos() / 100).unwrap_or(u64::MAX)
}

struct Inner {
    config: LiveConfig,
    source: Source,
    state: Mutex<ClockState>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn manifest_path(&self) -> String {
        format!("/{}.ism/Manifest", self.config.name)
    }
}

/// A stretch of the live timeline made by one encoder run.
#[derive(Debug, Clone)]
struct Run {
    /// Ticks added to the nominal (looped) times.
    shift: u64,
    /// First timeline index per stream.
    first: Vec<u64>,
    /// One past the last index per stream, once the run is over.
    end: Option<Vec<u64>>,
}

struct ClockState {
    started: Instant,
    /// Ticks added by `advance`.
    manual: u64,
    runs: Vec<Run>,
    paused_at: Option<u64>,
    ended_at: Option<u64>,
    /// Runs before this one are not listed in the manifest.
    listed_from_run: usize,
    /// Per bitrate: clock spans [from, to) during which new fragments are dark.
    dark: HashMap<u64, Vec<(u64, Option<u64>)>>,
    killed: bool,
    /// (path pattern, bit/s) limits on fragment bodies.
    throttles: Vec<(String, u64)>,
    log: Vec<LogEntry>,
}

impl ClockState {
    fn throttle_for(&self, path: &str) -> Option<u64> {
        self.throttles.iter().filter(|(p, _)| path.contains(p.as_str())).map(|(_, r)| *r).min()
    }

    fn now(&self, cfg: &LiveConfig) -> u64 {
        let wall = if cfg.wall_clock { ticks(self.started.elapsed()) } else { 0 };
        cfg.base.saturating_add(wall).saturating_add(self.manual)
    }

    /// Ends the open run with what is available at `at`.
    fn close_run(&mut self, cfg: &LiveConfig, src: &Source, at: u64) {
        let run = self.runs.last_mut().expect("at least one run");
        if run.end.is_some() {
            return;
        }
        let end = (0..src.streams.len()).map(|s| open_run_end(cfg, src, run, s, at)).collect();
        run.end = Some(end);
    }

    /// Available and retained fragments of stream `s` at clock `now`, in order.
    fn available(&self, cfg: &LiveConfig, src: &Source, s: usize, now: u64) -> Vec<Published> {
        let stream = &src.streams[s];
        if stream.starts.is_empty() {
            return Vec::new();
        }
        let horizon = self.ended_at.unwrap_or(now);
        let window = ticks(cfg.window);
        let min_end = if window == 0 { 0 } else { horizon.saturating_sub(window) };
        let delay = ticks(cfg.availability_delay);
        let mut out = Vec::new();
        for run in &self.runs {
            let last = match &run.end {
                Some(e) => e[s],
                None => open_run_end(cfg, src, run, s, horizon),
            };
            // Fragments whose published end is before min_end are gone.
            let gone = match min_end.checked_sub(cfg.base.saturating_add(run.shift)) {
                Some(rel) if rel > 0 => src.count_ending_by(s, rel - 1),
                _ => 0,
            };
            for g in run.first[s].max(gone)..last {
                let (start, duration) = src.nominal(s, g);
                let start = cfg.base + run.shift + start;
                out.push(Published { start, duration, available_at: start + duration + delay, index: g });
            }
        }
        out
    }

    fn is_dark(&self, bitrate: u64, available_at: u64) -> bool {
        self.dark
            .get(&bitrate)
            .is_some_and(|spans| spans.iter().any(|&(from, to)| available_at >= from && to.is_none_or(|t| available_at < t)))
    }

    fn manifest(&self, cfg: &LiveConfig, src: &Source, now: u64) -> String {
        let ended = self.ended_at.is_some();
        let listed: Vec<Vec<Published>> = (0..src.streams.len())
            .map(|s| {
                let mut v = self.available(cfg, src, s, now);
                // Sparse streams are not withheld: nothing else announces their entries
                // to a client without pointers.
                let sparse = src.template.stream_parents.get(s).is_some_and(Option::is_some);
                if !ended && !sparse {
                    v.truncate(v.len().saturating_sub(cfg.lookahead as usize));
                }
                let first_listed = self.runs.get(self.listed_from_run).map(|r| r.first[s]).unwrap_or(0);
                v.retain(|p| p.index >= first_listed || self.listed_from_run == 0);
                v
            })
            .collect();
        let root = if ended {
            let start = listed.iter().filter_map(|v| v.first()).map(|p| p.start).min().unwrap_or(0);
            let end = listed.iter().filter_map(|v| v.last()).map(|p| p.start + p.duration).max().unwrap_or(0);
            format!(" Duration=\"{}\"", end.saturating_sub(start))
        } else {
            format!(
                " Duration=\"0\" IsLive=\"TRUE\" LookAheadFragmentCount=\"{}\" DVRWindowLength=\"{}\"",
                cfg.lookahead,
                ticks(cfg.window)
            )
        };
        src.template.render(&root, &listed)
    }
}

/// One past the last index of stream `s` in an open `run` available at clock `at`.
fn open_run_end(cfg: &LiveConfig, src: &Source, run: &Run, s: usize, at: u64) -> u64 {
    let offset = cfg.base.saturating_add(run.shift).saturating_add(ticks(cfg.availability_delay));
    let n = at.checked_sub(offset).map_or(0, |rel| src.count_ending_by(s, rel));
    n.max(run.first[s])
}

// ---------------------------------------------------------------------------------------
// The source presentation.

struct SourceStream {
    /// `Type` as written.
    kind: String,
    template: UrlTemplate,
    /// Source start times and durations.
    starts: Vec<u64>,
    durations: Vec<u64>,
    /// Per level: bitrate and the fragment files in order.
    levels: Vec<(u64, Vec<Bytes>)>,
}

struct Source {
    streams: Vec<SourceStream>,
    period: u64,
    template: ManifestTemplate,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Source {
    fn load(dir: &Path) -> io::Result<Source> {
        let xml = std::fs::read(dir.join("Manifest"))?;
        let manifest = Manifest::parse(&xml).map_err(|e| invalid(format!("source manifest: {e}")))?;
        let text = std::str::from_utf8(&xml).map_err(|_| invalid("source manifest is not UTF-8"))?;
        let mut template = ManifestTemplate::parse(text)?;
        if template.stream_types.len() != manifest.streams.len() {
            return Err(invalid("StreamIndex count differs from the parsed manifest"));
        }
        let mut streams = Vec::new();
        for (si, kind) in manifest.streams.iter().zip(&template.stream_types) {
            if si.timescale != TIMESCALE {
                return Err(invalid(format!("stream {kind}: timescale {} (only 10^7 is supported)", si.timescale)));
            }
            let mut starts = Vec::new();
            let mut durations = Vec::new();
            for c in &si.chunks {
                let d = c.duration.map(|d| d.ticks).ok_or_else(|| invalid("chunk without duration"))?;
                starts.push(c.start.ticks);
                durations.push(d);
            }
            let mut levels = Vec::new();
            for level in &si.levels {
                let mut files = Vec::new();
                for c in &si.chunks {
                    let rel = si.fragment_url(level, c);
                    let path: PathBuf = dir.join(&rel);
                    let bytes = std::fs::read(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                    files.push(Bytes::from(bytes));
                }
                levels.push((level.bitrate, files));
            }
            // `<c>` children are matched to fragments by position: only where each `<c>` is
            // one fragment (no `r` repeats).
            if template.chunk_inner.get(streams.len()).is_some_and(|inner| inner.len() != starts.len()) {
                template.chunk_inner[streams.len()].clear();
            }
            streams.push(SourceStream { kind: kind.clone(), template: UrlTemplate::parse(&si.url_template), starts, durations, levels });
        }
        let period = streams.iter().filter_map(|s| Some(s.starts.last()? + s.durations.last()?)).max().unwrap_or(0);
        if period == 0 {
            return Err(invalid("source has no fragments"));
        }
        Ok(Source { streams, period, template })
    }

    fn stream_of(&self, kind: &str) -> Option<usize> {
        self.streams.iter().position(|s| s.kind.eq_ignore_ascii_case(kind))
    }

    /// Nominal (unshifted, base-less) start and duration of timeline index `g`.
    fn nominal(&self, s: usize, g: u64) -> (u64, u64) {
        let st = &self.streams[s];
        let n = st.starts.len() as u64;
        let (m, k) = (g / n, (g % n) as usize);
        (m * self.period + st.starts[k], st.durations[k])
    }

    /// How many timeline indices of stream `s` have a nominal end at or before `rel`.
    fn count_ending_by(&self, s: usize, rel: u64) -> u64 {
        let st = &self.streams[s];
        let n = st.starts.len() as u64;
        if n == 0 {
            return 0;
        }
        let (m, r) = (rel / self.period, rel % self.period);
        let k = st.starts.iter().zip(&st.durations).filter(|(t, d)| *t + *d <= r).count() as u64;
        m * n + k
    }
}

// ---------------------------------------------------------------------------------------
// URL templates.

#[derive(Debug, Clone)]
enum UrlPiece {
    Literal(String),
    Bitrate,
    Start,
}

#[derive(Debug, Clone)]
struct UrlTemplate(Vec<UrlPiece>);

impl UrlTemplate {
    fn parse(t: &str) -> UrlTemplate {
        let mut pieces = Vec::new();
        let mut rest = t;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
            if open > 0 {
                pieces.push(UrlPiece::Literal(rest[..open].to_string()));
            }
            match &rest[open + 1..close] {
                "bitrate" | "Bitrate" => pieces.push(UrlPiece::Bitrate),
                "start time" | "start_time" => pieces.push(UrlPiece::Start),
                // {CustomAttributes} and unknown placeholders: nothing (the demo has none).
                _ => {}
            }
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(UrlPiece::Literal(rest.to_string()));
        }
        UrlTemplate(pieces)
    }

    fn fill(&self, bitrate: u64, start: u64) -> String {
        self.0
            .iter()
            .map(|p| match p {
                UrlPiece::Literal(s) => s.clone(),
                UrlPiece::Bitrate => bitrate.to_string(),
                UrlPiece::Start => start.to_string(),
            })
            .collect()
    }

    /// (bitrate, start) when `path` fits the template.
    fn matches(&self, mut path: &str) -> Option<(u64, u64)> {
        let (mut bitrate, mut start) = (None, None);
        for p in &self.0 {
            match p {
                UrlPiece::Literal(s) => path = path.strip_prefix(s.as_str())?,
                UrlPiece::Bitrate | UrlPiece::Start => {
                    let len = path.bytes().take_while(u8::is_ascii_digit).count();
                    let v: u64 = path[..len].parse().ok()?;
                    path = &path[len..];
                    if matches!(p, UrlPiece::Bitrate) {
                        bitrate = Some(v)
                    } else {
                        start = Some(v)
                    }
                }
            }
        }
        if path.is_empty() {
            Some((bitrate?, start?))
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// The manifest: the source's XML, verbatim but for the root's live attributes, the
// StreamIndex `Chunks` counts and the `<c>` elements.

enum Piece {
    Text(String),
    Root,
    StreamOpen(usize),
    Chunks(usize),
}

struct ManifestTemplate {
    pieces: Vec<Piece>,
    root_attrs: String,
    stream_attrs: Vec<String>,
    stream_types: Vec<String>,
    stream_names: Vec<Option<String>>,
    stream_parents: Vec<Option<String>>,
    /// Per stream, per source `<c>`: its children as written (inline `<f>` payloads).
    chunk_inner: Vec<Vec<Option<String>>>,
}

/// The value of attribute `key` among `all`.
fn attr(all: &[(String, String)], key: &str) -> Option<String> {
    all.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone())
}

fn kept_attrs(e: &BytesStart<'_>, drop: &[&str]) -> io::Result<(String, Vec<(String, String)>)> {
    let mut kept = String::new();
    let mut all = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| invalid(format!("source manifest attribute: {e}")))?;
        let key = a.key.as_ref().to_string();
        let value = a.value.to_string();
        if !drop.iter().any(|d| d.eq_ignore_ascii_case(&key)) {
            kept.push_str(&format!(" {key}=\"{value}\""));
        }
        all.push((key, value));
    }
    Ok((kept, all))
}

impl ManifestTemplate {
    fn parse(text: &str) -> io::Result<ManifestTemplate> {
        let mut reader = quick_xml::Reader::from_reader(text.as_bytes());
        let mut t = ManifestTemplate {
            pieces: Vec::new(),
            root_attrs: String::new(),
            stream_attrs: Vec::new(),
            stream_types: Vec::new(),
            stream_names: Vec::new(),
            stream_parents: Vec::new(),
            chunk_inner: Vec::new(),
        };
        let mut depth = 0usize;
        let mut stream: Option<usize> = None;
        let mut skipping: Option<usize> = None;
        // Where the children of the `<c>` being skipped begin.
        let mut inner_from = 0usize;
        let mut after_chunk = false;
        loop {
            let before = reader.buffer_position() as usize;
            let ev = reader.read_event().map_err(|e| invalid(format!("source manifest: {e}")))?;
            let after = reader.buffer_position() as usize;
            let raw = text.get(before..after).unwrap_or_default();
            if let Some(d) = skipping {
                match ev {
                    Event::Start(_) => depth += 1,
                    Event::End(_) => {
                        depth -= 1;
                        if depth == d {
                            skipping = None;
                            after_chunk = true;
                            if let (Some(i), Some(inner)) = (stream, text.get(inner_from..before)) {
                                if let Some(last) = t.chunk_inner[i].last_mut() {
                                    *last = Some(inner.to_string());
                                }
                            }
                        }
                    }
                    Event::Eof => return Err(invalid("source manifest ends inside <c>")),
                    _ => {}
                }
                continue;
            }
            match ev {
                Event::Start(e) | Event::Empty(e) if depth == 2 && stream.is_some() && e.local_name().as_ref() == "c" => {
                    if let Some(i) = stream {
                        t.chunk_inner[i].push(None);
                    }
                    if raw.ends_with("/>") {
                        after_chunk = true;
                    } else {
                        skipping = Some(depth);
                        inner_from = after;
                        depth += 1;
                    }
                }
                Event::Start(e) => {
                    let name = e.local_name();
                    if depth == 0 && name.as_ref() == "SmoothStreamingMedia" {
                        let drop = ["Duration", "IsLive", "LookaheadCount", "LookAheadFragmentCount", "DVRWindowLength"];
                        t.root_attrs = kept_attrs(&e, &drop)?.0;
                        t.pieces.push(Piece::Root);
                    } else if depth == 1 && name.as_ref() == "StreamIndex" {
                        let (kept, all) = kept_attrs(&e, &["Chunks"])?;
                        let i = t.stream_attrs.len();
                        t.stream_attrs.push(kept);
                        t.add_stream(&all);
                        t.pieces.push(Piece::StreamOpen(i));
                        stream = Some(i);
                    } else {
                        t.pieces.push(Piece::Text(raw.to_string()));
                    }
                    depth += 1;
                    after_chunk = false;
                }
                Event::Empty(e) if depth == 1 && e.local_name().as_ref() == "StreamIndex" => {
                    let (kept, all) = kept_attrs(&e, &["Chunks"])?;
                    let i = t.stream_attrs.len();
                    t.stream_attrs.push(kept);
                    t.add_stream(&all);
                    t.pieces.push(Piece::StreamOpen(i));
                    t.pieces.push(Piece::Chunks(i));
                    t.pieces.push(Piece::Text("</StreamIndex>".to_string()));
                }
                Event::End(e) => {
                    depth = depth.saturating_sub(1);
                    if depth == 1 && e.local_name().as_ref() == "StreamIndex" {
                        if let Some(i) = stream.take() {
                            t.pieces.push(Piece::Chunks(i));
                        }
                    }
                    t.pieces.push(Piece::Text(raw.to_string()));
                    after_chunk = false;
                }
                Event::Text(_) if after_chunk && raw.trim().is_empty() => {}
                Event::Eof => break,
                _ => {
                    t.pieces.push(Piece::Text(raw.to_string()));
                    after_chunk = false;
                }
            }
        }
        if !t.pieces.iter().any(|p| matches!(p, Piece::Root)) {
            return Err(invalid("source manifest has no <SmoothStreamingMedia>"));
        }
        Ok(t)
    }

    fn add_stream(&mut self, all: &[(String, String)]) {
        self.stream_types.push(attr(all, "Type").unwrap_or_default());
        self.stream_names.push(attr(all, "Name"));
        self.stream_parents.push(attr(all, "ParentStreamIndex"));
        self.chunk_inner.push(Vec::new());
    }

    fn render(&self, root_extra: &str, chunks: &[Vec<Published>]) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(s) => out.push_str(s),
                Piece::Root => out.push_str(&format!("<SmoothStreamingMedia{}{}>", self.root_attrs, root_extra)),
                Piece::StreamOpen(i) => {
                    let n = chunks.get(*i).map_or(0, Vec::len);
                    out.push_str(&format!("<StreamIndex{} Chunks=\"{n}\">", self.stream_attrs[*i]));
                }
                Piece::Chunks(i) => {
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                    let inner = &self.chunk_inner[*i];
                    for c in chunks.get(*i).into_iter().flatten() {
                        let k = if inner.is_empty() { None } else { usize::try_from(c.index % inner.len() as u64).ok() };
                        match k.and_then(|k| inner[k].as_deref()) {
                            Some(children) => out.push_str(&format!("<c t=\"{}\" d=\"{}\">{children}</c>\n", c.start, c.duration)),
                            None => out.push_str(&format!("<c t=\"{}\" d=\"{}\" />\n", c.start, c.duration)),
                        }
                    }
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Fragment rewriting.

/// What goes where the tfrf lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TfrfOut {
    /// Nothing (the source's tfrf is removed).
    Nothing,
    /// A tfrf sized to its entries.
    Exact(Vec<(u64, u64)>),
    /// ffmpeg's layout: room for `reserve` entries, the unused room as a `free` box.
    Reserved { entries: Vec<(u64, u64)>, reserve: usize },
}

/// A box in a buffer: where it starts, its header length (size, type, largesize, uuid),
/// where it ends.
pub(crate) struct BoxRef {
    pub(crate) start: usize,
    pub(crate) header: usize,
    pub(crate) end: usize,
    pub(crate) kind: [u8; 4],
    pub(crate) uuid: Option<[u8; 16]>,
}

/// The boxes in `data[at..end]`, in order; sizes checked against the bounds.
pub(crate) fn boxes(data: &[u8], mut at: usize, end: usize) -> Result<Vec<BoxRef>, String> {
    let mut out = Vec::new();
    while at < end {
        if end - at < 8 {
            return Err(format!("truncated box header at {at}"));
        }
        let size32 = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as u64;
        let kind: [u8; 4] = data[at + 4..at + 8].try_into().unwrap();
        let (size, mut header) = match size32 {
            0 => ((end - at) as u64, 8),
            1 => {
                if end - at < 16 {
                    return Err(format!("truncated largesize at {at}"));
                }
                (u64::from_be_bytes(data[at + 8..at + 16].try_into().unwrap()), 16)
            }
            s => (s, 8),
        };
        if size < header as u64 || size > (end - at) as u64 {
            return Err(format!("box {} at {at}: bad size {size}", String::from_utf8_lossy(&kind)));
        }
        let box_end = at + size as usize;
        let uuid = if &kind == b"uuid" {
            if box_end - at < header + 16 {
                return Err(format!("uuid box at {at} too short"));
            }
            let u: [u8; 16] = data[at + header..at + header + 16].try_into().unwrap();
            header += 16;
            Some(u)
        } else {
            None
        };
        out.push(BoxRef { start: at, header, end: box_end, kind, uuid });
        at = box_end;
    }
    Ok(out)
}

fn put_u32(out: &mut [u8], at: usize, v: u32) {
    out[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn full_box_uuid(out: &mut Vec<u8>, uuid: &[u8; 16], payload: &[u8]) {
    let size = 8 + 16 + 4 + payload.len();
    out.extend_from_slice(&(size as u32).to_be_bytes());
    out.extend_from_slice(b"uuid");
    out.extend_from_slice(uuid);
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(payload);
}

fn tfrf_box(out: &mut Vec<u8>, entries: &[(u64, u64)]) {
    let mut p = vec![entries.len() as u8];
    for (t, d) in entries {
        p.extend_from_slice(&t.to_be_bytes());
        p.extend_from_slice(&d.to_be_bytes());
    }
    full_box_uuid(out, &UUID_TFRF, &p);
}

fn free_box(out: &mut Vec<u8>, size: usize) {
    out.extend_from_slice(&(size as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.resize(out.len() + size - 8, 0);
}

/// The source fragment with its Smooth timing boxes rewritten for the live timeline.
fn rewrite_fragment(data: &[u8], sequence: u32, start: u64, duration: u64, tfrf: &TfrfOut) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() + 128);
    for top in boxes(data, 0, data.len())? {
        if &top.kind != b"moof" {
            out.extend_from_slice(&data[top.start..top.end]);
            continue;
        }
        let old_moof_size = top.end - top.start;
        let moof_at = out.len();
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(b"moof");
        // (position of a u32 or u64 offset field, is 64-bit) to add the moof growth to.
        let mut offsets: Vec<(usize, bool)> = Vec::new();
        for child in boxes(data, top.start + top.header, top.end)? {
            match &child.kind {
                b"mfhd" if child.end - child.start == 16 => {
                    let at = out.len();
                    out.extend_from_slice(&data[child.start..child.end]);
                    put_u32(&mut out, at + 12, sequence);
                }
                b"traf" => {
                    let traf_at = out.len();
                    out.extend_from_slice(&[0, 0, 0, 0]);
                    out.extend_from_slice(b"traf");
                    let mut base_offset_field = None;
                    let mut trun_fields = Vec::new();
                    for c in boxes(data, child.start + child.header, child.end)? {
                        let payload = c.start + c.header;
                        match (&c.kind, c.uuid) {
                            (b"uuid", Some(u)) if u == UUID_TFXD || u == UUID_TFRF => {}
                            (b"free" | b"skip", _) => {}
                            (b"tfdt", _) => {
                                out.extend_from_slice(&20u32.to_be_bytes());
                                out.extend_from_slice(b"tfdt");
                                out.extend_from_slice(&[1, 0, 0, 0]);
                                out.extend_from_slice(&start.to_be_bytes());
                            }
                            (b"tfhd", _) => {
                                let flags = data.get(payload + 1..payload + 4).map_or(0, |f| u32::from_be_bytes([0, f[0], f[1], f[2]]));
                                if flags & 1 != 0 {
                                    base_offset_field = Some(out.len() + c.header + 8);
                                }
                                out.extend_from_slice(&data[c.start..c.end]);
                            }
                            (b"trun", _) => {
                                let flags = data.get(payload + 1..payload + 4).map_or(0, |f| u32::from_be_bytes([0, f[0], f[1], f[2]]));
                                if flags & 1 != 0 {
                                    trun_fields.push(out.len() + c.header + 8);
                                }
                                out.extend_from_slice(&data[c.start..c.end]);
                            }
                            _ => out.extend_from_slice(&data[c.start..c.end]),
                        }
                    }
                    let mut tfxd = start.to_be_bytes().to_vec();
                    tfxd.extend_from_slice(&duration.to_be_bytes());
                    full_box_uuid(&mut out, &UUID_TFXD, &tfxd);
                    match tfrf {
                        TfrfOut::Nothing => {}
                        TfrfOut::Exact(e) => tfrf_box(&mut out, e),
                        TfrfOut::Reserved { entries, reserve } => {
                            let full = 8 + 16 + 4 + 1 + 16 * reserve;
                            if entries.is_empty() {
                                free_box(&mut out, full);
                            } else {
                                let n = entries.len().min(*reserve);
                                tfrf_box(&mut out, &entries[..n]);
                                if n < *reserve {
                                    free_box(&mut out, 16 * (reserve - n));
                                }
                            }
                        }
                    }
                    let traf_size = out.len() - traf_at;
                    put_u32(&mut out, traf_at, traf_size as u32);
                    match base_offset_field {
                        Some(f) => offsets.push((f, true)),
                        None => offsets.extend(trun_fields.into_iter().map(|f| (f, false))),
                    }
                }
                _ => out.extend_from_slice(&data[child.start..child.end]),
            }
        }
        let new_moof_size = out.len() - moof_at;
        put_u32(&mut out, moof_at, new_moof_size as u32);
        let delta = new_moof_size as i64 - old_moof_size as i64;
        for (f, wide) in offsets {
            if wide {
                let v = u64::from_be_bytes(out[f..f + 8].try_into().unwrap());
                out[f..f + 8].copy_from_slice(&(v as i64 + delta).to_be_bytes());
            } else {
                let v = i32::from_be_bytes(out[f..f + 4].try_into().unwrap());
                out[f..f + 4].copy_from_slice(&(v + delta as i32).to_be_bytes());
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// HTTP.

enum Answer {
    Status(u16),
    Manifest(String),
    Fragment { data: Bytes, sequence: u32, start: u64, duration: u64, tfrf: TfrfOut, shift: u64, content_type: String },
}

impl Inner {
    fn decide(&self, path: &str) -> Answer {
        let cfg = &self.config;
        let src = &self.source;
        let st = self.lock();
        if st.killed {
            return Answer::Status(503);
        }
        let now = st.now(cfg);
        let prefix = format!("/{}.ism/", cfg.name);
        let Some(rel) = path.strip_prefix(&prefix) else {
            return Answer::Status(404);
        };
        if rel.eq_ignore_ascii_case("Manifest") {
            return Answer::Manifest(st.manifest(cfg, src, now));
        }
        let Some((s, bitrate, t)) = src.streams.iter().enumerate().find_map(|(i, s)| s.template.matches(rel).map(|(b, t)| (i, b, t))) else {
            return Answer::Status(404);
        };
        let stream = &src.streams[s];
        let Some(level) = stream.levels.iter().find(|(b, _)| *b == bitrate) else {
            return Answer::Status(404);
        };
        let list = st.available(cfg, src, s, now);
        let Some(pos) = list.iter().position(|p| p.start == t) else {
            return Answer::Status(cfg.not_available_status);
        };
        let p = list[pos];
        if st.is_dark(bitrate, p.available_at) {
            return Answer::Status(404);
        }
        let next: Vec<(u64, u64)> = list[pos + 1..].iter().take(cfg.lookahead as usize).map(|n| (n.start, n.duration)).collect();
        let tfrf = match (cfg.tfrf, cfg.style) {
            (false, _) => TfrfOut::Nothing,
            (true, Style::Iis) => TfrfOut::Exact(next),
            (true, Style::Ffmpeg) => TfrfOut::Reserved { entries: next, reserve: cfg.lookahead as usize },
        };
        let k = (p.index % stream.starts.len() as u64) as usize;
        let shift = p.start.saturating_sub(stream.starts[k]);
        let content_type = match self.child_track(&st, s, p.start + p.duration, now) {
            Some(pointers) => format!("video/mp4;ChildTrack=\"{pointers}\""),
            None => "video/mp4".to_string(),
        };
        Answer::Fragment { data: level.1[k].clone(), sequence: (p.index as u32).wrapping_add(1), start: p.start, duration: p.duration, tfrf, shift, content_type }
    }

    /// The sparse stream pointer for a fragment of stream `s` ending at `end`: each sparse
    /// stream whose parent is `s`, with its latest available fragment starting before it.
    fn child_track(&self, st: &ClockState, s: usize, end: u64, now: u64) -> Option<String> {
        let cfg = &self.config;
        let name = self.source.template.stream_names.get(s)?.as_deref()?;
        if !cfg.sparse_pointers {
            return None;
        }
        let mut entries = Vec::new();
        for (c, parent) in self.source.template.stream_parents.iter().enumerate() {
            if parent.as_deref() != Some(name) {
                continue;
            }
            let latest = st.available(cfg, &self.source, c, now).into_iter().filter(|p| p.start < end).map(|p| p.start).max();
            if let (Some(t), Some(Some(child))) = (latest, self.source.template.stream_names.get(c)) {
                entries.push(format!("{child}={t}"));
            }
        }
        (!entries.is_empty()).then(|| entries.join(","))
    }

    fn record(&self, path: String, status: u16) {
        let mut st = self.lock();
        let clock = st.now(&self.config);
        let at = st.started.elapsed();
        st.log.push(LogEntry { path, status, at, clock });
    }
}

async fn handle(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    let path = crate::origin::percent_decode(uri.path());
    let (status, response) = match inner.decide(&path) {
        Answer::Status(code) => {
            let sc = StatusCode::from_u16(code).unwrap_or(StatusCode::NOT_FOUND);
            (code, (sc, "not available").into_response())
        }
        Answer::Manifest(xml) => (200, ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()),
        Answer::Fragment { data, sequence, start, duration, tfrf, shift, content_type } => {
            match rewrite_fragment(&data, sequence, start, duration, &tfrf).and_then(|b| crate::live_text::shift_ttml_fragment(&b, shift)) {
                Ok(bytes) if inner.lock().throttle_for(&path).is_some() => (200, throttled(inner.clone(), path.clone(), bytes, content_type)),
                Ok(bytes) => (200, ([(header::CONTENT_TYPE, content_type)], bytes).into_response()),
                Err(e) => (500, (StatusCode::INTERNAL_SERVER_ERROR, e).into_response()),
            }
        }
    };
    inner.record(path, status);
    response
}

/// Size of the pieces a throttled body is sent in.
const THROTTLE_PIECE: usize = 8192;

/// `body` sent in [`THROTTLE_PIECE`]s, each once the time it takes at the rate then in
/// force for `path` has passed (deadlines add up, so timer lateness does not accumulate).
fn throttled(inner: Arc<Inner>, path: String, body: Vec<u8>, content_type: String) -> Response {
    let len = body.len();
    let body = Bytes::from(body);
    let pieces: Vec<Bytes> = (0..len).step_by(THROTTLE_PIECE).map(|at| body.slice(at..(at + THROTTLE_PIECE).min(len))).collect();
    let state = (pieces.into_iter(), tokio::time::Instant::now());
    let stream = futures_util::stream::unfold(state, move |(mut it, mut due)| {
        let (inner, path) = (inner.clone(), path.clone());
        async move {
            let piece = it.next()?;
            let rate = inner.lock().throttle_for(&path);
            let now = tokio::time::Instant::now();
            match rate {
                Some(bps) => {
                    due = due.max(now.checked_sub(Duration::from_millis(50)).unwrap_or(now)) + Duration::from_secs_f64(piece.len() as f64 * 8.0 / bps as f64);
                    tokio::time::sleep_until(due).await;
                }
                None => due = now,
            }
            Some((Ok::<Bytes, io::Error>(piece), (it, due)))
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, len.to_string())
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_round_trip() {
        let t = UrlTemplate::parse("QualityLevels({bitrate})/Fragments(video={start time})");
        let url = t.fill(250000, 16_000_000_000_000_001);
        assert_eq!(url, "QualityLevels(250000)/Fragments(video=16000000000000001)");
        assert_eq!(t.matches(&url), Some((250000, 16_000_000_000_000_001)));
        assert_eq!(t.matches("QualityLevels(250000)/Fragments(audio=0)"), None);
        assert_eq!(t.matches("QualityLevels(250000)/Fragments(video=0)x"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(crate::origin::percent_decode("/a%28b%29"), "/a(b)");
        assert_eq!(crate::origin::percent_decode("/a%2"), "/a%2");
    }

    /// The demo fragment with tfxd and tfrf removed and a version-0 tfdt added, its
    /// sizes and trun data offset fixed by hand.
    fn stripped_with_tfdt_v0(data: &[u8]) -> Vec<u8> {
        let top = boxes(data, 0, data.len()).unwrap();
        let moof = &top[0];
        let mut moof_children = Vec::new();
        for c in boxes(data, moof.start + moof.header, moof.end).unwrap() {
            if &c.kind == b"traf" {
                let mut traf = Vec::new();
                for t in boxes(data, c.start + c.header, c.end).unwrap() {
                    if t.uuid.is_none() {
                        traf.extend_from_slice(&data[t.start..t.end]);
                    }
                }
                traf.extend_from_slice(&16u32.to_be_bytes());
                traf.extend_from_slice(b"tfdt\0\0\0\0\0\0\0\x07");
                moof_children.extend_from_slice(&((traf.len() + 8) as u32).to_be_bytes());
                moof_children.extend_from_slice(b"traf");
                moof_children.extend_from_slice(&traf);
            } else {
                moof_children.extend_from_slice(&data[c.start..c.end]);
            }
        }
        let mut out = ((moof_children.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(b"moof");
        out.extend_from_slice(&moof_children);
        let delta = out.len() as i32 - (moof.end - moof.start) as i32;
        // tfhd (20 bytes) then trun: its data offset is after size, type, flags, count.
        let trun_at = 8 + 16 + 8 + 20;
        assert_eq!(&out[trun_at + 4..trun_at + 8], b"trun");
        let f = trun_at + 16;
        let v = i32::from_be_bytes(out[f..f + 4].try_into().unwrap());
        out[f..f + 4].copy_from_slice(&(v + delta).to_be_bytes());
        out.extend_from_slice(&data[moof.end..]);
        out
    }

    #[test]
    fn a_missing_tfxd_is_inserted_and_tfdt_rewritten() {
        let path = crate::repo_root().join("assets/demo.ism/QualityLevels(250000)/Fragments(video=20000000)");
        let data = std::fs::read(path).unwrap();
        let original = smoothplay_engine::fmp4::parse_fragment(Bytes::from(data.clone())).unwrap();
        let stripped = stripped_with_tfdt_v0(&data);
        let parsed = smoothplay_engine::fmp4::parse_fragment(Bytes::from(stripped.clone())).unwrap();
        assert_eq!((parsed.tfxd, parsed.tfdt), (None, Some(7)));
        assert_eq!(parsed.samples, original.samples);

        let start = 16_000_000_000_000_001;
        let tfrf = TfrfOut::Exact(vec![(start + 20_000_000, 20_000_000)]);
        let out = rewrite_fragment(&stripped, 9, start, 20_000_000, &tfrf).unwrap();
        let f = smoothplay_engine::fmp4::parse_fragment(Bytes::from(out)).unwrap();
        assert_eq!(f.tfxd.map(|x| (x.start, x.duration)), Some((start, 20_000_000)));
        assert_eq!(f.tfdt, Some(start));
        assert_eq!(f.tfrf.len(), 1);
        assert_eq!(f.sequence_number, 9);
        assert_eq!(f.samples, original.samples);
    }
}
