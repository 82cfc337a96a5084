//! AAC-LC decoding with symphonia, configured from the AudioSpecificConfig.

use symphonia::core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia::core::codecs::audio::{
    AudioCodecParameters, AudioDecoder as _, AudioDecoderOptions,
};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::packet::Packet;
use symphonia::default::codecs::AacDecoder as SymphoniaAac;

use super::asc::{AudioSpecificConfig, OBJECT_TYPE_AAC_LC};
use super::frame::AudioBlock;
use super::DecodeError;
use crate::time::MediaTime;

/// Largest access unit accepted. AAC-LC allows 6144 bits per channel (768 bytes); two
/// channels fit in 1536 bytes, so this is generous while still bounding hostile input.
pub const MAX_ACCESS_UNIT_BYTES: usize = 64 * 1024;

/// An AAC-LC decoder for one audio quality level.
///
/// Every access unit decodes to 1024 sample frames. Nothing is trimmed: the encoder's
/// priming samples at the start of the stream are output like ffmpeg does for ADTS or
/// Smooth input (Smooth carries no edit list); the manifest's timeline already accounts
/// for them.
pub struct AacDecoder {
    decoder: SymphoniaAac,
    /// Kept to rebuild the decoder on reset (see [`AacDecoder::reset`]).
    params: AudioCodecParameters,
    sample_rate: u32,
    channels: u16,
}

impl std::fmt::Debug for AacDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacDecoder")
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .finish()
    }
}

fn reason(e: &SymphoniaError) -> String {
    e.to_string()
}

impl AacDecoder {
    /// A decoder for the given AudioSpecificConfig (the QualityLevel's CodecPrivateData,
    /// or [`super::asc::audio_specific_config`] built from SamplingRate/Channels).
    ///
    /// HE-AAC (SBR/PS), 960-sample frames and more than 2 channels are refused with
    /// [`DecodeError::UnsupportedAudioConfig`].
    pub fn new(audio_specific_config: &[u8]) -> Result<Self, DecodeError> {
        let asc = AudioSpecificConfig::parse(audio_specific_config)?;
        let unsupported = |reason: String| DecodeError::UnsupportedAudioConfig { reason };
        if asc.object_type != OBJECT_TYPE_AAC_LC {
            return Err(unsupported(format!(
                "audio object type {} (only AAC-LC, type 2, is decoded; 5 and 29 are HE-AAC)",
                asc.object_type
            )));
        }
        let channels = asc.channels().filter(|&c| c <= 2).ok_or_else(|| {
            unsupported(format!(
                "channel configuration {} (mono and stereo only)",
                asc.channel_configuration
            ))
        })?;
        if asc.short_frames {
            return Err(unsupported("960-sample frames".into()));
        }
        let mut params = AudioCodecParameters::new();
        params
            .for_codec(CODEC_ID_AAC)
            .with_extra_data(audio_specific_config.to_vec().into_boxed_slice());
        let decoder = SymphoniaAac::try_new(&params, &AudioDecoderOptions::default()).map_err(
            |e| match e {
                SymphoniaError::Unsupported(_) => unsupported(reason(&e)),
                _ => DecodeError::InvalidAudioSpecificConfig { reason: reason(&e) },
            },
        )?;
        Ok(AacDecoder {
            decoder,
            params,
            sample_rate: asc.sample_rate,
            channels,
        })
    }

    /// Sampling rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Output channel count.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Decodes one raw access unit (no ADTS header) presented at `pts`.
    ///
    /// A corrupt access unit is an error; the decoder stays usable for the next one.
    pub fn decode(
        &mut self,
        access_unit: &[u8],
        pts: MediaTime,
    ) -> Result<AudioBlock, DecodeError> {
        if access_unit.len() > MAX_ACCESS_UNIT_BYTES {
            return Err(DecodeError::SampleTooLarge {
                size: access_unit.len(),
                limit: MAX_ACCESS_UNIT_BYTES,
            });
        }
        if access_unit.is_empty() {
            return Err(DecodeError::Aac {
                pts: Some(pts),
                reason: "empty access unit".into(),
            });
        }
        let packet = Packet::new(0, Default::default(), 1024u64.into(), access_unit);
        let buf = self.decoder.decode(&packet).map_err(|e| DecodeError::Aac {
            pts: Some(pts),
            reason: reason(&e),
        })?;
        let spec = buf.spec();
        let (sample_rate, channels) = (spec.rate(), spec.channels().count());
        let mut samples = Vec::with_capacity(buf.samples_interleaved());
        buf.copy_to_vec_interleaved::<f32>(&mut samples);
        Ok(AudioBlock {
            pts,
            sample_rate,
            channels: u16::try_from(channels).unwrap_or(u16::MAX),
            samples,
        })
    }

    /// After a seek or a discontinuity: back to the state of a fresh decoder.
    ///
    /// symphonia's own `reset` clears the overlap-add buffers but not the noise generator
    /// used for perceptual noise substitution, so output after it differs from a fresh
    /// decoder's (and ffmpeg's) by up to ~30 dB on PNS content; a new instance does not.
    pub fn reset(&mut self) {
        match SymphoniaAac::try_new(&self.params, &AudioDecoderOptions::default()) {
            Ok(fresh) => self.decoder = fresh,
            // Cannot happen (these parameters built a decoder before); clear what we can.
            Err(_) => self.decoder.reset(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn he_aac_and_multichannel_are_refused_as_unsupported() {
        let he = AacDecoder::new(&[0x2b, 0x92, 0x08, 0x00]).unwrap_err();
        assert!(he.is_unsupported(), "{he}");
        assert!(he.to_string().contains("object type 5"), "{he}");
        // AAC-LC 48 kHz, channel configuration 6 (5.1).
        let surround = AacDecoder::new(&[0x11, 0xb0]).unwrap_err();
        assert!(surround.is_unsupported(), "{surround}");
        assert!(matches!(
            AacDecoder::new(&[0x12]),
            Err(DecodeError::InvalidAudioSpecificConfig { .. })
        ));
    }

    #[test]
    fn ffmpeg_style_config_with_explicit_no_sbr_extension_is_accepted() {
        // ffmpeg's AAC encoder writes 11 90 then the sync extension 0x2b7, SBR, flag 0:
        // plain AAC-LC (this is the demo presentation's CodecPrivateData).
        let d = AacDecoder::new(&[0x11, 0x90, 0x56, 0xe5, 0x00]).unwrap();
        assert_eq!((d.sample_rate(), d.channels()), (48000, 2));
    }

    #[test]
    fn garbage_access_units_are_errors_not_panics() {
        let mut d = AacDecoder::new(&[0x11, 0x90]).unwrap();
        assert_eq!((d.sample_rate(), d.channels()), (48000, 2));
        assert!(d.decode(&[], MediaTime::zero(48000)).is_err());
        let mut seed = 7u32;
        for len in 1..300usize {
            let au: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            if let Ok(block) = d.decode(&au, MediaTime::new(len as u64 * 1024, 48000)) {
                assert_eq!(block.samples.len() % 2, 0);
            }
        }
    }
}
