//! Decoding: H.264 (openh264) and AAC-LC (symphonia), configured from the manifest.
//!
//! Smooth Streaming has no init segment: a decoder is configured from the QualityLevel's
//! FourCC ([`codec_for`]) and CodecPrivateData (H.264 SPS/PPS in Annex-B, or the AAC
//! AudioSpecificConfig). Samples arrive as length-prefixed NAL units ([`annexb`] turns them
//! into the Annex-B openh264 wants) or raw AAC access units.
//!
//! [`sps`] reads the sequence parameter set as far as the VUI, so every [`VideoFrame`]
//! carries its [`VideoFormat`] (aspect ratio, range, matrix, chroma siting) for the renderer.
//!
//! Output helpers write what the CLI's `--framemd5` and `--dump-video` need
//! ([`FrameMd5Writer`], [`Y4mWriter`]), and [`adts`] frames AAC access units so tests can
//! hand our samples to ffmpeg as an independent decoder.

pub mod aac;
pub mod adts;
pub mod annexb;
pub mod asc;
pub mod codec;
pub mod error;
pub mod frame;
pub mod framemd5;
pub mod h264;
pub mod sps;
pub mod y4m;

pub use aac::AacDecoder;
pub use codec::{codec_for, CodecKind};
pub use error::DecodeError;
pub use frame::{AudioBlock, VideoFormat, VideoFrame};
pub use framemd5::FrameMd5Writer;
pub use h264::H264Decoder;
pub use sps::{Sps, SpsError};
pub use y4m::Y4mWriter;
