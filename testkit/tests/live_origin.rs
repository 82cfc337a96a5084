//! The simulated live origin, checked over loopback with the engine's HTTP client,
//! manifest parser and fragment parser. The clock is frozen (`wall_clock: false`) and
//! moved with `advance()`, except in the one test about the wall clock.

use std::time::Duration;

use bytes::Bytes;
use smoothplay_engine::fmp4::{parse_fragment, BoxType, Fragment, TfrfEntry, Tfxd};
use smoothplay_engine::io::{ByteSource, FetchError, HttpConfig, HttpSource, Limits, RetryPolicy};
use smoothplay_engine::manifest::{Manifest, StreamKind};
use smoothplay_testkit::live_origin::{LiveConfig, LiveOrigin, Style};

const S: u64 = 10_000_000;
/// Demo loop period: the audio's total duration (longer than the video's 20 s).
const P: u64 = 200_106_666;
const AUDIO_D: [u64; 10] = [20053333, 20053333, 20053334, 19840000, 20053333, 20053333, 20053334, 19840000, 20053333, 20053333];
const DELAY: u64 = 5_000_000;

fn video(base: u64, g: u64) -> (u64, u64) {
    (base + (g / 10) * P + (g % 10) * 2 * S, 2 * S)
}

fn audio(base: u64, g: u64) -> (u64, u64) {
    let k = (g % 10) as usize;
    (base + (g / 10) * P + AUDIO_D[..k].iter().sum::<u64>(), AUDIO_D[k])
}

fn frozen() -> LiveConfig {
    LiveConfig { wall_clock: false, ..LiveConfig::default() }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn client() -> HttpSource {
    let config = HttpConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy { max_attempts: 1, ..RetryPolicy::default() },
        ..HttpConfig::default()
    };
    HttpSource::new(config).expect("http client")
}

async fn get(url: &str) -> Result<Bytes, u16> {
    match client().fetch(url, Limits::default()).await {
        Ok(f) => Ok(f.body),
        Err(FetchError::Status { status, .. }) => Err(status),
        Err(e) => panic!("{url}: {e}"),
    }
}

async fn manifest(o: &LiveOrigin) -> Manifest {
    let body = get(&o.manifest_url()).await.expect("manifest");
    Manifest::parse(&body).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&body)))
}

/// (t, d) of the chunks of the first stream of `kind`.
fn chunks(m: &Manifest, kind: StreamKind) -> Vec<(u64, u64)> {
    let s = m.streams_of(kind).next().expect("stream");
    s.chunks.iter().map(|c| (c.start.ticks, c.duration.expect("d").ticks)).collect()
}

async fn fragment(o: &LiveOrigin, kind: &str, bitrate: u64, start: u64) -> Result<Fragment, u16> {
    let body = get(&o.fragment_url(kind, bitrate, start)).await?;
    Ok(parse_fragment(body).expect("rewritten fragment parses"))
}

fn source_fragment(level: &str, name: &str) -> Fragment {
    let path = smoothplay_testkit::repo_root().join("assets/demo.ism").join(level).join(name);
    parse_fragment(Bytes::from(std::fs::read(path).expect("demo fragment"))).expect("demo fragment parses")
}

fn tfrf(entries: &[(u64, u64)]) -> Vec<TfrfEntry> {
    entries.iter().map(|&(start, duration)| TfrfEntry { start, duration }).collect()
}

fn free_boxes(f: &Fragment) -> Vec<u64> {
    f.unknown_boxes.iter().filter(|b| b.box_type == BoxType::fourcc(b"free")).map(|b| b.size).collect()
}

#[tokio::test]
async fn manifest_is_live_and_grows_with_the_clock() {
    let o = LiveOrigin::demo(frozen()).await.unwrap();
    let m = manifest(&o).await;
    assert!(m.is_live);
    assert_eq!(m.lookahead_count, Some(2));
    assert_eq!(m.dvr_window_length.map(|d| d.ticks), Some(30 * S));
    assert_eq!(m.duration, None);
    assert!(chunks(&m, StreamKind::Video).is_empty(), "nothing is available at start");
    let levels: Vec<u64> = m.streams_of(StreamKind::Video).next().unwrap().levels.iter().map(|l| l.bitrate).collect();
    assert_eq!(levels, [250000, 500000, 1200000], "quality levels copied from the source");
    assert_eq!(m.streams_of(StreamKind::Audio).next().unwrap().levels[0].codec_private_data, [0x11, 0x90, 0x56, 0xe5, 0x00]);

    // 10.5 s: video 0..=4 and audio 0..=3 available; the newest two of each withheld.
    o.advance(secs(10.5));
    let m = manifest(&o).await;
    assert_eq!(chunks(&m, StreamKind::Video), (0..3).map(|g| video(0, g)).collect::<Vec<_>>());
    assert_eq!(chunks(&m, StreamKind::Audio), (0..2).map(|g| audio(0, g)).collect::<Vec<_>>());
    assert_eq!(o.available("video").len(), 5);
    assert_eq!(o.available("audio").len(), 4);

    o.advance(secs(2.0));
    let m = manifest(&o).await;
    assert_eq!(chunks(&m, StreamKind::Video), (0..4).map(|g| video(0, g)).collect::<Vec<_>>());

    // Past the end of the source: the loop continues at P.
    o.advance(secs(16.0)); // 28.5 s: video 0..=12 available
    let v = chunks(&manifest(&o).await, StreamKind::Video);
    assert_eq!(v.last(), Some(&video(0, 10)));
    assert_eq!(video(0, 10).0, P);
    assert_eq!(o.manifest_requests(), 4);
    assert_eq!(o.requests_matching("Manifest"), 4);
    assert!(o.log().iter().all(|e| e.status == 200));
}

#[tokio::test]
async fn the_window_slides_and_old_fragments_are_gone() {
    let o = LiveOrigin::demo(LiveConfig { window: Duration::from_secs(10), ..frozen() }).await.unwrap();
    o.advance(secs(40.5));
    let now = 405_000_000;
    assert_eq!(o.now_ticks(), now);
    let avail = o.available("video");
    // Retained: ends at or after now - 10 s; available: ends by now - 0.5 s.
    assert!(avail.iter().all(|p| p.start + p.duration >= now - 10 * S && p.available_at <= now));
    let first = avail[0].index;
    let last = avail.last().unwrap().index;
    assert!(video(0, first - 1).0 + 2 * S < now - 10 * S);
    assert!(video(0, last + 1).0 + 2 * S + DELAY > now);
    let m = manifest(&o).await;
    let v = chunks(&m, StreamKind::Video);
    assert_eq!(v, (first..=last - 2).map(|g| video(0, g)).collect::<Vec<_>>());
    assert_eq!(m.dvr_window_length.map(|d| d.ticks), Some(10 * S));

    assert_eq!(fragment(&o, "video", 250000, 0).await.unwrap_err(), 404, "slid out of the window");
    assert_eq!(fragment(&o, "video", 250000, video(0, first - 1).0).await.unwrap_err(), 404);
    assert!(fragment(&o, "video", 250000, video(0, first).0).await.is_ok());

    o.advance(secs(4.0));
    let later = chunks(&manifest(&o).await, StreamKind::Video);
    assert_eq!(later[0], video(0, first + 2));
    assert_eq!(fragment(&o, "video", 250000, video(0, first).0).await.unwrap_err(), 404);
}

#[tokio::test]
async fn a_fragment_is_missing_until_available() {
    for status in [404u16, 412] {
        let o = LiveOrigin::demo(LiveConfig { not_available_status: status, ..frozen() }).await.unwrap();
        o.advance(secs(10.4));
        // Video 4 ends at 10 s: available at 10.5 s.
        let (t, _) = video(0, 4);
        assert_eq!(fragment(&o, "video", 500000, t).await.unwrap_err(), status);
        assert_eq!(fragment(&o, "video", 500000, t + 1).await.unwrap_err(), status, "not a fragment start");
        o.advance(secs(0.1));
        assert_eq!(fragment(&o, "video", 500000, t).await.unwrap().tfxd, Some(Tfxd { start: t, duration: 2 * S }));
        assert_eq!(fragment(&o, "video", 123, t).await.unwrap_err(), 404, "unknown level");
        let log = o.log();
        assert_eq!(log.iter().map(|e| e.status).collect::<Vec<_>>(), [status, status, 200, 404]);
        assert_eq!(log[2].clock, 105_000_000);
        assert!(log[0].path.ends_with("QualityLevels(500000)/Fragments(video=80000000)"));
    }
}

#[tokio::test]
async fn iis_style_every_fragment_has_a_tfrf_of_what_is_available() {
    let o = LiveOrigin::demo(LiveConfig { style: Style::Iis, ..frozen() }).await.unwrap();
    o.advance(secs(12.5)); // video 0..=5 available
    let src = source_fragment("QualityLevels(250000)", "Fragments(video=60000000)");
    let f = fragment(&o, "video", 250000, video(0, 3).0).await.unwrap();
    assert_eq!(f.tfxd, Some(Tfxd { start: 60_000_000, duration: 20_000_000 }));
    assert_eq!(f.tfrf, tfrf(&[video(0, 4), video(0, 5)]));
    assert_eq!(f.samples, src.samples, "sample bytes still found through the trun data offset");
    assert_eq!(f.sequence_number, 4);
    assert_eq!(f.tfdt, None);
    let f = fragment(&o, "video", 250000, video(0, 4).0).await.unwrap();
    assert_eq!(f.tfrf, tfrf(&[video(0, 5)]));
    let f = fragment(&o, "video", 250000, video(0, 5).0).await.unwrap();
    assert!(f.tfrf.is_empty(), "the newest has an empty tfrf");
    assert!(free_boxes(&f).is_empty());
    assert_eq!(f.samples, source_fragment("QualityLevels(250000)", "Fragments(video=100000000)").samples);

    // Later the same fragment announces more.
    o.advance(secs(2.0));
    let f = fragment(&o, "video", 250000, video(0, 5).0).await.unwrap();
    assert_eq!(f.tfrf, tfrf(&[video(0, 6)]));

    // Audio, across the loop boundary.
    o.advance(secs(14.0)); // 28.5 s
    let (t9, _) = audio(0, 9);
    let f = fragment(&o, "audio", 100711, t9).await.unwrap();
    assert_eq!(f.tfxd, Some(Tfxd { start: t9, duration: AUDIO_D[9] }));
    assert_eq!(f.tfrf, tfrf(&[audio(0, 10), audio(0, 11)]));
    assert_eq!(audio(0, 10).0, P);
    let f = fragment(&o, "audio", 100711, P).await.unwrap();
    assert_eq!(f.samples, source_fragment("QualityLevels(100711)", "Fragments(audio=0)").samples);
    // The video's loop end has a 106666-tick gap before the next loop.
    let f = fragment(&o, "video", 1200000, video(0, 9).0).await.unwrap();
    assert_eq!(f.tfrf[0], TfrfEntry { start: P, duration: 2 * S });
}

#[tokio::test]
async fn ffmpeg_style_reserves_the_tfrf_room_with_free_boxes() {
    let o = LiveOrigin::demo(LiveConfig { style: Style::Ffmpeg, ..frozen() }).await.unwrap();
    o.advance(secs(12.5)); // video 0..=5 available
    let m = manifest(&o).await;
    assert_eq!(chunks(&m, StreamKind::Video).last(), Some(&video(0, 3)), "up to two fragments before the newest");

    let body = get(&o.fragment_url("video", 500000, video(0, 5).0)).await.unwrap();
    let src_len = std::fs::metadata(smoothplay_testkit::repo_root().join("assets/demo.ism/QualityLevels(500000)/Fragments(video=100000000)")).unwrap().len();
    assert_eq!(body.len() as u64, src_len, "same layout as the source: a 61-byte tfrf slot");
    let f = parse_fragment(body).unwrap();
    assert!(f.tfrf.is_empty(), "the newest has no tfrf yet");
    assert_eq!(free_boxes(&f), [61]);
    assert_eq!(f.tfxd, Some(Tfxd { start: video(0, 5).0, duration: 2 * S }));

    let f = fragment(&o, "video", 500000, video(0, 4).0).await.unwrap();
    assert_eq!(f.tfrf, tfrf(&[video(0, 5)]));
    assert_eq!(free_boxes(&f), [16]);
    let f = fragment(&o, "video", 500000, video(0, 3).0).await.unwrap();
    assert_eq!(f.tfrf, tfrf(&[video(0, 4), video(0, 5)]));
    assert!(free_boxes(&f).is_empty());
    assert_eq!(f.samples, source_fragment("QualityLevels(500000)", "Fragments(video=60000000)").samples);
}

#[tokio::test]
async fn without_tfrf_only_the_manifest_shows_growth() {
    for style in [Style::Iis, Style::Ffmpeg] {
        let o = LiveOrigin::demo(LiveConfig { tfrf: false, style, ..frozen() }).await.unwrap();
        o.advance(secs(12.5));
        for g in 0..=5 {
            let f = fragment(&o, "video", 250000, video(0, g).0).await.unwrap();
            assert!(f.tfrf.is_empty());
            assert!(free_boxes(&f).is_empty());
            assert_eq!(f.tfxd.map(|x| x.start), Some(video(0, g).0));
        }
        let f = fragment(&o, "audio", 100711, audio(0, 1).0).await.unwrap();
        assert!(f.tfrf.is_empty());
        assert_eq!(f.samples, source_fragment("QualityLevels(100711)", "Fragments(audio=20053333)").samples);
    }
}

#[tokio::test]
async fn epoch_sized_base_times_are_exact() {
    let base = 16_000_000_000_000_000u64; // > 2^53
    let o = LiveOrigin::demo(LiveConfig { base, ..frozen() }).await.unwrap();
    assert_eq!(o.base(), base);
    o.advance(secs(30.5));
    let m = manifest(&o).await;
    let stream = m.streams_of(StreamKind::Audio).next().unwrap();
    let expect: Vec<(u64, u64)> = (0..20).map(|g| audio(base, g)).filter(|&(t, d)| t + d + DELAY <= base + 305_000_000).collect();
    assert_eq!(chunks(&m, StreamKind::Audio), expect[..expect.len() - 2]);
    // The engine builds the URL from the manifest; the origin finds the fragment by it.
    let (level, chunk) = (&stream.levels[0], stream.chunks.last().unwrap());
    let url = format!("{}{}", o.presentation_url(), stream.fragment_url(level, chunk));
    assert!(url.ends_with(&format!("Fragments(audio={})", chunk.start.ticks)));
    let f = parse_fragment(get(&url).await.unwrap()).unwrap();
    let (t, d) = expect[expect.len() - 3];
    assert_eq!(f.tfxd, Some(Tfxd { start: t, duration: d }));
    assert_eq!(f.tfrf, tfrf(&expect[expect.len() - 2..]));
    assert_eq!(t, base + P + AUDIO_D[..(expect.len() - 13)].iter().sum::<u64>());
    assert_ne!(t as f64 as u64, t, "this start is not representable as f64");
}

#[tokio::test]
async fn pause_and_resume_jump_the_timeline() {
    let o = LiveOrigin::demo(LiveConfig { window: Duration::from_secs(60), ..frozen() }).await.unwrap();
    o.advance(secs(10.5)); // video 0..=4
    o.pause_encoder();
    let before = manifest(&o).await;
    o.advance(secs(20.0));
    let during = manifest(&o).await;
    assert_eq!(chunks(&before, StreamKind::Video), chunks(&during, StreamKind::Video), "no growth while paused");
    assert!(during.is_live);
    assert_eq!(fragment(&o, "video", 250000, video(0, 5).0).await.unwrap_err(), 404);
    let f = fragment(&o, "video", 250000, video(0, 4).0).await.unwrap();
    assert!(f.tfrf.is_empty());

    // 30.5 s: resume 4 s in the future: everything after jumps by 20 + 4 s.
    o.resume_encoder(secs(4.0));
    let jump = 24 * S;
    let (t5, _) = video(0, 5);
    assert_eq!(fragment(&o, "video", 250000, t5 + jump).await.unwrap_err(), 404, "the future fragment is not there yet");
    assert_eq!(fragment(&o, "video", 250000, t5).await.unwrap_err(), 404, "the unshifted time never exists");
    o.advance(secs(6.0)); // 36.5 s: shifted video 5 ends at 36 s
    assert!(fragment(&o, "video", 250000, t5 + jump).await.is_ok());
    let f = fragment(&o, "video", 250000, video(0, 4).0).await.unwrap();
    assert_eq!(f.tfrf, tfrf(&[(t5 + jump, 2 * S)]), "tfrf walks across the jump");
    o.advance(secs(4.0));
    let v = chunks(&manifest(&o).await, StreamKind::Video);
    let expect: Vec<(u64, u64)> = (0..=5).map(|g| video(0, g)).map(|(t, d)| if t >= t5 { (t + jump, d) } else { (t, d) }).collect();
    assert_eq!(v, expect, "the manifest shows the gap");
    let a = chunks(&manifest(&o).await, StreamKind::Audio);
    assert!(a.windows(2).any(|w| w[1].0 - (w[0].0 + w[0].1) == jump), "audio jumps by the same amount: {a:?}");
}

#[tokio::test]
async fn failover_resume_starts_with_an_empty_manifest() {
    let o = LiveOrigin::demo(LiveConfig { resume_forgets_history: true, window: Duration::from_secs(60), ..frozen() }).await.unwrap();
    o.advance(secs(10.5));
    o.pause_encoder();
    o.advance(secs(5.0));
    o.resume_encoder(Duration::ZERO);
    let m = manifest(&o).await;
    assert!(m.is_live);
    assert!(chunks(&m, StreamKind::Video).is_empty());
    assert!(chunks(&m, StreamKind::Audio).is_empty());
    assert!(fragment(&o, "video", 250000, video(0, 2).0).await.is_ok(), "old fragments are still served");
    o.advance(secs(10.0));
    let v = chunks(&manifest(&o).await, StreamKind::Video);
    assert!(!v.is_empty());
    assert_eq!(v[0], (video(0, 5).0 + 5 * S, 2 * S), "only the new encoder's fragments");
}

#[tokio::test]
async fn a_dark_level_misses_new_fragments_only() {
    let o = LiveOrigin::demo(frozen()).await.unwrap();
    o.advance(secs(10.5));
    o.set_level_dark(1200000, true);
    o.advance(secs(2.0)); // video 5 appears
    let (t5, _) = video(0, 5);
    assert_eq!(fragment(&o, "video", 1200000, t5).await.unwrap_err(), 404);
    assert!(fragment(&o, "video", 250000, t5).await.is_ok());
    assert!(fragment(&o, "video", 500000, t5).await.is_ok());
    assert!(fragment(&o, "video", 1200000, video(0, 3).0).await.is_ok(), "published before it went dark");
    assert!(fragment(&o, "audio", 100711, audio(0, 4).0).await.is_ok());
    let m = manifest(&o).await;
    assert_eq!(m.streams_of(StreamKind::Video).next().unwrap().levels.len(), 3, "the manifest still lists it");

    o.advance(secs(0.5));
    o.set_level_dark(1200000, false);
    o.advance(secs(1.5));
    assert!(fragment(&o, "video", 1200000, video(0, 6).0).await.is_ok());
    assert_eq!(fragment(&o, "video", 1200000, t5).await.unwrap_err(), 404, "what was missed stays missing");
}

#[tokio::test]
async fn a_killed_origin_fails_every_request() {
    let o = LiveOrigin::demo(frozen()).await.unwrap();
    o.advance(secs(10.5));
    o.kill();
    assert_eq!(get(&o.manifest_url()).await.unwrap_err(), 503);
    assert_eq!(fragment(&o, "video", 250000, 0).await.unwrap_err(), 503);
    o.revive();
    assert!(fragment(&o, "video", 250000, 0).await.is_ok());
    let statuses: Vec<u16> = o.log().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert_eq!(o.manifest_requests(), 1);
}

#[tokio::test]
async fn end_of_event_turns_the_manifest_on_demand() {
    let o = LiveOrigin::demo(LiveConfig { style: Style::Ffmpeg, ..frozen() }).await.unwrap();
    o.advance(secs(10.5)); // video 0..=4, audio 0..=3
    o.end_event();
    o.advance(secs(60.0));
    let m = manifest(&o).await;
    assert!(!m.is_live);
    assert_eq!(m.lookahead_count, None);
    assert_eq!(m.dvr_window_length, None);
    assert_eq!(m.duration.map(|d| d.ticks), Some(10 * S));
    assert_eq!(chunks(&m, StreamKind::Video), (0..5).map(|g| video(0, g)).collect::<Vec<_>>(), "every retained fragment, none withheld");
    assert_eq!(chunks(&m, StreamKind::Audio), (0..4).map(|g| audio(0, g)).collect::<Vec<_>>());
    assert_eq!(fragment(&o, "video", 250000, video(0, 5).0).await.unwrap_err(), 404, "no new fragments");
    assert!(fragment(&o, "video", 250000, 0).await.is_ok(), "the window no longer slides");
}

#[tokio::test]
async fn the_wall_clock_moves_the_live_edge() {
    let o = LiveOrigin::demo(LiveConfig { wall_clock: true, availability_delay: Duration::ZERO, ..LiveConfig::default() }).await.unwrap();
    // Put video 4's availability (10 s) 300 ms ahead of now.
    let target = 10 * S;
    o.advance(Duration::from_nanos((target - 3_000_000 - o.now_ticks()) * 100));
    let (t4, _) = video(0, 4);
    let first = fragment(&o, "video", 250000, t4).await;
    let clock = o.log()[0].clock;
    if clock < target {
        assert_eq!(first.as_ref().err(), Some(&404));
    }
    let mut ok = first.is_ok();
    for _ in 0..20 {
        if ok {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        ok = fragment(&o, "video", 250000, t4).await.is_ok();
    }
    assert!(ok, "available once the wall clock passed its end");
    assert!(o.now_ticks() >= target);
}

/// Fetches `url`, returning the body and the seconds it took.
async fn timed_get(url: &str) -> (Bytes, f64) {
    let t = std::time::Instant::now();
    let body = get(url).await.expect("fragment");
    (body, t.elapsed().as_secs_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_fragment_takes_its_size_over_the_rate() {
    let o = LiveOrigin::demo(frozen()).await.unwrap();
    o.advance(secs(12.5));
    let (t3, _) = video(0, 3);
    let url = o.fragment_url("video", 500000, t3);
    let (fast, fast_s) = timed_get(&url).await;
    let bits = fast.len() as f64 * 8.0;
    assert!(fast_s < 0.25, "unthrottled: {fast_s} s");

    // ~125 KB at 4 Mbit/s: about 0.25 s.
    let rate = 4_000_000;
    o.set_throttle(Some(rate));
    assert_eq!(o.throttle_for("/live.ism/QualityLevels(500000)/Fragments(video=0)"), Some(rate));
    let (slow, slow_s) = timed_get(&url).await;
    let expect = bits / rate as f64;
    eprintln!("{} bytes at {rate} bit/s: {slow_s:.3} s (expected {expect:.3} s)", slow.len());
    assert_eq!(slow, fast, "the same bytes");
    assert!(slow_s > 0.8 * expect && slow_s < 1.5 * expect + 0.1, "{slow_s} s, expected about {expect} s");

    // The manifest is never throttled; lifting the throttle restores full speed.
    let t = std::time::Instant::now();
    manifest(&o).await;
    assert!(t.elapsed() < Duration::from_millis(250));
    o.set_throttle(None);
    assert!(timed_get(&url).await.1 < 0.25);
    assert!(o.log().iter().all(|e| e.status == 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_can_match_a_pattern_and_change_mid_body() {
    let o = LiveOrigin::demo(frozen()).await.unwrap();
    o.advance(secs(12.5));
    let (t3, _) = video(0, 3);
    // Only the top level is slow: 300 KB at 3 Mbit/s is about 0.8 s.
    o.set_throttle_matching("QualityLevels(1200000)", Some(3_000_000));
    assert_eq!(o.throttle_for("/live.ism/QualityLevels(250000)/Fragments(video=0)"), None);
    let (low, low_s) = timed_get(&o.fragment_url("video", 250000, t3)).await;
    assert!(low_s < 0.25, "another level is not throttled: {low_s} s");
    let (top, top_s) = timed_get(&o.fragment_url("video", 1200000, t3)).await;
    let expect = top.len() as f64 * 8.0 / 3e6;
    eprintln!("{} bytes at 3 Mbit/s: {top_s:.3} s (expected {expect:.3} s); 250k level: {} bytes in {low_s:.3} s", top.len(), low.len());
    assert!(top_s > 0.8 * expect && top_s < 1.5 * expect + 0.1, "{top_s} s, expected about {expect} s");

    // With a link limit too, the lower rate applies.
    o.set_throttle(Some(100_000_000));
    assert_eq!(o.throttle_for("/live.ism/QualityLevels(1200000)/Fragments(video=0)"), Some(3_000_000));
    o.set_throttle(None);

    // A crawl (300 KB at 200 kbit/s: 12 s) lifted after 0.5 s finishes right away.
    o.set_throttle_matching("QualityLevels(1200000)", Some(200_000));
    let url = o.fragment_url("video", 1200000, t3);
    let fetch = tokio::spawn(async move { timed_get(&url).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    o.set_throttle_matching("QualityLevels(1200000)", None);
    let (body, took) = tokio::time::timeout(Duration::from_secs(5), fetch).await.expect("finished after the throttle was lifted").unwrap();
    assert_eq!(body, top);
    assert!(took > 0.4 && took < 1.5, "{took} s");
}
