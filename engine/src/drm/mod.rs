//! Sample decryption: PIFF 1.1 (AES-128-CTR and AES-128-CBC) and CENC `cenc`, with keys
//! from the user, a key file, a ClearKey license server or the embedding application.
//!
//! Call [`decrypt_fragment`] on each parsed [`Fragment`](crate::fmp4::Fragment). Smooth
//! Streaming never delivers the track encryption box, so the algorithm, IV size and KID
//! come from the PIFF override fields when present, else from the manifest's PlayReady
//! header ([`DecryptContext`]), else from the box itself (IV size that fits it exactly).
//!
//! ```
//! use bytes::Bytes;
//! use smoothplay_engine::drm::{decrypt_fragment, CipherMode, CodecKind, DecryptContext, Kid, StaticKeys};
//! use smoothplay_engine::fmp4::parse_fragment;
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/media/small-piff-ctr.ism");
//! let bytes = std::fs::read(format!("{dir}/QualityLevels(48000)/Fragments(audio=0)"))?;
//! let mut fragment = parse_fragment(Bytes::from(bytes))?;
//!
//! // From the manifest's PlayReady header: KID in GUID byte order, ALGID AESCTR.
//! let guid = [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
//! let ctx = DecryptContext::new(vec![Kid::from_guid_bytes(guid)], Some(CipherMode::AesCtr), CodecKind::Aac);
//! let mut keys = StaticKeys::new();
//! keys.insert_pair("00112233445566778899aabbccddeeff:2b7e151628aed2a6abf7158809cf4f3c")?;
//!
//! let report = decrypt_fragment(&mut fragment, &keys, &ctx)?;
//! assert_eq!(report.samples, fragment.samples.len());
//! assert!(fragment.samples.iter().all(|s| s.encryption.is_none()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cbc;
pub mod clearkey;
mod ctr;
pub mod error;
pub mod keys;
mod sample_decrypt;
mod select;
pub mod validate;

use std::sync::Arc;

pub use clearkey::{fetch_clearkey_license, fetch_clearkey_license_with};
pub use error::DrmError;
pub use keys::{describe_kid, parse_key_pair, ContentKey, KeyProvider, Kid, StaticKeys};
pub use sample_decrypt::{decrypt_sample, CipherMode};
pub use select::{decrypt_fragment, select_key, KeyChoice, KeySelection};
pub use validate::{looks_like_aac, looks_like_h264, CodecKind, SampleValidator};

use crate::fmp4::IvSizeSource;

/// What the manifest says about a protected stream, for [`decrypt_fragment`].
#[derive(Clone)]
pub struct DecryptContext {
    /// KIDs from the PlayReady header, in CENC byte order (see
    /// [`Kid::from_guid_bytes`]); the candidates when the fragment names none.
    pub kids: Vec<Kid>,
    /// Cipher from the header's ALGID (`AESCTR`, `AESCBC`); `None` when absent or another
    /// value (then the fragment's override fields or CTR, PlayReady's default, apply).
    pub algorithm: Option<CipherMode>,
    /// What the samples are, to check a decryption and to choose among several keys.
    pub codec: CodecKind,
    /// The header's LA_URL, quoted in a missing-key error.
    pub la_url: Option<String>,
    /// An extra check (e.g. a trial decode), applied after the structural one.
    pub validator: Option<Arc<dyn SampleValidator>>,
}

impl DecryptContext {
    /// A context with the given KIDs, algorithm and codec, no LA_URL and no extra check.
    pub fn new(kids: Vec<Kid>, algorithm: Option<CipherMode>, codec: CodecKind) -> Self {
        DecryptContext {
            kids,
            algorithm,
            codec,
            la_url: None,
            validator: None,
        }
    }
}

impl std::fmt::Debug for DecryptContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptContext")
            .field("kids", &self.kids)
            .field("algorithm", &self.algorithm)
            .field("codec", &self.codec)
            .field("la_url", &self.la_url)
            .field("validator", &self.validator.is_some())
            .finish()
    }
}

/// What [`decrypt_fragment`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptReport {
    /// `None` when the fragment was clear (nothing done).
    pub kid: Option<Kid>,
    /// How the key was chosen.
    pub selection: Option<KeySelection>,
    /// Cipher used.
    pub mode: Option<CipherMode>,
    /// IV size used and where it came from.
    pub iv_size: Option<(u8, IvSizeSource)>,
    /// Samples decrypted.
    pub samples: usize,
    /// Bytes that were encrypted (and are now clear).
    pub bytes_decrypted: u64,
    /// Samples that passed the validity check (all of them on success, unless the codec
    /// has no check).
    pub samples_validated: usize,
}

impl DecryptReport {
    fn clear() -> Self {
        DecryptReport {
            kid: None,
            selection: None,
            mode: None,
            iv_size: None,
            samples: 0,
            bytes_decrypted: 0,
            samples_validated: 0,
        }
    }
}

#[cfg(test)]
mod tests;
