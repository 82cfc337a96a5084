//! Manifest tests against the committed peer and media fixtures, plus hostile input.

use super::*;
use crate::time::MediaTime;

const PEER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/peer-manifests/"
);
const MEDIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media/");

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn peer(name: &str) -> Manifest {
    let path = format!("{PEER}{name}");
    Manifest::parse(&read(&path)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn media(name: &str) -> Manifest {
    let path = format!("{MEDIA}{name}/Manifest");
    Manifest::parse(&read(&path)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn starts(s: &StreamIndex) -> Vec<u64> {
    s.chunks.iter().map(|c| c.start.ticks).collect()
}

fn stream(m: &Manifest, kind: StreamKind) -> &StreamIndex {
    m.streams
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} stream"))
}

const KEY: [u8; 16] = [
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
];

// ---- peer manifests -------------------------------------------------------------

#[test]
fn exoplayer_1_v2_with_playready_custom_attributes_and_start_time_underscore() {
    let m = peer("exoplayer_sample_ismc_1.ismc");
    assert_eq!((m.major_version, m.minor_version), (2, 0));
    assert_eq!(m.duration, Some(MediaTime::new(2_300_000_000, 10_000_000)));
    assert!(!m.is_live);
    let pr = m.playready().expect("PlayReady header");
    assert_eq!(pr.version, "4.0.0.0");
    assert_eq!(
        pr.la_url.as_deref(),
        Some("https://T-ONLINE.DUMMY-SERVER/ArtemisLicenseServer/PlayReadyManager.asmx")
    );
    assert_eq!(pr.kids.len(), 1);
    assert_eq!(
        hex(&pr.kids[0].cenc_bytes()),
        "380ca5052c67408583770df861c91f64"
    );
    assert_eq!(
        hex(&pr.kids[0].guid_bytes),
        "05a50c38672c854083770df861c91f64"
    );
    assert_eq!(pr.kids[0].algid, Some(Algorithm::AesCtr));
    assert_eq!(pr.kids[0].checksum.as_ref().map(Vec::len), Some(8));

    let v = stream(&m, StreamKind::Video);
    assert_eq!(v.name.as_deref(), Some("video"));
    assert_eq!((v.max_width, v.max_height), (Some(720), Some(480)));
    assert_eq!(v.declared_chunk_count, Some(115));
    assert_eq!(v.levels.len(), 2);
    assert_eq!((v.levels[0].index, v.levels[1].index), (0, 5));
    assert_eq!(v.levels[0].fourcc.as_deref(), Some("WVC1"));
    assert_eq!(
        v.levels[1].custom_attributes,
        vec![("Compatibility".to_string(), "Handheld".to_string())]
    );
    assert_eq!(starts(v), vec![0, 19_680_000, 28_660_000]);
    let durations: Vec<_> = v
        .chunks
        .iter()
        .map(|c| c.duration.map(|d| d.ticks))
        .collect();
    assert_eq!(
        durations,
        vec![Some(19_680_000), Some(8_980_000), Some(8_980_000)]
    );
    assert_eq!(
        v.fragment_url(&v.levels[0], &v.chunks[1]),
        "QualityLevels(1536000,Compatibility=Desktop)/Fragments(video=19680000)"
    );
    assert_eq!(v.duration(), Some(MediaTime::new(37_640_000, 10_000_000)));
}

#[test]
fn exoplayer_2_system_id_with_braces_is_playready() {
    let m = peer("exoplayer_sample_ismc_2.ismc");
    assert_eq!(m.protection.len(), 1);
    assert_eq!(
        m.protection[0].system_id,
        "{9A04F079-9840-4286-AB92-E65BE0885F95}"
    );
    assert!(m.protection[0].is_playready());
    assert_eq!(m.protection[0].problem, None);
    assert_eq!(starts(&m.streams[0]), vec![0, 19_680_000]);
}

#[test]
fn dashjs_v1_width_height_and_vc1_data_under_avc1() {
    let m = peer("dashjs_manifest.xml");
    assert_eq!((m.major_version, m.minor_version), (1, 0));
    assert_eq!(m.timescale, 10_000_000);
    let v = stream(&m, StreamKind::Video);
    assert_eq!(v.levels.len(), 6);
    assert_eq!(
        (v.levels[0].max_width, v.levels[0].max_height),
        (Some(1280), Some(720))
    );
    assert_eq!(v.levels[0].nal_unit_length_field, 4);
    assert!(v.levels[0].is_playable());
    assert_eq!(
        v.levels[2].unplayable_reason(),
        Some(&LevelProblem::CodecPrivateDataNotAnnexB)
    );
    assert_eq!(v.playable_levels().count(), 5);
    assert_eq!(v.chunks.len(), 208);
    assert_eq!(&starts(v)[..3], &[0, 19_686_294, 39_372_588]);
    assert_eq!(v.chunks[207].start.ticks, 4_075_062_858);
    assert_eq!(v.end().map(|e| e.ticks), Some(4_084_071_841));
    assert_eq!(
        v.fragment_url(&v.levels[5], &v.chunks[1]),
        "QualityLevels(500000)/Fragments(video=19686294)"
    );
    let a = stream(&m, StreamKind::Audio);
    assert_eq!(a.chunks.len(), 208);
    assert_eq!(a.chunks[207].start.ticks, 4_075_566_439);
    // AACL with empty CodecPrivateData and no SamplingRate/Channels: nothing to configure.
    assert_eq!(
        a.levels[0].unplayable_reason(),
        Some(&LevelProblem::NoAudioSpecificConfig)
    );
}

#[test]
fn dashjs_kitchen_sink_keeps_malformed_system_id_and_odd_streams() {
    let m = peer("dashjs_manifestSubtype.xml");
    assert_eq!(
        m.custom_attributes,
        vec![("timeScaleZeroPoint".to_string(), "...".to_string())]
    );
    assert_eq!(m.protection.len(), 1);
    let p = &m.protection[0];
    assert_eq!(p.system_id, "{9A04F079-9840-4286-AB92E65BE0885F95}");
    assert_eq!(p.system_uuid, None);
    assert_eq!(p.problem, Some(ProtectionProblem::MalformedSystemId));
    assert_eq!(p.playready, None);
    assert_eq!(m.streams.len(), 6);

    let v = &m.streams[0];
    assert_eq!(v.levels.len(), 4);
    assert_eq!(
        v.levels[1].custom_attributes,
        vec![("hardwareProfile".to_string(), "1000".to_string())]
    );
    // n="0", n="1", n="114" with d only: n is ignored, times accumulate.
    assert_eq!(starts(v), vec![0, 19_680_000, 28_660_000]);
    assert_eq!(v.chunks[0].payloads.len(), 6);
    assert_eq!(v.chunks[0].payloads[2].track_index, Some(2));
    assert_eq!(
        v.chunks[0].payloads[2].attributes,
        vec![
            ("s".to_string(), "1217".to_string()),
            ("q".to_string(), "875".to_string())
        ]
    );
    assert_eq!(v.chunks[0].payloads[2].data, PayloadData::Absent);
    assert_eq!(
        v.fragment_url(&v.levels[1], &v.chunks[2]),
        "QualityLevels(1536000,hardwareProfile=1000)/Fragments(video=28660000)"
    );

    let zoetrope = &m.streams[1];
    assert_eq!(zoetrope.subtype.as_deref(), Some("ZOET"));
    assert_eq!(zoetrope.parent_stream_index.as_deref(), Some("video"));
    assert_eq!(
        zoetrope.levels[0].fourcc.as_deref(),
        Some("JPEG"),
        "inherited from the StreamIndex"
    );
    assert_eq!(starts(zoetrope), vec![0, 100_000_000, 200_000_000]);
    let durations: Vec<_> = zoetrope
        .chunks
        .iter()
        .map(|c| c.duration.map(|d| d.ticks))
        .collect();
    assert_eq!(durations, vec![Some(100_000_000), Some(100_000_000), None]);
    assert_eq!(
        zoetrope.chunk_at(MediaTime::new(250_000_000, 10_000_000)),
        Some(2)
    );

    let audio = &m.streams[2];
    assert_eq!(audio.language.as_deref(), Some("eng"));
    assert_eq!(audio.levels[0].fourcc.as_deref(), Some("WMA2"));
    assert_eq!(audio.levels[0].packet_size, Some(1115));
    assert_eq!(audio.levels[0].audio_specific_config(), None);

    let captions = &m.streams[3];
    assert_eq!(captions.kind, StreamKind::Text);
    assert_eq!(captions.subtype.as_deref(), Some("CAPT"));
    assert_eq!(captions.name.as_deref(), Some("captions "));
    assert_eq!(captions.levels[0].fourcc.as_deref(), Some("DFXP"));
    assert_eq!(
        captions.levels[0].problems,
        vec![LevelProblem::MissingBitrate]
    );
    assert_eq!(captions.chunks.len(), 3);
    // Script-command and chapter streams carry <Content>, not chunks.
    assert_eq!(
        (m.streams[4].subtype.as_deref(), m.streams[4].chunks.len()),
        (Some("SCMD"), 0)
    );
    assert_eq!(m.streams[5].url_template, "");
}

#[test]
fn dashjs_missing_fourcc_is_a_per_level_problem() {
    let m = peer("dashjs_manifestFourCCError.xml");
    let v = stream(&m, StreamKind::Video);
    assert_eq!(v.levels[0].fourcc, None);
    assert_eq!(
        v.levels[0].unplayable_reason(),
        Some(&LevelProblem::MissingFourCc)
    );
    assert_eq!(
        (v.levels[0].max_width, v.levels[0].max_height),
        (Some(1280), Some(720))
    );
    let a = stream(&m, StreamKind::Audio);
    assert_eq!(a.levels[0].fourcc.as_deref(), Some("AACL"));
    assert!(a.levels[0]
        .problems
        .contains(&LevelProblem::FourCcAssumedAacl));
    assert_eq!(a.chunks.len(), 1);
}

#[test]
fn msdocs_live_sparse_stream_with_r_and_payloads() {
    let m = peer("msdocs_live_sparse_scte35.ismc");
    assert!(m.is_live);
    assert_eq!(
        m.duration, None,
        "Duration=0 in a live manifest means unknown"
    );
    assert_eq!(m.lookahead_count, Some(2));
    assert_eq!(
        m.dvr_window_length,
        Some(MediaTime::new(6_000_000_000, 10_000_000))
    );
    let v = stream(&m, StreamKind::Video);
    assert_eq!(v.subtype, None);
    assert_eq!(v.chunks.len(), 300);
    assert_eq!(v.chunks[299].start.ticks, 299 * 20_000_000);
    assert_eq!(v.end().map(|e| e.ticks), Some(300 * 20_000_000));
    assert_eq!(
        v.fragment_url(&v.levels[1], &v.chunks[299]),
        "QualityLevels(305000)/Fragments(video=5980000000)"
    );
    assert_eq!(stream(&m, StreamKind::Audio).levels[0].audio_tag, Some(354));
    let t = stream(&m, StreamKind::Text);
    assert!(t.manifest_output);
    assert_eq!(t.parent_stream_index.as_deref(), Some("video"));
    assert_eq!(t.levels[0].fourcc, None);
    assert!(t.levels[0].problems.is_empty());
    assert_eq!(
        t.levels[0].custom_attributes,
        vec![("Scheme".to_string(), "urn:scte:scte35:2013:bin".to_string())]
    );
    assert_eq!(starts(t), vec![600_000_000, 1_200_000_000]);
    assert_eq!(
        t.fragment_url(&t.levels[0], &t.chunks[0]),
        "QualityLevels(0)/Fragments(captions=600000000)"
    );
    match &t.chunks[1].payloads[0].data {
        PayloadData::Bytes(b) => {
            let xml = String::from_utf8_lossy(b);
            assert!(xml.starts_with("<?xml version=\"1.0\""), "{xml}");
            assert!(xml.contains("timeValue=\"516200000000\""));
        }
        other => panic!("expected base64 payload, got {other:?}"),
    }
    assert_eq!(
        t.chunk_at(MediaTime::new(1_000_000_000, 10_000_000)),
        None,
        "gap between sparse chunks"
    );
    assert_eq!(
        t.chunk_at(MediaTime::new(1_300_000_000, 10_000_000)),
        Some(1)
    );
}

#[test]
fn shaka_clear_no_bitrate_token_and_display_size() {
    let m = peer("shaka_mss-clear_Manifest.ismc");
    assert_eq!((m.major_version, m.minor_version), (2, 1));
    assert!(!m.is_protected());
    let v = stream(&m, StreamKind::Video);
    assert_eq!((v.display_width, v.display_height), (Some(224), Some(128)));
    assert_eq!(v.levels[0].index, 7);
    assert!(v.levels[0].is_h264() && v.levels[0].is_playable());
    assert_eq!(starts(v), vec![0, 20_020_000, 40_040_000, 60_060_000]);
    assert_eq!(
        v.fragment_url(&v.levels[0], &v.chunks[1]),
        "Fragments(video=20020000)"
    );
    let a = stream(&m, StreamKind::Audio);
    assert_eq!(starts(a), vec![0, 20_201_360, 40_170_521, 60_139_682]);
    assert_eq!(a.levels[0].audio_specific_config(), Some(vec![0x12, 0x10]));
    assert_eq!(
        (
            a.levels[0].sampling_rate,
            a.levels[0].channels,
            a.levels[0].bits_per_sample
        ),
        (Some(44100), Some(2), Some(16))
    );
}

#[test]
fn shaka_playready_header_after_streams() {
    let m = peer("shaka_mss-playready_Manifest.ismc");
    assert_eq!(m.streams.len(), 2);
    let pr = m.playready().expect("PlayReady header");
    assert_eq!(
        hex(&pr.kids[0].cenc_bytes()),
        "09e367028f33436ca5dd60ffe6671e70"
    );
    assert_eq!(
        pr.la_url.as_deref(),
        Some("http://playready.directtaps.net/pr/svc/rightsmanager.asmx")
    );
    assert_eq!(pr.kids[0].algid, Some(Algorithm::AesCtr));
    assert_eq!(pr.ds_id.as_deref(), Some("AH+03juKbUGbHl1V/QIwRA=="));
}

#[test]
fn rxplayer_custom_attributes_without_parentheses() {
    let m = peer("rxplayer_Manifest_Custom_Attributes.xml");
    let v = stream(&m, StreamKind::Video);
    assert_eq!(v.levels.len(), 8);
    assert_eq!(v.chunks.len(), 38);
    assert_eq!(
        v.fragment_url(&v.levels[0], &v.chunks[0]),
        "QualityLevels300000,hardwareProfile=1000/Fragmentsvideo=0"
    );
    assert_eq!(
        v.fragment_url(&v.levels[1], &v.chunks[37]),
        "QualityLevels750000,hardwareProfile=2000/Fragmentsvideo=740000000"
    );
    let a = stream(&m, StreamKind::Audio);
    assert_eq!(a.chunks.len(), 38);
    assert_eq!(a.end().map(|e| e.ticks), Some(750_079_999));
}

#[test]
fn rxplayer_empty_text_track() {
    let m = peer("rxplayer_Manifest_Empty_Text_Track.xml");
    let t = stream(&m, StreamKind::Text);
    assert_eq!(t.declared_chunk_count, Some(0));
    assert!(t.chunks.is_empty());
    assert_eq!(t.duration(), None);
    assert_eq!(t.chunk_at(MediaTime::new(0, 1)), None);
    assert_eq!(
        (t.subtype.as_deref(), t.language.as_deref()),
        (Some("SUBT"), Some("fra"))
    );
    assert_eq!(t.levels[0].fourcc.as_deref(), Some("TTML"));
    let v = stream(&m, StreamKind::Video);
    assert_eq!(v.chunks[0].payloads.len(), 8);
    assert_eq!(
        stream(&m, StreamKind::Audio).language.as_deref(),
        Some("UND")
    );
}

#[test]
fn rxplayer_timeline_not_starting_at_zero() {
    let m = peer("rxplayer_Manifest_Not_Starting_at_0.xml");
    let v = stream(&m, StreamKind::Video);
    let a = stream(&m, StreamKind::Audio);
    assert_eq!((v.chunks.len(), a.chunks.len()), (35, 35));
    assert_eq!(&starts(v)[..3], &[60_000_000, 80_000_000, 100_000_000]);
    assert_eq!(&starts(a)[..3], &[60_160_000, 80_000_000, 100_053_333]);
    assert_eq!(v.duration(), Some(MediaTime::new(690_000_000, 10_000_000)));
    assert_eq!(v.chunk_at(MediaTime::new(59_999_999, 10_000_000)), None);
    assert_eq!(v.chunk_at(MediaTime::new(60_000_000, 10_000_000)), Some(0));
    assert_eq!(
        v.chunk_at(MediaTime::new(8, 1)),
        Some(1),
        "8 s in another timescale"
    );
    assert_eq!(v.chunk_at(MediaTime::new(75, 1)), None, "after the end");
    assert_eq!(
        v.fragment_url(&v.levels[0], &v.chunks[0]),
        "QualityLevels300000/Fragmentsvideo=60000000"
    );
}

// ---- test presentations with known keys ----------------------------------------

/// Every URL of every level and chunk names a file in the presentation directory.
fn assert_urls_exist(name: &str, m: &Manifest) {
    let mut count = 0;
    for s in &m.streams {
        for l in &s.levels {
            for c in &s.chunks {
                let path = format!("{MEDIA}{name}/{}", s.fragment_url(l, c));
                assert!(std::path::Path::new(&path).is_file(), "missing {path}");
                count += 1;
            }
        }
    }
    assert_eq!(count, 15, "{name}: 3 levels x 5 chunks");
}

#[test]
fn small_clear_presentation() {
    let m = media("small.ism");
    assert_eq!(m.duration, Some(MediaTime::new(100_213_333, 10_000_000)));
    let v = stream(&m, StreamKind::Video);
    assert_eq!(v.name, None);
    assert_eq!(
        starts(v),
        vec![0, 20_000_000, 40_000_000, 60_000_000, 80_000_000]
    );
    let a = stream(&m, StreamKind::Audio);
    assert_eq!(a.end().map(|e| e.ticks), Some(100_213_333));
    assert_eq!(
        a.levels[0].audio_specific_config(),
        Some(vec![0x11, 0x90, 0x56, 0xe5, 0x00])
    );
    assert_urls_exist("small.ism", &m);
}

#[test]
fn piff_ctr_header_first_v4_0() {
    let m = media("small-piff-ctr.ism");
    let pr = m.playready().expect("PlayReady header");
    assert_eq!(pr.version, "4.0.0.0");
    assert_eq!(pr.algid, Some(Algorithm::AesCtr));
    assert_eq!(pr.default_algorithm(), Some(&Algorithm::AesCtr));
    assert_eq!(pr.la_url, None);
    assert_eq!(pr.kids.len(), 1);
    assert_eq!(
        hex(&pr.kids[0].cenc_bytes()),
        "00112233445566778899aabbccddeeff"
    );
    assert_eq!(pr.kids[0].checksum, None);
    assert_eq!(pr.kids[0].checksum_matches(&KEY), None);
    assert_urls_exist("small-piff-ctr.ism", &m);
}

#[test]
fn piff_cbc_header_last_v4_3() {
    let m = media("small-piff-cbc.ism");
    assert_eq!((m.major_version, m.minor_version), (2, 2));
    let pr = m.playready().expect("PlayReady header");
    assert_eq!(pr.version, "4.3.0.0");
    assert_eq!(pr.kids.len(), 1);
    assert_eq!(pr.kids[0].algid, Some(Algorithm::AesCbc));
    assert_eq!(pr.algid, None, "4.3 has no header-level ALGID");
    assert_eq!(pr.default_algorithm(), Some(&Algorithm::AesCbc));
    assert_eq!(
        hex(&pr.kids[0].cenc_bytes()),
        "00112233445566778899aabbccddeeff"
    );
    let cenc = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];
    let guid = pr.kids[0].guid_bytes;
    assert!(pr.find_kid(&cenc).is_some() && pr.find_kid(&guid).is_some());
    assert!(pr.find_kid(&[0; 16]).is_none());
    assert_urls_exist("small-piff-cbc.ism", &m);
}

#[test]
fn bento_cenc_checksum_verifies_with_the_known_key() {
    let m = media("small-bento-cenc.ism");
    let pr = m.playready().expect("PlayReady header");
    let kid = &pr.kids[0];
    assert_eq!(hex(&kid.guid_bytes), "33221100554477668899aabbccddeeff");
    assert_eq!(kid.checksum_matches(&KEY), Some(true));
    let checksum = kid.checksum.clone().unwrap_or_default();
    assert!(verify_checksum(&kid.guid_bytes, &KEY, &checksum));
    let mut wrong = KEY;
    wrong[15] ^= 0x80;
    assert_eq!(kid.checksum_matches(&wrong), Some(false));
    let a = &m.streams[0];
    assert_eq!(a.name.as_deref(), Some("audio_und"));
    assert_eq!(
        a.fragment_url(&a.levels[0], &a.chunks[1]),
        "QualityLevels(57191)/Fragments(audio_und=20053333)"
    );
    assert_urls_exist("small-bento-cenc.ism", &m);
}

/// multitrack.ism (made by tests/fixtures/media/make-multitrack.sh): one StreamIndex per
/// camera angle, audio language and text track, each with its Name in the Url; the sparse
/// SCTE-35 stream's `<f>` payloads are splice_info_sections; every fragment exists.
#[test]
fn multitrack_fixture_reads_back() {
    let m = media("multitrack.ism");
    let names: Vec<(&StreamKind, &str, Option<&str>, Option<&str>)> =
        m.streams.iter().map(|s| (&s.kind, s.name.as_deref().unwrap(), s.language.as_deref(), s.subtype.as_deref())).collect();
    assert_eq!(
        names,
        [
            (&StreamKind::Video, "camera1", None, None),
            (&StreamKind::Video, "camera2", None, None),
            (&StreamKind::Audio, "audio_eng", Some("eng"), None),
            (&StreamKind::Audio, "audio_fra", Some("fra"), None),
            (&StreamKind::Text, "captions_eng", Some("eng"), Some("CAPT")),
            (&StreamKind::Text, "subtitles_fra", Some("fra"), Some("SUBT")),
            (&StreamKind::Text, "scte35", None, Some("SCTE35")),
        ]
    );
    let (cam1, cam2) = (&m.streams[0], &m.streams[1]);
    assert_eq!(starts(cam1), [0, 20_000_000, 40_000_000]);
    assert_eq!(starts(cam1), starts(cam2), "the angles share fragment boundaries");
    assert_eq!(cam2.fragment_url(&cam2.levels[1], &cam2.chunks[2]), "QualityLevels(150000)/Fragments(camera2=40000000)");
    let scte = &m.streams[6];
    assert_eq!((scte.parent_stream_index.as_deref(), scte.manifest_output), (Some("camera1"), true));
    assert_eq!(starts(scte), [20_000_000, 40_000_000, 50_000_000]);
    for c in &scte.chunks {
        match &c.payloads[..] {
            [ChunkPayload { data: PayloadData::Bytes(b), .. }] => assert_eq!(b[0], 0xFC, "table_id"),
            other => panic!("{other:?}"),
        }
    }
    for s in &m.streams {
        for l in &s.levels {
            for c in &s.chunks {
                let path = format!("{MEDIA}multitrack.ism/{}", s.fragment_url(l, c));
                assert!(std::path::Path::new(&path).is_file(), "missing {path}");
            }
        }
    }
}

/// Every fixture manifest parses (the brief allows typed failures; none is expected).
#[test]
fn every_fixture_manifest_parses() {
    let mut seen = 0;
    for dir in [PEER, MEDIA] {
        for entry in std::fs::read_dir(dir).expect("fixture dir").flatten() {
            let path = entry.path();
            let file = if path.is_dir() {
                path.join("Manifest")
            } else {
                path.clone()
            };
            let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
            let is_manifest = file.ends_with("Manifest") || ext == "xml" || ext == "ismc";
            if !is_manifest || !file.is_file() {
                continue;
            }
            let bytes = std::fs::read(&file).expect("read fixture");
            if let Err(e) = Manifest::parse(&bytes) {
                panic!("{}: {e}", file.display());
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 17); // peers and media fixtures, keyframes.ism included
}

// ---- synthetic manifests: semantics --------------------------------------------

fn parse_str(xml: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(xml.as_bytes())
}

fn one_stream(attrs: &str, body: &str) -> String {
    format!(
        "<SmoothStreamingMedia MajorVersion=\"2\" MinorVersion=\"2\" {attrs}>\
         <StreamIndex Type=\"video\" Url=\"Q({{bitrate}})/F(v={{start time}})\">\
         <QualityLevel Index=\"0\" Bitrate=\"1000\" FourCC=\"H264\" CodecPrivateData=\"0000000167\"/>{body}\
         </StreamIndex></SmoothStreamingMedia>"
    )
}

#[test]
fn r_counts_itself() {
    let m = parse_str(&one_stream(
        "",
        "<c t=\"10\" d=\"5\" r=\"1\"/><c d=\"7\" r=\"3\"/><c d=\"1\"/>",
    ))
    .expect("valid");
    assert_eq!(starts(&m.streams[0]), vec![10, 15, 22, 29, 36]);
    let m = parse_str(&one_stream("", "<c d=\"5\" r=\"0\"/>")).expect("r=0 read as one chunk");
    assert_eq!(m.streams[0].chunks.len(), 1);
}

#[test]
fn per_stream_timescale_wins_over_presentation() {
    let xml = "<SmoothStreamingMedia MajorVersion=\"2\" TimeScale=\"1000\" Duration=\"5000\">\
        <StreamIndex Type=\"audio\" TimeScale=\"48000\" Url=\"u\"><QualityLevel Bitrate=\"1\" FourCC=\"AACL\" SamplingRate=\"48000\" Channels=\"2\"/><c d=\"96000\"/></StreamIndex>\
        <StreamIndex Type=\"video\" Url=\"u\"><QualityLevel Bitrate=\"1\" FourCC=\"H264\"/><c d=\"2000\"/></StreamIndex></SmoothStreamingMedia>";
    let m = parse_str(xml).expect("valid");
    assert_eq!(m.duration, Some(MediaTime::new(5, 1)));
    assert_eq!(m.streams[0].timescale, 48_000);
    assert_eq!(m.streams[1].timescale, 1000);
    assert_eq!(m.streams[0].duration(), Some(MediaTime::new(2, 1)));
    assert_eq!(m.streams[1].duration(), Some(MediaTime::new(2, 1)));
    assert_eq!(
        m.streams[0].levels[0].audio_specific_config(),
        Some(vec![0x11, 0x90])
    );
    assert_eq!(
        m.streams[1].levels[0].problems,
        vec![LevelProblem::MissingCodecPrivateData]
    );
    let default = parse_str(&one_stream("", "<c d=\"1\"/>")).expect("valid");
    assert_eq!(default.timescale, 10_000_000);
}

#[test]
fn epoch_times_above_2_pow_53_stay_exact_in_urls() {
    let t = (1u64 << 53) + 1;
    let m = parse_str(&one_stream(
        "IsLive=\"TRUE\" LookaheadCount=\"3\"",
        &format!("<c t=\"{t}\" d=\"20000000\" r=\"2\"/>"),
    ))
    .expect("valid");
    assert!(m.is_live);
    assert_eq!(m.lookahead_count, Some(3));
    let s = &m.streams[0];
    assert_eq!(
        s.fragment_url(&s.levels[0], &s.chunks[1]),
        "Q(1000)/F(v=9007199274740993)"
    );
}

#[test]
fn lenient_attribute_spellings() {
    let m = parse_str(&one_stream(
        "isLive=\"True\" LookAheadFragmentCount=\"4\" CanSeek=\"false\" CanPause = \"FALSE\"",
        "",
    ))
    .expect("valid");
    assert!(m.is_live && !m.can_seek && !m.can_pause);
    assert_eq!(m.lookahead_count, Some(4));
}

#[test]
fn bare_ampersands_and_entities_are_not_fatal_or_expanded() {
    let xml = "<!DOCTYPE x [<!ENTITY a \"AAAAAAAA\">]>\
        <SmoothStreamingMedia MajorVersion=\"2\"><Protection>\
        <ProtectionHeader SystemID=\"EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED\">&a;</ProtectionHeader></Protection>\
        <StreamIndex Type=\"video\" Url=\"F({start time})?a=1&b=2&amp;c=&#51;\"><QualityLevel Bitrate=\"1\" FourCC=\"H264\"/>\
        <c d=\"1\"/></StreamIndex></SmoothStreamingMedia>";
    let m = parse_str(xml).expect("lenient parse");
    assert_eq!(
        m.protection[0].problem,
        Some(ProtectionProblem::NotBase64),
        "custom entity not expanded"
    );
    let s = &m.streams[0];
    // Normalization failed on the bare `&`, so the value is kept exactly as written.
    assert_eq!(
        s.fragment_url(&s.levels[0], &s.chunks[0]),
        "F(0)?a=1&b=2&amp;c=&#51;"
    );
    let escaped =
        one_stream("", "<c d=\"1\"/>").replace("Q({bitrate})", "Q({bitrate})?x=1&amp;y=&#50;");
    let m = parse_str(&escaped).expect("valid");
    let s = &m.streams[0];
    assert_eq!(
        s.fragment_url(&s.levels[0], &s.chunks[0]),
        "Q(1000)?x=1&y=2/F(v=0)"
    );
}

#[test]
fn nal_unit_length_field_default_and_invalid() {
    let xml = "<SmoothStreamingMedia MajorVersion=\"2\"><StreamIndex Type=\"video\" Url=\"u\">\
        <QualityLevel Bitrate=\"1\" FourCC=\"AVC1\" CodecPrivateData=\"00000001\" NALUnitLengthField=\"2\"/>\
        <QualityLevel Bitrate=\"2\" FourCC=\"AVC1\" CodecPrivateData=\"00000001\" NALUnitLengthField=\"3\"/>\
        <QualityLevel Bitrate=\"3\" FourCC=\"AVC1\" CodecPrivateData=\"0000000\"/>\
        </StreamIndex></SmoothStreamingMedia>";
    let m = parse_str(xml).expect("valid");
    let l = &m.streams[0].levels;
    assert_eq!(l[0].nal_unit_length_field, 2);
    assert_eq!(
        (l[1].nal_unit_length_field, l[1].unplayable_reason()),
        (
            4,
            Some(&LevelProblem::InvalidNalUnitLengthField("3".into()))
        )
    );
    assert_eq!(
        l[2].unplayable_reason(),
        Some(&LevelProblem::InvalidCodecPrivateData {
            reason: "odd number of hex digits"
        })
    );
    assert_eq!(m.streams[0].playable_levels().count(), 1);
}

#[test]
fn utf16_and_bom_documents_parse() {
    let xml = one_stream("", "<c d=\"1\"/>");
    let mut le = vec![0xFF, 0xFE];
    le.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(xml.encode_utf16().flat_map(u16::to_be_bytes));
    let mut utf8 = vec![0xEF, 0xBB, 0xBF];
    utf8.extend_from_slice(xml.as_bytes());
    for doc in [le, be, utf8] {
        assert_eq!(
            Manifest::parse(&doc).map(|m| m.streams[0].chunks.len()),
            Ok(1)
        );
    }
}

// ---- hostile input: typed errors, never a panic ---------------------------------

#[test]
fn malformed_documents_give_typed_errors() {
    assert_eq!(parse_str(""), Err(ManifestError::Empty));
    assert_eq!(parse_str("<!-- nothing -->"), Err(ManifestError::Empty));
    assert_eq!(
        parse_str("<MPD/>"),
        Err(ManifestError::WrongRoot {
            found: "MPD".into()
        })
    );
    assert_eq!(
        parse_str("<SmoothStreamingMedia MajorVersion=\"2\"><StreamIndex Type=\"video\">"),
        Err(ManifestError::Xml {
            offset: 65,
            message: "document ends inside an unclosed <StreamIndex>".into()
        })
    );
    assert!(matches!(
        parse_str("<SmoothStreamingMedia MajorVersion=\"2\"></StreamIndex>"),
        Err(ManifestError::Xml { .. })
    ));
    assert!(matches!(
        parse_str("<SmoothStreamingMedia MajorVersion=\"2\" a=1/>"),
        Err(ManifestError::Xml { .. })
    ));
    // A duplicated attribute is tolerated: the last one wins.
    let dup = parse_str("<SmoothStreamingMedia MajorVersion=\"2\" MajorVersion=\"1\"/>");
    assert_eq!(dup.map(|m| m.major_version), Ok(1));
    assert!(matches!(
        Manifest::parse(&[b'<', 0xC3, 0x28]),
        Err(ManifestError::Encoding { offset: 1 })
    ));
    assert_eq!(
        parse_str("<SmoothStreamingMedia/>"),
        Err(ManifestError::MissingAttribute {
            element: "SmoothStreamingMedia",
            attribute: "MajorVersion",
            offset: 0
        })
    );
    let unsupported = parse_str("<SmoothStreamingMedia MajorVersion=\"3\"/>");
    assert!(
        matches!(&unsupported, Err(e @ ManifestError::Unsupported { .. }) if !e.is_malformed())
    );
    assert!(matches!(
        parse_str(&one_stream("", "<c t=\"x\"/>")),
        Err(ManifestError::InvalidAttribute {
            element: "c",
            reason: "is not an unsigned integer",
            ..
        })
    ));
    assert!(matches!(
        parse_str(&one_stream("TimeScale=\"0\"", "")),
        Err(ManifestError::InvalidAttribute { .. })
    ));
    assert!(matches!(
        parse_str("<SmoothStreamingMedia MajorVersion=\"2\"><StreamIndex Url=\"u\"/></SmoothStreamingMedia>"),
        Err(ManifestError::MissingAttribute { element: "StreamIndex", attribute: "Type", .. })
    ));
}

#[test]
fn bad_timelines_give_typed_errors() {
    let problem = |body: &str| match parse_str(&one_stream("", body)) {
        Err(ManifestError::Timeline { problem, .. }) => Some(problem),
        other => panic!("{body}: {other:?}"),
    };
    assert_eq!(
        problem("<c t=\"0\" r=\"2\"/>"),
        Some(TimelineProblem::RepeatWithoutDuration)
    );
    assert_eq!(
        problem("<c t=\"5\"/><c/>"),
        Some(TimelineProblem::MissingStartTime)
    );
    assert_eq!(
        problem("<c t=\"10\" d=\"1\"/><c t=\"10\" d=\"1\"/>"),
        Some(TimelineProblem::NotIncreasing {
            previous: 10,
            start: 10
        })
    );
    assert_eq!(
        problem(&format!("<c t=\"{}\" d=\"2\"/>", u64::MAX - 1)),
        Some(TimelineProblem::TimeOverflow)
    );
    assert_eq!(
        problem("<c t=\"0\" d=\"0\" r=\"2\"/>"),
        Some(TimelineProblem::NotIncreasing {
            previous: 0,
            start: 0
        })
    );
}

#[test]
fn absurd_counts_hit_explicit_limits_without_allocating() {
    // r of 10^12 is refused before any chunk is allocated.
    let r = parse_str(&one_stream("", "<c t=\"0\" d=\"1\" r=\"1000000000000\"/>"));
    assert!(
        matches!(
            r,
            Err(ManifestError::LimitExceeded {
                element: "c",
                what: "chunks",
                limit: 1_000_000,
                ..
            })
        ),
        "{r:?}"
    );
    // Exactly at the per-stream limit is fine.
    let limits = ManifestLimits {
        max_chunks_per_stream: 10,
        ..ManifestLimits::default()
    };
    let ok =
        Manifest::parse_with_limits(one_stream("", "<c d=\"1\" r=\"10\"/>").as_bytes(), &limits);
    assert_eq!(ok.map(|m| m.streams[0].chunks.len()), Ok(10));
    let over = Manifest::parse_with_limits(
        one_stream("", "<c d=\"1\" r=\"10\"/><c d=\"1\"/>").as_bytes(),
        &limits,
    );
    assert!(matches!(
        over,
        Err(ManifestError::LimitExceeded { limit: 10, .. })
    ));

    let many_streams = format!(
        "<SmoothStreamingMedia MajorVersion=\"2\">{}</SmoothStreamingMedia>",
        "<StreamIndex Type=\"video\" Url=\"u\"/>".repeat(65)
    );
    assert!(matches!(
        parse_str(&many_streams),
        Err(ManifestError::LimitExceeded {
            what: "StreamIndex elements",
            limit: 64,
            ..
        })
    ));
    let many_levels = one_stream(
        "",
        &"<QualityLevel Bitrate=\"1\" FourCC=\"H264\"/>".repeat(64),
    );
    assert!(matches!(
        parse_str(&many_levels),
        Err(ManifestError::LimitExceeded {
            what: "QualityLevel elements",
            limit: 64,
            ..
        })
    ));

    let huge_value = one_stream("", &format!("<c t=\"{}\"/>", "9".repeat(70_000)));
    assert!(matches!(
        parse_str(&huge_value),
        Err(ManifestError::LimitExceeded {
            what: "bytes in an attribute value",
            ..
        })
    ));
    let big_number = one_stream("", &format!("<c t=\"{}\"/>", "9".repeat(30)));
    assert!(matches!(
        parse_str(&big_number),
        Err(ManifestError::InvalidAttribute {
            reason: "does not fit in 64 bits",
            ..
        })
    ));

    let too_big = vec![b' '; ManifestLimits::DEFAULT_MAX_BYTES + 1];
    assert_eq!(
        Manifest::parse(&too_big),
        Err(ManifestError::TooLarge {
            size: too_big.len(),
            limit: ManifestLimits::DEFAULT_MAX_BYTES
        })
    );
}

#[test]
fn total_chunk_limit_applies_across_streams() {
    let limits = ManifestLimits {
        max_total_chunks: 5,
        ..ManifestLimits::default()
    };
    let xml = "<SmoothStreamingMedia MajorVersion=\"2\">\
        <StreamIndex Type=\"video\" Url=\"u\"><c d=\"1\" r=\"3\"/></StreamIndex>\
        <StreamIndex Type=\"audio\" Url=\"u\"><c d=\"1\" r=\"3\"/></StreamIndex></SmoothStreamingMedia>";
    let r = Manifest::parse_with_limits(xml.as_bytes(), &limits);
    assert!(
        matches!(
            r,
            Err(ManifestError::LimitExceeded {
                what: "chunks",
                limit: 5,
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let xml = format!(
        "<SmoothStreamingMedia MajorVersion=\"2\">{}{}</SmoothStreamingMedia>",
        "<junk>".repeat(depth),
        "</junk>".repeat(depth)
    );
    assert!(matches!(
        parse_str(&xml),
        Err(ManifestError::TooDeep { limit: 32, .. })
    ));
    // Unknown elements within the limit are skipped with their subtree.
    let ok = one_stream("", "<junk><c t=\"99\" d=\"1\"/></junk><c d=\"1\"/>");
    assert_eq!(parse_str(&ok).map(|m| starts(&m.streams[0])), Ok(vec![0]));
}

#[test]
fn protection_problems_do_not_fail_the_manifest() {
    let xml = "<SmoothStreamingMedia MajorVersion=\"2\"><Protection>\
        <ProtectionHeader SystemID=\"9A04F079-9840-4286-AB92-E65BE0885F95\">AAAA</ProtectionHeader>\
        <ProtectionHeader SystemID=\"EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED\">AQID</ProtectionHeader>\
        </Protection></SmoothStreamingMedia>";
    let m = parse_str(xml).expect("valid");
    assert!(matches!(
        m.protection[0].problem,
        Some(ProtectionProblem::PlayReady(
            PlayReadyError::Truncated { .. }
        ))
    ));
    assert_eq!(m.protection[1].data, vec![1, 2, 3]);
    assert!(!m.protection[1].is_playready());
    assert_eq!(m.playready(), None);
}

#[test]
fn a_playready_object_of_four_or_five_bytes_is_a_problem_not_a_panic() {
    // Found by fuzz/fuzz_targets/playready_object.rs: a ProtectionHeader whose base64
    // decodes to 4 or 5 bytes panicked the whole manifest parse.
    for body in ["fgN+Aw==", "CgAAAAE="] {
        let xml = format!(
            "<SmoothStreamingMedia MajorVersion=\"2\"><Protection>\
             <ProtectionHeader SystemID=\"9A04F079-9840-4286-AB92-E65BE0885F95\">{body}</ProtectionHeader>\
             </Protection></SmoothStreamingMedia>"
        );
        let m = parse_str(&xml).expect("a bad header does not fail the manifest");
        assert!(matches!(
            m.protection[0].problem,
            Some(ProtectionProblem::PlayReady(PlayReadyError::Truncated { .. }))
        ));
    }
}

// ---- property tests: arbitrary and mutated input never panics --------------------

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn corpus() -> Vec<Vec<u8>> {
        [
            format!("{PEER}exoplayer_sample_ismc_1.ismc"),
            format!("{PEER}dashjs_manifestSubtype.xml"),
            format!("{PEER}msdocs_live_sparse_scte35.ismc"),
            format!("{PEER}shaka_mss-playready_Manifest.ismc"),
            format!("{MEDIA}small-piff-cbc.ism/Manifest"),
        ]
        .iter()
        .map(|p| read(p))
        .collect()
    }

    /// Small limits so that mutations which blow up counts stay cheap.
    fn limits() -> ManifestLimits {
        ManifestLimits {
            max_chunks_per_stream: 10_000,
            max_total_chunks: 20_000,
            ..ManifestLimits::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Manifest::parse_with_limits(&bytes, &limits());
        }

        #[test]
        fn mutated_real_manifests_never_panic(
            which in 0usize..5,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..16),
        ) {
            let corpus = corpus();
            let mut doc = corpus[which % corpus.len()].clone();
            for (at, byte, op) in edits {
                if doc.is_empty() { break; }
                let i = at.index(doc.len());
                match op {
                    0 => doc[i] = byte,
                    1 => doc.insert(i, byte),
                    2 => { doc.remove(i); }
                    // Digits and XML metacharacters are the interesting mutations.
                    _ => doc[i] = b"0123456789<>/\"= r"[usize::from(byte) % 17],
                }
            }
            if let Ok(m) = Manifest::parse_with_limits(&doc, &limits()) {
                for s in &m.streams {
                    for (l, c) in s.levels.iter().zip(&s.chunks) {
                        let _ = s.fragment_url(l, c);
                    }
                    if let Some(c) = s.chunks.last() { let _ = s.chunk_at(c.start); }
                }
            }
        }

        /// Chunk expansion matches a direct reading of the rules (start = t, else the
        /// previous end; `r` chunks of `d`), and `chunk_at` matches a linear scan.
        #[test]
        fn timeline_matches_reference_model(
            elements in proptest::collection::vec(
                (proptest::option::of(0u64..1_000), 1u64..50, proptest::option::of(0u64..5)),
                1..20,
            ),
            probes in proptest::collection::vec(0u64..3_000, 1..20),
        ) {
            let mut body = String::new();
            let mut expected: Vec<(u64, u64)> = Vec::new();
            let mut next = 0u64;
            let mut valid = true;
            for (t, d, r) in &elements {
                let start = t.unwrap_or(next);
                if expected.last().is_some_and(|&(prev, _)| start <= prev) {
                    valid = false;
                }
                for k in 0..r.unwrap_or(1).max(1) {
                    expected.push((start + k * d, *d));
                }
                next = expected.last().map_or(0, |&(s, d)| s + d);
                body.push_str("<c");
                if let Some(t) = t { body.push_str(&format!(" t=\"{t}\"")); }
                body.push_str(&format!(" d=\"{d}\""));
                if let Some(r) = r { body.push_str(&format!(" r=\"{r}\"")); }
                body.push_str("/>");
            }
            let parsed = parse_str(&one_stream("", &body));
            if !valid {
                let is_not_increasing = matches!(
                    parsed,
                    Err(ManifestError::Timeline { problem: TimelineProblem::NotIncreasing { .. }, .. })
                );
                prop_assert!(is_not_increasing, "{:?}", parsed);
                return Ok(());
            }
            let m = parsed.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let s = &m.streams[0];
            let got: Vec<(u64, u64)> =
                s.chunks.iter().map(|c| (c.start.ticks, c.duration.map_or(0, |d| d.ticks))).collect();
            prop_assert_eq!(&got, &expected);
            for t in probes {
                let linear = expected.iter().rposition(|&(st, d)| st <= t && t < st + d);
                let linear = linear.filter(|&i| expected.get(i + 1).is_none_or(|&(next, _)| t < next));
                prop_assert_eq!(s.chunk_at(MediaTime::new(t, s.timescale)), linear, "t={}", t);
            }
        }

        /// Start times print exactly for any u64.
        #[test]
        fn urls_print_any_start_time_exactly(t in any::<u64>()) {
            let m = parse_str(&one_stream("", &format!("<c t=\"{t}\"/>")))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let s = &m.streams[0];
            prop_assert_eq!(s.fragment_url(&s.levels[0], &s.chunks[0]), format!("Q(1000)/F(v={t})"));
        }
    }
}
