//! Decryption errors.

use crate::fmp4::BoxError;

use super::keys::{describe_kid, Kid};

fn kid_list(kids: &[Kid]) -> String {
    kids.iter().map(describe_kid).collect::<Vec<_>>().join(", ")
}

fn la_url_note(la_url: &Option<String>) -> String {
    match la_url {
        Some(u) => format!("; the PlayReady header's license URL is {u}"),
        None => String::new(),
    }
}

/// Why a fragment could not be decrypted, or a key not read.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum DrmError {
    /// No key is known for any KID that may apply.
    #[error("no key for KID {}{}", kid_list(.kids), la_url_note(.la_url))]
    MissingKey {
        /// The KIDs looked up (CENC order; the message shows both orders).
        kids: Vec<Kid>,
        /// License URL from the protection header, for the message.
        la_url: Option<String>,
    },
    /// The key decrypted a sample into something that is not valid media.
    #[error("wrong key for KID {}: sample {sample} is not valid {codec} after decryption", describe_kid(.kid))]
    WrongKey {
        /// The KID whose key was used.
        kid: Kid,
        /// Index of the first sample that failed the check.
        sample: usize,
        /// Codec checked.
        codec: &'static str,
    },
    /// Several candidate keys, none of which yields valid media.
    #[error("none of the keys for KIDs {} yields valid {codec}", kid_list(.tried))]
    NoValidKey {
        /// The KIDs whose keys were tried.
        tried: Vec<Kid>,
        /// Codec checked.
        codec: &'static str,
    },
    /// Several candidate keys and no way to check which is right.
    #[error("cannot choose between KIDs {}: the fragment does not name one and the codec has no validity check", kid_list(.kids))]
    AmbiguousKey {
        /// The candidates that have keys.
        kids: Vec<Kid>,
    },
    /// The fragment is encrypted but nothing names a KID.
    #[error("fragment is encrypted but no KID is known (no PIFF override, none in the protection header)")]
    NoKid,
    /// An algorithm other than AES-128 CTR/CBC.
    #[error("unsupported encryption algorithm ID {0}")]
    UnsupportedAlgorithm(u32),
    /// The per-sample IV size cannot be decided.
    #[error("cannot tell the IV size: no override fields, no saiz, no ALGID, and sizes {candidates:?} all fit the box")]
    IvSizeUnknown {
        /// Sizes that consume the box exactly.
        candidates: Vec<u8>,
    },
    /// A sample has no IV/subsample entry.
    #[error("sample {sample}: no encryption entry")]
    MissingSampleInfo {
        /// Sample index.
        sample: usize,
    },
    /// The subsample table does not fit the sample.
    #[error("sample {sample}: subsamples cover {covered} bytes but the sample has {len}")]
    SubsampleMismatch {
        /// Sample index.
        sample: usize,
        /// Bytes the table describes.
        covered: u64,
        /// Sample length.
        len: usize,
    },
    /// Re-reading the encryption box with another IV size failed.
    #[error(transparent)]
    Box(#[from] BoxError),
    /// A malformed KID, key or `KID:KEY` string (the key itself is never echoed).
    #[error("invalid {what}: {reason}")]
    BadKeyString {
        /// What was being parsed.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A key file could not be read or has a bad line.
    #[error("key file {path}, line {line}: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// 1-based line (0 when the file could not be read).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// ClearKey license acquisition failed.
    #[error("ClearKey license from {url}: {reason}")]
    License {
        /// License server URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
}
