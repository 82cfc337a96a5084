//! Decryption tests against the fixture presentations (same samples as small.ism).

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::*;
use crate::fmp4::{parse_fragment, Fragment, Iv, Sample, SampleCrypto, Subsample};

const KID_HEX: &str = "00112233445566778899aabbccddeeff";
const KID_GUID_HEX: &str = "33221100554477668899aabbccddeeff";
const KEY_HEX: &str = "2b7e151628aed2a6abf7158809cf4f3c";

fn media(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/media")
        .join(rel)
}

fn kid() -> Kid {
    Kid::parse_hex(KID_HEX).expect("kid")
}

fn keys() -> StaticKeys {
    let mut k = StaticKeys::new();
    k.insert_pair(&format!("{KID_HEX}:{KEY_HEX}"))
        .expect("pair");
    k
}

/// `Fragments(...)` files of one level directory, in time order.
fn fragments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .expect("level dir")
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let t = name
                .strip_prefix("Fragments(")?
                .rsplit('=')
                .next()?
                .trim_end_matches(')')
                .parse()
                .ok()?;
            Some((t, p))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, p)| p).collect()
}

fn parse(path: &Path) -> Fragment {
    parse_fragment(Bytes::from(std::fs::read(path).expect("read")))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn h264() -> CodecKind {
    CodecKind::H264 { nal_length_size: 4 }
}

/// (encrypted level, clear level, codec) for each presentation.
fn levels(ism: &str) -> Vec<(&'static str, &'static str, CodecKind)> {
    if ism == "small-bento-cenc.ism" {
        vec![
            ("189600", "200000", h264()),
            ("391436", "400000", h264()),
            ("57191", "48125", CodecKind::Aac),
        ]
    } else {
        vec![
            ("200000", "200000", h264()),
            ("400000", "400000", h264()),
            ("48000", "48125", CodecKind::Aac),
        ]
    }
}

/// Decrypts every fragment of `ism` and compares each sample with small.ism byte for byte.
/// Samples are compared as one sequence per level: the audio of small.ism was cut into
/// fragments at slightly different points (93/94 frames) than the encrypted copies.
fn decrypts_to_clear(ism: &str, algorithm: Option<CipherMode>, expected_iv: u8) {
    let keys = keys();
    for (enc_level, clear_level, codec) in levels(ism) {
        let enc_files = fragments(&media(&format!("{ism}/QualityLevels({enc_level})")));
        let clear_files = fragments(&media(&format!("small.ism/QualityLevels({clear_level})")));
        assert_eq!(enc_files.len(), 5);
        assert_eq!(clear_files.len(), 5);
        let ctx = DecryptContext::new(vec![kid()], algorithm, codec);
        let clear: Vec<Sample> = clear_files.iter().flat_map(|f| parse(f).samples).collect();
        let mut decrypted = Vec::new();
        let mut changed = 0;
        for ef in &enc_files {
            let mut frag = parse(ef);
            let original: Vec<Bytes> = frag.samples.iter().map(|s| s.data.clone()).collect();
            let report = decrypt_fragment(&mut frag, &keys, &ctx)
                .unwrap_or_else(|e| panic!("{}: {e}", ef.display()));
            assert_eq!(report.kid, Some(kid()));
            assert_eq!(
                report.iv_size.map(|(s, _)| s),
                Some(expected_iv),
                "{}",
                ef.display()
            );
            assert_eq!(report.samples, frag.samples.len());
            assert_eq!(
                report.samples_validated,
                frag.samples.len(),
                "every sample passes the check"
            );
            assert!(report.bytes_decrypted > 0);
            changed += frag
                .samples
                .iter()
                .zip(&original)
                .filter(|(s, o)| s.data != **o)
                .count();
            // Decrypting again is a no-op.
            let again = decrypt_fragment(&mut frag, &keys, &ctx).expect("second call");
            assert_eq!(again.samples, 0);
            decrypted.extend(frag.samples);
        }
        assert_eq!(decrypted.len(), clear.len(), "{ism} {enc_level}");
        for (i, (d, c)) in decrypted.iter().zip(&clear).enumerate() {
            assert!(
                d.data == c.data,
                "{ism} {enc_level} sample {i} differs from small.ism"
            );
            // The packagers rounded audio durations differently (by one tick).
            assert!(d.duration.abs_diff(c.duration) <= 1);
            assert_eq!(d.is_sync, c.is_sync);
        }
        assert!(
            changed > decrypted.len() / 2,
            "the input really was encrypted"
        );
    }
}

#[test]
fn piff_ctr_decrypts_to_the_clear_samples() {
    decrypts_to_clear("small-piff-ctr.ism", Some(CipherMode::AesCtr), 8);
}

#[test]
fn piff_cbc_decrypts_to_the_clear_samples() {
    decrypts_to_clear("small-piff-cbc.ism", Some(CipherMode::AesCbc), 16);
}

#[test]
fn bento_cenc_decrypts_to_the_clear_samples() {
    decrypts_to_clear("small-bento-cenc.ism", Some(CipherMode::AesCtr), 8);
}

#[test]
fn ctr_without_algid_infers_the_iv_size_from_the_box() {
    decrypts_to_clear("small-piff-ctr.ism", None, 8);
}

#[test]
fn key_given_in_guid_order_still_matches() {
    let mut keys = StaticKeys::new();
    keys.insert_pair(&format!("{KID_GUID_HEX}:{KEY_HEX}"))
        .expect("pair");
    let mut frag = parse(&media(
        "small-piff-ctr.ism/QualityLevels(48000)/Fragments(audio=0)",
    ));
    let ctx = DecryptContext::new(vec![kid()], Some(CipherMode::AesCtr), CodecKind::Aac);
    let report = decrypt_fragment(&mut frag, &keys, &ctx).expect("decrypt");
    assert_eq!(report.selection, Some(KeySelection::OnlyCandidate));
}

fn wrong_keys() -> StaticKeys {
    let mut k = StaticKeys::new();
    k.insert(kid(), ContentKey([0x5a; 16]));
    k
}

#[test]
fn wrong_key_is_detected_on_audio_and_the_fragment_is_left_encrypted() {
    for (ism, mode) in [
        ("small-piff-ctr.ism", CipherMode::AesCtr),
        ("small-piff-cbc.ism", CipherMode::AesCbc),
    ] {
        let path = media(&format!("{ism}/QualityLevels(48000)/Fragments(audio=0)"));
        let mut frag = parse(&path);
        let before = frag.clone();
        let ctx = DecryptContext::new(vec![kid()], Some(mode), CodecKind::Aac);
        let err = decrypt_fragment(&mut frag, &wrong_keys(), &ctx).unwrap_err();
        assert!(
            matches!(
                err,
                DrmError::WrongKey {
                    sample: 0,
                    codec: "AAC",
                    ..
                }
            ),
            "{ism}: {err}"
        );
        assert_eq!(
            frag.samples, before.samples,
            "nothing half-decrypted is passed on"
        );
    }
}

#[test]
fn wrong_cipher_mode_is_detected_like_a_wrong_key() {
    let mut frag = parse(&media(
        "small-piff-cbc.ism/QualityLevels(48000)/Fragments(audio=0)",
    ));
    let ctx = DecryptContext::new(vec![kid()], Some(CipherMode::AesCtr), CodecKind::Aac);
    assert!(matches!(
        decrypt_fragment(&mut frag, &keys(), &ctx),
        Err(DrmError::WrongKey { .. })
    ));
}

#[test]
fn wrong_key_on_whole_sample_video_is_detected() {
    // Build a whole-sample-encrypted H.264 fragment by hand: encrypt clear samples with CTR.
    let mut frag = parse(&media("small.ism/QualityLevels(200000)/Fragments(video=0)"));
    let key = ContentKey::parse_hex(KEY_HEX).expect("key");
    for (i, s) in frag.samples.iter_mut().enumerate() {
        let crypto = SampleCrypto {
            iv: Iv::from_slice(&(i as u64).to_be_bytes()).expect("iv"),
            subsamples: vec![],
        };
        let mut d = s.data.to_vec();
        decrypt_sample(&mut d, CipherMode::AesCtr, &key, &crypto, i)
            .expect("encrypt (CTR is symmetric)");
        s.data = Bytes::from(d);
        s.encryption = Some(crypto);
    }
    let enc_box = parse(&media(
        "small-piff-ctr.ism/QualityLevels(200000)/Fragments(video=0)",
    ))
    .encryption;
    frag.encryption = enc_box.map(|mut e| {
        e.iv_size_source = Some(crate::fmp4::IvSizeSource::Override);
        e
    });
    let ctx = DecryptContext::new(vec![kid()], Some(CipherMode::AesCtr), h264());
    let mut wrong = frag.clone();
    let err = decrypt_fragment(&mut wrong, &wrong_keys(), &ctx).unwrap_err();
    assert!(
        matches!(err, DrmError::WrongKey { codec: "H.264", .. }),
        "{err}"
    );
    let report = decrypt_fragment(&mut frag, &keys(), &ctx).expect("right key");
    assert_eq!(report.samples_validated, 50);
}

#[test]
fn missing_key_names_the_kid_in_both_orders_and_the_la_url() {
    let mut frag = parse(&media(
        "small-piff-ctr.ism/QualityLevels(200000)/Fragments(video=0)",
    ));
    let mut ctx = DecryptContext::new(vec![kid()], Some(CipherMode::AesCtr), h264());
    ctx.la_url = Some("http://license.example/rightsmanager.asmx".into());
    let err = decrypt_fragment(&mut frag, &StaticKeys::new(), &ctx).unwrap_err();
    assert_eq!(
        err,
        DrmError::MissingKey {
            kids: vec![kid()],
            la_url: ctx.la_url.clone()
        }
    );
    let msg = err.to_string();
    assert!(msg.contains(KID_HEX) && msg.contains(KID_GUID_HEX), "{msg}");
    assert!(
        msg.contains("http://license.example/rightsmanager.asmx"),
        "{msg}"
    );
}

#[test]
fn several_kids_the_valid_key_is_chosen_and_reported() {
    let other = Kid([0xee; 16]);
    let mut keys = keys();
    keys.insert(other, ContentKey([0x11; 16]));
    let mut frag = parse(&media(
        "small-piff-ctr.ism/QualityLevels(48000)/Fragments(audio=0)",
    ));
    let ctx = DecryptContext::new(vec![other, kid()], Some(CipherMode::AesCtr), CodecKind::Aac);
    let report = decrypt_fragment(&mut frag, &keys, &ctx).expect("decrypt");
    assert_eq!(report.kid, Some(kid()));
    assert_eq!(
        report.selection,
        Some(KeySelection::Validated {
            tried: vec![other, kid()]
        })
    );
    // With only wrong keys, the choice is refused.
    let mut only_wrong = StaticKeys::new();
    only_wrong.insert(other, ContentKey([0x11; 16]));
    only_wrong.insert(kid(), ContentKey([0x22; 16]));
    let mut frag = parse(&media(
        "small-piff-ctr.ism/QualityLevels(48000)/Fragments(audio=0)",
    ));
    let err = decrypt_fragment(&mut frag, &only_wrong, &ctx).unwrap_err();
    assert!(matches!(err, DrmError::NoValidKey { .. }), "{err}");
    // Several KIDs, one key: that key is used.
    let mut frag = parse(&media(
        "small-piff-ctr.ism/QualityLevels(48000)/Fragments(audio=0)",
    ));
    let report = decrypt_fragment(&mut frag, &self::keys(), &ctx).expect("decrypt");
    assert_eq!(report.selection, Some(KeySelection::OnlyKeyAvailable));
}

#[test]
fn playready_peer_fragments_parse_and_a_guessed_key_is_refused() {
    let peer = |n: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/peer-manifests")
            .join(n)
    };
    // KID from the Shaka PlayReady manifest, `AmfjCTOPbEOl3WD/5mcecA==` in GUID order.
    let kid = Kid::from_guid_bytes([
        0x02, 0x67, 0xe3, 0x09, 0x33, 0x8f, 0x6c, 0x43, 0xa5, 0xdd, 0x60, 0xff, 0xe6, 0x67, 0x1e,
        0x70,
    ]);
    assert_eq!(kid.to_string(), "09e367028f33436ca5dd60ffe6671e70");
    let mut keys = StaticKeys::new();
    keys.insert(kid, ContentKey([0x42; 16]));
    let mut audio = parse(&peer("shaka_mss-playready_Fragments(audio=0).m4s"));
    let ctx = DecryptContext::new(vec![kid], Some(CipherMode::AesCtr), CodecKind::Aac);
    assert!(matches!(
        decrypt_fragment(&mut audio, &keys, &ctx),
        Err(DrmError::WrongKey { .. })
    ));
    let mut video = parse(&peer("shaka_mss-playready_Fragments(video=0).m4s"));
    let err = decrypt_fragment(
        &mut video,
        &StaticKeys::new(),
        &DecryptContext::new(vec![kid], None, h264()),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("09e367028f33436ca5dd60ffe6671e70"),
        "{err}"
    );
}

// ---- ciphers against NIST SP 800-38A vectors -------------------------------------------

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

const NIST_PLAIN: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

#[test]
fn ctr_matches_nist_and_the_counter_runs_across_subsamples() {
    let key = ContentKey::parse_hex(KEY_HEX).expect("key");
    let ct = hex(
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff\
5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
    );
    let iv = Iv::from_slice(&hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")).expect("iv");
    // Whole sample.
    let mut d = ct.clone();
    decrypt_sample(
        &mut d,
        CipherMode::AesCtr,
        &key,
        &SampleCrypto {
            iv,
            subsamples: vec![],
        },
        0,
    )
    .expect("ok");
    assert_eq!(d, hex(NIST_PLAIN));
    // The same ciphertext split into encrypted ranges at odd offsets, with clear bytes
    // inserted between them: the keystream continues mid-block.
    let cuts = [5usize, 21, 17, 21];
    let mut sample = Vec::new();
    let mut subsamples = Vec::new();
    let mut pos = 0;
    for (i, n) in cuts.iter().enumerate() {
        sample.extend(std::iter::repeat_n(0xC0 + i as u8, 3));
        sample.extend_from_slice(&ct[pos..pos + n]);
        subsamples.push(Subsample {
            clear_bytes: 3,
            encrypted_bytes: *n as u32,
        });
        pos += n;
    }
    decrypt_sample(
        &mut sample,
        CipherMode::AesCtr,
        &key,
        &SampleCrypto { iv, subsamples },
        0,
    )
    .expect("ok");
    let plain: Vec<u8> = sample.chunks(1).map(|c| c[0]).collect();
    let mut expected = Vec::new();
    let mut p = 0;
    let pt = hex(NIST_PLAIN);
    for (i, n) in cuts.iter().enumerate() {
        expected.extend(std::iter::repeat_n(0xC0 + i as u8, 3));
        expected.extend_from_slice(&pt[p..p + n]);
        p += n;
    }
    assert_eq!(plain, expected);
}

#[test]
fn cbc_matches_nist_chains_across_subsamples_and_leaves_partial_blocks_clear() {
    let key = ContentKey::parse_hex(KEY_HEX).expect("key");
    let ct = hex(
        "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
    );
    let iv = Iv::from_slice(&hex("000102030405060708090a0b0c0d0e0f")).expect("iv");
    // Whole sample plus a 5-byte tail that stays clear.
    let mut d = ct.clone();
    d.extend_from_slice(b"tail!");
    let n = decrypt_sample(
        &mut d,
        CipherMode::AesCbc,
        &key,
        &SampleCrypto {
            iv,
            subsamples: vec![],
        },
        0,
    )
    .expect("ok");
    assert_eq!(n, 64);
    assert_eq!(&d[..64], &hex(NIST_PLAIN)[..]);
    assert_eq!(&d[64..], b"tail!");
    // Two subsamples of 2 blocks (+3 clear residue bytes each): the chain continues.
    let mut sample = Vec::new();
    sample.extend_from_slice(&[1, 2]);
    sample.extend_from_slice(&ct[..32]);
    sample.extend_from_slice(b"xyz");
    sample.extend_from_slice(&ct[32..]);
    sample.extend_from_slice(b"uvw");
    let subsamples = vec![
        Subsample {
            clear_bytes: 2,
            encrypted_bytes: 35,
        },
        Subsample {
            clear_bytes: 0,
            encrypted_bytes: 35,
        },
    ];
    decrypt_sample(
        &mut sample,
        CipherMode::AesCbc,
        &key,
        &SampleCrypto { iv, subsamples },
        0,
    )
    .expect("ok");
    let pt = hex(NIST_PLAIN);
    assert_eq!(&sample[2..34], &pt[..32]);
    assert_eq!(&sample[34..37], b"xyz");
    assert_eq!(&sample[37..69], &pt[32..]);
    assert_eq!(&sample[69..], b"uvw");
}

#[test]
fn subsample_table_that_does_not_cover_the_sample_is_an_error() {
    let key = ContentKey([0; 16]);
    let iv = Iv::from_slice(&[0; 8]).expect("iv");
    let mut d = vec![0u8; 10];
    let crypto = SampleCrypto {
        iv,
        subsamples: vec![Subsample {
            clear_bytes: 4,
            encrypted_bytes: 20,
        }],
    };
    assert_eq!(
        decrypt_sample(&mut d, CipherMode::AesCtr, &key, &crypto, 3),
        Err(DrmError::SubsampleMismatch {
            sample: 3,
            covered: 24,
            len: 10
        })
    );
}

// ---- keys ------------------------------------------------------------------------------

#[test]
fn key_strings_and_files() {
    let (k, key) =
        parse_key_pair("{00112233-4455-6677-8899-AABBCCDDEEFF}:2B7E151628AED2A6ABF7158809CF4F3C")
            .expect("ok");
    assert_eq!(k, kid());
    assert_eq!(key, ContentKey::parse_hex(KEY_HEX).expect("key"));
    assert_eq!(Kid::from_guid_bytes(kid().0).to_guid_bytes(), kid().0);
    assert_eq!(kid().swapped().to_string(), KID_GUID_HEX);
    assert!(matches!(
        parse_key_pair("0011:22"),
        Err(DrmError::BadKeyString { what: "KID", .. })
    ));
    assert!(matches!(
        parse_key_pair(KID_HEX),
        Err(DrmError::BadKeyString { .. })
    ));
    let bad = format!("{KID_HEX}:zz7e151628aed2a6abf7158809cf4f3c");
    let err = parse_key_pair(&bad).unwrap_err();
    assert!(
        !err.to_string().contains("7e1516"),
        "the key is never echoed: {err}"
    );
    let mut keys = StaticKeys::new();
    let text = format!(
        "# keys\n\n{KID_HEX}:{KEY_HEX}  # video\n{}:{}\n",
        "ee".repeat(16),
        "11".repeat(16)
    );
    assert_eq!(
        keys.insert_key_file_text(&text, "keys.txt").expect("file"),
        2
    );
    assert_eq!(
        keys.key(&kid()),
        Some(ContentKey::parse_hex(KEY_HEX).expect("key"))
    );
    assert_eq!(
        keys.key(&kid().swapped()),
        Some(ContentKey::parse_hex(KEY_HEX).expect("key"))
    );
    let err = keys
        .insert_key_file_text("# ok\nnot a key\n", "keys.txt")
        .unwrap_err();
    assert!(matches!(err, DrmError::KeyFile { line: 2, .. }), "{err}");
    assert_eq!(format!("{:?}", ContentKey([7; 16])), "ContentKey(..)");
}

// ---- validity checks -------------------------------------------------------------------

/// A small deterministic generator for "wrong key" noise.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn clear_samples_pass_and_noise_fails_the_checks() {
    for level in ["200000", "400000"] {
        for f in fragments(&media(&format!("small.ism/QualityLevels({level})"))) {
            assert!(
                parse(&f)
                    .samples
                    .iter()
                    .all(|s| looks_like_h264(&s.data, 4)),
                "{}",
                f.display()
            );
        }
    }
    for f in fragments(&media("small.ism/QualityLevels(48125)")) {
        assert!(
            parse(&f).samples.iter().all(|s| looks_like_aac(&s.data)),
            "{}",
            f.display()
        );
    }
    let (mut h264_pass, mut aac_pass) = (0, 0);
    for seed in 0..2000 {
        let n = noise(seed, 300 + (seed as usize % 700));
        h264_pass += usize::from(looks_like_h264(&n, 4));
        aac_pass += usize::from(looks_like_aac(&n));
    }
    assert_eq!(
        h264_pass, 0,
        "random bytes never walk as length-prefixed NAL units"
    );
    // About one noise sample in five passes (410/2000 when written): over a fragment of
    // ~94 wrong-key samples the odds of passing them all are negligible.
    assert!(
        aac_pass < 2000 / 4,
        "AAC check passes {aac_pass}/2000 noise samples"
    );
    assert!(!looks_like_h264(&[0, 0, 0, 1, 0x65], 0));
    assert!(looks_like_h264(&[0, 0, 0, 2, 0x65, 0x88], 4));
    assert!(
        !looks_like_h264(&[0, 0, 0, 2, 0xe5, 0x88], 4),
        "forbidden_zero_bit"
    );
    assert!(
        !looks_like_h264(&[0, 0, 0, 5, 0x65, 0x88, 0, 0, 1], 4),
        "start code emulation"
    );
    assert!(!looks_like_aac(&[]));
}

// ---- ClearKey --------------------------------------------------------------------------

#[tokio::test]
async fn clearkey_license_from_a_loopback_server() {
    use axum::{http::StatusCode, routing::post, Router};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    async fn license(body: Bytes) -> (StatusCode, String) {
        let req: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return (StatusCode::BAD_REQUEST, String::new()),
        };
        if req["type"] != "temporary" {
            return (StatusCode::BAD_REQUEST, String::new());
        }
        let kids: Vec<String> = req["kids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(String::from))
            .collect();
        let k = URL_SAFE_NO_PAD.encode(hex(KEY_HEX));
        let keys: Vec<serde_json::Value> = kids
            .iter()
            .filter(|kid| URL_SAFE_NO_PAD.decode(kid).ok() == Some(hex(KID_HEX)))
            .map(|kid| serde_json::json!({"kty": "oct", "kid": kid, "k": k}))
            .collect();
        (
            StatusCode::OK,
            serde_json::json!({ "keys": keys, "type": "temporary" }).to_string(),
        )
    }

    let app = Router::new()
        .route("/license", post(license))
        .route(
            "/broken",
            post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
        )
        .route("/garbage", post(|| async { "<html>" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let url = format!("http://{addr}/license");
    let got = fetch_clearkey_license(&url, &[kid(), Kid([9; 16])])
        .await
        .expect("license");
    assert_eq!(
        got,
        vec![(kid(), ContentKey::parse_hex(KEY_HEX).expect("key"))]
    );

    // The keys then decrypt a fragment.
    let mut keys = StaticKeys::new();
    for (k, v) in got {
        keys.insert(k, v);
    }
    let mut frag = parse(&media(
        "small-piff-ctr.ism/QualityLevels(48000)/Fragments(audio=0)",
    ));
    let ctx = DecryptContext::new(vec![kid()], Some(CipherMode::AesCtr), CodecKind::Aac);
    decrypt_fragment(&mut frag, &keys, &ctx).expect("decrypt with licensed key");

    let err = fetch_clearkey_license(&format!("http://{addr}/broken"), &[kid()])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DrmError::License { reason, .. } if reason.contains("500")),
        "{err}"
    );
    let err = fetch_clearkey_license(&format!("http://{addr}/garbage"), &[kid()])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DrmError::License { reason, .. } if reason.contains("JWK")),
        "{err}"
    );
    let err = fetch_clearkey_license(&format!("http://{addr}/license"), &[Kid([9; 16])])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no keys"), "{err}");
}

#[test]
fn clearkey_request_and_response_formats() {
    let body = clearkey::clearkey_request_body(&[kid()]);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["kids"][0], "ABEiM0RVZneImaq7zN3u_w");
    assert_eq!(v["type"], "temporary");
    // Padding and the standard alphabet are tolerated; non-oct keys skipped.
    let resp =
        br#"{"keys":[{"kty":"oct","kid":"ABEiM0RVZneImaq7zN3u/w==","k":"K34VFiiu0qar9xWICc9PPA"},
                             {"kty":"RSA","kid":"x","k":"y"}]}"#;
    let keys = clearkey::parse_clearkey_response(resp).expect("parse");
    assert_eq!(
        keys,
        vec![(kid(), ContentKey::parse_hex(KEY_HEX).expect("key"))]
    );
    assert!(
        clearkey::parse_clearkey_response(br#"{"keys":[{"kty":"oct","kid":"AA","k":"AA"}]}"#)
            .is_err()
    );
}

/// Subsample-encrypted video keeps NAL lengths, headers and slice headers clear, so the
/// structural check cannot see a wrong key there; the caller's validator (in the player,
/// a trial decode) can. This one knows the clear samples, to show the hook is applied.
struct KnownClearSamples(std::collections::HashSet<Bytes>);

impl SampleValidator for KnownClearSamples {
    fn looks_valid(&self, sample: &[u8]) -> bool {
        self.0.contains(sample)
    }
}

#[test]
fn caller_validator_catches_a_wrong_key_on_subsample_video() {
    let clear = parse(&media(
        "small.ism/QualityLevels(200000)/Fragments(video=20000000)",
    ));
    let validator = KnownClearSamples(clear.samples.iter().map(|s| s.data.clone()).collect());
    let path = media("small-piff-cbc.ism/QualityLevels(200000)/Fragments(video=20000000)");
    let mut ctx = DecryptContext::new(vec![kid()], Some(CipherMode::AesCbc), h264());
    ctx.validator = Some(std::sync::Arc::new(validator));
    let mut frag = parse(&path);
    let err = decrypt_fragment(&mut frag, &wrong_keys(), &ctx).unwrap_err();
    assert!(matches!(err, DrmError::WrongKey { sample: 0, .. }), "{err}");
    let report = decrypt_fragment(&mut frag, &keys(), &ctx).expect("right key");
    assert_eq!(report.samples_validated, 50);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// Corrupted encrypted fragments (subsample tables, IVs, sizes) never panic the
    /// decrypter, whatever parses.
    #[test]
    fn mutated_encrypted_fragments_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((0usize..2400, proptest::prelude::any::<u8>()), 1..6),
    ) {
        let files = [
            "small-piff-ctr.ism/QualityLevels(200000)/Fragments(video=0)",
            "small-piff-cbc.ism/QualityLevels(200000)/Fragments(video=0)",
            "small-piff-cbc.ism/QualityLevels(48000)/Fragments(audio=0)",
            "small-bento-cenc.ism/QualityLevels(189600)/Fragments(video=0)",
        ];
        let mut data = std::fs::read(media(files[which])).expect("read");
        for (pos, val) in edits {
            let i = pos % data.len();
            data[i] = val;
        }
        if let Ok(mut frag) = parse_fragment(Bytes::from(data)) {
            for algorithm in [None, Some(CipherMode::AesCtr), Some(CipherMode::AesCbc)] {
                let ctx = DecryptContext::new(vec![kid()], algorithm, h264());
                let _ = decrypt_fragment(&mut frag.clone(), &keys(), &ctx);
            }
            let _ = decrypt_fragment(&mut frag, &keys(), &DecryptContext::new(vec![], None, CodecKind::Unchecked));
        }
    }
}

// ---- IV size when nothing in the fragment decides it ------------------------------------

fn bx(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(fourcc);
    v.extend_from_slice(payload);
    v
}

/// Three samples (5, 5 and 0 bytes, mdat "0123456789") with a PIFF sample encryption box
/// of the given FullBox flags, optional override fields, and entry bytes.
fn fragment_with_piff_senc(flags: u32, overrides: &[u8], entries: &[u8]) -> Fragment {
    let mut senc = Vec::new();
    senc.extend_from_slice(&crate::fmp4::boxes::UUID_PIFF_SENC);
    senc.extend_from_slice(&flags.to_be_bytes()); // version 0
    senc.extend_from_slice(overrides);
    senc.extend_from_slice(&3u32.to_be_bytes());
    senc.extend_from_slice(entries);
    let senc = bx(b"uuid", &senc);
    let mfhd = bx(b"mfhd", &[0, 0, 0, 0, 0, 0, 0, 1]);
    // tfhd: track 1, default duration 10 (flags 0x08).
    let tfhd = bx(b"tfhd", &[0, 0, 0, 0x08, 0, 0, 0, 1, 0, 0, 0, 10]);
    let trun_len = 8 + 4 + 4 + 4 + 3 * 4;
    let moof_len = 8 + mfhd.len() + 8 + tfhd.len() + trun_len + senc.len();
    let mut t = vec![0, 0, 0x02, 0x01];
    t.extend_from_slice(&3u32.to_be_bytes());
    t.extend_from_slice(&((moof_len + 8) as i32).to_be_bytes());
    for size in [5u32, 5, 0] {
        t.extend_from_slice(&size.to_be_bytes());
    }
    let trun = bx(b"trun", &t);
    let moof = bx(
        b"moof",
        &[mfhd, bx(b"traf", &[tfhd, trun, senc].concat())].concat(),
    );
    assert_eq!(moof.len(), moof_len);
    let data = [moof, bx(b"mdat", b"0123456789")].concat();
    parse_fragment(Bytes::from(data)).expect("parse")
}

/// Entry bytes (flags 2) that parse exactly with 8-byte IVs (subsample counts 0, 0, 4)
/// and with 16-byte IVs alike, so only the protection header can settle the IV size.
fn ambiguous_fragment() -> Fragment {
    let mut entries = vec![0u8; 54];
    entries[28..30].copy_from_slice(&4u16.to_be_bytes());
    fragment_with_piff_senc(2, &[], &entries)
}

#[test]
fn override_algorithm_zero_means_clear() {
    let mut overrides = vec![0, 0, 0, 0]; // AlgorithmID 0, IV size 0
    overrides.extend_from_slice(&[0xab; 16]);
    let mut frag = fragment_with_piff_senc(1, &overrides, &[]);
    let enc = frag.encryption.as_ref().expect("box kept");
    assert_eq!(
        enc.overrides.map(|o| (o.algorithm_id, o.kid)),
        Some((0, [0xab; 16]))
    );
    let before = frag.samples.clone();
    let report = decrypt_fragment(
        &mut frag,
        &StaticKeys::new(),
        &DecryptContext::new(vec![], None, CodecKind::Aac),
    )
    .expect("clear");
    assert_eq!(report.samples, 0);
    assert!(frag.encryption.is_none());
    assert_eq!(frag.samples, before);
}

#[test]
fn override_fields_give_algorithm_iv_size_and_kid() {
    // AlgorithmID 1 (CTR), IV size 8, KID = the fixture KID; whole-sample entries.
    let mut overrides = vec![0, 0, 1, 8];
    overrides.extend_from_slice(&kid().0);
    let entries: Vec<u8> = (0u8..24).collect();
    let mut frag = fragment_with_piff_senc(1, &overrides, &entries);
    assert_eq!(
        frag.encryption.as_ref().and_then(|e| e.iv_size_source),
        Some(crate::fmp4::IvSizeSource::Override)
    );
    // The header says CBC and another KID: the override wins on both.
    let ctx = DecryptContext::new(
        vec![Kid([1; 16])],
        Some(CipherMode::AesCbc),
        CodecKind::Unchecked,
    );
    let report = decrypt_fragment(&mut frag, &keys(), &ctx).expect("decrypt");
    assert_eq!(report.kid, Some(kid()));
    assert_eq!(report.selection, Some(KeySelection::FragmentOverride));
    assert_eq!(report.mode, Some(CipherMode::AesCtr));
    // CTR of "01234" under IV 0001020304050607 reproduces what decrypt_sample gives.
    let mut expected = b"01234".to_vec();
    let iv = Iv::from_slice(&entries[..8]).expect("iv");
    decrypt_sample(
        &mut expected,
        CipherMode::AesCtr,
        &keys().key(&kid()).expect("key"),
        &SampleCrypto {
            iv,
            subsamples: vec![],
        },
        0,
    )
    .expect("ctr");
    assert_eq!(&frag.samples[0].data[..], &expected[..]);
}

#[test]
fn ambiguous_iv_size_needs_the_header_algid() {
    let frag = ambiguous_fragment();
    let enc = frag.encryption.as_ref().expect("encrypted");
    assert_eq!(enc.candidate_iv_sizes(), vec![8, 16]);
    assert_eq!(enc.iv_size, None);
    assert!(frag.samples.iter().all(|s| s.encryption.is_none()));
    let err = decrypt_fragment(
        &mut frag.clone(),
        &keys(),
        &DecryptContext::new(vec![kid()], None, CodecKind::Unchecked),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DrmError::IvSizeUnknown {
            candidates: vec![8, 16]
        }
    );
    let mut frag = frag;
    let ctx = DecryptContext::new(vec![kid()], Some(CipherMode::AesCtr), CodecKind::Unchecked);
    let report = decrypt_fragment(&mut frag, &keys(), &ctx).expect("ALGID settles it");
    assert_eq!(
        report.iv_size,
        Some((8, crate::fmp4::IvSizeSource::ProtectionHeader))
    );
    assert_eq!(report.bytes_decrypted, 10);
    assert_eq!(
        report.samples_validated, 0,
        "no check exists for this codec"
    );
}
