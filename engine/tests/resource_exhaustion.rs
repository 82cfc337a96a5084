//! Resource exhaustion: inputs that claim far more than any machine has (a `trun` of 4
//! billion samples, boxes of 2^32 and 2^63 bytes, manifests of 10^7 chunks through `r` or
//! repeated `<c>`) end in a typed error within bounded time and memory: the claim is
//! checked against `smoothplay_engine::limits` before anything proportional to it is
//! allocated or walked.
//!
//! Memory: the process's peak resident size (VmHWM, Linux) may not grow by more than
//! [`MAX_GROWTH_KIB`] across the claims that are refused from their header alone. One test
//! function, run in order, so that no other test of this binary allocates meanwhile.

use std::time::{Duration, Instant};

use bytes::Bytes;
use smoothplay_engine::fmp4::{parse_fragment, BoxError};
use smoothplay_engine::limits::{ManifestLimits, MAX_BOX_SIZE, MAX_SAMPLES_PER_TRUN};
use smoothplay_engine::manifest::{Manifest, ManifestError};

/// Allowed growth of the peak RSS across the header-refused claims: 32 MiB.
const MAX_GROWTH_KIB: u64 = 32 * 1024;
/// Allowed time per refused input (debug build, a loaded 2-core machine).
const FAST: Duration = Duration::from_secs(2);

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bx(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(fourcc);
    v.extend_from_slice(payload);
    v
}

/// moof(mfhd, traf(tfhd, trun)) + mdat, the trun's header saying `count` samples with
/// per-sample sizes (`per_sample`) or tfhd defaults only, followed by `entries` real entries.
fn fragment_with_trun(count: u32, per_sample: bool, entries: usize) -> Vec<u8> {
    let mfhd = bx(b"mfhd", &[0, 0, 0, 0, 0, 0, 0, 1]);
    let tfhd = bx(b"tfhd", &[0, 0, 0, 0x18, 0, 0, 0, 1, 0, 0, 0, 100, 0, 0, 0, 1]);
    let flags: u8 = if per_sample { 0x02 } else { 0x00 };
    let mut t = vec![0, 0, flags, 0x01];
    t.extend_from_slice(&count.to_be_bytes());
    t.extend_from_slice(&0i32.to_be_bytes());
    for _ in 0..entries {
        t.extend_from_slice(&1u32.to_be_bytes());
    }
    let trun = bx(b"trun", &t);
    let moof = bx(b"moof", &[mfhd, bx(b"traf", &[tfhd, trun].concat())].concat());
    [moof, bx(b"mdat", &[0; 16])].concat()
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took < FAST, "{what} took {took:?}");
    out
}

fn one_stream(chunks: &str) -> String {
    format!(
        "<SmoothStreamingMedia MajorVersion=\"2\" MinorVersion=\"0\" Duration=\"0\">\
         <StreamIndex Type=\"video\" Url=\"QualityLevels({{bitrate}})/Fragments(video={{start time}})\">\
         <QualityLevel Index=\"0\" Bitrate=\"1\" FourCC=\"H264\" CodecPrivateData=\"00000001\"/>{chunks}</StreamIndex></SmoothStreamingMedia>"
    )
}

#[test]
fn absurd_claims_end_in_typed_errors_in_bounded_time_and_memory() {
    let before = peak_rss_kib();

    // A trun announcing 4 294 967 295 samples: refused from its count field, with and
    // without per-sample fields, and also when some real entries follow.
    for (per_sample, entries) in [(true, 0), (false, 0), (true, 1000)] {
        let data = Bytes::from(fragment_with_trun(u32::MAX, per_sample, entries));
        let err = timed("trun of 4 294 967 295 samples", || parse_fragment(data)).unwrap_err();
        assert!(
            matches!(err, BoxError::TooMany { what: "sample", count, limit, .. } if count == u64::from(u32::MAX) && limit == u64::from(MAX_SAMPLES_PER_TRUN)),
            "{err}"
        );
    }
    // Just under the per-trun limit but not backed by bytes: truncated, not allocated.
    let data = Bytes::from(fragment_with_trun(MAX_SAMPLES_PER_TRUN, true, 3));
    let err = timed("trun of 1 000 000 samples with 3 entries", || parse_fragment(data)).unwrap_err();
    assert!(matches!(err, BoxError::Truncated { .. }), "{err}");

    // Boxes claiming 2^32 - 1 bytes (32-bit size), 2^32 and 2^63 bytes (64-bit largesize),
    // at the top level and inside the moof, in a buffer of a few dozen bytes.
    let mut big32 = fragment_with_trun(1, true, 1);
    big32[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut large = |size: u64| {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend_from_slice(b"moof");
        v.extend_from_slice(&size.to_be_bytes());
        v.extend_from_slice(&[0; 64]);
        v
    };
    let (big2_32, big2_63) = (large(1 << 32), large(1 << 63));
    let mut inner = fragment_with_trun(1, true, 1);
    inner[8..12].copy_from_slice(&u32::MAX.to_be_bytes()); // the mfhd
    for (what, data) in [("box of 2^32-1 bytes", big32), ("box of 2^32 bytes", big2_32), ("box of 2^63 bytes", big2_63), ("child box of 2^32-1 bytes", inner)] {
        let err = timed(what, || parse_fragment(Bytes::from(data))).unwrap_err();
        assert!(
            matches!(err, BoxError::TooLarge { size, limit, .. } if size > limit && limit == MAX_BOX_SIZE)
                || matches!(err, BoxError::Truncated { .. } | BoxError::SizeBeyondParent { .. }),
            "{what}: {err}"
        );
    }

    // 10^7 chunks through `r` (and 10^12): refused before the expansion. Then several
    // elements that together pass the limit: the first ones (under it) are expanded,
    // memory bounded by the limit (about 56 MiB for 1 000 000 chunks), so it comes after
    // the peak-RSS check.
    let mut cases = vec![
        "<c t=\"0\" d=\"20000000\" r=\"10000000\"/>".to_string(),
        "<c t=\"0\" d=\"1\" r=\"1000000000000\"/>".to_string(),
        "<c t=\"0\" d=\"1\" r=\"900000\"/>".repeat(12),
    ];
    let over_in_parts = cases.pop().unwrap();
    for chunks in cases {
        let xml = one_stream(&chunks);
        let err = timed("manifest with 10^7 chunks via r", || Manifest::parse(xml.as_bytes())).unwrap_err();
        assert!(
            matches!(err, ManifestError::LimitExceeded { what: "chunks", limit, .. } if limit == ManifestLimits::DEFAULT_MAX_CHUNKS_PER_STREAM),
            "{err:?}"
        );
    }
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        eprintln!("peak RSS {before} KiB before the claims, {after} KiB after");
        assert!(after - before < MAX_GROWTH_KIB, "peak RSS grew by {} KiB", after - before);
    }

    let xml = one_stream(&over_in_parts);
    let err = timed("manifest with 12 x r=900000", || Manifest::parse(xml.as_bytes())).unwrap_err();
    assert!(matches!(err, ManifestError::LimitExceeded { what: "chunks", .. }), "{err:?}");

    // 10^7 `<c>` elements: 100 MB of XML, refused by its size before parsing.
    let ten_million = one_stream(&"<c d=\"1\"/>".repeat(10_000_000));
    let err = timed("manifest of 10^7 <c> elements (100 MB)", || Manifest::parse(ten_million.as_bytes())).unwrap_err();
    assert!(matches!(err, ManifestError::TooLarge { limit, .. } if limit == ManifestLimits::DEFAULT_MAX_BYTES), "{err:?}");
    drop(ten_million);
    // The most `<c>` elements that fit the 16 MiB document limit (1.6 million): parsed up
    // to the per-stream chunk limit, then refused. Memory is bounded by that limit.
    let fits = one_stream(&"<c d=\"1\"/>".repeat(1_600_000));
    assert!(fits.len() < ManifestLimits::DEFAULT_MAX_BYTES);
    let start = Instant::now();
    let err = Manifest::parse(fits.as_bytes()).unwrap_err();
    eprintln!("manifest of 1.6 million <c> elements (16 MB): {:?}", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
    assert!(matches!(err, ManifestError::LimitExceeded { what: "chunks", .. }), "{err:?}");
}
