//! One 192 s session of the envivio video on one fcc trace, per algorithm (issue 3, item 6).
//! `cargo bench -p smoothplay-heuristics --bench sim`

use criterion::{criterion_group, criterion_main, Criterion};
use smoothplay_heuristics::sim::{sweep, SimConfig, Trace, Video};
use std::hint::black_box;
use std::path::Path;

fn sessions(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let video = Video::load(&dir.join("envivio_pensieve_sabre.json")).expect("video");
    let trace = Trace::load(&dir.join("fcc_test_fcc_trace_14731_1020.txt")).expect("trace");
    let cfg = SimConfig::validation();
    let mut g = c.benchmark_group("session");
    for name in sweep::all_algorithm_names() {
        g.bench_function(&name, |b| b.iter(|| black_box(sweep::run_named(&name, &video, &trace, &cfg))));
    }
    g.finish();
}

criterion_group!(benches, sessions);
criterion_main!(benches);
