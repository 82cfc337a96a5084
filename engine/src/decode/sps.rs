//! H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1 and Annex E VUI), read as far as the
//! picture's colour and shape: chroma format, coded and cropped size, and from the VUI the
//! sample aspect ratio, range, colour description and chroma siting.
//!
//! openh264 decodes the pictures but tells nothing of how to show them; a renderer needs
//! the matrix and range (BT.601 vs BT.709, 16-235 vs 0-255), where chroma samples sit, and
//! the pixel aspect ratio. Those live in the SPS, which the manifest's CodecPrivateData
//! (or an in-band parameter set) carries.
//!
//! The parser is bounded and never panics: emulation-prevention bytes are removed into a
//! buffer capped at [`MAX_SPS_BYTES`], every Exp-Golomb code is limited to 32 bits, loop
//! counts are checked against the standard's limits, and every failure is an [`SpsError`].
//! Fields after `chroma_loc_info` (timing, HRD, bitstream restriction) are not read.

use super::frame::VideoFormat;

/// Largest SPS NAL unit we parse. A real one is under 100 bytes; with every scaling list
/// coded at its largest it stays under 1 KiB.
pub const MAX_SPS_BYTES: usize = 4096;

/// Why an SPS could not be read.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum SpsError {
    /// The NAL unit is empty or its type is not 7 (sequence parameter set).
    #[error("not an SPS NAL unit (type {nal_type:?})")]
    NotAnSps {
        /// The NAL unit type found, `None` for an empty unit.
        nal_type: Option<u8>,
    },
    /// The unit is larger than [`MAX_SPS_BYTES`].
    #[error("SPS of {len} bytes is larger than the {limit}-byte limit")]
    TooLarge {
        /// Its size in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The bits ran out while reading `field`.
    #[error("SPS truncated while reading {field}")]
    Truncated {
        /// The syntax element being read.
        field: &'static str,
    },
    /// An Exp-Golomb code of more than 32 bits, or a value out of the range H.264 allows.
    #[error("SPS {field} out of range: {value}")]
    OutOfRange {
        /// The syntax element.
        field: &'static str,
        /// The value read (saturated to `u64`).
        value: u64,
    },
}

/// Frame cropping, in luma samples (already multiplied by the crop unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Crop {
    /// Columns removed at the left.
    pub left: u32,
    /// Columns removed at the right.
    pub right: u32,
    /// Rows removed at the top.
    pub top: u32,
    /// Rows removed at the bottom.
    pub bottom: u32,
}

/// `colour_primaries`, `transfer_characteristics`, `matrix_coefficients` (H.273 code points:
/// 1 = BT.709, 5 = BT.470BG/601-625, 6 = SMPTE 170M/601-525, 2 = unspecified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColourDescription {
    /// `colour_primaries`.
    pub primaries: u8,
    /// `transfer_characteristics`.
    pub transfer: u8,
    /// `matrix_coefficients`.
    pub matrix: u8,
}

/// The part of the VUI (Annex E) this parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vui {
    /// `aspect_ratio_idc` when `aspect_ratio_info_present_flag` is set.
    pub aspect_ratio_idc: Option<u8>,
    /// The sample aspect ratio it gives (Table E-1, or `sar_width:sar_height` for
    /// Extended_SAR 255); `None` when absent, unspecified (0), reserved or zero.
    pub sar: Option<(u16, u16)>,
    /// `video_format` (0 component .. 5 unspecified) when the signal type is present.
    pub video_format: Option<u8>,
    /// `video_full_range_flag` (false when absent).
    pub full_range: bool,
    /// The colour description when present.
    pub colour: Option<ColourDescription>,
    /// `chroma_sample_loc_type_top_field` and `_bottom_field` (0..=5) when present.
    pub chroma_loc: Option<(u8, u8)>,
}

/// A parsed sequence parameter set (the fields up to and including the VUI's chroma siting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sps {
    /// `profile_idc` (66 baseline, 77 main, 100 high, ...).
    pub profile_idc: u8,
    /// The six constraint flags and two reserved bits, as coded.
    pub constraint_flags: u8,
    /// `level_idc` (level x 10).
    pub level_idc: u8,
    /// `seq_parameter_set_id` (0..=31).
    pub id: u8,
    /// `chroma_format_idc`: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u8,
    /// `separate_colour_plane_flag` (4:4:4 coded as three monochrome planes).
    pub separate_colour_plane: bool,
    /// Luma bit depth (8..=14).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (8..=14).
    pub bit_depth_chroma: u8,
    /// `frame_mbs_only_flag` (false: fields or MBAFF possible).
    pub frame_mbs_only: bool,
    /// Decoded size before cropping (whole macroblocks).
    pub coded_width: u32,
    /// Decoded height before cropping (whole macroblocks, frame rows).
    pub coded_height: u32,
    /// The frame cropping rectangle, in luma samples.
    pub crop: Crop,
    /// The VUI when `vui_parameters_present_flag` is set.
    pub vui: Option<Vui>,
}

impl Sps {
    /// Parses one SPS NAL unit (header byte included, no start code, emulation-prevention
    /// bytes still in).
    pub fn parse(nal: &[u8]) -> Result<Sps, SpsError> {
        let nal_type = nal.first().map(|b| b & 0x1f);
        if nal_type != Some(super::annexb::NAL_SPS) {
            return Err(SpsError::NotAnSps { nal_type });
        }
        if nal.len() > MAX_SPS_BYTES {
            return Err(SpsError::TooLarge {
                len: nal.len(),
                limit: MAX_SPS_BYTES,
            });
        }
        let rbsp = unescape(nal.get(1..).unwrap_or_default());
        parse_rbsp(&mut BitReader::new(&rbsp))
    }

    /// Displayed width: the coded width less the cropped columns.
    pub fn width(&self) -> u32 {
        self.coded_width
            .saturating_sub(self.crop.left.saturating_add(self.crop.right))
    }

    /// Displayed height: the coded height less the cropped rows.
    pub fn height(&self) -> u32 {
        self.coded_height
            .saturating_sub(self.crop.top.saturating_add(self.crop.bottom))
    }

    /// What a renderer needs to show the pictures: aspect, range, colour, chroma siting.
    /// Everything the SPS leaves out stays unknown (`None`, limited range).
    pub fn video_format(&self) -> VideoFormat {
        let Some(vui) = &self.vui else {
            return VideoFormat::default();
        };
        VideoFormat {
            sar: vui.sar,
            full_range: vui.full_range,
            matrix: vui.colour.map(|c| c.matrix),
            primaries: vui.colour.map(|c| c.primaries),
            transfer: vui.colour.map(|c| c.transfer),
            chroma_loc: vui.chroma_loc.map(|(top, _)| top),
        }
    }
}

/// The video format of the first SPS in an Annex-B stream (CodecPrivateData) that parses;
/// `None` when there is none.
pub fn video_format_of_annexb(stream: &[u8]) -> Option<VideoFormat> {
    super::annexb::nal_units(stream)
        .into_iter()
        .filter(|nal| super::annexb::nal_type(nal) == Some(super::annexb::NAL_SPS))
        .find_map(|nal| Sps::parse(nal).ok())
        .map(|sps| sps.video_format())
}

/// Table E-1: `aspect_ratio_idc` 1..=16 to sample aspect ratio.
const SAR_TABLE: [(u16, u16); 16] = [
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
    (4, 3),
    (3, 2),
    (2, 1),
];

/// `aspect_ratio_idc` value that codes the ratio explicitly.
const EXTENDED_SAR: u8 = 255;

/// Profiles whose SPS carries chroma format, bit depths and scaling lists (7.3.2.1.1).
fn has_chroma_format(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

fn parse_rbsp(r: &mut BitReader<'_>) -> Result<Sps, SpsError> {
    let profile_idc = r.u8("profile_idc")?;
    let constraint_flags = r.u8("constraint_set_flags")?;
    let level_idc = r.u8("level_idc")?;
    let id = small(r.ue("seq_parameter_set_id")?, 31, "seq_parameter_set_id")?;

    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    let mut bit_depth_luma = 8;
    let mut bit_depth_chroma = 8;
    if has_chroma_format(profile_idc) {
        chroma_format_idc = small(r.ue("chroma_format_idc")?, 3, "chroma_format_idc")?;
        if chroma_format_idc == 3 {
            separate_colour_plane = r.flag("separate_colour_plane_flag")?;
        }
        bit_depth_luma = 8 + small(r.ue("bit_depth_luma_minus8")?, 6, "bit_depth_luma_minus8")?;
        bit_depth_chroma = 8 + small(
            r.ue("bit_depth_chroma_minus8")?,
            6,
            "bit_depth_chroma_minus8",
        )?;
        r.flag("qpprime_y_zero_transform_bypass_flag")?;
        if r.flag("seq_scaling_matrix_present_flag")? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag("seq_scaling_list_present_flag")? {
                    skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }

    r.ue("log2_max_frame_num_minus4")
        .and_then(|v| small(v, 12, "log2_max_frame_num_minus4"))?;
    let poc_type = small(r.ue("pic_order_cnt_type")?, 2, "pic_order_cnt_type")?;
    if poc_type == 0 {
        small(
            r.ue("log2_max_pic_order_cnt_lsb_minus4")?,
            12,
            "log2_max_pic_order_cnt_lsb_minus4",
        )?;
    } else if poc_type == 1 {
        r.flag("delta_pic_order_always_zero_flag")?;
        r.se("offset_for_non_ref_pic")?;
        r.se("offset_for_top_to_bottom_field")?;
        let cycle = small(
            r.ue("num_ref_frames_in_pic_order_cnt_cycle")?,
            255,
            "num_ref_frames_in_pic_order_cnt_cycle",
        )?;
        for _ in 0..cycle {
            r.se("offset_for_ref_frame")?;
        }
    }
    r.ue("max_num_ref_frames")?;
    r.flag("gaps_in_frame_num_value_allowed_flag")?;
    // Bounded so the sizes below cannot overflow: 2^16 macroblocks is far beyond level 6.2.
    let width_mbs = 1 + bounded(
        r.ue("pic_width_in_mbs_minus1")?,
        0xffff,
        "pic_width_in_mbs_minus1",
    )?;
    let height_map_units = 1 + bounded(
        r.ue("pic_height_in_map_units_minus1")?,
        0xffff,
        "pic_height_in_map_units_minus1",
    )?;
    let frame_mbs_only = r.flag("frame_mbs_only_flag")?;
    if !frame_mbs_only {
        r.flag("mb_adaptive_frame_field_flag")?;
    }
    r.flag("direct_8x8_inference_flag")?;
    let field_factor = if frame_mbs_only { 1 } else { 2 };
    let coded_width = width_mbs * 16;
    let coded_height = height_map_units * 16 * field_factor;

    let mut crop = Crop::default();
    if r.flag("frame_cropping_flag")? {
        // Table 6-1 and equations 7-19..7-22: crop offsets count chroma samples (and field
        // rows) unless the chroma planes are absent or separately coded.
        let chroma_array_type = if separate_colour_plane {
            0
        } else {
            chroma_format_idc
        };
        let (unit_x, unit_y) = match chroma_array_type {
            0 => (1, field_factor),
            1 => (2, 2 * field_factor),
            2 => (2, field_factor),
            _ => (1, field_factor),
        };
        let limit = coded_width.max(coded_height);
        let mut offset = |field| -> Result<u32, SpsError> { bounded(r.ue(field)?, limit, field) };
        crop = Crop {
            left: offset("frame_crop_left_offset")? * unit_x,
            right: offset("frame_crop_right_offset")? * unit_x,
            top: offset("frame_crop_top_offset")? * unit_y,
            bottom: offset("frame_crop_bottom_offset")? * unit_y,
        };
        if crop.left + crop.right >= coded_width || crop.top + crop.bottom >= coded_height {
            return Err(SpsError::OutOfRange {
                field: "frame_cropping",
                value: u64::from(crop.left + crop.right).max(u64::from(crop.top + crop.bottom)),
            });
        }
    }

    let vui = if r.flag("vui_parameters_present_flag")? {
        Some(parse_vui(r)?)
    } else {
        None
    };

    Ok(Sps {
        profile_idc,
        constraint_flags,
        level_idc,
        id,
        chroma_format_idc,
        separate_colour_plane,
        bit_depth_luma,
        bit_depth_chroma,
        frame_mbs_only,
        coded_width,
        coded_height,
        crop,
        vui,
    })
}

/// Annex E.1.1 up to `chroma_loc_info`.
fn parse_vui(r: &mut BitReader<'_>) -> Result<Vui, SpsError> {
    let mut vui = Vui::default();
    if r.flag("aspect_ratio_info_present_flag")? {
        let idc = r.u8("aspect_ratio_idc")?;
        vui.aspect_ratio_idc = Some(idc);
        vui.sar = if idc == EXTENDED_SAR {
            let w = r.u16("sar_width")?;
            let h = r.u16("sar_height")?;
            (w != 0 && h != 0).then_some((w, h))
        } else {
            usize::from(idc)
                .checked_sub(1)
                .and_then(|i| SAR_TABLE.get(i))
                .copied()
        };
    }
    if r.flag("overscan_info_present_flag")? {
        r.flag("overscan_appropriate_flag")?;
    }
    if r.flag("video_signal_type_present_flag")? {
        vui.video_format = Some(r.bits_u8(3, "video_format")?);
        vui.full_range = r.flag("video_full_range_flag")?;
        if r.flag("colour_description_present_flag")? {
            vui.colour = Some(ColourDescription {
                primaries: r.u8("colour_primaries")?,
                transfer: r.u8("transfer_characteristics")?,
                matrix: r.u8("matrix_coefficients")?,
            });
        }
    }
    if r.flag("chroma_loc_info_present_flag")? {
        let top = small(
            r.ue("chroma_sample_loc_type_top_field")?,
            5,
            "chroma_sample_loc_type_top_field",
        )?;
        let bottom = small(
            r.ue("chroma_sample_loc_type_bottom_field")?,
            5,
            "chroma_sample_loc_type_bottom_field",
        )?;
        vui.chroma_loc = Some((top, bottom));
    }
    Ok(vui)
}

/// 7.3.2.1.1.1 `scaling_list`: read and discarded (only its length matters here).
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), SpsError> {
    let mut last: i64 = 8;
    let mut next: i64 = 8;
    for _ in 0..size {
        if next != 0 {
            let delta = r.se("delta_scale")?;
            if !(-128..=127).contains(&delta) {
                return Err(SpsError::OutOfRange {
                    field: "delta_scale",
                    value: delta.unsigned_abs(),
                });
            }
            next = (last + delta).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

fn bounded(v: u32, max: u32, field: &'static str) -> Result<u32, SpsError> {
    if v > max {
        Err(SpsError::OutOfRange {
            field,
            value: u64::from(v),
        })
    } else {
        Ok(v)
    }
}

fn small(v: u32, max: u8, field: &'static str) -> Result<u8, SpsError> {
    bounded(v, u32::from(max), field).map(|v| v as u8)
}

/// The RBSP of a NAL unit payload: every `00 00 03` loses its `03` (7.4.1).
pub fn unescape(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len());
    let mut zeros = 0usize;
    for &b in payload {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// MSB-first bit reader over an RBSP.
struct BitReader<'a> {
    data: &'a [u8],
    /// Bit position from the start of `data`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    fn bit(&mut self, field: &'static str) -> Result<u32, SpsError> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or(SpsError::Truncated { field })?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Ok(u32::from(bit))
    }

    /// `n` (at most 32) bits, MSB first.
    fn bits(&mut self, n: u32, field: &'static str) -> Result<u32, SpsError> {
        let mut v = 0u32;
        for _ in 0..n.min(32) {
            v = (v << 1) | self.bit(field)?;
        }
        Ok(v)
    }

    fn flag(&mut self, field: &'static str) -> Result<bool, SpsError> {
        Ok(self.bit(field)? == 1)
    }

    fn bits_u8(&mut self, n: u32, field: &'static str) -> Result<u8, SpsError> {
        Ok((self.bits(n.min(8), field)? & 0xff) as u8)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, SpsError> {
        self.bits_u8(8, field)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, SpsError> {
        Ok((self.bits(16, field)? & 0xffff) as u16)
    }

    /// ue(v), limited to values that fit 32 bits (at most 31 leading zeros ... plus the
    /// code for 2^32 - 1, which needs 32: refused, no syntax element here goes that high).
    fn ue(&mut self, field: &'static str) -> Result<u32, SpsError> {
        let mut zeros = 0u32;
        while self.bit(field)? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(SpsError::OutOfRange {
                    field,
                    value: u64::MAX,
                });
            }
        }
        let suffix = u64::from(self.bits(zeros, field)?);
        let v = (1u64 << zeros) - 1 + suffix;
        u32::try_from(v).map_err(|_| SpsError::OutOfRange { field, value: v })
    }

    /// se(v): 1, -1, 2, -2, ... from ue(v).
    fn se(&mut self, field: &'static str) -> Result<i64, SpsError> {
        let k = i64::from(self.ue(field)?);
        Ok(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a hex SPS NAL unit (as x264 wrote it, emulation prevention included).
    fn sps(hex: &str) -> Sps {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        Sps::parse(&bytes).unwrap_or_else(|e| panic!("{hex}: {e}"))
    }

    // The SPS NAL units below were written by ffmpeg 5.1 / libx264 (one frame of
    // `-f lavfi -i testsrc=s=WxH -pix_fmt yuv420p -c:v libx264 ...`, the first NAL unit of
    // the .h264 output); the expected values are what `ffprobe -show_streams` and the
    // `trace_headers` bitstream filter report for the same file. The x264 options are
    // named on each.

    /// `-vf setsar=4/3 -colorspace bt709 -color_primaries bt709 -color_trc bt709`, 426x240.
    const BT709_SAR43: &str = "67640015acd941b1fe4f0e6a020202800000030080000019078b16cb";
    /// `-profile:v high -colorspace smpte170m -color_primaries smpte170m -color_trc
    /// smpte170m -color_range pc -x264-params chromaloc=1:fullrange=on`, 426x240.
    const FULL601_CHROMALOC1: &str = "67640015acd941b1fe4f016e0c0c0d4a000003000200000300641e2c5b2c";
    /// `-profile:v baseline`, 426x240, no colour description.
    const BASELINE: &str = "6742c015d901b1fe4f011000000300100000030320f162e480";
    /// `-vf setsar=7/5 -x264-params chromaloc=2`, 426x240 (Extended_SAR).
    const SAR_EXTENDED: &str = "67640015acd941b1fe4fff000700052dc0000003004000000c83c58b6580";
    /// `-pix_fmt yuv444p -profile:v high444`, 320x240.
    const HIGH444: &str = "67f4000d919b28283f6022000003000200000300641e28532c";
    /// `-flags +ildct -x264-params interlaced=1:tff=1`, 320x240 (field coding).
    const INTERLACED: &str = "67640015acd941410fcb808800000300080000030190f8a14cb0";
    /// 1920x1080 `-colorspace bt470bg -color_primaries bt470bg -color_trc gamma28`.
    const BT470BG_1080: &str = "67640028acd940780227e5c05a828282a0000003002000000641e30632c0";

    #[test]
    fn bt709_tagged_with_a_4_3_sample_aspect_ratio() {
        let s = sps(BT709_SAR43);
        assert_eq!(
            (s.profile_idc, s.level_idc, s.chroma_format_idc),
            (100, 21, 1)
        );
        assert_eq!((s.coded_width, s.coded_height), (432, 240));
        assert_eq!(
            s.crop,
            Crop {
                right: 6,
                ..Crop::default()
            }
        );
        assert_eq!((s.width(), s.height()), (426, 240));
        let vui = s.vui.unwrap();
        assert_eq!(vui.aspect_ratio_idc, Some(14));
        assert_eq!(vui.video_format, Some(5));
        assert_eq!(
            s.video_format(),
            VideoFormat {
                sar: Some((4, 3)),
                full_range: false,
                matrix: Some(1),
                primaries: Some(1),
                transfer: Some(1),
                chroma_loc: None,
            }
        );
    }

    #[test]
    fn full_range_bt601_with_chroma_location_1() {
        let f = sps(FULL601_CHROMALOC1).video_format();
        assert_eq!(
            f,
            VideoFormat {
                sar: Some((1, 1)),
                full_range: true,
                matrix: Some(6),
                primaries: Some(6),
                transfer: Some(6),
                chroma_loc: Some(1),
            }
        );
        assert_eq!(
            sps(FULL601_CHROMALOC1).vui.unwrap().chroma_loc,
            Some((1, 1))
        );
    }

    #[test]
    fn baseline_without_colour_description() {
        let s = sps(BASELINE);
        assert_eq!((s.profile_idc, s.chroma_format_idc), (66, 1));
        assert_eq!((s.width(), s.height()), (426, 240));
        assert_eq!(
            s.video_format(),
            VideoFormat {
                sar: Some((1, 1)),
                ..VideoFormat::default()
            }
        );
    }

    #[test]
    fn extended_sar_and_chroma_location_2() {
        let s = sps(SAR_EXTENDED);
        assert_eq!(s.vui.unwrap().aspect_ratio_idc, Some(255));
        let f = s.video_format();
        assert_eq!(
            (f.sar, f.chroma_loc, f.matrix, f.full_range),
            (Some((7, 5)), Some(2), None, false)
        );
    }

    #[test]
    fn high_444_reads_chroma_format_3() {
        let s = sps(HIGH444);
        assert_eq!(
            (s.profile_idc, s.chroma_format_idc, s.separate_colour_plane),
            (244, 3, false)
        );
        assert_eq!((s.bit_depth_luma, s.bit_depth_chroma), (8, 8));
        assert_eq!((s.width(), s.height()), (320, 240));
        assert_eq!(s.video_format().sar, Some((1, 1)));
    }

    #[test]
    fn field_coding_doubles_map_units_and_the_vertical_crop_unit() {
        let s = sps(INTERLACED);
        assert!(!s.frame_mbs_only);
        // 8 map units of 2 macroblock rows; crop_bottom 4 in units of 2 chroma rows x 2 fields.
        assert_eq!((s.coded_width, s.coded_height), (320, 256));
        assert_eq!(s.crop.bottom, 16);
        assert_eq!((s.width(), s.height()), (320, 240));
    }

    #[test]
    fn bt470bg_1080p_crops_8_rows() {
        let s = sps(BT470BG_1080);
        assert_eq!(
            (s.coded_width, s.coded_height, s.width(), s.height()),
            (1920, 1088, 1920, 1080)
        );
        let f = s.video_format();
        assert_eq!(
            (f.matrix, f.primaries, f.transfer),
            (Some(5), Some(5), Some(5))
        );
    }

    #[test]
    fn video_format_of_codec_private_data() {
        let mut cpd = vec![0, 0, 0, 1];
        cpd.extend(
            (0..BT709_SAR43.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&BT709_SAR43[i..i + 2], 16).unwrap()),
        );
        cpd.extend([0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0]);
        assert_eq!(video_format_of_annexb(&cpd).unwrap().matrix, Some(1));
        assert_eq!(video_format_of_annexb(&[0, 0, 1, 0x68, 0xce]), None);
    }

    /// MSB-first writer with Exp-Golomb codes, for SPS shapes x264 never writes.
    #[derive(Default)]
    struct BitWriter {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl BitWriter {
        fn put(&mut self, n: u32, v: u64) {
            for i in (0..n).rev() {
                if self.bits % 8 == 0 {
                    self.bytes.push(0);
                }
                let bit = ((v >> i) & 1) as u8;
                *self.bytes.last_mut().unwrap() |= bit << (7 - self.bits % 8);
                self.bits += 1;
            }
        }
        fn ue(&mut self, v: u64) {
            let code = v + 1;
            let len = 64 - code.leading_zeros();
            self.put(len - 1, 0);
            self.put(len, code);
        }
        fn se(&mut self, v: i64) {
            self.ue(if v > 0 {
                2 * v as u64 - 1
            } else {
                2 * v.unsigned_abs()
            });
        }
        /// rbsp_trailing_bits, emulation prevention, NAL header 0x67.
        fn nal(mut self) -> Vec<u8> {
            self.put(1, 1);
            while self.bits % 8 != 0 {
                self.put(1, 0);
            }
            let mut out = vec![0x67];
            let mut zeros = 0;
            for b in self.bytes {
                if zeros >= 2 && b <= 3 {
                    out.push(3);
                    zeros = 0;
                }
                zeros = if b == 0 { zeros + 1 } else { 0 };
                out.push(b);
            }
            out
        }
    }

    /// High profile 640x360 with SPS scaling lists (one explicit 4x4 list, one "use
    /// default" list, one explicit 8x8 list), pic_order_cnt_type 1 with a 3-frame cycle,
    /// and a VUI with every field this parser reads. Checked once by hand against ffmpeg:
    /// this unit in front of an x264 stream's PPS and slices, `ffprobe -show_streams` says
    /// 640x360, sample_aspect_ratio 40:33, color_range pc, color_space bt709,
    /// chroma_location top (type 3), and `trace_headers` shows the same scaling lists.
    fn scaling_list_sps() -> Vec<u8> {
        let mut w = BitWriter::default();
        w.put(8, 100);
        w.put(8, 0);
        w.put(8, 30);
        w.ue(0); // seq_parameter_set_id
        w.ue(1); // chroma_format_idc
        w.ue(0);
        w.ue(0); // bit depths
        w.put(1, 0); // qpprime_y_zero_transform_bypass_flag
        w.put(1, 1); // seq_scaling_matrix_present_flag
        for i in 0..8 {
            match i {
                0 => {
                    w.put(1, 1);
                    for j in 0..16 {
                        w.se(if j == 0 { 8 } else { (j % 5) - 2 });
                    }
                }
                1 => {
                    w.put(1, 1);
                    w.se(-8); // nextScale 0 at j = 0: use the default list
                }
                6 => {
                    w.put(1, 1);
                    for _ in 0..64 {
                        w.se(1);
                    }
                }
                _ => w.put(1, 0),
            }
        }
        w.ue(0); // log2_max_frame_num_minus4
        w.ue(1); // pic_order_cnt_type
        w.put(1, 0);
        w.se(-1);
        w.se(2);
        w.ue(3);
        for v in [1, -2, 3] {
            w.se(v);
        }
        w.ue(2); // max_num_ref_frames
        w.put(1, 0);
        w.ue(39); // 640
        w.ue(22); // 368
        w.put(1, 1); // frame_mbs_only
        w.put(1, 1); // direct_8x8_inference
        w.put(1, 1); // frame_cropping
        for v in [0, 0, 0, 4] {
            w.ue(v);
        }
        w.put(1, 1); // vui
        w.put(1, 1);
        w.put(8, 255);
        w.put(16, 40);
        w.put(16, 33);
        w.put(1, 1); // overscan info
        w.put(1, 0);
        w.put(1, 1); // video signal type
        w.put(3, 5);
        w.put(1, 1); // full range
        w.put(1, 1);
        w.put(8, 1);
        w.put(8, 1);
        w.put(8, 1);
        w.put(1, 1); // chroma loc
        w.ue(3);
        w.ue(3);
        w.put(1, 0); // timing_info_present_flag
        w.put(1, 0);
        w.put(1, 0);
        w.put(1, 0);
        w.put(1, 0); // bitstream_restriction_flag
        w.nal()
    }

    #[test]
    fn scaling_lists_and_poc_type_1_are_skipped_to_reach_the_vui() {
        let s = Sps::parse(&scaling_list_sps()).unwrap();
        assert_eq!((s.width(), s.height()), (640, 360));
        assert_eq!(
            s.video_format(),
            VideoFormat {
                sar: Some((40, 33)),
                full_range: true,
                matrix: Some(1),
                primaries: Some(1),
                transfer: Some(1),
                chroma_loc: Some(3),
            }
        );
    }

    #[test]
    fn emulation_prevention_bytes_are_removed() {
        assert_eq!(
            unescape(&[0, 0, 3, 1, 0, 0, 3, 0, 3]),
            vec![0, 0, 1, 0, 0, 0, 3]
        );
        assert_eq!(unescape(&[0, 3, 0, 0, 0, 3]), vec![0, 3, 0, 0, 0]);
    }

    #[test]
    fn malformed_units_are_typed_errors() {
        assert_eq!(Sps::parse(&[]), Err(SpsError::NotAnSps { nal_type: None }));
        assert_eq!(
            Sps::parse(&[0x68, 0xce]),
            Err(SpsError::NotAnSps { nal_type: Some(8) })
        );
        let big = [&[0x67u8][..], &[0xff; MAX_SPS_BYTES]].concat();
        assert!(matches!(Sps::parse(&big), Err(SpsError::TooLarge { .. })));
        // 40 zero bits: an Exp-Golomb code longer than 32 bits.
        assert!(matches!(
            Sps::parse(&[0x67, 100, 0, 30, 0, 0, 0, 0, 0, 1]),
            Err(SpsError::OutOfRange {
                field: "seq_parameter_set_id",
                ..
            })
        ));
        // chroma_format_idc 4 (ue "00101").
        assert!(matches!(
            Sps::parse(&[0x67, 100, 0, 30, 0b1001_0100]),
            Err(SpsError::OutOfRange {
                field: "chroma_format_idc",
                value: 4
            })
        ));
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error_or_a_value_never_a_panic() {
        let mut inputs: Vec<Vec<u8>> = [
            BT709_SAR43,
            FULL601_CHROMALOC1,
            SAR_EXTENDED,
            HIGH444,
            INTERLACED,
        ]
        .iter()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect();
        inputs.push(scaling_list_sps());
        for nal in &inputs {
            for len in 0..nal.len() {
                let _ = Sps::parse(&nal[..len]);
            }
            // Cut before the picture size: an error, not a guess.
            assert!(matches!(
                Sps::parse(&nal[..5]),
                Err(SpsError::Truncated { .. } | SpsError::OutOfRange { .. })
            ));
            for bit in 8..nal.len() * 8 {
                let mut m = nal.clone();
                m[bit / 8] ^= 0x80 >> (bit % 8);
                if let Ok(s) = Sps::parse(&m) {
                    assert!(s.width() > 0 && s.height() > 0);
                }
            }
        }
    }
}
