//! Decryption throughput: AES-128-CTR and AES-128-CBC on a 1 MiB sample, through the same
//! entry point the engine uses per sample (`drm::decrypt_sample`), whole-sample and with a
//! video-like subsample table, plus raw AES block encryption as the crate-stack ceiling.
//!
//! Two groups: `decrypt_1MiB` measures wall-clock time; `decrypt_1MiB_cpu` measures the
//! benchmark thread's CPU time (CLOCK_THREAD_CPUTIME_ID), which is what
//! `openssl speed` reports by default (user CPU time), so it compares per core even on a
//! loaded machine. Compare with, run right after:
//!   openssl speed -evp aes-128-ctr -seconds 3 -bytes 16384
//!   openssl speed -decrypt -evp aes-128-cbc -seconds 3 -bytes 16384
//! (add `-elapsed` for wall-clock figures to set against the first group).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use smoothplay_engine::drm::{decrypt_sample, CipherMode, ContentKey};
use smoothplay_engine::fmp4::{Iv, SampleCrypto, Subsample};

const LEN: usize = 1 << 20;

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}

/// Criterion measurement: CPU time of the benchmark thread.
struct ThreadCpuTime;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns().saturating_sub(start))
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn cases<M: Measurement>(group: &mut BenchmarkGroup<'_, M>) {
    let key = ContentKey([0x2b; 16]);
    group.throughput(Throughput::Bytes(LEN as u64));
    let modes = [
        ("ctr", CipherMode::AesCtr, Iv::from_slice(&[7; 8])),
        ("cbc", CipherMode::AesCbc, Iv::from_slice(&[7; 16])),
    ];
    for (name, mode, iv) in modes {
        let Some(iv) = iv else { continue };
        let whole = SampleCrypto {
            iv,
            subsamples: vec![],
        };
        let mut buf = vec![0x5au8; LEN];
        group.bench_function(name, |b| {
            b.iter(|| decrypt_sample(black_box(&mut buf), mode, &key, &whole, 0).map(black_box))
        });
        // Video-like: 64 NAL units, each with 100 clear bytes then the encrypted rest.
        let per = LEN / 64;
        let subsamples = (0..64)
            .map(|_| Subsample {
                clear_bytes: 100,
                encrypted_bytes: (per - 100) as u32,
            })
            .collect();
        let sub = SampleCrypto { iv, subsamples };
        group.bench_function(format!("{name}_subsamples"), |b| {
            b.iter(|| decrypt_sample(black_box(&mut buf), mode, &key, &sub, 0).map(black_box))
        });
    }
    // Ceiling for this crate stack: raw AES-128 block encryption (what CTR costs before
    // the counter and XOR work), through the aes crate directly.
    let aes = <aes::Aes128 as aes::cipher::KeyInit>::new(&aes::cipher::Array::from([0x2b; 16]));
    let mut blocks = vec![aes::Block::default(); LEN / 16];
    group.bench_function("aes128_blocks_raw", |b| {
        b.iter(|| aes::cipher::BlockCipherEncrypt::encrypt_blocks(&aes, black_box(&mut blocks)))
    });
}

fn wall(c: &mut Criterion) {
    let mut group = c.benchmark_group("decrypt_1MiB");
    cases(&mut group);
    group.finish();
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    let mut group = c.benchmark_group("decrypt_1MiB_cpu");
    cases(&mut group);
    group.finish();
}

criterion_group!(wall_time, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu
}
criterion_main!(wall_time, cpu_time);
