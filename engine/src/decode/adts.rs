//! ADTS framing (ISO/IEC 13818-7 6.2): raw AAC access units from Smooth fragments to a
//! stream ffmpeg and other tools can read, used by tests that decode our samples with an
//! independent decoder and by audio dumps.

use super::asc::AudioSpecificConfig;
use super::DecodeError;

/// ADTS header length without CRC.
pub const HEADER_LEN: usize = 7;
/// Largest frame the 13-bit ADTS frame length can describe.
pub const MAX_FRAME_LEN: usize = (1 << 13) - 1;

/// One raw access unit wrapped in a 7-byte ADTS header (no CRC, buffer fullness 0x7FF as
/// ffmpeg's ADTS muxer writes it) built from the AudioSpecificConfig.
///
/// Errors when the config cannot be expressed in ADTS (object type above 4, a sampling
/// rate without a frequency index, channel configuration above 7) or the access unit is
/// too large for the 13-bit frame length.
pub fn wrap(access_unit: &[u8], audio_specific_config: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let asc = AudioSpecificConfig::parse(audio_specific_config)?;
    let not_adts = |why: String| DecodeError::UnsupportedAudioConfig {
        reason: format!("cannot write ADTS: {why}"),
    };
    if !(1..=4).contains(&asc.object_type) {
        return Err(not_adts(format!(
            "object type {} (ADTS carries 1-4)",
            asc.object_type
        )));
    }
    let index = asc
        .sampling_frequency_index
        .ok_or_else(|| not_adts(format!("sampling rate {} has no index", asc.sample_rate)))?;
    if asc.channel_configuration > 7 {
        return Err(not_adts(format!(
            "channel configuration {}",
            asc.channel_configuration
        )));
    }
    let frame_len = access_unit.len() + HEADER_LEN;
    if frame_len > MAX_FRAME_LEN {
        return Err(DecodeError::SampleTooLarge {
            size: access_unit.len(),
            limit: MAX_FRAME_LEN - HEADER_LEN,
        });
    }
    let profile = asc.object_type - 1;
    let ch = asc.channel_configuration;
    let len = frame_len as u32;
    let fullness: u32 = 0x7ff;
    let mut out = Vec::with_capacity(frame_len);
    out.extend_from_slice(&[
        0xff,
        0xf1, // syncword, MPEG-4, layer 0, protection_absent
        (profile << 6) | (index << 2) | (ch >> 2),
        ((ch & 3) << 6) | ((len >> 11) & 0x3) as u8,
        ((len >> 3) & 0xff) as u8,
        (((len & 0x7) << 5) as u8) | ((fullness >> 6) & 0x1f) as u8,
        (((fullness & 0x3f) << 2) as u8), // number_of_raw_data_blocks_in_frame = 0
    ]);
    out.extend_from_slice(access_unit);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_land_where_adts_puts_them() {
        let frame = wrap(&[0xaa; 10], &[0x11, 0x90]).unwrap();
        assert_eq!(frame.len(), 17);
        assert_eq!(&frame[..2], &[0xff, 0xf1]);
        assert_eq!(frame[2] >> 6, 1, "profile = object type - 1");
        assert_eq!((frame[2] >> 2) & 0xf, 3, "48 kHz index");
        let ch = ((frame[2] & 1) << 2) | (frame[3] >> 6);
        assert_eq!(ch, 2);
        let len = (usize::from(frame[3] & 3) << 11)
            | (usize::from(frame[4]) << 3)
            | usize::from(frame[5] >> 5);
        assert_eq!(len, 17);
        assert_eq!(&frame[7..], &[0xaa; 10]);
    }

    #[test]
    fn refuses_what_adts_cannot_say() {
        assert!(wrap(&[0; 8192], &[0x11, 0x90]).is_err());
        assert!(matches!(
            wrap(&[0; 4], &[0x2b, 0x92, 0x08, 0x00]),
            Err(DecodeError::UnsupportedAudioConfig { .. })
        ));
        assert!(wrap(&[0; 4], &[]).is_err());
    }
}
