//! Fragment boxes: one Smooth Streaming fragment response (`moof` + `mdat`) to samples.
//!
//! ```text
//! moof( mfhd, traf( tfhd, trun+, [sdtp], [tfdt], uuid tfxd, [uuid tfrf],
//!                   [uuid PIFF senc | senc + saiz + saio] ) ) mdat
//! ```
//! Each box consumes exactly its bytes (an over-read or leftover bytes is an error naming
//! the box and its offset), counts and sizes are checked against [`limits`], unknown boxes
//! are skipped and listed in [`Fragment::unknown_boxes`]. Sample data are zero-copy slices
//! of the input buffer.
//!
//! ```
//! use bytes::Bytes;
//! use smoothplay_engine::fmp4::parse_fragment;
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/peer-manifests/dashjs_mss_moof.mp4");
//! let fragment = parse_fragment(Bytes::from(std::fs::read(path)?))?;
//! let base = fragment.base_decode_time(/* manifest_start= */ 0); // tfxd here
//! assert_eq!(base, 1_236_046_960_307_666);
//! assert_eq!(fragment.tfrf.len(), 2);
//! for sample in &fragment.samples {
//!     let _pts = sample.presentation_time(base);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod boxes;
pub mod error;
pub mod limits;
mod moof;
mod reader;
mod samples;
pub mod sdtp;
pub mod senc;
pub mod tfhd;
pub mod timing;
mod traf;
pub mod trun;

use bytes::Bytes;

pub use boxes::{BoxHeader, BoxType, UnknownBox};
pub use error::BoxError;
pub use senc::{
    AuxInfoSizes, EncryptionBoxKind, EncryptionOverride, Iv, IvSizeSource, SampleCrypto,
    SampleEncryption, Subsample,
};
pub use timing::{TfrfEntry, Tfxd};

/// One media sample (an access unit) of a fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Decode time relative to the fragment's base decode time
    /// ([`Fragment::base_decode_time`]), in the stream's timescale ticks.
    pub decode_offset: u64,
    /// Presentation time minus decode time, in ticks.
    pub composition_offset: i64,
    /// Duration in ticks.
    pub duration: u32,
    /// A random access point (an IDR picture for video; every audio sample).
    pub is_sync: bool,
    /// The sample bytes: a slice of the `mdat`, replaced by the plaintext after decryption.
    pub data: Bytes,
    /// IV and subsamples, when the fragment is encrypted and the IV size is known.
    pub encryption: Option<SampleCrypto>,
}

impl Sample {
    /// Absolute decode time in ticks, given the fragment's base decode time.
    pub fn decode_time(&self, base_decode_time: u64) -> u64 {
        base_decode_time.saturating_add(self.decode_offset)
    }

    /// Absolute presentation time in ticks (decode time plus composition offset,
    /// saturating at 0 and `u64::MAX`).
    pub fn presentation_time(&self, base_decode_time: u64) -> u64 {
        self.decode_time(base_decode_time)
            .saturating_add_signed(self.composition_offset)
    }
}

/// A parsed fragment: one track's samples and the Smooth timing and encryption boxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// `mfhd` sequence number.
    pub sequence_number: u32,
    /// `tfhd` track ID.
    pub track_id: u32,
    /// `tfxd`: absolute start and duration of this fragment.
    pub tfxd: Option<Tfxd>,
    /// `tfrf`: the following fragments on a live timeline (empty when absent).
    pub tfrf: Vec<TfrfEntry>,
    /// A `tfrf` box was there (possibly with no entries: the newest fragment of an IIS
    /// origin announces nothing yet, but says the server writes tfrf).
    pub tfrf_present: bool,
    /// `tfdt` base media decode time in ticks.
    pub tfdt: Option<u64>,
    /// The samples, in decode order.
    pub samples: Vec<Sample>,
    /// The sample encryption table, when the fragment is encrypted.
    pub encryption: Option<SampleEncryption>,
    /// `tfhd` sample description index, when given.
    pub sample_description_index: Option<u32>,
    /// Whether an `sdtp` box was present.
    pub has_sdtp: bool,
    /// The first `trun`'s data offset pointed into the `moof` and was replaced by the
    /// `mdat` payload start (a packager bug seen in the wild).
    pub data_offset_repaired: bool,
    /// Boxes that were skipped (up to [`limits::MAX_UNKNOWN_KEPT`]).
    pub unknown_boxes: Vec<UnknownBox>,
    /// Absolute offset of the `moof`.
    pub moof_offset: u64,
}

impl Fragment {
    /// Decode time of the first sample, in ticks.
    ///
    /// `tfxd` is preferred: it is the Smooth Streaming time base (MS-SSTR 2.2.4.4) and the
    /// one that matches the manifest's `t`, whereas a `tfdt` written by a mixed packager
    /// may be on another origin. Then `tfdt`, then the caller's manifest time.
    pub fn base_decode_time(&self, manifest_start: u64) -> u64 {
        match (self.tfxd, self.tfdt) {
            (Some(x), _) => x.start,
            (None, Some(t)) => t,
            (None, None) => manifest_start,
        }
    }

    /// Sum of the sample durations, in ticks.
    pub fn duration(&self) -> u64 {
        self.samples.iter().map(|s| u64::from(s.duration)).sum()
    }

    /// Decodes the encryption table with `iv_size` and stores each entry in its sample's
    /// [`Sample::encryption`]. Used when the IV size comes from outside the fragment
    /// (the protection header's algorithm). No-op for a clear fragment.
    pub fn apply_iv_size(&mut self, iv_size: u8, source: IvSizeSource) -> Result<(), BoxError> {
        let Some(enc) = self.encryption.as_mut() else {
            return Ok(());
        };
        let entries = enc.entries(iv_size)?;
        if entries.len() != self.samples.len() {
            return Err(BoxError::Invalid {
                box_type: enc_box_type(enc),
                offset: enc.offset,
                reason: format!(
                    "{} entries for {} samples",
                    entries.len(),
                    self.samples.len()
                ),
            });
        }
        for (s, e) in self.samples.iter_mut().zip(entries) {
            s.encryption = Some(e);
        }
        enc.iv_size = Some(iv_size);
        enc.iv_size_source = Some(source);
        Ok(())
    }
}

fn enc_box_type(enc: &SampleEncryption) -> BoxType {
    match enc.kind {
        EncryptionBoxKind::PiffUuid => BoxType::Uuid(boxes::UUID_PIFF_SENC),
        EncryptionBoxKind::Cenc => BoxType::fourcc(b"senc"),
    }
}

/// Parses one fragment response (`moof` followed by `mdat`; other top-level boxes such as
/// `styp`, `sidx` or `free` are skipped).
pub fn parse_fragment(data: Bytes) -> Result<Fragment, BoxError> {
    samples::parse(data)
}

#[cfg(test)]
mod tests;
