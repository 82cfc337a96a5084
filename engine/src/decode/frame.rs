//! Decoded pictures and audio.

use crate::time::MediaTime;
use md5::{Digest, Md5};

/// One decoded picture in planar YUV 4:2:0 (8 bit), planes packed without stride padding.
#[derive(Clone, PartialEq, Eq)]
pub struct VideoFrame {
    /// Presentation time (display order), in the timescale of the samples' pts.
    pub pts: MediaTime,
    /// Luma width in pixels.
    pub width: u32,
    /// Luma height in pixels.
    pub height: u32,
    /// Luma plane, `width * height` bytes.
    pub y: Vec<u8>,
    /// Cb plane, `ceil(width/2) * ceil(height/2)` bytes.
    pub u: Vec<u8>,
    /// Cr plane, same size as `u`.
    pub v: Vec<u8>,
    /// How to show the picture (aspect, range, colour, chroma siting), from the SPS in
    /// force when it was decoded; [`VideoFormat::default`] when the SPS says nothing.
    pub format: VideoFormat,
}

/// How a picture is meant to be shown, as far as the H.264 SPS (its VUI) says: the values
/// a renderer needs to pick the YUV to RGB matrix and range, site the chroma samples and
/// keep the aspect ratio. `Default` is "unknown": square pixels assumed by callers, limited
/// range, matrix chosen by the caller (by resolution, as players do).
///
/// The colour code points are ITU-T H.273's (the same as H.264 Table E-3..E-5):
/// `matrix` 1 = BT.709, 5 = BT.470BG and 6 = SMPTE 170M (both BT.601), 2 = unspecified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct VideoFormat {
    /// Sample (pixel) aspect ratio `width:height`, when the VUI gives a usable one.
    pub sar: Option<(u16, u16)>,
    /// `video_full_range_flag`: luma 0-255 instead of 16-235 (chroma 0-255 vs 16-240).
    pub full_range: bool,
    /// `matrix_coefficients`, when the colour description is present.
    pub matrix: Option<u8>,
    /// `colour_primaries`, when the colour description is present.
    pub primaries: Option<u8>,
    /// `transfer_characteristics`, when the colour description is present.
    pub transfer: Option<u8>,
    /// `chroma_sample_loc_type_top_field` (0..=5), when given; absent means type 0
    /// (chroma co-sited with the left luma column, halfway between two rows).
    pub chroma_loc: Option<u8>,
}

impl VideoFrame {
    /// Width and height of each chroma plane.
    pub fn chroma_size(&self) -> (u32, u32) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    /// Total bytes of the three planes (what ffmpeg's framemd5 prints as the size).
    pub fn byte_len(&self) -> usize {
        self.y.len() + self.u.len() + self.v.len()
    }

    /// MD5 (lowercase hex) of Y then U then V: the same hash `ffmpeg -f framemd5
    /// -pix_fmt yuv420p` prints for this picture.
    pub fn md5_hex(&self) -> String {
        let mut h = Md5::new();
        h.update(&self.y);
        h.update(&self.u);
        h.update(&self.v);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A block of decoded audio: one access unit's worth of interleaved f32 samples.
#[derive(Clone, PartialEq)]
pub struct AudioBlock {
    /// Presentation time of the first sample frame.
    pub pts: MediaTime,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channel count; `samples` interleaves this many channels.
    pub channels: u16,
    /// Interleaved samples in [-1, 1] (`frames() * channels` values).
    pub samples: Vec<f32>,
}

impl AudioBlock {
    /// Number of sample frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }
}

// Debug output summarises the planes: a derived Debug would print megabytes per picture
// in every failed assertion.
impl std::fmt::Debug for VideoFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoFrame")
            .field("pts", &self.pts)
            .field("size", &format_args!("{}x{}", self.width, self.height))
            .field("plane_bytes", &(self.y.len(), self.u.len(), self.v.len()))
            .field("md5", &self.md5_hex())
            .finish()
    }
}

impl std::fmt::Debug for AudioBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioBlock")
            .field("pts", &self.pts)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("frames", &self.frames())
            .finish()
    }
}

/// Copies `rows` rows of `width` bytes out of a plane with `stride` bytes per row.
/// Returns `None` when the plane is shorter than the geometry claims.
pub(crate) fn pack_plane(
    plane: &[u8],
    stride: usize,
    width: usize,
    rows: usize,
) -> Option<Vec<u8>> {
    if width > stride {
        return None;
    }
    let mut out = Vec::with_capacity(width.checked_mul(rows)?);
    for r in 0..rows {
        let start = r.checked_mul(stride)?;
        out.extend_from_slice(plane.get(start..start.checked_add(width)?)?);
    }
    Some(out)
}

#[cfg(test)]
impl VideoFrame {
    /// A frame whose every sample is `fill` (tests of the writers).
    pub(crate) fn flat(pts: MediaTime, width: u32, height: u32, fill: u8) -> Self {
        let chroma = (width.div_ceil(2) * height.div_ceil(2)) as usize;
        VideoFrame {
            pts,
            width,
            height,
            y: vec![fill; (width * height) as usize],
            u: vec![fill; chroma],
            v: vec![fill; chroma],
            format: VideoFormat::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_covers_the_planes_in_order() {
        let f = VideoFrame {
            pts: MediaTime::zero(25),
            width: 2,
            height: 2,
            y: vec![1, 2, 3, 4],
            u: vec![5],
            v: vec![6],
            format: VideoFormat::default(),
        };
        // md5 of bytes 01..06, computed with `printf '\x01\x02\x03\x04\x05\x06' | md5sum`.
        assert_eq!(f.md5_hex(), "6ac1e56bc78f031059be7be854522c4c");
        let swapped = VideoFrame {
            u: vec![6],
            v: vec![5],
            ..f.clone()
        };
        assert_ne!(swapped.md5_hex(), f.md5_hex());
        assert_eq!(f.byte_len(), 6);
        assert_eq!(f.chroma_size(), (1, 1));
        let debug = format!("{f:?}");
        assert!(
            debug.contains("2x2") && debug.contains("6ac1e56b"),
            "{debug}"
        );
    }

    #[test]
    fn pack_plane_drops_stride_padding_and_checks_bounds() {
        let plane = [1, 2, 0xee, 3, 4, 0xee];
        assert_eq!(pack_plane(&plane, 3, 2, 2), Some(vec![1, 2, 3, 4]));
        assert_eq!(pack_plane(&plane, 3, 2, 3), None);
        assert_eq!(pack_plane(&plane, 1, 2, 1), None);
    }
}
