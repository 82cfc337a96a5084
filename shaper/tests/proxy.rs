//! The shaping proxy in front of the testkit origin: delivered rate per period, first-byte
//! latency, outages and a link shared by concurrent connections, measured by a client on
//! loopback (issue 12, item 6). About 6 s of wall time.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use smoothplay_heuristics::sim::trace::{Period, Trace};
use smoothplay_shaper::{Shaper, ShaperConfig};
use smoothplay_testkit::origin::Origin;
use tokio::time::Instant;

/// A presentation root holding `blob.bin` of `len` bytes.
fn root_with_blob(len: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smoothplay-shaper-test-{}-{len}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("blob.bin"), vec![7u8; len]).unwrap();
    dir
}

fn trace(periods: &[(f64, f64, f64)]) -> Trace {
    Trace::new("test", periods.iter().map(|&(d, b, l)| Period { duration_ms: d, bandwidth_kbps: b, latency_ms: l }).collect()).unwrap()
}

/// What a client saw: time of the response headers and (time, bytes) per body chunk,
/// from when the request was sent.
struct Fetch {
    headers: Duration,
    chunks: Vec<(Duration, usize)>,
}

impl Fetch {
    fn bytes_between(&self, from: f64, to: f64) -> usize {
        self.chunks.iter().filter(|(t, _)| (from..to).contains(&t.as_secs_f64())).map(|c| c.1).sum()
    }
    fn total(&self) -> usize {
        self.chunks.iter().map(|c| c.1).sum()
    }
    fn first_byte(&self) -> Duration {
        self.chunks[0].0
    }
    fn last_byte(&self) -> Duration {
        self.chunks.last().unwrap().0
    }
}

async fn fetch(addr: SocketAddr, path: &str, t0: Instant) -> Fetch {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let req = Request::get(path).header("host", addr.to_string()).body(Empty::<Bytes>::new()).unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let headers = t0.elapsed();
    let mut body = resp.into_body();
    let mut chunks = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            chunks.push((t0.elapsed(), data.len()));
        }
    }
    Fetch { headers, chunks }
}

async fn proxy(origin: &Origin, trace: Trace) -> Shaper {
    Shaper::start(SocketAddr::from(([127, 0, 0, 1], 0)), &origin.base, ShaperConfig::new(trace)).await.unwrap()
}

fn within(got: f64, want: f64, tol: f64, what: &str) {
    eprintln!("{what}: measured {got:.3}, expected {want:.3} ({:+.2}%)", (got / want - 1.0) * 100.0);
    assert!((got - want).abs() <= tol * want, "{what}: {got:.3} vs {want:.3} (tolerance {:.0}%)", tol * 100.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_rate_per_period_and_first_byte_latency_follow_the_trace() {
    // 2 Mbit/s for 1 s (250 000 B/s), then 0.5 Mbit/s (62 500 B/s), 50 ms per request.
    let origin = Origin::serve(root_with_blob(300_000)).await;
    let shaper = proxy(&origin, trace(&[(1000.0, 2000.0, 50.0), (1000.0, 500.0, 50.0)])).await;
    let f = fetch(shaper.addr(), "/blob.bin", Instant::now()).await;
    assert_eq!(f.total(), 300_000);
    let headers = f.headers.as_secs_f64();
    assert!((0.045..0.080).contains(&headers), "headers after {headers:.3} s, latency is 50 ms");
    let first = f.first_byte().as_secs_f64();
    eprintln!("headers after {headers:.4} s, first byte after {first:.4} s (latency 0.050 s)");
    assert!((0.045..0.085).contains(&first), "first byte after {first:.3} s");
    within(f.bytes_between(0.1, 0.9) as f64, 0.8 * 250_000.0, 0.08, "bytes in 0.1-0.9 s (2 Mbit/s)");
    within(f.bytes_between(1.1, 1.7) as f64, 0.6 * 62_500.0, 0.10, "bytes in 1.1-1.7 s (0.5 Mbit/s)");
    // Bytes flow from the end of the latency, with no burst saved during it (as in Sabre:
    // the latency's bandwidth is not usable): 237 500 B in the first second, the remaining
    // 62 500 B at 62 500 B/s: done at 2.00 s (1.92 s while the burst was inherited).
    within(f.last_byte().as_secs_f64(), 2.00, 0.02, "last byte (s)");
    let log = shaper.log();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status, log[0].bytes), (200, 300_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_delays_bytes_by_its_length() {
    // 2 Mbit/s for 0.5 s, nothing for 1 s, 2 Mbit/s again: 250 000 B need 1 s of bandwidth.
    let origin = Origin::serve(root_with_blob(250_000)).await;
    let shaper = proxy(&origin, trace(&[(500.0, 2000.0, 0.0), (1000.0, 0.0, 0.0), (2000.0, 2000.0, 0.0)])).await;
    let f = fetch(shaper.addr(), "/blob.bin", Instant::now()).await;
    assert_eq!(f.total(), 250_000);
    assert_eq!(f.bytes_between(0.52, 1.48), 0, "no byte during the outage");
    within(f.bytes_between(0.0, 0.5) as f64, 125_000.0, 0.06, "bytes before the outage");
    within(f.last_byte().as_secs_f64(), 2.0, 0.03, "last byte (s): 1 s of transfer + 1 s of outage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connections_share_one_link() {
    // 4 Mbit/s = 500 000 B/s shared: two 250 000 B bodies fetched together take 1 s.
    let origin = Origin::serve(root_with_blob(250_000)).await;
    let shaper = proxy(&origin, trace(&[(10_000.0, 4000.0, 0.0)])).await;
    let t0 = Instant::now();
    let (a, b) = tokio::join!(fetch(shaper.addr(), "/blob.bin", t0), fetch(shaper.addr(), "/blob.bin", t0));
    let end = a.last_byte().max(b.last_byte()).as_secs_f64();
    within(end, 1.0, 0.05, "both done (s)");
    within(a.bytes_between(0.0, 0.5) as f64 + b.bytes_between(0.0, 0.5) as f64, 250_000.0, 0.06, "bytes of both in 0.5 s");
    assert_eq!(shaper.delivered(), 500_000);
}
