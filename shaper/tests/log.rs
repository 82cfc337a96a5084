//! The request log: `smoothplay-shaper --log FILE` (the binary, as another player's batch
//! script runs it) writes one line per finished or cut-short request with the times the
//! proxy saw, and the lines read back as the in-process log. About 1 s of wall time.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use smoothplay_heuristics::sim::trace::{Period, Trace};
use smoothplay_shaper::{RequestLog, Shaper, ShaperConfig, LOG_HEADER};
use smoothplay_testkit::origin::Origin;

fn root_with_blob(len: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smoothplay-shaper-log-test-{}-{len}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("blob.bin"), vec![7u8; len]).unwrap();
    dir
}

/// GETs `path`; reads the whole body, or only `stop_after` bytes and then drops the
/// connection (an abandoned download). Returns the body bytes read.
async fn get(addr: SocketAddr, path: &str, stop_after: Option<usize>) -> usize {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    let conn = tokio::spawn(conn);
    let req = Request::get(path).header("host", addr.to_string()).body(Empty::<Bytes>::new()).unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let mut n = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            n += data.len();
        }
        if stop_after.is_some_and(|s| n >= s) {
            conn.abort();
            break;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_finished_and_abandoned_requests_with_the_proxy_times() {
    let origin = Origin::serve(root_with_blob(100_000)).await;
    let dir = std::env::temp_dir().join(format!("smoothplay-shaper-log-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 1.6 Mbit/s = 200 000 B/s, 40 ms per request.
    let trace_file = dir.join("trace.txt");
    std::fs::write(&trace_file, "10000 1600 40\n").unwrap();
    let log_file = dir.join("requests.tsv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smoothplay-shaper"))
        .arg("--trace")
        .arg(&trace_file)
        .args(["--upstream", origin.base.trim_end_matches('/'), "--listen", "127.0.0.1:0", "--log"])
        .arg(&log_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // "listening on http://127.0.0.1:PORT/ -> ..."
    let addr: SocketAddr = first.split("http://").nth(1).and_then(|s| s.split('/').next()).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no address in {first:?}"));

    assert_eq!(get(addr, "/blob.bin", None).await, 100_000);
    let read = get(addr, "/blob.bin", Some(20_000)).await;
    assert!(read < 100_000);
    // The binary writes the log every 100 ms.
    tokio::time::sleep(Duration::from_millis(400)).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let text = std::fs::read_to_string(&log_file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    eprintln!("{text}");
    assert_eq!(lines[0], LOG_HEADER);
    assert_eq!(lines.len(), 3, "header and two requests");
    let done = RequestLog::from_tsv(lines[1]).unwrap();
    assert_eq!((done.request.as_str(), done.status, done.bytes, done.cut_at), ("GET /blob.bin", 200, 100_000, None));
    assert_eq!(done.at, Duration::ZERO, "the trace's clock starts at the first request");
    let headers = done.headers_at.unwrap().as_secs_f64();
    assert!((0.038..0.070).contains(&headers), "headers at {headers:.3} s, latency 40 ms");
    // 100 000 B at 200 000 B/s after the 40 ms latency (less the bucket's 20 ms burst).
    let end = done.done_at.unwrap().as_secs_f64();
    assert!((0.50..0.60).contains(&end), "last byte at {end:.3} s, expected about 0.54");

    let cut = RequestLog::from_tsv(lines[2]).unwrap();
    assert_eq!((cut.status, cut.done_at), (200, None));
    assert!(cut.bytes < 100_000, "cut short after {} B", cut.bytes);
    assert!(cut.cut_at.unwrap() > cut.at);
    assert!(cut.at.as_secs_f64() >= end);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_read_back_as_the_log_and_the_clock_start_is_the_first_request() {
    let origin = Origin::serve(root_with_blob(10_000)).await;
    let trace = Trace::new("t", vec![Period { duration_ms: 10_000.0, bandwidth_kbps: 8000.0, latency_ms: 10.0 }]).unwrap();
    let shaper = Shaper::start(SocketAddr::from(([127, 0, 0, 1], 0)), &origin.base, ShaperConfig::new(trace)).await.unwrap();
    assert!(shaper.clock_start().is_none(), "no request yet");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = std::time::Instant::now();
    get(shaper.addr(), "/blob.bin", None).await;
    let start = shaper.clock_start().unwrap();
    assert!(start >= before && start - before < Duration::from_millis(50), "clock started {:?} after the request was sent", start - before);
    let log = shaper.log();
    assert_eq!(log.len(), 1);
    // Times are written to the microsecond.
    let us = |t: Option<Duration>| t.map(|t| t.as_micros());
    for r in log {
        let back = RequestLog::from_tsv(&r.tsv()).unwrap();
        assert_eq!((back.request.as_str(), back.status, back.bytes), (r.request.as_str(), r.status, r.bytes));
        for (a, b) in [(back.at, r.at), (back.headers_at.unwrap(), r.headers_at.unwrap()), (back.done_at.unwrap(), r.done_at.unwrap())] {
            assert!(a.as_micros().abs_diff(b.as_micros()) <= 1, "{a:?} vs {b:?}");
        }
        assert_eq!((us(back.cut_at), us(r.cut_at)), (None, None));
    }
    assert_eq!(RequestLog::from_tsv(LOG_HEADER), None);
}
