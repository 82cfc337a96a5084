//! Which decoder a manifest FourCC needs.

use super::DecodeError;

/// A codec this engine can decode.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// H.264/AVC video (FourCC `H264`, `AVC1`, `DAVC`).
    H264,
    /// AAC Low Complexity audio (FourCC `AACL`).
    AacLc,
}

/// Maps a QualityLevel's FourCC to the decoder it needs.
///
/// Matching ignores ASCII case and surrounding whitespace (manifests in the wild write
/// `avc1` and `H264 `). Anything else, including `AACH` (HE-AAC: our AAC decoder has no
/// SBR), `WVC1`, `WMAP`, `TTML` and a missing FourCC, is an error naming the FourCC, so
/// the caller can report it and keep playing the other streams.
pub fn codec_for(fourcc: Option<&str>) -> Result<CodecKind, DecodeError> {
    let Some(raw) = fourcc else {
        return Err(DecodeError::MissingFourCc);
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(DecodeError::MissingFourCc);
    }
    match trimmed.to_ascii_uppercase().as_str() {
        "H264" | "AVC1" | "DAVC" => Ok(CodecKind::H264),
        "AACL" => Ok(CodecKind::AacLc),
        _ => Err(DecodeError::UnsupportedCodec {
            fourcc: raw.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_fourccs_map_to_decoders() {
        assert_eq!(codec_for(Some("H264")), Ok(CodecKind::H264));
        assert_eq!(codec_for(Some("avc1")), Ok(CodecKind::H264));
        assert_eq!(codec_for(Some("DAVC")), Ok(CodecKind::H264));
        assert_eq!(codec_for(Some(" AACL ")), Ok(CodecKind::AacLc));
    }

    #[test]
    fn unsupported_fourccs_are_named_in_the_error() {
        for cc in ["WVC1", "WMAP", "AACH", "JPEG", "TTML", "ec-3"] {
            let err = codec_for(Some(cc)).unwrap_err();
            assert_eq!(
                err,
                DecodeError::UnsupportedCodec {
                    fourcc: cc.to_string()
                }
            );
            assert!(err.to_string().contains(cc), "{err}");
            assert!(err.is_unsupported());
        }
    }

    #[test]
    fn missing_fourcc_is_its_own_error() {
        assert_eq!(codec_for(None), Err(DecodeError::MissingFourCc));
        assert_eq!(codec_for(Some("  ")), Err(DecodeError::MissingFourCc));
        assert!(DecodeError::MissingFourCc.is_unsupported());
    }
}
