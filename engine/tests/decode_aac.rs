//! AAC-LC decoding checked against ffmpeg's decoder: same sample count, SNR >= 90 dB; and
//! the ADTS writer and AudioSpecificConfig builder against ffmpeg's ADTS output.

mod decode_support;

use decode_support::*;
use smoothplay_engine::decode::asc::{audio_specific_config, AudioSpecificConfig};
use smoothplay_engine::decode::{adts, AacDecoder, DecodeError};
use smoothplay_engine::MediaTime;

/// An ADTS stream split into raw access units plus the AudioSpecificConfig its header
/// describes (built here from the header bits, independently of the engine's builder).
struct Adts {
    asc: Vec<u8>,
    frames: Vec<Vec<u8>>,
    access_units: Vec<Vec<u8>>,
}

fn split_adts(data: &[u8]) -> Adts {
    let (mut frames, mut aus, mut asc) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = 0;
    while i + 7 <= data.len() {
        let h = &data[i..i + 7];
        assert_eq!((h[0], h[1] & 0xf0), (0xff, 0xf0), "ADTS sync at {i}");
        let header_len = if h[1] & 1 == 1 { 7 } else { 9 };
        let len = (usize::from(h[3] & 3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
        let object_type = (h[2] >> 6) + 1;
        let index = (h[2] >> 2) & 0xf;
        let channels = ((h[2] & 1) << 2) | (h[3] >> 6);
        let this_asc = vec![
            (object_type << 3) | (index >> 1),
            ((index & 1) << 7) | (channels << 3),
        ];
        if asc.is_empty() {
            asc = this_asc;
        }
        frames.push(data[i..i + len].to_vec());
        aus.push(data[i + header_len..i + len].to_vec());
        i += len;
    }
    assert_eq!(i, data.len(), "whole ADTS frames");
    Adts {
        asc,
        frames,
        access_units: aus,
    }
}

fn f32le(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn encode_aac(dir: &TempDir, rate: u32, channels: u32) -> std::path::PathBuf {
    let out = dir.path("in.aac");
    // Two tones and some noise, so every band carries signal.
    let src = format!(
        "aevalsrc=0.4*sin(2*PI*440*t)+0.2*sin(2*PI*3150*t)+0.05*(random(0)-0.5):s={rate}:d=2"
    );
    let (r, c) = (rate.to_string(), channels.to_string());
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &src,
        "-ac",
        &c,
        "-ar",
        &r,
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-f",
        "adts",
        out.to_str().unwrap(),
    ]);
    out
}

fn check_against_ffmpeg(tag: &str, rate: u32, channels: u16) {
    let dir = TempDir::new(tag);
    let input = encode_aac(&dir, rate, u32::from(channels));
    let adts_stream = split_adts(&std::fs::read(&input).unwrap());
    let reference = f32le(&ffmpeg(&[
        "-i",
        input.to_str().unwrap(),
        "-f",
        "f32le",
        "-",
    ]));

    let mut dec = AacDecoder::new(&adts_stream.asc).unwrap();
    assert_eq!((dec.sample_rate(), dec.channels()), (rate, channels));
    let mut ours = Vec::new();
    for (i, au) in adts_stream.access_units.iter().enumerate() {
        let pts = MediaTime::new(i as u64 * 1024, u64::from(rate));
        let block = dec
            .decode(au, pts)
            .unwrap_or_else(|e| panic!("{tag} AU {i}: {e}"));
        assert_eq!(
            (block.pts, block.sample_rate, block.channels, block.frames()),
            (pts, rate, channels, 1024)
        );
        ours.extend_from_slice(&block.samples);
    }
    // No trimming on either side: ffmpeg does not drop the encoder's 1024 priming samples
    // for ADTS input (no edit list), and neither do we, so the counts match exactly.
    assert_eq!(ours.len(), reference.len(), "{tag}: sample count");
    let s = snr(&reference, &ours);
    eprintln!(
        "{tag}: {} AUs, {} samples, SNR {s:.1} dB",
        adts_stream.access_units.len(),
        ours.len()
    );
    assert!(s >= 90.0, "{tag}: SNR {s:.1} dB < 90");
}

#[test]
fn stereo_48k_matches_ffmpeg_decode() {
    if !ffmpeg_available("AAC stereo") {
        return;
    }
    check_against_ffmpeg("aac48", 48_000, 2);
}

#[test]
fn mono_44k1_matches_ffmpeg_decode() {
    if !ffmpeg_available("AAC mono") {
        return;
    }
    check_against_ffmpeg("aac44", 44_100, 1);
}

#[test]
fn adts_writer_and_asc_builder_reproduce_ffmpeg_bytes() {
    if !ffmpeg_available("ADTS") {
        return;
    }
    let dir = TempDir::new("adts");
    let input = encode_aac(&dir, 48_000, 2);
    let stream = split_adts(&std::fs::read(&input).unwrap());
    assert_eq!(audio_specific_config(48_000, 2).unwrap(), stream.asc);
    let parsed = AudioSpecificConfig::parse(&stream.asc).unwrap();
    assert_eq!((parsed.sample_rate, parsed.channels()), (48_000, Some(2)));
    for (i, (au, frame)) in stream.access_units.iter().zip(&stream.frames).enumerate() {
        assert_eq!(
            &adts::wrap(au, &stream.asc).unwrap(),
            frame,
            "ADTS frame {i}"
        );
    }
    // And ffmpeg reads our re-wrapped stream back to the same audio.
    let rewrapped = dir.path("ours.aac");
    let bytes: Vec<u8> = stream
        .access_units
        .iter()
        .flat_map(|au| adts::wrap(au, &stream.asc).unwrap())
        .collect();
    std::fs::write(&rewrapped, bytes).unwrap();
    let a = ffmpeg(&["-i", input.to_str().unwrap(), "-f", "f32le", "-"]);
    let b = ffmpeg(&["-i", rewrapped.to_str().unwrap(), "-f", "f32le", "-"]);
    assert_eq!(a, b);
}

#[test]
fn corrupt_access_units_are_errors_and_decoding_continues() {
    if !ffmpeg_available("AAC corrupt") {
        return;
    }
    let dir = TempDir::new("aacbad");
    let input = encode_aac(&dir, 48_000, 2);
    let stream = split_adts(&std::fs::read(&input).unwrap());
    let mut dec = AacDecoder::new(&stream.asc).unwrap();
    let mut errors = 0;
    for (i, au) in stream.access_units.iter().enumerate() {
        let pts = MediaTime::new(i as u64 * 1024, 48_000);
        let input: Vec<u8> = match i % 4 {
            1 => au[..au.len() / 3].to_vec(),
            2 => au
                .iter()
                .enumerate()
                .map(|(j, b)| b ^ (j as u8).wrapping_mul(151))
                .collect(),
            _ => au.clone(),
        };
        match dec.decode(&input, pts) {
            Ok(block) => assert_eq!(block.samples.len(), 2048),
            Err(e) => {
                assert!(
                    matches!(e, DecodeError::Aac { pts: Some(p), .. } if p == pts),
                    "{e}"
                );
                errors += 1;
            }
        }
    }
    assert!(errors > 0, "truncated access units are detected");
    // After a reset the clean stream decodes to ffmpeg's output again (from AU 0).
    dec.reset();
    let reference = f32le(&ffmpeg(&[
        "-i",
        input.to_str().unwrap(),
        "-f",
        "f32le",
        "-",
    ]));
    let mut ours = Vec::new();
    for (i, au) in stream.access_units.iter().enumerate() {
        ours.extend(
            dec.decode(au, MediaTime::new(i as u64 * 1024, 48_000))
                .unwrap()
                .samples,
        );
    }
    let s = snr(&reference, &ours);
    assert!(s >= 90.0, "after reset: SNR {s:.1} dB");
}
