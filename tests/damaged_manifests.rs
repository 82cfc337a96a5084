//! Manifests that disagree with their server: each once made the player sit idle forever
//! (issue 11, item 0). A gap or a missing fragment is something the clock passes or the
//! session ends on, within bounded time.

mod common;

use std::path::PathBuf;

use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::session::{PlayerConfig, Session};

/// A copy of the demo with its manifest edited by `edit`.
fn damaged_demo(name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smoothplay-damaged-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_dir(&smoothplay_testkit::repo_root().join("assets/demo.ism"), &dir);
    let manifest = dir.join("Manifest");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit applies");
    std::fs::write(&manifest, edited).unwrap();
    dir
}

fn untimed_max() -> PlayerConfig {
    common::untimed(LevelPin::Max)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_list_running_past_the_files_ends_after_the_last_file() {
    // `r="20"` on the last video chunk: 19 fragments the server does not have.
    let dir = damaged_demo("r20", |m| m.replacen(r#"<c n="9" d="20000000" />"#, r#"<c n="9" d="20000000" r="20" />"#, 1));
    let p = common::play(&dir.display().to_string(), untimed_max()).await; // bounded by common::play
    assert_eq!(p.stats.video.frames_decoded, 500, "every frame there is");
    assert_eq!(p.stats.skipped_fragments.len(), 19, "each missing fragment reported once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_time_jumping_far_ahead_is_crossed_or_ended_on() {
    // One `t` 2^40 ticks (30 hours) ahead: the fragments from there have other names.
    let dir = damaged_demo("tjump", |m| m.replacen(r#"<c n="5" d="20000000" />"#, r#"<c n="5" t="1099511627776" d="20000000" />"#, 1));
    let p = common::play(&dir.display().to_string(), untimed_max()).await;
    assert_eq!(p.stats.video.frames_decoded, 250, "the first 10 s of video");
    assert_eq!(p.stats.skipped_fragments.len(), 5);
    assert!(p.stats.audio.samples_decoded > 19 * 48_000, "audio plays to its end");
}

#[tokio::test]
async fn a_timescale_stretching_fragments_to_months_is_refused_with_a_clear_error() {
    let dir = damaged_demo("ts3", |m| m.replacen("<SmoothStreamingMedia ", r#"<SmoothStreamingMedia TimeScale="3" "#, 1));
    let err = match Session::open(&dir.display().to_string(), PlayerConfig::default()).await {
        Ok(_) => panic!("a presentation of months must not open"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("implausible timescale") && err.contains("TimeScale 3"), "{err}");
}
