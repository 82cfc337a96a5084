//! Writes the seed corpora of the fuzz targets from the repository's fixtures
//! (tests/fixtures/ and assets/demo.ism), in each target's input layout (see the targets'
//! doc comments). Usage: `seedgen REPO_ROOT OUT_DIR` (fuzz/seed.sh runs it).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use smoothplay_engine::fmp4::{parse_fragment, Fragment, IvSizeSource};
use smoothplay_engine::manifest::Manifest;

/// Seeds per target, deduplicated by content.
#[derive(Default)]
struct Seeds(BTreeMap<&'static str, Vec<Vec<u8>>>);

impl Seeds {
    fn add(&mut self, target: &'static str, data: Vec<u8>) {
        let list = self.0.entry(target).or_default();
        if !list.contains(&data) {
            list.push(data);
        }
    }

    fn write(&self, out: &Path) -> std::io::Result<()> {
        for (target, list) in &self.0 {
            let dir = out.join(target);
            std::fs::create_dir_all(&dir)?;
            for (i, data) in list.iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i:04}")), data)?;
            }
            println!("{target}: {} seeds", list.len());
        }
        Ok(())
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn name(p: &Path) -> String {
    p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string()
}

fn chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(n as u16).to_be_bytes());
    out.extend_from_slice(&bytes[..n]);
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)).collect()
}

fn bx(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(fourcc);
    v.extend_from_slice(payload);
    v
}

const UUID_TFXD: [u8; 16] = [
    0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2,
];

/// A clear fragment holding the first `n` samples of `f` (moof(mfhd, traf(tfhd, trun v1
/// with every per-sample field, uuid tfxd v1)) + mdat): small seeds for the decode paths.
fn shortened(f: &Fragment, n: usize) -> Vec<u8> {
    let samples: Vec<_> = f.samples.iter().take(n).collect();
    let base = f.base_decode_time(0);
    let mfhd = bx(b"mfhd", &[&[0u8; 4][..], &f.sequence_number.to_be_bytes()].concat());
    let tfhd = bx(b"tfhd", &[&[0u8; 4][..], &f.track_id.to_be_bytes()].concat());
    let dur: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
    let mut tfxd_payload = vec![1, 0, 0, 0];
    tfxd_payload.extend_from_slice(&base.to_be_bytes());
    tfxd_payload.extend_from_slice(&dur.to_be_bytes());
    let tfxd = bx(b"uuid", &[&UUID_TFXD[..], &tfxd_payload].concat());
    let trun_len = 8 + 4 + 4 + 4 + samples.len() * 16;
    let traf_len = 8 + tfhd.len() + trun_len + tfxd.len();
    let moof_len = 8 + mfhd.len() + traf_len;
    let mut trun = vec![1u8, 0x00, 0x0f, 0x01];
    trun.extend_from_slice(&(samples.len() as u32).to_be_bytes());
    trun.extend_from_slice(&((moof_len + 8) as i32).to_be_bytes());
    for s in &samples {
        trun.extend_from_slice(&s.duration.to_be_bytes());
        trun.extend_from_slice(&(s.data.len() as u32).to_be_bytes());
        let flags: u32 = if s.is_sync { 0x0200_0000 } else { 0x0101_0000 };
        trun.extend_from_slice(&flags.to_be_bytes());
        trun.extend_from_slice(&(s.composition_offset as i32).to_be_bytes());
    }
    let trun = bx(b"trun", &trun);
    let traf = bx(b"traf", &[tfhd, trun, tfxd].concat());
    let moof = bx(b"moof", &[mfhd, traf].concat());
    assert_eq!(moof.len(), moof_len);
    let mdat: Vec<u8> = samples.iter().flat_map(|s| s.data.iter().copied()).collect();
    let out = [moof, bx(b"mdat", &mdat)].concat();
    let back = parse_fragment(Bytes::from(out.clone())).expect("shortened fragment parses");
    assert_eq!(back.samples.len(), samples.len());
    for (a, b) in back.samples.iter().zip(&samples) {
        assert_eq!((&a.data, a.is_sync, a.duration), (&b.data, b.is_sync, b.duration));
    }
    out
}

/// One `decrypt_sample` input from a sample whose encryption entry is known.
fn decrypt_sample_seed(cbc: bool, s: &smoothplay_engine::fmp4::Sample) -> Option<Vec<u8>> {
    let crypto = s.encryption.as_ref()?;
    if s.data.len() > 4096 || crypto.subsamples.len() > 255 {
        return None;
    }
    let iv = crypto.iv.as_slice();
    let mut v = vec![u8::from(cbc), iv.len() as u8];
    v.extend_from_slice(&hex("2b7e151628aed2a6abf7158809cf4f3c"));
    v.extend_from_slice(iv);
    v.push(crypto.subsamples.len() as u8);
    for sub in &crypto.subsamples {
        v.extend_from_slice(&sub.clear_bytes.to_be_bytes());
        v.extend_from_slice(&sub.encrypted_bytes.to_be_bytes());
    }
    v.extend_from_slice(&s.data);
    Some(v)
}

fn live_seed(ops: &[(u8, Vec<(u64, u64)>)]) -> Vec<u8> {
    let mut v = 10_000_000u32.to_be_bytes().to_vec();
    v.extend_from_slice(&[15, 7, 0]);
    v.extend_from_slice(&0u32.to_be_bytes());
    for (op, claims) in ops {
        v.push(*op);
        match op & 7 {
            0 | 1 => {
                v.push(claims.len() as u8);
                for &(s, d) in claims {
                    v.extend_from_slice(&s.to_be_bytes());
                    v.extend_from_slice(&(d as u32).to_be_bytes());
                }
            }
            2 => {
                let (s, d) = claims[0];
                v.extend_from_slice(&s.to_be_bytes());
                v.extend_from_slice(&(d as u32).to_be_bytes());
            }
            3 | 4 | 6 | 7 => v.extend_from_slice(&claims.first().map_or(0, |c| c.0).to_be_bytes()),
            _ => {}
        }
    }
    v
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(args.get(1).map_or("..", String::as_str));
    let out = PathBuf::from(args.get(2).map_or("corpus", String::as_str));
    let mut files = Vec::new();
    files_under(&root.join("tests/fixtures"), &mut files);
    files_under(&root.join("assets/demo.ism"), &mut files);
    let mut seeds = Seeds::default();

    // Manifests, their PlayReady objects and WRMHEADER texts, AudioSpecificConfigs and
    // CodecPrivateData.
    let mut cbc_presentations = Vec::new();
    for p in files.iter().filter(|p| {
        let n = name(p);
        n == "Manifest" || n.ends_with(".ismc") || n.ends_with(".xml")
    }) {
        let bytes = std::fs::read(p)?;
        seeds.add("manifest", bytes.clone());
        let Ok(m) = Manifest::parse(&bytes) else { continue };
        for h in &m.protection {
            if !h.data.is_empty() {
                seeds.add("playready_object", h.data.clone());
            }
            if let Some(pr) = &h.playready {
                seeds.add("wrmheader", pr.xml.clone().into_bytes());
                if pr.xml.contains("AESCBC") {
                    cbc_presentations.push(p.parent().map(Path::to_path_buf).unwrap_or_default());
                }
            }
        }
        for s in &m.streams {
            for l in &s.levels {
                let cpd = &l.codec_private_data;
                if cpd.is_empty() {
                    continue;
                }
                if l.fourcc.as_deref().is_some_and(|f| f.starts_with("AAC")) {
                    seeds.add("asc", cpd.clone());
                } else if l.fourcc.as_deref().is_some_and(|f| f.eq_ignore_ascii_case("H264") || f.eq_ignore_ascii_case("AVC1")) {
                    for sel in [2u8, 1] {
                        seeds.add("annexb", [&[sel][..], cpd].concat());
                    }
                }
            }
        }
    }
    // A few AudioSpecificConfigs the fixtures lack: mono, HE-AAC, explicit rate, escape.
    for asc in ["1188", "1210", "2b920800", "1780", "f8ea000000", "13100000"] {
        seeds.add("asc", hex(asc));
    }
    // avcC records built from the fixtures' SPS/PPS.
    for cpd in [smoothplay_fuzz_consts::SMALL_200K, smoothplay_fuzz_consts::DEMO_250K] {
        let ps = hex(cpd);
        let units = smoothplay_engine::decode::annexb::nal_units(&ps);
        if let [sps, pps] = units.as_slice() {
            let mut avcc = vec![1, sps[1], sps[2], sps[3], 0xff, 0xe1];
            avcc.extend_from_slice(&(sps.len() as u16).to_be_bytes());
            avcc.extend_from_slice(sps);
            avcc.push(1);
            avcc.extend_from_slice(&(pps.len() as u16).to_be_bytes());
            avcc.extend_from_slice(pps);
            seeds.add("annexb", [&[2u8][..], &avcc].concat());
        }
    }

    // Fragments.
    let mut per_level_count: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for p in &files {
        let n = name(p);
        let is_fragment = n.starts_with("Fragments(") || n.starts_with("FragmentInfo(") || n.ends_with(".mp4") || n.ends_with(".m4s");
        if !is_fragment {
            continue;
        }
        let bytes = std::fs::read(p)?;
        seeds.add("fragment", bytes.clone());
        let Ok(f) = parse_fragment(Bytes::from(bytes.clone())) else { continue };
        if f.samples.is_empty() {
            continue;
        }
        let audio = n.contains("audio");
        let path = p.to_string_lossy();
        let cbc = cbc_presentations.iter().any(|c| p.starts_with(c)) || path.contains("cbc");
        let level_dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        let count = per_level_count.entry(level_dir).or_default();
        *count += 1;
        let first_of_level = *count == 1;
        if f.encryption.is_some() {
            // decrypt_fragment: selector = ALGID (1 CTR, 2 CBC) | codec << 2.
            let alg: u8 = if cbc { 2 } else { 1 };
            let codec: u8 = if audio { 1 } else { 0 };
            if first_of_level || audio {
                seeds.add("decrypt_fragment", [&[alg | (codec << 2)][..], &bytes].concat());
                seeds.add("fragment_decode", [&[(if audio { 3 } else { 0 }) | (alg << 2)][..], &bytes].concat());
            }
            let mut g = f.clone();
            let iv_size = if cbc { 16 } else { 8 };
            if g.encryption.as_ref().and_then(|e| e.iv_size).is_none() {
                let _ = g.apply_iv_size(iv_size, IvSizeSource::ProtectionHeader);
            }
            for s in g.samples.iter().take(3) {
                if let Some(seed) = decrypt_sample_seed(cbc, s) {
                    seeds.add("decrypt_sample", seed);
                }
            }
            continue;
        }
        // Clear fragments.
        if first_of_level {
            seeds.add("decrypt_fragment", [&[0u8][..], &bytes].concat());
        }
        let sel = if audio {
            Some(3u8)
        } else if path.contains("QualityLevels(200000)") {
            Some(0)
        } else if path.contains("QualityLevels(400000)") {
            Some(1)
        } else if path.contains("demo.ism/QualityLevels(250000)") {
            Some(2)
        } else {
            None
        };
        let decodable = path.contains("/media/small.ism") || path.contains("demo.ism");
        if let (Some(sel), true) = (sel, first_of_level && decodable) {
            seeds.add("fragment_decode", [&[sel][..], &shortened(&f, 6)].concat());
            seeds.add("fragment_decode", [&[sel][..], &shortened(&f, 1)].concat());
        }
        if first_of_level && path.contains("/media/small.ism") {
            if audio {
                let mut v = Vec::new();
                chunk(&mut v, &[]);
                for s in f.samples.iter().take(10) {
                    chunk(&mut v, &s.data);
                }
                seeds.add("aac_decode", v);
            } else if sel == Some(0) {
                let mut v = vec![4u8];
                chunk(&mut v, &[]);
                for s in f.samples.iter().take(6) {
                    chunk(&mut v, &s.data);
                }
                seeds.add("h264_decode", v.clone());
                v[0] = 0;
                let mut w = vec![0u8];
                chunk(&mut w, &hex(smoothplay_fuzz_consts::SMALL_200K));
                w.extend_from_slice(&v[3..]);
                seeds.add("h264_decode", w);
            }
            if !audio {
                for s in f.samples.iter().take(4).filter(|s| s.data.len() <= 8192) {
                    seeds.add("annexb", [&[2u8][..], &s.data[..]].concat());
                }
            }
        }
    }

    // ClearKey license responses.
    for json in [
        r#"{"keys":[{"kty":"oct","kid":"ABEiM0RVZneImaq7zN3u_w","k":"K34VFiiu0qar9xWICc9PPA"}],"type":"temporary"}"#,
        r#"{"keys":[{"kty":"oct","kid":"ABEiM0RVZneImaq7zN3u/w==","k":"K34VFiiu0qar9xWICc9PPA=="},{"kty":"RSA","kid":"x","k":"y"}]}"#,
        r#"{"keys":[]}"#,
    ] {
        seeds.add("clearkey", json.as_bytes().to_vec());
    }

    // Live timelines: a growing manifest, tfrf announcements, downloads, a restart.
    let d = 20_000_000u64;
    let chunks = |from: u64, n: u64| (from..from + n).map(|i| (i * d, d)).collect::<Vec<_>>();
    seeds.add("live_timeline", live_seed(&[(8, chunks(0, 5)), (2, vec![(5 * d, d)]), (1, chunks(6, 2)), (8, chunks(3, 6)), (6, vec![(4 * d, 0)])]));
    seeds.add("live_timeline", live_seed(&[(8, chunks(0, 3)), (2, vec![(3 * d, d)]), (2, vec![(100 * d, d)]), (5, vec![]), (3, vec![(0, 0)]), (4, vec![(50 * d, 0)])]));
    seeds.add("live_timeline", live_seed(&[(0, chunks(10, 20)), (1, chunks(29, 4)), (2, vec![(33 * d, d - 1000)]), (7, vec![(31 * d, 0)])]));

    seeds.write(&out)?;
    Ok(())
}

/// The fixtures' CodecPrivateData (same values as smoothplay_fuzz's constants).
mod smoothplay_fuzz_consts {
    pub const SMALL_200K: &str = "00000001674d400cda05067e7c0440000003004000000c83c50aa80000000168ef3c80";
    pub const DEMO_250K: &str = "000000016742c015d901b1fe4f011000000300100000030320f162e4800000000168cb8cb2";
}
