//! Origin failover over real HTTP: the primary origin serves the manifest but answers
//! 503 for every fragment; a `FailoverSource` over `HttpSource` gets them from the
//! second origin and stays there.

use std::sync::Arc;
use std::time::Duration;

use smoothplay_engine::io::{ByteSource, FailoverSource, FetchError, HttpConfig, HttpSource, Limits, RetryPolicy};
use smoothplay_engine::manifest::{Manifest, StreamKind};
use smoothplay_testkit::origin::{Fault, Origin};
use smoothplay_testkit::repo_root;

fn fast_http() -> Arc<dyn ByteSource> {
    let config = HttpConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy { max_attempts: 2, initial_backoff: Duration::from_millis(10), max_backoff: Duration::from_millis(20) },
        ..HttpConfig::default()
    };
    Arc::new(HttpSource::new(config).expect("http client"))
}

#[tokio::test]
async fn fragments_come_from_the_second_origin_when_the_first_fails() {
    let root = repo_root().join("assets");
    let primary = Origin::serve(root.clone()).await;
    let fallback = Origin::serve(root.clone()).await;
    primary.fault("QualityLevels", Fault::Status { status: 503, times: 1000 });

    let a = format!("{}demo.ism/", primary.base);
    let b = format!("{}demo.ism/", fallback.base);
    let source = FailoverSource::new(fast_http(), a.clone(), [b.clone()]);

    let manifest_bytes = source.fetch(&format!("{a}Manifest"), Limits::default()).await.expect("manifest from the primary").body;
    assert_eq!(source.switches(), 0, "the manifest is served by the primary");
    assert_eq!(primary.requests_matching("/Manifest"), 1);
    let manifest = Manifest::parse(&manifest_bytes).expect("manifest parses");

    let video = manifest.streams_of(StreamKind::Video).next().expect("a video stream");
    let level = &video.levels[0];
    let urls: Vec<String> = video.chunks.iter().take(3).map(|c| video.fragment_url(level, c)).collect();
    for rel in &urls {
        let fetched = source.fetch(&format!("{a}{rel}"), Limits::default()).await.unwrap_or_else(|e| panic!("{rel}: {e}"));
        let on_disk = std::fs::read(root.join("demo.ism").join(rel)).expect("fragment file");
        assert_eq!(fetched.body.len(), on_disk.len(), "{rel}: body is the file");
        assert!(fetched.body[..] == on_disk[..], "{rel}: body is the file");
    }

    // One move, and it stuck: the primary saw only the first fragment (twice, the inner
    // source's retry), the fallback served all of them.
    assert_eq!(source.switches(), 1);
    assert_eq!(source.current_origin(), b);
    let moves = source.take_switches();
    assert_eq!(moves.len(), 1);
    assert_eq!((moves[0].from.as_str(), moves[0].to.as_str()), (a.as_str(), b.as_str()));
    assert!(matches!(moves[0].cause, FetchError::Status { status: 503, .. }), "{:?}", moves[0].cause);
    assert_eq!(primary.requests_matching("QualityLevels"), 2, "primary log: {:?}", primary.log());
    assert_eq!(fallback.requests_matching("QualityLevels"), urls.len(), "fallback log: {:?}", fallback.log());
    assert!(fallback.log().iter().all(|(_, status)| *status == 200));

    // Progress-reporting fetches take the same route (straight to the fallback now).
    let rel = video.fragment_url(level, &video.chunks[3]);
    let fetched = source.fetch_with_progress(&format!("{a}{rel}"), Limits::default(), Box::new(|_| {})).await.expect("with progress");
    assert!(!fetched.body.is_empty());
    assert_eq!(primary.requests_matching("QualityLevels"), 2);
    assert_eq!(fallback.requests_matching("QualityLevels"), urls.len() + 1);
}

#[tokio::test]
async fn a_missing_fragment_is_not_a_reason_to_move() {
    let root = repo_root().join("assets");
    let primary = Origin::serve(root.clone()).await;
    let fallback = Origin::serve(root).await;
    let a = format!("{}demo.ism/", primary.base);
    let source = FailoverSource::new(fast_http(), a.clone(), [format!("{}demo.ism/", fallback.base)]);
    let err = source.fetch(&format!("{a}QualityLevels(1)/Fragments(video=1)"), Limits::default()).await.unwrap_err();
    assert!(matches!(err, FetchError::Status { status: 404, .. }), "{err:?}");
    assert_eq!(source.switches(), 0);
    assert!(fallback.log().is_empty(), "the fallback is not asked: {:?}", fallback.log());
}
