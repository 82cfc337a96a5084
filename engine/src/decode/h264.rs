//! H.264 decoding with openh264, configured from the manifest's CodecPrivateData.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use openh264::OpenH264API;

use super::annexb::{
    append_sample_as_annexb, check_nal_length_size, codec_private_to_annexb, sample_has_idr,
};
use super::annexb::{NAL_SPS, nal_type};
use super::frame::{pack_plane, VideoFormat, VideoFrame};
use super::sps::{video_format_of_annexb, Sps};
use super::DecodeError;
use crate::time::MediaTime;

/// Most input pts kept waiting for a picture. H.264 reorders at most 16 frames; anything
/// beyond that means pictures were lost, and the oldest stale entries are dropped.
const MAX_PENDING_PTS: usize = 64;

/// An H.264 decoder for one video stream (all quality levels of it).
///
/// Feed samples in decode order with their presentation time; pictures come back in
/// display order. openh264 does not carry timestamps through reordering, so each picture
/// gets the smallest pts still pending: display order is pts order, which makes this exact.
///
/// Call [`configure`](Self::configure) before the first sample and whenever the quality
/// level changes; its SPS/PPS go in front of the next sample (the level's first, an IDR).
/// At end of stream call [`flush`](Self::flush); after a seek, [`reset`](Self::reset).
pub struct H264Decoder {
    decoder: Decoder,
    config: Option<Config>,
    /// SPS/PPS (Annex-B) to put in front of the next sample.
    pending_parameter_sets: Option<Vec<u8>>,
    /// Presentation times of samples given but not yet returned as pictures (min-heap).
    pending_pts: BinaryHeap<Reverse<MediaTime>>,
    /// Pictures drained at a configuration change, returned by the next call.
    drained: Vec<VideoFrame>,
    /// The last pts handed out, used if openh264 returns more pictures than samples.
    last_pts: Option<MediaTime>,
    /// Reused Annex-B conversion buffer.
    annexb: Vec<u8>,
    /// Aspect, range and colour from the SPS in force (the configuration's, replaced by an
    /// in-band SPS when a sample carries one); stamped on every picture.
    format: VideoFormat,
}

#[derive(Clone, PartialEq, Eq)]
struct Config {
    parameter_sets: Vec<u8>,
    nal_length_size: u8,
}

impl std::fmt::Debug for H264Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoder")
            .field("configured", &self.config.is_some())
            .field(
                "nal_length_size",
                &self.config.as_ref().map(|c| c.nal_length_size),
            )
            .field("pending_pictures", &self.pending_pts.len())
            .finish()
    }
}

fn new_openh264() -> Result<Decoder, DecodeError> {
    // NoFlush: the default flushes after every call and loses pictures on streams with
    // B-frames; we drain explicitly at end of stream and at configuration changes.
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| openh264_error(&e, None))
}

fn openh264_error(e: &openh264::Error, pts: Option<MediaTime>) -> DecodeError {
    // openh264's Display appends backtrace chatter; keep the native code and a short text.
    let full = e.to_string();
    let message = full
        .split(". User Message:")
        .nth(1)
        .map(|m| {
            m.trim_end_matches(". Backtraces enabled.")
                .trim()
                .to_string()
        })
        .filter(|m| m != "None")
        .unwrap_or_else(|| "bitstream rejected".to_string());
    DecodeError::H264 {
        pts,
        native_code: e.native_code(),
        message,
    }
}

impl H264Decoder {
    /// A decoder with nothing configured yet.
    pub fn new() -> Result<Self, DecodeError> {
        Ok(H264Decoder {
            decoder: new_openh264()?,
            config: None,
            pending_parameter_sets: None,
            pending_pts: BinaryHeap::new(),
            drained: Vec::new(),
            last_pts: None,
            annexb: Vec::new(),
            format: VideoFormat::default(),
        })
    }

    /// Call before the first sample and at each quality switch.
    ///
    /// `codec_private_data` is the QualityLevel's CodecPrivateData as bytes (Annex-B
    /// SPS+PPS; an avcC record is accepted too). Empty data is allowed: the samples must
    /// then carry their parameter sets in-band. `nal_length_size` is NALUnitLengthField
    /// (1, 2 or 4). The same configuration again is a no-op. A different one first drains
    /// the pictures still held for reordering (they are returned by the next `decode` or
    /// `flush`), so a switch loses nothing; the new SPS/PPS go in front of the next sample.
    pub fn configure(
        &mut self,
        codec_private_data: &[u8],
        nal_length_size: u8,
    ) -> Result<(), DecodeError> {
        check_nal_length_size(nal_length_size)?;
        let parameter_sets = if codec_private_data.is_empty() {
            Vec::new()
        } else {
            codec_private_to_annexb(codec_private_data)?
        };
        let config = Config {
            parameter_sets,
            nal_length_size,
        };
        if self.config.as_ref() == Some(&config) {
            return Ok(());
        }
        if self.config.is_some() {
            let frames = self.finish_instance()?;
            self.drained.extend(frames);
        }
        self.pending_parameter_sets =
            (!config.parameter_sets.is_empty()).then(|| config.parameter_sets.clone());
        // An SPS that does not parse leaves the format unknown; openh264 judges the stream.
        self.format = video_format_of_annexb(&config.parameter_sets).unwrap_or_default();
        self.config = Some(config);
        Ok(())
    }

    /// Decodes one sample (one access unit, length-prefixed NAL units) with presentation
    /// time `pts`; returns the pictures that became ready, in display order (often none at
    /// the start of a stream with B-frames, at most a few after a quality switch).
    ///
    /// On error the sample is dropped (its pts is forgotten) and the decoder stays usable;
    /// decoding resumes cleanly at the next IDR.
    pub fn decode(
        &mut self,
        sample: &[u8],
        pts: MediaTime,
    ) -> Result<Vec<VideoFrame>, DecodeError> {
        let Some(config) = &self.config else {
            return Err(DecodeError::NotConfigured);
        };
        let nal_length_size = config.nal_length_size;
        let can_restart = !config.parameter_sets.is_empty();
        // At an IDR every earlier picture (in decode order) is output before it and none is
        // referenced after it, so the instance can be finished here and a fresh one started
        // with no change to the output. Doing so re-aligns the pts queue once per GOP: a
        // corrupt sample that openh264 half-decoded cannot shift the times of later GOPs.
        // (Only with CodecPrivateData to hand the new instance; in-band-only streams go on.)
        if can_restart && !self.pending_pts.is_empty() && sample_has_idr(sample, nal_length_size) {
            let frames = self.finish_instance()?;
            self.drained.extend(frames);
            self.pending_parameter_sets = self.configured_parameter_sets();
        }
        self.annexb.clear();
        if let Some(ps) = &self.pending_parameter_sets {
            self.annexb.extend_from_slice(ps);
        }
        append_sample_as_annexb(sample, nal_length_size, &mut self.annexb)?;
        if let Some(format) = in_band_format(sample, nal_length_size) {
            // With CodecPrivateData the instance was finished above at this IDR, so older
            // pictures already carry the old format. Without it (in-band parameter sets
            // only), pictures still held for reordering are stamped with the new one.
            self.format = format;
        }
        // Parameter sets went out with this sample; the level's later samples do not need them.
        self.pending_parameter_sets = None;

        self.pending_pts.push(Reverse(pts));
        let picture = match self.decoder.decode(&self.annexb) {
            Ok(Some(yuv)) => {
                let t = pick_pts(&mut self.pending_pts, &mut self.last_pts, pts);
                Some(copy_picture(&yuv, t, self.format)?)
            }
            Ok(None) => None,
            Err(e) => {
                forget_pts(&mut self.pending_pts, pts);
                return Err(openh264_error(&e, Some(pts)));
            }
        };
        let mut out = std::mem::take(&mut self.drained);
        out.extend(picture);
        while self.pending_pts.len() > MAX_PENDING_PTS {
            self.pending_pts.pop();
        }
        Ok(out)
    }

    /// End of stream: returns every picture still held for reordering, in display order.
    ///
    /// The decoder is then ready for a new stream: the configuration is kept and its
    /// SPS/PPS go out again with the next sample, which must be an IDR.
    pub fn flush(&mut self) -> Result<Vec<VideoFrame>, DecodeError> {
        let mut out = std::mem::take(&mut self.drained);
        out.extend(self.finish_instance()?);
        self.pending_parameter_sets = self.configured_parameter_sets();
        Ok(out)
    }

    /// After a seek: drops held pictures and pending times, and starts a fresh openh264
    /// instance. The configuration is kept and its SPS/PPS are sent again with the next
    /// sample, which must be an IDR (a fragment start).
    pub fn reset(&mut self) -> Result<(), DecodeError> {
        self.decoder = new_openh264()?;
        self.pending_pts.clear();
        self.drained.clear();
        self.last_pts = None;
        self.pending_parameter_sets = self.configured_parameter_sets();
        Ok(())
    }

    fn configured_parameter_sets(&self) -> Option<Vec<u8>> {
        self.config
            .as_ref()
            .map(|c| c.parameter_sets.clone())
            .filter(|ps| !ps.is_empty())
    }

    /// Drains the current openh264 instance (end of its stream) and replaces it with a
    /// fresh one. openh264 cannot go on decoding after `flush_remaining`: on streams with
    /// B-frames a later picture fails with an out-of-memory code (0x4000) and every one
    /// after it with "no parameter sets" (measured with the openh264 crate 0.9, libopenh264 2.7).
    /// A switch starts at an IDR of a closed GOP, so the new instance needs nothing old.
    fn finish_instance(&mut self) -> Result<Vec<VideoFrame>, DecodeError> {
        let fresh = new_openh264()?;
        let mut old = std::mem::replace(&mut self.decoder, fresh);
        let out = match old.flush_remaining() {
            Ok(pictures) => pictures
                .iter()
                .map(|yuv| {
                    let fallback = self.last_pts.unwrap_or(MediaTime::zero(1));
                    copy_picture(
                        yuv,
                        pick_pts(&mut self.pending_pts, &mut self.last_pts, fallback),
                        self.format,
                    )
                })
                .collect(),
            Err(e) => Err(openh264_error(&e, None)),
        };
        // Samples that never became pictures (lost to errors) must not shift later times.
        self.pending_pts.clear();
        out
    }
}

/// The smallest pending pts; if none is pending (openh264 returned more pictures than it
/// was given samples, which only corrupt input does) the last one again, else `fallback`.
fn pick_pts(
    pending: &mut BinaryHeap<Reverse<MediaTime>>,
    last: &mut Option<MediaTime>,
    fallback: MediaTime,
) -> MediaTime {
    let pts = match pending.pop() {
        Some(Reverse(t)) => t,
        None => {
            tracing::warn!("openh264 returned a picture with no pending sample time");
            last.unwrap_or(fallback)
        }
    };
    *last = Some(pts);
    pts
}

fn forget_pts(pending: &mut BinaryHeap<Reverse<MediaTime>>, pts: MediaTime) {
    let mut kept: Vec<_> = std::mem::take(pending).into_vec();
    if let Some(i) = kept.iter().position(|Reverse(t)| *t == pts) {
        kept.swap_remove(i);
    }
    *pending = kept.into();
}

/// The format of the last SPS (that parses) in a length-prefixed sample. Walks the length
/// prefixes only; a malformed sample has none (its conversion reports the error).
fn in_band_format(sample: &[u8], nal_length_size: u8) -> Option<VideoFormat> {
    let prefix = usize::from(nal_length_size);
    let mut pos = 0usize;
    let mut found = None;
    while let Some(len_bytes) = sample.get(pos..pos.saturating_add(prefix)) {
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let body = pos.saturating_add(prefix);
        let Some(nal) = sample.get(body..body.saturating_add(len)) else {
            break;
        };
        if len == 0 {
            break;
        }
        if nal_type(nal) == Some(NAL_SPS) {
            if let Ok(sps) = Sps::parse(nal) {
                found = Some(sps.video_format());
            }
        }
        pos = body + len;
    }
    found
}

fn copy_picture(
    yuv: &DecodedYUV<'_>,
    pts: MediaTime,
    format: VideoFormat,
) -> Result<VideoFrame, DecodeError> {
    let (w, h) = yuv.dimensions();
    let (ys, us, vs) = yuv.strides();
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let bad = || DecodeError::H264 {
        pts: Some(pts),
        native_code: 0,
        message: format!("picture planes smaller than {w}x{h} with strides {ys}/{us}/{vs}"),
    };
    let y = pack_plane(yuv.y(), ys, w, h).ok_or_else(bad)?;
    let u = pack_plane(yuv.u(), us, cw, ch).ok_or_else(bad)?;
    let v = pack_plane(yuv.v(), vs, cw, ch).ok_or_else(bad)?;
    let width = u32::try_from(w).map_err(|_| bad())?;
    let height = u32::try_from(h).map_err(|_| bad())?;
    Ok(VideoFrame {
        pts,
        width,
        height,
        y,
        u,
        v,
        format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_before_configure_is_an_error() {
        let mut d = H264Decoder::new().unwrap();
        assert_eq!(
            d.decode(&[0, 0, 0, 1, 0x65], MediaTime::zero(25)),
            Err(DecodeError::NotConfigured)
        );
    }

    #[test]
    fn configure_validates_its_inputs() {
        let mut d = H264Decoder::new().unwrap();
        assert_eq!(
            d.configure(&[], 3),
            Err(DecodeError::InvalidNalLengthSize { size: 3 })
        );
        assert!(matches!(
            d.configure(&[0, 0, 0, 1, 0x68, 0xce], 4),
            Err(DecodeError::InvalidCodecPrivateData { .. })
        ));
        assert!(
            d.configure(&[], 4).is_ok(),
            "empty CodecPrivateData means in-band parameter sets"
        );
    }

    #[test]
    fn pts_queue_hands_out_the_smallest_pending_time() {
        let mut pending = BinaryHeap::new();
        let mut last = None;
        for t in [0u64, 3, 1, 2] {
            pending.push(Reverse(MediaTime::new(t, 25)));
        }
        forget_pts(&mut pending, MediaTime::new(1, 25));
        let got: Vec<u64> = (0..3)
            .map(|_| pick_pts(&mut pending, &mut last, MediaTime::zero(25)).ticks)
            .collect();
        assert_eq!(got, vec![0, 2, 3]);
        assert_eq!(
            pick_pts(&mut pending, &mut last, MediaTime::zero(25)).ticks,
            3,
            "repeats the last when empty"
        );
    }
}
