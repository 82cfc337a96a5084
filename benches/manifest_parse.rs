//! `Manifest::parse` on the peer manifests and on synthetic one-hour manifests.
//!
//! Criterion reports the time per document; the throughput line is chunks per second
//! (every `<c>` occurrence expanded, summed over the streams), so per-chunk cost is
//! 1 / that figure.
//!
//! Run: `cargo bench -p smoothplay --bench manifest_parse`

mod common;

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use smoothplay::engine::manifest::Manifest;

/// Chunks in one hour of 2 s fragments.
const HOUR_OF_2S_CHUNKS: u64 = 1800;
/// 2 s in the default 10 MHz timescale.
const TWO_SECONDS: u64 = 20_000_000;
/// AAC at 48 kHz alternates 2.0053 s and 1.984 s fragments; a repeated pattern of two.
const AUDIO_DURATIONS: [u64; 2] = [20_053_333, 19_946_667];

fn total_chunks(m: &Manifest) -> u64 {
    m.streams.iter().map(|s| s.chunks.len() as u64).sum()
}

/// A one-hour on-demand manifest: 4 video levels and one AAC level, 2 s fragments.
/// `repeat` writes the video timeline as one `<c d r>` and audio as alternating pairs
/// with `r`; otherwise one `<c>` per fragment (with `t` on the first, `d` on all).
fn synthetic_hour(repeat: bool) -> String {
    let mut x = String::new();
    let total = HOUR_OF_2S_CHUNKS * TWO_SECONDS;
    let _ = write!(x, r#"<?xml version="1.0" encoding="utf-8"?><SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="{total}">"#);
    let _ = write!(
        x,
        r#"<StreamIndex Type="video" Name="video" Chunks="{HOUR_OF_2S_CHUNKS}" QualityLevels="4" Url="QualityLevels({{bitrate}})/Fragments(video={{start time}})" MaxWidth="1920" MaxHeight="1080">"#
    );
    for (i, (b, w, h)) in [(350_000, 426, 240), (800_000, 640, 360), (2_000_000, 1280, 720), (4_500_000, 1920, 1080)].iter().enumerate() {
        let _ = write!(
            x,
            r#"<QualityLevel Index="{i}" Bitrate="{b}" FourCC="H264" MaxWidth="{w}" MaxHeight="{h}" CodecPrivateData="000000016764001facb200a00b760220000003002000000641e306490000000168ebccb22c"/>"#
        );
    }
    if repeat {
        let _ = write!(x, r#"<c t="0" d="{TWO_SECONDS}" r="{HOUR_OF_2S_CHUNKS}"/>"#);
    } else {
        for n in 0..HOUR_OF_2S_CHUNKS {
            if n == 0 {
                let _ = write!(x, r#"<c n="0" t="0" d="{TWO_SECONDS}"/>"#);
            } else {
                let _ = write!(x, r#"<c n="{n}" d="{TWO_SECONDS}"/>"#);
            }
        }
    }
    x.push_str("</StreamIndex>");
    let _ = write!(
        x,
        r#"<StreamIndex Type="audio" Name="audio" Chunks="{HOUR_OF_2S_CHUNKS}" QualityLevels="1" Url="QualityLevels({{bitrate}})/Fragments(audio={{start time}})"><QualityLevel Index="0" Bitrate="128000" FourCC="AACL" SamplingRate="48000" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="1190"/>"#
    );
    for n in 0..HOUR_OF_2S_CHUNKS {
        let d = AUDIO_DURATIONS[(n % 2) as usize];
        if repeat {
            // r counts the element itself: one <c r="1"> is one fragment, so the pattern is
            // written as single elements (real packagers rarely repeat audio).
            let _ = write!(x, r#"<c d="{d}"/>"#);
        } else {
            let _ = write!(x, r#"<c n="{n}" d="{d}"/>"#);
        }
    }
    x.push_str("</StreamIndex></SmoothStreamingMedia>");
    x
}

fn peer_manifests(c: &mut Criterion) {
    let dir = common::fixture("peer-manifests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("xml" | "ismc")))
        .collect();
    files.sort();
    let mut group = c.benchmark_group("manifest_parse/peer");
    for path in files {
        let bytes = common::read(&path);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        // Documents that are refused (typed error) are still timed: the error path is
        // what a client pays on them. They count as one element.
        let chunks = Manifest::parse(&bytes).map(|m| total_chunks(&m)).unwrap_or(0);
        let label = if chunks == 0 { format!("{name} (error)") } else { name };
        group.throughput(Throughput::Elements(chunks.max(1)));
        group.bench_with_input(BenchmarkId::from_parameter(label), &bytes, |b, bytes| {
            b.iter(|| black_box(Manifest::parse(black_box(bytes))))
        });
    }
    group.finish();
}

fn synthetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("manifest_parse/synthetic_1h_2s");
    for (name, repeat) in [("explicit_c", false), ("with_r", true)] {
        let xml = synthetic_hour(repeat);
        let m = Manifest::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("synthetic {name}: {e}"));
        // 1800 video + 1800 audio chunks whichever way the timeline is written.
        assert_eq!(total_chunks(&m), 2 * HOUR_OF_2S_CHUNKS, "{name}");
        let last = m.streams[0].chunks.last().map(|c| c.start.ticks);
        assert_eq!(last, Some((HOUR_OF_2S_CHUNKS - 1) * TWO_SECONDS), "{name}");
        eprintln!("manifest_parse/synthetic {name}: {} bytes, {} chunks", xml.len(), total_chunks(&m));
        group.throughput(Throughput::Elements(total_chunks(&m)));
        group.bench_with_input(BenchmarkId::from_parameter(name), xml.as_bytes(), |b, xml| {
            b.iter(|| black_box(Manifest::parse(black_box(xml))))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = peer_manifests, synthetic
}
criterion_main!(benches);
