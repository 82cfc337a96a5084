//! Decryption throughput: AES-128-CTR and AES-128-CBC on a 1 MiB sample, through the same
//! entry point the engine uses per sample (`drm::decrypt_sample`).
//!
//! Compare with `openssl speed -evp aes-128-ctr -seconds 3 -bytes 16384` (and
//! `aes-128-cbc`, whose figure is encryption; CBC decryption is at least as fast with AES-NI).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use smoothplay_engine::drm::{decrypt_sample, CipherMode, ContentKey};
use smoothplay_engine::fmp4::{Iv, SampleCrypto, Subsample};

const LEN: usize = 1 << 20;

fn bench(c: &mut Criterion) {
    let key = ContentKey([0x2b; 16]);
    let mut group = c.benchmark_group("decrypt_1MiB");
    group.throughput(Throughput::Bytes(LEN as u64));
    let cases = [
        ("ctr", CipherMode::AesCtr, Iv::from_slice(&[7; 8])),
        ("cbc", CipherMode::AesCbc, Iv::from_slice(&[7; 16])),
    ];
    for (name, mode, iv) in cases {
        let Some(iv) = iv else { continue };
        let whole = SampleCrypto { iv, subsamples: vec![] };
        let mut buf = vec![0x5au8; LEN];
        group.bench_function(name, |b| {
            b.iter(|| decrypt_sample(black_box(&mut buf), mode, &key, &whole, 0).map(black_box))
        });
        // Video-like: 64 NAL units, each with 100 clear bytes then the encrypted rest.
        let per = LEN / 64;
        let subsamples = (0..64)
            .map(|_| Subsample { clear_bytes: 100, encrypted_bytes: (per - 100) as u32 })
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
