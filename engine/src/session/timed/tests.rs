use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::live::SparsePointer;
use crate::session::catalog::Track;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/media/multitrack.ism")
}

fn manifest() -> Manifest {
    Manifest::parse(&std::fs::read(dir().join("Manifest")).unwrap()).unwrap()
}

fn stream(m: &Manifest, name: &str) -> usize {
    m.streams.iter().position(|s| s.name.as_deref() == Some(name)).unwrap()
}

fn s(secs: f64) -> Duration {
    Duration::from_secs_f64(secs)
}

/// Serves every fetch from the fixture folder, as the runner would.
fn serve(t: &mut TimedTracks, position: Duration) -> usize {
    let fetches = t.next_fetches(position);
    let n = fetches.len();
    for f in fetches {
        let body = std::fs::read(dir().join(&f.relative_url)).map_err(|e| e.to_string());
        t.on_fetched(f.id, body);
    }
    n
}

fn cue_texts(events: &[PlayerEvent]) -> Vec<(f64, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::Cue { cue, .. } => Some((cue.start.as_secs_f64(), cue.text.clone())),
            _ => None,
        })
        .collect()
}

fn marker_times(events: &[PlayerEvent]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            PlayerEvent::Marker { time, .. } => Some(time.as_secs_f64()),
            _ => None,
        })
        .collect()
}

#[test]
fn inline_markers_are_due_at_their_times_and_decoded() {
    let m = manifest();
    let mut t = TimedTracks::new(&m, &Track::list(&m), None);
    assert!(t.next_fetches(Duration::ZERO).is_empty(), "every scte35 entry is inline: nothing to fetch");
    assert!(t.due(s(1.99)).is_empty());
    let at2 = t.due(s(2.0));
    assert_eq!(marker_times(&at2), [2.0]);
    let PlayerEvent::Marker { stream, duration, payload, .. } = &at2[0] else { panic!() };
    assert_eq!((stream.as_str(), *duration), ("scte35", Some(s(2.0))));
    let sum = payload.summary().unwrap();
    assert_eq!((sum.command_type, sum.event_id, sum.out_of_network, sum.duration), (Some(5), Some(1001), Some(true), Some(s(2.0))));
    assert_eq!(marker_times(&t.due(s(6.0))), [4.0, 5.0]);
    assert!(t.due(s(6.0)).is_empty(), "each once");
}

#[test]
fn text_fragments_are_fetched_ahead_and_cues_due_when_reached() {
    let m = manifest();
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    // At most two in flight per stream: the third comes once one is back.
    let first = t.next_fetches(Duration::ZERO);
    assert_eq!(first.iter().map(|f| f.relative_url.as_str()).collect::<Vec<_>>(), ["QualityLevels(1000)/Fragments(captions_eng=0)", "QualityLevels(1000)/Fragments(captions_eng=20000000)"]);
    assert!(t.next_fetches(Duration::ZERO).is_empty());
    for f in first {
        t.on_fetched(f.id, std::fs::read(dir().join(&f.relative_url)).map_err(|e| e.to_string()));
    }
    assert_eq!(serve(&mut t, Duration::ZERO), 1);
    assert_eq!(serve(&mut t, Duration::ZERO), 0, "each fragment once");
    assert!(cue_texts(&t.due(s(0.49))).is_empty());
    assert_eq!(cue_texts(&t.due(s(0.5))), [(0.5, "Hello from camera one.".to_string())]);
    let rest = t.due(s(6.0));
    assert_eq!(cue_texts(&rest), [(2.2, "Two lines:\nthe second line".to_string()), (4.5, "Italic and yellow".to_string())]);
    assert_eq!(t.cue_at(s(4.6)).map(|c| c.spans[0].italic), Some(true));
}

#[test]
fn fragments_beyond_the_lookahead_or_already_past_are_not_fetched() {
    let m = manifest();
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    let urls: Vec<String> = t.next_fetches(s(4.1)).into_iter().map(|f| f.relative_url).collect();
    assert_eq!(urls, ["QualityLevels(1000)/Fragments(captions_eng=40000000)"], "the first two ended before the playhead");
}

#[test]
fn a_fragment_that_is_not_ttml_is_reported_and_skipped() {
    let m = manifest();
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    let fetches = t.next_fetches(Duration::ZERO);
    t.on_fetched(fetches[0].id, Ok(b"this is not a fragment".to_vec()));
    t.on_fetched(fetches[1].id, Err("HTTP status 404".into()));
    let due = t.due(Duration::ZERO);
    assert_eq!(due.len(), 2, "{due:?}");
    assert!(matches!(&due[0], PlayerEvent::FragmentSkipped { track, index: 0, error } if track == "text" && error.contains("captions_eng")), "{due:?}");
    assert!(matches!(&due[1], PlayerEvent::FragmentSkipped { index: 1, error, .. } if error.contains("404")));
    assert_eq!(serve(&mut t, Duration::ZERO), 1, "the third is still fetched");
}

#[test]
fn after_a_seek_cues_still_showing_and_later_markers_are_due_again() {
    let m = manifest();
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    serve(&mut t, Duration::ZERO);
    serve(&mut t, Duration::ZERO);
    assert_eq!(t.due(s(6.0)).len(), 6);
    t.seek(s(3.0));
    let again = t.due(s(3.0));
    assert_eq!(cue_texts(&again), [(2.2, "Two lines:\nthe second line".to_string())], "the cue on screen at 3 s");
    assert!(marker_times(&again).is_empty(), "the marker at 2 s is before the target");
    assert_eq!(marker_times(&t.due(s(6.0))), [4.0, 5.0]);
}

#[test]
fn switching_or_hiding_the_text_track() {
    let m = manifest();
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    serve(&mut t, Duration::ZERO);
    t.set_text(&m, Some(stream(&m, "subtitles_fra")), s(1.0));
    assert_eq!(t.text_track(), Some("subtitles_fra"));
    serve(&mut t, s(1.0));
    serve(&mut t, s(1.0));
    let cues = cue_texts(&t.due(s(2.3)));
    assert_eq!(cues, [(0.5, "Bonjour de la caméra un.".to_string()), (2.2, "Deux lignes :\nla deuxième ligne".to_string())]);
    t.set_text(&m, None, s(2.3));
    assert!(t.next_fetches(s(2.3)).is_empty());
    assert!(cue_texts(&t.due(s(6.0))).is_empty());
}

#[test]
fn live_refreshes_add_new_entries_and_a_truncated_section_is_kept_raw() {
    let m = manifest();
    let mut t = TimedTracks::new(&m, &Track::list(&m), None);
    assert_eq!(t.due(s(6.0)).len(), 3);
    // A refreshed manifest with one more entry: a truncated splice_info_section.
    let text = String::from_utf8(std::fs::read(dir().join("Manifest")).unwrap()).unwrap();
    let text = text.replace("</StreamIndex>\n</SmoothStreamingMedia>", "<c t=\"60000000\" d=\"10000000\"><f>/DAlAAAAAAAAAP/wFAUAAAPp</f></c>\n</StreamIndex>\n</SmoothStreamingMedia>");
    let refreshed = Manifest::parse(text.as_bytes()).unwrap();
    t.on_manifest(&refreshed);
    t.on_manifest(&refreshed);
    let due = t.due(s(7.0));
    assert_eq!(marker_times(&due), [6.0], "once, though refreshed twice");
    assert!(matches!(&due[0], PlayerEvent::Marker { payload: MarkerPayload::Undecoded { error, .. }, .. } if error.contains("declares")), "{due:?}");
}

/// The fixture as a live manifest whose scte35 entries have no inline payload and whose
/// captions list only the first fragment: what a tfrf-only client knows after joining.
fn live_manifest_knowing_little() -> Manifest {
    let mut m = manifest();
    m.is_live = true;
    let sparse = stream(&m, "scte35");
    m.streams[sparse].chunks.truncate(1);
    for c in &mut m.streams[sparse].chunks {
        c.payloads.clear();
    }
    let captions = stream(&m, "captions_eng");
    m.streams[captions].chunks.truncate(1);
    m
}

#[test]
fn a_sparse_pointer_from_a_fragment_response_brings_the_marker_the_manifest_lacked() {
    let m = live_manifest_knowing_little();
    let mut t = TimedTracks::new(&m, &Track::list(&m), None);
    let pointer = |stream: &str, ticks| SparsePointer { stream: stream.into(), ticks };
    assert!(t.on_sparse_pointer(&pointer("scte35", 50_000_000)));
    assert!(!t.on_sparse_pointer(&pointer("scte35", 50_000_000)), "known already");
    assert!(!t.on_sparse_pointer(&pointer("no_such_stream", 1)));
    let urls: Vec<String> = t.next_fetches(s(1.0)).into_iter().map(|f| f.relative_url).collect();
    assert_eq!(urls, ["QualityLevels(1000)/Fragments(scte35=20000000)", "QualityLevels(1000)/Fragments(scte35=50000000)"]);
    // Served from the fixture's fragment files.
    let mut t = TimedTracks::new(&m, &Track::list(&m), None);
    t.on_sparse_pointer(&pointer("scte35", 50_000_000));
    serve(&mut t, s(1.0));
    let due = t.due(s(6.0));
    assert_eq!(marker_times(&due), [2.0, 5.0]);
    let PlayerEvent::Marker { payload, .. } = &due[1] else { panic!() };
    assert_eq!(payload.summary().and_then(|s| s.command_type), Some(6), "time_signal");
}

#[test]
fn live_text_predicts_the_next_fragment_and_asks_again_while_it_is_not_published() {
    let m = live_manifest_knowing_little();
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    let mut fetched: Vec<String> = Vec::new();
    fn step(t: &mut TimedTracks, at: f64, fetched: &mut Vec<String>) {
        for f in t.next_fetches(s(at)) {
            if f.relative_url.contains("captions") {
                fetched.push(f.relative_url.clone());
            }
            // The fixture has three fragments: the fourth is "not published yet".
            t.on_fetched(f.id, std::fs::read(dir().join(&f.relative_url)).map_err(|e| e.to_string()));
        }
    }
    for at in [0.0, 0.1, 0.2, 0.3] {
        step(&mut t, at, &mut fetched);
    }
    let url = |secs: u64| format!("QualityLevels(1000)/Fragments(captions_eng={})", secs * 10_000_000);
    assert_eq!(fetched, [url(0), url(2), url(4), url(6)], "each fragment's end predicts the next");
    step(&mut t, 0.9, &mut fetched);
    assert_eq!(fetched.len(), 4, "not asked again before {LIVE_RETRY:?} of playback");
    step(&mut t, 1.3, &mut fetched);
    assert_eq!(fetched.len(), 5, "asked again");
    let due = t.due(s(6.0));
    assert!(!due.iter().any(|e| matches!(e, PlayerEvent::FragmentSkipped { .. })), "not published is not an error: {due:?}");
    assert_eq!(cue_texts(&due).len(), 3, "the cues of the three published fragments: {due:?}");
}

#[test]
fn on_demand_text_predicts_nothing() {
    let mut m = live_manifest_knowing_little();
    m.is_live = false;
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    assert_eq!(serve(&mut t, Duration::ZERO), 2, "the first caption fragment and the one scte35 file");
    assert_eq!(serve(&mut t, Duration::ZERO), 0);
}

#[test]
fn live_text_joined_past_the_manifest_predicts_the_fragment_holding_the_playhead() {
    let m = live_manifest_knowing_little(); // captions: only [0, 2 s) listed
    let mut t = TimedTracks::new(&m, &Track::list(&m), Some(stream(&m, "captions_eng")));
    let urls: Vec<String> = t.next_fetches(s(4.3)).into_iter().map(|f| f.relative_url).filter(|u| u.contains("captions")).collect();
    assert_eq!(urls, ["QualityLevels(1000)/Fragments(captions_eng=40000000)"], "the fragment at 4 s holds the playhead");
}
