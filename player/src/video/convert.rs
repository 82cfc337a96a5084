//! YUV 4:2:0 to R'G'B' on the CPU: the reference the GPU renderer is tested against, and
//! what screenshots use. Also the picture geometry (display size from the sample aspect
//! ratio, the letterbox rectangle) the renderer uses.
//!
//! The conversion (ITU-R BT.601 / BT.709, H.264 Annex E):
//! - limited range: `Y' = (Y - 16) / 219`, `Pb = (Cb - 128) / 224`, `Pr = (Cr - 128) / 224`;
//!   full range (`video_full_range_flag`): `Y' = Y / 255`, `Pb = (Cb - 128) / 255`, ...;
//! - `R' = Y' + 2(1 - Kr) Pr`, `B' = Y' + 2(1 - Kb) Pb`,
//!   `G' = Y' - 2 Kb (1 - Kb) / Kg Pb - 2 Kr (1 - Kr) / Kg Pr`;
//! - output is gamma-encoded R'G'B' clamped to [0, 1], 8 bits (no linearisation).
//!
//! Chroma is upsampled bilinearly from where the chroma samples really sit
//! (`chroma_sample_loc_type`, H.264 Figure E-1), with the edges clamped.

use smoothplay_engine::decode::{VideoFormat, VideoFrame};

/// The YUV to RGB matrix (the luma coefficients Kr, Kb).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matrix {
    /// ITU-R BT.601 (SD): Kr 0.299, Kb 0.114.
    Bt601,
    /// ITU-R BT.709 (HD): Kr 0.2126, Kb 0.0722.
    Bt709,
}

impl Matrix {
    /// `(Kr, Kb)`.
    pub fn kr_kb(self) -> (f64, f64) {
        match self {
            Matrix::Bt601 => (0.299, 0.114),
            Matrix::Bt709 => (0.2126, 0.0722),
        }
    }
}

/// The matrix for a picture: the SPS's `matrix_coefficients` when it names one we know
/// (1 = BT.709; 5, 6 = BT.601), otherwise by size as players do (mpv, ffplay, browsers):
/// 1280 wide or 720 high and above is HD, BT.709; smaller is BT.601.
pub fn choose_matrix(format: &VideoFormat, width: u32, height: u32) -> Matrix {
    match format.matrix {
        Some(1) => Matrix::Bt709,
        Some(5 | 6) => Matrix::Bt601,
        _ if height >= 720 || width >= 1280 => Matrix::Bt709,
        _ => Matrix::Bt601,
    }
}

/// Where chroma sample `(i, j)` sits, as an offset in luma samples from luma sample
/// `(2i, 2j)`, for `chroma_sample_loc_type` 0..=5 (H.264 Figure E-1). Absent or unknown
/// values are type 0, the default: co-sited with the left luma column, halfway between
/// two luma rows (MPEG-2 siting).
pub fn chroma_siting(chroma_loc: Option<u8>) -> (f32, f32) {
    match chroma_loc {
        Some(1) => (0.5, 0.5),
        Some(2) => (0.0, 0.0),
        Some(3) => (0.5, 0.0),
        Some(4) => (0.0, 1.0),
        Some(5) => (0.5, 1.0),
        _ => (0.0, 0.5),
    }
}

/// Everything needed to turn one picture's YUV into R'G'B': shared by the CPU reference
/// and the GPU shader (which gets [`affine`](Self::affine) and
/// [`chroma_offset`](Self::chroma_offset) as uniforms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YuvConversion {
    /// The matrix.
    pub matrix: Matrix,
    /// Full (0-255) rather than limited (16-235/240) range.
    pub full_range: bool,
    /// Chroma siting offset in luma samples, see [`chroma_siting`].
    pub chroma_offset: (f32, f32),
}

impl YuvConversion {
    /// The conversion the SPS of a `width` x `height` picture asks for.
    pub fn new(format: &VideoFormat, width: u32, height: u32) -> Self {
        YuvConversion {
            matrix: choose_matrix(format, width, height),
            full_range: format.full_range,
            chroma_offset: chroma_siting(format.chroma_loc),
        }
    }

    /// The conversion for a decoded frame.
    pub fn for_frame(frame: &VideoFrame) -> Self {
        Self::new(&frame.format, frame.width, frame.height)
    }

    /// Rows of the 3x4 affine map from normalised samples `(y, u, v, 1)` (each code / 255,
    /// what an R8Unorm texture returns) to `(R', G', B')`.
    pub fn affine(&self) -> [[f32; 4]; 3] {
        let (kr, kb) = self.matrix.kr_kb();
        let kg = 1.0 - kr - kb;
        // Code value c -> normalised signal: (c - offset) / scale; with n = c / 255,
        // that is n * 255 / scale - offset / scale.
        let (y_off, y_scale, c_scale) = if self.full_range {
            (0.0, 255.0, 255.0)
        } else {
            (16.0, 219.0, 224.0)
        };
        let ys = 255.0 / y_scale;
        let yo = -y_off / y_scale;
        let cs = 255.0 / c_scale;
        let co = -128.0 / c_scale;
        // Per output: (coefficient of Pb, coefficient of Pr).
        let rows = [
            (0.0, 2.0 * (1.0 - kr)),
            (-2.0 * kb * (1.0 - kb) / kg, -2.0 * kr * (1.0 - kr) / kg),
            (2.0 * (1.0 - kb), 0.0),
        ];
        rows.map(|(pb, pr)| {
            [
                ys as f32,
                (pb * cs) as f32,
                (pr * cs) as f32,
                (yo + (pb + pr) * co) as f32,
            ]
        })
    }

    /// The chroma siting offset as the shader takes it.
    pub fn chroma_offset(&self) -> [f32; 2] {
        [self.chroma_offset.0, self.chroma_offset.1]
    }

    /// R'G'B' (0..=1, unclamped) of one sample triple (8-bit codes).
    pub fn rgb(&self, y: f32, u: f32, v: f32) -> [f32; 3] {
        let m = self.affine();
        let (y, u, v) = (y / 255.0, u / 255.0, v / 255.0);
        m.map(|r| r[0] * y + r[1] * u + r[2] * v + r[3])
    }
}

/// The frame as packed RGB8 (`width * height * 3` bytes, rows top to bottom), with the
/// conversion its SPS asks for.
pub fn to_rgb8(frame: &VideoFrame) -> Vec<u8> {
    to_rgb8_with(frame, &YuvConversion::for_frame(frame))
}

/// The frame as packed RGB8 with a given conversion. Planes shorter than the frame's size
/// claims read as black-level samples rather than panicking.
pub fn to_rgb8_with(frame: &VideoFrame, conv: &YuvConversion) -> Vec<u8> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (cw, ch) = frame.chroma_size();
    let (cw, ch) = (cw as usize, ch as usize);
    let (ox, oy) = conv.chroma_offset;
    let m = conv.affine();
    let mut out = Vec::with_capacity(w * h * 3);
    // Per column: the two chroma columns and the weight of the second (same for all rows).
    let cols: Vec<(usize, usize, f32)> = (0..w).map(|x| taps(x, ox, cw)).collect();
    for y in 0..h {
        let (r0, r1, fy) = taps(y, oy, ch);
        for (x, &(c0, c1, fx)) in cols.iter().enumerate() {
            let luma = f32::from(sample(&frame.y, y * w + x, 16));
            let chroma = |plane: &[u8]| {
                let at = |r: usize, c: usize| f32::from(sample(plane, r * cw + c, 128));
                let top = at(r0, c0) * (1.0 - fx) + at(r0, c1) * fx;
                let bottom = at(r1, c0) * (1.0 - fx) + at(r1, c1) * fx;
                top * (1.0 - fy) + bottom * fy
            };
            let (u, v) = (chroma(&frame.u), chroma(&frame.v));
            let (yn, un, vn) = (luma / 255.0, u / 255.0, v / 255.0);
            for row in &m {
                let c = row[0] * yn + row[1] * un + row[2] * vn + row[3];
                out.push(to_u8(c));
            }
        }
    }
    out
}

/// The two chroma samples around luma position `pos` and the second one's weight: the
/// chroma coordinate of luma sample `pos` is `(pos - offset) / 2`, clamped at the edges.
fn taps(pos: usize, offset: f32, len: usize) -> (usize, usize, f32) {
    let last = len.saturating_sub(1);
    let c = ((pos as f32 - offset) / 2.0).max(0.0);
    let i = (c.floor() as usize).min(last);
    let f = if i >= last { 0.0 } else { c - i as f32 };
    (i, (i + 1).min(last), f)
}

fn sample(plane: &[u8], i: usize, missing: u8) -> u8 {
    plane.get(i).copied().unwrap_or(missing)
}

fn to_u8(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// A rectangle in target pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The size a `width` x `height` picture with sample aspect ratio `sar` is shown at, never
/// smaller than the coded size: wide pixels widen the picture, tall pixels heighten it
/// (mpv's rule). No SAR, or a zero term, means square pixels.
pub fn display_size(width: u32, height: u32, sar: Option<(u16, u16)>) -> (u32, u32) {
    match sar {
        Some((n, d)) if n > 0 && d > 0 && n != d => {
            let (n, d) = (u64::from(n), u64::from(d));
            if n > d {
                (scale_round(width, n, d), height)
            } else {
                (width, scale_round(height, d, n))
            }
        }
        _ => (width, height),
    }
}

/// `v * num / den` rounded to the nearest integer, saturated to `u32`.
fn scale_round(v: u32, num: u64, den: u64) -> u32 {
    let x = (u64::from(v) * num + den / 2) / den;
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// The largest rectangle with the picture's display aspect ratio that fits a `target_w` x
/// `target_h` target, centred (bars above and below, or left and right). Empty inputs give
/// an empty rectangle.
pub fn letterbox(
    video_w: u32,
    video_h: u32,
    sar: Option<(u16, u16)>,
    target_w: u32,
    target_h: u32,
) -> Rect {
    let (dw, dh) = display_size(video_w, video_h, sar);
    if dw == 0 || dh == 0 || target_w == 0 || target_h == 0 {
        return Rect::default();
    }
    let (dw, dh) = (u64::from(dw), u64::from(dh));
    let (tw, th) = (u64::from(target_w), u64::from(target_h));
    if tw * dh > th * dw {
        // The target is wider than the picture: bars left and right.
        let w = ((th * dw + dh / 2) / dh).clamp(1, tw);
        Rect {
            x: ((tw - w) / 2) as u32,
            y: 0,
            width: w as u32,
            height: target_h,
        }
    } else {
        let h = ((tw * dh + dw / 2) / dw).clamp(1, th);
        Rect {
            x: 0,
            y: ((th - h) / 2) as u32,
            width: target_w,
            height: h as u32,
        }
    }
}

/// Packed RGB8 (`width * height * 3` bytes) as a PNG file's bytes.
pub fn to_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Tagged as sRGB: the R'G'B' values are shown as they are.
        encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

/// Writes packed RGB8 to a PNG file.
pub fn write_png(
    path: &std::path::Path,
    rgb: &[u8],
    width: u32,
    height: u32,
) -> std::io::Result<()> {
    let bytes = to_png(rgb, width, height).map_err(std::io::Error::other)?;
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothplay_engine::MediaTime;

    fn flat(w: u32, h: u32, yuv: (u8, u8, u8), format: VideoFormat) -> VideoFrame {
        let c = (w.div_ceil(2) * h.div_ceil(2)) as usize;
        VideoFrame {
            pts: MediaTime::zero(25),
            width: w,
            height: h,
            y: vec![yuv.0; (w * h) as usize],
            u: vec![yuv.1; c],
            v: vec![yuv.2; c],
            format,
        }
    }

    fn pixel(frame: &VideoFrame) -> [u8; 3] {
        let rgb = to_rgb8(frame);
        [rgb[0], rgb[1], rgb[2]]
    }

    fn bt709() -> VideoFormat {
        VideoFormat {
            matrix: Some(1),
            ..VideoFormat::default()
        }
    }

    fn bt601() -> VideoFormat {
        VideoFormat {
            matrix: Some(6),
            ..VideoFormat::default()
        }
    }

    #[test]
    fn matrix_from_the_sps_else_by_size() {
        let unknown = VideoFormat::default();
        assert_eq!(choose_matrix(&bt709(), 426, 240), Matrix::Bt709);
        assert_eq!(choose_matrix(&bt601(), 1920, 1080), Matrix::Bt601);
        let bg = VideoFormat {
            matrix: Some(5),
            ..unknown
        };
        assert_eq!(choose_matrix(&bg, 1280, 720), Matrix::Bt601);
        let unspecified = VideoFormat {
            matrix: Some(2),
            ..unknown
        };
        assert_eq!(choose_matrix(&unspecified, 1920, 1080), Matrix::Bt709);
        assert_eq!(
            choose_matrix(&unknown, 1280, 536),
            Matrix::Bt709,
            "2.39:1 HD"
        );
        assert_eq!(choose_matrix(&unknown, 960, 720), Matrix::Bt709);
        assert_eq!(choose_matrix(&unknown, 854, 480), Matrix::Bt601);
        assert_eq!(choose_matrix(&unknown, 426, 240), Matrix::Bt601);
    }

    #[test]
    fn limited_range_white_black_and_grey() {
        for f in [bt709(), bt601()] {
            assert_eq!(pixel(&flat(2, 2, (235, 128, 128), f)), [255, 255, 255]);
            assert_eq!(pixel(&flat(2, 2, (16, 128, 128), f)), [0, 0, 0]);
            assert_eq!(pixel(&flat(2, 2, (126, 128, 128), f)), [128, 128, 128]);
            // Below black and above white clamp.
            assert_eq!(pixel(&flat(2, 2, (0, 128, 128), f)), [0, 0, 0]);
            assert_eq!(pixel(&flat(2, 2, (255, 128, 128), f)), [255, 255, 255]);
        }
    }

    #[test]
    fn full_range_uses_every_code() {
        let full = VideoFormat {
            full_range: true,
            ..bt601()
        };
        assert_eq!(pixel(&flat(2, 2, (255, 128, 128), full)), [255, 255, 255]);
        assert_eq!(pixel(&flat(2, 2, (0, 128, 128), full)), [0, 0, 0]);
        assert_eq!(pixel(&flat(2, 2, (16, 128, 128), full)), [16, 16, 16]);
        // JPEG/JFIF red: (76, 85, 255) in full-range BT.601.
        let [r, g, b] = pixel(&flat(2, 2, (76, 85, 255), full));
        assert!(r >= 253 && g <= 2 && b <= 2, "{r} {g} {b}");
    }

    #[test]
    fn colour_bars_primaries() {
        // 100% colour bars, limited range, as published for each matrix (Rec. 601 / 709).
        type Case = (VideoFormat, (u8, u8, u8), [u8; 3]);
        let cases: [Case; 6] = [
            (bt601(), (81, 90, 240), [255, 0, 0]),
            (bt601(), (145, 54, 34), [0, 255, 0]),
            (bt601(), (41, 240, 110), [0, 0, 255]),
            (bt709(), (63, 102, 240), [255, 0, 0]),
            (bt709(), (173, 42, 26), [0, 255, 0]),
            (bt709(), (32, 240, 118), [0, 0, 255]),
        ];
        for (f, yuv, want) in cases {
            let got = pixel(&flat(2, 2, yuv, f));
            for c in 0..3 {
                assert!(
                    got[c].abs_diff(want[c]) <= 3,
                    "{yuv:?} with {:?}: {got:?}, want {want:?}",
                    f.matrix
                );
            }
        }
        // The same red code under the other matrix is visibly different.
        let wrong = pixel(&flat(2, 2, (81, 90, 240), bt709()));
        assert!(wrong[1] > 20 || wrong[0] < 235, "{wrong:?}");
    }

    #[test]
    fn chroma_type_0_is_cosited_left_and_between_rows() {
        // 4x4 luma, 2x2 chroma. Cr columns 16 and 240: type 0 puts chroma column 0 on luma
        // column 0 and column 1 on luma column 2, so luma column 1 gets the average and
        // column 3 the edge (clamped).
        let mut f = flat(4, 4, (126, 128, 128), bt601());
        f.v = vec![16, 240, 16, 240];
        let conv = YuvConversion::for_frame(&f);
        let rgb = to_rgb8(&f);
        let red = |x: usize| rgb[x * 3];
        let want = |v: f32| to_u8(conv.rgb(126.0, 128.0, v)[0]);
        assert_eq!(
            [red(0), red(1), red(2), red(3)],
            [want(16.0), want(128.0), want(240.0), want(240.0)]
        );
        // Type 1 (centre): luma column 0 sits a quarter chroma sample before chroma 0
        // (clamped), luma column 1 a quarter after it.
        f.format.chroma_loc = Some(1);
        let rgb = to_rgb8(&f);
        assert_eq!(rgb[0], want(16.0));
        assert_eq!(rgb[3], want(16.0 + 0.25 * 224.0));
        assert_eq!(rgb[6], want(16.0 + 0.75 * 224.0));
        assert_eq!(rgb[9], want(240.0));
    }

    #[test]
    fn chroma_rows_are_sited_per_type() {
        // Cb rows 16 and 240 (1 chroma column): type 0 sits halfway between luma rows, so
        // luma row 0 is a quarter chroma row above chroma row 0 (clamped), rows 1 and 2 a
        // quarter and three quarters of the way to chroma row 1, row 3 past it (clamped).
        let mut f = flat(2, 4, (126, 128, 128), bt601());
        f.u = vec![16, 240];
        let conv = YuvConversion::for_frame(&f);
        let blue = |f: &VideoFrame| -> Vec<u8> { to_rgb8(f).chunks(6).map(|row| row[2]).collect() };
        let want = |u: f32| to_u8(conv.rgb(126.0, u, 128.0)[2]);
        assert_eq!(
            blue(&f),
            vec![
                want(16.0),
                want(16.0 + 56.0),
                want(16.0 + 168.0),
                want(240.0)
            ]
        );
        // Type 2 (top-left): chroma row 0 is luma row 0, chroma row 1 is luma row 2.
        f.format.chroma_loc = Some(2);
        assert_eq!(
            blue(&f),
            vec![want(16.0), want(128.0), want(240.0), want(240.0)]
        );
    }

    #[test]
    fn odd_sizes_use_ceil_half_chroma() {
        let mut f = flat(5, 3, (126, 128, 128), bt709());
        assert_eq!((f.u.len(), f.v.len()), (6, 6));
        f.u[2] = 240; // last chroma column, first row: luma column 4 (co-sited).
        let rgb = to_rgb8(&f);
        assert_eq!(rgb.len(), 5 * 3 * 3);
        let px = |x: usize| &rgb[x * 3..x * 3 + 3];
        assert_eq!(px(0), [128, 128, 128]);
        assert_eq!(px(4)[2], 255, "{:?}", px(4));
        assert!(px(3)[2] > 128 && px(3)[2] < px(4)[2], "{:?}", px(3));
        // Short planes do not panic.
        f.y.truncate(3);
        f.u.clear();
        assert_eq!(to_rgb8(&f).len(), 45);
    }

    #[test]
    fn affine_matches_the_formula() {
        let conv = YuvConversion::new(&bt709(), 1920, 1080);
        let m = conv.affine();
        assert!((m[0][2] * 224.0 / 255.0 - 1.5748).abs() < 1e-4, "{m:?}");
        assert!((m[2][1] * 224.0 / 255.0 - 1.8556).abs() < 1e-4);
        let [r, g, b] = conv.rgb(235.0, 128.0, 128.0);
        assert!((r - 1.0).abs() < 1e-5 && (g - 1.0).abs() < 1e-5 && (b - 1.0).abs() < 1e-5);
    }

    #[test]
    fn display_size_widens_or_heightens() {
        assert_eq!(display_size(720, 576, Some((16, 15))), (768, 576));
        assert_eq!(display_size(720, 480, Some((8, 9))), (720, 540));
        assert_eq!(display_size(1440, 1080, Some((4, 3))), (1920, 1080));
        assert_eq!(display_size(426, 240, None), (426, 240));
        assert_eq!(display_size(426, 240, Some((0, 1))), (426, 240));
        assert_eq!(display_size(426, 240, Some((1, 1))), (426, 240));
    }

    #[test]
    fn letterbox_keeps_the_aspect_and_centres() {
        // 16:9 into 4:3: bars above and below.
        assert_eq!(
            letterbox(1920, 1080, None, 640, 480),
            Rect {
                x: 0,
                y: 60,
                width: 640,
                height: 360
            }
        );
        // 4:3 into 16:9: pillarbox.
        assert_eq!(
            letterbox(640, 480, None, 1920, 1080),
            Rect {
                x: 240,
                y: 0,
                width: 1440,
                height: 1080
            }
        );
        // Same aspect: the whole target.
        assert_eq!(
            letterbox(426, 240, None, 852, 480),
            Rect {
                x: 0,
                y: 0,
                width: 852,
                height: 480
            }
        );
        // 426x240 into a square.
        assert_eq!(
            letterbox(426, 240, None, 400, 400),
            Rect {
                x: 0,
                y: 87,
                width: 400,
                height: 225
            }
        );
        // Anamorphic 1440x1080 with 4:3 pixels is 16:9.
        assert_eq!(
            letterbox(1440, 1080, Some((4, 3)), 640, 480),
            Rect {
                x: 0,
                y: 60,
                width: 640,
                height: 360
            }
        );
        assert_eq!(letterbox(0, 240, None, 640, 480), Rect::default());
        assert_eq!(letterbox(426, 240, None, 0, 480), Rect::default());
        // A degenerate target still gets a 1-pixel picture.
        assert_eq!(letterbox(10, 1000, None, 100, 1).height, 1);
    }

    #[test]
    fn png_round_trips() {
        let rgb: Vec<u8> = (0..3 * 4 * 3).map(|i| (i * 7) as u8).collect();
        let bytes = to_png(&rgb, 3, 4).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(
            (info.width, info.height, info.color_type),
            (3, 4, png::ColorType::Rgb)
        );
        assert_eq!(&buf[..info.buffer_size()], &rgb[..]);
    }
}
