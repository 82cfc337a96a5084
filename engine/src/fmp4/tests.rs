//! Tests on real fragments (peer captures and the media fixtures) and on hostile input.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use proptest::prelude::*;

use super::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(rel)
}

fn load(rel: &str) -> Bytes {
    Bytes::from(std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn parse_file(rel: &str) -> Fragment {
    parse_fragment(load(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `Fragments(...)` files of every level of a presentation, sorted by start time.
fn fragment_files(ism: &str) -> Vec<(String, Vec<PathBuf>)> {
    let mut levels = Vec::new();
    let dir = fixture(&format!("media/{ism}"));
    for level in std::fs::read_dir(&dir).expect("ism dir").flatten() {
        if !level.path().is_dir() {
            continue;
        }
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(level.path())
            .expect("level dir")
            .flatten()
            .map(|f| f.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("Fragments("))
            })
            .map(|p| {
                let name = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string();
                let t = name
                    .rsplit('=')
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(')')
                    .parse()
                    .unwrap_or(0);
                (t, p)
            })
            .collect();
        files.sort();
        levels.push((
            level.file_name().to_string_lossy().into_owned(),
            files.into_iter().map(|(_, p)| p).collect(),
        ));
    }
    levels.sort();
    levels
}

#[test]
fn dashjs_live_fragment_has_tfxd_and_tfrf() {
    let f = parse_file("peer-manifests/dashjs_mss_moof.mp4");
    assert_eq!(f.samples.len(), 50);
    assert_eq!(
        f.tfxd,
        Some(Tfxd {
            start: 1_236_046_960_307_666,
            duration: 20_000_000
        })
    );
    assert_eq!(
        f.tfrf,
        vec![
            TfrfEntry {
                start: 1_236_046_980_307_666,
                duration: 20_000_000
            },
            TfrfEntry {
                start: 1_236_047_000_307_666,
                duration: 20_000_000
            },
        ]
    );
    assert_eq!(f.tfdt, None);
    assert_eq!(f.base_decode_time(7), 1_236_046_960_307_666);
    // tfhd 0x02003a: default duration and default-base-is-moof; durations fill the fragment.
    assert_eq!(f.duration(), 20_000_000);
    assert!(f.samples.iter().all(|s| s.duration == 400_000));
    let last = f.samples.last().expect("samples");
    assert_eq!(
        last.decode_time(f.base_decode_time(0)),
        1_236_046_960_307_666 + 49 * 400_000
    );
    assert!(f.samples[0].is_sync);
    assert!(f.encryption.is_none());
    // Its trun data offset is 61 bytes short (the tfrf size): repaired to the mdat start,
    // and the samples then fill the mdat exactly.
    assert!(f.data_offset_repaired);
    let total: usize = f.samples.iter().map(|s| s.data.len()).sum();
    assert_eq!(total, 63_759 - 8);
}

#[test]
fn dashjs_tfdt_fragment_uses_tfdt() {
    let f = parse_file("peer-manifests/dashjs_mss_moof_tfdt.mp4");
    assert_eq!(f.samples.len(), 93);
    assert!(f.tfxd.is_none());
    let tfdt = f.tfdt.expect("tfdt");
    assert_eq!(tfdt, 0x0004_94ba_efcc_9132);
    assert_eq!(f.base_decode_time(5), tfdt);
}

#[test]
fn shaka_clear_video_uses_sdtp_for_sync() {
    let f = parse_file("peer-manifests/shaka_mss-clear_Fragments(video=0).m4s");
    assert_eq!(f.samples.len(), 48);
    assert!(f.has_sdtp);
    assert!(f.tfxd.is_none() && f.tfdt.is_none());
    assert_eq!(
        f.base_decode_time(1234),
        1234,
        "no tfxd/tfdt: the manifest time is the base"
    );
    assert!(f.samples[0].is_sync);
    assert_eq!(
        f.samples.iter().filter(|s| s.is_sync).count(),
        1,
        "only the IDR is sync"
    );
    // Composition offsets are present (B-frames) and every sample starts with a NAL length.
    assert!(f.samples.iter().any(|s| s.composition_offset != 0));
    for s in &f.samples {
        assert!(s.data.len() >= 5);
    }
    assert!(f.encryption.is_none());
}

#[test]
fn shaka_playready_video_has_piff_subsamples() {
    let f = parse_file("peer-manifests/shaka_mss-playready_Fragments(video=0).m4s");
    assert_eq!(f.samples.len(), 48);
    let enc = f.encryption.as_ref().expect("encryption");
    assert_eq!(enc.kind, EncryptionBoxKind::PiffUuid);
    assert_eq!(enc.flags, 2);
    assert!(enc.has_subsamples);
    assert_eq!(enc.iv_size, Some(8));
    assert_eq!(enc.iv_size_source, Some(IvSizeSource::BoxSize));
    for s in &f.samples {
        let c = s.encryption.as_ref().expect("per-sample encryption");
        assert_eq!(c.iv.as_slice().len(), 8);
        let covered: u64 = c
            .subsamples
            .iter()
            .map(|ss| u64::from(ss.clear_bytes) + u64::from(ss.encrypted_bytes))
            .sum();
        assert_eq!(
            covered,
            s.data.len() as u64,
            "subsamples cover the sample exactly"
        );
    }
}

#[test]
fn shaka_playready_audio_is_whole_sample_encrypted() {
    let f = parse_file("peer-manifests/shaka_mss-playready_Fragments(audio=0).m4s");
    assert_eq!(f.samples.len(), 87);
    let enc = f.encryption.as_ref().expect("encryption");
    assert_eq!(enc.flags, 0);
    assert_eq!(enc.iv_size, Some(8));
    assert!(f.samples.iter().all(|s| s
        .encryption
        .as_ref()
        .is_some_and(|c| c.subsamples.is_empty())));
    assert!(f.samples.iter().all(|s| s.is_sync));
}

#[test]
fn small_ism_fragments_give_the_known_frame_counts() {
    let mut audio_frames = 0;
    for (level, files) in fragment_files("small.ism") {
        assert_eq!(files.len(), 5, "{level}");
        let mut frames = 0;
        let mut expected_start = 0u64;
        for path in &files {
            let f = parse_fragment(Bytes::from(std::fs::read(path).expect("read")))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let tfxd = f.tfxd.expect("tfxd");
            assert!(
                tfxd.start.abs_diff(expected_start) <= 1,
                "{}: tfxd {} vs {}",
                path.display(),
                tfxd.start,
                expected_start
            );
            expected_start = tfxd.start + tfxd.duration;
            frames += f.samples.len();
            assert!(f.samples[0].is_sync);
            assert_eq!(f.duration(), tfxd.duration, "{}", path.display());
        }
        if level.starts_with("QualityLevels(48125") {
            audio_frames += frames;
        } else {
            assert_eq!(frames, 250, "{level}");
        }
    }
    assert_eq!(audio_frames, 470);
}

#[test]
fn fragment_info_without_mdat_is_a_typed_error() {
    let err = parse_fragment(load(
        "media/small.ism/QualityLevels(200000)/FragmentInfo(video=0)",
    ))
    .unwrap_err();
    assert_eq!(
        err,
        BoxError::Missing {
            parent: BoxType::Fragment,
            offset: 0,
            missing: BoxType::fourcc(b"mdat")
        }
    );
}

#[test]
fn every_encrypted_fixture_parses_with_iv_info() {
    for ism in [
        "small-piff-ctr.ism",
        "small-piff-cbc.ism",
        "small-bento-cenc.ism",
    ] {
        for (level, files) in fragment_files(ism) {
            let mut frames = 0;
            for path in &files {
                let f = parse_fragment(Bytes::from(std::fs::read(path).expect("read")))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                frames += f.samples.len();
                let enc = f.encryption.as_ref().expect("encrypted");
                assert!(
                    enc.overrides.is_none(),
                    "the encrypter wrote no override fields"
                );
                if ism == "small-bento-cenc.ism" {
                    assert_eq!(enc.kind, EncryptionBoxKind::Cenc);
                    assert!(enc.also_piff_uuid);
                    assert_eq!(enc.iv_size_source, Some(IvSizeSource::AuxInfoSizes));
                }
                let expected_iv = if ism == "small-piff-cbc.ism" { 16 } else { 8 };
                if let Some(iv) = enc.iv_size {
                    assert_eq!(iv, expected_iv, "{}", path.display());
                }
            }
            if !level.contains("48000") && !level.contains("57191") {
                assert_eq!(frames, 250, "{ism} {level}");
            }
        }
    }
}

// ---- hand-built boxes --------------------------------------------------------------

fn bx(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(fourcc);
    v.extend_from_slice(payload);
    v
}

fn full(version: u8, flags: u32, rest: &[u8]) -> Vec<u8> {
    let mut v = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
    v.extend_from_slice(rest);
    v
}

/// moof(mfhd, traf(tfhd, trun with `sizes`)) + mdat of `mdat_len` bytes; data offset
/// points at the mdat payload.
fn synthetic(sizes: &[u32], mdat_len: usize) -> Vec<u8> {
    let mfhd = bx(b"mfhd", &full(0, 0, &7u32.to_be_bytes()));
    let tfhd = bx(b"tfhd", &full(0, 0x08, &[0, 0, 0, 1, 0, 0, 0, 100]));
    let trun_len = 8 + 4 + 4 + 4 + 4 * sizes.len();
    let moof_len = 8 + mfhd.len() + 8 + tfhd.len() + trun_len;
    let mut t = (sizes.len() as u32).to_be_bytes().to_vec();
    t.extend_from_slice(&((moof_len + 8) as i32).to_be_bytes());
    for s in sizes {
        t.extend_from_slice(&s.to_be_bytes());
    }
    let trun = bx(b"trun", &full(0, 0x201, &t));
    let traf = bx(b"traf", &[tfhd, trun].concat());
    let moof = bx(b"moof", &[mfhd, traf].concat());
    assert_eq!(moof.len(), moof_len);
    [moof, bx(b"mdat", &vec![0xAB; mdat_len])].concat()
}

#[test]
fn synthetic_fragment_parses() {
    let f = parse_fragment(Bytes::from(synthetic(&[3, 5], 8))).expect("parse");
    assert_eq!(f.sequence_number, 7);
    assert_eq!(f.track_id, 1);
    assert_eq!(f.samples.len(), 2);
    assert_eq!(f.samples[1].decode_offset, 100);
    assert_eq!(f.samples[1].data.len(), 5);
}

#[test]
fn trun_data_beyond_mdat_is_rejected() {
    let err = parse_fragment(Bytes::from(synthetic(&[3, 6], 8))).unwrap_err();
    assert!(
        matches!(err, BoxError::DataOutOfRange { sample: 1, .. }),
        "{err}"
    );
}

#[test]
fn truncated_fragment_is_rejected_with_the_box_name() {
    let data = synthetic(&[3, 5], 8);
    for cut in 1..data.len() {
        let err = parse_fragment(Bytes::from(data[..cut].to_vec())).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("at byte"), "cut {cut}: {msg}");
    }
    let err = parse_fragment(Bytes::from(data[..data.len() - 1].to_vec())).unwrap_err();
    assert!(
        matches!(err, BoxError::SizeBeyondParent { box_type, .. } if box_type == BoxType::fourcc(b"mdat")),
        "{err}"
    );
}

#[test]
fn box_size_beyond_parent_names_child_and_parent() {
    let mut data = synthetic(&[3], 3);
    // tfhd starts at 8 (moof) + 16 (mfhd) + 8 (traf header) = 32; grow its size by 100.
    data[32..36].copy_from_slice(&200u32.to_be_bytes());
    let err = parse_fragment(Bytes::from(data)).unwrap_err();
    assert_eq!(
        err,
        BoxError::SizeBeyondParent {
            box_type: BoxType::fourcc(b"tfhd"),
            offset: 32,
            size: 200,
            parent: BoxType::fourcc(b"traf"),
            available: 20 + 24,
        }
    );
}

#[test]
fn zero_and_tiny_sizes_are_rejected() {
    let mut data = synthetic(&[3], 3);
    data[32..36].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(
        parse_fragment(Bytes::from(data.clone())).unwrap_err(),
        BoxError::ZeroSize {
            box_type: BoxType::fourcc(b"tfhd"),
            offset: 32
        }
    );
    data[32..36].copy_from_slice(&5u32.to_be_bytes());
    assert_eq!(
        parse_fragment(Bytes::from(data)).unwrap_err(),
        BoxError::SizeTooSmall {
            box_type: BoxType::fourcc(b"tfhd"),
            offset: 32,
            size: 5,
            header_len: 8
        }
    );
}

#[test]
fn top_level_zero_size_mdat_runs_to_the_end() {
    let mut data = synthetic(&[3, 5], 8);
    let mdat_at = data.len() - 16;
    data[mdat_at..mdat_at + 4].copy_from_slice(&0u32.to_be_bytes());
    let f = parse_fragment(Bytes::from(data)).expect("size 0 at top level");
    assert_eq!(f.samples[1].data.len(), 5);
}

#[test]
fn largesize_boxes_are_read_and_checked() {
    let data = synthetic(&[3], 3);
    let mdat_at = data.len() - 11;
    let mut large = data[..mdat_at].to_vec();
    large.extend_from_slice(&1u32.to_be_bytes());
    large.extend_from_slice(b"mdat");
    large.extend_from_slice(&(16u64 + 3).to_be_bytes());
    large.extend_from_slice(&[1, 2, 3]);
    // The trun's data offset pointed at the 8-byte header's payload; it is now 8 bytes early.
    let err = parse_fragment(Bytes::from(large.clone())).unwrap_err();
    assert!(matches!(err, BoxError::DataOutOfRange { .. }), "{err}");
    // With the data offset moved past the 16-byte header it parses.
    let off = i32::from_be_bytes([large[68], large[69], large[70], large[71]]) + 8;
    large[68..72].copy_from_slice(&off.to_be_bytes());
    let f = parse_fragment(Bytes::from(large.clone())).expect("largesize mdat");
    assert_eq!(&f.samples[0].data[..], &[1, 2, 3]);
    // A largesize below 16 is too small; one above the limit is refused.
    let mut tiny = large.clone();
    tiny[mdat_at + 8..mdat_at + 16].copy_from_slice(&9u64.to_be_bytes());
    assert!(matches!(
        parse_fragment(Bytes::from(tiny)).unwrap_err(),
        BoxError::SizeTooSmall {
            size: 9,
            header_len: 16,
            ..
        }
    ));
    let mut huge = large;
    huge[mdat_at + 8..mdat_at + 16].copy_from_slice(&u64::MAX.to_be_bytes());
    assert!(matches!(
        parse_fragment(Bytes::from(huge)).unwrap_err(),
        BoxError::TooLarge { .. }
    ));
}

#[test]
fn huge_sample_count_is_refused_without_allocating() {
    let mut data = synthetic(&[3], 3);
    // trun payload starts at 8+16+8+20 = 52 (+8 header): version/flags then sample_count.
    data[52 + 12..52 + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        parse_fragment(Bytes::from(data.clone())).unwrap_err(),
        BoxError::TooMany { what: "sample", .. }
    ));
    data[52 + 12..52 + 16].copy_from_slice(&900_000u32.to_be_bytes());
    assert!(matches!(
        parse_fragment(Bytes::from(data)).unwrap_err(),
        BoxError::Truncated { .. }
    ));
}

/// A trun with no per-sample fields: `count` samples that all take the tfhd defaults.
fn defaults_only(count: u32, default_size: Option<u32>, mdat_len: usize) -> Vec<u8> {
    let mfhd = bx(b"mfhd", &full(0, 0, &1u32.to_be_bytes()));
    let mut t = vec![0, 0, 0, 1, 0, 0, 0, 10];
    let mut flags = 0x08;
    if let Some(size) = default_size {
        t.extend_from_slice(&size.to_be_bytes());
        flags |= 0x10;
    }
    let tfhd = bx(b"tfhd", &full(0, flags, &t));
    let moof_len = 8 + mfhd.len() + 8 + tfhd.len() + 8 + 12;
    let mut r = count.to_be_bytes().to_vec();
    r.extend_from_slice(&((moof_len + 8) as i32).to_be_bytes());
    let trun = bx(b"trun", &full(0, 0x1, &r));
    let moof = bx(
        b"moof",
        &[mfhd, bx(b"traf", &[tfhd, trun].concat())].concat(),
    );
    [moof, bx(b"mdat", &vec![7; mdat_len])].concat()
}

#[test]
fn sample_counts_not_backed_by_bytes_are_bounded() {
    let f = parse_fragment(Bytes::from(defaults_only(4, Some(2), 8))).expect("defaults only");
    assert_eq!(f.samples.len(), 4);
    assert_eq!(f.samples[3].decode_offset, 30);
    assert_eq!(&f.samples[3].data[..], &[7, 7]);
    let err = parse_fragment(Bytes::from(defaults_only(1_000_000, Some(0), 0))).unwrap_err();
    assert!(
        matches!(
            err,
            BoxError::TooMany {
                what: "empty sample",
                ..
            }
        ),
        "{err}"
    );
    let err = parse_fragment(Bytes::from(defaults_only(1_000_000, Some(1), 100))).unwrap_err();
    assert!(
        matches!(err, BoxError::DataOutOfRange { sample: 100, .. }),
        "{err}"
    );
    let err = parse_fragment(Bytes::from(defaults_only(2, None, 8))).unwrap_err();
    assert!(err.to_string().contains("no size in trun or tfhd"), "{err}");
}

#[test]
fn unknown_boxes_are_skipped_and_kept() {
    let data = synthetic(&[3], 3);
    let with_free = [bx(b"styp", b"msdh"), data].concat();
    // Offsets shift by 12: the trun's data offset is relative to the moof, so it still works.
    let f = parse_fragment(Bytes::from(with_free)).expect("parse");
    assert_eq!(f.unknown_boxes.len(), 1);
    assert_eq!(f.unknown_boxes[0].box_type, BoxType::fourcc(b"styp"));
    assert_eq!(f.moof_offset, 12);
    assert_eq!(&f.samples[0].data[..], &[0xAB; 3]);
}

#[test]
fn errors_name_uuid_boxes() {
    let t = BoxType::Uuid(boxes::UUID_PIFF_SENC);
    assert_eq!(
        t.to_string(),
        "PIFF senc uuid a2394f52-5a9b-4f14-a244-6c427c648df4"
    );
}

fn all_fixture_fragments() -> Vec<Vec<u8>> {
    let mut out = vec![
        load("peer-manifests/dashjs_mss_moof.mp4").to_vec(),
        load("peer-manifests/shaka_mss-playready_Fragments(video=0).m4s").to_vec(),
        load("peer-manifests/shaka_mss-playready_Fragments(audio=0).m4s").to_vec(),
        load("media/small-bento-cenc.ism/QualityLevels(189600)/Fragments(video=0)").to_vec(),
    ];
    out.truncate(4);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_fragment(Bytes::from(data));
    }

    #[test]
    fn mutated_real_fragments_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..8),
        cut in any::<u16>(),
    ) {
        let files = all_fixture_fragments();
        let mut data = files[which].clone();
        for (pos, val) in edits {
            let i = usize::from(pos) % data.len().min(2400);
            data[i] = val;
        }
        let keep = data.len() - usize::from(cut) % 64;
        data.truncate(keep);
        if let Ok(f) = parse_fragment(Bytes::from(data)) {
            // Whatever parses is internally consistent.
            for s in &f.samples {
                if let Some(c) = &s.encryption {
                    prop_assert!(c.iv.as_slice().len() == 8 || c.iv.as_slice().len() == 16);
                }
            }
        }
    }
}

#[test]
fn tfxd_wins_over_tfdt_for_the_base_decode_time() {
    let mut f = parse_file("peer-manifests/dashjs_mss_moof_tfdt.mp4");
    let tfdt = f.tfdt.expect("tfdt");
    f.tfxd = Some(Tfxd {
        start: 42,
        duration: 1,
    });
    assert_eq!(f.base_decode_time(7), 42);
    f.tfxd = None;
    assert_eq!(f.base_decode_time(7), tfdt);
}
