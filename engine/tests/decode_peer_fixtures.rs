//! Decoder configuration from every QualityLevel in the peer manifests and media fixtures
//! (real CodecPrivateData from other players' test suites), and a real peer fragment
//! (shaka's clear 224x128 H.264 fragment) decoded against ffmpeg.

mod decode_support;

use std::path::PathBuf;

use decode_support::*;
use smoothplay_engine::decode::asc::audio_specific_config;
use smoothplay_engine::decode::{
    annexb, codec_for, AacDecoder, CodecKind, DecodeError, H264Decoder,
};
use smoothplay_engine::MediaTime;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures"))
}

fn attr(element: &str, name: &str) -> Option<String> {
    // Attributes are matched with a leading space so `Bitrate` does not hit `MaxBitrate`.
    let at = element.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = element[at..].find('"')?;
    Some(element[at..at + len].to_string())
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// What configuring a decoder for one QualityLevel gives.
fn outcome(level: &str) -> Result<CodecKind, DecodeError> {
    let kind = codec_for(attr(level, "FourCC").as_deref())?;
    let cpd = hex(&attr(level, "CodecPrivateData").unwrap_or_default());
    match kind {
        CodecKind::H264 => H264Decoder::new()?.configure(&cpd, 4)?,
        CodecKind::AacLc => {
            let asc = if cpd.is_empty() {
                let rate = attr(level, "SamplingRate")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0);
                let channels = attr(level, "Channels")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                audio_specific_config(rate, channels)?
            } else {
                cpd
            };
            AacDecoder::new(&asc)?;
        }
        _ => unreachable!("codec_for returned a kind this test does not know"),
    }
    Ok(kind)
}

#[test]
fn every_fixture_quality_level_configures_or_gives_a_typed_reason() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("peer-manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("xml" | "ismc")))
        .collect();
    for dir in [
        "small.ism",
        "small-piff-ctr.ism",
        "small-piff-cbc.ism",
        "small-bento-cenc.ism",
    ] {
        files.push(fixtures().join("media").join(dir).join("Manifest"));
    }
    files.sort();
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.strip_prefix(fixtures()).unwrap().display().to_string();
        for (i, level) in text.split("<QualityLevel").skip(1).enumerate() {
            let level = level.split('>').next().unwrap_or_default();
            let fourcc = attr(level, "FourCC");
            let result = outcome(level);
            let key = match (&result, fourcc.as_deref()) {
                (Ok(kind), _) => format!("ok {kind:?}"),
                (Err(DecodeError::UnsupportedCodec { fourcc: named }), Some(cc)) => {
                    assert_eq!(named, cc, "{name} level {i}: the error names the FourCC");
                    format!("unsupported {cc}")
                }
                (Err(DecodeError::MissingFourCc), None | Some("")) => "missing FourCC".to_string(),
                (Err(e), cc) => format!("{cc:?}: {e}"),
            };
            // H.264 and AAC-LC levels must all configure, except in dashjs_manifest.xml,
            // which puts VC-1 CodecPrivateData under FourCC AVC1 and gives its AACL level
            // neither CodecPrivateData nor SamplingRate (nothing to configure a decoder from).
            if matches!(fourcc.as_deref(), Some("H264" | "AVC1" | "AACL")) && result.is_err() {
                let known_bad = name.contains("dashjs_manifest.xml")
                    && matches!(
                        result,
                        Err(DecodeError::InvalidCodecPrivateData { .. }
                            | DecodeError::InvalidAudioSpecificConfig { .. })
                    );
                assert!(known_bad, "{name} level {i} ({fourcc:?}): {result:?}");
            }
            *tally.entry(key).or_default() += 1;
        }
    }
    eprintln!("{tally:#?}");
    assert!(
        tally.get("ok H264").copied().unwrap_or(0) >= 30,
        "{tally:?}"
    );
    assert!(
        tally.get("ok AacLc").copied().unwrap_or(0) >= 8,
        "{tally:?}"
    );
    // (The zoetrope stream of dashjs_manifestSubtype.xml puts FourCC="JPEG" on its StreamIndex,
    // not on the QualityLevel: that level counts as "missing FourCC" here.)
    for cc in ["WVC1", "WMAP", "WMA2", "TTML", "DFXP"] {
        assert!(
            tally.contains_key(&format!("unsupported {cc}")),
            "{cc} seen and refused: {tally:?}"
        );
    }
    assert!(tally.contains_key("missing FourCC"), "{tally:?}");
}

#[test]
fn shaka_clear_fragment_decodes_like_ffmpeg() {
    if !ffmpeg_available("shaka fragment") {
        return;
    }
    let peer = fixtures().join("peer-manifests");
    let manifest = std::fs::read_to_string(peer.join("shaka_mss-clear_Manifest.ismc")).unwrap();
    let level = manifest.split("<QualityLevel").nth(1).unwrap();
    let cpd = hex(&attr(level, "CodecPrivateData").unwrap());
    let fragment = std::fs::read(peer.join("shaka_mss-clear_Fragments(video=0).m4s")).unwrap();
    let samples = fragment_samples(&fragment);
    assert_eq!(samples.len(), 48);

    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&cpd, 4).unwrap();
    let mut stream = annexb::codec_private_to_annexb(&cpd).unwrap();
    let mut frames = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        stream.extend(annexb::sample_to_annexb(s, 4).unwrap());
        frames.extend(dec.decode(s, MediaTime::new(i as u64, 24)).unwrap());
    }
    frames.extend(dec.flush().unwrap());
    let dir = TempDir::new("shaka");
    let es = dir.path("shaka.h264");
    std::fs::write(&es, &stream).unwrap();
    let reference = reference_pictures(&dir, &es, 224, 128);
    assert_eq!(frames.len(), reference.len());
    assert_eq!(frames.len(), 48);
    let mut exact = 0;
    for (i, (f, r)) in frames.iter().zip(&reference).enumerate() {
        assert_eq!((f.width, f.height), (224, 128));
        let p = psnr(&[f.y.as_slice(), &f.u, &f.v].concat(), r);
        assert!(p >= 60.0, "picture {i}: {p:.1} dB");
        exact += usize::from(p.is_infinite());
    }
    eprintln!("shaka fragment: {exact}/48 pictures bit-exact with ffmpeg");
}
