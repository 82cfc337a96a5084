//! Per-level checks run when a `<QualityLevel>` ends: FourCC inference (stream-level
//! FourCC, AACL for audio as dash.js does), CodecPrivateData sanity, NAL length size.
//! Findings are [`LevelProblem`]s on the level, never whole-manifest errors.

use crate::manifest::error::quoted;
use crate::manifest::model::{LevelProblem, QualityLevel, StreamIndex, StreamKind};

/// QualityLevel attributes that are interpreted only once the element has ended.
#[derive(Default)]
pub(crate) struct LevelAttrs {
    /// `Bitrate` was present.
    pub bitrate_seen: bool,
    /// `CodecPrivateData` decoded from hex, or why it could not be.
    pub codec_private_data: Option<Result<Vec<u8>, &'static str>>,
    /// `NALUnitLengthField` as written.
    pub nal_unit_length_field: Option<String>,
}

/// Per-level checks that need the whole element and its stream: FourCC inference,
/// CodecPrivateData sanity, NAL length size. Findings go to `level.problems`.
pub(crate) fn check_level(level: &mut QualityLevel, extra: LevelAttrs, stream: &StreamIndex) {
    if !extra.bitrate_seen {
        level.problems.push(LevelProblem::MissingBitrate);
    }
    if level.fourcc.is_none() {
        level.fourcc = stream.fourcc.clone();
    }
    if level.fourcc.is_none() {
        match stream.kind {
            // dash.js plays audio without a FourCC as AAC-LC; so do we.
            StreamKind::Audio => {
                level.fourcc = Some("AACL".to_owned());
                level.problems.push(LevelProblem::FourCcAssumedAacl);
            }
            // Text formats come from the Subtype; no decoder to configure.
            StreamKind::Text => {}
            StreamKind::Video | StreamKind::Other(_) => {
                level.problems.push(LevelProblem::MissingFourCc)
            }
        }
    }
    match extra.codec_private_data {
        Some(Ok(bytes)) => level.codec_private_data = bytes,
        Some(Err(reason)) => level
            .problems
            .push(LevelProblem::InvalidCodecPrivateData { reason }),
        None => {}
    }
    if let Some(v) = extra.nal_unit_length_field {
        match v.parse::<u8>() {
            Ok(n @ (1 | 2 | 4)) => level.nal_unit_length_field = n,
            _ => level
                .problems
                .push(LevelProblem::InvalidNalUnitLengthField(quoted(&v))),
        }
    }
    let cpd_valid = !level
        .problems
        .iter()
        .any(|p| matches!(p, LevelProblem::InvalidCodecPrivateData { .. }));
    if level.is_h264() && cpd_valid {
        let cpd = &level.codec_private_data;
        if cpd.is_empty() {
            level.problems.push(LevelProblem::MissingCodecPrivateData);
        } else if !(cpd.starts_with(&[0, 0, 0, 1]) || cpd.starts_with(&[0, 0, 1])) {
            level.problems.push(LevelProblem::CodecPrivateDataNotAnnexB);
        }
    }
    if level.is_aac_lc() && cpd_valid && level.audio_specific_config().is_none() {
        level.problems.push(LevelProblem::NoAudioSpecificConfig);
    }
}
