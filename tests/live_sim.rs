//! Live playback against testkit's simulated live origin (loopback, real time, short).

mod common;

use std::time::Duration;

use smoothplay::engine::session::{PlayerConfig, PlayerEvent};
use smoothplay_testkit::live_origin::{LiveConfig, LiveOrigin, Style};

async fn origin(config: LiveConfig) -> LiveOrigin {
    let o = LiveOrigin::demo(config).await.expect("start the simulated live origin");
    o.advance(Duration::from_secs(30)); // a window of past fragments to join
    o
}

fn follow_for(secs: u64) -> PlayerConfig {
    PlayerConfig { play_for: Some(Duration::from_secs(secs)), ..PlayerConfig::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_edge_of_an_iis_style_origin_without_stalls() {
    let o = origin(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await;
    let p = common::play(&o.manifest_url(), follow_for(10)).await;
    let live = p.stats.live.as_ref().expect("live stats");
    eprintln!("{:?} rebuffers {:?} frames {}", live.edge_distance_ms, p.stats.rebuffer, p.stats.video.frames_decoded);
    assert_eq!(p.stats.rebuffer.count, 0);
    assert!(live.edge_distance_ms.mean <= 4000.0, "{:?}", live.edge_distance_ms);
    assert!(live.samples.len() >= 8, "{}", live.samples.len());
    assert!(p.stats.video.frames_decoded >= 240, "{}", p.stats.video.frames_decoded);
    assert!(!p.events.iter().any(|e| matches!(e, PlayerEvent::FragmentSkipped { .. })), "{:?}", p.events);
}
