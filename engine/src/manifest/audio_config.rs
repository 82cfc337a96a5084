//! Builds an AAC-LC AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) for audio levels
//! whose manifest gives `SamplingRate` and `Channels` but no `CodecPrivateData`.

/// The 13 sampling rates that have a 4-bit index in an AudioSpecificConfig.
const SAMPLING_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// AAC-LC audio object type.
const AOT_AAC_LC: u32 = 2;

/// AudioSpecificConfig for AAC-LC (object type 2) at `sampling_rate` Hz with
/// `channels` channels. A rate without an index is written explicitly (index 15 plus
/// 24 bits). `None` for 0 Hz, rates above 2^24-1, or a channel count with no
/// channelConfiguration (0, 7, or more than 8).
pub(crate) fn build_aac_lc_config(sampling_rate: u32, channels: u16) -> Option<Vec<u8>> {
    let channel_config: u32 = match channels {
        1..=6 => u32::from(channels),
        8 => 7,
        _ => return None,
    };
    if sampling_rate == 0 || sampling_rate >= 1 << 24 {
        return None;
    }
    let mut bits = BitWriter::default();
    bits.put(AOT_AAC_LC, 5);
    match SAMPLING_RATES.iter().position(|&r| r == sampling_rate) {
        Some(i) => bits.put(i as u32, 4),
        None => {
            bits.put(15, 4);
            bits.put(sampling_rate, 24);
        }
    }
    bits.put(channel_config, 4);
    // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder, extensionFlag, all 0.
    bits.put(0, 3);
    Some(bits.finish())
}

/// MSB-first bit packer.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used_bits: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, width: u32) {
        for shift in (0..width).rev() {
            let bit = ((value >> shift) & 1) as u8;
            if self.used_bits & 7 == 0 {
                self.bytes.push(0);
            }
            if let Some(last) = self.bytes.last_mut() {
                *last |= bit << (7 - self.used_bits % 8);
            }
            self.used_bits += 1;
        }
    }

    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::build_aac_lc_config;

    #[test]
    fn matches_known_configs() {
        // 0x1210 is the classic 44.1 kHz stereo AAC-LC config (shaka fixture).
        assert_eq!(build_aac_lc_config(44100, 2), Some(vec![0x12, 0x10]));
        // 48 kHz stereo: the first two bytes of the small.ism CodecPrivateData 119056e500.
        assert_eq!(build_aac_lc_config(48000, 2), Some(vec![0x11, 0x90]));
        assert_eq!(build_aac_lc_config(22050, 1), Some(vec![0x13, 0x88]));
    }

    #[test]
    fn writes_explicit_rate_without_index() {
        // 5 bits AOT 2, index 15, 24-bit rate 1000 (0x0003E8), config 2, 3 zero bits.
        let asc = build_aac_lc_config(1000, 2).unwrap_or_default();
        assert_eq!(asc, vec![0x17, 0x80, 0x01, 0xF4, 0x10]);
    }

    #[test]
    fn refuses_impossible_layouts() {
        assert_eq!(build_aac_lc_config(48000, 0), None);
        assert_eq!(build_aac_lc_config(48000, 7), None);
        assert_eq!(build_aac_lc_config(0, 2), None);
        assert_eq!(build_aac_lc_config(48000, 8), Some(vec![0x11, 0xB8]));
    }
}
