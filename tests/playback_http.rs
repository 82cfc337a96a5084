//! Playback over a loopback HTTP origin, with injected faults.

mod common;

use std::time::Duration;

use smoothplay::engine::io::{FetchError, HttpConfig, RetryPolicy};
use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::session::{Error, PlayerConfig, PlayerEvent, Session};
use smoothplay_testkit::origin::{Fault, Origin};
use smoothplay_testkit::repo_root;

async fn origin() -> Origin {
    Origin::serve(repo_root().join("tests/fixtures/media")).await
}

fn fast_retries(mut c: PlayerConfig) -> PlayerConfig {
    c.http = HttpConfig {
        request_timeout: Duration::from_millis(800),
        retry: RetryPolicy { max_attempts: 3, initial_backoff: Duration::from_millis(20), max_backoff: Duration::from_millis(50) },
        ..HttpConfig::default()
    };
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_playback_equals_disk_playback() {
    let o = origin().await;
    let http = common::play(&format!("{}small.ism/Manifest", o.base), common::untimed(LevelPin::Max)).await;
    let disk = common::play(smoothplay_testkit::fixture_media("small.ism").to_str().unwrap(), common::untimed(LevelPin::Max)).await;
    assert_eq!(http.stats.video.frames_decoded, 250);
    assert_eq!(common::md5s(&http), common::md5s(&disk));
    assert_eq!(http.stats.audio.samples_decoded, disk.stats.audio.samples_decoded);
    assert_eq!(http.stats.video.fragments.len(), 5);
    assert!(http.stats.video.fragments.iter().all(|f| f.bitrate == 400_000 && f.bytes > 0));
    assert!(http.stats.skipped_fragments.is_empty());
    // The .ism URL form gets /Manifest appended, as IIS serves it.
    let short = common::play(&format!("{}small.ism", o.base), common::untimed(LevelPin::Min)).await;
    assert_eq!(short.stats.video.frames_decoded, 250);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_resets_are_retried() {
    let o = origin().await;
    o.fault("Fragments(video=40000000)", Fault::Status { status: 503, times: 2 });
    o.fault("Fragments(audio=20053333)", Fault::Reset { times: 1 });
    let p = common::play(&format!("{}small.ism/Manifest", o.base), fast_retries(common::untimed(LevelPin::Min))).await;
    assert_eq!(p.stats.video.frames_decoded, 250, "every frame despite the faults");
    assert!(p.stats.skipped_fragments.is_empty(), "{:?}", p.stats.skipped_fragments);
    assert_eq!(o.requests_matching("Fragments(video=40000000)"), 3, "two 503s then success");
    assert_eq!(o.requests_matching("Fragments(audio=20053333)"), 2, "a reset then success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_fragment_is_skipped_and_playback_continues() {
    let o = origin().await;
    o.fault("QualityLevels(200000)/Fragments(video=40000000)", Fault::Status { status: 404, times: 99 });
    let p = common::play(&format!("{}small.ism/Manifest", o.base), fast_retries(common::untimed(LevelPin::Min))).await;
    assert_eq!(p.stats.video.frames_decoded, 200, "one 2 s fragment (50 frames) lost");
    assert_eq!(p.stats.skipped_fragments.len(), 1);
    let skipped = &p.stats.skipped_fragments[0];
    assert_eq!((skipped.track.as_str(), skipped.index), ("video", 2));
    assert!(skipped.error.contains("404") && skipped.url.contains("Fragments(video=40000000)"), "{skipped:?}");
    assert!(p.events.iter().any(|e| matches!(e, PlayerEvent::FragmentSkipped { index: 2, .. })));
    let last = p.video.frames.lock().unwrap().last().unwrap().pts;
    assert!(last >= Duration::from_millis(9_900), "played on to the end: last frame at {last:?}");
    assert_eq!(o.requests_matching("QualityLevels(200000)/Fragments(video=40000000)"), 1, "404 is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_fragment_times_out_and_is_skipped() {
    let o = origin().await;
    o.fault("Fragments(audio=40106666)", Fault::Delay(Duration::from_secs(3)));
    let mut c = fast_retries(common::untimed(LevelPin::Min));
    c.http.retry.max_attempts = 2;
    let p = common::play(&format!("{}small.ism/Manifest", o.base), c).await;
    assert_eq!(p.stats.skipped_fragments.len(), 1);
    assert!(p.stats.skipped_fragments[0].error.contains("timed out"), "{:?}", p.stats.skipped_fragments);
    assert_eq!(p.stats.video.frames_decoded, 250);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_fragment_is_reported_with_its_box_and_skipped() {
    let o = origin().await;
    let real = std::fs::read(repo_root().join("tests/fixtures/media/small.ism/QualityLevels(200000)/Fragments(video=20000000)")).unwrap();
    o.fault("QualityLevels(200000)/Fragments(video=20000000)", Fault::Replace(bytes::Bytes::from(real[..real.len() / 3].to_vec())));
    let p = common::play(&format!("{}small.ism/Manifest", o.base), common::untimed(LevelPin::Min)).await;
    assert_eq!(p.stats.skipped_fragments.len(), 1, "{:?}", p.stats.skipped_fragments);
    let e = &p.stats.skipped_fragments[0];
    assert!(e.url.contains("Fragments(video=20000000)"));
    assert!(e.error.contains("mdat") || e.error.contains("moof") || e.error.contains("trun"), "error names a box: {}", e.error);
    assert_eq!(p.stats.video.frames_decoded, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_manifests_and_dead_servers_give_typed_errors() {
    let o = origin().await;
    o.fault("broken.ism/Manifest", Fault::Replace(bytes::Bytes::from_static(b"<SmoothStreamingMedia MajorVersion=\"2\"><StreamIndex")));
    match Session::open(&format!("{}broken.ism/Manifest", o.base), PlayerConfig::default()).await {
        Err(Error::Manifest { url, .. }) => assert!(url.ends_with("broken.ism/Manifest")),
        other => panic!("expected a manifest error, got {:?}", other.err()),
    }
    match Session::open(&format!("{}nothing.ism/Manifest", o.base), PlayerConfig::default()).await {
        Err(Error::ManifestFetch(FetchError::Status { status: 404, .. })) => {}
        other => panic!("expected 404, got {:?}", other.err()),
    }
    // Nothing listens on port 9 of loopback (discard): connection refused.
    let c = fast_retries(PlayerConfig::default());
    match Session::open("http://127.0.0.1:9/x.ism/Manifest", c).await {
        Err(Error::ManifestFetch(FetchError::Connection { url, .. })) => assert!(url.contains("127.0.0.1:9")),
        other => panic!("expected a connection error, got {:?}", other.err()),
    }
    match Session::open("gopher://h/x", PlayerConfig::default()).await {
        Err(Error::Location(_)) => {}
        other => panic!("expected a location error, got {:?}", other.err()),
    }
}
