//! Track choice at open on multitrack.ism (two camera angles, two audio languages, two
//! text tracks, SCTE-35 markers): which fragments are fetched, what is decoded.

mod common;

use std::path::PathBuf;

use smoothplay::engine::schedule::LevelPin;
use smoothplay::engine::session::{Error, PlayerConfig, Session, TrackPreferences, TrackType};
use smoothplay_testkit::origin::Origin;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media")
}

/// Untimed, top video level, no locale (the first audio unless asked).
fn config(tracks: TrackPreferences) -> PlayerConfig {
    PlayerConfig { tracks: TrackPreferences { locale: Some(String::new()), ..tracks }, ..common::untimed(LevelPin::Max) }
}

/// Fragment requests per stream name (`Fragments(NAME=`).
fn fetched(origin: &Origin, name: &str) -> usize {
    origin.requests_matching(&format!("Fragments({name}="))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_chosen_angle_and_language_are_fetched() {
    let origin = Origin::serve(fixtures()).await;
    let url = format!("{}multitrack.ism/Manifest", origin.base);

    let session = Session::open(&url, config(TrackPreferences::default())).await.unwrap();
    let kinds: Vec<TrackType> = session.tracks().iter().map(|t| t.kind.clone()).collect();
    assert_eq!(kinds, [TrackType::Video, TrackType::Video, TrackType::Audio, TrackType::Audio, TrackType::Text, TrackType::Text, TrackType::Sparse]);
    drop(session);

    let default = common::play(&url, config(TrackPreferences::default())).await;
    assert_eq!(default.stats.video.frames_decoded, 150);
    assert_eq!((fetched(&origin, "camera1"), fetched(&origin, "camera2")), (3, 0));
    assert_eq!((fetched(&origin, "audio_eng"), fetched(&origin, "audio_fra")), (3, 0));

    let chosen = TrackPreferences { video_track: Some("camera2".into()), audio_lang: Some("fr".into()), text_lang: Some("fr".into()), ..TrackPreferences::default() };
    let angle2 = common::play(&url, config(chosen)).await;
    assert_eq!(angle2.stats.video.frames_decoded, 150);
    assert_eq!(angle2.stats.audio.samples_decoded, default.stats.audio.samples_decoded);
    assert_eq!((fetched(&origin, "camera1"), fetched(&origin, "camera2")), (3, 3), "camera2 only the second time");
    assert_eq!((fetched(&origin, "audio_eng"), fetched(&origin, "audio_fra")), (3, 3));
    assert!(common::md5s(&angle2).iter().zip(common::md5s(&default)).all(|(a, b)| *a != b), "other pictures");
    // The chosen subtitles are fetched (the second time); the markers come inline in the manifest.
    assert_eq!((fetched(&origin, "captions_eng"), fetched(&origin, "subtitles_fra"), fetched(&origin, "scte35")), (0, 3, 0));
    assert!(!default.events.iter().chain(&angle2.events).any(|e| matches!(e, smoothplay::engine::session::PlayerEvent::FragmentSkipped { .. })));
}

#[tokio::test]
async fn a_missing_track_fails_at_open_naming_the_tracks() {
    let input = fixtures().join("multitrack.ism").display().to_string();
    let e = Session::open(&input, config(TrackPreferences { audio_track: Some("audio_deu".into()), ..TrackPreferences::default() })).await.err().unwrap();
    assert!(matches!(&e, Error::NoSuchTrack { kind: TrackType::Audio, asked, .. } if asked == "audio_deu"), "{e:?}");
    assert!(e.to_string().ends_with(r#"the audio tracks are: "audio_eng" (eng), "audio_fra" (fra)"#), "{e}");
}

/// The hand-written text and sparse fragments parse: one sync sample, the tfxd time of
/// the manifest's `<c t>`, a TTML document or the same splice_info_section as the `<f>`.
#[test]
fn text_and_sparse_fragments_parse() {
    use smoothplay::engine::fmp4::parse_fragment;
    use smoothplay::engine::manifest::{Manifest, PayloadData};
    let dir = fixtures().join("multitrack.ism");
    let m = Manifest::parse(&std::fs::read(dir.join("Manifest")).unwrap()).unwrap();
    let mut seen = 0;
    for s in m.streams.iter().filter(|s| s.name.as_deref().is_some_and(|n| ["captions_eng", "subtitles_fra", "scte35"].contains(&n))) {
        for c in &s.chunks {
            let data = std::fs::read(dir.join(s.fragment_url(&s.levels[0], c))).unwrap();
            let f = parse_fragment(data.into()).unwrap();
            let tfxd = f.tfxd.unwrap();
            assert_eq!((tfxd.start, Some(tfxd.duration)), (c.start.ticks, c.duration.map(|d| d.ticks)));
            let [sample] = &f.samples[..] else { panic!("one sample: {:?}", f.samples.len()) };
            assert!(sample.is_sync);
            match &c.payloads[..] {
                [p] => assert_eq!(p.data, PayloadData::Bytes(sample.data.to_vec()), "the <f> payload is the sample"),
                [] => assert!(std::str::from_utf8(&sample.data).unwrap().contains("<tt xmlns=\"http://www.w3.org/ns/ttml\"")),
                more => panic!("{more:?}"),
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 9);
}
