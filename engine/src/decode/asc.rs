//! MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): parsed to pick and configure a
//! decoder and to write ADTS headers, and built from SamplingRate/Channels when a manifest
//! has no CodecPrivateData.

use super::DecodeError;

/// Sampling rates by samplingFrequencyIndex (0..=12).
pub const SAMPLING_FREQUENCIES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// Audio object type of AAC Low Complexity.
pub const OBJECT_TYPE_AAC_LC: u8 = 2;

/// The fields of an AudioSpecificConfig this engine uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioSpecificConfig {
    /// audioObjectType (2 = AAC-LC, 5 = SBR, 29 = PS...).
    pub object_type: u8,
    /// samplingFrequencyIndex when the rate is one of the table's (ADTS needs it).
    pub sampling_frequency_index: Option<u8>,
    /// Sampling rate in Hz.
    pub sample_rate: u32,
    /// channelConfiguration (0 = defined by a program config element).
    pub channel_configuration: u8,
    /// frameLengthFlag of the GASpecificConfig: 960-sample frames instead of 1024.
    pub short_frames: bool,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: u32) -> Result<u32, DecodeError> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8).ok_or_else(|| {
                DecodeError::InvalidAudioSpecificConfig {
                    reason: format!(
                        "ends after {} bits ({} bytes given)",
                        self.pos,
                        self.data.len()
                    ),
                }
            })?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Ok(v)
    }
}

impl AudioSpecificConfig {
    /// Parses the leading fields of an AudioSpecificConfig (extensions after the
    /// GASpecificConfig are not needed here and are ignored).
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut b = Bits {
            data: bytes,
            pos: 0,
        };
        let mut object_type = b.read(5)?;
        if object_type == 31 {
            object_type = 32 + b.read(6)?;
        }
        let index = b.read(4)?;
        let (sampling_frequency_index, sample_rate) = if index == 0xf {
            let rate = b.read(24)?;
            (
                SAMPLING_FREQUENCIES
                    .iter()
                    .position(|&r| r == rate)
                    .map(|i| i as u8),
                rate,
            )
        } else {
            let rate = *SAMPLING_FREQUENCIES.get(index as usize).ok_or_else(|| {
                DecodeError::InvalidAudioSpecificConfig {
                    reason: format!("reserved samplingFrequencyIndex {index}"),
                }
            })?;
            (Some(index as u8), rate)
        };
        if sample_rate == 0 {
            return Err(DecodeError::InvalidAudioSpecificConfig {
                reason: "sampling rate 0".into(),
            });
        }
        let channel_configuration = b.read(4)? as u8;
        // GASpecificConfig starts with frameLengthFlag for the GA object types (1-4, 6, 7, 17...).
        let short_frames =
            matches!(object_type, 1..=4 | 6 | 7 | 17 | 19..=23) && b.read(1).unwrap_or(0) == 1;
        Ok(AudioSpecificConfig {
            object_type: object_type as u8,
            sampling_frequency_index,
            sample_rate,
            channel_configuration,
            short_frames,
        })
    }

    /// Number of output channels, for the channel configurations that define one.
    pub fn channels(&self) -> Option<u16> {
        match self.channel_configuration {
            1..=6 => Some(u16::from(self.channel_configuration)),
            7 => Some(8),
            _ => None,
        }
    }
}

/// Builds a 2-byte AAC-LC AudioSpecificConfig from a manifest's SamplingRate and Channels
/// (what to use when CodecPrivateData is missing).
pub fn audio_specific_config(sample_rate: u32, channels: u16) -> Result<Vec<u8>, DecodeError> {
    let index = SAMPLING_FREQUENCIES
        .iter()
        .position(|&r| r == sample_rate)
        .ok_or_else(|| DecodeError::InvalidAudioSpecificConfig {
            reason: format!("SamplingRate {sample_rate} has no MPEG-4 frequency index"),
        })? as u16;
    let config = match channels {
        1..=6 => channels,
        8 => 7,
        _ => {
            return Err(DecodeError::InvalidAudioSpecificConfig {
                reason: format!("Channels {channels} has no MPEG-4 channel configuration"),
            })
        }
    };
    let v = (u16::from(OBJECT_TYPE_AAC_LC) << 11) | (index << 7) | (config << 3);
    Ok(v.to_be_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_configs() {
        // 0x1210: AAC-LC 44.1 kHz stereo (the MS-SSTR example); 0x1190: 48 kHz stereo.
        let a = AudioSpecificConfig::parse(&[0x12, 0x10]).unwrap();
        assert_eq!(
            (
                a.object_type,
                a.sample_rate,
                a.channels(),
                a.sampling_frequency_index
            ),
            (2, 44100, Some(2), Some(4))
        );
        let b = AudioSpecificConfig::parse(&[0x11, 0x90]).unwrap();
        assert_eq!(
            (b.sample_rate, b.channels(), b.short_frames),
            (48000, Some(2), false)
        );
        // HE-AAC explicit signalling: object type 5.
        assert_eq!(
            AudioSpecificConfig::parse(&[0x2b, 0x92, 0x08, 0x00])
                .unwrap()
                .object_type,
            5
        );
        // Escape object type 31 -> 32 + 6 bits.
        assert_eq!(
            AudioSpecificConfig::parse(&[0xf8, 0x08, 0x80])
                .unwrap()
                .object_type,
            32
        );
    }

    #[test]
    fn explicit_frequency_is_read() {
        // LC, index 15, 24-bit rate 48000 (0x00bb80), 2 channels.
        let bytes = [0x17, 0x80, 0x5d, 0xc0, 0x10];
        let a = AudioSpecificConfig::parse(&bytes).unwrap();
        assert_eq!(
            (
                a.sample_rate,
                a.sampling_frequency_index,
                a.channel_configuration
            ),
            (48000, Some(3), 2)
        );
    }

    #[test]
    fn truncated_or_reserved_configs_are_errors() {
        assert!(AudioSpecificConfig::parse(&[]).is_err());
        assert!(AudioSpecificConfig::parse(&[0x12]).is_err());
        assert!(
            AudioSpecificConfig::parse(&[0x16, 0x90]).is_err(),
            "index 13 is reserved"
        );
    }

    #[test]
    fn builds_from_sampling_rate_and_channels() {
        assert_eq!(audio_specific_config(44100, 2).unwrap(), vec![0x12, 0x10]);
        assert_eq!(audio_specific_config(48000, 2).unwrap(), vec![0x11, 0x90]);
        assert_eq!(audio_specific_config(48000, 1).unwrap(), vec![0x11, 0x88]);
        assert!(audio_specific_config(44000, 2).is_err());
        assert!(audio_specific_config(48000, 7).is_err());
    }
}
