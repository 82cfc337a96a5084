//! A loopback Smooth Streaming origin with fault injection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::tls::{TestCert, TlsListener};

/// What the origin does to requests whose path contains a pattern.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, `times` times (then serve normally).
    Status { status: u16, times: u32 },
    /// Wait this long before answering (every time).
    Delay(Duration),
    /// Send the headers and half the body, then break the connection, `times` times.
    Reset { times: u32 },
    /// Serve these bytes instead of the file (every time).
    Replace(Bytes),
    /// Send the body at this rate, in 8 KiB pieces (every time).
    Throttle { bits_per_sec: u64 },
    /// Answer with this status and `Retry-After: seconds`, `times` times.
    RetryAfter { status: u16, seconds: u64, times: u32 },
    /// Answer `302 Found` with this `Location` (absolute or relative), every time.
    Redirect(String),
    /// Serve the body gzip-compressed with `Content-Encoding: gzip`, every time.
    Gzip,
    /// Serve the body with this `Content-Type`, every time.
    ContentType(String),
    /// Add a header (`x-padding`) of this many bytes, every time.
    HugeHeader(usize),
}

#[derive(Default)]
struct Shared {
    faults: Vec<(String, Fault)>,
    log: Vec<(String, u16)>,
    counts: HashMap<String, u32>,
}

/// A running origin; it stops when dropped.
pub struct Origin {
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Origin {
    /// Serves `root` (a directory holding presentation folders) on a loopback port.
    pub async fn serve(root: PathBuf) -> Origin {
        Origin::serve_at(root, SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind loopback")
    }

    /// Same, on `addr` (`[::1]:0` for IPv6 loopback); an error when it cannot be bound.
    pub async fn serve_at(root: PathBuf, addr: SocketAddr) -> std::io::Result<Origin> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok(Origin::serve_on(root, listener, format!("http://{addr}/")))
    }

    /// Serves `root` over https on a loopback port with `cert` (see [`crate::tls`]). The
    /// base URL names `localhost`, which the test certificates are made for.
    pub async fn serve_tls(root: PathBuf, cert: &TestCert) -> Origin {
        let tcp = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind loopback");
        let port = tcp.local_addr().expect("local addr").port();
        Origin::serve_on(root, TlsListener::new(tcp, cert), format!("https://localhost:{port}/"))
    }

    fn serve_on<L>(root: PathBuf, listener: L, base: String) -> Origin
    where
        L: axum::serve::Listener,
        L::Addr: std::fmt::Debug,
    {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let state = (root, shared.clone());
        let app = axum::Router::new().fallback(handle).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Origin { base, shared, task }
    }

    /// Adds a fault for request paths containing `pattern`.
    pub fn fault(&self, pattern: &str, fault: Fault) {
        self.shared.lock().unwrap().faults.push((pattern.to_string(), fault));
    }

    /// Requests served so far: (path, status).
    pub fn log(&self) -> Vec<(String, u16)> {
        self.shared.lock().unwrap().log.clone()
    }

    /// Number of requests whose path contains `pattern`.
    pub fn requests_matching(&self, pattern: &str) -> usize {
        self.log().iter().filter(|(p, _)| p.contains(pattern)).count()
    }
}

type AppState = (PathBuf, Arc<Mutex<Shared>>);

async fn handle(State((root, shared)): State<AppState>, uri: Uri) -> Response {
    let raw = uri.path().to_string();
    let path = percent_decode(&raw);
    let mut delay = None;
    let mut action = None;
    let mut decorations = Vec::new();
    {
        let mut s = shared.lock().unwrap();
        let faults = s.faults.clone();
        for (pat, f) in faults.iter().filter(|(p, _)| path.contains(p.as_str())) {
            match f {
                Fault::Delay(d) => delay = Some(*d),
                Fault::Replace(_) | Fault::Throttle { .. } | Fault::Redirect(_) => action = Some(f.clone()),
                Fault::Gzip | Fault::ContentType(_) | Fault::HugeHeader(_) => decorations.push(f.clone()),
                Fault::Status { times, .. } | Fault::Reset { times } | Fault::RetryAfter { times, .. } => {
                    let key = format!("{pat}\u{0}{f:?}");
                    let n = s.counts.entry(key).or_insert(0);
                    if *n < *times {
                        *n += 1;
                        action = Some(f.clone());
                    }
                }
            }
        }
    }
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let status = |code: u16| {
        shared.lock().unwrap().log.push((path.clone(), code));
    };
    match action {
        Some(Fault::Status { status: code, .. }) => {
            status(code);
            return (StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "injected fault").into_response();
        }
        Some(Fault::RetryAfter { status: code, seconds, .. }) => {
            status(code);
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return (code, [(header::RETRY_AFTER, seconds.to_string())], "injected fault").into_response();
        }
        Some(Fault::Redirect(location)) => {
            status(302);
            return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
        }
        Some(Fault::Replace(bytes)) => {
            status(200);
            return decorate(bytes.to_vec(), &decorations);
        }
        _ => {}
    }
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|seg| seg == "..") {
        status(400);
        return StatusCode::BAD_REQUEST.into_response();
    }
    let file = root.join(rel);
    let Ok(body) = tokio::fs::read(&file).await else {
        status(404);
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(Fault::Reset { .. }) = action {
        status(200);
        let half = Bytes::from(body[..body.len() / 2].to_vec());
        let stream = futures_util::stream::iter(vec![
            Ok::<Bytes, std::io::Error>(half),
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset")),
        ]);
        return Response::builder()
            .header("content-length", body.len().to_string())
            .body(Body::from_stream(stream))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    status(200);
    if let Some(Fault::Throttle { bits_per_sec }) = action {
        let pieces: Vec<Bytes> = body.chunks(8192).map(Bytes::copy_from_slice).collect();
        let rate = bits_per_sec.max(1);
        let stream = futures_util::stream::unfold(pieces.into_iter(), move |mut it| async move {
            let piece = it.next()?;
            tokio::time::sleep(std::time::Duration::from_secs_f64(piece.len() as f64 * 8.0 / rate as f64)).await;
            Some((Ok::<Bytes, std::io::Error>(piece), it))
        });
        return Response::builder()
            .header("content-length", body.len().to_string())
            .body(Body::from_stream(stream))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    decorate(body, &decorations)
}

/// A 200 answer with `body`, changed by the decorating faults (gzip, headers).
fn decorate(body: Vec<u8>, decorations: &[Fault]) -> Response {
    use std::io::Write;
    let mut body = body;
    let mut response = Response::builder().status(StatusCode::OK);
    for d in decorations {
        match d {
            Fault::Gzip => {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                gz.write_all(&body).expect("gzip in memory");
                body = gz.finish().expect("gzip in memory");
                response = response.header(header::CONTENT_ENCODING, "gzip");
            }
            Fault::ContentType(t) => response = response.header(header::CONTENT_TYPE, t.as_str()),
            Fault::HugeHeader(n) => response = response.header("x-padding", HeaderValue::from_str(&"a".repeat(*n)).expect("ascii")),
            _ => {}
        }
    }
    response.body(Body::from(body)).unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Decodes `%XX` escapes of a request path (malformed escapes are kept as written).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
