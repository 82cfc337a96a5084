//! Elementary streams built from a presentation's fragments, for ffmpeg to decode.

use std::path::Path;

use bytes::Bytes;
use smoothplay_engine::decode::{adts, annexb};
use smoothplay_engine::fmp4::{parse_fragment, Fragment};
use smoothplay_engine::manifest::{Manifest, QualityLevel, StreamIndex, StreamKind};

/// One level of a presentation as a single stream.
pub struct Elementary {
    /// Annex-B H.264 (SPS/PPS first) or ADTS AAC.
    pub bytes: Vec<u8>,
    /// Number of access units.
    pub samples: usize,
    /// Picture size (video).
    pub size: Option<(u32, u32)>,
}

/// Every fragment of one level, parsed, in order.
fn fragments(presentation: &Path, stream: &StreamIndex, level: &QualityLevel) -> Vec<Fragment> {
    stream
        .chunks
        .iter()
        .map(|chunk| {
            let path = presentation.join(stream.fragment_url(level, chunk));
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            parse_fragment(Bytes::from(data)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

fn load(presentation: &Path) -> Manifest {
    let xml = std::fs::read(presentation.join("Manifest")).expect("read Manifest");
    Manifest::parse(&xml).expect("parse Manifest")
}

/// The video level with this bitrate, all fragments in order, as Annex-B.
pub fn video_annexb(presentation: &Path, bitrate: u64) -> Elementary {
    let m = load(presentation);
    let stream = m.streams.iter().find(|s| s.kind == StreamKind::Video).expect("video stream");
    let level = stream.levels.iter().find(|l| l.bitrate == bitrate).expect("level with that bitrate");
    let mut out = annexb::codec_private_to_annexb(&level.codec_private_data).expect("codec private data");
    let mut samples = 0;
    for frag in fragments(presentation, stream, level) {
        for s in &frag.samples {
            annexb::append_sample_as_annexb(&s.data, level.nal_unit_length_field, &mut out).expect("annexb");
            samples += 1;
        }
    }
    Elementary { bytes: out, samples, size: level.max_width.zip(level.max_height) }
}

/// The (first) audio level, all fragments in order, as ADTS.
pub fn audio_adts(presentation: &Path) -> Elementary {
    let m = load(presentation);
    let stream = m.streams.iter().find(|s| s.kind == StreamKind::Audio).expect("audio stream");
    let level = stream.levels.first().expect("audio level");
    let asc = level.audio_specific_config().expect("AudioSpecificConfig");
    let mut out = Vec::new();
    let mut samples = 0;
    for frag in fragments(presentation, stream, level) {
        for s in &frag.samples {
            out.extend(adts::wrap(&s.data, &asc).expect("adts"));
            samples += 1;
        }
    }
    Elementary { bytes: out, samples, size: None }
}
