//! The GPU renderer against the CPU reference: real decoded frames (the engine's H.264
//! decoder on the streams in tests/fixtures, see make-video-fixtures.sh) and synthetic
//! noise frames of odd sizes with every chroma siting, on an sRGB target (like a window
//! surface) and a linear one; and the letterbox.
//!
//! Needs a wgpu adapter: with no GPU, Mesa's lavapipe (mesa-vulkan-drivers) or llvmpipe.
//! Without any, these tests fail with a message saying so, unless
//! `SMOOTHPLAY_SKIP_GPU_TESTS=1` is set (then they print a loud skip and pass).
//! `SMOOTHPLAY_RENDER_PNG_DIR=dir` writes the GPU and CPU pictures there as PNG.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use smoothplay_engine::decode::annexb;
use smoothplay_engine::decode::{H264Decoder, VideoFormat, VideoFrame};
use smoothplay_engine::MediaTime;
use smoothplay_player::video::convert::{self, to_rgb8, Matrix, Rect, YuvConversion};
use smoothplay_player::video::{letterbox, GpuError, OffscreenRenderer};

/// Largest difference allowed per channel between GPU and CPU, in 8-bit codes.
const TOLERANCE: u8 = 2;

/// One device for all tests of this file (creating one costs ~0.2 s on lavapipe, and
/// tests run in parallel threads).
static GPU: Mutex<Option<(OffscreenRenderer, OffscreenRenderer)>> = Mutex::new(None);

/// Runs `f` with an sRGB-target and a linear-target offscreen renderer; `None` when no
/// adapter exists and skipping was asked for.
fn with_gpu<T>(f: impl FnOnce(&mut OffscreenRenderer, &mut OffscreenRenderer) -> T) -> Option<T> {
    let mut guard = GPU.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        quiet_mesa();
        let make = |format| match OffscreenRenderer::new(format) {
            Ok(r) => Some(r),
            Err(e @ GpuError::NoAdapter(_)) if skip_requested() => {
                eprintln!(
                    "\n!!!!!!!! SKIPPING GPU test: {e} (SMOOTHPLAY_SKIP_GPU_TESTS=1) !!!!!!!!\n"
                );
                None
            }
            Err(e) => panic!(
                "GPU test cannot run: {e}\n(on a machine with no GPU install mesa-vulkan-drivers \
                 for lavapipe; set SMOOTHPLAY_SKIP_GPU_TESTS=1 to skip these tests)"
            ),
        };
        let srgb = make(wgpu::TextureFormat::Rgba8UnormSrgb)?;
        let linear = make(wgpu::TextureFormat::Rgba8Unorm)?;
        let info = srgb.adapter_info();
        eprintln!(
            "GPU tests on {} ({:?}, {})",
            info.name, info.backend, info.driver_info
        );
        *guard = Some((srgb, linear));
    }
    let (srgb, linear) = guard.as_mut()?;
    Some(f(srgb, linear))
}

fn skip_requested() -> bool {
    std::env::var("SMOOTHPLAY_SKIP_GPU_TESTS").is_ok_and(|v| v == "1")
}

/// Mesa warns when XDG_RUNTIME_DIR is unset; give it a private 0700 directory.
fn quiet_mesa() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("smoothplay-xdg-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_ok() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Decodes an Annex-B file with the engine's decoder (parameter sets in-band, one
/// length-prefixed sample per access unit).
fn decode(name: &str) -> Vec<VideoFrame> {
    let stream = std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut units: Vec<Vec<&[u8]>> = Vec::new();
    let mut has_vcl = false;
    for nal in annexb::nal_units(&stream) {
        let t = nal[0] & 0x1f;
        let vcl = t == 1 || t == 5;
        // A slice with first_mb_in_slice 0, or an SEI/SPS/PPS/AUD after a slice, starts
        // the next access unit.
        let starts = (vcl && nal.get(1).is_some_and(|b| b & 0x80 != 0)) || matches!(t, 6..=9); // SEI, SPS, PPS, access unit delimiter
        if units.is_empty() || (starts && has_vcl) {
            units.push(Vec::new());
            has_vcl = false;
        }
        has_vcl |= vcl;
        if let Some(u) = units.last_mut() {
            u.push(nal);
        }
    }
    let mut dec = H264Decoder::new().expect("openh264");
    dec.configure(&[], 4).expect("configure");
    let mut frames = Vec::new();
    for (i, au) in units.iter().enumerate() {
        let sample = annexb::to_length_prefixed(au, 4).expect("sample");
        frames.extend(
            dec.decode(&sample, MediaTime::new(i as u64, 25))
                .expect("decode"),
        );
    }
    frames.extend(dec.flush().expect("flush"));
    assert_eq!(
        frames.len(),
        units.len(),
        "{name}: one picture per access unit"
    );
    frames
}

/// Largest per-channel difference and where (pixel index).
fn max_diff(a: &[u8], b: &[u8]) -> (u8, usize) {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(i, (x, y))| (x.abs_diff(*y), i / 3))
        .max_by_key(|&(d, _)| d)
        .unwrap_or((0, 0))
}

fn save_png(tag: &str, rgb: &[u8], w: u32, h: u32) {
    if let Some(dir) = std::env::var_os("SMOOTHPLAY_RENDER_PNG_DIR") {
        let path = Path::new(&dir).join(format!("{tag}.png"));
        convert::write_png(&path, rgb, w, h).expect("write png");
    }
}

/// Renders `frame` at its size on both targets and compares with the CPU reference;
/// returns the largest difference seen.
fn compare(
    tag: &str,
    frame: &VideoFrame,
    srgb: &mut OffscreenRenderer,
    linear: &mut OffscreenRenderer,
) -> u8 {
    let cpu = to_rgb8(frame);
    save_png(&format!("{tag}-cpu"), &cpu, frame.width, frame.height);
    let mut worst = 0;
    for (target, r) in [("srgb", srgb), ("linear", linear)] {
        let gpu = r
            .render_frame(frame)
            .unwrap_or_else(|e| panic!("{tag}: {e}"));
        save_png(
            &format!("{tag}-gpu-{target}"),
            &gpu,
            frame.width,
            frame.height,
        );
        let (d, at) = max_diff(&gpu, &cpu);
        let (x, y) = (at % frame.width as usize, at / frame.width as usize);
        assert!(
            d <= TOLERANCE,
            "{tag} on the {target} target: GPU differs from the CPU reference by {d} at ({x}, {y}): \
             gpu {:?} cpu {:?}",
            &gpu[at * 3..at * 3 + 3],
            &cpu[at * 3..at * 3 + 3]
        );
        worst = worst.max(d);
    }
    worst
}

#[test]
fn decoded_frames_match_the_cpu_reference() {
    let cases = [
        ("bt709-426x240.h264", Matrix::Bt709, false, (0.0, 0.5)),
        (
            "bt601-full-center-426x240.h264",
            Matrix::Bt601,
            true,
            (0.5, 0.5),
        ),
        ("untagged-1280x720.h264", Matrix::Bt709, false, (0.0, 0.5)),
    ];
    let worst = with_gpu(|srgb, linear| {
        let mut worst = 0;
        for (name, matrix, full_range, siting) in cases {
            let frames = decode(name);
            let conv = YuvConversion::for_frame(&frames[0]);
            assert_eq!(
                (conv.matrix, conv.full_range, conv.chroma_offset),
                (matrix, full_range, siting),
                "{name}: {:?}",
                frames[0].format
            );
            for (i, f) in frames.iter().enumerate() {
                let d = compare(&format!("{name}-{i}"), f, srgb, linear);
                eprintln!("{name} frame {i}: max |GPU - CPU| = {d}/255");
                worst = worst.max(d);
            }
        }
        worst
    });
    if let Some(w) = worst {
        eprintln!("decoded frames: max |GPU - CPU| over all = {w}/255 (tolerance {TOLERANCE})");
    }
}

/// A frame of deterministic noise (xorshift): every sample differs from its neighbours,
/// the hardest case for chroma siting and interpolation.
fn noise(width: u32, height: u32, seed: u32, format: VideoFormat) -> VideoFrame {
    let mut s = seed.max(1);
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s >> 24) as u8
    };
    let c = (width.div_ceil(2) * height.div_ceil(2)) as usize;
    let y = (0..width * height).map(|_| next()).collect();
    let u = (0..c).map(|_| next()).collect();
    let v = (0..c).map(|_| next()).collect();
    VideoFrame {
        pts: MediaTime::zero(25),
        width,
        height,
        y,
        u,
        v,
        format,
    }
}

#[test]
fn odd_sizes_every_siting_both_matrices_and_ranges_match_the_cpu_reference() {
    let worst = with_gpu(|srgb, linear| {
        let mut worst = 0;
        let sizes = [(5, 3), (427, 241), (426, 240), (1, 1), (2, 7)];
        for (i, &(w, h)) in sizes.iter().enumerate() {
            for loc in [None, Some(1), Some(2), Some(3), Some(4), Some(5)] {
                for (matrix, full_range) in [
                    (Some(1), false),
                    (Some(6), false),
                    (Some(5), true),
                    (None, true),
                ] {
                    let format = VideoFormat {
                        matrix,
                        full_range,
                        chroma_loc: loc,
                        ..VideoFormat::default()
                    };
                    let frame = noise(w, h, 1 + i as u32 * 7 + u32::from(loc.unwrap_or(0)), format);
                    let tag = format!("noise-{w}x{h}-loc{loc:?}-m{matrix:?}-full{full_range}");
                    worst = worst.max(compare(&tag, &frame, srgb, linear));
                }
            }
        }
        worst
    });
    if let Some(w) = worst {
        eprintln!("synthetic frames: max |GPU - CPU| = {w}/255 (tolerance {TOLERANCE})");
    }
}

/// Every pixel outside `rect` must be black; returns the pixels inside it.
fn check_bars(rgb: &[u8], w: u32, h: u32, rect: Rect) {
    for y in 0..h {
        for x in 0..w {
            let inside =
                x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
            let i = ((y * w + x) * 3) as usize;
            if !inside {
                assert_eq!(
                    &rgb[i..i + 3],
                    &[0, 0, 0],
                    "bar pixel ({x}, {y}) of {rect:?}"
                );
            }
        }
    }
}

#[test]
fn letterbox_into_a_square_target() {
    with_gpu(|srgb, linear| {
        for r in [srgb, linear] {
            // A flat BT.709 red 426x240 frame into 400x400: rows 0..87 and 312..400 are
            // bars, the picture 400x225 between them is red everywhere.
            let mut red = noise(
                426,
                240,
                3,
                VideoFormat {
                    matrix: Some(1),
                    ..VideoFormat::default()
                },
            );
            red.y.fill(63);
            red.u.fill(102);
            red.v.fill(240);
            let rect = letterbox(426, 240, None, 400, 400);
            assert_eq!(
                rect,
                Rect {
                    x: 0,
                    y: 87,
                    width: 400,
                    height: 225
                }
            );
            let rgb = r.render_letterboxed(&red, 400, 400).expect("render");
            save_png(
                &format!("letterbox-red-{:?}", r.renderer().target_format()),
                &rgb,
                400,
                400,
            );
            check_bars(&rgb, 400, 400, rect);
            let want = to_rgb8(&red);
            for y in rect.y..rect.y + rect.height {
                for x in [0, 199, 399] {
                    let i = ((y * 400 + x) * 3) as usize;
                    let (d, _) = max_diff(&rgb[i..i + 3], &want[..3]);
                    assert!(
                        d <= TOLERANCE,
                        "({x}, {y}): {:?} vs {:?}",
                        &rgb[i..i + 3],
                        &want[..3]
                    );
                }
            }

            // A decoded frame with SAR 4:3 (shown 568x240) into 400x400: 400x169.
            let frame = &decode("bt601-full-center-426x240.h264")[0];
            let rect = letterbox(frame.width, frame.height, frame.format.sar, 400, 400);
            assert_eq!(
                rect,
                Rect {
                    x: 0,
                    y: 115,
                    width: 400,
                    height: 169
                }
            );
            let rgb = r.render_letterboxed(frame, 400, 400).expect("render");
            save_png(
                &format!("letterbox-sar-{:?}", r.renderer().target_format()),
                &rgb,
                400,
                400,
            );
            check_bars(&rgb, 400, 400, rect);
            // The picture's centre matches the reference's centre (testsrc2 is smooth
            // there; scaling moves the sample point by under a pixel).
            let cpu = to_rgb8(frame);
            let c_gpu = (((rect.y + rect.height / 2) * 400 + 200) * 3) as usize;
            let c_cpu = (((frame.height / 2) * frame.width + frame.width / 2) * 3) as usize;
            let (d, _) = max_diff(&rgb[c_gpu..c_gpu + 3], &cpu[c_cpu..c_cpu + 3]);
            assert!(
                d <= 8,
                "centre {:?} vs {:?}",
                &rgb[c_gpu..c_gpu + 3],
                &cpu[c_cpu..c_cpu + 3]
            );
        }
    });
}

#[test]
fn textures_follow_a_size_change_and_bad_frames_are_errors() {
    with_gpu(|srgb, _| {
        let small = noise(6, 4, 9, VideoFormat::default());
        let big = noise(426, 240, 11, VideoFormat::default());
        for f in [&small, &big, &small] {
            let gpu = srgb.render_frame(f).expect("render");
            assert!(max_diff(&gpu, &to_rgb8(f)).0 <= TOLERANCE);
            assert_eq!(srgb.renderer().frame_size(), Some((f.width, f.height)));
        }
        let mut short = small.clone();
        short.v.pop();
        assert!(matches!(srgb.render_frame(&short), Err(GpuError::Frame(_))));
        let empty = noise(0, 0, 1, VideoFormat::default());
        assert!(srgb.render_frame(&empty).is_err());
    });
}
