//! The real engine's quality selection against a throttled loopback origin.

mod common;

use smoothplay::engine::schedule::LevelPin;
use smoothplay_testkit::origin::{Fault, Origin};
use smoothplay_testkit::repo_root;

async fn levels_played(throttle: Option<u64>, algorithm: &str) -> Vec<u64> {
    let origin = Origin::serve(repo_root().join("assets")).await;
    if let Some(bps) = throttle {
        origin.fault("Fragments(", Fault::Throttle { bits_per_sec: bps });
    }
    let mut config = common::untimed(LevelPin::Auto);
    config.algorithm = algorithm.to_string();
    let p = common::play(&format!("{}demo.ism/Manifest", origin.base), config).await;
    assert_eq!(p.stats.video.frames_decoded, 500);
    p.stats.video.fragments.iter().map(|f| f.bitrate).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selection_follows_the_available_bandwidth() {
    for algorithm in ["smoothplay", "throughput"] {
        // The demo's levels: 250k, 500k, 1200k (+ 100k audio).
        let fast = levels_played(None, algorithm).await;
        assert!(fast[2..].iter().all(|&b| b == 1_200_000), "{algorithm} unthrottled: {fast:?}");
        let slow = levels_played(Some(900_000), algorithm).await;
        eprintln!("{algorithm}: unthrottled {fast:?}, 0.9 Mbit/s {slow:?}");
        assert!(slow[2..].iter().all(|&b| b < 1_200_000), "{algorithm} at 0.9 Mbit/s never fetches 1.2 Mbit/s: {slow:?}");
        assert!(slow.iter().any(|&b| b == 500_000), "{algorithm} at 0.9 Mbit/s uses the 500k level: {slow:?}");
    }
}
