//! The real engine through the shaping proxy: one short shaped session, as `.ci/run` runs
//! it (issue 12, item 6). The link starts slow and turns fast; the player must play the
//! whole presentation, start low and climb once the link allows. About 12 s of wall time.

use std::time::Duration;

use smoothplay_engine::session::{EndReason, NullAudioSink, NullVideoSink, PlayerConfig, Session};
use smoothplay_heuristics::sim::trace::{Period, Trace};
use smoothplay_shaper::{Shaper, ShaperConfig};
use smoothplay_testkit::origin::Origin;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_plays_through_a_shaped_link_and_follows_it() {
    let origin = Origin::serve(smoothplay_testkit::repo_root().join("tests/fixtures/media")).await;
    // 4 s at 300 kbit/s (the 200 kbit/s level plus audio just fit), then 5 Mbit/s.
    let trace = Trace::new(
        "slow-then-fast",
        vec![Period { duration_ms: 4000.0, bandwidth_kbps: 300.0, latency_ms: 20.0 }, Period { duration_ms: 60_000.0, bandwidth_kbps: 5000.0, latency_ms: 20.0 }],
    )
    .unwrap();
    let shaper = Shaper::start("127.0.0.1:0".parse().unwrap(), origin.base.trim_end_matches('/'), ShaperConfig::new(trace)).await.unwrap();
    let url = format!("{}small.ism/Manifest", shaper.url());
    // A short forward buffer spreads the fetches over the session, as on a long
    // presentation, so that the selector sees both phases of the link.
    let mut config = PlayerConfig::default();
    config.schedule.forward_buffer = Duration::from_secs(4);
    let session = Session::open(&url, config).await.unwrap();
    let stats = tokio::time::timeout(Duration::from_secs(60), session.play(&mut NullVideoSink, &mut NullAudioSink, None, &mut |_| {}))
        .await
        .expect("a 10 s presentation plays within 60 s through the shaped link")
        .unwrap();
    assert_eq!(stats.ended_by, EndReason::Completed);
    assert_eq!(stats.video.frames_decoded, 250, "every frame");
    assert!(stats.skipped_fragments.is_empty(), "{:?}", stats.skipped_fragments);
    let levels: Vec<u64> = stats.video.fragments.iter().map(|f| f.bitrate).collect();
    assert_eq!(levels.first(), Some(&200_000), "starts low on a slow link: {levels:?}");
    assert!(levels.contains(&400_000), "climbs once the link is fast: {levels:?}");
    // Everything came through the proxy, and it saw the fragments.
    let fetched: u64 = stats.video.fragments.iter().chain(stats.audio.fragments.iter()).map(|f| f.bytes).sum();
    assert!(shaper.delivered() >= fetched, "delivered {} < fetched {fetched}", shaper.delivered());
    assert!(shaper.log().iter().any(|r| r.request.contains("Fragments(video=")), "fragments went through the shaper");
}
