//! The committed demo presentation (assets/demo.ism) decodes completely and bit-exact:
//! every video level through our H.264 decoder against ffmpeg's decode of the same samples
//! (as an Annex-B stream built with our annexb helpers), the audio through our AAC decoder
//! against ffmpeg's decode of the same access units (as ADTS). The fragment walking here is
//! a minimal test-only reader (moof/traf/tfhd/trun + mdat), independent of engine::fmp4.

mod decode_support;

use std::path::{Path, PathBuf};

use decode_support::*;
use smoothplay_engine::decode::{adts, annexb, AacDecoder, FrameMd5Writer, H264Decoder};
use smoothplay_engine::MediaTime;

fn demo_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/demo.ism"))
}

/// The manifest's (bitrate, CodecPrivateData) per QualityLevel of one stream type, and its
/// chunk start times.
fn stream_info(manifest: &str, kind: &str) -> (Vec<(String, Vec<u8>)>, Vec<u64>) {
    let start = manifest.find(&format!("Type=\"{kind}\"")).expect("stream");
    let end = start + manifest[start..].find("</StreamIndex>").expect("end");
    let section = &manifest[start..end];
    let attr = |line: &str, name: &str| -> String {
        let i = line
            .find(&format!(" {name}=\""))
            .unwrap_or_else(|| panic!("{name} in {line}"))
            + name.len()
            + 3;
        line[i..i + line[i..].find('"').unwrap()].to_string()
    };
    let mut levels = Vec::new();
    let mut starts = Vec::new();
    let mut t = 0u64;
    for line in section.lines() {
        if line.starts_with("<QualityLevel ") {
            let hex = attr(line, "CodecPrivateData");
            let cpd = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            levels.push((attr(line, "Bitrate"), cpd));
        } else if line.starts_with("<c ") {
            starts.push(t);
            t += attr(line, "d").parse::<u64>().unwrap();
        }
    }
    (levels, starts)
}

fn fragment(dir: &Path, bitrate: &str, kind: &str, t: u64) -> Vec<u8> {
    std::fs::read(dir.join(format!("QualityLevels({bitrate})/Fragments({kind}={t})")))
        .expect("fragment file")
}

#[test]
fn every_video_level_decodes_bit_exact_against_ffmpeg() {
    if !ffmpeg_available("demo video") {
        return;
    }
    let dir = demo_dir();
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap();
    let (levels, starts) = stream_info(&manifest, "video");
    assert_eq!(levels.len(), 3);
    let tmp = TempDir::new("demo");
    for (bitrate, cpd) in &levels {
        let mut dec = H264Decoder::new().unwrap();
        dec.configure(cpd, 4).unwrap();
        let mut stream = annexb::codec_private_to_annexb(cpd).unwrap();
        let mut frames = Vec::new();
        let mut n = 0u64;
        for &t in &starts {
            for s in fragment_samples(&fragment(&dir, bitrate, "video", t)) {
                stream.extend(annexb::sample_to_annexb(&s, 4).unwrap());
                frames.extend(dec.decode(&s, MediaTime::new(n, 25)).unwrap());
                n += 1;
            }
        }
        frames.extend(dec.flush().unwrap());
        assert_eq!(frames.len(), 500, "level {bitrate}: 20 s at 25 fps");
        let mut w = FrameMd5Writer::new(Vec::new(), 25);
        for f in &frames {
            w.write_frame(f).unwrap();
        }
        let ours = String::from_utf8(w.finish().unwrap()).unwrap();
        let es = tmp.path(&format!("{bitrate}.h264"));
        std::fs::write(&es, &stream).unwrap();
        let theirs = ffmpeg_framemd5(&es);
        assert_eq!(ours, theirs, "level {bitrate}");
    }
}

#[test]
fn audio_decodes_against_ffmpeg_with_the_same_sample_count() {
    if !ffmpeg_available("demo audio") {
        return;
    }
    let dir = demo_dir();
    let manifest = std::fs::read_to_string(dir.join("Manifest")).unwrap();
    let (levels, starts) = stream_info(&manifest, "audio");
    let (bitrate, asc) = &levels[0];
    let mut dec = AacDecoder::new(asc).unwrap();
    let mut ours = Vec::new();
    let mut adts_stream = Vec::new();
    let mut n = 0u64;
    for &t in &starts {
        for au in fragment_samples(&fragment(&dir, bitrate, "audio", t)) {
            adts_stream.extend(adts::wrap(&au, asc).unwrap());
            ours.extend(
                dec.decode(&au, MediaTime::new(n * 1024, 48_000))
                    .unwrap()
                    .samples,
            );
            n += 1;
        }
    }
    let tmp = TempDir::new("demoaudio");
    let path = tmp.path("demo.aac");
    std::fs::write(&path, &adts_stream).unwrap();
    let reference: Vec<f32> = ffmpeg(&["-i", path.to_str().unwrap(), "-f", "f32le", "-"])
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(ours.len(), reference.len());
    assert!(ours.len() >= 20 * 48_000 * 2, "at least 20 s of stereo");
    let s = snr(&reference, &ours);
    assert!(s >= 90.0, "SNR {s:.1} dB");
}
