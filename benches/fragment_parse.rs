//! `fmp4::parse_fragment` on fixture fragments, reported as bytes per second.
//!
//! Fragments: every small.ism fragment per track (clear), the same video level PIFF-CTR
//! encrypted (adds the sample-encryption box), and the peer fragments from other players.
//! `parse_fragment` slices sample data out of the input without copying, so the cost is
//! the box walk, not the payload size; bytes/s is what the issue asks for.
//!
//! Run: `cargo bench -p smoothplay --bench fragment_parse`

mod common;

use std::hint::black_box;
use std::path::Path;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use smoothplay::engine::fmp4::parse_fragment;

/// All `Fragments(...)` files of one quality level folder, in time order.
fn level_fragments(dir: &Path) -> Vec<Bytes> {
    let mut files: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let t = name.strip_prefix("Fragments(")?.split('=').nth(1)?.trim_end_matches(')').parse().ok()?;
            Some((t, p))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, p)| Bytes::from(common::read(&p))).collect()
}

fn parse_all(fragments: &[Bytes]) -> usize {
    let mut samples = 0;
    for f in fragments {
        // Bytes::clone is a reference-count increment: the input is not copied.
        if let Ok(parsed) = parse_fragment(f.clone()) {
            samples += parsed.samples.len();
        }
    }
    samples
}

fn bench_set(c: &mut Criterion, group_name: &str, sets: Vec<(String, Vec<Bytes>)>) {
    let mut group = c.benchmark_group(group_name);
    for (name, fragments) in sets {
        let bytes: u64 = fragments.iter().map(|f| f.len() as u64).sum();
        // Every fixture fragment must parse: a bench of the error path would be meaningless.
        let mut samples = 0;
        for (i, f) in fragments.iter().enumerate() {
            match parse_fragment(f.clone()) {
                Ok(p) => samples += p.samples.len(),
                Err(e) => panic!("{name} fragment {i}: {e}"),
            }
        }
        eprintln!("{group_name}/{name}: {} fragments, {bytes} bytes, {samples} samples", fragments.len());
        group.throughput(Throughput::Bytes(bytes));
        group.bench_with_input(BenchmarkId::from_parameter(name), &fragments, |b, f| b.iter(|| black_box(parse_all(black_box(f)))));
    }
    group.finish();
}

fn small_ism(c: &mut Criterion) {
    let media = common::fixture("media");
    let sets = vec![
        ("small.ism video 400k (5 frags)".to_string(), level_fragments(&media.join("small.ism/QualityLevels(400000)"))),
        ("small.ism video 200k (5 frags)".to_string(), level_fragments(&media.join("small.ism/QualityLevels(200000)"))),
        ("small.ism audio (5 frags)".to_string(), level_fragments(&media.join("small.ism/QualityLevels(48125)"))),
        ("small-piff-ctr video 400k (5 frags)".to_string(), level_fragments(&media.join("small-piff-ctr.ism/QualityLevels(400000)"))),
    ];
    bench_set(c, "fragment_parse/fixtures", sets);
}

fn peers(c: &mut Criterion) {
    let dir = common::fixture("peer-manifests");
    let names = [
        "dashjs_mss_moof.mp4",
        "dashjs_mss_moof_tfdt.mp4",
        "shaka_mss-clear_Fragments(video=0).m4s",
        "shaka_mss-playready_Fragments(video=0).m4s",
        "shaka_mss-playready_Fragments(audio=0).m4s",
    ];
    let sets = names.iter().map(|n| (n.to_string(), vec![Bytes::from(common::read(&dir.join(n)))])).collect();
    bench_set(c, "fragment_parse/peer", sets);
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = small_ism, peers
}
criterion_main!(benches);
