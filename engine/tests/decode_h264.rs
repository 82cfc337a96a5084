//! H.264 decoding checked against ffmpeg as the independent decoder: bit-exact per-picture
//! md5 without B-frames, PSNR with B-frames, NAL length conversion, quality switches with a
//! new resolution, and errors on bad input.

mod decode_support;

use decode_support::*;
use smoothplay_engine::decode::{
    annexb, DecodeError, FrameMd5Writer, H264Decoder, VideoFormat, VideoFrame, Y4mWriter,
};
use smoothplay_engine::MediaTime;

/// Decodes every sample (pts = index in a 25 Hz timescale unless given) and flushes.
fn decode_all(dec: &mut H264Decoder, samples: &[Vec<u8>], pts: &[MediaTime]) -> Vec<VideoFrame> {
    let mut frames = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        frames.extend(
            dec.decode(s, pts[i])
                .unwrap_or_else(|e| panic!("sample {i}: {e}")),
        );
    }
    frames.extend(dec.flush().expect("flush"));
    frames
}

fn index_pts(n: usize) -> Vec<MediaTime> {
    (0..n as u64).map(|i| MediaTime::new(i, 25)).collect()
}

/// Encodes, decodes with our decoder (given NAL length size) and checks framemd5 output is
/// byte-identical to ffmpeg's `-f framemd5` of the same stream.
fn assert_bit_exact(tag: &str, size: &str, x264: &[&str], nal_length_size: u8) {
    let dir = TempDir::new(tag);
    let input = dir.path("in.h264");
    encode_video(&input, size, 30, x264);
    let es = Elementary::parse(&std::fs::read(&input).unwrap());
    assert_eq!(es.access_units.len(), 30, "{tag}: access units");

    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&es.codec_private_data, nal_length_size)
        .unwrap();
    let frames = decode_all(&mut dec, &es.samples(nal_length_size), &index_pts(30));
    assert_eq!(frames.len(), 30, "{tag}: pictures");

    let mut w = FrameMd5Writer::new(Vec::new(), 25);
    for f in &frames {
        w.write_frame(f).unwrap();
    }
    let ours = String::from_utf8(w.finish().unwrap()).unwrap();
    let theirs = ffmpeg_framemd5(&input);
    assert_eq!(ours, theirs, "{tag}: framemd5 differs from ffmpeg's");
}

#[test]
fn baseline_without_b_frames_is_bit_exact_with_4_byte_nal_lengths() {
    if !ffmpeg_available("baseline bit-exact") {
        return;
    }
    assert_bit_exact(
        "baseline4",
        "320x240",
        &["-profile:v", "baseline", "-g", "10"],
        4,
    );
}

#[test]
fn high_profile_without_b_frames_is_bit_exact_with_2_byte_nal_lengths() {
    if !ffmpeg_available("high bit-exact") {
        return;
    }
    assert_bit_exact(
        "high2",
        "352x288",
        &[
            "-profile:v",
            "high",
            "-bf",
            "0",
            "-g",
            "10",
            "-x264-params",
            "slices=4",
        ],
        2,
    );
}

#[test]
fn one_byte_nal_lengths_work_for_small_nal_units() {
    if !ffmpeg_available("1-byte NAL lengths") {
        return;
    }
    // Tiny, flat pictures at low rate keep every NAL unit under 256 bytes.
    let dir = TempDir::new("nal1");
    let input = dir.path("in.h264");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:size=64x64:rate=25",
        "-frames:v",
        "10",
        "-c:v",
        "libx264",
        "-profile:v",
        "baseline",
        "-qp",
        "40",
        input.to_str().unwrap(),
    ]);
    let mut es = Elementary::parse(&std::fs::read(&input).unwrap());
    // x264's SEI (its settings as text) is longer than 255 bytes; it carries no picture data.
    for au in &mut es.access_units {
        au.retain(|nal| nal[0] & 0x1f != 6);
    }
    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&es.codec_private_data, 1).unwrap();
    let frames = decode_all(&mut dec, &es.samples(1), &index_pts(10));
    let reference = reference_pictures(&dir, &input, 64, 64);
    assert_eq!(frames.len(), reference.len());
    for (f, r) in frames.iter().zip(&reference) {
        assert_eq!([f.y.as_slice(), &f.u, &f.v].concat(), *r);
    }
}

#[test]
fn b_frames_decode_every_picture_in_display_order_within_60_db() {
    if !ffmpeg_available("B-frames") {
        return;
    }
    let dir = TempDir::new("bframes");
    let mp4 = dir.path("in.mp4");
    encode_video(
        &mp4,
        "320x240",
        48,
        &[
            "-profile:v",
            "high",
            "-bf",
            "3",
            "-b_strategy",
            "0",
            "-g",
            "24",
        ],
    );
    let annexb_path = dir.path("in.h264");
    ffmpeg(&[
        "-i",
        mp4.to_str().unwrap(),
        "-c:v",
        "copy",
        "-bsf:v",
        "h264_mp4toannexb",
        annexb_path.to_str().unwrap(),
    ]);
    let es = Elementary::parse(&std::fs::read(&annexb_path).unwrap());
    let pts: Vec<MediaTime> = packet_pts(&mp4)
        .into_iter()
        .map(|p| MediaTime::new(p as u64, 12_800))
        .collect();
    assert_eq!(pts.len(), es.access_units.len());
    assert!(
        pts.windows(2).any(|w| w[1] < w[0]),
        "the stream really reorders"
    );

    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&es.codec_private_data, 4).unwrap();
    let frames = decode_all(&mut dec, &es.samples(4), &pts);
    let reference = reference_pictures(&dir, &mp4, 320, 240);
    assert_eq!(frames.len(), 48);
    assert_eq!(reference.len(), 48);

    let mut sorted = pts.clone();
    sorted.sort();
    let got: Vec<MediaTime> = frames.iter().map(|f| f.pts).collect();
    assert_eq!(got, sorted, "each picture gets its own presentation time");

    let mut exact = 0;
    for (i, (f, r)) in frames.iter().zip(&reference).enumerate() {
        let ours = [f.y.as_slice(), &f.u, &f.v].concat();
        let p = psnr(&ours, r);
        assert!(p >= 60.0, "picture {i}: PSNR {p:.1} dB < 60");
        exact += usize::from(p.is_infinite());
    }
    eprintln!("B-frame stream: {exact}/48 pictures bit-exact, the rest >= 60 dB");
}

/// Two encodes at different sizes (each with its own SPS/PPS), played as one stream with
/// configure() at the switch, as a Smooth quality switch does.
fn switch_test(tag: &str, x264: &[&str], second_size: (u32, u32)) {
    let dir = TempDir::new(tag);
    let (a, b) = (dir.path("a.h264"), dir.path("b.h264"));
    encode_video(&a, "320x240", 20, x264);
    let size_b = format!("{}x{}", second_size.0, second_size.1);
    encode_video(
        &b,
        &size_b,
        20,
        &[x264, &["-profile:v", "main", "-b:v", "900k"]].concat(),
    );
    let (ea, eb) = (
        Elementary::parse(&std::fs::read(&a).unwrap()),
        Elementary::parse(&std::fs::read(&b).unwrap()),
    );
    assert_ne!(ea.codec_private_data, eb.codec_private_data);

    let mut dec = H264Decoder::new().unwrap();
    let mut frames = Vec::new();
    // Display order == decode order is not assumed: pts per sample from a 25 Hz clock is
    // only right without B-frames, so with B-frames we compare counts, sizes and order.
    let reorders = !x264.contains(&"0");
    let pts_of = |first: u64, n: usize| -> Vec<MediaTime> {
        (0..n as u64)
            .map(|i| MediaTime::new(first + i, 25))
            .collect()
    };
    dec.configure(&ea.codec_private_data, 4).unwrap();
    for (s, t) in ea.samples(4).iter().zip(pts_of(0, 20)) {
        frames.extend(dec.decode(s, t).unwrap());
    }
    dec.configure(&eb.codec_private_data, 2).unwrap();
    for (s, t) in eb.samples(2).iter().zip(pts_of(20, 20)) {
        frames.extend(dec.decode(s, t).unwrap());
    }
    frames.extend(dec.flush().unwrap());
    assert_eq!(frames.len(), 40, "{tag}: no picture lost at the switch");
    for (i, f) in frames.iter().enumerate() {
        let want = if i < 20 { (320, 240) } else { second_size };
        assert_eq!((f.width, f.height), want, "{tag}: picture {i} size");
    }
    assert!(
        frames.windows(2).all(|w| w[0].pts < w[1].pts),
        "{tag}: pts strictly increase"
    );
    if !reorders {
        let ra = reference_pictures(&dir, &a, 320, 240);
        let rb = reference_pictures(&dir, &b, second_size.0 as usize, second_size.1 as usize);
        for (i, (f, r)) in frames.iter().zip(ra.iter().chain(&rb)).enumerate() {
            assert_eq!(
                [f.y.as_slice(), &f.u, &f.v].concat(),
                *r,
                "{tag}: picture {i} differs from ffmpeg"
            );
        }
    }
}

#[test]
fn quality_switch_to_a_new_resolution_is_seamless_and_bit_exact() {
    if !ffmpeg_available("quality switch") {
        return;
    }
    switch_test("switch", &["-bf", "0", "-g", "10"], (640, 360));
}

#[test]
fn quality_switch_with_b_frames_loses_no_picture() {
    if !ffmpeg_available("quality switch with B-frames") {
        return;
    }
    switch_test("switchb", &["-bf", "2", "-g", "10"], (640, 360));
}

#[test]
fn quality_switch_at_the_same_resolution_is_seamless() {
    if !ffmpeg_available("same-size quality switch") {
        return;
    }
    switch_test("switchsame", &["-bf", "0", "-g", "10"], (320, 240));
}

#[test]
fn quality_switch_at_the_same_resolution_with_b_frames_loses_no_picture() {
    if !ffmpeg_available("same-size quality switch with B-frames") {
        return;
    }
    switch_test("switchsameb", &["-bf", "2", "-g", "10"], (320, 240));
}

#[test]
fn reset_after_a_seek_resumes_bit_exact_at_the_next_idr() {
    if !ffmpeg_available("reset") {
        return;
    }
    let dir = TempDir::new("reset");
    let input = dir.path("in.h264");
    encode_video(
        &input,
        "320x240",
        30,
        CLOSED_GOP_10_NO_B,
    );
    let es = Elementary::parse(&std::fs::read(&input).unwrap());
    let samples = es.samples(4);
    let reference = reference_pictures(&dir, &input, 320, 240);
    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&es.codec_private_data, 4).unwrap();
    for (i, s) in samples.iter().take(5).enumerate() {
        dec.decode(s, MediaTime::new(i as u64, 25)).unwrap();
    }
    // Seek to the IDR at picture 20.
    dec.reset().unwrap();
    let pts = index_pts(30);
    let frames = decode_all(&mut dec, &samples[20..], &pts[20..]);
    assert_eq!(frames.len(), 10);
    for (f, r) in frames.iter().zip(&reference[20..]) {
        assert_eq!([f.y.as_slice(), &f.u, &f.v].concat(), *r);
    }
    assert_eq!(frames[0].pts, MediaTime::new(20, 25));
}

#[test]
fn y4m_dump_decodes_back_to_the_same_pictures_with_ffmpeg() {
    if !ffmpeg_available("y4m") {
        return;
    }
    let dir = TempDir::new("y4m");
    let input = dir.path("in.h264");
    encode_video(&input, "320x240", 10, &["-bf", "0"]);
    let es = Elementary::parse(&std::fs::read(&input).unwrap());
    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&es.codec_private_data, 4).unwrap();
    let frames = decode_all(&mut dec, &es.samples(4), &index_pts(10));
    let y4m = dir.path("out.y4m");
    let mut w = Y4mWriter::new(std::fs::File::create(&y4m).unwrap(), None);
    for f in &frames {
        w.write_frame(f).unwrap();
    }
    w.finish().unwrap();
    let back = reference_pictures(&dir, &y4m, 320, 240);
    assert_eq!(back.len(), 10);
    for (f, r) in frames.iter().zip(&back) {
        assert_eq!([f.y.as_slice(), &f.u, &f.v].concat(), *r);
    }
    let probe = String::from_utf8(run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=r_frame_rate,width,height",
            "-of",
            "csv=p=0",
            y4m.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(probe.trim(), "320,240,25/1");
}

#[test]
fn bad_samples_give_typed_errors_and_the_decoder_recovers() {
    if !ffmpeg_available("bad samples") {
        return;
    }
    let dir = TempDir::new("bad");
    let input = dir.path("in.h264");
    encode_video(
        &input,
        "320x240",
        30,
        CLOSED_GOP_10_NO_B,
    );
    let es = Elementary::parse(&std::fs::read(&input).unwrap());
    let samples = es.samples(4);
    let reference = reference_pictures(&dir, &input, 320, 240);

    // Wrong NALUnitLengthField: 4-byte prefixes read as 2- or 1-byte ones.
    for wrong in [1u8, 2] {
        let mut dec = H264Decoder::new().unwrap();
        dec.configure(&es.codec_private_data, wrong).unwrap();
        let err = dec.decode(&samples[0], MediaTime::zero(25)).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::ZeroLengthNalUnit { .. }
                    | DecodeError::TruncatedNalUnit { .. }
                    | DecodeError::H264 { .. }
            ),
            "length size {wrong}: {err}"
        );
    }

    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&es.codec_private_data, 4).unwrap();
    let mut frames = Vec::new();
    let mut errors = 0;
    for (i, s) in samples.iter().enumerate() {
        let t = MediaTime::new(i as u64, 25);
        let result = match i {
            // Truncated length prefix and truncated NAL unit.
            3 => dec.decode(&s[..2], t),
            4 => dec.decode(&s[..s.len() / 2], t),
            // Corrupt slice data (prefix intact): openh264 may reject it or conceal.
            5..=7 => {
                let mut bad = s.clone();
                let mut seed = i as u32 * 7919;
                for b in bad.iter_mut().skip(12) {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    *b ^= (seed >> 24) as u8;
                }
                dec.decode(&bad, t)
            }
            _ => dec.decode(s, t),
        };
        match result {
            Ok(f) => frames.extend(f),
            Err(e) => {
                errors += 1;
                if i == 3 {
                    assert!(
                        matches!(e, DecodeError::TruncatedLengthPrefix { offset: 0, .. }),
                        "{e}"
                    );
                }
                if i == 4 {
                    assert!(matches!(e, DecodeError::TruncatedNalUnit { .. }), "{e}");
                }
            }
        }
    }
    frames.extend(dec.flush().unwrap());
    assert!(errors >= 2, "the truncated samples are errors");
    // From the IDR at picture 10 on, everything is bit-exact again.
    let after: Vec<&VideoFrame> = frames
        .iter()
        .filter(|f| f.pts >= MediaTime::new(10, 25))
        .collect();
    assert_eq!(after.len(), 20);
    for f in after {
        let i = f.pts.ticks as usize;
        assert_eq!(
            [f.y.as_slice(), &f.u, &f.v].concat(),
            reference[i],
            "picture {i} after recovery"
        );
    }
}

#[test]
fn garbage_after_valid_parameter_sets_never_panics() {
    if !ffmpeg_available("garbage") {
        return;
    }
    let dir = TempDir::new("garbage");
    let input = dir.path("in.h264");
    encode_video(&input, "160x120", 2, &["-bf", "0"]);
    let es = Elementary::parse(&std::fs::read(&input).unwrap());
    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&es.codec_private_data, 4).unwrap();
    let mut seed = 99u32;
    for n in 0..200u64 {
        let len = 1 + (n as usize * 37) % 900;
        let mut nal: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (seed >> 16) as u8
            })
            .collect();
        nal[0] = [0x65, 0x41, 0x06, 0x67, 0x68][n as usize % 5];
        let sample = annexb::to_length_prefixed(&[&nal], 4).unwrap();
        let _ = dec.decode(&sample, MediaTime::new(n, 25));
    }
    let _ = dec.flush();
}

/// Six switches back and forth between two levels with B-frames (same and different
/// sizes), then a flush and a second stream on the same decoder: every picture comes out,
/// in pts order, with no decode error. (openh264 cannot continue after a mid-stream
/// flush on B-frame content, which a drain-in-place implementation runs into here.)
#[test]
fn repeated_switches_with_b_frames_and_decoding_after_flush_lose_nothing() {
    if !ffmpeg_available("repeated switches") {
        return;
    }
    for (tag, sizes) in [
        ("rsame", ["320x240", "320x240"]),
        ("rdiff", ["320x240", "640x360"]),
    ] {
        let dir = TempDir::new(tag);
        let mut levels = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            let p = dir.path(&format!("{i}.h264"));
            let rate = if i == 0 { "300k" } else { "900k" };
            encode_video(
                &p,
                size,
                48,
                &[
                    "-bf",
                    "3",
                    "-g",
                    "24",
                    "-keyint_min",
                    "24",
                    "-sc_threshold",
                    "0",
                    "-b:v",
                    rate,
                ],
            );
            levels.push(Elementary::parse(&std::fs::read(&p).unwrap()));
        }
        let mut dec = H264Decoder::new().unwrap();
        let mut n = 0u64;
        let mut play = |dec: &mut H264Decoder, rounds: usize| -> Vec<VideoFrame> {
            let mut frames = Vec::new();
            for round in 0..rounds {
                let level = &levels[round % 2];
                dec.configure(&level.codec_private_data, 4).unwrap();
                for s in level.samples(4) {
                    // Decode order != display order here; the pts only need to be distinct
                    // and increasing per GOP for the order check below.
                    frames.extend(
                        dec.decode(&s, MediaTime::new(n, 25))
                            .unwrap_or_else(|e| panic!("{tag} sample {n}: {e}")),
                    );
                    n += 1;
                }
            }
            frames.extend(dec.flush().unwrap());
            frames
        };
        let first = play(&mut dec, 6);
        assert_eq!(first.len(), 6 * 48, "{tag}");
        let second = play(&mut dec, 2);
        assert_eq!(second.len(), 2 * 48, "{tag}: a new stream after flush");
        for (i, f) in first.iter().chain(&second).enumerate() {
            let want = if (i / 48) % 2 == 0 {
                sizes[0]
            } else {
                sizes[1]
            };
            assert_eq!(
                format!("{}x{}", f.width, f.height),
                want,
                "{tag}: picture {i}"
            );
        }
    }
}

/// Corrupt samples in the first GOP of a B-frame stream (12 corruption patterns): whatever
/// openh264 makes of them, every picture of the later GOPs comes out with exactly its own
/// pts. (Without the restart at each IDR, 4 of these 12 patterns shifted later times.)
#[test]
fn corruption_does_not_shift_the_times_of_later_gops() {
    if !ffmpeg_available("pts after corruption") {
        return;
    }
    let dir = TempDir::new("drift");
    let mp4 = dir.path("in.mp4");
    encode_video(
        &mp4,
        "320x240",
        96,
        &[
            "-bf",
            "3",
            "-g",
            "24",
            "-keyint_min",
            "24",
            "-sc_threshold",
            "0",
        ],
    );
    let h264 = dir.path("in.h264");
    ffmpeg(&[
        "-i",
        mp4.to_str().unwrap(),
        "-c:v",
        "copy",
        "-bsf:v",
        "h264_mp4toannexb",
        h264.to_str().unwrap(),
    ]);
    let es = Elementary::parse(&std::fs::read(&h264).unwrap());
    let pts: Vec<MediaTime> = packet_pts(&mp4)
        .into_iter()
        .map(|p| MediaTime::new(p as u64, 12_800))
        .collect();
    let samples = es.samples(4);
    let mut sorted = pts.clone();
    sorted.sort();
    // Display positions from 26 on are past the second IDR (decode index 24) and its
    // leading reordered pictures.
    let later_than = sorted[26];
    let want: Vec<MediaTime> = sorted
        .iter()
        .copied()
        .filter(|t| *t >= later_than)
        .collect();
    for pattern in 0..12u32 {
        let mut dec = H264Decoder::new().unwrap();
        dec.configure(&es.codec_private_data, 4).unwrap();
        let mut frames = Vec::new();
        for (i, s) in samples.iter().enumerate() {
            let mut s = s.clone();
            if (3..20).contains(&i) && (i as u32 + pattern).is_multiple_of(3) {
                let mut seed = i as u32 * 7919 + pattern;
                for b in s.iter_mut().skip(8 + (pattern as usize * 13) % 40) {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    if seed >> 28 == 0 {
                        *b ^= (seed >> 20) as u8;
                    }
                }
            }
            if let Ok(f) = dec.decode(&s, pts[i]) {
                frames.extend(f);
            }
        }
        frames.extend(dec.flush().unwrap());
        let later: Vec<MediaTime> = frames
            .iter()
            .map(|f| f.pts)
            .filter(|t| *t >= later_than)
            .collect();
        assert_eq!(later, want, "corruption pattern {pattern}");
    }
}

/// Every picture carries the VideoFormat of the SPS in force: from CodecPrivateData, from
/// an in-band SPS when there is none, and the new level's after a switch.
#[test]
fn pictures_carry_the_sps_colour_and_aspect() {
    if !ffmpeg_available("video format from the SPS") {
        return;
    }
    let dir = TempDir::new("format");
    let tagged = dir.path("709.h264");
    encode_video(
        &tagged,
        "426x240",
        10,
        &[
            "-vf", "setsar=4/3", "-colorspace", "bt709", "-color_primaries", "bt709",
            "-color_trc", "bt709", "-x264-params", "fullrange=on:chromaloc=1",
            "-bf", "0", "-g", "10",
        ],
    );
    let plain = dir.path("plain.h264");
    encode_video(&plain, "320x240", 10, &["-profile:v", "baseline", "-g", "10"]);
    let tagged = Elementary::parse(&std::fs::read(&tagged).unwrap());
    let plain = Elementary::parse(&std::fs::read(&plain).unwrap());
    let expected_709 = VideoFormat {
        sar: Some((4, 3)),
        full_range: true,
        matrix: Some(1),
        primaries: Some(1),
        transfer: Some(1),
        chroma_loc: Some(1),
    };
    let untagged = VideoFormat { sar: Some((1, 1)), ..VideoFormat::default() };

    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&tagged.codec_private_data, 4).unwrap();
    let frames = decode_all(&mut dec, &tagged.samples(4), &index_pts(10));
    assert_eq!(frames.len(), 10);
    assert!(frames.iter().all(|f| f.format == expected_709), "{:?}", frames[0].format);

    // A switch to an untagged level: its pictures say unknown again.
    dec.configure(&plain.codec_private_data, 4).unwrap();
    let frames = decode_all(&mut dec, &plain.samples(4), &index_pts(10));
    assert!(frames.iter().all(|f| f.format == untagged), "{:?}", frames[0].format);

    // No CodecPrivateData: the SPS travels in the first sample.
    let mut dec = H264Decoder::new().unwrap();
    dec.configure(&[], 4).unwrap();
    let mut samples = tagged.samples(4);
    let ps: Vec<&[u8]> = annexb::nal_units(&tagged.codec_private_data);
    let mut first = annexb::to_length_prefixed(&ps, 4).unwrap();
    first.extend_from_slice(&samples[0]);
    samples[0] = first;
    let frames = decode_all(&mut dec, &samples, &index_pts(10));
    assert_eq!(frames.len(), 10);
    assert!(frames.iter().all(|f| f.format == expected_709), "{:?}", frames[0].format);
}
