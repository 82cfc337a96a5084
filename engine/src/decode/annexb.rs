//! H.264 byte-stream plumbing: Smooth Streaming stores samples as length-prefixed NAL units
//! (NALUnitLengthField bytes, big-endian) and CodecPrivateData as Annex-B; openh264 wants
//! Annex-B (start-code delimited) for both.

use super::DecodeError;

/// The 4-byte start code we write in front of every NAL unit.
pub const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// Largest sample we convert. A 1080p intra frame at very high quality is a few MB; this
/// bounds memory on hostile input.
pub const MAX_SAMPLE_BYTES: usize = 32 * 1024 * 1024;

/// NAL unit type of a sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// NAL unit type of a picture parameter set.
pub const NAL_PPS: u8 = 8;

/// The NAL unit type (low 5 bits of the first byte), `None` for an empty unit.
pub fn nal_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| b & 0x1f)
}

/// Checks a NALUnitLengthField value (1, 2 or 4: avcC's lengthSizeMinusOne cannot say 3).
pub fn check_nal_length_size(nal_length_size: u8) -> Result<(), DecodeError> {
    match nal_length_size {
        1 | 2 | 4 => Ok(()),
        size => Err(DecodeError::InvalidNalLengthSize { size }),
    }
}

/// Splits an Annex-B byte stream into NAL units (without start codes).
///
/// Accepts 3- and 4-byte start codes and leading zero bytes; trailing zero bytes of a unit
/// are dropped (they are `trailing_zero_8bits` of the stream, a NAL unit never ends in 0x00).
/// Bytes before the first start code are ignored. Never panics.
pub fn nal_units(stream: &[u8]) -> Vec<&[u8]> {
    // Offsets just past each 00 00 01 (a 4-byte start code contains one at offset 1).
    let starts: Vec<usize> = stream
        .windows(3)
        .enumerate()
        .filter(|(_, w)| *w == [0, 0, 1])
        .map(|(i, _)| i + 3)
        .collect();
    let mut units = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        // The unit runs to the next start code's 00 00 01 (its leading zeros are trimmed below).
        let end = starts.get(k + 1).map_or(stream.len(), |&next| next - 3);
        let unit = stream.get(start..end).unwrap_or_default();
        let trimmed_len = unit.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        if let Some(trimmed) = unit.get(..trimmed_len).filter(|u| !u.is_empty()) {
            units.push(trimmed);
        }
    }
    units
}

/// CodecPrivateData of an H.264 QualityLevel to an Annex-B header (4-byte start codes) that
/// holds every SPS and PPS it carries, in order.
///
/// MS-SSTR specifies Annex-B (`00 00 00 01 SPS 00 00 00 01 PPS`); an `avcC` record
/// (first byte 1), which some packagers write instead, is accepted too. Fails unless at
/// least one SPS and one PPS are present.
pub fn codec_private_to_annexb(codec_private_data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let units: Vec<&[u8]> = if codec_private_data.first() == Some(&1) {
        avcc_parameter_sets(codec_private_data)?
    } else {
        nal_units(codec_private_data)
    };
    if units.is_empty() {
        return Err(invalid_cpd(format!(
            "no NAL unit found in {} bytes (expected 00 00 00 01 SPS 00 00 00 01 PPS)",
            codec_private_data.len()
        )));
    }
    let has = |t: u8| units.iter().any(|u| nal_type(u) == Some(t));
    if !has(NAL_SPS) {
        return Err(invalid_cpd("no sequence parameter set (NAL type 7)".into()));
    }
    if !has(NAL_PPS) {
        return Err(invalid_cpd("no picture parameter set (NAL type 8)".into()));
    }
    let mut out = Vec::with_capacity(codec_private_data.len() + 4 * units.len());
    for unit in units {
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(unit);
    }
    Ok(out)
}

fn invalid_cpd(reason: String) -> DecodeError {
    DecodeError::InvalidCodecPrivateData { reason }
}

/// Parameter sets of an `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15 5.3.3.1).
fn avcc_parameter_sets(avcc: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    let mut units = Vec::new();
    let num_sps = usize::from(
        *avcc
            .get(5)
            .ok_or_else(|| invalid_cpd("avcC record shorter than 6 bytes".into()))?
            & 0x1f,
    );
    let mut pos = 6;
    pos = take_avcc_units(avcc, pos, num_sps, &mut units)?;
    let num_pps =
        usize::from(*avcc.get(pos).ok_or_else(|| {
            invalid_cpd(format!("avcC record ends at {pos} before its PPS count"))
        })?);
    take_avcc_units(avcc, pos + 1, num_pps, &mut units)?;
    Ok(units)
}

fn take_avcc_units<'a>(
    avcc: &'a [u8],
    mut pos: usize,
    count: usize,
    units: &mut Vec<&'a [u8]>,
) -> Result<usize, DecodeError> {
    for _ in 0..count {
        let len_bytes = avcc.get(pos..pos + 2).ok_or_else(|| {
            invalid_cpd(format!(
                "avcC parameter-set length at offset {pos} is cut off"
            ))
        })?;
        let &[hi, lo] = len_bytes else {
            return Err(invalid_cpd(format!(
                "avcC parameter-set length at offset {pos} is cut off"
            )));
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let unit = avcc.get(pos + 2..pos + 2 + len).ok_or_else(|| {
            invalid_cpd(format!(
                "avcC parameter set at offset {pos} declares {len} bytes past the end"
            ))
        })?;
        units.push(unit);
        pos += 2 + len;
    }
    Ok(pos)
}

/// A length-prefixed H.264 sample (NALUnitLengthField bytes per prefix) as Annex-B.
pub fn sample_to_annexb(sample: &[u8], nal_length_size: u8) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(sample.len() + 16);
    append_sample_as_annexb(sample, nal_length_size, &mut out)?;
    Ok(out)
}

/// Appends a length-prefixed sample to `out` as Annex-B (4-byte start codes), so a caller
/// can reuse one buffer and put parameter sets in front.
///
/// Errors (and leaves `out` with a partial sample appended) on a bad NALUnitLengthField,
/// a length prefix cut off by the end of the sample, a prefix that declares more bytes
/// than remain, a zero length, or a sample above [`MAX_SAMPLE_BYTES`].
pub fn append_sample_as_annexb(
    sample: &[u8],
    nal_length_size: u8,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    check_nal_length_size(nal_length_size)?;
    if sample.len() > MAX_SAMPLE_BYTES {
        return Err(DecodeError::SampleTooLarge {
            size: sample.len(),
            limit: MAX_SAMPLE_BYTES,
        });
    }
    let prefix = usize::from(nal_length_size);
    let mut pos = 0;
    while pos < sample.len() {
        let Some(len_bytes) = sample.get(pos..pos + prefix) else {
            return Err(DecodeError::TruncatedLengthPrefix {
                offset: pos,
                nal_length_size,
                available: sample.len() - pos,
            });
        };
        let declared = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let body_start = pos + prefix;
        if declared == 0 {
            return Err(DecodeError::ZeroLengthNalUnit { offset: pos });
        }
        let available = sample.len() - body_start;
        let Some(body) = sample.get(body_start..body_start.saturating_add(declared)) else {
            return Err(DecodeError::TruncatedNalUnit {
                offset: pos,
                declared,
                available,
            });
        };
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(body);
        pos = body_start + declared;
    }
    Ok(())
}

/// NAL unit type of a coded slice of an IDR picture.
pub const NAL_IDR_SLICE: u8 = 5;

/// True when a length-prefixed sample holds an IDR slice (a random access point where no
/// earlier picture is referenced and every earlier picture is output first). Walks the
/// length prefixes only; a malformed sample is simply not an IDR.
pub fn sample_has_idr(sample: &[u8], nal_length_size: u8) -> bool {
    let prefix = usize::from(nal_length_size);
    let mut pos = 0usize;
    while let Some(len_bytes) = sample.get(pos..pos.saturating_add(prefix)) {
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let body = pos.saturating_add(prefix);
        if sample.get(body).map(|b| b & 0x1f) == Some(NAL_IDR_SLICE) {
            return true;
        }
        if len == 0 {
            return false;
        }
        pos = body.saturating_add(len);
    }
    false
}

/// NAL units to a length-prefixed sample, the inverse of [`sample_to_annexb`] (used to
/// build test samples and by packaging tools).
pub fn to_length_prefixed(nals: &[&[u8]], nal_length_size: u8) -> Result<Vec<u8>, DecodeError> {
    check_nal_length_size(nal_length_size)?;
    let max = if nal_length_size == 4 {
        u32::MAX as usize
    } else {
        (1usize << (8 * u32::from(nal_length_size))) - 1
    };
    let mut out = Vec::new();
    for (i, nal) in nals.iter().enumerate() {
        if nal.len() > max || nal.is_empty() {
            return Err(DecodeError::TruncatedNalUnit {
                offset: i,
                declared: nal.len(),
                available: max,
            });
        }
        let len = (nal.len() as u32).to_be_bytes();
        out.extend_from_slice(
            len.get(4 - usize::from(nal_length_size)..)
                .unwrap_or_default(),
        );
        out.extend_from_slice(nal);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPS: &[u8] = &[0x67, 0x42, 0xc0, 0x1e, 0xda];
    const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];

    #[test]
    fn splits_three_and_four_byte_start_codes() {
        let stream = [
            &[0, 0, 0, 1][..],
            SPS,
            &[0, 0, 1],
            PPS,
            &[0, 0, 0, 0, 1, 0x65, 0x88, 0, 0],
        ]
        .concat();
        assert_eq!(nal_units(&stream), vec![SPS, PPS, &[0x65, 0x88][..]]);
        assert!(nal_units(&[0, 0]).is_empty());
        assert!(nal_units(&[1, 2, 3, 4]).is_empty());
    }

    #[test]
    fn codec_private_data_is_normalised_to_four_byte_start_codes() {
        let cpd = [&[0, 0, 1][..], SPS, &[0, 0, 1], PPS].concat();
        let expected = [&START_CODE[..], SPS, &START_CODE, PPS].concat();
        assert_eq!(codec_private_to_annexb(&cpd).unwrap(), expected);
    }

    #[test]
    fn avcc_codec_private_data_is_accepted() {
        let mut avcc = vec![1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, SPS.len() as u8];
        avcc.extend_from_slice(SPS);
        avcc.extend_from_slice(&[1, 0, PPS.len() as u8]);
        avcc.extend_from_slice(PPS);
        let expected = [&START_CODE[..], SPS, &START_CODE, PPS].concat();
        assert_eq!(codec_private_to_annexb(&avcc).unwrap(), expected);
        // Cut anywhere: an error, never a panic.
        for cut in 0..avcc.len() {
            assert!(
                codec_private_to_annexb(&avcc[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn codec_private_data_without_sps_or_pps_is_refused() {
        let only_sps = [&START_CODE[..], SPS].concat();
        assert!(
            matches!(codec_private_to_annexb(&only_sps), Err(DecodeError::InvalidCodecPrivateData { reason }) if reason.contains("picture parameter set"))
        );
        let only_pps = [&START_CODE[..], PPS].concat();
        assert!(
            matches!(codec_private_to_annexb(&only_pps), Err(DecodeError::InvalidCodecPrivateData { reason }) if reason.contains("sequence parameter set"))
        );
        assert!(codec_private_to_annexb(&[]).is_err());
        assert!(codec_private_to_annexb(&[0x12, 0x10]).is_err());
    }

    #[test]
    fn length_prefixed_samples_round_trip_for_every_prefix_size() {
        let nals: [&[u8]; 3] = [&[0x09, 0xf0], &[0x06, 1, 2, 3], &[0x65; 300]];
        for size in [1u8, 2, 4] {
            let nals_fit: Vec<&[u8]> = if size == 1 {
                nals[..2].to_vec()
            } else {
                nals.to_vec()
            };
            let sample = to_length_prefixed(&nals_fit, size).unwrap();
            let annexb = sample_to_annexb(&sample, size).unwrap();
            assert_eq!(nal_units(&annexb), nals_fit, "prefix size {size}");
        }
        assert!(
            to_length_prefixed(&nals, 1).is_err(),
            "300 bytes do not fit a 1-byte prefix"
        );
    }

    #[test]
    fn idr_samples_are_recognised() {
        let idr = to_length_prefixed(&[&[0x06, 1], &[0x65, 0x88]], 4).unwrap();
        let non_idr = to_length_prefixed(&[&[0x41, 0x9a]], 2).unwrap();
        assert!(sample_has_idr(&idr, 4));
        assert!(!sample_has_idr(&non_idr, 2));
        assert!(!sample_has_idr(&[0, 0, 0], 4));
        assert!(!sample_has_idr(&[0xff, 0xff, 0xff, 0xff, 0x41], 4));
    }

    #[test]
    fn bad_prefix_sizes_are_refused() {
        for size in [0u8, 3, 5, 8] {
            assert_eq!(
                sample_to_annexb(&[0, 0, 0, 1, 0x65], size),
                Err(DecodeError::InvalidNalLengthSize { size })
            );
        }
    }

    #[test]
    fn truncated_and_corrupt_samples_give_typed_errors() {
        // Prefix cut off after one full NAL unit.
        assert_eq!(
            sample_to_annexb(&[0, 0, 0, 1, 0x65, 0, 0], 4),
            Err(DecodeError::TruncatedLengthPrefix {
                offset: 5,
                nal_length_size: 4,
                available: 2
            })
        );
        // Declares 16 bytes, holds 2.
        assert_eq!(
            sample_to_annexb(&[0, 16, 0x65, 0x88], 2),
            Err(DecodeError::TruncatedNalUnit {
                offset: 0,
                declared: 16,
                available: 2
            })
        );
        assert_eq!(
            sample_to_annexb(&[0, 0, 0, 0, 0x65], 4),
            Err(DecodeError::ZeroLengthNalUnit { offset: 0 })
        );
        // A 4-byte-prefixed sample read with 2-byte prefixes: caught as corrupt.
        let four = to_length_prefixed(&[&[0x65; 40]], 4).unwrap();
        assert!(sample_to_annexb(&four, 2).is_err());
        // A huge declared length does not overflow.
        assert!(matches!(
            sample_to_annexb(&[0xff, 0xff, 0xff, 0xff, 0x65], 4),
            Err(DecodeError::TruncatedNalUnit { .. })
        ));
        assert_eq!(sample_to_annexb(&[], 4), Ok(vec![]));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x1234_5678_u32;
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 24) as u8
                })
                .collect();
            for size in [1u8, 2, 4] {
                let _ = sample_to_annexb(&bytes, size);
            }
            let _ = codec_private_to_annexb(&bytes);
            let _ = nal_units(&bytes);
        }
    }
}
