//! A loopback HTTP proxy that replays a network trace in front of any origin, so that
//! players (smoothplay, GStreamer, ffplay...) can be compared on the same shaped link.
//!
//! - [`link`]: the sans-I/O core: the trace as cumulative byte capacity ([`LinkModel`])
//!   and a token bucket over it ([`Link`]) shared by every connection.
//! - [`Shaper`]: the proxy (tokio + hyper, HTTP/1.1). Each request is forwarded to the
//!   upstream at once, on an upstream connection of its own downstream connection; the
//!   response headers are held until the trace's latency for that request has passed
//!   since it arrived (or a fixed latency); the body is streamed through the link: a
//!   chunk passes when the shared bucket has credit for it, so the delivered rate follows
//!   the trace's bandwidth period by period, sub-second (grants of at least 1 KiB, timers
//!   of 1 ms), across all connections together. Zero-bandwidth periods are outages: the
//!   connection stays open and bytes stop. Request bodies and headers are not shaped.
//!
//! Time base: the trace starts when the first request arrives ([`ClockStart::FirstRequest`],
//! the default, as a simulated session starts with its first request) or when the proxy
//! starts listening ([`ClockStart::Listen`]); it loops when it ends.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod link;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::combinators::BoxBody;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use smoothplay_heuristics::sim::trace::Trace;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

pub use link::{Link, LinkModel};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// When the trace's time zero is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockStart {
    /// When the first request arrives (default).
    #[default]
    FirstRequest,
    /// When the proxy starts listening.
    Listen,
}

/// How the shaper shapes.
#[derive(Debug, Clone)]
pub struct ShaperConfig {
    /// The trace (bandwidth per period, latency per request), replayed cyclically.
    pub trace: Trace,
    /// Bandwidth multiplier (the simulator's `--throughput-scale`; Pensieve uses 0.95).
    pub scale: f64,
    /// A fixed latency per request instead of the trace's.
    pub latency: Option<Duration>,
    /// When the trace starts.
    pub clock: ClockStart,
}

impl ShaperConfig {
    /// The trace at full bandwidth, its own latencies, clock from the first request.
    pub fn new(trace: Trace) -> ShaperConfig {
        ShaperConfig { trace, scale: 1.0, latency: None, clock: ClockStart::FirstRequest }
    }
}

/// One proxied request, as the shaper saw it. Times are on the trace's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLog {
    /// Method and path (`GET /x.ism/Manifest`).
    pub request: String,
    /// Upstream status (502 when the upstream could not be reached).
    pub status: u16,
    /// When the request arrived.
    pub at: Duration,
    /// When the response headers were sent (arrival + latency, or later).
    pub headers_at: Option<Duration>,
    /// When the first body byte was released.
    pub first_byte_at: Option<Duration>,
    /// When the last body byte was released (`None` while in progress or cut short).
    pub done_at: Option<Duration>,
    /// Body bytes released.
    pub bytes: u64,
    /// When the response body was dropped before its last byte (the client closed the
    /// connection or abandoned the download); `None` otherwise.
    pub cut_at: Option<Duration>,
}

/// The header of the request log that `smoothplay-shaper --log FILE` writes: one
/// tab-separated line per finished request ([`RequestLog::tsv`]), times in seconds on the
/// trace's clock, `-` where a time is unknown.
pub const LOG_HEADER: &str = "at_s\theaders_s\tfirst_byte_s\tdone_s\tcut_s\tstatus\tbytes\trequest";

impl RequestLog {
    /// The request as one line of the `--log` file (see [`LOG_HEADER`]), without a newline.
    pub fn tsv(&self) -> String {
        let s = |t: Option<Duration>| t.map_or("-".into(), |t| format!("{:.6}", t.as_secs_f64()));
        format!("{:.6}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", self.at.as_secs_f64(), s(self.headers_at), s(self.first_byte_at), s(self.done_at), s(self.cut_at), self.status, self.bytes, self.request)
    }

    /// Parses a line written by [`RequestLog::tsv`] (`None` for the header or a bad line).
    pub fn from_tsv(line: &str) -> Option<RequestLog> {
        let f: Vec<&str> = line.trim_end_matches(['\r', '\n']).splitn(8, '\t').collect();
        if f.len() != 8 {
            return None;
        }
        let t = |s: &str| -> Option<Option<Duration>> {
            if s == "-" {
                Some(None)
            } else {
                s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).map(|v| Some(Duration::from_secs_f64(v)))
            }
        };
        Some(RequestLog {
            at: t(f[0])??,
            headers_at: t(f[1])?,
            first_byte_at: t(f[2])?,
            done_at: t(f[3])?,
            cut_at: t(f[4])?,
            status: f[5].parse().ok()?,
            bytes: f[6].parse().ok()?,
            request: f[7].to_string(),
        })
    }
}

struct Shared {
    link: Mutex<Link>,
    start: OnceLock<Instant>,
    latency: Option<Duration>,
    upstream: Upstream,
    log: Mutex<Vec<RequestLog>>,
}

impl Shared {
    /// Time on the trace's clock (starting it if it has not started).
    fn clock(&self, now: Instant) -> Duration {
        now.saturating_duration_since(*self.start.get_or_init(|| now))
    }

    fn instant(&self, t: Duration) -> Instant {
        *self.start.get().expect("clock started") + t
    }

    fn update(&self, id: usize, f: impl FnOnce(&mut RequestLog)) {
        if let Some(r) = self.log.lock().unwrap().get_mut(id) {
            f(r);
        }
    }
}

#[derive(Debug, Clone)]
struct Upstream {
    /// `host:port` to connect to.
    addr: String,
    /// Host header value.
    authority: String,
    /// Path prefix without a trailing `/` (empty for the root).
    prefix: String,
}

impl Upstream {
    fn parse(url: &str) -> Result<Upstream, String> {
        let uri: Uri = url.parse().map_err(|e| format!("upstream {url:?}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("upstream {url:?}: only http:// upstreams are supported"));
        }
        let auth = uri.authority().ok_or_else(|| format!("upstream {url:?}: no host"))?;
        let port = auth.port_u16().unwrap_or(80);
        Ok(Upstream {
            addr: format!("{}:{port}", auth.host()),
            authority: auth.as_str().to_string(),
            prefix: uri.path().trim_end_matches('/').to_string(),
        })
    }
}

/// A running shaping proxy; it stops when dropped.
pub struct Shaper {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Shaper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Shaper {
    /// Listens on `listen` (port 0: any free port) and forwards to `upstream`
    /// (`http://host:port[/prefix]`; request paths are appended to the prefix).
    pub async fn start(listen: SocketAddr, upstream: &str, config: ShaperConfig) -> std::io::Result<Shaper> {
        let upstream = Upstream::parse(upstream).map_err(std::io::Error::other)?;
        if !(config.scale > 0.0 && config.scale.is_finite()) {
            return Err(std::io::Error::other(format!("scale must be positive, got {}", config.scale)));
        }
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            link: Mutex::new(Link::new(LinkModel::new(&config.trace, config.scale))),
            start: OnceLock::new(),
            latency: config.latency,
            upstream,
            log: Mutex::new(Vec::new()),
        });
        if config.clock == ClockStart::Listen {
            shared.clock(Instant::now());
        }
        let s = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                let shared = s.clone();
                tokio::spawn(async move {
                    let conn: Arc<tokio::sync::Mutex<Option<SendRequest<Incoming>>>> = Arc::default();
                    let service = hyper::service::service_fn(move |req| handle(req, shared.clone(), conn.clone()));
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Ok(Shaper { addr, shared, task })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<RequestLog> {
        self.shared.log.lock().unwrap().clone()
    }

    /// When the trace's clock started (the first request, or listening with
    /// [`ClockStart::Listen`]); `None` before it started. Lets a runner put its own
    /// observations (a player's frames) on the log's clock.
    pub fn clock_start(&self) -> Option<std::time::Instant> {
        self.shared.start.get().map(|t| t.into_std())
    }

    /// Body bytes released so far, all connections together.
    pub fn delivered(&self) -> u64 {
        self.shared.link.lock().unwrap().delivered()
    }
}

/// Hop-by-hop headers (RFC 9110 7.6.1), not forwarded.
const HOP_BY_HOP: [&str; 8] = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "upgrade"];

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    conn: Arc<tokio::sync::Mutex<Option<SendRequest<Incoming>>>>,
) -> Result<Response<BoxBody<Bytes, BoxError>>, Infallible> {
    let arrived = Instant::now();
    let at = shared.clock(arrived);
    let latency = shared.latency.unwrap_or_else(|| shared.link.lock().unwrap().model().latency_at(at));
    let id = {
        let mut log = shared.log.lock().unwrap();
        log.push(RequestLog {
            request: format!("{} {}", req.method(), req.uri().path()),
            status: 0,
            at,
            headers_at: None,
            first_byte_at: None,
            done_at: None,
            bytes: 0,
            cut_at: None,
        });
        log.len() - 1
    };
    let result = forward(req, &shared, &conn).await;
    tokio::time::sleep_until(arrived + latency).await;
    let headers_at = shared.clock(Instant::now());
    let response = match result {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            for h in HOP_BY_HOP {
                parts.headers.remove(h);
            }
            shared.update(id, |r| {
                r.status = parts.status.as_u16();
                r.headers_at = Some(headers_at);
            });
            shared.link.lock().unwrap().body_started(headers_at);
            let body = ShapedBody { inner: body, shared: shared.clone(), id, pending: Bytes::new(), sleep: None };
            Response::from_parts(parts, body.boxed())
        }
        Err(why) => {
            shared.update(id, |r| {
                r.status = 502;
                r.headers_at = Some(headers_at);
                r.done_at = Some(headers_at);
            });
            let body = http_body_util::Full::new(Bytes::from(why)).map_err(|never| match never {}).boxed();
            let mut resp = Response::new(body);
            *resp.status_mut() = StatusCode::BAD_GATEWAY;
            resp
        }
    };
    Ok(response)
}

/// Sends `req` upstream on this downstream connection's upstream connection (opened on
/// first use and again when the upstream closed it).
async fn forward(
    req: Request<Incoming>,
    shared: &Shared,
    conn: &tokio::sync::Mutex<Option<SendRequest<Incoming>>>,
) -> Result<Response<Incoming>, String> {
    let up = &shared.upstream;
    let (mut parts, body) = req.into_parts();
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("{}{pq}", up.prefix).parse().map_err(|e| format!("bad path {pq:?}: {e}"))?;
    for h in HOP_BY_HOP {
        parts.headers.remove(h);
    }
    parts.headers.insert(hyper::header::HOST, up.authority.parse().map_err(|e| format!("bad upstream host: {e}"))?);
    let req = Request::from_parts(parts, body);
    let mut guard = conn.lock().await;
    if guard.as_ref().is_none_or(|s| s.is_closed()) {
        let stream = TcpStream::connect(&up.addr).await.map_err(|e| format!("upstream {}: {e}", up.addr))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("upstream {}: {e}", up.addr))?;
        tokio::spawn(connection);
        *guard = Some(sender);
    }
    let sender = guard.as_mut().expect("connected");
    sender.ready().await.map_err(|e| format!("upstream {}: {e}", up.addr))?;
    sender.send_request(req).await.map_err(|e| format!("upstream {}: {e}", up.addr))
}

/// The upstream body, released through the shared link.
struct ShapedBody {
    inner: Incoming,
    shared: Arc<Shared>,
    id: usize,
    pending: Bytes,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Drop for ShapedBody {
    fn drop(&mut self) {
        self.shared.link.lock().unwrap_or_else(|p| p.into_inner()).body_ended();
        if self.shared.start.get().is_some() {
            let now = self.shared.clock(Instant::now());
            self.shared.update(self.id, |r| {
                if r.done_at.is_none() {
                    r.cut_at = Some(now);
                }
            });
        }
    }
}

impl Body for ShapedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            if !this.pending.is_empty() {
                if let Some(sleep) = this.sleep.as_mut() {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                let now = this.shared.clock(Instant::now());
                let mut link = this.shared.link.lock().unwrap();
                let n = link.take(now, this.pending.len());
                if n > 0 {
                    drop(link);
                    let chunk = this.pending.split_to(n);
                    let done = this.pending.is_empty() && this.inner.is_end_stream();
                    this.shared.update(this.id, |r| {
                        r.first_byte_at.get_or_insert(now);
                        r.bytes += n as u64;
                        if done {
                            r.done_at = Some(now);
                        }
                    });
                    return Poll::Ready(Some(Ok(Frame::data(chunk))));
                }
                let wake = this.shared.instant(link.ready_at(now, this.pending.len())).max(Instant::now() + Duration::from_millis(1));
                drop(link);
                match this.sleep.as_mut() {
                    Some(s) => s.as_mut().reset(wake),
                    None => this.sleep = Some(Box::pin(tokio::time::sleep_until(wake))),
                }
                continue;
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => this.pending = data,
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => {
                    let now = this.shared.clock(Instant::now());
                    this.shared.update(this.id, |r| {
                        r.done_at.get_or_insert(now);
                    });
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let mut h = self.inner.size_hint();
        let p = self.pending.len() as u64;
        h.set_lower(h.lower() + p);
        if let Some(u) = h.upper() {
            h.set_upper(u + p);
        }
        h
    }
}
