//! A bare HTTP/1.1 file server over TCP, for answers no well-behaved server library
//! would send: a connection closed inside the headers, a body shorter or longer than its
//! `Content-Length`, a body trickling in, a connection that goes silent, a huge header.
//!
//! One request per connection (`Connection: close`); `GET` only; a path is a file under
//! the root, as with [`crate::origin::Origin`]. Faults apply to request paths containing
//! a pattern, a number of times each.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// A malformed answer.
#[derive(Debug, Clone)]
pub enum RawFault {
    /// Send the first half of the status line and headers, then close.
    ResetInHeaders,
    /// Announce the whole body's length, send half of it, then close.
    ShortBody,
    /// Announce the body's length, send the body and then `extra` more bytes.
    LongBody {
        /// Bytes past the announced length.
        extra: usize,
    },
    /// Send the body `piece` bytes at a time, one piece every `every`.
    Trickle {
        /// Bytes per piece.
        piece: usize,
        /// Pause before each piece.
        every: Duration,
    },
    /// Send the headers, then nothing (the connection stays open until the client leaves
    /// or the origin is dropped).
    StallAfterHeaders,
    /// Read the request, then send nothing.
    StallBeforeHeaders,
    /// Add a header line of this many bytes.
    HugeHeader(usize),
}

struct Rule {
    pattern: String,
    fault: RawFault,
    times: u32,
}

#[derive(Default)]
struct Shared {
    rules: Vec<Rule>,
    log: Vec<String>,
}

/// A running raw origin; it stops (and drops its connections) when dropped.
pub struct RawOrigin {
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawOrigin {
    /// Serves `root` on a loopback port.
    pub async fn serve(root: PathBuf) -> RawOrigin {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let state = shared.clone();
        let task = tokio::spawn(async move {
            // Connection tasks live in the set: aborting this task drops (aborts) them all.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(serve_connection(stream, root.clone(), state.clone()));
                        }
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        RawOrigin { base: format!("http://{addr}/"), shared, task }
    }

    /// Applies `fault` to the next `times` requests whose path contains `pattern`.
    pub fn fault(&self, pattern: &str, fault: RawFault, times: u32) {
        self.shared.lock().unwrap().rules.push(Rule { pattern: pattern.to_string(), fault, times });
    }

    /// Number of requests whose path contains `pattern`.
    pub fn requests_matching(&self, pattern: &str) -> usize {
        self.shared.lock().unwrap().log.iter().filter(|p| p.contains(pattern)).count()
    }
}

async fn serve_connection(mut stream: TcpStream, root: PathBuf, shared: Arc<Mutex<Shared>>) {
    // The request head, at most 64 KiB.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
    let raw_path = line.split(' ').nth(1).unwrap_or("/").to_string();
    let path = crate::origin::percent_decode(&raw_path);
    let fault = {
        let mut s = shared.lock().unwrap();
        s.log.push(path.clone());
        let rule = s.rules.iter_mut().find(|r| r.times > 0 && path.contains(r.pattern.as_str()));
        rule.map(|r| {
            r.times -= 1;
            r.fault.clone()
        })
    };
    let rel = path.trim_start_matches('/');
    let body = if rel.split('/').any(|seg| seg == "..") { None } else { tokio::fs::read(root.join(rel)).await.ok() };
    let Some(body) = body else {
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
        return;
    };
    let mut headers = format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    if let Some(RawFault::HugeHeader(n)) = &fault {
        headers.push_str(&format!("X-Padding: {}\r\n", "a".repeat(*n)));
    }
    headers.push_str("\r\n");
    let _ = answer(&mut stream, headers.as_bytes(), &body, fault).await;
}

async fn answer(stream: &mut TcpStream, headers: &[u8], body: &[u8], fault: Option<RawFault>) -> std::io::Result<()> {
    match fault {
        Some(RawFault::ResetInHeaders) => return stream.write_all(&headers[..headers.len() / 2]).await,
        Some(RawFault::StallBeforeHeaders) => return hold(stream).await,
        _ => stream.write_all(headers).await?,
    }
    match fault {
        Some(RawFault::ShortBody) => stream.write_all(&body[..body.len() / 2]).await?,
        Some(RawFault::LongBody { extra }) => {
            stream.write_all(body).await?;
            stream.write_all(&vec![0xA5; extra]).await?;
        }
        Some(RawFault::Trickle { piece, every }) => {
            for chunk in body.chunks(piece.max(1)) {
                tokio::time::sleep(every).await;
                stream.write_all(chunk).await?;
            }
        }
        Some(RawFault::StallAfterHeaders) => return hold(stream).await,
        _ => stream.write_all(body).await?,
    }
    stream.shutdown().await
}

/// Keeps the connection open and silent until the client closes it.
async fn hold(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 1024];
    while stream.read(&mut buf).await? > 0 {}
    Ok(())
}
