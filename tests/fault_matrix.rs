//! The fault matrix (README, "Fault matrix"): one test per fault a player can meet on the
//! network or in the content, each against a loopback origin (testkit's `Origin`, its
//! raw-TCP `RawOrigin` for malformed HTTP, or its TLS origin).
//!
//! What each asserts: what the player does (retry, skip with a report, move to another
//! origin, or a typed error naming the URL) and, for faults during playback, that
//! nothing decoded before the fault is lost: the frames before it are the clean run's,
//! in order, and every frame decoded is presented.
//!
//! The presentation is tests/fixtures/media/small.ism at its lowest level: 5 video
//! fragments of 2 s (50 frames each, one GOP per fragment), 5 audio fragments.
//! Timeouts are shortened (1 s per attempt) so that stalls end quickly; nothing depends
//! on scheduling luck: bounds asserted are generous upper limits or sleeps' lower limits.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use smoothplay::engine::drm::{DrmError, StaticKeys};
use smoothplay::engine::io::{FetchError, HttpConfig, RetryPolicy};
use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::session::{Error, PlayerConfig, PlayerEvent, Session};
use smoothplay_testkit::origin::{Fault, Origin};
use smoothplay_testkit::raw_origin::{RawFault, RawOrigin};
use smoothplay_testkit::sinks::{RecordingAudio, RecordingVideo};
use smoothplay_testkit::{repo_root, tls};
use tokio::sync::OnceCell;

const MEDIA: &str = "tests/fixtures/media";
const MANIFEST: &str = "small.ism/Manifest";
/// The third video fragment (index 2, frames 100..150) at the level played.
const VIDEO_2: &str = "QualityLevels(200000)/Fragments(video=40000000)";
const FRAMES: usize = 250;
const PER_FRAGMENT: usize = 50;
/// Per-attempt limit in these tests.
const ATTEMPT: Duration = Duration::from_secs(1);

fn root() -> std::path::PathBuf {
    repo_root().join(MEDIA)
}

/// Untimed, lowest level, 3 attempts with short backoff, 1 s per attempt.
fn config() -> PlayerConfig {
    let mut c = common::untimed(LevelPin::Min);
    c.http = HttpConfig {
        request_timeout: ATTEMPT,
        retry: RetryPolicy { max_attempts: 3, initial_backoff: Duration::from_millis(20), max_backoff: Duration::from_millis(50) },
        ..HttpConfig::default()
    };
    c
}

/// The clean run's frame md5s (once per test binary).
async fn clean() -> &'static [String] {
    static CLEAN: OnceCell<Vec<String>> = OnceCell::const_new();
    CLEAN
        .get_or_init(|| async {
            let o = Origin::serve(root()).await;
            let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
            assert_eq!(p.stats.video.frames_decoded as usize, FRAMES);
            common::md5s(&p)
        })
        .await
}

/// Nothing buffered lost: every decoded frame was presented, the frames are the clean
/// run's with the fragments in `skipped` (video indices) left out, in order.
async fn assert_clean_but(p: &common::Played, skipped: &[usize]) {
    let clean = clean().await;
    let expected: Vec<&String> = clean.iter().enumerate().filter(|(i, _)| !skipped.contains(&(i / PER_FRAGMENT))).map(|(_, m)| m).collect();
    let got = common::md5s(p);
    assert_eq!(got.len(), expected.len(), "frames decoded: {} (skipped video fragments {skipped:?})", got.len());
    assert!(got.iter().zip(&expected).all(|(a, b)| a == *b), "the frames are the clean run's, in order");
    assert_eq!(p.video.presented.lock().unwrap().len(), got.len(), "every decoded frame presented");
    let reported: Vec<usize> = p.stats.skipped_fragments.iter().filter(|s| s.track == "video").map(|s| s.index).collect();
    assert_eq!(reported, skipped, "skips reported: {:?}", p.stats.skipped_fragments);
    for &i in skipped {
        assert!(p.events.iter().any(|e| matches!(e, PlayerEvent::FragmentSkipped { track, index, .. } if track == "video" && *index == i)), "FragmentSkipped for video {i}");
    }
}

async fn open_err(url: &str, c: PlayerConfig) -> Error {
    match Session::open(url, c).await {
        Ok(_) => panic!("{url} opened"),
        Err(e) => e,
    }
}

fn fetch_err(e: Error) -> FetchError {
    match e {
        Error::ManifestFetch(f) => f,
        other => panic!("expected a manifest fetch error, got {other}"),
    }
}

// ---- HTTP status on the manifest -------------------------------------------------------

/// A 4xx on the manifest: final at once (one request), the status and the URL named.
async fn manifest_4xx_is_final(code: u16) {
    let o = Origin::serve(root()).await;
    o.fault("Manifest", Fault::Status { status: code, times: 99 });
    let url = format!("{}{MANIFEST}", o.base);
    let e = open_err(&url, config()).await;
    let text = e.to_string();
    assert!(matches!(fetch_err(e), FetchError::Status { status, url: u } if status == code && u == url));
    assert!(text.contains(&url) && text.contains(&code.to_string()), "{text}");
    assert_eq!(o.requests_matching("Manifest"), 1, "not retried");
}

#[tokio::test]
async fn manifest_http_400_is_final() {
    manifest_4xx_is_final(400).await;
}
#[tokio::test]
async fn manifest_http_403_is_final() {
    manifest_4xx_is_final(403).await;
}
#[tokio::test]
async fn manifest_http_404_is_final() {
    manifest_4xx_is_final(404).await;
}
#[tokio::test]
async fn manifest_http_410_is_final() {
    manifest_4xx_is_final(410).await;
}
#[tokio::test]
async fn manifest_http_412_is_final() {
    manifest_4xx_is_final(412).await;
}

/// A 5xx on the manifest: retried (3 attempts), then a typed error; a transient one opens.
async fn manifest_5xx_is_retried(code: u16) {
    let o = Origin::serve(root()).await;
    o.fault("small.ism/Manifest", Fault::Status { status: code, times: 99 });
    let e = fetch_err(open_err(&format!("{}{MANIFEST}", o.base), config()).await);
    assert!(matches!(e, FetchError::Status { status, .. } if status == code), "{e}");
    assert_eq!(o.requests_matching("small.ism/Manifest"), 3, "three attempts");
    let o = Origin::serve(root()).await;
    o.fault("small.ism/Manifest", Fault::Status { status: code, times: 2 });
    Session::open(&format!("{}{MANIFEST}", o.base), config()).await.expect("the third attempt opens");
}

#[tokio::test]
async fn manifest_http_500_is_retried() {
    manifest_5xx_is_retried(500).await;
}
#[tokio::test]
async fn manifest_http_502_is_retried() {
    manifest_5xx_is_retried(502).await;
}
#[tokio::test]
async fn manifest_http_503_is_retried() {
    manifest_5xx_is_retried(503).await;
}
#[tokio::test]
async fn manifest_http_504_is_retried() {
    manifest_5xx_is_retried(504).await;
}

#[tokio::test]
async fn manifest_http_429_waits_retry_after() {
    let o = Origin::serve(root()).await;
    o.fault("Manifest", Fault::RetryAfter { status: 429, seconds: 1, times: 1 });
    let t = Instant::now();
    Session::open(&format!("{}{MANIFEST}", o.base), config()).await.expect("opens after waiting");
    assert!(t.elapsed() >= Duration::from_secs(1), "waited Retry-After (the backoff is 20 ms): {:?}", t.elapsed());
    assert_eq!(o.requests_matching("Manifest"), 2);
}

#[tokio::test]
async fn manifest_http_429_retry_after_is_capped() {
    let o = Origin::serve(root()).await;
    o.fault("Manifest", Fault::RetryAfter { status: 429, seconds: 3600, times: 99 });
    let mut c = config();
    c.http.max_retry_after = Duration::from_millis(300);
    let t = Instant::now();
    let e = fetch_err(open_err(&format!("{}{MANIFEST}", o.base), c).await);
    assert!(matches!(e, FetchError::Status { status: 429, .. }), "{e}");
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(600) && took < Duration::from_secs(30), "two capped waits, not an hour: {took:?}");
    assert_eq!(o.requests_matching("Manifest"), 3);
}

// ---- HTTP status on a fragment ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_http_5xx_transient_is_retried_and_played() {
    let o = Origin::serve(root()).await;
    o.fault("Fragments(video=0)", Fault::Status { status: 500, times: 2 });
    o.fault("Fragments(video=20000000)", Fault::Status { status: 502, times: 2 });
    o.fault(VIDEO_2, Fault::Status { status: 503, times: 2 });
    o.fault("Fragments(video=60000000)", Fault::Status { status: 504, times: 2 });
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 3, "two 503s then the fragment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_http_5xx_persistent_is_skipped_with_a_report() {
    let o = Origin::serve(root()).await;
    o.fault(VIDEO_2, Fault::Status { status: 500, times: 99 });
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[2]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 3, "three attempts");
    let s = &p.stats.skipped_fragments[0];
    assert!(s.url.ends_with(VIDEO_2) && s.error.contains("500"), "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_http_4xx_is_skipped_without_retry() {
    for code in [400, 403, 404, 410, 412] {
        let o = Origin::serve(root()).await;
        o.fault(VIDEO_2, Fault::Status { status: code, times: 99 });
        let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
        assert_clean_but(&p, &[2]).await;
        assert_eq!(o.requests_matching(VIDEO_2), 1, "{code} is not retried");
        assert!(p.stats.skipped_fragments[0].error.contains(&code.to_string()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_http_429_waits_retry_after_and_plays() {
    let o = Origin::serve(root()).await;
    o.fault(VIDEO_2, Fault::RetryAfter { status: 429, seconds: 1, times: 1 });
    let t = Instant::now();
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert!(t.elapsed() >= Duration::from_secs(1), "waited Retry-After");
    assert_clean_but(&p, &[]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_5xx_persistent_moves_to_the_fallback_origin() {
    let primary = Origin::serve(root()).await;
    let fallback = Origin::serve(root()).await;
    primary.fault(VIDEO_2, Fault::Status { status: 503, times: 99 });
    let mut c = config();
    c.origin_fallbacks = vec![format!("{}small.ism/", fallback.base)];
    let p = common::play(&format!("{}{MANIFEST}", primary.base), c).await;
    assert_clean_but(&p, &[]).await;
    assert!(p.events.iter().any(|e| matches!(e, PlayerEvent::OriginSwitched { to, .. } if to.starts_with(&fallback.base))), "OriginSwitched");
    assert!(fallback.requests_matching(VIDEO_2) >= 1);
}

// ---- connections -----------------------------------------------------------------------

#[tokio::test]
async fn manifest_connection_refused_is_a_connection_error() {
    // A port bound then released: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/{MANIFEST}");
    let e = open_err(&url, config()).await;
    assert!(e.to_string().contains(&url), "{e}");
    assert!(matches!(fetch_err(e), FetchError::Connection { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_reset_in_headers_is_retried_and_played() {
    let o = RawOrigin::serve(root()).await;
    o.fault(VIDEO_2, RawFault::ResetInHeaders, 2);
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_reset_mid_body_is_retried_and_played() {
    let o = Origin::serve(root()).await;
    o.fault(VIDEO_2, Fault::Reset { times: 2 });
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_body_shorter_than_content_length_is_retried_and_played() {
    let o = RawOrigin::serve(root()).await;
    o.fault(VIDEO_2, RawFault::ShortBody, 2);
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_body_longer_than_content_length_is_cut_at_content_length() {
    let o = RawOrigin::serve(root()).await;
    o.fault("Fragments(video=", RawFault::LongBody { extra: 4096 }, 99);
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 1, "the extra bytes are never read as a body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_trickling_body_times_out_per_attempt_and_is_skipped() {
    let o = RawOrigin::serve(root()).await;
    // 16 bytes every 20 ms: the fragment would take minutes; each attempt ends at 1 s.
    o.fault(VIDEO_2, RawFault::Trickle { piece: 16, every: Duration::from_millis(20) }, 99);
    let t = Instant::now();
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[2]).await;
    assert!(p.stats.skipped_fragments[0].error.contains("timed out"), "{:?}", p.stats.skipped_fragments);
    assert_eq!(o.requests_matching(VIDEO_2), 3);
    assert!(t.elapsed() < Duration::from_secs(30), "bounded: 3 x 1 s + backoff, took {:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_stalled_after_headers_times_out_and_is_skipped() {
    let o = RawOrigin::serve(root()).await;
    o.fault(VIDEO_2, RawFault::StallAfterHeaders, 99);
    let t = Instant::now();
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[2]).await;
    assert!(p.stats.skipped_fragments[0].error.contains("timed out"));
    assert!(t.elapsed() < Duration::from_secs(30), "bounded, took {:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_stalled_before_headers_times_out_once_then_plays() {
    let o = RawOrigin::serve(root()).await;
    o.fault(VIDEO_2, RawFault::StallBeforeHeaders, 1);
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
    assert_eq!(o.requests_matching(VIDEO_2), 2, "a stalled attempt then a good one");
}

#[tokio::test]
async fn manifest_stalled_is_a_timeout_within_the_bound() {
    let o = RawOrigin::serve(root()).await;
    o.fault("Manifest", RawFault::StallBeforeHeaders, 99);
    let t = Instant::now();
    let e = fetch_err(open_err(&format!("{}{MANIFEST}", o.base), config()).await);
    assert!(matches!(e, FetchError::Timeout { .. }), "{e}");
    assert!(t.elapsed() < Duration::from_secs(30), "3 x 1 s + backoff, took {:?}", t.elapsed());
}

// ---- redirects -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_redirect_is_followed() {
    let o = Origin::serve(root()).await;
    o.fault("moved.ism/Manifest", Fault::Redirect(format!("/{MANIFEST}")));
    let s = Session::open(&format!("{}moved.ism/Manifest", o.base), config()).await.expect("followed");
    assert!(s.location().manifest_url().ends_with(&format!("/{MANIFEST}")), "fragments resolve against the target: {}", s.location().manifest_url());
    drop(s);
    assert_eq!(o.requests_matching(MANIFEST), 1);
    // Played through: every fragment comes from where the manifest really is (the path
    // given, moved.ism/, has none).
    let p = common::play(&format!("{}moved.ism/Manifest", o.base), config()).await;
    assert!(p.stats.skipped_fragments.is_empty(), "{:?}", p.stats.skipped_fragments);
    assert_eq!(p.video.presented.lock().unwrap().len(), FRAMES);
    assert_eq!(o.requests_matching("moved.ism/QualityLevels"), 0);
}

#[tokio::test]
async fn manifest_redirect_chain_over_the_limit_is_refused() {
    let o = Origin::serve(root()).await;
    for i in 0..11 {
        o.fault(&format!("/hop{i}/"), Fault::Redirect(format!("/hop{}/{MANIFEST}", i + 1)));
    }
    // Ten hops are followed...
    o.fault("/hop10/", Fault::Redirect(format!("/{MANIFEST}")));
    Session::open(&format!("{}hop1/{MANIFEST}", o.base), config()).await.expect("ten redirects are followed");
    // ...eleven are not.
    let e = fetch_err(open_err(&format!("{}hop0/{MANIFEST}", o.base), config()).await);
    assert!(matches!(&e, FetchError::Redirect { reason, .. } if reason.contains("more than 10 redirects")), "{e}");
    assert!(e.to_string().contains("hop0"), "names the URL: {e}");
}

#[tokio::test]
async fn manifest_redirect_loop_is_refused() {
    let o = Origin::serve(root()).await;
    o.fault("/a/", Fault::Redirect(format!("/b/{MANIFEST}")));
    o.fault("/b/", Fault::Redirect(format!("/a/{MANIFEST}")));
    let e = fetch_err(open_err(&format!("{}a/{MANIFEST}", o.base), config()).await);
    assert!(matches!(&e, FetchError::Redirect { reason, .. } if reason.contains("loop")), "{e}");
    assert!(o.requests_matching("/a/") + o.requests_matching("/b/") <= 3, "refused at the first repeat");
}

#[tokio::test]
async fn https_to_http_redirect_is_refused() {
    let cert = tls::ca_signed();
    let secure = Origin::serve_tls(root(), &cert).await;
    let plain = Origin::serve(root()).await;
    secure.fault("Manifest", Fault::Redirect(format!("{}{MANIFEST}", plain.base)));
    let mut c = config();
    c.http.extra_root_certs = vec![cert.ca_der.clone().unwrap()];
    let e = fetch_err(open_err(&format!("{}{MANIFEST}", secure.base), c).await);
    assert!(matches!(&e, FetchError::Redirect { reason, .. } if reason.contains("https to http")), "{e}");
    assert_eq!(plain.requests_matching("Manifest"), 0, "the http URL is never requested");
}

// ---- encodings, headers, addresses -----------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_encoded_manifest_and_fragments_play() {
    let o = Origin::serve(root()).await;
    o.fault("small.ism/", Fault::Gzip);
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_ignored() {
    let o = Origin::serve(root()).await;
    o.fault("small.ism/", Fault::ContentType("text/html; charset=utf-8".into()));
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
}

#[tokio::test]
async fn huge_response_header_is_a_clear_error() {
    let o = RawOrigin::serve(root()).await;
    o.fault("Manifest", RawFault::HugeHeader(1 << 20), 99);
    let e = fetch_err(open_err(&format!("{}{MANIFEST}", o.base), config()).await);
    assert!(matches!(&e, FetchError::Connection { reason, .. } if reason.contains("too large")), "{e}");
    // A large but sane header (8 KiB, cookies do that) is fine.
    let o = Origin::serve(root()).await;
    o.fault("Manifest", Fault::HugeHeader(8 << 10));
    Session::open(&format!("{}{MANIFEST}", o.base), config()).await.expect("8 KiB header");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_plays() {
    let Ok(o) = Origin::serve_at(root(), "[::1]:0".parse().unwrap()).await else {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    };
    assert!(o.base.starts_with("http://[::1]:"));
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[]).await;
}

// ---- TLS -------------------------------------------------------------------------------

async fn tls_refusal(cert: tls::TestCert) -> (String, FetchError) {
    let o = Origin::serve_tls(root(), &cert).await;
    let url = format!("{}{MANIFEST}", o.base);
    let e = open_err(&url, config()).await;
    let text = e.to_string();
    assert!(text.contains(&url) && text.to_lowercase().contains("certificate"), "names the URL and the certificate: {text}");
    assert_eq!(o.requests_matching("Manifest"), 0, "no request over a refused handshake");
    (text, fetch_err(e))
}

#[tokio::test]
async fn tls_self_signed_certificate_is_refused() {
    let (text, e) = tls_refusal(tls::self_signed()).await;
    assert!(matches!(e, FetchError::Tls { .. }), "{text}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn tls_expired_certificate_is_refused() {
    let (text, e) = tls_refusal(tls::expired()).await;
    assert!(matches!(e, FetchError::Tls { .. }), "{text}");
    assert!(text.to_lowercase().contains("expired"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_trusted_certificate_plays() {
    let cert = tls::ca_signed();
    let o = Origin::serve_tls(root(), &cert).await;
    let mut c = config();
    c.http.extra_root_certs = vec![cert.ca_der.clone().unwrap()];
    let p = common::play(&format!("{}{MANIFEST}", o.base), c).await;
    assert_clean_but(&p, &[]).await;
}

// ---- content ---------------------------------------------------------------------------

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(root().join("small.ism").join(path)).unwrap()
}

/// Offset of the first `fourcc` box header's type field in `data`.
fn find(data: &[u8], fourcc: &[u8; 4]) -> usize {
    data.windows(4).position(|w| w == fourcc).unwrap_or_else(|| panic!("no {}", String::from_utf8_lossy(fourcc)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_box_is_skipped_with_a_report_naming_it() {
    let mut frag = fixture(VIDEO_2);
    // trun's sample_count (after type, version/flags) set to 4 billion.
    let at = find(&frag, b"trun") + 8;
    frag[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let o = Origin::serve(root()).await;
    o.fault(VIDEO_2, Fault::Replace(Bytes::from(frag)));
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[2]).await;
    assert!(p.stats.skipped_fragments[0].error.contains("trun"), "{:?}", p.stats.skipped_fragments);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_box_is_skipped_with_a_report_naming_it() {
    let frag = fixture(VIDEO_2);
    let cut = find(&frag, b"mdat") + 100;
    let o = Origin::serve(root()).await;
    o.fault(VIDEO_2, Fault::Replace(Bytes::copy_from_slice(&frag[..cut])));
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    assert_clean_but(&p, &[2]).await;
    assert!(p.stats.skipped_fragments[0].error.contains("mdat"), "{:?}", p.stats.skipped_fragments);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoder_error_mid_gop_keeps_the_frames_before_it() {
    // Sample 25 of fragment 2's GOP: its slice data after the NAL header garbled.
    let body = Bytes::from(fixture(VIDEO_2));
    let parsed = smoothplay::engine::fmp4::parse_fragment(body.clone()).unwrap();
    assert_eq!(parsed.samples.len(), PER_FRAGMENT);
    let offset = parsed.samples[25].data.as_ptr() as usize - body.as_ptr() as usize;
    let mut frag = body.to_vec();
    let nal_len = u32::from_be_bytes(frag[offset..offset + 4].try_into().unwrap()) as usize;
    frag[offset + 6..offset + 4 + nal_len].fill(0xFF);
    let o = Origin::serve(root()).await;
    o.fault(VIDEO_2, Fault::Replace(Bytes::from(frag)));
    let p = common::play(&format!("{}{MANIFEST}", o.base), config()).await;
    // openh264 rejects the picture: the rest of the fragment is skipped and reported; the
    // 25 frames decoded before it stay, and the next fragment's key frame starts afresh.
    let clean = clean().await;
    let expected: Vec<String> = clean[..125].iter().chain(&clean[150..]).cloned().collect();
    assert_eq!(common::md5s(&p), expected, "the clean run less the damaged picture and the rest of its GOP");
    assert_eq!(p.video.presented.lock().unwrap().len(), expected.len(), "every decoded frame presented");
    let s = &p.stats.skipped_fragments;
    assert!(s.len() == 1 && s[0].index == 2 && s[0].error.contains("decode failed at 5.000s"), "{s:?}");
}

// ---- keys ------------------------------------------------------------------------------

const KID: &str = "00112233445566778899aabbccddeeff";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_key_stops_before_anything_is_shown() {
    let o = Origin::serve(root()).await;
    let s = Session::open(&format!("{}small-piff-ctr.ism/Manifest", o.base), config()).await.unwrap();
    let mut video = RecordingVideo::default();
    let e = s.play(&mut video, &mut RecordingAudio::default(), None, &mut |_| {}).await.unwrap_err();
    assert!(matches!(e, Error::Drm(DrmError::MissingKey { .. })), "{e}");
    assert!(e.to_string().contains(KID), "names the KID: {e}");
    assert!(video.presented.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_stops_before_anything_is_shown() {
    let o = Origin::serve(root()).await;
    let mut s = Session::open(&format!("{}small-piff-ctr.ism/Manifest", o.base), config()).await.unwrap();
    let mut keys = StaticKeys::new();
    keys.insert_pair(&format!("{KID}:2b7e151628aed2a6abf7158809cf4f3d")).unwrap();
    s.set_keys(std::sync::Arc::new(keys));
    let mut video = RecordingVideo::default();
    let e = s.play(&mut video, &mut RecordingAudio::default(), None, &mut |_| {}).await.unwrap_err();
    assert!(matches!(e, Error::WrongKey { .. } | Error::Decryption { .. }), "{e}");
    assert!(video.presented.lock().unwrap().is_empty(), "nothing shown with a wrong key");
}
