//! Replays every input kept in `fuzz/regressions/TARGET/` (inputs that once crashed,
//! hung or blew up a fuzz target) through the same engine entry points as the target, so
//! `cargo test --workspace` (and `.ci/run`) keeps them fixed without cargo-fuzz.
//!
//! Each replay below mirrors its target's body in `fuzz/fuzz_targets/TARGET.rs`. A target
//! whose input is structured (a selector, then chunks) is not mirrored here: when a
//! regression for one of those is kept, add its replay to `replay` (the test fails on a
//! folder it does not know, so none is silently skipped). Every replay must also finish
//! quickly: an input that once hung is a regression too.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use smoothplay_engine::drm::clearkey::parse_clearkey_response;
use smoothplay_engine::fmp4::parse_fragment;
use smoothplay_engine::manifest::{Manifest, PlayReadyHeader};

/// Longest a single replay may take (the fuzzer's own timeout is 20 s; these are parsers).
const MAX_PER_INPUT: Duration = Duration::from_secs(5);

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

/// Runs `data` through `target`'s code path; `None` for a target not mirrored here.
fn replay(target: &str, data: &[u8]) -> Option<()> {
    match target {
        "manifest" => {
            if let Ok(m) = Manifest::parse(data) {
                let _ = m.playready();
                let _ = format!("{m:?}");
            }
        }
        "playready_object" => {
            if let Ok(h) = PlayReadyHeader::from_object(data, 16) {
                let _ = h.default_algorithm();
                for k in &h.kids {
                    let _ = k.cenc_bytes();
                    let _ = k.checksum_matches(&[0x2b; 16]);
                }
            }
        }
        "fragment" => {
            if let Ok(f) = parse_fragment(Bytes::copy_from_slice(data)) {
                let base = f.base_decode_time(u64::MAX / 2);
                let _ = f.duration();
                for s in &f.samples {
                    let _ = s.presentation_time(base);
                    let _ = s.decode_time(u64::MAX);
                }
            }
        }
        "clearkey" => {
            let _ = parse_clearkey_response(data);
        }
        _ => return None,
    }
    Some(())
}

#[test]
fn every_kept_fuzz_regression_replays_without_a_panic() {
    let dir = regressions_dir();
    let mut replayed = 0;
    for target in std::fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let target = target.unwrap();
        if !target.file_type().unwrap().is_dir() {
            continue;
        }
        let name = target.file_name().to_string_lossy().into_owned();
        for input in std::fs::read_dir(target.path()).unwrap() {
            let path = input.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let start = Instant::now();
            assert!(
                replay(&name, &data).is_some(),
                "fuzz/regressions/{name}/ has no replay in engine/tests/fuzz_regressions.rs: add one mirroring fuzz/fuzz_targets/{name}.rs"
            );
            assert!(start.elapsed() < MAX_PER_INPUT, "{} took {:?}", path.display(), start.elapsed());
            replayed += 1;
        }
    }
    assert!(replayed >= 1, "no regression input found in {}", dir.display());
}
