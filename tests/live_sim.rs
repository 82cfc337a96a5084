//! Live playback against testkit's simulated live origin: loopback, real time, each case
//! a few seconds. The origin re-publishes assets/demo.ism as an endless live stream of
//! 2 s fragments (see testkit/src/live_origin.rs).

mod common;

use std::sync::Arc;
use std::time::Duration;

use smoothplay::engine::session::{Command, EndReason, LiveConfig as PlayerLive, LiveStats, PlayerConfig, PlayerEvent};
use smoothplay_testkit::live_origin::{LiveConfig, LiveOrigin, Style};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// A stream that has been running for 30 s (a window of past fragments to join).
async fn origin(config: LiveConfig) -> Arc<LiveOrigin> {
    let o = LiveOrigin::demo(config).await.expect("start the simulated live origin");
    o.advance(Duration::from_secs(30));
    Arc::new(o)
}

fn follow_for(secs: u64) -> PlayerConfig {
    PlayerConfig { play_for: Some(Duration::from_secs(secs)), ..PlayerConfig::default() }
}

fn live(p: &common::Played) -> &LiveStats {
    p.stats.live.as_ref().expect("live stats")
}

fn count(p: &common::Played, pred: impl Fn(&PlayerEvent) -> bool) -> usize {
    p.events.iter().filter(|e| pred(e)).count()
}

fn assert_followed(p: &common::Played, mean_ms: f64) {
    let l = live(p);
    eprintln!("edge distance {:?}, rebuffers {:?}, frames {}, refreshes {}, retries {}", l.edge_distance_ms, p.stats.rebuffer, p.stats.video.frames_decoded, l.manifest_refreshes, l.unavailable_retries);
    assert_eq!(p.stats.rebuffer.count, 0, "no stall");
    assert!(l.edge_distance_ms.mean <= mean_ms, "mean distance {:?} over {mean_ms} ms", l.edge_distance_ms);
    assert!(p.stats.skipped_fragments.is_empty(), "{:?}", p.stats.skipped_fragments);
    for s in &l.samples {
        assert!(s.edge_ms >= s.position_ms, "{s:?}: never ahead of the edge");
    }
}

/// Steps run while playing: after a delay in ms, act on the origin or send a command.
type Script = Vec<(u64, Box<dyn FnOnce(&LiveOrigin, &UnboundedSender<Command>) + Send>)>;

/// Runs `script` (after the given delays) while playing.
async fn play_scripted(o: &Arc<LiveOrigin>, config: PlayerConfig, script: Script) -> common::Played {
    let (tx, rx) = unbounded_channel();
    let origin = o.clone();
    let driver = tokio::spawn(async move {
        for (ms, step) in script {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            step(&origin, &tx);
        }
        tx // kept open until the script ends
    });
    let p = common::play_with(&o.manifest_url(), config, Some(rx), false).await;
    driver.abort();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iis_style_tfrf_carries_the_timeline_with_no_manifest_polling_and_epoch_times() {
    // Epoch-like times above 2^53 stay exact in URLs and on the timeline.
    let o = origin(LiveConfig { style: Style::Iis, base: 16_000_000_000_000_000, ..LiveConfig::default() }).await;
    let p = common::play(&o.manifest_url(), follow_for(8)).await;
    assert_followed(&p, 4000.0);
    let l = live(&p);
    assert!(l.tfrf_entries > 0);
    assert_eq!(l.manifest_refreshes, 0, "tfrf and probing carry the timeline");
    assert_eq!(o.manifest_requests(), 1);
    assert!(p.stats.video.frames_decoded >= 190, "{}", p.stats.video.frames_decoded);
    let first = l.samples.first().expect("samples").position_ms;
    assert!(first >= 1.6e12, "presentation times on the epoch timeline: {first}");
    assert!(o.log().iter().all(|e| e.status == 200 || e.status == 404), "{:?}", o.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_style_origin_is_followed_by_probing_with_manifest_refreshes() {
    let o = origin(LiveConfig { style: Style::Ffmpeg, ..LiveConfig::default() }).await;
    let p = common::play(&o.manifest_url(), follow_for(8)).await;
    assert_followed(&p, 4000.0);
    let l = live(&p);
    assert!(l.unavailable_retries > 0, "the next fragment is asked for before it exists");
    assert!(l.manifest_refreshes >= 2, "the newest fragment carries no tfrf: the manifest is polled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_tfrf_only_refreshes_and_probing_show_growth() {
    let o = origin(LiveConfig { style: Style::Iis, tfrf: false, ..LiveConfig::default() }).await;
    let p = common::play(&o.manifest_url(), follow_for(8)).await;
    assert_followed(&p, 4000.0);
    assert_eq!(live(&p).tfrf_entries, 0);
    assert!(live(&p).manifest_refreshes >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_delay_setting_holds_under_one_fragment_without_stalls() {
    let o = origin(LiveConfig { style: Style::Ffmpeg, ..LiveConfig::default() }).await;
    let config = PlayerConfig { live: PlayerLive { target_delay: Some(Duration::from_millis(1500)), ..PlayerLive::default() }, ..follow_for(12) };
    let p = common::play(&o.manifest_url(), config).await;
    eprintln!("{:?}", live(&p).samples.iter().map(|s| s.edge_ms - s.position_ms).collect::<Vec<_>>());
    assert_followed(&p, 2000.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoder_pause_then_resume_at_a_future_timestamp_is_waited_for_and_crossed() {
    let o = origin(LiveConfig { style: Style::Ffmpeg, ..LiveConfig::default() }).await;
    let config = PlayerConfig { live: PlayerLive { idle_timeout: Duration::from_secs(30), ..PlayerLive::default() }, ..follow_for(9) };
    let script: Script = vec![
        (2000, Box::new(|o, _| o.pause_encoder())),
        // Back after 9 s: its timestamps continue from the wall clock, 9 s on.
        (9000, Box::new(|o, _| o.resume_encoder(Duration::ZERO))),
    ];
    let p = play_scripted(&o, config, script).await;
    let l = live(&p);
    eprintln!("{:?} {:?}", l, p.events.iter().filter(|e| !matches!(e, PlayerEvent::Status(_))).collect::<Vec<_>>());
    assert_eq!(count(&p, |e| matches!(e, PlayerEvent::LiveWaiting)), 1, "waiting reported once");
    assert_eq!(count(&p, |e| matches!(e, PlayerEvent::LiveResumed)), 1);
    assert_eq!(l.discontinuities, 1);
    assert!(p.stats.skipped_fragments.is_empty(), "no attempt to fetch the hole: {:?}", p.stats.skipped_fragments);
    let jump = l.samples.windows(2).map(|w| w[1].position_ms - w[0].position_ms).fold(0.0, f64::max);
    assert!(jump > 5_000.0, "the playhead crossed the jump: {jump} ms");
    assert_eq!(p.stats.ended_by, EndReason::PlayedFor, "playing continued after the jump");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_that_goes_dark_is_replaced_by_the_levels_still_delivering() {
    let o = origin(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await;
    let config = PlayerConfig { schedule: smoothplay::engine::schedule::ScheduleConfig { video_pin: smoothplay::engine::schedule::LevelPin::Max, ..Default::default() }, ..follow_for(8) };
    let script: Script = vec![(1000, Box::new(|o, _| o.set_level_dark(1_200_000, true)))];
    let p = play_scripted(&o, config, script).await;
    assert_followed(&p, 4500.0);
    let rates: Vec<u64> = p.stats.video.fragments.iter().map(|f| f.bitrate).collect();
    assert_eq!(rates.first(), Some(&1_200_000), "{rates:?}");
    assert_eq!(rates.last(), Some(&500_000), "pinned to max, the best level still delivering: {rates:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_player_that_the_window_slid_past_resumes_at_the_window_start() {
    let o = origin(LiveConfig { style: Style::Iis, window: Duration::from_secs(12), ..LiveConfig::default() }).await;
    let script: Script = vec![
        (1500, Box::new(|_, tx| drop(tx.send(Command::Pause)))),
        (500, Box::new(|o, _| o.advance(Duration::from_secs(40)))),
        (2500, Box::new(|_, tx| drop(tx.send(Command::Resume)))),
    ];
    let p = play_scripted(&o, follow_for(5), script).await;
    assert_eq!(count(&p, |e| matches!(e, PlayerEvent::BehindLiveWindow { .. })), 1, "{:?}", p.events);
    assert_eq!(p.stats.ended_by, EndReason::PlayedFor);
    assert!(p.stats.skipped_fragments.is_empty(), "{:?}", p.stats.skipped_fragments);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dvr_seek_back_then_go_live() {
    let o = origin(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await;
    let script: Script = vec![
        // 20 s back (instant replay), then back to live.
        (2500, Box::new(|o, tx| {
            let now_s = (o.now_ticks() - o.base()) as f64 / 1e7;
            drop(tx.send(Command::Seek(Duration::from_secs_f64(now_s - 22.0))));
        })),
        (3500, Box::new(|_, tx| drop(tx.send(Command::GoLive)))),
    ];
    let p = play_scripted(&o, follow_for(8), script).await;
    let l = live(&p);
    let d: Vec<f64> = l.samples.iter().map(|s| s.edge_ms - s.position_ms).collect();
    eprintln!("{d:?}");
    assert!(d.iter().any(|&x| x > 15_000.0), "watched the window well behind the edge: {d:?}");
    assert!(*d.last().unwrap() < 5_000.0, "back at the edge: {d:?}");
    assert_eq!(p.stats.rebuffer.count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_behind_the_edge_and_end_of_event_plays_to_the_end() {
    let o = origin(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await;
    let config = PlayerConfig { live: PlayerLive { start_behind: Some(Duration::from_secs(12)), ..PlayerLive::default() }, ..PlayerConfig::default() };
    let script: Script = vec![(2000, Box::new(|o, _| o.end_event()))];
    let p = play_scripted(&o, config, script).await;
    let l = live(&p);
    let first = l.samples.first().expect("samples");
    assert!((first.edge_ms - first.position_ms - 12_000.0).abs() < 2_500.0, "{first:?}");
    eprintln!("{:?} {:?}", l, p.events.iter().filter(|e| !matches!(e, PlayerEvent::Status(_))).collect::<Vec<_>>());
    assert_eq!(p.stats.ended_by, EndReason::Completed);
    assert!(p.events.iter().any(|e| matches!(e, PlayerEvent::Ended)));
    assert_eq!(p.stats.rebuffer.count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encoder_that_never_returns_ends_the_session_cleanly_after_the_idle_timeout() {
    // Started with nothing published yet: the first manifest lists no chunks (wait, do
    // not fail), then the encoder stops.
    let o = Arc::new(LiveOrigin::demo(LiveConfig::default()).await.expect("origin"));
    // The manifest lists its first chunk after about 6.5 s (two withheld).
    let config = PlayerConfig { live: PlayerLive { idle_timeout: Duration::from_secs(8), ..PlayerLive::default() }, ..PlayerConfig::default() };
    let script: Script = vec![(9000, Box::new(|o, _| o.pause_encoder()))];
    let p = play_scripted(&o, config, script).await;
    assert_eq!(p.stats.ended_by, EndReason::LiveIdle);
    assert!(o.manifest_requests() >= 3, "polled while nothing was listed");
    assert!(p.stats.video.frames_decoded > 0, "played what came before the encoder stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dying_origin_hands_the_session_to_the_fallback_origin() {
    let config = LiveConfig { style: Style::Iis, ..LiveConfig::default() };
    let (primary, backup) = (origin(config.clone()).await, origin(config).await);
    let player = PlayerConfig { origin_fallbacks: vec![backup.presentation_url()], ..follow_for(8) };
    let script: Script = vec![(3000, Box::new(|o, _| o.kill()))];
    let p = play_scripted(&primary, player, script).await;
    assert_followed(&p, 4000.0);
    assert_eq!(live(&p).origin_switches, 1);
    let switched: Vec<_> = p.events.iter().filter(|e| matches!(e, PlayerEvent::OriginSwitched { .. })).collect();
    assert_eq!(switched.len(), 1, "{switched:?}");
    assert!(backup.requests_matching("Fragments(video=") >= 2, "the backup serves the rest");
    assert_eq!(p.stats.ended_by, EndReason::PlayedFor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_gap_before_the_next_fragment_is_found_from_tfrf_without_a_stall() {
    // The looped demo's video has a 10.7 ms gap every 20.0107 s (its audio is longer):
    // the next fragment does not start where the last one ended. Joined at about 34 s, the
    // playback crosses the gap at 40.01 s.
    let o = LiveOrigin::demo(LiveConfig { style: Style::Iis, ..LiveConfig::default() }).await.expect("origin");
    o.advance(Duration::from_secs(38));
    let p = common::play(&o.manifest_url(), follow_for(10)).await;
    let l = live(&p);
    eprintln!("{:?} {:?}", l.edge_distance_ms, p.stats.rebuffer);
    assert!(l.samples.last().unwrap().position_ms > 41_000.0, "crossed the gap: {:?}", l.samples.last());
    assert_eq!(p.stats.rebuffer.count, 0, "{:?}", p.stats.rebuffer);
    assert!(p.stats.skipped_fragments.is_empty(), "{:?}", p.stats.skipped_fragments);
}
